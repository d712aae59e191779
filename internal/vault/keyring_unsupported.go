//go:build !darwin && !windows && !((dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd)

package vault

import (
	"context"
	"fmt"
	"runtime"
	"time"
)

// keyringUsable: go-keyring has no keyring for this system (or build).
func keyringUsable(context.Context, func(string) string, time.Duration) error {
	return fmt.Errorf("%w: no OS keyring support for %s in this build", ErrBackendUnavailable, runtime.GOOS)
}
