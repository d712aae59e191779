package compat

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// result is what a finished child left behind.
type result struct {
	stdout, stderr string
	err            error
}

// failure describes a failed run for a test message. It quotes stderr, which
// may name a key id but never holds a secret: the clients print only error
// messages there, and the tests never pass a secret on a command line.
func (r result) failure(what string) string {
	return fmt.Sprintf("%s: %v\nstderr:\n%s", what, r.err, tail(r.stderr))
}

// child is one command to run.
type child struct {
	env   []string
	dir   string
	stdin string
	name  string
	args  []string
}

// run runs c to completion in a session of its own (see detach) and returns
// its output. The child and its process group are killed if the test ends
// or toolTimeout passes first.
func run(t *testing.T, c child) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), toolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.name, c.args...)
	cmd.Env = c.env
	cmd.Dir = c.dir
	cmd.Stdin = strings.NewReader(c.stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	detach(cmd)
	cmd.Cancel = func() error { return killGroup(cmd) }
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	return result{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

// tail keeps the end of a child's stderr, where the error is (a Python
// traceback ends with it).
func tail(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 1500 {
		return "…" + s[len(s)-1500:]
	}
	return s
}

// mustRun runs c and fails the test unless it exits 0; it returns stdout.
func mustRun(t *testing.T, what string, c child) string {
	t.Helper()
	r := run(t, c)
	if r.err != nil {
		t.Fatal(r.failure(what))
	}
	return r.stdout
}

// background starts c without waiting for it. The test's cleanup kills its
// process group and reaps it. exited is closed when the child is gone.
func background(t *testing.T, c child, output io.Writer) (cmd *exec.Cmd, exited <-chan struct{}) {
	t.Helper()
	cmd = exec.Command(c.name, c.args...)
	cmd.Env = c.env
	cmd.Dir = c.dir
	cmd.Stdout, cmd.Stderr = output, output
	detach(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", c.name, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		_ = killGroup(cmd)
		<-done
	})
	return cmd, done
}

// lockedBuffer is an io.Writer safe for a child's two output pipes and a
// reader in the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
