//go:build unix

package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/awsmfa/awsmfa/internal/session"
)

// Test binaries re-executed under these argv[0] values act as helpers.
const (
	sleeperArgv0 = "awsmfa-agent-test-sleep"
	hardenArgv0  = "awsmfa-agent-test-harden"
	// inheritedArgv0 runs CloseInherited and reports on its descriptors.
	inheritedArgv0 = "awsmfa-agent-test-inherited"
)

func TestMain(m *testing.M) {
	switch filepath.Base(os.Args[0]) {
	case sleeperArgv0:
		if ready := os.Getenv("AWSMFA_TEST_READY"); ready != "" {
			// Tell the test that start-up (the dynamic loader, the
			// runtime's own files) is over: a FIFO's reader wakes up here.
			if f, err := os.OpenFile(ready, os.O_WRONLY, 0); err == nil {
				f.Write([]byte{1})
				f.Close()
			}
		}
		time.Sleep(time.Minute) // killed by the test long before
		os.Exit(0)
	case inheritedArgv0:
		inheritedHelper()
	case hardenArgv0:
		if err := Harden(); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println(hardenReport())
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// fakeClock moves only when told to.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) At(t time.Time) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if !t.After(c.now) {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, fakeWaiter{at: t, ch: ch})
	return ch
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

// fakeBackend records what the server asks of it.
type fakeBackend struct {
	// credentials serves Credentials; nil returns a fixed Result.
	credentials func(ctx context.Context, req session.Request, asker session.Asker) (session.Result, error)

	mu             sync.Mutex
	requests       []session.Request
	sessions       []session.SessionInfo
	forgotten      []string
	locks          int
	vaultOpen      bool
	vaultForgotten int
}

func (b *fakeBackend) Credentials(ctx context.Context, req session.Request, asker session.Asker) (session.Result, error) {
	b.mu.Lock()
	b.requests = append(b.requests, req)
	f := b.credentials
	b.mu.Unlock()
	if f == nil {
		return session.Result{Credentials: session.Credentials{AccessKeyID: "ASIA" + req.Profile}}, nil
	}
	return f(ctx, req, asker)
}

func (b *fakeBackend) Sessions() []session.SessionInfo {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]session.SessionInfo(nil), b.sessions...)
}

func (b *fakeBackend) Forget(profile string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.forgotten = append(b.forgotten, profile)
	return len(profile)
}

func (b *fakeBackend) Lock() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.locks++
}

func (b *fakeBackend) VaultOpen() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.vaultOpen
}

func (b *fakeBackend) ForgetVault() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.vaultForgotten++
	b.vaultOpen = false
}

func (b *fakeBackend) lockCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.locks
}

func (b *fakeBackend) requestCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.requests)
}

// logBuffer collects Logf lines.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (l *logBuffer) Logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// tempDir returns a runtime directory path short enough for a socket; it does
// not exist yet.
func tempDir(t *testing.T) string {
	t.Helper()
	base, err := os.MkdirTemp("", "am")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	return filepath.Join(base, "r")
}

// running is a Server's Run in a goroutine.
type running struct {
	srv    *Server
	cancel context.CancelFunc
	errc   chan error

	once sync.Once
	err  error
}

// wait returns Run's result, blocking until Run returns.
func (r *running) wait() error {
	r.once.Do(func() { r.err = <-r.errc })
	return r.err
}

// launch runs srv without waiting for it to listen; the test's cleanup stops
// it and waits for Run to return.
func launch(t *testing.T, srv *Server, ready func()) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{srv: srv, cancel: cancel, errc: make(chan error, 1)}
	srv.listening = ready
	go func() { r.errc <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		r.wait()
	})
	return r
}

// start runs srv and waits until it listens.
func start(t *testing.T, srv *Server) *running {
	t.Helper()
	ready := make(chan struct{})
	r := launch(t, srv, func() { close(ready) })
	select {
	case <-ready:
	case err := <-r.errc:
		r.once.Do(func() { r.err = err })
		t.Fatalf("Run returned before listening: %v", err)
	}
	return r
}

func newTestServer(t *testing.T, b Backend, dir, version string) *Server {
	s := NewServer(b, dir, version)
	s.Logf = t.Logf
	return s
}

func connect(t *testing.T, dir, version string) *Client {
	t.Helper()
	c, err := Connect(context.Background(), ConnectOptions{Dir: dir, Version: version})
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// rawConn speaks the protocol by hand, for what Client never does.
type rawConn struct {
	c  net.Conn
	lr *lineReader
	w  *connWriter
}

func dialRaw(t *testing.T, dir, version string) *rawConn {
	t.Helper()
	c, err := net.Dial("unix", filepath.Join(dir, SocketName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	rc := &rawConn{c: c, lr: newLineReader(c), w: &connWriter{c: c}}
	if version != "" {
		rc.send(t, message{Type: msgHello, Version: version, Proto: ProtocolVersion})
		if m := rc.recv(t); m.Type != msgHello {
			t.Fatalf("hello answered with %q", m.Type)
		}
	}
	return rc
}

func (rc *rawConn) send(t *testing.T, m message) {
	t.Helper()
	if err := rc.w.write(m); err != nil {
		t.Fatal(err)
	}
}

func (rc *rawConn) recv(t *testing.T) message {
	t.Helper()
	m, err := rc.lr.next()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// fakeAsker answers asks from fixed values and records them.
type fakeAsker struct {
	code, passphrase, device string
	err                      error

	mu       sync.Mutex
	mfa      []session.MFAAsk
	creating []bool
	serials  [][]string
}

func (a *fakeAsker) MFACode(_ context.Context, ask session.MFAAsk) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.mfa = append(a.mfa, ask)
	return a.code, a.err
}

func (a *fakeAsker) Passphrase(_ context.Context, creating bool) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.creating = append(a.creating, creating)
	return a.passphrase, a.err
}

func (a *fakeAsker) ChooseDevice(_ context.Context, profile string, serials []string) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.serials = append(a.serials, append([]string{profile}, serials...))
	return a.device, a.err
}

// blockingAsker signals asked and then waits for its context.
type blockingAsker struct{ asked chan struct{} }

func (a *blockingAsker) MFACode(ctx context.Context, _ session.MFAAsk) (string, error) {
	close(a.asked)
	<-ctx.Done()
	return "", ctx.Err()
}

func (a *blockingAsker) Passphrase(context.Context, bool) (string, error) {
	return "", errors.New("unexpected passphrase ask")
}

func (a *blockingAsker) ChooseDevice(context.Context, string, []string) (string, error) {
	return "", errors.New("unexpected device ask")
}
