package agent

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/awsmfa/awsmfa/internal/fsutil"
	"github.com/awsmfa/awsmfa/internal/session"
)

// Defaults for Server.IdleTimeout and Server.Lifetime. Two hours idle covers a
// lunch break without a new code; twelve hours bounds a working day, after
// which a fresh MFA code is asked for even if the agent was busy all along.
const (
	DefaultIdleTimeout = 2 * time.Hour
	DefaultLifetime    = 12 * time.Hour
)

// File names inside the runtime directory.
const (
	SocketName = "agent.sock"
	PIDName    = "agent.pid"
)

const (
	// connIdleTimeout closes a connection that sends no request for this
	// long. It bounds idle connections, not the agent's own lifetime, so it
	// runs on real time.
	connIdleTimeout = time.Minute
	// writeTimeout bounds one write to a client that does not read.
	writeTimeout = 10 * time.Second
	// replaceTimeout bounds the wait for an agent asked to stop.
	replaceTimeout = 3 * time.Second
)

var (
	// ErrUnsupported is returned where the agent cannot run; the CLI then
	// works in-process.
	ErrUnsupported = errors.New("agent not supported on " + runtime.GOOS + "; use --no-agent")
	// ErrNotRunning is returned by Connect when no agent answers and
	// ConnectOptions.Start is nil.
	ErrNotRunning = errors.New("agent not running")
	// ErrAlreadyRunning is returned by Run when an agent of the same version
	// already serves the socket; the redundant agent should exit quietly.
	ErrAlreadyRunning = errors.New("agent already running")
	// ErrUnsafeDir is returned for a runtime directory that is not a 0700
	// directory owned by the current user.
	ErrUnsafeDir = errors.New("agent directory is not private")
	// ErrPathTooLong is returned when the socket path does not fit in a unix
	// socket address.
	ErrPathTooLong = errors.New("agent socket path too long")
)

// Backend does the work behind the socket; *session.Broker implements it.
type Backend interface {
	// Credentials serves req, asking asker for what only the caller can
	// supply. ctx ends when the caller disconnects or the agent stops, so it
	// must not cancel work other callers share.
	Credentials(ctx context.Context, req session.Request, asker session.Asker) (session.Result, error)
	// Sessions lists the cached sessions, without secrets.
	Sessions() []session.SessionInfo
	// Forget drops the sessions of profile ("" = all) and returns how many.
	Forget(profile string) int
	// Lock forgets everything: sessions and the unlocked vault.
	Lock()
}

// VaultHolder is implemented by a Backend that holds the unlocked vault and
// can drop it apart from the sessions. Without it, status reports the vault
// closed and forget-vault fails as unsupported.
type VaultHolder interface {
	VaultOpen() bool
	ForgetVault()
}

// VaultServer is implemented by a Backend that runs vault operations for
// clients on the vault it holds open (*session.Broker does), so that add,
// list, import and remove need no passphrase while the agent is unlocked.
// Without it, vault requests fail as unsupported.
type VaultServer interface {
	Vault(ctx context.Context, req session.VaultRequest, asker session.Asker) (session.VaultResult, error)
}

// Server is the agent: it serves Backend on Dir/agent.sock.
type Server struct {
	Backend Backend
	// Dir is the runtime directory; created 0700 when missing. Run refuses
	// one that is not a 0700 directory owned by the current user.
	Dir string
	// Version is the binary's version identity; clients of another version
	// replace the agent.
	Version string
	// IdleTimeout: no credentials request for this long and the agent forgets
	// everything and exits. Zero means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// Lifetime: this long after start the agent forgets everything and exits,
	// busy or not. Zero means DefaultLifetime.
	Lifetime time.Duration
	// Clock times IdleTimeout and Lifetime; nil means the real clock.
	Clock Clock
	// AllowUID is the only peer uid served. NewServer sets it to os.Getuid();
	// the zero value allows only root.
	AllowUID int
	// Logf receives one line per notable event (refused peers, expiry); it
	// never receives secrets. nil discards.
	Logf func(format string, args ...any)

	// listening, when set, is called once the socket accepts connections.
	listening func()
}

// NewServer returns a Server with the defaults filled in, serving the
// current user only.
func NewServer(b Backend, dir, version string) *Server {
	return &Server{
		Backend:     b,
		Dir:         dir,
		Version:     version,
		IdleTimeout: DefaultIdleTimeout,
		Lifetime:    DefaultLifetime,
		AllowUID:    os.Getuid(),
	}
}

