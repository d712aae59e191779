//go:build windows

package cli

import (
	"os"
	"os/signal"
)

// signalRelay keeps Ctrl-C from killing awsmfa before its child: the console
// delivers it to both, and the child decides.
type signalRelay struct{ ch chan os.Signal }

func catchSignals() *signalRelay {
	r := &signalRelay{ch: make(chan os.Signal, 1)}
	signal.Notify(r.ch, os.Interrupt)
	return r
}

func (*signalRelay) forwardTo(*os.Process) {}

func (r *signalRelay) stop() { signal.Stop(r.ch) }

func signaled(*os.ProcessState) (int, bool) { return 0, false }
