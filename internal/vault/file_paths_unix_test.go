//go:build unix

package vault

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Issue 7 item 5: a FIFO at the vault path hung every command.
func TestFileFIFOVaultRefusedWithoutBlocking(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, vaultFileName)
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		checkNonRegularVaultRefused(t, dir)
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		// Only a hang gets here: release every blocked open, then fail.
		for {
			select {
			case <-done:
				t.Fatal("blocked on a FIFO")
			default:
			}
			if w, err := os.OpenFile(fifo, os.O_WRONLY|unix.O_NONBLOCK, 0); err == nil {
				w.Close()
			}
			runtime.Gosched()
		}
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode().Type() != os.ModeNamedPipe {
		t.Errorf("the FIFO was replaced: %v", err)
	}
}
