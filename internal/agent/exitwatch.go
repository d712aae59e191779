package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// exitTimeout bounds the wait for a stopped agent's process to end.
const exitTimeout = 5 * time.Second

// pollExit probes pid with signal 0 until it is gone, where the system has
// no exit notification. A zombie still answers the probe; the agent's parent
// (init, once the starting client has exited) reaps it at once.
func pollExit(ctx context.Context, pid int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		p, err := os.FindProcess(pid)
		if err != nil {
			return nil
		}
		if err := p.Signal(syscall.Signal(0)); err != nil && !errors.Is(err, syscall.EPERM) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("agent process %d did not exit within %v", pid, timeout)
		}
		if err := sleep(ctx, pollInterval); err != nil {
			return fmt.Errorf("waiting for agent process %d to exit: %w", pid, err)
		}
	}
}
