//go:build unix

package awsconfig

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Issue 7 item 5: a FIFO at the config or credentials path hung every
// command, and a device was read as a file. Reads and edits refuse both
// at once; the FIFO stays a FIFO. (/dev/null is only read here: old code
// run as root would replace it.)
func TestFIFOAndDeviceRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "credentials")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		checkNonRegularRefused(t, fifo)
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
	if _, err := ReadFile("/dev/null"); err == nil {
		t.Error("ReadFile(/dev/null) succeeded")
	}
}

// Issue 7 item 5: as root, AWS_CONFIG_FILE naming a character device turned
// it into a regular file (and /dev/null would have gone the same way). The
// device here is a private one, made only where the test may.
func TestCharDeviceNotReplaced(t *testing.T) {
	dev := filepath.Join(t.TempDir(), "config")
	if err := unix.Mknod(dev, unix.S_IFCHR|0o600, int(unix.Mkdev(1, 3))); err != nil {
		t.Skipf("cannot make a character device here: %v", err)
	}
	checkNonRegularRefused(t, dev)
	if fi, err := os.Lstat(dev); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Errorf("the device was replaced: %v", err)
	}
}
