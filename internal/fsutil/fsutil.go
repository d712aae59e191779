// Package fsutil holds the file-system primitives every writer in awsmfa uses:
// private directories, atomic replacement and a cross-process lock.
//
// The contract for any file awsmfa writes: mode 0600, parent created 0700 if
// missing, content replaced atomically (temp file in the same directory, fsync,
// rename, fsync of the directory), and the whole read-modify-write done while
// holding Lock on the same path.
package fsutil

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// FileMode and DirMode are the only modes awsmfa creates files and directories with.
const (
	FileMode fs.FileMode = 0o600
	DirMode  fs.FileMode = 0o700
)

// EnsurePrivateDir creates dir and any missing parents with mode 0700. An
// existing directory is left as it is.
func EnsurePrivateDir(dir string) error {
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return fmt.Errorf("creating directory %q: %w", dir, err)
	}
	return nil
}

// ResolveTarget returns the path a write to path must replace: path itself, or,
// when path is a symbolic link, the file it finally points at, so that replacing
// it keeps the link intact. A missing path resolves to itself.
func ResolveTarget(path string) (string, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return path, nil
	}
	if err != nil {
		return "", fmt.Errorf("inspecting %q: %w", path, err)
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		return path, nil
	}
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("resolving symbolic link %q: %w", path, err)
	}
	return target, nil
}

// WriteFileAtomic replaces the file at path with data, mode 0600. A reader sees
// either the old content or the new, never a mix. When path is a symbolic link
// the link's target is replaced and the link is kept. The parent directory is
// created 0700 when missing.
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) (err error) {
	target, err := ResolveTarget(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(target)
	if err := EnsurePrivateDir(dir); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %q: %w", path, err)
	}
	tmpName := tmp.Name()
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	if err := tmp.Chmod(perm); err != nil && !isChmodUnsupported(err) {
		return fmt.Errorf("writing %q: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("writing %q: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("writing %q: syncing: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %q: %w", path, err)
	}
	if err := os.Rename(tmpName, target); err != nil {
		return fmt.Errorf("writing %q: %w", path, err)
	}
	syncDir(dir)
	return nil
}

// Lock takes an exclusive cross-process lock that guards path. The lock lives on
// a sibling file, path+".lock" (created 0600, kept afterwards), so that it
// survives the atomic renames of path itself. Lock waits until the lock is free
// or ctx is done. The returned function releases it.
func Lock(ctx context.Context, path string) (unlock func() error, err error) {
	target, err := ResolveTarget(path)
	if err != nil {
		return nil, err
	}
	if err := EnsurePrivateDir(filepath.Dir(target)); err != nil {
		return nil, err
	}
	name := target + ".lock"
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, FileMode)
	if err != nil {
		return nil, fmt.Errorf("opening lock %q: %w", name, err)
	}
	delay := time.Millisecond
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("locking %q: %w", name, err)
		}
		if ok {
			return func() error {
				uerr := unlockFile(f)
				cerr := f.Close()
				return errors.Join(uerr, cerr)
			}, nil
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for lock %q: %w", name, ctx.Err())
		case <-time.After(delay):
		}
		if delay < 50*time.Millisecond {
			delay *= 2
		}
	}
}
