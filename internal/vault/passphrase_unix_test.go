//go:build unix

package vault

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/awsmfa/awsmfa/internal/secretcmd"
	"golang.org/x/sys/unix"
)

func needSh(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh here")
	}
}

// Issue 7 item 8: a hung passphrase command ends at the time limit instead of
// keeping the vault, and every client waiting for it, locked.
func TestPassphraseCommandTimeout(t *testing.T) {
	needSh(t)
	_, err := runPassphraseCommand(t.Context(), `sh -c 'sleep 1000'`, 50*time.Millisecond)
	if !errors.Is(err, secretcmd.ErrTimeout) {
		t.Fatalf("got %v, want a timeout", err)
	}
}

// Issue 7 item 13, applied to the passphrase command: a child left holding
// stdout does not block the answer.
func TestPassphraseCommandChildHoldingStdout(t *testing.T) {
	needSh(t)
	got, err := runPassphraseCommand(t.Context(), `sh -c 'sleep 1000 & echo "pass phrase"'`, time.Minute)
	if err != nil || trimNewline(got) != "pass phrase" {
		t.Fatalf("got %q, %v", got, err)
	}
}

// Issue 7 item 13, applied to the passphrase command: when the run ends,
// what the command started ends too. The command's processes hold a FIFO
// open for writing; the FIFO reaches end of file when the last one is gone.
func TestPassphraseCommandLeavesNothing(t *testing.T) {
	needSh(t)
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	opened := make(chan *os.File, 1)
	go func() {
		f, err := os.Open(fifo) // returns once the command opened it for writing
		if err != nil {
			close(opened)
			return
		}
		opened <- f
	}()
	errc := make(chan error, 1)
	go func() {
		_, err := runPassphraseCommand(ctx, `sh -c 'exec 3>"$0"; sleep 1000 & sleep 1000 & wait' `+fifo, time.Minute)
		errc <- err
	}()
	f, ok := <-opened
	if !ok {
		t.Fatal("opening the FIFO failed")
	}
	defer f.Close()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if err := f.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(f); err != nil {
		t.Fatalf("a process started by the passphrase command is still running: %v", err)
	}
}
