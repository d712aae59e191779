//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package tty

import (
	"os"

	"golang.org/x/term"
)

// foreground is not checked here: there is no job control to respect.
func foreground(*os.File) error { return nil }

// readInput reads one line in the terminal's own line mode. Here a prompt
// cannot be abandoned early: Ctrl-C is seen only when the read returns.
func (t *Terminal) readInput(echo bool) (string, error) {
	if echo {
		return readLine(t.in)
	}
	b, err := term.ReadPassword(int(t.in.Fd()))
	return string(b), err
}
