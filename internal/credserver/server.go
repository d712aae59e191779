// Package credserver is a local credential endpoint in the form the AWS SDKs'
// container (ECS) credential provider reads: a child process given
// AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN
// fetches {"AccessKeyId","SecretAccessKey","Token","Expiration"} from it
// whenever its credentials near their expiry, so that a job can outlive any
// one set of role credentials.
//
// The endpoint trusts no one. It listens on 127.0.0.1 only, on a random port,
// under a random path, and answers only a GET for exactly that path that
// carries exactly the random 256-bit token (compared in constant time) as its
// Authorization header, names the literal 127.0.0.1:PORT as its Host (DNS
// rebinding), and has no Origin, Referer or Sec-Fetch-* header (a browser),
// no query string and no body. On Linux a connection is accepted only from a
// socket of this process's uid, as the kernel's socket table says. After
// repeated failures every further failure is answered late, one at a time.
// Nothing it logs holds the token or a secret.
//
// The package knows nothing of the command line: credentials come from a
// Source, and the caller decides where the two variables go.
package credserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/awsmfa/awsmfa/internal/session"
)

// The variables a client of the endpoint is given.
const (
	EnvURI   = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
	EnvToken = "AWS_CONTAINER_AUTHORIZATION_TOKEN"
)

// DefaultMinRemaining is the least validity the endpoint hands out:
// botocore refreshes 15 minutes before expiry (the Go SDK 5), so credentials
// with less would be fetched again at once.
const DefaultMinRemaining = 15 * time.Minute

// Limits of the HTTP server.
const (
	// MaxHeaderBytes bounds a request's header block. An SDK sends a few
	// hundred bytes; Go's server answers anything larger with 431.
	MaxHeaderBytes = 8 << 10
	readTimeout    = 10 * time.Second
	// writeTimeout must cover a refresh that asks a person for an MFA code.
	writeTimeout = 5 * time.Minute
	idleTimeout  = 2 * time.Minute
)

// Slowing down repeated failures: after failuresFree failed requests in a
// row, each further failure is answered only after a delay that starts at
// firstDelay and doubles up to maxDelay, and such failures are answered one
// at a time, so that guessing cannot be parallelised. A success resets it.
const (
	failuresFree = 5
	firstDelay   = 250 * time.Millisecond
	maxDelay     = 4 * time.Second
)

// tokenBytes and pathBytes are the random bytes of the token (256 bits) and
// of the path component.
const (
	tokenBytes = 32
	pathBytes  = 16
)

// Source returns credentials that stay valid for at least minRemaining. It is
// called when the cached set runs low, never by two requests at once, under
// a context that ends when the Server closes (not when a client gives up), so
// that a refresh that asks a person for an MFA code is not lost when an SDK
// times out. It must never return credentials with less than minRemaining
// left; the Server checks.
type Source func(ctx context.Context, minRemaining time.Duration) (session.Credentials, error)

// Options configure a Server.
type Options struct {
	// Source supplies the credentials. Required.
	Source Source
	// Now is the clock that judges the cached set's validity; nil is
	// time.Now.
	Now func() time.Time
	// MinRemaining is the least validity handed out; 0 is
	// DefaultMinRemaining.
	MinRemaining time.Duration
	// Port is the port on 127.0.0.1 to listen on; 0 picks a random free one.
	Port int
	// Logf receives one line per rejected request or connection and per
	// failed refresh. It never receives a token or a secret. nil is silent.
	Logf func(format string, args ...any)

	// peerUID finds the uid owning the client end of a connection (tests
	// replace the kernel's socket table); nil uses the platform's lookup.
	peerUID func(local, remote netip.AddrPort) (int, error)
	// sleep waits for d or until ctx ends (tests record the delays instead).
	sleep func(ctx context.Context, d time.Duration)
	// uid is the uid allowed to connect; set from os.Getuid by Start.
	uid int
	// joined is told each time a request joins a refresh under way, with
	// the number waiting (tests).
	joined func(waiting int)
}

// Server is a running endpoint. Close stops it.
type Server struct {
	o     Options
	token []byte
	path  string
	host  string // 127.0.0.1:PORT, the only Host accepted
	url   string
	ln    net.Listener
	srv   *http.Server
	ctx   context.Context // ends when the Server closes
	stop  context.CancelFunc
	done  chan struct{} // closed when Serve returned

	failures atomic.Int64
	penalty  sync.Mutex // held while a failure waits out its delay

	mu     sync.Mutex
	cur    *answer // the cached set, nil before the first refresh
	flight *refresh
}

// answer is one credential set and the response body that carries it.
type answer struct {
	creds session.Credentials
	body  []byte
}

// refresh is one call of the Source that any number of requests wait for.
type refresh struct {
	done    chan struct{}
	ans     *answer
	err     error
	waiting int // guarded by Server.mu
}

