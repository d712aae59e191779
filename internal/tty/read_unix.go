//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package tty

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/sys/unix"
)

// foreground returns ErrBackground when f is this process's controlling
// terminal and another process group is in its foreground. A terminal that is
// not the controlling one has no job control, so any process may use it.
func foreground(f *os.File) error {
	pgrp, err := unix.IoctlGetInt(int(f.Fd()), unix.TIOCGPGRP)
	if err != nil {
		return nil // not the controlling terminal (ENOTTY)
	}
	if pgrp != unix.Getpgrp() {
		return ErrBackground
	}
	return nil
}

// readInput reads one line from t.in, echoing it when echo is set. The
// terminal is switched to non-canonical mode with its own echo off for the
// read and restored afterwards; signals stay on (ISIG), so Ctrl-C still
// sends SIGINT to the whole foreground job, as at any other prompt. The read
// waits for input, SIGINT or Close together (select with a wake-up pipe) and
// ends with ErrInterrupted or errClosed for the latter two.
func (t *Terminal) readInput(echo bool) (string, error) {
	fd := int(t.in.Fd())
	saved, err := unix.IoctlGetTermios(fd, getTermios)
	if err != nil {
		if echo {
			return readLine(t.in) // not a terminal: plain input
		}
		return "", fmt.Errorf("%w: the input is not a terminal", ErrNoTTY)
	}
	// Catch SIGINT before the mode changes, so that a Ctrl-C typed once
	// the terminal is in its prompt mode always ends the prompt.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	defer signal.Stop(sigs)
	mode := *saved
	mode.Lflag &^= unix.ICANON | unix.ECHO | unix.ECHONL
	mode.Lflag |= unix.ISIG
	mode.Cc[unix.VMIN] = 1
	mode.Cc[unix.VTIME] = 0
	if err := unix.IoctlSetTermios(fd, setTermios, &mode); err != nil {
		return "", fmt.Errorf("setting terminal mode: %w", err)
	}
	defer func() { _ = unix.IoctlSetTermios(fd, setTermios, saved) }()

	wakeR, wakeW, err := os.Pipe()
	if err != nil {
		return "", fmt.Errorf("creating a pipe: %w", err)
	}
	defer wakeR.Close()
	defer wakeW.Close()
	wfd := int(wakeR.Fd())
	if fd >= fdSetSize || wfd >= fdSetSize {
		return "", fmt.Errorf("reading from terminal: descriptor %d too large for select", max(fd, wfd))
	}

	stop := make(chan error, 1)
	done := make(chan struct{})
	watcher := make(chan struct{})
	go func() {
		defer close(watcher)
		select {
		case <-sigs:
			stop <- ErrInterrupted
		case <-t.closing:
			stop <- errClosed
		case <-done:
			return
		}
		_, _ = wakeW.Write([]byte{0})
	}()
	defer func() { close(done); <-watcher }()

	e := editor{echo: echo, out: t.out, mode: saved}
	var b [1]byte
	for {
		var set unix.FdSet
		set.Set(fd)
		set.Set(wfd)
		if _, err := unix.Select(max(fd, wfd)+1, &set, nil, nil, nil); err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return "", fmt.Errorf("waiting for terminal input: %w", err)
		}
		if set.IsSet(wfd) {
			return "", <-stop
		}
		if !set.IsSet(fd) {
			continue
		}
		// One byte at a time: what follows the line stays for the next read.
		n, err := unix.Read(fd, b[:])
		switch {
		case errors.Is(err, unix.EINTR), errors.Is(err, unix.EAGAIN):
			continue
		case err != nil:
			return "", err
		case n == 0:
			return e.eof()
		}
		if line, end, err := e.key(b[0]); end {
			return line, err
		}
	}
}

// fdSetSize is how many descriptors an FdSet holds.
const fdSetSize = 8 * int(unsafe.Sizeof(unix.FdSet{}))

// editor is the line editing the kernel does in canonical mode, redone for
// non-canonical mode with the terminal's own special characters.
type editor struct {
	echo bool
	out  io.Writer
	mode *unix.Termios // the terminal's own settings, for its special characters
	line []byte
}

// key handles one input byte; end reports that the line is complete.
func (e *editor) key(c byte) (line string, end bool, err error) {
	switch {
	case c == '\n' || c == '\r':
		if e.echo {
			e.write("\n")
		}
		return string(e.line), true, nil
	case c == e.mode.Cc[unix.VEOF]:
		if len(e.line) == 0 {
			return "", true, io.EOF
		}
	case c == e.mode.Cc[unix.VERASE] || c == 0x7f || c == '\b':
		e.erase(1)
	case c == e.mode.Cc[unix.VKILL]:
		e.erase(utf8.RuneCount(e.line))
	case c == e.mode.Cc[unix.VWERASE]:
		e.eraseWord()
	case c < 0x20:
		// other control characters are not part of an answer
	default:
		e.line = append(e.line, c)
		if e.echo {
			e.write(string(c))
		}
	}
	return "", false, nil
}

// eof ends the line at end of input: a partial line is returned, an empty
// one is io.EOF.
func (e *editor) eof() (string, error) {
	if len(e.line) == 0 {
		return "", io.EOF
	}
	return string(e.line), nil
}

// erase removes the last n characters (runes, not bytes).
func (e *editor) erase(n int) {
	for ; n > 0 && len(e.line) > 0; n-- {
		_, size := utf8.DecodeLastRune(e.line)
		e.line = e.line[:len(e.line)-size]
		if e.echo {
			e.write("\b \b")
		}
	}
}

// eraseWord removes trailing blanks and the word before them.
func (e *editor) eraseWord() {
	for len(e.line) > 0 && e.line[len(e.line)-1] == ' ' {
		e.erase(1)
	}
	for len(e.line) > 0 && e.line[len(e.line)-1] != ' ' {
		e.erase(1)
	}
}

func (e *editor) write(s string) { _, _ = io.WriteString(e.out, s) }
