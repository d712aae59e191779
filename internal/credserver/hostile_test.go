package credserver

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

// hostileCase is one request the endpoint must refuse. The README's table
// lists them; keep both in step.
type hostileCase struct {
	name string
	// req builds the raw request from the issued path, host and token.
	req  func(path, host, token string) string
	want int // the status
	// mayClose allows the connection to be reset instead: Go answers an
	// oversized header with 431 and hangs up while the client still writes,
	// and a reset may overtake the answer.
	mayClose bool
}

func request(method, target, host string, headers ...string) string {
	var b strings.Builder
	b.WriteString(method + " " + target + " HTTP/1.1\r\n")
	if host != "" {
		b.WriteString("Host: " + host + "\r\n")
	}
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("Connection: close\r\n\r\n")
	return b.String()
}

func hostileCases() []hostileCase {
	get := func(extra ...string) func(path, host, token string) string {
		return func(path, host, token string) string {
			return request("GET", path, host, append([]string{"Authorization: " + token}, extra...)...)
		}
	}
	return []hostileCase{
		{"no token", func(p, h, _ string) string { return request("GET", p, h) }, 401, false},
		{"wrong token", func(p, h, tok string) string {
			return request("GET", p, h, "Authorization: "+strings.Repeat("0", len(tok)))
		}, 401, false},
		{"token prefix", func(p, h, tok string) string { return request("GET", p, h, "Authorization: "+tok[:len(tok)-1]) }, 401, false},
		{"token with Bearer", func(p, h, tok string) string { return request("GET", p, h, "Authorization: Bearer "+tok) }, 401, false},
		{"token twice, once wrong", func(p, h, tok string) string {
			return request("GET", p, h, "Authorization: "+tok, "Authorization: x")
		}, 401, false},
		{"token in the query string", func(p, h, tok string) string { return request("GET", p+"?token="+tok, h) }, 400, false},
		{"token in header and query", func(p, h, tok string) string {
			return request("GET", p+"?x=1", h, "Authorization: "+tok)
		}, 400, false},
		{"Origin", get("Origin: http://evil.example"), 403, false},
		{"Origin null", get("Origin: null"), 403, false},
		{"Referer", get("Referer: http://evil.example/page"), 403, false},
		{"Sec-Fetch-Site", get("Sec-Fetch-Site: cross-site"), 403, false},
		{"Host rebinding name", func(p, h, tok string) string {
			_, port, _ := net.SplitHostPort(h)
			return request("GET", p, "rebind.evil.example:"+port, "Authorization: "+tok)
		}, 403, false},
		{"Host localhost", func(p, h, tok string) string {
			_, port, _ := net.SplitHostPort(h)
			return request("GET", p, "localhost:"+port, "Authorization: "+tok)
		}, 403, false},
		{"Host without port", func(p, _, tok string) string { return request("GET", p, "127.0.0.1", "Authorization: "+tok) }, 403, false},
		{"HTTP/1.0 without Host", func(p, _, tok string) string {
			return "GET " + p + " HTTP/1.0\r\nAuthorization: " + tok + "\r\n\r\n"
		}, 403, false},
		{"POST", func(p, h, tok string) string {
			return request("POST", p, h, "Authorization: "+tok, "Content-Length: 0")
		}, 405, false},
		{"PUT", func(p, h, tok string) string { return request("PUT", p, h, "Authorization: "+tok) }, 405, false},
		{"HEAD", func(p, h, tok string) string { return request("HEAD", p, h, "Authorization: "+tok) }, 405, false},
		{"OPTIONS (CORS preflight)", func(p, h, tok string) string {
			return request("OPTIONS", p, h, "Authorization: "+tok)
		}, 405, false},
		{"root path", func(_, h, tok string) string { return request("GET", "/", h, "Authorization: "+tok) }, 404, false},
		{"ECS relative path", func(_, h, tok string) string { return request("GET", "/v2/credentials", h, "Authorization: "+tok) }, 404, false},
		{"path prefix", func(p, h, tok string) string { return request("GET", p[:len(p)-1], h, "Authorization: "+tok) }, 404, false},
		{"path with trailing slash", func(p, h, tok string) string { return request("GET", p+"/", h, "Authorization: "+tok) }, 404, false},
		{"path upper-cased", func(p, h, tok string) string {
			return request("GET", strings.ToUpper(p), h, "Authorization: "+tok)
		}, 404, false},
		{"path percent-encoded", func(p, h, tok string) string {
			return request("GET", strings.Replace(p, "/awsmfa/", "/awsmf%61/", 1), h, "Authorization: "+tok)
		}, 404, false},
		{"path with dot segment", func(p, h, tok string) string {
			return request("GET", "/x/.."+p, h, "Authorization: "+tok)
		}, 404, false},
		{"absolute-form target", func(p, h, tok string) string {
			return request("GET", "http://"+h+p, h, "Authorization: "+tok)
		}, 404, false},
		{"body with Content-Length", func(p, h, tok string) string {
			return request("GET", p, h, "Authorization: "+tok, "Content-Length: 5") + "hello"
		}, 400, false},
		{"chunked body", func(p, h, tok string) string {
			return request("GET", p, h, "Authorization: "+tok, "Transfer-Encoding: chunked") + "5\r\nhello\r\n0\r\n\r\n"
		}, 400, false},
		{"oversized header", get("X-Pad: " + strings.Repeat("a", 64<<10)), 431, true},
	}
}

