//go:build windows

package cli

import (
	"os"
	"os/exec"
	"os/signal"
)

// forwardSignals keeps Ctrl-C from killing awsmfa before its child: the
// console delivers it to both, and the child decides.
func forwardSignals(*exec.Cmd) (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt)
	return func() { signal.Stop(ch) }
}

func signaled(*os.ProcessState) (int, bool) { return 0, false }
