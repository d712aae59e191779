//go:build unix

package agent

import (
	"fmt"

	"golang.org/x/sys/unix"
)

func disableCoreDumps() error {
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{Cur: 0, Max: 0}); err != nil {
		return fmt.Errorf("disabling core dumps: %w", err)
	}
	return nil
}
