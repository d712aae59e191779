package mfa

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/awsmfa/awsmfa/internal/session"
	"github.com/awsmfa/awsmfa/internal/tty"
)

func TestValidateCode(t *testing.T) {
	for _, tc := range []struct {
		code string
		ok   bool
	}{
		{"123456", true},
		{"000000", true},
		{"12345", false},
		{"1234567", false},
		{"12345a", false},
		{" 12345", false},
		{"１２３４５６", false}, // full-width digits are not ASCII
		{"", false},
	} {
		err := ValidateCode(tc.code)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateCode(%q) = %v, want ok=%v", tc.code, err, tc.ok)
		}
		if err != nil && session.KindOf(err) != session.KindBadCode {
			t.Errorf("ValidateCode(%q): kind %q, want %q", tc.code, session.KindOf(err), session.KindBadCode)
		}
	}
}

func TestSplitCommand(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		bad  bool
	}{
		{in: "otp-cli", want: []string{"otp-cli"}},
		{in: "  a  b\tc\n", want: []string{"a", "b", "c"}},
		{in: `a 'b c' d`, want: []string{"a", "b c", "d"}},
		{in: `a "b c" d`, want: []string{"a", "b c", "d"}},
		{in: `a'b c'd`, want: []string{"ab cd"}},
		{in: `a '' b`, want: []string{"a", "", "b"}},
		{in: `"a\"b" "c\\d" "e\f"`, want: []string{`a"b`, `c\d`, `e\f`}},
		{in: `'a\b'`, want: []string{`a\b`}},
		{in: `a\ b c`, want: []string{"a b", "c"}},
		{in: `"it's"`, want: []string{"it's"}},
		{in: `'unclosed`, bad: true},
		{in: `"unclosed`, bad: true},
		{in: `trailing\`, bad: true},
		{in: "", bad: true},
		{in: "   ", bad: true},
	} {
		got, err := SplitCommand(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("SplitCommand(%q) = %q, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("SplitCommand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// fakeTerminal answers prompts from a list and records what was shown.
// Once the answers run out, ReadLine blocks until Close.
type fakeTerminal struct {
	mu      sync.Mutex
	answers []string
	prompts []string
	said    []string
	closed  chan struct{}
	once    sync.Once
}

func newFakeTerminal(answers ...string) *fakeTerminal {
	return &fakeTerminal{answers: answers, closed: make(chan struct{})}
}

func (f *fakeTerminal) ReadLine(prompt string) (string, error) {
	f.mu.Lock()
	f.prompts = append(f.prompts, prompt)
	if len(f.answers) > 0 {
		a := f.answers[0]
		f.answers = f.answers[1:]
		f.mu.Unlock()
		return a, nil
	}
	f.mu.Unlock()
	<-f.closed
	return "", errors.New("terminal closed")
}

func (f *fakeTerminal) Say(format string, args ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.said = append(f.said, fmt.Sprintf(format, args...))
	return nil
}

func (f *fakeTerminal) Close() error {
	f.once.Do(func() { close(f.closed) })
	return nil
}

func (f *fakeTerminal) open() (Terminal, error) { return f, nil }

const serial = "arn:aws:iam::123456789012:mfa/alice"

func TestCodeSources(t *testing.T) {
	ask := func(attempt int, process, reason string) session.MFAAsk {
		return session.MFAAsk{Profile: "prod", Serial: serial, Process: process, Attempt: attempt, Reason: reason}
	}
	for _, tc := range []struct {
		name     string
		token    string
		tty      *fakeTerminal
		asks     []session.MFAAsk
		want     []string // codes; "" where an error is expected
		wantKind session.Kind
		prompts  int
	}{
		{name: "token once on attempt 1", token: "111111", asks: []session.MFAAsk{ask(1, "", "")}, want: []string{"111111"}},
		{name: "token not reused", token: "111111", asks: []session.MFAAsk{ask(1, "", ""), ask(1, "", "")},
			want: []string{"111111", ""}, wantKind: session.KindNoCodeSource},
		{name: "token not used for attempt 2, terminal is", token: "111111", tty: newFakeTerminal("222222"),
			asks: []session.MFAAsk{ask(2, "", "the previous code was rejected")}, want: []string{"222222"}, prompts: 1},
		{name: "malformed token", token: "12345", asks: []session.MFAAsk{ask(1, "", "")}, want: []string{""}, wantKind: session.KindBadCode},
		{name: "terminal", tty: newFakeTerminal(" 333333 "), asks: []session.MFAAsk{ask(1, "", "")}, want: []string{"333333"}, prompts: 1},
		{name: "terminal re-asks malformed input", tty: newFakeTerminal("abc", "444444"), asks: []session.MFAAsk{ask(1, "", "")},
			want: []string{"444444"}, prompts: 2},
		{name: "terminal gives up after 3", tty: newFakeTerminal("1", "2", "3", "4"), asks: []session.MFAAsk{ask(1, "", "")},
			want: []string{""}, wantKind: session.KindBadCode, prompts: 3},
		{name: "terminal refuses attempt 4", tty: newFakeTerminal("555555"), asks: []session.MFAAsk{ask(4, "", "")},
			want: []string{""}, wantKind: session.KindNoCodeSource},
		{name: "nothing", asks: []session.MFAAsk{ask(1, "", "")}, want: []string{""}, wantKind: session.KindNoCodeSource},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Source{Token: tc.token}
			if tc.tty != nil {
				s.OpenTTY = tc.tty.open
			}
			for i, a := range tc.asks {
				code, err := s.Code(t.Context(), a)
				if tc.want[i] != "" {
					if err != nil || code != tc.want[i] {
						t.Fatalf("ask %d: got %q, %v; want %q", i, code, err, tc.want[i])
					}
					continue
				}
				if err == nil {
					t.Fatalf("ask %d: got %q, want an error", i, code)
				}
				if k := session.KindOf(err); k != tc.wantKind {
					t.Fatalf("ask %d: kind %q (%v), want %q", i, k, err, tc.wantKind)
				}
				if tc.wantKind == session.KindNoCodeSource && !errors.Is(err, session.ErrCannotAsk) {
					t.Fatalf("ask %d: %v does not wrap ErrCannotAsk", i, err)
				}
			}
			if tc.tty != nil && len(tc.tty.prompts) != tc.prompts {
				t.Fatalf("%d prompts, want %d", len(tc.tty.prompts), tc.prompts)
			}
		})
	}
}

func TestPromptNamesProfileSerialAndReason(t *testing.T) {
	tty := newFakeTerminal("123456")
	s := &Source{OpenTTY: tty.open}
	if _, err := s.Code(t.Context(), session.MFAAsk{Profile: "prod", Serial: serial, Attempt: 2, Reason: "the previous code was rejected"}); err != nil {
		t.Fatal(err)
	}
	want := "MFA code for profile prod (" + serial + "): "
	if len(tty.prompts) != 1 || tty.prompts[0] != want {
		t.Errorf("prompts %q, want [%q]", tty.prompts, want)
	}
	if len(tty.said) != 1 || !strings.Contains(tty.said[0], "the previous code was rejected") {
		t.Errorf("said %q, want the reason", tty.said)
	}
}

func TestPromptStopsWhenContextEnds(t *testing.T) {
	tty := newFakeTerminal() // never answers
	opened := make(chan struct{})
	s := &Source{OpenTTY: func() (Terminal, error) { close(opened); return tty, nil }}
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		_, err := s.Code(ctx, session.MFAAsk{Profile: "p", Serial: serial, Attempt: 1})
		errc <- err
	}()
	<-opened
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	<-tty.closed // the terminal was closed, which ends the reader
}

// script writes an executable shell script (unix only) that appends a line
// to count and then runs body.
func script(t *testing.T, body string) (path, count string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("shell scripts")
	}
	dir := t.TempDir()
	count = filepath.Join(dir, "count")
	path = filepath.Join(dir, "mfa process") // a blank in the path exercises quoting
	text := "#!/bin/sh\necho run >> '" + count + "'\n" + body + "\n"
	if err := os.WriteFile(path, []byte(text), 0o700); err != nil {
		t.Fatal(err)
	}
	return path, count
}

func runs(t *testing.T, count string) int {
	t.Helper()
	b, err := os.ReadFile(count)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "run\n")
}

func TestProcess(t *testing.T) {
	for _, tc := range []struct {
		name     string
		body     string
		args     string
		want     string
		wantKind session.Kind
	}{
		{name: "prints code", body: `echo " 654321"`, want: "654321"},
		{name: "args are passed unsplit by a shell", body: `printf '%s' "$1"`, args: ` '12 34'`, wantKind: session.KindBadCode},
		{name: "args", body: `printf '%s%s\n' "$1" "$2"`, args: ` 123 "456"`, want: "123456"},
		{name: "not a code", body: `echo hello`, wantKind: session.KindBadCode},
		{name: "fails", body: `exit 3`, wantKind: session.KindNoCodeSource},
		{name: "env is the given one", body: `printf '%s\n' "$CODE_FROM_ENV"`, want: "777777"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, count := script(t, tc.body)
			var stderr strings.Builder
			s := &Source{Env: []string{"CODE_FROM_ENV=777777", "PATH=/usr/bin:/bin"}, Stderr: &stderr}
			cmd := "'" + path + "'" + tc.args
			code, err := s.Code(t.Context(), session.MFAAsk{Profile: "p", Serial: serial, Process: cmd, Attempt: 1})
			if tc.want != "" {
				if err != nil || code != tc.want {
					t.Fatalf("got %q, %v; want %q", code, err, tc.want)
				}
			} else if k := session.KindOf(err); k != tc.wantKind {
				t.Fatalf("got %q, %v (kind %q); want kind %q", code, err, k, tc.wantKind)
			}
			if n := runs(t, count); n != 1 {
				t.Fatalf("process ran %d times, want 1", n)
			}
		})
	}
}

func TestProcessOnlyOnFirstAttempt(t *testing.T) {
	path, count := script(t, `echo 123456`)
	tty := newFakeTerminal("654321")
	s := &Source{OpenTTY: tty.open, Env: []string{"PATH=/usr/bin:/bin"}}
	ask := session.MFAAsk{Profile: "p", Serial: serial, Process: "'" + path + "'", Attempt: 1}
	if code, err := s.Code(t.Context(), ask); err != nil || code != "123456" {
		t.Fatalf("attempt 1: %q, %v", code, err)
	}
	ask.Attempt = 2
	if code, err := s.Code(t.Context(), ask); err != nil || code != "654321" {
		t.Fatalf("attempt 2: %q, %v", code, err)
	}
	if n := runs(t, count); n != 1 {
		t.Fatalf("process ran %d times, want 1", n)
	}
	if len(tty.prompts) != 1 {
		t.Fatalf("%d prompts, want 1", len(tty.prompts))
	}
}

func TestTokenBeatsProcess(t *testing.T) {
	path, count := script(t, `echo 123456`)
	s := &Source{Token: "999999", Env: []string{"PATH=/usr/bin:/bin"}}
	code, err := s.Code(t.Context(), session.MFAAsk{Profile: "p", Serial: serial, Process: "'" + path + "'", Attempt: 1})
	if err != nil || code != "999999" {
		t.Fatalf("got %q, %v", code, err)
	}
	if n := runs(t, count); n != 0 {
		t.Fatalf("process ran %d times, want 0", n)
	}
}

// stderrWatch returns a pipe to use as the process's standard error, which
// everything it starts inherits, and a function that waits until all of them
// are gone (the pipe reaches end of file), failing after a generous bound.
func stderrWatch(t *testing.T) (*os.File, func()) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return w, func() {
		t.Helper()
		w.Close()
		if err := r.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadAll(r); err != nil {
			t.Fatalf("a process started by mfa_process is still running: %v", err)
		}
	}
}

// Issue 7 item 2: output without end is neither kept nor waited for. A code
// on the first line is enough (item 13), so `yes 123456` gives its code at
// once; endless output without a line break is refused with memory bounded.
func TestProcessOutputIsBounded(t *testing.T) {
	for _, tc := range []struct {
		name     string
		body     string
		want     string
		wantKind session.Kind
		wantMsg  string
	}{
		{name: "endless lines", body: `exec yes 123456`, want: "123456"},
		{name: "endless line", body: `exec cat /dev/zero`, wantKind: session.KindBadCode, wantMsg: "without a line break"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, _ := script(t, tc.body)
			stderr, waitGone := stderrWatch(t)
			s := &Source{Env: []string{"PATH=/usr/bin:/bin"}, Stderr: stderr}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			code, err := s.Code(t.Context(), session.MFAAsk{Profile: "p", Serial: serial, Process: "'" + path + "'", Attempt: 1})
			runtime.ReadMemStats(&after)
			if tc.want != "" {
				if err != nil || code != tc.want {
					t.Fatalf("got %q, %v; want %q", code, err, tc.want)
				}
			} else if session.KindOf(err) != tc.wantKind || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("got %q, %v; want kind %q and %q", code, err, tc.wantKind, tc.wantMsg)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
				t.Errorf("reading the output allocated %d bytes", n)
			}
			waitGone()
		})
	}
}

// Issue 7 item 13: a helper that leaves a child holding stdout still counts
// once it printed its code, and the child does not outlive the run.
func TestProcessChildHoldingStdout(t *testing.T) {
	path, _ := script(t, `sleep 1000 & echo 123456`)
	stderr, waitGone := stderrWatch(t)
	s := &Source{Env: []string{"PATH=/usr/bin:/bin"}, Stderr: stderr}
	code, err := s.Code(t.Context(), session.MFAAsk{Profile: "p", Serial: serial, Process: "'" + path + "'", Attempt: 1})
	if err != nil || code != "123456" {
		t.Fatalf("got %q, %v", code, err)
	}
	waitGone()
}

// Issue 7 item 13: on timeout the whole process group is killed, not only
// the direct child.
func TestProcessTimeoutKillsEverything(t *testing.T) {
	path, _ := script(t, `sleep 1000 & sleep 1000 & wait`)
	stderr, waitGone := stderrWatch(t)
	s := &Source{Env: []string{"PATH=/usr/bin:/bin"}, Stderr: stderr, ProcessTimeout: 50 * time.Millisecond}
	_, err := s.Code(t.Context(), session.MFAAsk{Profile: "p", Serial: serial, Process: "'" + path + "'", Attempt: 1})
	if session.KindOf(err) != session.KindNoCodeSource || !strings.Contains(err.Error(), "in time") {
		t.Fatalf("got %v, want a timeout", err)
	}
	waitGone()
}

// Issue 7 item 25: a background job does not prompt; it tells the Broker it
// cannot ask (another client may), and says why.
func TestBackgroundJobDoesNotPrompt(t *testing.T) {
	s := &Source{OpenTTY: func() (Terminal, error) {
		return nil, fmt.Errorf("opening terminal: %w", tty.ErrBackground)
	}}
	_, err := s.Code(t.Context(), session.MFAAsk{Profile: "p", Serial: serial, Attempt: 1})
	if session.KindOf(err) != session.KindNoCodeSource || !errors.Is(err, session.ErrCannotAsk) {
		t.Fatalf("got %v (kind %q), want a KindNoCodeSource that cannot ask", err, session.KindOf(err))
	}
	if !strings.Contains(err.Error(), "background") {
		t.Fatalf("error %q does not say the job is in the background", err)
	}
}
