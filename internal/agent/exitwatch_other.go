//go:build !linux && !darwin && !freebsd && !netbsd && !openbsd && !dragonfly

package agent

import (
	"context"
	"time"
)

// processWatch waits for one process to end; here only by probing its pid.
type processWatch struct{ pid int }

func watchProcess(pid int) *processWatch { return &processWatch{pid: pid} }

func (w *processWatch) wait(ctx context.Context, timeout time.Duration) error {
	return pollExit(ctx, w.pid, timeout)
}

func (w *processWatch) close() {}
