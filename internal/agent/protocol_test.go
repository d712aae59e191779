//go:build unix

package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/awsmfa/awsmfa/internal/session"
)

func TestCredentialsAsksRoundTrip(t *testing.T) {
	mfa := session.MFAAsk{Profile: "dev", Serial: "arn:aws:iam::123456789012:mfa/alice", Process: "otp dev", Attempt: 2, Reason: "the previous code was rejected"}
	tests := []struct {
		name string
		// ask calls one Asker method and returns its answer.
		ask  func(ctx context.Context, a session.Asker) (string, error)
		want string
		// check inspects what the client's Asker was given.
		check func(t *testing.T, a *fakeAsker)
	}{
		{
			name: "mfa code",
			ask:  func(ctx context.Context, a session.Asker) (string, error) { return a.MFACode(ctx, mfa) },
			want: "123456",
			check: func(t *testing.T, a *fakeAsker) {
				if !reflect.DeepEqual(a.mfa, []session.MFAAsk{mfa}) {
					t.Errorf("asker got %+v, want %+v", a.mfa, mfa)
				}
			},
		},
		{
			name: "passphrase creating",
			ask:  func(ctx context.Context, a session.Asker) (string, error) { return a.Passphrase(ctx, true) },
			want: "correct horse",
			check: func(t *testing.T, a *fakeAsker) {
				if !reflect.DeepEqual(a.creating, []bool{true}) {
					t.Errorf("asker got creating %v, want [true]", a.creating)
				}
			},
		},
		{
			name: "passphrase existing",
			ask:  func(ctx context.Context, a session.Asker) (string, error) { return a.Passphrase(ctx, false) },
			want: "correct horse",
			check: func(t *testing.T, a *fakeAsker) {
				if !reflect.DeepEqual(a.creating, []bool{false}) {
					t.Errorf("asker got creating %v, want [false]", a.creating)
				}
			},
		},
		{
			name: "choose device",
			ask: func(ctx context.Context, a session.Asker) (string, error) {
				return a.ChooseDevice(ctx, "dev", []string{"arn:a", "arn:b"})
			},
			want: "arn:b",
			check: func(t *testing.T, a *fakeAsker) {
				want := [][]string{{"dev", "arn:a", "arn:b"}}
				if !reflect.DeepEqual(a.serials, want) {
					t.Errorf("asker got %v, want %v", a.serials, want)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tempDir(t)
			exp := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
			b := &fakeBackend{credentials: func(ctx context.Context, req session.Request, a session.Asker) (session.Result, error) {
				// Two asks on one request: the second must pair with its own answer.
				if _, err := tt.ask(ctx, a); err != nil {
					return session.Result{}, err
				}
				v, err := tt.ask(ctx, a)
				if err != nil {
					return session.Result{}, err
				}
				return session.Result{
					Credentials: session.Credentials{AccessKeyID: "ASIA1", SecretAccessKey: v, SessionToken: "tok-" + req.Profile, Expiration: exp},
					Region:      "eu-west-1",
					Notices:     []string{"used device"},
				}, nil
			}}
			start(t, newTestServer(t, b, dir, "v1"))
			c := connect(t, dir, "v1")
			asker := &fakeAsker{code: "123456", passphrase: "correct horse", device: "arn:b"}
			req := session.Request{Profile: "dev", Env: map[string]string{"HOME": "/h"}, Duration: time.Hour, MinRemaining: 16 * time.Minute}
			got, err := c.Credentials(context.Background(), req, asker)
			if err != nil {
				t.Fatalf("Credentials: %v", err)
			}
			want := session.Result{
				Credentials: session.Credentials{AccessKeyID: "ASIA1", SecretAccessKey: tt.want, SessionToken: "tok-dev", Expiration: exp},
				Region:      "eu-west-1",
				Notices:     []string{"used device"},
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("result = %#v, want %#v", got, want)
			}
			b.mu.Lock()
			gotReq := b.requests
			b.mu.Unlock()
			if !reflect.DeepEqual(gotReq, []session.Request{req}) {
				t.Errorf("backend got %+v, want %+v", gotReq, req)
			}
			// tt.check expects one record, but the backend asked twice.
			asker.mfa, asker.creating, asker.serials = dedupe(asker.mfa), dedupe(asker.creating), dedupe(asker.serials)
			tt.check(t, asker)
		})
	}
}

// dedupe checks that a twice-asked question was the same both times and
// returns one copy.
func dedupe[T any](s []T) []T {
	if len(s) == 2 && reflect.DeepEqual(s[0], s[1]) {
		return s[:1]
	}
	return s
}

func TestBackendErrorsCrossTheWire(t *testing.T) {
	cause := errors.New("operation error STS: GetSessionToken")
	tests := []struct {
		name string
		err  error
		want session.Error
	}{
		{
			name: "session error",
			err:  &session.Error{Kind: session.KindMFARejected, Msg: "the MFA code was rejected", Hint: "wait for the next code", Err: cause},
			want: session.Error{Kind: session.KindMFARejected, Msg: "the MFA code was rejected", Hint: "wait for the next code"},
		},
		{
			name: "wrapped session error",
			err:  fmt.Errorf("profile dev: %w", &session.Error{Kind: session.KindDurationLimit, Msg: "role chaining allows at most 1h", Hint: "duration_seconds = 3600"}),
			want: session.Error{Kind: session.KindDurationLimit, Msg: "role chaining allows at most 1h", Hint: "duration_seconds = 3600"},
		},
		{
			name: "plain error",
			err:  errors.New("reading config: permission denied"),
			want: session.Error{Msg: "reading config: permission denied"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tempDir(t)
			b := &fakeBackend{credentials: func(context.Context, session.Request, session.Asker) (session.Result, error) {
				return session.Result{}, tt.err
			}}
			start(t, newTestServer(t, b, dir, "v1"))
			c := connect(t, dir, "v1")
			_, err := c.Credentials(context.Background(), session.Request{Profile: "dev"}, nil)
			var se *session.Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v (%T) is not a *session.Error", err, err)
			}
			if *se != tt.want {
				t.Errorf("error = %+v, want %+v", *se, tt.want)
			}
			// The connection stays usable after an error reply.
			if _, err := c.Status(context.Background()); err != nil {
				t.Errorf("Status after error reply: %v", err)
			}
		})
	}
}