// TestHostile sends every hostile request through a real listener: each is
// refused with its status, no response carries a credential, and the log
// names no token or secret (checked in start's cleanup).
func TestHostile(t *testing.T) {
	f := start(t, nil)
	// A valid request first, so that a credential set is cached and a leak
	// would have something to leak.
	if st, c := f.get(t); st != http.StatusOK || c.AccessKeyID == "" {
		t.Fatalf("valid request: status %d", st)
	}
	cases := hostileCases()
	if len(cases) < 15 {
		t.Fatalf("only %d hostile cases, want at least 15", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := f.raw(t, c.req(f.s.path, f.s.host, f.s.Token()))
			if resp == nil {
				if c.mayClose {
					return
				}
				t.Fatalf("connection closed unanswered, want status %d", c.want)
			}
			if resp.StatusCode != c.want {
				t.Errorf("status %d, want %d (body %s)", resp.StatusCode, c.want, body)
			}
			if strings.Contains(body, "ASIA") || strings.Contains(body, "secret-") {
				t.Errorf("a refused request got credentials: %s", body)
			}
		})
	}
	// Still serving the legitimate client after all that.
	if st, _ := f.get(t); st != http.StatusOK {
		t.Errorf("valid request after the hostile ones: status %d", st)
	}
}

// TestListensOnLoopbackOnly: the listener is 127.0.0.1 on a random port,
// not reachable on ::1 or another address of the host, and each Server has
// its own port, path and 256-bit token.
func TestListensOnLoopbackOnly(t *testing.T) {
	a, b := start(t, nil), start(t, nil)
	ap, err := netip.ParseAddrPort(a.s.host)
	if err != nil {
		t.Fatal(err)
	}
	if ap.Addr() != netip.MustParseAddr("127.0.0.1") || ap.Port() == 0 {
		t.Errorf("listening on %s, want 127.0.0.1:RANDOM", ap)
	}
	if la := a.s.ln.Addr().String(); la != a.s.host {
		t.Errorf("listener address %s, Host expected %s", la, a.s.host)
	}
	if a.s.host == b.s.host || a.s.path == b.s.path || a.s.Token() == b.s.Token() {
		t.Errorf("two servers share a port, path or token: %s %s", a.s.URL(), b.s.URL())
	}
	if len(a.s.Token()) != 2*tokenBytes || tokenBytes*8 < 256 {
		t.Errorf("token has %d hex digits, want %d (256 bits)", len(a.s.Token()), 2*tokenBytes)
	}
	if c, err := net.Dial("tcp", net.JoinHostPort("::1", strconv.Itoa(int(ap.Port())))); err == nil {
		c.Close()
		t.Errorf("reachable on [::1]:%d", ap.Port())
	}
	// Any non-loopback address of this host.
	addrs, _ := net.InterfaceAddrs()
	for _, x := range addrs {
		ipn, ok := x.(*net.IPNet)
		if !ok || ipn.IP.IsLoopback() || ipn.IP.To4() == nil {
			continue
		}
		if c, err := net.Dial("tcp", net.JoinHostPort(ipn.IP.String(), strconv.Itoa(int(ap.Port())))); err == nil {
			c.Close()
			t.Errorf("reachable on %s", ipn.IP)
		}
	}
	wantEnv := []string{
		"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://" + a.s.host + a.s.path,
		"AWS_CONTAINER_AUTHORIZATION_TOKEN=" + a.s.Token(),
	}
	if got := a.s.Env(); strings.Join(got, "\n") != strings.Join(wantEnv, "\n") {
		t.Errorf("Env() = %q, want %q", got, wantEnv)
	}
}

// TestPeerOfAnotherUID: a connection whose client socket belongs to another
// uid, or whose owner cannot be found, is closed before any HTTP.
func TestPeerOfAnotherUID(t *testing.T) {
	for _, tc := range []struct {
		name  string
		owner func(local, remote netip.AddrPort) (int, error)
	}{
		{"another uid", func(netip.AddrPort, netip.AddrPort) (int, error) { return currentUID() + 1, nil }},
		{"owner unknown", func(netip.AddrPort, netip.AddrPort) (int, error) { return -1, errNotInTableForTest }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lookups := make(chan [2]netip.AddrPort, 1)
			f := start(t, func(o *Options) {
				o.peerUID = func(local, remote netip.AddrPort) (int, error) {
					lookups <- [2]netip.AddrPort{local, remote}
					return tc.owner(local, remote)
				}
			})
			resp, _ := f.raw(t, request("GET", f.s.path, f.s.host, "Authorization: "+f.s.Token()))
			if resp != nil {
				t.Fatalf("got status %d, want the connection closed unanswered", resp.StatusCode)
			}
			if f.src.callCount() != 0 {
				t.Errorf("the source was called for a refused peer")
			}
			asked := <-lookups
			if asked[0].String() != f.s.host || !asked[1].Addr().IsLoopback() || asked[1].Port() == asked[0].Port() {
				t.Errorf("the lookup was asked for %v, want [server end, client end]", asked)
			}
			if !strings.Contains(f.log.String(), "refused") {
				t.Errorf("the refusal was not logged: %q", f.log.String())
			}
		})
	}
}

var errNotInTableForTest = errors.New("not in the socket table")
