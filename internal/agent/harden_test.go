//go:build unix

package agent

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// TestHarden runs Harden in a child (it cannot be undone in the test
// process) and reads back what the child reports about itself.
func TestHarden(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := &exec.Cmd{Path: exe, Args: []string{hardenArgv0}}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("harden helper: %v: %s", err, out)
	}
	want := "core=0/0"
	if runtime.GOOS == "linux" {
		want = "dumpable=0 core=0/0"
	}
	if got := strings.TrimSpace(string(out)); got != want {
		t.Errorf("hardened child reports %q, want %q", got, want)
	}
}
