package fsutil

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

func checkPerm(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	if runtime.GOOS == "windows" {
		return
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %04o, want %04o", path, got, want)
	}
}

func checkContent(t *testing.T, path, want string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want {
		t.Errorf("%s holds %q, want %q", path, b, want)
	}
}

// dirNames lists dir's entries.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func TestWriteFileAtomic(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(t *testing.T, dir string) string // returns the path to write
		wantFiles []string                              // entries of dir afterwards
		check     func(t *testing.T, dir string)
	}{
		{
			name:      "creates with 0600",
			setup:     func(t *testing.T, dir string) string { return filepath.Join(dir, "f") },
			wantFiles: []string{"f"},
			check: func(t *testing.T, dir string) {
				checkContent(t, filepath.Join(dir, "f"), "new")
				checkPerm(t, filepath.Join(dir, "f"), FileMode)
			},
		},
		{
			name: "replaces and tightens the mode",
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "f")
				if err := os.WriteFile(p, []byte("old content, longer than the new"), 0o644); err != nil {
					t.Fatal(err)
				}
				return p
			},
			wantFiles: []string{"f"},
			check: func(t *testing.T, dir string) {
				checkContent(t, filepath.Join(dir, "f"), "new")
				checkPerm(t, filepath.Join(dir, "f"), FileMode)
			},
		},
		{
			name: "writes through a symbolic link and keeps it",
			setup: func(t *testing.T, dir string) string {
				target := filepath.Join(dir, "real")
				if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink("real", filepath.Join(dir, "mid")); err != nil {
					t.Skipf("no symbolic links here: %v", err)
				}
				if err := os.Symlink("mid", filepath.Join(dir, "link")); err != nil {
					t.Fatal(err)
				}
				return filepath.Join(dir, "link")
			},
			wantFiles: []string{"link", "mid", "real"},
			check: func(t *testing.T, dir string) {
				for _, l := range []string{"link", "mid"} {
					fi, err := os.Lstat(filepath.Join(dir, l))
					if err != nil {
						t.Fatal(err)
					}
					if fi.Mode()&fs.ModeSymlink == 0 {
						t.Errorf("%s is no longer a symbolic link", l)
					}
				}
				checkContent(t, filepath.Join(dir, "real"), "new")
			},
		},
		{
			name:      "creates missing parents 0700",
			setup:     func(t *testing.T, dir string) string { return filepath.Join(dir, "a", "b", "f") },
			wantFiles: []string{"a"},
			check: func(t *testing.T, dir string) {
				checkContent(t, filepath.Join(dir, "a", "b", "f"), "new")
				checkPerm(t, filepath.Join(dir, "a"), DirMode)
				checkPerm(t, filepath.Join(dir, "a", "b"), DirMode)
				if names := dirNames(t, filepath.Join(dir, "a", "b")); len(names) != 1 {
					t.Errorf("leftover files: %q", names)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := tt.setup(t, dir)
			if err := WriteFileAtomic(path, []byte("new"), FileMode); err != nil {
				t.Fatalf("WriteFileAtomic: %v", err)
			}
			if got := dirNames(t, dir); !slices.Equal(got, tt.wantFiles) {
				t.Errorf("directory holds %q, want %q", got, tt.wantFiles)
			}
			tt.check(t, dir)
		})
	}
}

func TestWriteFileAtomicParentIsAFile(t *testing.T) {
	dir := t.TempDir()
	parent := filepath.Join(dir, "file")
	if err := os.WriteFile(parent, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(parent, "f"), filepath.Join(parent, "sub", "f")} {
		if err := WriteFileAtomic(p, []byte("new"), FileMode); err == nil {
			t.Errorf("WriteFileAtomic(%s) succeeded", p)
		}
	}
	if got := dirNames(t, dir); !slices.Equal(got, []string{"file"}) {
		t.Fatalf("files left behind: %q", got)
	}
	checkContent(t, parent, "x")
}

func TestResolveTarget(t *testing.T) {
	dir := t.TempDir()
	realPath := filepath.Join(dir, "real")
	if err := os.WriteFile(realPath, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(realPath, filepath.Join(dir, "link")); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	wantReal, err := filepath.EvalSymlinks(realPath)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ path, want string }{
		{filepath.Join(dir, "missing"), filepath.Join(dir, "missing")},
		{realPath, realPath},
		{filepath.Join(dir, "link"), wantReal},
	}
	for _, tt := range tests {
		got, err := ResolveTarget(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("ResolveTarget(%s) = %s, want %s", tt.path, got, tt.want)
		}
	}
}

func TestLockMutualExclusion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "f")
	const workers, rounds = 4, 25
	var inside, maxInside atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for range rounds {
				unlock, err := Lock(context.Background(), path)
				if err != nil {
					errs <- err
					return
				}
				n := inside.Add(1)
				for {
					m := maxInside.Load()
					if n <= m || maxInside.CompareAndSwap(m, n) {
						break
					}
				}
				runtime.Gosched()
				inside.Add(-1)
				if err := unlock(); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if m := maxInside.Load(); m != 1 {
		t.Fatalf("%d holders at once", m)
	}
	checkPerm(t, path+".lock", FileMode)
	checkPerm(t, filepath.Dir(path), DirMode)
}

func TestLockWaitsAndHonoursCancellation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	unlock, err := Lock(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}

	// A second Lock cannot get the held lock: it waits until cancelled.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		u, err := Lock(ctx, path)
		if err == nil {
			u()
		}
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Lock while held: %v, want context.Canceled", err)
	}

	// Released, it can be taken again.
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	unlock2, err := Lock(context.Background(), path)
	if err != nil {
		t.Fatalf("Lock after release: %v", err)
	}
	if err := unlock2(); err != nil {
		t.Fatal(err)
	}
}

func TestLockBlocksUntilRelease(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	unlock, err := Lock(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	var released atomic.Bool
	got := make(chan error, 1)
	go func() {
		u, err := Lock(context.Background(), path)
		if err == nil {
			if !released.Load() {
				err = errors.New("acquired while the first holder still held it")
			}
			u()
		}
		got <- err
	}()
	runtime.Gosched()
	released.Store(true)
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatal(err)
	}
}
