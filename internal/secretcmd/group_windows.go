//go:build windows

package secretcmd

import "os/exec"

// ownProcessGroup does nothing on windows: there is no process group to kill
// as a whole without a job object, so only the command itself is killed.
func ownProcessGroup(*exec.Cmd) {}

// killGroup kills the command (best effort: not what it started).
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}
