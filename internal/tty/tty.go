// Package tty talks to the user on the controlling terminal. Prompts never go
// to stdout or stderr: awsmfa's stdout is often captured by an SDK
// (credential_process) and botocore hides stderr unless the process fails, so
// a prompt there would be lost or would corrupt the output.
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

// Terminal is the controlling terminal. Its methods may be called from several
// goroutines; each prompt-and-answer exchange happens as one unit.
type Terminal struct {
	mu  sync.Mutex
	in  *os.File
	out *os.File
}

// Open opens the controlling terminal: /dev/tty on unix, CONIN$ and CONOUT$ on
// windows. The error wraps ErrNoTTY when there is none.
func Open() (*Terminal, error) {
	return open(inputPath, outputPath)
}

// open opens in and out (the same path twice means one handle) and insists
// that the input is a terminal. The input is opened read-write because turning
// echo off on a windows console input handle needs write access.
func open(inPath, outPath string) (*Terminal, error) {
	in, err := os.OpenFile(inPath, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("opening terminal: %w: %w", ErrNoTTY, err)
	}
	if !term.IsTerminal(int(in.Fd())) {
		in.Close()
		return nil, fmt.Errorf("opening terminal: %w: %s is not a terminal", ErrNoTTY, inPath)
	}
	out := in
	if outPath != inPath {
		out, err = os.OpenFile(outPath, os.O_WRONLY, 0)
		if err != nil {
			in.Close()
			return nil, fmt.Errorf("opening terminal: %w: %w", ErrNoTTY, err)
		}
	}
	return &Terminal{in: in, out: out}, nil
}

// ReadSecret writes prompt to the terminal, reads one line with echo turned
// off and returns it without its line ending. A newline is written afterwards
// because the user's Enter was not echoed.
func (t *Terminal) ReadSecret(prompt string) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, err := io.WriteString(t.out, prompt); err != nil {
		return "", fmt.Errorf("writing prompt to terminal: %w", err)
	}
	b, err := term.ReadPassword(int(t.in.Fd()))
	_, werr := io.WriteString(t.out, "\n")
	if err != nil {
		return "", fmt.Errorf("reading secret from terminal: %w", err)
	}
	if werr != nil {
		return "", fmt.Errorf("writing to terminal: %w", werr)
	}
	return string(b), nil
}

// ReadLine writes prompt to the terminal and reads one line with echo on,
// returning it without its line ending. It reads byte by byte so that nothing
// past the line is consumed and later reads see it.
func (t *Terminal) ReadLine(prompt string) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, err := io.WriteString(t.out, prompt); err != nil {
		return "", fmt.Errorf("writing prompt to terminal: %w", err)
	}
	line, err := readLine(t.in)
	if err != nil {
		return "", fmt.Errorf("reading from terminal: %w", err)
	}
	return line, nil
}

// readLine reads up to and including '\n'. A final line without '\n' is
// returned when EOF follows it; EOF before any byte is io.EOF.
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

// Close releases the terminal handles.
func (t *Terminal) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	err := t.in.Close()
	if t.out != t.in {
		err = errors.Join(err, t.out.Close())
	}
	return err
}
