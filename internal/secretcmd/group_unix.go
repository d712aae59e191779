//go:build unix

package secretcmd

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup makes the command the leader of a new process group, which
// everything it starts joins unless it leaves on purpose (setsid).
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killGroup kills the command's whole process group. The group outlives its
// leader while any member runs, and its id cannot be reused until then.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
