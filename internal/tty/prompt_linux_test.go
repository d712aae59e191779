package tty

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// ptyTerminal opens a Terminal on a new pseudo-terminal (not this process's
// controlling terminal) and returns it with the pty's controlling side.
func ptyTerminal(t *testing.T) (*Terminal, *os.File) {
	t.Helper()
	master, slavePath := openPTY(t)
	term, err := open(slavePath, slavePath)
	if err != nil {
		t.Fatalf("open %s: %v", slavePath, err)
	}
	t.Cleanup(func() { term.Close() })
	return term, master
}

func lflag(t *testing.T, f *os.File) uint32 {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return tio.Lflag
}

// waitPromptMode waits until the terminal left canonical mode, which a prompt
// does once it is ready for input (and catching SIGINT).
func waitPromptMode(t *testing.T, f *os.File, done <-chan result) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for lflag(t, f)&unix.ICANON != 0 {
		select {
		case r := <-done:
			t.Fatalf("the prompt returned (%q, %v) before any input", r.s, r.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the prompt never switched the terminal's mode")
		}
		// Let the prompt's goroutine run: on a loaded machine it may not
		// have been scheduled yet.
		<-time.After(time.Millisecond)
	}
}

type result struct {
	s   string
	err error
}

func startPrompt(term *Terminal, secret bool) <-chan result {
	done := make(chan result, 1)
	go func() {
		var r result
		if secret {
			r.s, r.err = term.ReadSecret("? ")
		} else {
			r.s, r.err = term.ReadLine("? ")
		}
		done <- r
	}()
	return done
}

// Issue 7 item 18: SIGINT (what Ctrl-C sends) ends a prompt at once, without
// waiting for Enter, and the terminal's modes are restored.
func TestPromptEndsOnSIGINT(t *testing.T) {
	for _, secret := range []bool{false, true} {
		t.Run(fmt.Sprintf("secret=%v", secret), func(t *testing.T) {
			term, master := ptyTerminal(t)
			before := lflag(t, term.in)
			done := startPrompt(term, secret)
			waitPromptMode(t, term.in, done)
			if _, err := master.WriteString("12"); err != nil { // typed, no Enter
				t.Fatal(err)
			}
			if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			r := <-done
			if !errors.Is(r.err, ErrInterrupted) {
				t.Fatalf("got (%q, %v), want ErrInterrupted", r.s, r.err)
			}
			if after := lflag(t, term.in); after != before {
				t.Fatalf("local modes %#x after the prompt, %#x before", after, before)
			}
			out := readUntil(t, master, "\n")
			if secret && strings.Contains(out, "12") {
				t.Fatalf("secret input echoed: %q", out)
			}
		})
	}
}

// Close ends a prompt in progress (mfa.Source does when its context ends)
// and restores the terminal: it used to wait for the prompt's lock, so both
// waited for Enter.
func TestCloseEndsPrompt(t *testing.T) {
	term, _ := ptyTerminal(t)
	before := lflag(t, term.in)
	fd := term.in
	done := startPrompt(term, false)
	waitPromptMode(t, fd, done)
	// Keep a second handle: Close closes term.in.
	tio, err := os.OpenFile(fd.Name(), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer tio.Close()
	if err := term.Close(); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err == nil {
		t.Fatalf("prompt returned %q after Close", r.s)
	}
	if after := lflag(t, tio); after != before {
		t.Fatalf("local modes %#x after Close, %#x before", after, before)
	}
}

// The line editing the kernel did in canonical mode still works.
func TestLineEditing(t *testing.T) {
	for _, tc := range []struct {
		name, typed, want string
		secret            bool
		wantEOF           bool
	}{
		{name: "plain", typed: "123456\n", want: "123456"},
		{name: "carriage return", typed: "123456\r", want: "123456"},
		{name: "erase", typed: "1234567\x7f\n", want: "123456"},
		{name: "backspace", typed: "1234567\b\n", want: "123456"},
		{name: "erase a multibyte character", typed: "wörd\x7f\x7f\x7fo\n", want: "wo"},
		{name: "kill line", typed: "999\x15123456\n", want: "123456"},
		{name: "erase word", typed: "pass wrong\x17word\n", want: "pass word"},
		{name: "other control characters dropped", typed: "12\x0134\n", want: "1234"},
		{name: "eof on empty line", typed: "\x04", wantEOF: true},
		{name: "eof mid-line ignored", typed: "12\x0434\n", want: "1234"},
		{name: "secret", typed: "s3cret\x7fT wörd\n", want: "s3creT wörd", secret: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			term, master := ptyTerminal(t)
			done := startPrompt(term, tc.secret)
			waitPromptMode(t, term.in, done)
			if _, err := master.WriteString(tc.typed); err != nil {
				t.Fatal(err)
			}
			r := <-done
			if tc.wantEOF {
				if !errors.Is(r.err, io.EOF) {
					t.Fatalf("got (%q, %v), want EOF", r.s, r.err)
				}
				return
			}
			if r.err != nil || r.s != tc.want {
				t.Fatalf("got (%q, %v), want %q", r.s, r.err, tc.want)
			}
			shown := readUntil(t, master, "\n")
			if tc.secret {
				if shown != "? \r\n" {
					t.Fatalf("terminal showed %q", shown)
				}
			} else if !strings.HasPrefix(shown, "? ") || !strings.HasSuffix(shown, tc.want+"\r\n") && !strings.Contains(shown, "\b \b") {
				t.Fatalf("terminal showed %q", shown)
			}
		})
	}
}

// Issue 7 item 25: only the terminal's foreground job may prompt. The test
// binary is started as the leader of a new session on a pty (so in its
// foreground), and starts itself again in a process group of its own (a
// background job). The leader may open the terminal; the background job is
// refused with ErrBackground, which also matches ErrNoTTY.
func TestOnlyTheForegroundPrompts(t *testing.T) {
	if role := os.Getenv("AWSMFA_TTYTEST_ROLE"); role != "" {
		t.Skip("helper process")
	}
	_, slavePath := openPTY(t)
	slave, err := os.OpenFile(slavePath, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer slave.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestForegroundHelper$")
	cmd.Env = append(os.Environ(), "AWSMFA_TTYTEST_ROLE=leader")
	cmd.Stdin = slave
	var out strings.Builder
	cmd.Stdout = &out
	cmd.Stderr = &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Run(); err != nil {
		t.Fatalf("helper: %v\n%s", err, out.String())
	}
	for _, want := range []string{"leader: opened", "background: refused, background=true, notty=true"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("helper output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestForegroundHelper is the helper of TestOnlyTheForegroundPrompts.
func TestForegroundHelper(t *testing.T) {
	switch os.Getenv("AWSMFA_TTYTEST_ROLE") {
	case "leader":
		term, err := Open()
		if err != nil {
			fmt.Printf("leader: %v\n", err)
		} else {
			fmt.Println("leader: opened")
			term.Close()
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestForegroundHelper$")
		cmd.Env = append(os.Environ(), "AWSMFA_TTYTEST_ROLE=background")
		cmd.Stdout = os.Stdout
		cmd.Stderr = os.Stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Run(); err != nil {
			fmt.Printf("leader: background helper: %v\n", err)
		}
	case "background":
		term, err := Open()
		if err == nil {
			term.Close()
			fmt.Println("background: opened")
			return
		}
		fmt.Printf("background: refused, background=%v, notty=%v: %v\n", errors.Is(err, ErrBackground), errors.Is(err, ErrNoTTY), err)
	default:
		t.Skip("helper process, run by TestOnlyTheForegroundPrompts")
	}
}
