package credserver

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestServesECSJSON: the answer has the four fields SDKs read, Token (not
// SessionToken) among them, and an RFC 3339 expiration.
func TestServesECSJSON(t *testing.T) {
	f := start(t, nil)
	resp, body := f.raw(t, request("GET", f.s.path, f.s.host, "Authorization: "+f.s.Token()))
	if resp == nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("valid request: %v %s", resp, body)
	}
	for _, field := range []string{`"AccessKeyId":"ASIATESTKEY00000001"`, `"SecretAccessKey":"secret-1-`, `"Token":"token-1-`,
		`"Expiration":"` + f.clock.Now().Add(time.Hour).Format(time.RFC3339) + `"`} {
		if !strings.Contains(body, field) {
			t.Errorf("body lacks %s: %s", field, body)
		}
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	if got := resp.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
}

// TestRefreshesBelowMinRemaining: the cached set is served while it has 15
// minutes left; below that the Source is asked, for 15 minutes, once.
func TestRefreshesBelowMinRemaining(t *testing.T) {
	f := start(t, nil)
	keys := map[string]bool{}
	step := func(d time.Duration) string {
		f.clock.Advance(d)
		st, c := f.get(t)
		if st != http.StatusOK {
			t.Fatalf("status %d", st)
		}
		exp, err := time.Parse(time.RFC3339, c.Expiration)
		if err != nil {
			t.Fatal(err)
		}
		if left := exp.Sub(f.clock.Now()); left < DefaultMinRemaining {
			t.Errorf("handed out credentials with %s left, want at least %s", left, DefaultMinRemaining)
		}
		keys[c.AccessKeyID] = true
		return c.AccessKeyID
	}
	first := step(0)
	if got := step(44 * time.Minute); got != first { // 16 min left
		t.Errorf("refreshed with 16 minutes left")
	}
	if got := step(2 * time.Minute); got == first { // 14 min left
		t.Errorf("served a set with 14 minutes left")
	}
	// Three hours of 10-minute steps: a refresh each hour, nothing between.
	for range 18 {
		step(10 * time.Minute)
	}
	if n := f.src.callCount(); n != len(keys) || n < 4 {
		t.Errorf("source called %d times for %d distinct sets", n, len(keys))
	}
	for _, m := range f.src.mins {
		if m != DefaultMinRemaining {
			t.Errorf("source asked for %s, want %s", m, DefaultMinRemaining)
		}
	}
}

// TestConcurrentAtExpiry: 32 requests arriving while the set has expired
// share one Source call.
func TestConcurrentAtExpiry(t *testing.T) {
	const n = 32
	all := make(chan struct{})
	var once sync.Once
	f := start(t, func(o *Options) {
		o.joined = func(waiting int) {
			if waiting == n {
				once.Do(func() { close(all) })
			}
		}
	})
	if st, _ := f.get(t); st != http.StatusOK {
		t.Fatal(st)
	}
	f.clock.Advance(time.Hour)
	f.src.mu.Lock()
	f.src.block = all // the refresh answers once all n wait for it
	f.src.mu.Unlock()
	var wg sync.WaitGroup
	keys := make([]string, n)
	for i := range n {
		wg.Go(func() {
			st, c := f.get(t)
			if st != http.StatusOK {
				t.Errorf("request %d: status %d", i, st)
			}
			keys[i] = c.AccessKeyID
		})
	}
	wg.Wait()
	if got := f.src.callCount(); got != 2 {
		t.Errorf("source called %d times, want 2 (the first set, one refresh for all %d)", got, n)
	}
	if uniq := slices.Compact(slices.Sorted(slices.Values(keys))); len(uniq) != 1 || uniq[0] != "ASIATESTKEY00000002" {
		t.Errorf("the %d requests got %v, want the one refreshed set", n, uniq)
	}
}

// TestSourceFailure: a failed refresh is a 503 naming the cause (never a
// secret), is not cached, and the next request tries again.
func TestSourceFailure(t *testing.T) {
	f := start(t, nil)
	f.src.err = errors.New("asking for an MFA code: no way to ask")
	resp, body := f.raw(t, request("GET", f.s.path, f.s.host, "Authorization: "+f.s.Token()))
	if resp == nil || resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "no way to ask") {
		t.Fatalf("got %v %s, want 503 with the cause", resp, body)
	}
	f.src.mu.Lock()
	f.src.err = nil
	f.src.mu.Unlock()
	if st, _ := f.get(t); st != http.StatusOK {
		t.Errorf("after the source recovered: status %d", st)
	}
	if n := f.src.callCount(); n != 2 {
		t.Errorf("source called %d times, want 2", n)
	}
}

