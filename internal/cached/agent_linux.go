package cached

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	if err := conn.setTimeout(helloTimeout); err != nil {
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
	if err := conn.setTimeout(0); err != nil {
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
				conn.interrupt()
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

// conn is a connected unix socket, used through raw system calls: the net
// package's init would cost every lean client more than it saves.
type conn struct{ fd int }

func (c *conn) Read(p []byte) (int, error) {
	for {
		n, err := syscall.Read(c.fd, p)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 0, err
		case n == 0 && len(p) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func (c *conn) Write(p []byte) (int, error) {
	written := 0
	for written < len(p) {
		n, err := syscall.Write(c.fd, p[written:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return written, err
		}
		written += n
	}
	return written, nil
}

func (c *conn) Close() error { return syscall.Close(c.fd) }

// interrupt ends a read blocked in another goroutine (closing the
// descriptor would not).
func (c *conn) interrupt() { _ = syscall.Shutdown(c.fd, syscall.SHUT_RDWR) }

// setTimeout bounds every later read and write; 0 is no bound.
func (c *conn) setTimeout(d time.Duration) error {
	tv := syscall.NsecToTimeval(d.Nanoseconds())
	if err := syscall.SetsockoptTimeval(c.fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		return err
	}
	return syscall.SetsockoptTimeval(c.fd, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &tv)
}

// dial connects to the agent's socket in dir after the checks the full
// client makes: dir is a private directory of this user, and the process
// listening runs as this user.
func dial(dir string) (*conn, error) {
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("agent directory %q is not absolute", dir)
	}
	if err := checkDir(dir); err != nil {
		return nil, err
	}
	sock := filepath.Join(dir, socketName)
	if len(sock) > 107 {
		return nil, fmt.Errorf("agent socket %q too long", sock)
	}
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	c := &conn{fd: fd}
	for {
		err = syscall.Connect(fd, &syscall.SockaddrUnix{Name: sock})
		if err != syscall.EINTR {
			break
		}
	}
	if err == nil {
		err = checkPeer(fd)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
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

// checkPeer verifies that the agent runs as the current user
// (SO_PEERCRED: the uid of the process that listens).
func checkPeer(fd int) error {
	cred, err := syscall.GetsockoptUcred(fd, syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	if err != nil {
		return err
	}
	if int(cred.Uid) != os.Getuid() {
		return fmt.Errorf("the agent runs as uid %d", cred.Uid)
	}
	return nil
}