func TestAskerErrorsCrossTheWire(t *testing.T) {
	tests := []struct {
		name      string
		asker     session.Asker
		wantCant  bool
		wantKind  session.Kind
		wantMsg   string
		wantIsErr bool
	}{
		{
			name:     "cannot ask",
			asker:    &fakeAsker{err: fmt.Errorf("no terminal: %w", session.ErrCannotAsk)},
			wantCant: true,
			wantMsg:  "no terminal: no way to ask",
		},
		{
			name:     "classified cannot ask",
			asker:    &fakeAsker{err: &session.Error{Kind: session.KindNoCodeSource, Msg: "no MFA code source", Err: session.ErrCannotAsk}},
			wantCant: true,
			wantKind: session.KindNoCodeSource,
			wantMsg:  "no MFA code source",
		},
		{
			name:     "classified failure",
			asker:    &fakeAsker{err: &session.Error{Kind: session.KindBadCode, Msg: "the MFA code must be 6 digits"}},
			wantKind: session.KindBadCode,
			wantMsg:  "the MFA code must be 6 digits",
		},
		{
			name:    "plain failure",
			asker:   &fakeAsker{err: errors.New("mfa_process exited with status 2")},
			wantMsg: "mfa_process exited with status 2",
		},
		{
			name:     "no asker",
			asker:    nil,
			wantCant: true,
			wantKind: session.KindNoCodeSource,
			wantMsg:  "this client cannot be asked",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tempDir(t)
			seen := make(chan error, 1)
			b := &fakeBackend{credentials: func(ctx context.Context, _ session.Request, a session.Asker) (session.Result, error) {
				_, err := a.MFACode(ctx, session.MFAAsk{Profile: "dev", Serial: "s", Attempt: 1})
				seen <- err
				return session.Result{}, &session.Error{Kind: session.KindNoCodeSource, Msg: "no code"}
			}}
			start(t, newTestServer(t, b, dir, "v1"))
			c := connect(t, dir, "v1")
			if _, err := c.Credentials(context.Background(), session.Request{Profile: "dev"}, tt.asker); session.KindOf(err) != session.KindNoCodeSource {
				t.Fatalf("Credentials error = %v, want the backend's", err)
			}
			err := <-seen
			if err == nil {
				t.Fatal("backend's ask succeeded, want an error")
			}
			if got := errors.Is(err, session.ErrCannotAsk); got != tt.wantCant {
				t.Errorf("errors.Is(%v, ErrCannotAsk) = %v, want %v", err, got, tt.wantCant)
			}
			if got := session.KindOf(err); got != tt.wantKind {
				t.Errorf("kind = %q, want %q", got, tt.wantKind)
			}
			var se *session.Error
			if !errors.As(err, &se) || se.Msg != tt.wantMsg {
				t.Errorf("error = %v, want message %q", err, tt.wantMsg)
			}
		})
	}
}

