//go:build unix

package agent

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// inheritedHelper is the child of TestCloseInherited: fd 3 is a pipe's
// write end it inherited; it opens a file of its own, calls CloseInherited
// and reports which of the two are still open.
func inheritedHelper() {
	own, err := os.Open(os.DevNull)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	if err := CloseInherited(); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	state := func(fd uintptr) string {
		if _, err := unix.FcntlInt(fd, unix.F_GETFD, 0); err != nil {
			return "closed"
		}
		return "open"
	}
	fmt.Printf("inherited=%s own=%s\n", state(3), state(own.Fd()))
	os.Exit(0)
}

// TestCloseInherited: the agent drops descriptors its starter passed on
// without meaning to (the terminal a testscript's ttyin gives its command
// as fd 3 kept the pty open, so the script never ended), and keeps its own.
func TestCloseInherited(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// As ExtraFiles, w is fd 3 in the child, without FD_CLOEXEC.
	cmd := &exec.Cmd{Path: exe, Args: []string{inheritedArgv0}, ExtraFiles: []*os.File{w}}
	out, err := cmd.Output()
	w.Close()
	if err != nil {
		t.Fatalf("helper: %v (%s)", err, out)
	}
	if got, want := strings.TrimSpace(string(out)), "inherited=closed own=open"; got != want {
		t.Errorf("helper reports %q, want %q", got, want)
	}
}
