package session

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// hostileSTS answers every request with a GetSessionToken or AssumeRole
// result holding the given values, as a hostile or broken endpoint would.
type hostileSTS struct {
	keyID, secret, token, expiration string
	calls                            atomic.Int32
}

func (h *hostileSTS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.calls.Add(1)
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	action := r.PostForm.Get("Action")
	esc := func(s string) string {
		var b strings.Builder
		_ = xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<%[1]sResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <%[1]sResult>
    <Credentials>
      <AccessKeyId>%[2]s</AccessKeyId>
      <SecretAccessKey>%[3]s</SecretAccessKey>
      <SessionToken>%[4]s</SessionToken>
      <Expiration>%[5]s</Expiration>
    </Credentials>
  </%[1]sResult>
  <ResponseMetadata><RequestId>4fd1d7b0-0000-4000-8000-000000000000</RequestId></ResponseMetadata>
</%[1]sResponse>`, action, esc(h.keyID), esc(h.secret), esc(h.token), esc(h.expiration))
}

// TestHostileSTSAnswerIsRefused guards issue 7 item 7: values from STS are
// checked against their character sets where they come back, so that no
// consumer (exec, write, export, credential-process) ever sees a value that a
// shell or an ini reader would take as code or as another line.
func TestHostileSTSAnswerIsRefused(t *testing.T) {
	const (
		goodID     = "ASIAZZZZZZZZZZZZZZZZ"
		goodSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
		goodToken  = "FwoGZXIvYXdzEJr//////////wEaDJtBgYiY+example+token=="
	)
	for _, tc := range []struct {
		name, keyID, secret, token, expiration string
		kind                                   Kind
		what                                   string
	}{
		{name: "well-formed", keyID: goodID, secret: goodSecret, token: goodToken},
		{name: "command substitution in token", keyID: goodID, secret: goodSecret, token: goodToken + "$(touch pwned)",
			kind: KindBadAnswer, what: "session token"},
		{name: "new line in token", keyID: goodID, secret: goodSecret, token: goodToken + "\ncredential_process = sh -c id",
			kind: KindBadAnswer, what: "session token"},
		{name: "quote in secret", keyID: goodID, secret: goodSecret + "'; id; '", token: goodToken,
			kind: KindBadAnswer, what: "secret access key"},
		{name: "lower case key id", keyID: "asiazzzzzzzzzzzzzzzz", secret: goodSecret, token: goodToken,
			kind: KindBadAnswer, what: "access key id"},
		{name: "short key id", keyID: "ASIA123", secret: goodSecret, token: goodToken,
			kind: KindBadAnswer, what: "access key id"},
		{name: "empty token", keyID: goodID, secret: goodSecret, token: "",
			kind: KindBadAnswer, what: "session token"},
		{name: "unreadable expiration", keyID: goodID, secret: goodSecret, token: goodToken, expiration: "$(id)",
			kind: KindBadAnswer, what: "cannot read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, true)
			exp := tc.expiration
			if exp == "" {
				exp = w.emu.Clock().Now().Add(8 * time.Hour).UTC().Format(time.RFC3339)
			}
			h := &hostileSTS{keyID: tc.keyID, secret: tc.secret, token: tc.token, expiration: exp}
			srv := httptest.NewServer(h)
			defer srv.Close()
			r := w.req("dave") // mfa_serial configured: the only call is GetSessionToken
			r.Env["AWS_ENDPOINT_URL"] = srv.URL
			a := newAsker(w)
			res, err := w.broker.Credentials(t.Context(), r, a)
			if tc.kind == "" {
				if err != nil {
					t.Fatal(err)
				}
				if res.Credentials.SessionToken != tc.token {
					t.Errorf("token %q, want %q", res.Credentials.SessionToken, tc.token)
				}
				return
			}
			e := wantKind(t, err, tc.kind)
			if !strings.Contains(e.Msg, tc.what) || !strings.Contains(e.Msg, "GetSessionToken") {
				t.Errorf("message %q does not name %q and the call", e.Msg, tc.what)
			}
			for _, v := range []string{"$(", "pwned", "credential_process", "; id", "asiazz"} {
				if strings.Contains(e.Msg+e.Hint, v) {
					t.Errorf("error %q / %q quotes the hostile value (%q)", e.Msg, e.Hint, v)
				}
			}
			if n := h.calls.Load(); n != 1 {
				t.Errorf("%d calls to the endpoint, want 1 (a bad answer is not retried)", n)
			}
			if a.count() != 1 {
				t.Errorf("%d codes asked, want 1 (a bad answer does not ask again)", a.count())
			}
			if len(w.broker.Sessions()) != 0 {
				t.Errorf("a refused answer was cached: %v", w.broker.Sessions())
			}
		})
	}
}

func TestCheckCredentials(t *testing.T) {
	good := Credentials{AccessKeyID: "ASIAZZZZZZZZZZZZZZZZ", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		SessionToken: "IQoJb3JpZ2luX2VjEJr/+==", Expiration: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	for _, tc := range []struct {
		name string
		edit func(c *Credentials)
		bad  string // a word of the complaint; "" = valid
	}{
		{name: "good", edit: func(*Credentials) {}},
		{name: "key id 128", edit: func(c *Credentials) { c.AccessKeyID = strings.Repeat("A", 128) }},
		{name: "key id 129", edit: func(c *Credentials) { c.AccessKeyID = strings.Repeat("A", 129) }, bad: "access key id"},
		{name: "key id 15", edit: func(c *Credentials) { c.AccessKeyID = strings.Repeat("A", 15) }, bad: "access key id"},
		{name: "key id space", edit: func(c *Credentials) { c.AccessKeyID = "ASIA ZZZZZZZZZZZZZZZ" }, bad: "access key id"},
		{name: "secret dollar", edit: func(c *Credentials) { c.SecretAccessKey += "$HOME" }, bad: "secret"},
		{name: "secret backtick", edit: func(c *Credentials) { c.SecretAccessKey += "`id`" }, bad: "secret"},
		{name: "secret too short", edit: func(c *Credentials) { c.SecretAccessKey = "abc" }, bad: "secret"},
		{name: "token CR", edit: func(c *Credentials) { c.SessionToken += "\r" }, bad: "session token"},
		{name: "token semicolon", edit: func(c *Credentials) { c.SessionToken += ";" }, bad: "session token"},
		{name: "token double quote", edit: func(c *Credentials) { c.SessionToken += `"` }, bad: "session token"},
		{name: "token percent", edit: func(c *Credentials) { c.SessionToken += "%PATH%" }, bad: "session token"},
		{name: "token non-ASCII", edit: func(c *Credentials) { c.SessionToken += "é" }, bad: "session token"},
		{name: "token too long", edit: func(c *Credentials) { c.SessionToken = strings.Repeat("A", maxTokenLen+1) }, bad: "session token"},
		{name: "zero expiration", edit: func(c *Credentials) { c.Expiration = time.Time{} }, bad: "expiration"},
		{name: "five-digit year", edit: func(c *Credentials) { c.Expiration = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, bad: "expiration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.edit(&c)
			got := checkCredentials(c)
			if (got == "") != (tc.bad == "") || !strings.Contains(got, tc.bad) {
				t.Errorf("checkCredentials = %q, want a complaint about %q", got, tc.bad)
			}
		})
	}
}
