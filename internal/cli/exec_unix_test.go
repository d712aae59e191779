//go:build unix

package cli

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// TestRunChildStatus: exec's exit status is the child's, or 128+N when
// signal N killed it.
func TestRunChildStatus(t *testing.T) {
	tests := []struct {
		script string
		want   int
	}{
		{"exit 0", 0},
		{"exit 3", 3},
		{"exit 255", 255},
		{"kill -KILL $$", 128 + int(syscall.SIGKILL)},
		{"kill -TERM $$", 128 + int(syscall.SIGTERM)},
	}
	for _, tt := range tests {
		t.Run(tt.script, func(t *testing.T) {
			err := runChild(context.Background(), exec.Command("sh", "-c", tt.script))
			if got := childStatus(t, err); got != tt.want {
				t.Errorf("status %d, want %d", got, tt.want)
			}
		})
	}
}

// TestRunChildForwardsSignals: a SIGTERM or SIGHUP sent to awsmfa reaches the
// child, and awsmfa itself survives to report the child's status.
func TestRunChildForwardsSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP, syscall.SIGUSR1} {
		t.Run(sig.String(), func(t *testing.T) {
			c := exec.Command("sh", "-c", `trap 'exit 42' `+sigName(sig)+`; echo ready; while :; do sleep 0.05; done`)
			out, err := c.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- runChild(context.Background(), c) }()
			if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
				t.Fatalf("child did not start: %v", err)
			}
			if err := syscall.Kill(os.Getpid(), sig); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-done:
				if got := childStatus(t, err); got != 42 {
					t.Errorf("status %d, want 42 (the child's trap)", got)
				}
			case <-time.After(10 * time.Second):
				_ = c.Process.Kill()
				t.Fatal("the child never got the signal")
			}
		})
	}
}

func sigName(s syscall.Signal) string {
	return map[syscall.Signal]string{syscall.SIGTERM: "TERM", syscall.SIGHUP: "HUP", syscall.SIGUSR1: "USR1"}[s]
}

func childStatus(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var st *exitStatusError
	if !errors.As(err, &st) {
		t.Fatalf("runChild: %v", err)
	}
	return st.code
}