// socketPath returns dir's socket path after checking that it fits in
// sun_path (108 bytes with the terminating NUL on linux, 104 elsewhere).
func socketPath(dir string) (string, error) {
	if dir == "" || !filepath.IsAbs(dir) {
		return "", fmt.Errorf("agent directory %q is not an absolute path", dir)
	}
	p := filepath.Join(dir, SocketName)
	limit := 103
	if runtime.GOOS == "linux" {
		limit = 107
	}
	if len(p) > limit {
		return "", fmt.Errorf("agent socket %q is %d bytes, over the limit of %d (set AWSMFA_RUNTIME_DIR to a shorter directory): %w",
			p, len(p), limit, ErrPathTooLong)
	}
	return p, nil
}

// Run serves until ctx is done, a client asks it to stop, or the idle timeout
// or lifetime passes. It creates Dir/agent.sock (0600) and Dir/agent.pid
// (0600); an existing socket with nothing behind it is replaced, and a live
// agent of another version is asked to stop first. When a live agent of the
// same version already serves the socket, Run returns ErrAlreadyRunning.
//
// On every exit after it started serving, Run removes its pid file and
// socket, closes all connections, waits for their requests to end (their
// contexts are cancelled) and calls Backend.Lock so nothing is kept. An
// orderly exit returns nil.
//
// A request that arrives after the idle timeout or lifetime has passed is
// refused even if the expiry timer has not fired yet.
func (s *Server) Run(ctx context.Context) error {
	if !supported {
		return ErrUnsupported
	}
	if s.Backend == nil {
		return errors.New("agent server has no backend")
	}
	sock, err := socketPath(s.Dir)
	if err != nil {
		return err
	}
	if _, err := os.Lstat(s.Dir); errors.Is(err, fs.ErrNotExist) {
		if err := fsutil.EnsurePrivateDir(s.Dir); err != nil {
			return err
		}
	}
	if err := checkDir(s.Dir); err != nil {
		return err
	}
	r := &run{
		srv:   s,
		clock: s.Clock,
		idle:  s.IdleTimeout,
		life:  s.Lifetime,
		logf:  s.Logf,
		quit:  make(chan struct{}),
		conns: map[net.Conn]struct{}{},
	}
	if r.clock == nil {
		r.clock = realClock{}
	}
	if r.idle <= 0 {
		r.idle = DefaultIdleTimeout
	}
	if r.life <= 0 {
		r.life = DefaultLifetime
	}
	if r.logf == nil {
		r.logf = func(string, ...any) {}
	}

	ln, sockInfo, err := s.listen(ctx, sock)
	if err != nil {
		return err
	}
	pidPath := filepath.Join(s.Dir, PIDName)
	pid := strconv.Itoa(os.Getpid())
	if err := fsutil.WriteFileAtomic(pidPath, []byte(pid+"\n"), fsutil.FileMode); err != nil {
		ln.Close()
		removeIfSame(sock, sockInfo)
		return err
	}

	r.started = r.clock.Now()
	r.last = r.started
	var cancel context.CancelFunc
	r.ctx, cancel = context.WithCancel(ctx)
	defer cancel()

	r.wg.Add(1)
	go r.accept(ln)
	if s.listening != nil {
		s.listening()
	}
	r.logf("agent: serving %s (pid %s, version %s)", sock, pid, s.Version)

	reason := r.wait(ctx)
	r.logf("agent: stopping: %s", reason)

	// The pid file and then the socket go first, while the listener still
	// holds the address: a replacement agent waits until the socket is gone,
	// so nothing it writes can be removed here.
	r.shutdown(reason)
	removePIDFile(pidPath, pid)
	removeIfSame(sock, sockInfo)
	ln.Close()
	cancel()
	r.closeConns()
	r.wg.Wait()
	s.Backend.Lock()
	return nil
}

// listen takes over sock under a lock, so that agents started at the same
// time by concurrent clients settle on one.
func (s *Server) listen(ctx context.Context, sock string) (*net.UnixListener, fs.FileInfo, error) {
	unlock, err := fsutil.Lock(ctx, sock)
	if err != nil {
		return nil, nil, err
	}
	defer unlock()

	live, version, err := probe(ctx, sock)
	if err != nil {
		return nil, nil, err
	}
	if live {
		if version == s.Version {
			return nil, nil, ErrAlreadyRunning
		}
		if err := stopAgent(ctx, sock); err != nil {
			return nil, nil, err
		}
	}
	if err := removeStaleSocket(sock); err != nil {
		return nil, nil, err
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		return nil, nil, fmt.Errorf("listening on %q: %w", sock, err)
	}
	// Removal is done by Run, and only while the file is still this one.
	ln.SetUnlinkOnClose(false)
	fi, err := os.Lstat(sock)
	if err == nil {
		err = os.Chmod(sock, fsutil.FileMode)
	}
	if err != nil {
		ln.Close()
		os.Remove(sock)
		return nil, nil, fmt.Errorf("securing %q: %w", sock, err)
	}
	return ln, fi, nil
}

