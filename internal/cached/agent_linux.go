package cached

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
)

// ask sends req to the agent serving dir, if one of build version does, and
// returns its credentials; nil when anything but credentials came back (no
// agent, another build, a question for the user, an error). interrupted
// reports that intr delivered while the request was under way.
func ask(dir, version string, req *request, intr <-chan os.Signal) (res *result, interrupted bool) {
	conn, err := dial(dir)
	if err != nil {
		return nil, false
	}
	defer conn.Close()
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 0, 4096), maxMessageSize)
	if err := conn.SetDeadline(time.Now().Add(helloTimeout)); err != nil {
		return nil, false
	}
	// The hello and the request go in one write: the agent answers a
	// request from a client of another build with an error, never with
	// credentials, so nothing is lost by not waiting for its hello first,
	// and one wake-up of the agent is saved.
	if send(conn, message{Type: "hello", Version: version, Proto: protocolVersion},
		message{Type: "credentials", Request: req}) != nil {
		return nil, false
	}
	hello, err := receive(sc)
	if err != nil || hello.Type != "hello" || hello.Version != version || hello.Proto != protocolVersion {
		return nil, false
	}
	// The agent answers a cached-only request at once; still, only Ctrl-C
	// cuts the wait short, as in the full client.
	if err := conn.SetReadDeadline(time.Time{}); err != nil {
		return nil, false
	}
	var cut atomic.Bool
	done := make(chan struct{})
	defer close(done)
	if intr != nil {
		go func() {
			select {
			case <-intr:
				cut.Store(true)
				conn.Close()
			case <-done:
			}
		}()
	}
	reply, err := receive(sc)
	if cut.Load() {
		return nil, true
	}
	if err != nil || reply.Type != "reply" || len(reply.Error) > 0 && string(reply.Error) != "null" || reply.Result == nil {
		return nil, false
	}
	return reply.Result, false
}

// dial connects to the agent's socket in dir after the checks the full
// client makes: dir is a private directory of this user, and the process
// listening runs as this user.
func dial(dir string) (*net.UnixConn, error) {
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("agent directory %q is not absolute", dir)
	}
	if err := checkDir(dir); err != nil {
		return nil, err
	}
	sock := filepath.Join(dir, socketName)
	limit := 103
	if runtime.GOOS == "linux" {
		limit = 107
	}
	if len(sock) > limit {
		return nil, fmt.Errorf("agent socket %q too long", sock)
	}
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		return nil, err
	}
	if err := checkPeer(conn); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// checkDir verifies that dir is a real directory (not a symbolic link), of
// mode 0700 and owned by the current user.
func checkDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || fi.Mode().Perm() != 0o700 || !ok || int(st.Uid) != os.Getuid() {
		return fmt.Errorf("agent directory %q is not private", dir)
	}
	return nil
}

// checkPeer verifies that the agent runs as the current user.
func checkPeer(conn *net.UnixConn) error {
	raw, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	uid, perr := -1, error(nil)
	if err := raw.Control(func(fd uintptr) { uid, perr = peerUID(int(fd)) }); err != nil {
		return err
	}
	if perr != nil {
		return perr
	}
	if uid != os.Getuid() {
		return fmt.Errorf("the agent runs as uid %d", uid)
	}
	return nil
}
