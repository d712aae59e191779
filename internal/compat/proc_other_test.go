//go:build !unix

package compat

import "os/exec"

// detach does nothing where there are no sessions; the tools these tests
// drive are not installed on such systems, so the tests skip there.
func detach(*exec.Cmd) {}

// killGroup kills the child.
func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	return cmd.Process.Kill()
}