// TestShortOrIncompleteCredentials: a Source handing out less than 15
// minutes, or a set without a token, gets a 503, not a set the SDK would
// have to fetch again at once.
func TestShortOrIncompleteCredentials(t *testing.T) {
	f := start(t, nil)
	f.src.mu.Lock()
	f.src.life = 14 * time.Minute
	f.src.mu.Unlock()
	if st, _ := f.get(t); st != http.StatusServiceUnavailable {
		t.Errorf("14-minute credentials: status %d, want 503", st)
	}
	f.src.mu.Lock()
	f.src.life, f.src.noToken = time.Hour, true
	f.src.mu.Unlock()
	if st, _ := f.get(t); st != http.StatusServiceUnavailable {
		t.Errorf("credentials without a token: status %d, want 503", st)
	}
}

// TestRefreshOutlivesImpatientClient: an SDK that times out while the
// refresh waits (for a person typing a code) does not cancel it; the next
// request gets its result without another Source call. Close ends it.
func TestRefreshOutlivesImpatientClient(t *testing.T) {
	joined := make(chan int, 8)
	f := start(t, func(o *Options) { o.joined = func(n int) { joined <- n } })
	release := make(chan struct{})
	f.src.block = release
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := f.s.Credentials(ctx)
		done <- err
	}()
	<-joined
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("impatient caller: %v", err)
	}
	close(release)
	if st, c := f.get(t); st != http.StatusOK || c.AccessKeyID != "ASIATESTKEY00000001" {
		t.Errorf("next request: %d %s", st, c.AccessKeyID)
	}
	if n := f.src.callCount(); n != 1 {
		t.Errorf("source called %d times, want 1", n)
	}
	f.src.ctxErr = nil

	// A refresh under way when the server closes is cancelled.
	g := start(t, func(o *Options) { o.joined = func(n int) { joined <- n } })
	g.src.block = make(chan struct{})
	go func() {
		_, err := g.s.Credentials(context.Background())
		done <- err
	}()
	<-joined
	if err := g.s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Errorf("a refresh cut by Close succeeded")
	}
	g.src.mu.Lock()
	defer g.src.mu.Unlock()
	if !errors.Is(g.src.ctxErr, context.Canceled) {
		t.Errorf("the source's context after Close: %v, want canceled", g.src.ctxErr)
	}
}

// TestSlowsDownRepeatedFailures: five failures in a row cost nothing, then
// each costs a doubling delay up to the cap; a success starts over.
func TestSlowsDownRepeatedFailures(t *testing.T) {
	f := start(t, nil)
	bad := request("GET", f.s.path, f.s.host, "Authorization: wrong")
	for range 10 {
		if resp, _ := f.raw(t, bad); resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong token: %v", resp)
		}
	}
	want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}
	if got := f.delays.get(); !slices.Equal(got, want) {
		t.Errorf("delays %v, want %v", got, want)
	}
	for range 3 {
		f.raw(t, bad)
	}
	if got := f.delays.get(); len(got) != 8 || got[7] != maxDelay {
		t.Errorf("delays %v, want three more at the cap %s", got, maxDelay)
	}
	if st, _ := f.get(t); st != http.StatusOK {
		t.Fatalf("valid request: %d", st)
	}
	for range 5 {
		f.raw(t, bad)
	}
	if got := f.delays.get(); len(got) != 8 {
		t.Errorf("after a success five failures cost %v, want nothing", got[8:])
	}
}

// TestStartNeedsSource: a Server without a Source is refused.
func TestStartNeedsSource(t *testing.T) {
	if _, err := Start(t.Context(), Options{}); err == nil {
		t.Error("Start without a Source succeeded")
	}
}
