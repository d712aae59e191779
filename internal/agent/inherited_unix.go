//go:build unix

package agent

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// CloseInherited closes every descriptor above standard error that the
// process inherited across exec from whoever started it: those without
// FD_CLOEXEC (every descriptor Go itself opens has it). The agent calls it
// first thing. Its starter is a client that may itself have inherited
// descriptors meant for it alone (a terminal, the write end of a pipe
// another program reads to its end, a lock), and os/exec passes those on;
// an agent holding them for its lifetime would keep a terminal open after
// its session ended or leave a reader waiting for an end of file.
func CloseInherited() error {
	// /dev/fd lists this process's descriptors on linux, macOS and BSDs
	// with fdescfs (the directory's own descriptor is close-on-exec and
	// stays); the low numbers, where inherited ones almost always are, are
	// tried whatever it lists.
	fds := map[int]bool{}
	for fd := 3; fd < 256; fd++ {
		fds[fd] = true
	}
	entries, err := os.ReadDir("/dev/fd")
	if err != nil {
		return fmt.Errorf("listing inherited descriptors: %w", err)
	}
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			fds[fd] = true
		}
	}
	for fd := range fds {
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil || flags&unix.FD_CLOEXEC != 0 {
			continue // gone already (the listing's own), or opened here
		}
		if err := unix.Close(fd); err != nil {
			return fmt.Errorf("closing inherited descriptor %d: %w", fd, err)
		}
	}
	return nil
}
