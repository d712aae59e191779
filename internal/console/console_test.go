package console

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPartitionOf(t *testing.T) {
	for _, tc := range []struct {
		arn, fed, dest string
	}{
		{"arn:aws:iam::123456789012:role/admin", "https://signin.aws.amazon.com/federation", "https://console.aws.amazon.com/console/home?region=eu-west-1"},
		{"arn:aws-cn:iam::123456789012:role/admin", "https://signin.amazonaws.cn/federation", "https://console.amazonaws.cn/console/home?region=eu-west-1"},
		{"arn:aws-us-gov:iam::123456789012:role/admin", "https://signin.amazonaws-us-gov.com/federation", "https://console.amazonaws-us-gov.com/console/home?region=eu-west-1"},
	} {
		p, err := PartitionOf(tc.arn)
		if err != nil || p.Federation != tc.fed || p.Destination("eu-west-1") != tc.dest {
			t.Errorf("%s: %+v %v", tc.arn, p, err)
		}
	}
	if p, _ := PartitionOf("arn:aws:iam::123456789012:role/admin"); p.Destination("") != "https://console.aws.amazon.com/" {
		t.Errorf("no region: %s", p.Destination(""))
	}
	for _, bad := range []string{"", "role/admin", "arn:aws-iso:iam::123456789012:role/admin"} {
		if _, err := PartitionOf(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestCheckEndpoint(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://signin.aws.amazon.com/federation": true,
		"http://127.0.0.1:8080/federation":         true,
		"http://[::1]:8080/federation":             true,
		"http://localhost:8080/federation":         true,
		"http://signin.example.com/federation":     false, // credentials in the clear
		"ftp://signin.example.com/federation":      false,
		"https://user:pw@signin.example.com/":      false,
		"https://signin.example.com/f?x=1":         false,
		"/federation":                              false,
	} {
		if err := CheckEndpoint(raw); (err == nil) != ok {
			t.Errorf("%s: %v, want ok=%v", raw, err, ok)
		} else if err != nil && !errors.Is(err, ErrEndpoint) {
			t.Errorf("%s: %v does not wrap ErrEndpoint", raw, err)
		}
	}
}

// TestSigninTokenRequest checks the request on the wire: a POST whose body
// (never the URL) holds the session JSON, SessionDuration only when asked;
// and that a refusal names neither the credentials nor the answer.
func TestSigninTokenRequest(t *testing.T) {
	var got *http.Request
	var form map[string][]string
	status := 200
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		_ = r.ParseForm()
		form = r.PostForm
		w.WriteHeader(status)
		w.Write([]byte(`{"SigninToken":"tok-SECRETSIGNIN"}`))
	}))
	defer srv.Close()
	cl := &Client{Endpoint: srv.URL + "/federation"}
	c := Credentials{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "SECRETKEY", SessionToken: "SECRETTOKEN"}
	tok, err := cl.SigninToken(context.Background(), c, 0)
	if err != nil || tok != "tok-SECRETSIGNIN" {
		t.Fatalf("%q %v", tok, err)
	}
	if got.Method != http.MethodPost || got.URL.RawQuery != "" || form["Action"][0] != "getSigninToken" || form["SessionDuration"] != nil {
		t.Errorf("request %s %s %v", got.Method, got.URL, form)
	}
	if s := form["Session"][0]; s != `{"sessionId":"ASIAEXAMPLE","sessionKey":"SECRETKEY","sessionToken":"SECRETTOKEN"}` {
		t.Errorf("Session %s", s)
	}
	if _, err := cl.SigninToken(context.Background(), c, 2*time.Hour); err != nil || form["SessionDuration"][0] != "7200" {
		t.Errorf("SessionDuration %v %v", form["SessionDuration"], err)
	}
	if _, err := cl.SigninToken(context.Background(), c, 13*time.Hour); err == nil {
		t.Error("13h accepted")
	}
	if _, err := cl.SigninToken(context.Background(), Credentials{AccessKeyID: "AKIA", SecretAccessKey: "x"}, 0); !errors.Is(err, ErrNotFederated) {
		t.Errorf("long-term key: %v", err)
	}
	status = 400
	_, err = cl.SigninToken(context.Background(), c, 0)
	if !errors.Is(err, ErrRefused) || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("refusal: %v", err)
	}
}

func TestLoginURL(t *testing.T) {
	u := LoginURL("https://signin.aws.amazon.com/federation", "TOK", "https://console.aws.amazon.com/console/home?region=us-east-1")
	want := "https://signin.aws.amazon.com/federation?Action=login&Destination=https%3A%2F%2Fconsole.aws.amazon.com%2Fconsole%2Fhome%3Fregion%3Dus-east-1&Issuer=awsmfa&SigninToken=TOK"
	if u != want {
		t.Errorf("got  %s\nwant %s", u, want)
	}
}

func TestOpenCommand(t *testing.T) {
	for goos, want := range map[string]string{
		"linux":   "xdg-open /p/signin.html",
		"freebsd": "xdg-open /p/signin.html",
		"darwin":  "open /p/signin.html",
		"windows": "rundll32 url.dll,FileProtocolHandler /p/signin.html",
	} {
		if got := strings.Join(openCommand(goos, "/p/signin.html"), " "); got != want {
			t.Errorf("%s: %s", goos, got)
		}
	}
}

// TestOpen: the opener gets a private page's path, the page redirects to
// the URL (escaped for HTML), and it is gone once Open returns.
func TestOpen(t *testing.T) {
	dir := t.TempDir()
	const u = `https://signin.example/federation?Action=login&SigninToken=T"><script>`
	var page string
	err := Open(context.Background(), func(_ context.Context, target string) error {
		page = target
		fi, err := os.Stat(target)
		if err != nil {
			return err
		}
		di, err := os.Stat(filepath.Dir(target))
		if err != nil {
			return err
		}
		if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
			t.Errorf("page %v in dir %v", fi.Mode().Perm(), di.Mode().Perm())
		}
		data, _ := os.ReadFile(target)
		if !strings.Contains(string(data), `url=https://signin.example/federation?Action=login&amp;SigninToken=T&#34;&gt;&lt;script&gt;"`) {
			t.Errorf("page:\n%s", data)
		}
		return nil
	}, dir, u, time.Nanosecond)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(page, dir) || strings.Contains(page, "SigninToken") {
		t.Errorf("opened %s", page)
	}
	if _, err := os.Stat(filepath.Dir(page)); !os.IsNotExist(err) {
		t.Errorf("page directory left behind: %v", err)
	}
	// An opener that fails leaves nothing behind either.
	err = Open(context.Background(), func(context.Context, string) error { return errors.New("no browser") }, dir, u, time.Nanosecond)
	entries, _ := os.ReadDir(dir)
	if err == nil || len(entries) != 0 {
		t.Errorf("failed open: %v, left %d entries", err, len(entries))
	}
}
