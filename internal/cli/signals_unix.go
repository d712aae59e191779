//go:build unix

package cli

import (
	"os"
	"os/signal"
	"syscall"
)

// signalRelay relays to the child the signals that are sent to awsmfa alone
// (by kill, a supervisor, a closing terminal): TERM, HUP, USR1 and USR2.
// SIGINT and SIGQUIT from the keyboard already reach the child, which is in
// the same foreground process group: awsmfa only outlives them, so that it
// can report the child's status, and does not send them a second time (a
// second Ctrl-C makes terraform abort without cleaning up).
type signalRelay struct {
	relay    chan os.Signal
	keyboard chan os.Signal
	done     chan struct{}
}

// catchSignals starts catching before the child starts, so that nothing sent
// in between is lost; forwardTo then delivers to the child.
func catchSignals() *signalRelay {
	r := &signalRelay{relay: make(chan os.Signal, 8), keyboard: make(chan os.Signal, 8), done: make(chan struct{})}
	signal.Notify(r.relay, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2)
	signal.Notify(r.keyboard, syscall.SIGINT, syscall.SIGQUIT)
	return r
}

func (r *signalRelay) forwardTo(p *os.Process) {
	go func() {
		for {
			select {
			case s := <-r.relay:
				_ = p.Signal(s)
			case <-r.keyboard:
			case <-r.done:
				return
			}
		}
	}()
}

func (r *signalRelay) stop() {
	signal.Stop(r.relay)
	signal.Stop(r.keyboard)
	close(r.done)
}

func signaled(ps *os.ProcessState) (int, bool) {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() {
		return 0, false
	}
	return int(ws.Signal()), true
}
