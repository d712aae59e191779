package agent

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Harden makes the calling process keep its memory to itself: no core dumps
// (RLIMIT_CORE 0) and not dumpable, which on linux also stops other processes
// of the same user from ptrace-attaching to it or reading /proc/PID/mem. The
// agent calls it first thing, before any secret is in memory.
func Harden() error {
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("making the agent non-dumpable: %w", err)
	}
	return disableCoreDumps()
}