// TestClientGoneDuringAsk: when the asked client goes away, the Backend's
// Asker fails with ErrCannotAsk, so that the Broker can ask another client.
func TestClientGoneDuringAsk(t *testing.T) {
	tests := []struct {
		name string
		// leave sends a credentials request, waits until the ask reached the
		// client, then makes the client go away.
		leave func(t *testing.T, dir string)
	}{
		{
			name: "connection closed",
			leave: func(t *testing.T, dir string) {
				rc := dialRaw(t, dir, "v1")
				rc.send(t, message{Type: msgCredentials, Request: &session.Request{Profile: "dev"}})
				if m := rc.recv(t); m.Type != msgAsk || m.What != askMFACode {
					t.Errorf("got %q/%q, want an MFA ask", m.Type, m.What)
				}
				rc.c.Close()
			},
		},
		{
			name: "client context cancelled",
			leave: func(t *testing.T, dir string) {
				c := connect(t, dir, "v1")
				ctx, cancel := context.WithCancel(context.Background())
				asker := &blockingAsker{asked: make(chan struct{})}
				errc := make(chan error, 1)
				go func() {
					_, err := c.Credentials(ctx, session.Request{Profile: "dev"}, asker)
					errc <- err
				}()
				<-asker.asked
				cancel()
				if err := <-errc; !errors.Is(err, context.Canceled) {
					t.Errorf("Credentials error = %v, want context.Canceled", err)
				}
				if _, err := c.Status(context.Background()); err == nil {
					t.Error("Status on a cancelled connection succeeded")
				}
			},
		},
		{
			name: "answer of the wrong type",
			leave: func(t *testing.T, dir string) {
				rc := dialRaw(t, dir, "v1")
				rc.send(t, message{Type: msgCredentials, Request: &session.Request{Profile: "dev"}})
				rc.recv(t)
				rc.send(t, message{Type: msgStatus})
				if _, err := rc.lr.next(); !errors.Is(err, io.EOF) {
					t.Errorf("after a protocol violation read %v, want EOF", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tempDir(t)
			seen := make(chan error, 1)
			b := &fakeBackend{credentials: func(ctx context.Context, _ session.Request, a session.Asker) (session.Result, error) {
				_, err := a.MFACode(ctx, session.MFAAsk{Profile: "dev", Serial: "s", Attempt: 1})
				// A second ask on the same dead client fails at once.
				_, err2 := a.Passphrase(ctx, false)
				seen <- errors.Join(err, err2)
				return session.Result{}, err
			}}
			start(t, newTestServer(t, b, dir, "v1"))
			tt.leave(t, dir)
			err := <-seen
			if !errors.Is(err, session.ErrCannotAsk) {
				t.Errorf("backend's asker error = %v, want ErrCannotAsk", err)
			}
			// Both asks failed with it.
			if n := strings.Count(err.Error(), "no way to ask"); n != 2 {
				t.Errorf("asker errors %q: want 2 ErrCannotAsk, got %d", err, n)
			}
		})
	}
}

func TestRequests(t *testing.T) {
	dir := tempDir(t)
	exp := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	b := &fakeBackend{
		sessions:  []session.SessionInfo{{Profile: "dev", Kind: "mfa-session", Expiration: exp}},
		vaultOpen: true,
	}
	clock := newFakeClock()
	srv := newTestServer(t, b, dir, "v1")
	srv.Clock = clock
	srv.IdleTimeout = 90 * time.Minute
	srv.Lifetime = 5 * time.Hour
	r := start(t, srv)
	c := connect(t, dir, "v1")
	ctx := context.Background()

	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := Status{PID: st.PID, Version: "v1", Started: clock.Now(), IdleTimeout: 90 * time.Minute, Lifetime: 5 * time.Hour,
		Sessions: b.sessions, VaultOpen: true}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("status = %+v, want %+v", st, want)
	}
	if n, err := c.Clear(ctx, "prod"); err != nil || n != len("prod") {
		t.Errorf("Clear = %d, %v; want %d", n, err, len("prod"))
	}
	if n, err := c.Clear(ctx, ""); err != nil || n != 0 {
		t.Errorf("Clear all = %d, %v; want 0", n, err)
	}
	if err := c.ForgetVault(ctx); err != nil {
		t.Errorf("ForgetVault: %v", err)
	}
	if st, err := c.Status(ctx); err != nil || st.VaultOpen {
		t.Errorf("after ForgetVault status = %+v, %v; want vault closed", st, err)
	}
	if err := c.Lock(ctx); err != nil {
		t.Errorf("Lock: %v", err)
	}
	// Lock ends the agent (issue 7 item 12): Lock returned once its socket
	// was gone, and Run returns.
	if err := r.wait(); err != nil {
		t.Errorf("Run after Lock = %v, want nil", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, SocketName)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket still there after Lock: %v", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !reflect.DeepEqual(b.forgotten, []string{"prod", ""}) || b.vaultForgotten != 1 || b.locks != 2 { // the lock, and Run's exit
		t.Errorf("backend saw forgotten %q, vault forgotten %d, locks %d", b.forgotten, b.vaultForgotten, b.locks)
	}
}

func TestForgetVaultWithoutVault(t *testing.T) {
	dir := tempDir(t)
	b := &fakeBackend{vaultOpen: true}
	// Hide fakeBackend's VaultHolder methods.
	start(t, newTestServer(t, struct{ Backend }{b}, dir, "v1"))
	c := connect(t, dir, "v1")
	if err := c.ForgetVault(context.Background()); session.KindOf(err) != session.KindUnsupported {
		t.Errorf("ForgetVault = %v, want kind %q", err, session.KindUnsupported)
	}
	if st, err := c.Status(context.Background()); err != nil || st.VaultOpen {
		t.Errorf("status = %+v, %v; want the vault reported closed", st, err)
	}
}

func TestConcurrentClients(t *testing.T) {
	dir := tempDir(t)
	b := &fakeBackend{credentials: func(ctx context.Context, req session.Request, a session.Asker) (session.Result, error) {
		code, err := a.MFACode(ctx, session.MFAAsk{Profile: req.Profile, Serial: "s", Attempt: 1})
		if err != nil {
			return session.Result{}, err
		}
		return session.Result{Credentials: session.Credentials{AccessKeyID: req.Profile, SessionToken: code}}, nil
	}}
	start(t, newTestServer(t, b, dir, "v1"))
	const n = 16
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := Connect(context.Background(), ConnectOptions{Dir: dir, Version: "v1"})
			if err != nil {
				errs[i] = err
				return
			}
			defer c.Close()
			profile, code := fmt.Sprintf("p%d", i), fmt.Sprintf("%06d", i)
			res, err := c.Credentials(context.Background(), session.Request{Profile: profile}, &fakeAsker{code: code})
			if err == nil && (res.Credentials.AccessKeyID != profile || res.Credentials.SessionToken != code) {
				err = fmt.Errorf("got %s/%s, want %s/%s", res.Credentials.AccessKeyID, res.Credentials.SessionToken, profile, code)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("client %d: %v", i, err)
		}
	}
	if got := b.requestCount(); got != n {
		t.Errorf("backend served %d requests, want %d", got, n)
	}
}

