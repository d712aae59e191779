//go:build unix

package agent

import (
	"fmt"
	"io/fs"
	"net"
	"os"
	"syscall"

	"github.com/awsmfa/awsmfa/internal/fsutil"
)

const supported = true

// checkDir verifies that dir is a real directory (not a symbolic link), of
// mode 0700 and owned by the current user.
func checkDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("inspecting agent directory %q: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("agent directory %q: %w", dir, ErrUnsafeDir)
	}
	if fi.Mode().Perm() != fsutil.DirMode {
		return fmt.Errorf("agent directory %q has mode %#o, want %#o: %w", dir, fi.Mode().Perm(), fsutil.DirMode, ErrUnsafeDir)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("agent directory %q: owner unknown: %w", dir, ErrUnsafeDir)
	}
	if uid := os.Getuid(); int(st.Uid) != uid {
		return fmt.Errorf("agent directory %q is owned by uid %d, not %d: %w", dir, st.Uid, uid, ErrUnsafeDir)
	}
	return nil
}

// connUID returns the uid of the process at the other end of conn.
func connUID(conn net.Conn) (int, error) {
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return -1, fmt.Errorf("peer credentials: not a unix socket")
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return -1, fmt.Errorf("peer credentials: %w", err)
	}
	uid := -1
	var perr error
	if err := raw.Control(func(fd uintptr) { uid, perr = peerUID(int(fd)) }); err != nil {
		return -1, fmt.Errorf("peer credentials: %w", err)
	}
	if perr != nil {
		return -1, fmt.Errorf("peer credentials: %w", perr)
	}
	return uid, nil
}

// sameFile reports whether path still names the file described by fi.
func sameFile(path string, fi fs.FileInfo) bool {
	cur, err := os.Lstat(path)
	return err == nil && os.SameFile(cur, fi)
}
