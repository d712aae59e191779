//go:build unix

package agent

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/awsmfa/awsmfa/internal/session"
)

func TestPeerUIDCheck(t *testing.T) {
	me := os.Getuid()
	tests := []struct {
		name     string
		allowUID int
		wantOK   bool
	}{
		{name: "own uid served", allowUID: me, wantOK: true},
		{name: "other uid refused", allowUID: me + 1, wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tempDir(t)
			b := &fakeBackend{}
			logs := &logBuffer{}
			srv := newTestServer(t, b, dir, "v1")
			srv.AllowUID = tt.allowUID
			srv.Logf = logs.Logf
			start(t, srv)

			c, err := Connect(context.Background(), ConnectOptions{Dir: dir, Version: "v1"})
			if err == nil {
				defer c.Close()
				_, err = c.Credentials(context.Background(), session.Request{Profile: "dev"}, nil)
			}
			if (err == nil) != tt.wantOK {
				t.Fatalf("request error = %v, want success %v", err, tt.wantOK)
			}
			refusal := "refused connection from uid " + strconv.Itoa(me)
			if got := strings.Contains(logs.String(), refusal); got == tt.wantOK {
				t.Errorf("log %q: contains %q = %v, want %v", logs.String(), refusal, got, !tt.wantOK)
			}
			if got, want := b.requestCount(), map[bool]int{true: 1, false: 0}[tt.wantOK]; got != want {
				t.Errorf("backend served %d requests, want %d", got, want)
			}
		})
	}
}

func TestRuntimeFiles(t *testing.T) {
	dir := tempDir(t)
	b := &fakeBackend{}
	r := start(t, newTestServer(t, b, dir, "v1"))

	fi, err := os.Lstat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Errorf("runtime dir mode %v, want a 0700 directory", fi.Mode())
	}
	sock := filepath.Join(dir, SocketName)
	fi, err = os.Lstat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want a 0600 socket", fi.Mode())
	}
	pidPath := filepath.Join(dir, PIDName)
	fi, err = os.Lstat(pidPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("pid file mode %v, want 0600", fi.Mode())
	}
	data, err := os.ReadFile(pidPath)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(data)); got != strconv.Itoa(os.Getpid()) {
		t.Errorf("pid file holds %q, want %d", got, os.Getpid())
	}

	c := connect(t, dir, "v1")
	st, err := c.Status(context.Background())
	if err != nil || st.PID != os.Getpid() {
		t.Errorf("status = %+v, %v; want pid %d", st, err, os.Getpid())
	}
	if err := c.Stop(context.Background()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := r.wait(); err != nil {
		t.Errorf("Run = %v after stop, want nil", err)
	}
	if n := b.lockCount(); n != 1 {
		t.Errorf("backend locked %d times on exit, want 1", n)
	}
	for _, p := range []string{sock, pidPath} {
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s left behind after exit (%v)", filepath.Base(p), err)
		}
	}
}

