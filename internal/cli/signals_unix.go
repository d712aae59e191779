//go:build unix

package cli

import (
	"os"
	"os/exec"
	"os/signal"
	"syscall"
)

// forwardSignals relays to c's process the signals that are sent to awsmfa
// alone (by kill, a supervisor, a closing terminal) until the returned
// function is called. SIGINT and SIGQUIT from the keyboard already reach the
// child, which is in the same foreground process group: awsmfa only outlives
// them, so that it can report the child's status, and does not send them a
// second time (a second Ctrl-C makes terraform abort without cleaning up).
func forwardSignals(c *exec.Cmd) (stop func()) {
	relay := make(chan os.Signal, 8)
	signal.Notify(relay, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2)
	keyboard := make(chan os.Signal, 8)
	signal.Notify(keyboard, syscall.SIGINT, syscall.SIGQUIT)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-relay:
				if c.Process != nil {
					_ = c.Process.Signal(s)
				}
			case <-keyboard:
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(relay)
		signal.Stop(keyboard)
		close(done)
	}
}

func signaled(ps *os.ProcessState) (int, bool) {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() {
		return 0, false
	}
	return int(ws.Signal()), true
}
