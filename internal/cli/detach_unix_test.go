//go:build unix

package cli

import "golang.org/x/sys/unix"

func detachTerminal() error {
	_, err := unix.Setsid()
	return err
}