// Start listens on 127.0.0.1 and serves until Close. ctx bounds nothing but
// Start itself; the Server's lifetime is Close's to end.
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.Source == nil {
		return nil, errors.New("starting the credential server: no credential source")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MinRemaining <= 0 {
		o.MinRemaining = DefaultMinRemaining
	}
	if o.sleep == nil {
		o.sleep = sleepCtx
	}
	if o.peerUID == nil {
		o.peerUID = socketOwner
	}
	o.uid = currentUID()
	token, err := randomHex(tokenBytes)
	if err != nil {
		return nil, err
	}
	pathPart, err := randomHex(pathBytes)
	if err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(o.Port)))
	if err != nil {
		return nil, fmt.Errorf("starting the credential server: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	sctx, stop := context.WithCancel(context.Background())
	s := &Server{
		o:     o,
		token: []byte(token),
		path:  "/awsmfa/" + pathPart,
		host:  "127.0.0.1:" + strconv.Itoa(port),
		ctx:   sctx,
		stop:  stop,
		done:  make(chan struct{}),
	}
	s.url = "http://" + s.host + s.path
	s.ln = &peerListener{Listener: ln, s: s}
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: readTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		// Go's own complaints (a malformed request line) are dropped: the
		// rejections worth reporting go through Logf.
		ErrorLog:    log.New(io.Discard, "", 0),
		BaseContext: func(net.Listener) context.Context { return sctx },
	}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(s.ln)
	}()
	return s, nil
}

// URL is the endpoint's full URI, http://127.0.0.1:PORT/awsmfa/RANDOM.
func (s *Server) URL() string { return s.url }

// Port is the port the endpoint listens on.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Token is the value a client must send as its Authorization header.
func (s *Server) Token() string { return string(s.token) }

// Env is the two NAME=VALUE entries that point an SDK at the endpoint.
func (s *Server) Env() []string {
	return []string{EnvURI + "=" + s.url, EnvToken + "=" + string(s.token)}
}

// Close stops listening, cuts every connection, ends a refresh under way and
// waits until the server is down.
func (s *Server) Close() error {
	s.stop()
	err := s.srv.Close()
	<-s.done
	return err
}

// Credentials returns the cached set while it has at least MinRemaining
// left, else waits for one refresh shared by every concurrent caller. A
// caller that gives up (ctx) leaves the refresh running for the others and
// the next request.
func (s *Server) Credentials(ctx context.Context) (session.Credentials, error) {
	a, err := s.current(ctx)
	if err != nil {
		return session.Credentials{}, err
	}
	return a.creds, nil
}

func (s *Server) current(ctx context.Context) (*answer, error) {
	s.mu.Lock()
	if a := s.cur; a != nil && a.creds.Remaining(s.o.Now()) >= s.o.MinRemaining {
		s.mu.Unlock()
		return a, nil
	}
	f := s.flight
	if f == nil {
		f = &refresh{done: make(chan struct{})}
		s.flight = f
		go s.refresh(f)
	}
	f.waiting++
	n := f.waiting
	s.mu.Unlock()
	if s.o.joined != nil {
		s.o.joined(n)
	}
	select {
	case <-f.done:
		return f.ans, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *Server) refresh(f *refresh) {
	a, err := s.fetch()
	if err != nil {
		s.logf("refreshing credentials failed: %v", err)
	}
	s.mu.Lock()
	if err == nil {
		s.cur = a
	}
	f.ans, f.err = a, err
	s.flight = nil
	s.mu.Unlock()
	close(f.done)
}

// fetch calls the Source and checks what it returned.
func (s *Server) fetch() (*answer, error) {
	c, err := s.o.Source(s.ctx, s.o.MinRemaining)
	if err != nil {
		return nil, err
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" || c.SessionToken == "" {
		return nil, errors.New("the credential source returned incomplete credentials")
	}
	if left := c.Remaining(s.o.Now()); left < s.o.MinRemaining {
		return nil, fmt.Errorf("the new credentials last %s, less than the %s the endpoint hands out", left.Round(time.Second), s.o.MinRemaining)
	}
	body, err := json.Marshal(ecsCredentials{
		AccessKeyID:     c.AccessKeyID,
		SecretAccessKey: c.SecretAccessKey,
		Token:           c.SessionToken,
		Expiration:      c.Expiration.UTC().Format(time.RFC3339),
	})
	if err != nil {
		return nil, fmt.Errorf("encoding credentials: %w", err)
	}
	return &answer{creds: c, body: body}, nil
}

// ecsCredentials is the container endpoint's JSON. The session token's field
// is "Token"; botocore needs all four.
type ecsCredentials struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	Token           string `json:"Token"`
	Expiration      string `json:"Expiration"`
}

func (s *Server) logf(format string, args ...any) {
	if s.o.Logf != nil {
		s.o.Logf(format, args...)
	}
}

// randomHex returns n random bytes, hex-encoded.
func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("reading random bytes: %w", err)
	}
	return hex.EncodeToString(b), nil
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
