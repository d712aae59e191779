//go:build unix

package compat

import (
	"os/exec"
	"syscall"
)

// detach starts the child as the leader of a new session: it has no
// controlling terminal, so Python's getpass and the AWS CLI's prompts fall
// back to stdin instead of the terminal of whoever runs go test, and its
// process group can be killed as a whole.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
}

// killGroup kills the child's whole process group (a pyenv shim or
// moto_server may leave children behind).
func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	if err != nil {
		return cmd.Process.Kill()
	}
	return nil
}
