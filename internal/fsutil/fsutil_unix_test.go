//go:build unix

package fsutil

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// mustNotBlock runs fn, which must return without a writer ever opening the
// FIFO. Should fn block in open (a bug), the FIFO is opened for writing to
// release it, after a wait long enough for any loaded machine: the timer
// only turns a hang into a failure, a passing run never waits for it.
func mustNotBlock(t *testing.T, fifo string, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		if w, err := os.OpenFile(fifo, os.O_WRONLY|unix.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		<-done
		t.Fatalf("blocked on the FIFO %s", fifo)
		return nil
	}
}

// Issue 7 item 5: a FIFO at a path awsmfa reads hung every command; a
// device (here /dev/null, only read) was treated as a file.
func TestNonRegularFilesAreRefusedWithoutBlocking(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(fifo, link); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fifo, link, "/dev/null"} {
		err := mustNotBlock(t, fifo, func() error {
			f, err := OpenRegular(p)
			if err == nil {
				f.Close()
			}
			return err
		})
		if !errors.Is(err, ErrNotRegular) {
			t.Errorf("OpenRegular(%s) = %v, want ErrNotRegular", p, err)
		}
		if err := CheckRegular(p); !errors.Is(err, ErrNotRegular) {
			t.Errorf("CheckRegular(%s) = %v, want ErrNotRegular", p, err)
		}
	}
	for _, p := range []string{fifo, link} {
		err := mustNotBlock(t, fifo, func() error { return WriteFileAtomic(p, []byte("new"), FileMode) })
		if !errors.Is(err, ErrNotRegular) {
			t.Errorf("WriteFileAtomic(%s) = %v, want ErrNotRegular", p, err)
		}
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode().Type() != fs.ModeNamedPipe {
		t.Errorf("the FIFO was replaced: %v", err)
	}
	if fi, err := os.Stat("/dev/null"); err != nil || fi.Mode()&fs.ModeCharDevice == 0 {
		t.Errorf("/dev/null is no longer a character device: %v", err)
	}
}

// mkCharDevice makes a character device (the null device's numbers) at
// path, or skips the test where that needs privileges the test lacks.
func mkCharDevice(t *testing.T, path string) {
	t.Helper()
	if err := unix.Mknod(path, unix.S_IFCHR|0o600, int(unix.Mkdev(1, 3))); err != nil {
		t.Skipf("cannot make a character device here: %v", err)
	}
}

// Issue 7 item 5: as root, an edit turned a character device at the path
// into a regular file.
func TestCharDeviceNotReplaced(t *testing.T) {
	dev := filepath.Join(t.TempDir(), "config")
	mkCharDevice(t, dev)
	if err := WriteFileAtomic(dev, []byte("new"), FileMode); !errors.Is(err, ErrNotRegular) {
		t.Errorf("WriteFileAtomic = %v, want ErrNotRegular", err)
	}
	if fi, err := os.Lstat(dev); err != nil || fi.Mode()&fs.ModeCharDevice == 0 {
		t.Errorf("the device was replaced: %v", err)
	}
}
