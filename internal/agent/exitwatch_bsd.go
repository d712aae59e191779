//go:build darwin || freebsd || netbsd || openbsd || dragonfly

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
	kq   int  // kqueue with a NOTE_EXIT filter on pid; -1 when gone or unsupported
	poll bool // kqueue failed: fall back to probing the pid
}

func watchProcess(pid int) *processWatch {
	kq, err := unix.Kqueue()
	if err != nil {
		return &processWatch{pid: pid, kq: -1, poll: true}
	}
	ev := unix.Kevent_t{}
	unix.SetKevent(&ev, pid, unix.EVFILT_PROC, unix.EV_ADD|unix.EV_ONESHOT)
	ev.Fflags = unix.NOTE_EXIT
	if _, err := unix.Kevent(kq, []unix.Kevent_t{ev}, nil, nil); err != nil {
		unix.Close(kq)
		if errors.Is(err, unix.ESRCH) {
			return &processWatch{pid: pid, kq: -1}
		}
		return &processWatch{pid: pid, kq: -1, poll: true}
	}
	return &processWatch{pid: pid, kq: kq}
}

// wait returns once the process has exited (NOTE_EXIT), at ctx's end, or
// after timeout.
func (w *processWatch) wait(ctx context.Context, timeout time.Duration) error {
	if w.poll {
		return pollExit(ctx, w.pid, timeout)
	}
	if w.kq < 0 {
		return nil
	}
	deadline := time.Now().Add(timeout)
	for {
		// Slices of 100 ms only to notice ctx; the exit itself wakes kevent.
		ts := unix.NsecToTimespec(int64(100 * time.Millisecond))
		events := make([]unix.Kevent_t, 1)
		n, err := unix.Kevent(w.kq, nil, events, &ts)
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
	if w.kq >= 0 {
		unix.Close(w.kq)
		w.kq = -1
	}
}
