package credserver

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/awsmfa/awsmfa/internal/session"
)

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// source is a credential Source that hands out numbered sets lasting life
// from its clock's now, and records its calls.
type source struct {
	clock *clock
	life  time.Duration

	mu    sync.Mutex
	calls int
	mins  []time.Duration
	// block, when set, is waited for (or the source's ctx) before answering.
	block chan struct{}
	// err, when set, is returned instead of credentials.
	err error
	// noToken drops the session token from the sets handed out.
	noToken bool
	// ctxErr records the context's error seen by a blocked call.
	ctxErr error
}

func (s *source) get(ctx context.Context, min time.Duration) (session.Credentials, error) {
	s.mu.Lock()
	s.calls++
	n := s.calls
	s.mins = append(s.mins, min)
	block, err, life, noToken := s.block, s.err, s.life, s.noToken
	s.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			s.mu.Lock()
			s.ctxErr = ctx.Err()
			s.mu.Unlock()
			return session.Credentials{}, ctx.Err()
		}
	}
	if err != nil {
		return session.Credentials{}, err
	}
	c := session.Credentials{
		AccessKeyID:     fmt.Sprintf("ASIATESTKEY%08d", n),
		SecretAccessKey: fmt.Sprintf("secret-%d-%s", n, strings.Repeat("s", 30)),
		SessionToken:    fmt.Sprintf("token-%d-%s", n, strings.Repeat("t", 60)),
		Expiration:      s.clock.Now().Add(life),
	}
	if noToken {
		c.SessionToken = ""
	}
	return c, nil
}

func (s *source) callCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// logBuffer collects the Server's log lines.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (l *logBuffer) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// delays records the penalty delays instead of sleeping.
type delays struct {
	mu sync.Mutex
	d  []time.Duration
}

func (d *delays) sleep(_ context.Context, x time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.d = append(d.d, x)
}

func (d *delays) get() []time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]time.Duration(nil), d.d...)
}

// fixture is a started Server with its fakes.
type fixture struct {
	s      *Server
	clock  *clock
	src    *source
	log    *logBuffer
	delays *delays
}

// start starts a Server on a real listener; edit may change its Options.
func start(t *testing.T, edit func(*Options)) *fixture {
	t.Helper()
	f := &fixture{clock: newClock(), log: &logBuffer{}, delays: &delays{}}
	f.src = &source{clock: f.clock, life: time.Hour}
	o := Options{Source: f.src.get, Now: f.clock.Now, Logf: f.log.logf, sleep: f.delays.sleep}
	if edit != nil {
		edit(&o)
	}
	s, err := Start(t.Context(), o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		// Nothing logged may hold the token or a secret.
		logs := f.log.String()
		if strings.Contains(logs, s.Token()) || strings.Contains(logs, "secret-") || strings.Contains(logs, "token-") {
			t.Errorf("the log holds the token or a secret:\n%s", logs)
		}
	})
	f.s = s
	return f
}

// get makes the request an SDK makes, on a fresh connection.
func (f *fixture) get(t *testing.T) (int, ecsCredentials) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, f.s.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", f.s.Token())
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	defer resp.Body.Close()
	var c ecsCredentials
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &c); err != nil {
			t.Fatalf("decoding %s: %v", body, err)
		}
	}
	return resp.StatusCode, c
}

// raw sends req verbatim on a new connection and returns the response, or
// nil when the server closed the connection without answering.
func (f *fixture) raw(t *testing.T, req string) (*http.Response, string) {
	t.Helper()
	c, err := net.Dial("tcp", f.s.host)
	if err != nil {
		t.Fatalf("dialing: %v", err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	// Written while the answer is read: the server may answer and hang up
	// before reading everything (an oversized header).
	go func() { _, _ = io.WriteString(c, req) }()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return nil, ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}
