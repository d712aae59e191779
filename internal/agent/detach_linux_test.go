package agent

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func hardenReport() string {
	dumpable, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
	if err != nil {
		return "error: " + err.Error()
	}
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &rl); err != nil {
		return "error: " + err.Error()
	}
	return fmt.Sprintf("dumpable=%d core=%d/%d", dumpable, rl.Cur, rl.Max)
}

// TestStartDetached starts the test binary as a sleeping helper and checks
// what the agent's process must look like from outside.
func TestStartDetached(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ready := filepath.Join(t.TempDir(), "ready")
	if err := unix.Mkfifo(ready, 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"AWSMFA_TEST_MARK=1", "AWSMFA_TEST_READY=" + ready}
	pid, err := StartDetached(exe, sleeperArgv0, []string{"agent", "run"}, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Errorf("killing %d: %v", pid, err)
		}
		var ws syscall.WaitStatus
		if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
			t.Errorf("reaping %d: %v", pid, err)
		}
	})
	proc := "/proc/" + strconv.Itoa(pid)

	// Inspect the child only once it runs its main: while the dynamic
	// loader of a -race (cgo) binary starts, it briefly holds libc open.
	started := make(chan error, 1)
	go func() {
		// Open blocks until the child opens the FIFO to write; the read
		// ends at EOF, once the child has closed it again.
		f, err := os.Open(ready)
		if err == nil {
			_, err = io.ReadAll(f)
			f.Close()
		}
		started <- err
	}()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("waiting for the child to start: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the child did not start within a minute")
	}

	stat, err := os.ReadFile(proc + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the parenthesised command: state ppid pgrp session ...
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(fields) < 4 {
		t.Fatalf("short %s/stat: %q", proc, stat)
	}
	if fields[2] != strconv.Itoa(pid) || fields[3] != strconv.Itoa(pid) {
		t.Errorf("process group %s, session %s; want both %d (a new session)", fields[2], fields[3], pid)
	}
	if mySid, _ := unix.Getsid(0); strconv.Itoa(mySid) == fields[3] {
		t.Errorf("child shares the caller's session %d", mySid)
	}

	for fd := 0; fd <= 2; fd++ {
		target, err := os.Readlink(fmt.Sprintf("%s/fd/%d", proc, fd))
		if err != nil || target != os.DevNull {
			t.Errorf("fd %d -> %q, %v; want %s", fd, target, err, os.DevNull)
		}
	}
	fds, err := os.ReadDir(proc + "/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range fds {
		n, _ := strconv.Atoi(e.Name())
		if n <= 2 {
			continue
		}
		// The Go runtime opens its own descriptors (epoll, pipes, and the
		// cgroup CPU limit files it re-reads to size GOMAXPROCS); none may be
		// a file of ours.
		target, _ := os.Readlink(proc + "/fd/" + e.Name())
		if strings.HasPrefix(target, "/") && !strings.HasPrefix(target, "/dev/") && !strings.HasPrefix(target, "/sys/fs/cgroup/") {
			t.Errorf("child holds fd %d -> %s", n, target)
		}
	}

	cmdline, err := os.ReadFile(proc + "/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(cmdline), sleeperArgv0+"\x00agent\x00run\x00"; got != want {
		t.Errorf("cmdline %q, want %q", got, want)
	}
	environ, err := os.ReadFile(proc + "/environ")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(environ), strings.Join(env, "\x00")+"\x00"; got != want {
		t.Errorf("environment %q, want %q", got, want)
	}
	if cwd, err := os.Readlink(proc + "/cwd"); err != nil || cwd != "/" {
		t.Errorf("cwd %q, %v; want /", cwd, err)
	}
}

func TestStartDetachedMissingExecutable(t *testing.T) {
	_, err := StartDetached("/nonexistent/awsmfa", "awsmfa", nil, nil)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("StartDetached = %v, want a not-exist error", err)
	}
}