func TestUnsafeDirRefused(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
	}{
		{
			name:  "group readable",
			setup: func(t *testing.T, dir string) { mustMkdir(t, dir, 0o750) },
		},
		{
			name:  "world writable",
			setup: func(t *testing.T, dir string) { mustMkdir(t, dir, 0o777) },
		},
		{
			name: "symbolic link",
			setup: func(t *testing.T, dir string) {
				target := dir + "-target"
				mustMkdir(t, target, 0o700)
				if err := os.Symlink(target, dir); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "regular file",
			setup: func(t *testing.T, dir string) {
				if err := os.WriteFile(dir, nil, 0o600); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "owned by another user",
			setup: func(t *testing.T, dir string) {
				if os.Getuid() != 0 {
					t.Skip("needs root to give a directory away")
				}
				mustMkdir(t, dir, 0o700)
				if err := os.Chown(dir, 65534, 65534); err != nil {
					t.Fatal(err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tempDir(t)
			tt.setup(t, dir)
			srv := newTestServer(t, &fakeBackend{}, dir, "v1")
			if err := srv.Run(context.Background()); !errors.Is(err, ErrUnsafeDir) {
				t.Errorf("Run = %v, want ErrUnsafeDir", err)
			}
			started := false
			_, err := Connect(context.Background(), ConnectOptions{Dir: dir, Version: "v1", Start: func(context.Context) error {
				started = true
				return nil
			}})
			if !errors.Is(err, ErrUnsafeDir) || started {
				t.Errorf("Connect = %v (started %v), want ErrUnsafeDir without starting", err, started)
			}
		})
	}
}

func mustMkdir(t *testing.T, dir string, mode fs.FileMode) {
	t.Helper()
	if err := os.Mkdir(dir, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

func TestSocketPathTooLong(t *testing.T) {
	dir := "/" + strings.Repeat("d", 120)
	srv := newTestServer(t, &fakeBackend{}, dir, "v1")
	if err := srv.Run(context.Background()); !errors.Is(err, ErrPathTooLong) {
		t.Errorf("Run = %v, want ErrPathTooLong", err)
	}
	if _, err := Connect(context.Background(), ConnectOptions{Dir: dir, Version: "v1"}); !errors.Is(err, ErrPathTooLong) {
		t.Errorf("Connect = %v, want ErrPathTooLong", err)
	}
	if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s was created", dir)
	}
}

func TestRelativeDirRefused(t *testing.T) {
	srv := newTestServer(t, &fakeBackend{}, "run", "v1")
	if err := srv.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "absolute") {
		t.Errorf("Run = %v, want an absolute-path error", err)
	}
}

// TestExpiry drives the idle timeout and the lifetime with a fake clock.
// Each step advances the clock and then makes a request; the agent must serve
// it while alive and exit, forgetting everything, once expired.
func TestExpiry(t *testing.T) {
	const (
		idle = time.Hour
		life = 3 * time.Hour
	)
	type step struct {
		advance time.Duration
		request string // msgCredentials or msgStatus
		alive   bool
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{
			name: "idle",
			steps: []step{
				{advance: 59 * time.Minute, request: msgCredentials, alive: true},
				// The request above reset the idle timer.
				{advance: 59 * time.Minute, request: msgCredentials, alive: true},
				{advance: 61 * time.Minute, request: msgCredentials, alive: false},
			},
		},
		{
			name: "status is not activity",
			steps: []step{
				{advance: 40 * time.Minute, request: msgStatus, alive: true},
				{advance: 40 * time.Minute, request: msgStatus, alive: false},
			},
		},
		{
			name: "lifetime while busy",
			steps: []step{
				{advance: 50 * time.Minute, request: msgCredentials, alive: true},
				{advance: 50 * time.Minute, request: msgCredentials, alive: true},
				{advance: 50 * time.Minute, request: msgCredentials, alive: true},
				{advance: 29 * time.Minute, request: msgCredentials, alive: true},
				{advance: 2 * time.Minute, request: msgCredentials, alive: false},
			},
		},
		{
			name: "exactly at the idle timeout",
			steps: []step{
				{advance: idle, request: msgStatus, alive: false},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tempDir(t)
			b := &fakeBackend{}
			clock := newFakeClock()
			srv := newTestServer(t, b, dir, "v1")
			srv.Clock, srv.IdleTimeout, srv.Lifetime = clock, idle, life
			r := start(t, srv)
			for i, s := range tt.steps {
				clock.Advance(s.advance)
				c, err := Connect(context.Background(), ConnectOptions{Dir: dir, Version: "v1"})
				if err == nil {
					if s.request == msgStatus {
						_, err = c.Status(context.Background())
					} else {
						_, err = c.Credentials(context.Background(), session.Request{Profile: "dev"}, nil)
					}
					c.Close()
				}
				if (err == nil) != s.alive {
					t.Fatalf("step %d: request error %v, want alive %v", i, err, s.alive)
				}
				if s.alive && b.lockCount() != 0 {
					t.Fatalf("step %d: backend locked while alive", i)
				}
			}
			if err := r.wait(); err != nil {
				t.Errorf("Run = %v, want nil", err)
			}
			if n := b.lockCount(); n != 1 {
				t.Errorf("backend locked %d times, want 1", n)
			}
			if _, err := os.Lstat(filepath.Join(dir, SocketName)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("socket left behind: %v", err)
			}
		})
	}
}

// TestExpiryWithoutRequests: the timer alone stops the agent.
func TestExpiryWithoutRequests(t *testing.T) {
	dir := tempDir(t)
	b := &fakeBackend{}
	clock := newFakeClock()
	srv := newTestServer(t, b, dir, "v1")
	srv.Clock, srv.IdleTimeout = clock, time.Hour
	r := start(t, srv)
	clock.Advance(time.Hour + time.Second)
	if err := r.wait(); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	if n := b.lockCount(); n != 1 {
		t.Errorf("backend locked %d times, want 1", n)
	}
}

// interposedClock lets a test move the clock at the worst moment: after the
// agent computed how long to wait and before it registered the wait.
type interposedClock struct {
	*fakeClock
	registering chan struct{} // receives once, at the first At
	proceed     chan struct{} // closed by the test to let At go on
	once        sync.Once
}

func (c *interposedClock) At(t time.Time) <-chan time.Time {
	c.once.Do(func() {
		c.registering <- struct{}{}
		<-c.proceed
	})
	return c.fakeClock.At(t)
}

// TestExpiryClockMovesWhileRegistering: time that passes between the
// agent's decision to wait and the registration of that wait is not lost
// (issue 7 item 26: TestExpiryWithoutRequests hung under -race when Advance
// ran in that window).
func TestExpiryClockMovesWhileRegistering(t *testing.T) {
	dir := tempDir(t)
	b := &fakeBackend{}
	clock := &interposedClock{fakeClock: newFakeClock(), registering: make(chan struct{}), proceed: make(chan struct{})}
	srv := newTestServer(t, b, dir, "v1")
	srv.Clock, srv.IdleTimeout = clock, time.Hour
	r := start(t, srv)
	<-clock.registering
	clock.Advance(time.Hour + time.Second)
	close(clock.proceed)
	select {
	case err := <-r.errc:
		r.once.Do(func() { r.err = err })
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the agent missed its expiry: the clock moved while the wait was being registered")
	}
	if n := b.lockCount(); n != 1 {
		t.Errorf("backend locked %d times, want 1", n)
	}
}

func TestDefaults(t *testing.T) {
	s := NewServer(&fakeBackend{}, "/run/x", "v9")
	if s.IdleTimeout != DefaultIdleTimeout || s.Lifetime != DefaultLifetime || s.AllowUID != os.Getuid() || s.Version != "v9" {
		t.Errorf("NewServer = %+v", s)
	}
	// Zero durations fall back to the defaults too.
	dir := tempDir(t)
	srv := &Server{Backend: &fakeBackend{}, Dir: dir, Version: "v1", AllowUID: os.Getuid()}
	start(t, srv)
	st, err := connect(t, dir, "v1").Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.IdleTimeout != DefaultIdleTimeout || st.Lifetime != DefaultLifetime {
		t.Errorf("status timeouts %v/%v, want %v/%v", st.IdleTimeout, st.Lifetime, DefaultIdleTimeout, DefaultLifetime)
	}
}

func TestVersionReplacement(t *testing.T) {
	tests := []struct {
		name string
		// replace brings up a "new" agent in dir while an "old" one runs.
		replace func(t *testing.T, dir string, newBackend Backend)
	}{
		{
			name: "client of a new version",
			replace: func(t *testing.T, dir string, nb Backend) {
				starts := 0
				c, err := Connect(context.Background(), ConnectOptions{Dir: dir, Version: "new", Start: func(context.Context) error {
					starts++
					launch(t, newTestServer(t, nb, dir, "new"), nil)
					return nil
				}})
				if err != nil {
					t.Fatalf("Connect: %v", err)
				}
				defer c.Close()
				if starts != 1 {
					t.Errorf("Start called %d times, want 1", starts)
				}
			},
		},
		{
			name: "agent of a new version",
			replace: func(t *testing.T, dir string, nb Backend) {
				start(t, newTestServer(t, nb, dir, "new"))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tempDir(t)
			ob, nb := &fakeBackend{}, &fakeBackend{}
			old := start(t, newTestServer(t, ob, dir, "old"))
			tt.replace(t, dir, nb)
			if err := old.wait(); err != nil {
				t.Errorf("old Run = %v, want nil", err)
			}
			if n := ob.lockCount(); n != 1 {
				t.Errorf("old backend locked %d times, want 1", n)
			}
			c := connect(t, dir, "new")
			st, err := c.Status(context.Background())
			if err != nil || st.Version != "new" {
				t.Fatalf("status = %+v, %v; want version new", st, err)
			}
			if _, err := c.Credentials(context.Background(), session.Request{Profile: "dev"}, nil); err != nil {
				t.Fatal(err)
			}
			if ob.requestCount() != 0 || nb.requestCount() != 1 {
				t.Errorf("old served %d, new served %d; want 0 and 1", ob.requestCount(), nb.requestCount())
			}
			// The old agent's exit left the new agent's files alone.
			data, err := os.ReadFile(filepath.Join(dir, PIDName))
			if err != nil || strings.TrimSpace(string(data)) != strconv.Itoa(os.Getpid()) {
				t.Errorf("pid file = %q, %v", data, err)
			}
		})
	}
}

func TestSameVersionReused(t *testing.T) {
	dir := tempDir(t)
	b := &fakeBackend{}
	start(t, newTestServer(t, b, dir, "v1"))
	c, err := Connect(context.Background(), ConnectOptions{Dir: dir, Version: "v1", Start: func(context.Context) error {
		t.Error("Start called with a live agent of the same version")
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	second := newTestServer(t, &fakeBackend{}, dir, "v1")
	if err := second.Run(context.Background()); !errors.Is(err, ErrAlreadyRunning) {
		t.Errorf("second Run = %v, want ErrAlreadyRunning", err)
	}
	if _, err := connect(t, dir, "v1").Status(context.Background()); err != nil {
		t.Errorf("first agent no longer answers: %v", err)
	}
	if b.lockCount() != 0 {
		t.Error("first agent was locked")
	}
}

// staleSocket leaves a socket file in dir with nothing listening.
func staleSocket(t *testing.T, dir string) {
	t.Helper()
	mustMkdir(t, dir, 0o700)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(dir, SocketName), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	if _, err := net.Dial("unix", filepath.Join(dir, SocketName)); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("stale socket dial = %v, want ECONNREFUSED", err)
	}
}

func TestStaleSocketRecovered(t *testing.T) {
	tests := []struct {
		name string
		// up brings an agent up over the stale socket.
		up func(t *testing.T, dir string, b Backend)
	}{
		{
			name: "by the agent",
			up:   func(t *testing.T, dir string, b Backend) { start(t, newTestServer(t, b, dir, "v1")) },
		},
		{
			name: "by a client starting one",
			up: func(t *testing.T, dir string, b Backend) {
				c, err := Connect(context.Background(), ConnectOptions{Dir: dir, Version: "v1", Start: func(context.Context) error {
					launch(t, newTestServer(t, b, dir, "v1"), nil)
					return nil
				}})
				if err != nil {
					t.Fatalf("Connect: %v", err)
				}
				c.Close()
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tempDir(t)
			staleSocket(t, dir)
			b := &fakeBackend{}
			tt.up(t, dir, b)
			if _, err := connect(t, dir, "v1").Credentials(context.Background(), session.Request{Profile: "dev"}, nil); err != nil {
				t.Fatal(err)
			}
			if b.requestCount() != 1 {
				t.Errorf("backend served %d requests, want 1", b.requestCount())
			}
		})
	}
}

func TestNonSocketInTheWay(t *testing.T) {
	dir := tempDir(t)
	mustMkdir(t, dir, 0o700)
	if err := os.WriteFile(filepath.Join(dir, SocketName), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := newTestServer(t, &fakeBackend{}, dir, "v1").Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("Run = %v, want a not-a-socket error", err)
	}
	if _, err := os.Stat(filepath.Join(dir, SocketName)); err != nil {
		t.Errorf("the file in the way was removed: %v", err)
	}
}

func TestConnectWithoutAgent(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
	}{
		{name: "no directory", setup: func(*testing.T, string) {}},
		{name: "empty directory", setup: func(t *testing.T, dir string) { mustMkdir(t, dir, 0o700) }},
		{name: "stale socket", setup: staleSocket},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tempDir(t)
			tt.setup(t, dir)
			if _, err := Connect(context.Background(), ConnectOptions{Dir: dir, Version: "v1"}); !errors.Is(err, ErrNotRunning) {
				t.Errorf("Connect = %v, want ErrNotRunning", err)
			}
		})
	}
}

func TestConnectStartFailures(t *testing.T) {
	boom := errors.New("exec failed")
	dir := tempDir(t)
	_, err := Connect(context.Background(), ConnectOptions{Dir: dir, Version: "v1", Start: func(context.Context) error { return boom }})
	if !errors.Is(err, boom) {
		t.Errorf("Connect = %v, want the Start error", err)
	}
	// A started agent of the wrong version is an error, not a loop.
	_, err = Connect(context.Background(), ConnectOptions{Dir: dir, Version: "v1", Start: func(context.Context) error {
		launch(t, newTestServer(t, &fakeBackend{}, dir, "v0"), nil)
		return nil
	}})
	if err == nil || !strings.Contains(err.Error(), `"v0"`) {
		t.Errorf("Connect = %v, want a version error", err)
	}
}

func TestConcurrentConnectStartsOneAgent(t *testing.T) {
	dir := tempDir(t)
	b := &fakeBackend{}
	const n = 8
	starts := make(chan struct{}, n)
	errs := make(chan error, n)
	startAgent := func(context.Context) error {
		starts <- struct{}{}
		launch(t, newTestServer(t, b, dir, "v1"), nil)
		return nil
	}
	for range n {
		go func() {
			c, err := Connect(context.Background(), ConnectOptions{Dir: dir, Version: "v1", Start: startAgent})
			if err == nil {
				_, err = c.Credentials(context.Background(), session.Request{Profile: "dev"}, nil)
				c.Close()
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := len(starts); got != 1 {
		t.Errorf("Start called %d times, want 1", got)
	}
}
