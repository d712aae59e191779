package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// processWatch waits for one process to end. It is opened before the
// process is asked to stop, so that a pid reused after the exit cannot be
// mistaken for the agent.
type processWatch struct {
	pid  int
	fd   int  // pidfd; -1 when gone at open time or unsupported
	poll bool // no pidfd support: fall back to probing the pid
}

// watchProcess opens a pidfd for pid. A process already gone needs no
// watch.
func watchProcess(pid int) *processWatch {
	fd, err := unix.PidfdOpen(pid, 0)
	switch {
	case err == nil:
		return &processWatch{pid: pid, fd: fd}
	case errors.Is(err, unix.ESRCH):
		return &processWatch{pid: pid, fd: -1}
	default: // ENOSYS before linux 5.3, or a seccomp filter
		return &processWatch{pid: pid, fd: -1, poll: true}
	}
}

// wait returns once the process has ended: its pidfd turns readable at
// exit, after the kernel released its memory. It gives up at ctx's end or
// after timeout.
func (w *processWatch) wait(ctx context.Context, timeout time.Duration) error {
	if w.poll {
		return pollExit(ctx, w.pid, timeout)
	}
	if w.fd < 0 {
		return nil
	}
	deadline := time.Now().Add(timeout)
	for {
		// Slices of 100 ms only to notice ctx; the exit itself wakes poll.
		fds := []unix.PollFd{{Fd: int32(w.fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, 100)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return fmt.Errorf("waiting for agent process %d to exit: %w", w.pid, err)
		}
		if n > 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("waiting for agent process %d to exit: %w", w.pid, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("agent process %d did not exit within %v", w.pid, timeout)
		}
	}
}

func (w *processWatch) close() {
	if w.fd >= 0 {
		unix.Close(w.fd)
		w.fd = -1
	}
}
