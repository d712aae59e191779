//go:build unix

package secretcmd

import (
	"context"
	"errors"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// sh returns a Command running body with /bin/sh and this test's PATH.
func sh(body string) Command {
	return Command{Argv: []string{"/bin/sh", "-c", body}, Env: []string{"PATH=" + os.Getenv("PATH")}}
}

// watch gives c a standard error that every process of the run inherits, and
// returns a function that waits until all of them are gone: the pipe reaches
// end of file when its last holder dies. It fails the test if one is still
// there after a generous bound.
func watch(t *testing.T, c *Command) (waitGone func()) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	c.Stderr = w
	return func() {
		t.Helper()
		w.Close()
		if err := r.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadAll(r); err != nil {
			t.Fatalf("a process started by the command is still running: %v", err)
		}
	}
}

func TestAnswer(t *testing.T) {
	for _, tc := range []struct {
		name    string
		body    string
		output  Output
		want    string
		wantErr string
	}{
		{name: "first line", body: `echo 123456; echo other`, want: "123456"},
		{name: "crlf", body: `printf '123456\r\nx\r\n'`, want: "123456"},
		{name: "no line break", body: `printf 123456`, want: "123456"},
		{name: "endless lines", body: `yes 123456`, want: "123456"},
		{name: "a line is enough, whatever follows", body: `echo 123456; exec sleep 1000`, want: "123456"},
		{name: "line then failure", body: `echo 123456; exit 3`, want: "123456"},
		{name: "failure without a line", body: `printf 12; exit 3`, wantErr: "exit status 3"},
		{name: "nothing", body: `true`, want: ""},
		{name: "whole output", body: `printf 'a\nb\n'`, output: WholeOutput, want: "a\nb\n"},
		{name: "whole output needs status 0", body: `echo out; exit 4`, output: WholeOutput, wantErr: "exit status 4"},
		{name: "killed", body: `echo; kill -9 $$`, output: WholeOutput, wantErr: "signal: killed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := sh(tc.body)
			c.Output = tc.output
			waitGone := watch(t, &c)
			got, err := Run(t.Context(), c)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %q, %v; want error %q", got, err, tc.wantErr)
				}
			} else if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
			waitGone()
		})
	}
}

// A helper that leaves a child holding standard output: the answer still
// counts, and the child does not outlive the run.
func TestChildHoldingOutput(t *testing.T) {
	for _, tc := range []struct {
		name   string
		body   string
		output Output
		want   string
	}{
		{name: "first line", body: `sleep 1000 & echo 123456`, want: "123456"},
		{name: "first line without a line break", body: `sleep 1000 & printf 123456`, want: "123456"},
		{name: "whole output", body: `sleep 1000 & printf 'pass phrase'`, output: WholeOutput, want: "pass phrase"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := sh(tc.body)
			c.Output = tc.output
			waitGone := watch(t, &c)
			got, err := Run(t.Context(), c)
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
			waitGone()
		})
	}
}

func TestTimeoutKillsTheGroup(t *testing.T) {
	c := sh(`sleep 1000 & sleep 1000 & wait`)
	c.Timeout = 50 * time.Millisecond
	waitGone := watch(t, &c)
	_, err := Run(t.Context(), c)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
	waitGone()
}

func TestContextEndKillsTheGroup(t *testing.T) {
	c := sh(`sleep 1000 & echo started >&2; wait`)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	c.Stderr = w
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		b := make([]byte, 64)
		var seen strings.Builder
		for !strings.Contains(seen.String(), "started") {
			n, err := r.Read(b)
			if err != nil {
				return
			}
			seen.Write(b[:n])
		}
		cancel()
	}()
	_, err = Run(ctx, c)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	w.Close()
	if err := r.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(r); err != nil {
		t.Fatalf("a process started by the command is still running: %v", err)
	}
}

// Endless output without a line break is refused without reading it all:
// memory stays bounded and the command is stopped at once.
func TestTooMuchOutput(t *testing.T) {
	for _, output := range []Output{FirstLine, WholeOutput} {
		c := sh(`cat /dev/zero`)
		c.Output = output
		c.MaxOutput = 4 << 10
		waitGone := watch(t, &c)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := Run(t.Context(), c)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrTooMuchOutput) {
			t.Fatalf("output %d: got %v, want ErrTooMuchOutput", output, err)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
			t.Errorf("output %d: the run allocated %d bytes", output, n)
		}
		waitGone()
	}
}

func TestStderrWriter(t *testing.T) {
	c := sh(`echo to-stderr >&2; echo 123456`)
	var stderr strings.Builder
	c.Stderr = &stderr
	got, err := Run(t.Context(), c)
	if err != nil || got != "123456" {
		t.Fatalf("got %q, %v", got, err)
	}
	// Run returns only once the copy of standard error is done.
	if stderr.String() != "to-stderr\n" {
		t.Fatalf("stderr %q", stderr.String())
	}
}

func TestEnvironmentIsExactlyEnv(t *testing.T) {
	t.Setenv("SECRETCMD_TEST_PARENT", "leak")
	for _, tc := range []struct {
		env  []string
		want string
	}{
		{env: nil, want: ""},
		{env: []string{"ONLY=this"}, want: "ONLY=this\n"},
	} {
		c := Command{Argv: []string{"/usr/bin/env"}, Env: tc.env, Output: WholeOutput}
		got, err := Run(t.Context(), c)
		if err != nil || got != tc.want {
			t.Fatalf("env %q: got %q, %v; want %q", tc.env, got, err, tc.want)
		}
	}
}

func TestStartFailure(t *testing.T) {
	_, err := Run(t.Context(), Command{Argv: []string{"/nonexistent/secret-helper"}})
	if err == nil || !strings.Contains(err.Error(), "starting the command") {
		t.Fatalf("got %v", err)
	}
	if _, err := Run(t.Context(), Command{}); err == nil {
		t.Fatal("an empty command ran")
	}
}
