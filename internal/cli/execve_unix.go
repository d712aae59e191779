//go:build unix

package cli

import "syscall"

// replaceProcess is execve(2): the command takes over awsmfa's process, so
// signals reach it directly, its exit status is the process's, and nothing of
// awsmfa (nor its memory) outlives the hand-over.
func replaceProcess(path string, argv, env []string) error { return syscall.Exec(path, argv, env) }
