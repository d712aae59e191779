// Package tty talks to the user on the controlling terminal. Prompts never go
// to stdout or stderr: awsmfa's stdout is often captured by an SDK
// (credential_process) and botocore hides stderr unless the process fails, so
// a prompt there would be lost or would corrupt the output.
//
// A prompt is answered in the terminal's non-canonical mode, read byte by
// byte with awsmfa doing the line editing (erase, kill, word erase, end of
// file), so that the read can be abandoned at once: Ctrl-C (SIGINT) or Close
// ends it with the terminal's modes restored, where a read in the kernel's
// line mode would wait for Enter. Only the terminal's foreground job may
// prompt: a background job would be stopped by the shell (SIGTTIN, SIGTTOU)
// while holding whoever waits for its answer.
package tty

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/term"
)

// ErrNoTTY is returned (wrapped) by Open when the process has no controlling
// terminal, as under cron, in CI or when started by a GUI application.
var ErrNoTTY = errors.New("no controlling terminal")

// ErrBackground is returned (wrapped) by Open and by the prompts when the
// process is not in the terminal's foreground process group. It matches
// ErrNoTTY as well: a terminal that may not be used is, to the caller, no
// terminal.
var ErrBackground error = backgroundError{}

type backgroundError struct{}

func (backgroundError) Error() string {
	return "awsmfa runs in a background job and a prompt needs the terminal's foreground"
}

func (backgroundError) Is(target error) bool { return target == ErrNoTTY }

// ErrInterrupted is returned (wrapped) by a prompt that Ctrl-C (SIGINT)
// ended.
var ErrInterrupted = errors.New("interrupted")

// errClosed ends a prompt that Close abandoned.
var errClosed = errors.New("terminal closed")

// Terminal is the controlling terminal. Its methods may be called from several
// goroutines; each prompt-and-answer exchange happens as one unit. Close may
// be called while a prompt waits: the prompt ends at once.
type Terminal struct {
	mu  sync.Mutex // held for one exchange
	in  *os.File
	out *os.File

	closing   chan struct{} // closed by Close
	closeOnce sync.Once
}

// Open opens the controlling terminal: /dev/tty on unix, CONIN$ and CONOUT$ on
// windows. The error wraps ErrNoTTY when there is none, and ErrBackground
// when this process may not use it now.
func Open() (*Terminal, error) {
	return open(inputPath, outputPath)
}

// open opens in and out (the same path twice means one handle) and insists
// that the input is a terminal this process may use. The input is opened
// read-write because turning echo off on a windows console input handle
// needs write access.
func open(inPath, outPath string) (*Terminal, error) {
	in, err := os.OpenFile(inPath, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("opening terminal: %w: %w", ErrNoTTY, err)
	}
	if !term.IsTerminal(int(in.Fd())) {
		in.Close()
		return nil, fmt.Errorf("opening terminal: %w: %s is not a terminal", ErrNoTTY, inPath)
	}
	if err := foreground(in); err != nil {
		in.Close()
		return nil, fmt.Errorf("opening terminal: %w", err)
	}
	out := in
	if outPath != inPath {
		out, err = os.OpenFile(outPath, os.O_WRONLY, 0)
		if err != nil {
			in.Close()
			return nil, fmt.Errorf("opening terminal: %w: %w", ErrNoTTY, err)
		}
	}
	return newTerminal(in, out), nil
}

func newTerminal(in, out *os.File) *Terminal {
	return &Terminal{in: in, out: out, closing: make(chan struct{})}
}

// ReadSecret writes prompt to the terminal, reads one line with echo turned
// off and returns it without its line ending. A newline is written afterwards
// because the user's Enter was not echoed. Ctrl-C ends it with an error
// wrapping ErrInterrupted.
func (t *Terminal) ReadSecret(prompt string) (string, error) {
	return t.exchange(prompt, false, "reading secret from terminal")
}

// ReadLine writes prompt to the terminal and reads one line with echo on,
// returning it without its line ending. Nothing past the line is consumed:
// later reads see it. Ctrl-C ends it with an error wrapping ErrInterrupted.
func (t *Terminal) ReadLine(prompt string) (string, error) {
	return t.exchange(prompt, true, "reading from terminal")
}

func (t *Terminal) exchange(prompt string, echo bool, op string) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	select {
	case <-t.closing:
		return "", fmt.Errorf("%s: %w", op, errClosed)
	default:
	}
	if err := foreground(t.in); err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	if _, err := io.WriteString(t.out, prompt); err != nil {
		return "", fmt.Errorf("writing prompt to terminal: %w", err)
	}
	line, err := t.readInput(echo)
	if !echo || (err != nil && !errors.Is(err, io.EOF)) {
		// The Enter that ended a secret, or the Ctrl-C that ended a
		// prompt, was not echoed: end the line.
		_, _ = io.WriteString(t.out, "\n")
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	return line, nil
}

// readLine reads up to and including '\n'. A final line without '\n' is
// returned when EOF follows it; EOF before any byte is io.EOF. It is the read
// for input that is not a terminal.
func readLine(r io.Reader) (string, error) {
	var sb strings.Builder
	var b [1]byte
	for {
		n, err := r.Read(b[:])
		if n == 1 {
			if b[0] == '\n' {
				return strings.TrimSuffix(sb.String(), "\r"), nil
			}
			sb.WriteByte(b[0])
			continue
		}
		if errors.Is(err, io.EOF) {
			if sb.Len() == 0 {
				return "", io.EOF
			}
			return strings.TrimSuffix(sb.String(), "\r"), nil
		}
		if err != nil {
			return "", err
		}
	}
}

// Say writes a formatted message to the terminal.
func (t *Terminal) Say(format string, args ...any) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, err := fmt.Fprintf(t.out, format, args...); err != nil {
		return fmt.Errorf("writing to terminal: %w", err)
	}
	return nil
}

// Close ends a prompt in progress, which restores the terminal's modes, and
// releases the terminal handles.
func (t *Terminal) Close() error {
	t.closeOnce.Do(func() { close(t.closing) })
	t.mu.Lock()
	defer t.mu.Unlock()
	err := t.in.Close()
	if t.out != t.in {
		err = errors.Join(err, t.out.Close())
	}
	return err
}