func TestProtocolViolations(t *testing.T) {
	tests := []struct {
		name string
		send func(t *testing.T, rc *rawConn)
	}{
		{
			name: "oversized line",
			send: func(t *testing.T, rc *rawConn) {
				// The write may fail once the agent hangs up; only the hang-up matters.
				_, _ = rc.c.Write([]byte(strings.Repeat("x", MaxMessageSize+1)))
			},
		},
		{
			name: "malformed json",
			send: func(t *testing.T, rc *rawConn) { _, _ = rc.c.Write([]byte("{not json\n")) },
		},
		{
			name: "unknown request",
			send: func(t *testing.T, rc *rawConn) { rc.send(t, message{Type: "launch-missiles"}) },
		},
		{
			name: "answer without ask",
			send: func(t *testing.T, rc *rawConn) { rc.send(t, message{Type: msgAnswer, ID: 1, Value: "123456"}) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tempDir(t)
			b := &fakeBackend{}
			start(t, newTestServer(t, b, dir, "v1"))
			rc := dialRaw(t, dir, "v1")
			tt.send(t, rc)
			if m, err := rc.lr.next(); err == nil {
				t.Errorf("agent answered %q, want the connection closed", m.Type)
			}
			if b.requestCount() != 0 {
				t.Error("backend was called")
			}
			// The agent itself keeps serving.
			if _, err := connect(t, dir, "v1").Status(context.Background()); err != nil {
				t.Errorf("Status after a bad client: %v", err)
			}
		})
	}
}

