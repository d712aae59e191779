//go:build unix

package agent

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestProcessWatch: the watch returns when the watched process ends, and
// not before (issue 7 item 12: lock waits until the agent's process is
// gone).
func TestProcessWatch(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := &exec.Cmd{Path: exe, Args: []string{sleeperArgv0}}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	reaped := make(chan error, 1)
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-reaped
	})
	pw := watchProcess(cmd.Process.Pid)
	defer pw.close()

	// While the process lives, the wait ends only with its context.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := pw.wait(ctx, time.Minute); err == nil {
		t.Fatal("wait returned nil while the process runs")
	}

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	go func() { reaped <- cmd.Wait() }()
	if err := pw.wait(context.Background(), time.Minute); err != nil {
		t.Fatalf("wait after kill: %v", err)
	}
}

// TestProcessWatchGone: a process that is already gone needs no wait.
func TestProcessWatchGone(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := &exec.Cmd{Path: exe, Args: []string{sleeperArgv0}}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	pw := watchProcess(cmd.Process.Pid)
	defer pw.close()
	if err := pw.wait(context.Background(), time.Minute); err != nil {
		t.Fatalf("wait for a reaped process: %v", err)
	}
}
