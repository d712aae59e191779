//go:build darwin || freebsd

package agent

import "golang.org/x/sys/unix"

// peerUID reads LOCAL_PEERCRED, what getpeereid(3) uses: the peer's
// effective uid when the connection was made.
func peerUID(fd int) (int, error) {
	cred, err := unix.GetsockoptXucred(fd, unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	if err != nil {
		return -1, err
	}
	return int(cred.Uid), nil
}