// removeStaleSocket removes sock when it is a socket file; after probe found
// nobody behind it, it is a leftover of an agent that died.
func removeStaleSocket(sock string) error {
	fi, err := os.Lstat(sock)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("inspecting %q: %w", sock, err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("%q exists and is not a socket; remove it", sock)
	}
	if err := os.Remove(sock); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing stale socket %q: %w", sock, err)
	}
	return nil
}

func removeIfSame(path string, fi fs.FileInfo) {
	if fi != nil && sameFile(path, fi) {
		os.Remove(path)
	}
}

// removePIDFile removes path if it still holds pid: a replacement agent may
// already have written its own.
func removePIDFile(path, pid string) {
	b, err := os.ReadFile(path)
	if err == nil && strings.TrimSpace(string(b)) == pid {
		os.Remove(path)
	}
}

// run is the state of one Run.
type run struct {
	srv   *Server
	clock Clock
	idle  time.Duration
	life  time.Duration
	logf  func(string, ...any)
	ctx   context.Context // ends when the agent stops
	wg    sync.WaitGroup

	mu      sync.Mutex
	started time.Time
	last    time.Time // last credentials request
	reason  string    // why the agent stops; set once
	quit    chan struct{}
	conns   map[net.Conn]struct{}
}

// expiry returns the time the agent must stop and why.
func (r *run) expiry() (time.Time, string) {
	idleEnd := r.last.Add(r.idle)
	lifeEnd := r.started.Add(r.life)
	if lifeEnd.Before(idleEnd) {
		return lifeEnd, "lifetime of " + r.life.String() + " reached"
	}
	return idleEnd, "idle for " + r.idle.String()
}

// shutdown records reason and starts the stop; later calls change nothing.
// It takes r.mu.
func (r *run) shutdown(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.shutdownLocked(reason)
}

func (r *run) shutdownLocked(reason string) {
	if r.reason == "" {
		r.reason = reason
		close(r.quit)
	}
}

// check stops the agent if now is past its expiry. It reports whether the
// agent may go on serving. A request arriving after expiry is refused even
// if the timer has not fired yet, so that no request is served from state
// that should already be gone.
func (r *run) check(now time.Time, activity bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.reason != "" {
		return false
	}
	if end, why := r.expiry(); !now.Before(end) {
		r.shutdownLocked(why)
		return false
	}
	if activity {
		r.last = now
	}
	return true
}

// wait blocks until the agent must stop and returns why.
func (r *run) wait(ctx context.Context) string {
	for {
		if !r.check(r.clock.Now(), false) {
			break
		}
		r.mu.Lock()
		end, _ := r.expiry()
		r.mu.Unlock()
		select {
		case <-ctx.Done():
			r.shutdown("context done")
		case <-r.quit:
		case <-r.clock.At(end):
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reason
}

func (r *run) stopping() bool {
	select {
	case <-r.quit:
		return true
	default:
		return false
	}
}

func (r *run) accept(ln *net.UnixListener) {
	defer r.wg.Done()
	for {
		c, err := ln.AcceptUnix()
		if err != nil {
			if r.stopping() || errors.Is(err, net.ErrClosed) {
				return
			}
			r.logf("agent: accepting: %v", err)
			select {
			case <-r.quit:
				return
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		uid, err := connUID(c)
		if err != nil {
			r.logf("agent: refused connection: %v", err)
			c.Close()
			continue
		}
		if uid != r.srv.AllowUID {
			r.logf("agent: refused connection from uid %d", uid)
			c.Close()
			continue
		}
		if !r.track(c) {
			c.Close()
			return
		}
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			defer r.untrack(c)
			r.serve(c)
		}()
	}
}

func (r *run) track(c net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.reason != "" {
		return false
	}
	r.conns[c] = struct{}{}
	return true
}

func (r *run) untrack(c net.Conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.conns, c)
}

func (r *run) closeConns() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for c := range r.conns {
		c.Close()
	}
}