func TestFirstMessageMustBeHello(t *testing.T) {
	dir := tempDir(t)
	b := &fakeBackend{}
	start(t, newTestServer(t, b, dir, "v1"))
	rc := dialRaw(t, dir, "")
	rc.send(t, message{Type: msgCredentials, Request: &session.Request{Profile: "dev"}})
	if m := rc.recv(t); m.Type != msgReply || m.Error == nil {
		t.Errorf("got %+v, want an error reply", m)
	}
	if _, err := rc.lr.next(); err == nil {
		t.Error("connection still open after a missing hello")
	}
	if b.requestCount() != 0 {
		t.Error("backend was called without a hello")
	}
}

func TestOtherVersionMayOnlyStatusOrStop(t *testing.T) {
	dir := tempDir(t)
	b := &fakeBackend{}
	start(t, newTestServer(t, b, dir, "v1"))
	rc := dialRaw(t, dir, "v2")
	rc.send(t, message{Type: msgStatus})
	if m := rc.recv(t); m.Status == nil || m.Status.Version != "v1" {
		t.Errorf("status reply %+v, want version v1", m)
	}
	for _, typ := range []string{msgCredentials, msgLock, msgClear, msgForgetVault} {
		rc.send(t, message{Type: typ, Request: &session.Request{Profile: "dev"}})
		if m := rc.recv(t); m.Error == nil || !strings.Contains(m.Error.Msg, `"v2"`) {
			t.Errorf("%s from another version: reply %+v, want a version error", typ, m)
		}
	}
	if b.requestCount() != 0 || b.lockCount() != 0 {
		t.Error("backend was used by a client of another version")
	}
	// Without Start, Connect reports the mismatch instead of replacing.
	_, err := Connect(context.Background(), ConnectOptions{Dir: dir, Version: "v2"})
	if !errors.Is(err, ErrNotRunning) || !strings.Contains(err.Error(), `"v1"`) {
		t.Errorf("Connect of another version without Start = %v", err)
	}
}
