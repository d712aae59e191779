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

// Issue 7 item 3: Lock removes exactly the temporary files WriteFileAtomic
// makes for the locked path, whoever left them.
func TestLockRemovesStaleTempFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "credentials")
	files := map[string]bool{ // name → removed by Lock
		".credentials.tmp1":          true,
		".credentials.tmp4294967295": true,
		".credentials.tmp":           false, // no random part
		".credentials.tmpx1":         false,
		".credentials.tmp1.bak":      false,
		".config.tmp1":               false, // another file's
		"credentials":                false,
		"credentials.tmp1":           false,
	}
	for name := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("secret"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, ".credentials.tmp2"), 0o700); err != nil {
		t.Fatal(err)
	}
	files[".credentials.tmp2"] = false // not a regular file
	unlock, err := Lock(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	var want []string
	for name, removed := range files {
		if !removed {
			want = append(want, name)
		}
	}
	want = append(want, "credentials.lock")
	slices.Sort(want)
	if got := dirNames(t, dir); !slices.Equal(got, want) {
		t.Errorf("directory holds %q, want %q", got, want)
	}
}

// Issue 7 item 3: a link's temporary files sit next to its target, and
// Lock on the link removes them there.
func TestLockRemovesStaleTempFilesOfLinkTarget(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "dotfiles"), 0o700); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "dotfiles", "credentials")
	stale := filepath.Join(dir, "dotfiles", ".credentials.tmp77")
	for _, p := range []string{target, stale} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(dir, "credentials-link")
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	unlock, err := Lock(context.Background(), link)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if _, err := os.Lstat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale temporary file of the link's target survived Lock: %v", err)
	}
}

// Issue 7 item 5: only regular files are read or replaced; anything else at
// the path is refused and left as it is.
func TestRegularFilesOnly(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "regular")
	if err := os.WriteFile(regular, []byte("content"), 0o600); err != nil {
		t.Fatal(err)
	}
	subdir := filepath.Join(dir, "subdir")
	if err := os.Mkdir(subdir, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(regular, link); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	dirLink := filepath.Join(dir, "dirlink")
	if err := os.Symlink(subdir, dirLink); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path       string
		notRegular bool
	}{
		{regular, false},
		{link, false},
		{subdir, true},
		{dirLink, true},
	}
	for _, tt := range tests {
		name := filepath.Base(tt.path)
		err := CheckRegular(tt.path)
		if got := errors.Is(err, ErrNotRegular); got != tt.notRegular || (err != nil && !got) {
			t.Errorf("CheckRegular(%s) = %v", name, err)
		}
		f, err := OpenRegular(tt.path)
		if got := errors.Is(err, ErrNotRegular); got != tt.notRegular || (err != nil && !got) {
			t.Errorf("OpenRegular(%s) = %v", name, err)
		}
		if err == nil {
			f.Close()
		}
		err = WriteFileAtomic(tt.path, []byte("new"), FileMode)
		if got := errors.Is(err, ErrNotRegular); got != tt.notRegular || (err != nil && !got) {
			t.Errorf("WriteFileAtomic(%s) = %v", name, err)
		}
	}
	if fi, err := os.Lstat(subdir); err != nil || !fi.IsDir() {
		t.Errorf("the directory was replaced: %v", err)
	}
	if names := dirNames(t, subdir); len(names) != 0 {
		t.Errorf("files left in the directory: %q", names)
	}
	if err := CheckRegular(filepath.Join(dir, "missing")); err != nil {
		t.Errorf("CheckRegular(missing) = %v", err)
	}
	if _, err := OpenRegular(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenRegular(missing) = %v, want fs.ErrNotExist", err)
	}
}
