//go:build unix && !linux

package agent

import (
	"fmt"

	"golang.org/x/sys/unix"
)

func hardenReport() string {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &rl); err != nil {
		return "error: " + err.Error()
	}
	return fmt.Sprintf("core=%d/%d", rl.Cur, rl.Max)
}
