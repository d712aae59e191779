// Package fsutil holds the file-system primitives every writer in awsmfa uses:
// private directories, atomic replacement and a cross-process lock.
//
// The contract for any file awsmfa writes: mode 0600, parent created 0700 if
// missing, content replaced atomically (temp file in the same directory, fsync,
// rename, fsync of the directory), and the whole read-modify-write done while
// holding Lock on the same path. Only regular files are read or replaced: a
// device, FIFO, socket or directory at the path is refused, never opened.
package fsutil

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrNotRegular is matched (errors.Is) when a file awsmfa reads or replaces
// exists but is not a regular file (symbolic links followed): a device, a
// FIFO, a socket or a directory. Such a file is left untouched and, for a
// FIFO, never waited on.
var ErrNotRegular = errors.New("not a regular file")

// notRegular describes a non-regular file's type for ErrNotRegular. Callers
// wrap it with the operation and path.
func notRegular(mode fs.FileMode) error {
	kind := ""
	switch {
	case mode.IsDir():
		kind = "a directory"
	case mode&fs.ModeNamedPipe != 0:
		kind = "a FIFO"
	case mode&fs.ModeSocket != 0:
		kind = "a socket"
	case mode&fs.ModeCharDevice != 0:
		kind = "a character device"
	case mode&fs.ModeDevice != 0:
		kind = "a device"
	default:
		return ErrNotRegular
	}
	return fmt.Errorf("%s, %w", kind, ErrNotRegular)
}

// CheckRegular returns nil when path (symbolic links followed) is a regular
// file or does not exist, and an error matching ErrNotRegular when it is
// anything else. It opens nothing. The error does not name the path.
func CheckRegular(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return notRegular(fi.Mode())
	}
	return nil
}

// OpenRegular opens path (symbolic links followed) for reading, refusing with
// ErrNotRegular anything that is not a regular file. The type is checked
// before the file is opened, so that opening a device has no side effect, and
// the open itself does not block, so that a FIFO swapped in meanwhile cannot
// hang the caller; the opened file is checked again. A missing file is an
// error matching fs.ErrNotExist. The ErrNotRegular error does not name the
// path.
func OpenRegular(path string) (*os.File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, notRegular(fi.Mode())
	}
	f, err := openNonBlocking(path)
	if err != nil {
		return nil, err
	}
	if fi, err = f.Stat(); err == nil && !fi.Mode().IsRegular() {
		err = notRegular(fi.Mode())
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

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
// created 0700 when missing. A path that exists but is not a regular file is
// refused with ErrNotRegular and left as it is.
//
// The new content is first written to a temporary file next to the target;
// one left behind by a writer that was killed is removed by the next Lock on
// path, so callers must hold that lock.
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) error {
	return writeFileAtomic(path, data, perm, nil)
}

// tempPrefix is the name prefix of WriteFileAtomic's temporary files for
// target; os.CreateTemp appends decimal digits.
func tempPrefix(target string) string {
	return "." + filepath.Base(target) + ".tmp"
}

// writeFileAtomic is WriteFileAtomic; beforeRename, when not nil, runs once
// the temporary file is complete, for tests that stop a writer there.
func writeFileAtomic(path string, data []byte, perm fs.FileMode, beforeRename func()) (err error) {
	target, err := ResolveTarget(path)
	if err != nil {
		return err
	}
	if err := CheckRegular(target); err != nil {
		return fmt.Errorf("writing %q: %w", path, err)
	}
	dir := filepath.Dir(target)
	if err := EnsurePrivateDir(dir); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, tempPrefix(target)+"*")
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
	if beforeRename != nil {
		beforeRename()
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
//
// Once the lock is held, WriteFileAtomic's temporary files for path are
// removed: writers create them only while holding the lock, so any found then
// was left by a writer that died, and may be a full copy of secrets.
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
			if err := removeStaleTemps(target); err != nil {
				_ = unlockFile(f)
				f.Close()
				return nil, err
			}
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

// removeStaleTemps removes the regular files in target's directory that are
// named like WriteFileAtomic's temporary files for target.
func removeStaleTemps(target string) error {
	dir := filepath.Dir(target)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("looking for stale temporary files of %q: %w", target, err)
	}
	prefix := tempPrefix(target)
	var errs []error
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || rest == "" || strings.Trim(rest, "0123456789") != "" || !e.Type().IsRegular() {
			continue
		}
		name := filepath.Join(dir, e.Name())
		if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("removing stale temporary file %q: %w", name, err))
		}
	}
	return errors.Join(errs...)
}
