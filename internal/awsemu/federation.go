package awsemu

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// FederationPath is where the emulator serves the sign-in federation
// endpoint (https://signin.aws.amazon.com/federation in AWS).
const FederationPath = "/federation"

// Federation actions as they appear in the call log.
const (
	ActionGetSigninToken = "federation:getSigninToken"
	ActionLogin          = "federation:login"
)

// signinTokenLifetime is how long a sign-in token may be used for the login
// action: AWS documents 15 minutes.
const signinTokenLifetime = 15 * time.Minute

// Console session limits for SessionDuration (AWS: 900 to 43,200 seconds).
const (
	minConsoleSeconds = 900
	maxConsoleSeconds = 43200
)

// badCredentialsBody is what AWS's federation endpoint answers (HTTP 400)
// for credentials or parameters it will not federate.
const badCredentialsBody = "Invalid Credentials Parameter. The request sent by the client was syntactically incorrect."

// signinGrant is one sign-in token handed out by getSigninToken.
type signinGrant struct {
	sessionKeyID string
	issued       time.Time
	console      time.Duration // the console session's length
}

// ConsoleLogin is one successful login action: which session signed in and
// for how long.
type ConsoleLogin struct {
	SessionKeyID string
	Destination  string
	Issuer       string
	Duration     time.Duration
}

// serveFederation answers the federation endpoint:
//
//   - Action=getSigninToken with Session={"sessionId","sessionKey","sessionToken"}
//     checks the temporary credentials as AWS does: they must be a role's
//     (or a federated user's), not GetSessionToken's ("SSO to console" is not
//     allowed for those), and SessionDuration is accepted only when the role
//     was assumed with long-term credentials, not chained. It answers
//     {"SigninToken": …}.
//   - Action=login with SigninToken, Destination and Issuer redirects (302)
//     to Destination while the token is valid.
//
// Failures answer 400 with AWS's text; the call log's error code says which
// rule refused.
func (s *Server) serveFederation(w http.ResponseWriter, r *http.Request) {
	now := s.clock.Now()
	w.Header().Set("Date", now.Format(http.TimeFormat))
	w.Header().Set("Cache-Control", "no-store")
	_, params, aerr := readParams(w, r)
	if aerr != nil {
		s.record(Call{Time: now, Action: "federation:", ErrorCode: aerr.Code})
		http.Error(w, badCredentialsBody, http.StatusBadRequest)
		return
	}
	switch params.Get("Action") {
	case "getSigninToken":
		s.getSigninToken(w, params, now)
	case "login":
		s.consoleLogin(w, params, now)
	default:
		s.record(Call{Time: now, Action: "federation:" + clip(params.Get("Action"), 32), ErrorCode: "InvalidAction"})
		http.Error(w, "Unsupported action", http.StatusBadRequest)
	}
}

func (s *Server) getSigninToken(w http.ResponseWriter, params url.Values, now time.Time) {
	var in struct {
		ID    string `json:"sessionId"`
		Key   string `json:"sessionKey"`
		Token string `json:"sessionToken"`
	}
	call := Call{Time: now, Action: ActionGetSigninToken}
	fail := func(code string) {
		call.ErrorCode = code
		s.record(call)
		http.Error(w, badCredentialsBody, http.StatusBadRequest)
	}
	if err := json.Unmarshal([]byte(params.Get("Session")), &in); err != nil || in.ID == "" {
		fail("MalformedSession")
		return
	}
	call.AccessKeyID = clip(in.ID, 32)
	var console time.Duration
	rawDur, hasDur := params.Get("SessionDuration"), params.Has("SessionDuration")
	if hasDur {
		n, err := strconv.Atoi(rawDur)
		if err != nil || n < minConsoleSeconds || n > maxConsoleSeconds {
			fail("InvalidSessionDuration")
			return
		}
		console = time.Duration(n) * time.Second
	}

	s.mu.Lock()
	sess := s.st.Sessions[in.ID]
	var code string
	switch {
	case sess == nil:
		code = "InvalidClientTokenId"
	case subtle.ConstantTimeCompare([]byte(in.Key), []byte(sess.Secret)) != 1 ||
		subtle.ConstantTimeCompare([]byte(in.Token), []byte(sess.Token)) != 1:
		code = "InvalidClientTokenId"
	case !now.Before(sess.Expires):
		code = "ExpiredToken"
	case sess.Kind == kindSessionToken:
		// AWS's comparison of the STS APIs: "SSO to console" is not
		// allowed with GetSessionToken credentials.
		code = "SessionTokenNotFederated"
	case hasDur && (sess.Kind != kindAssumedRole || sess.Chained):
		// SessionDuration only for a role assumed with long-term
		// credentials; chained credentials must omit it.
		code = "SessionDurationNotAllowed"
	}
	if code == "" {
		if _, aerr := s.sessionPrincipalLocked(sess, in.ID); aerr != nil {
			code = aerr.Code
		}
	}
	if code != "" {
		s.mu.Unlock()
		fail(code)
		return
	}
	if !hasDur {
		// The console session then lasts as long as the credentials.
		console = sess.Expires.Sub(now)
	}
	tok, err := randomString(secretAlphabet[:62], 96)
	if err != nil {
		s.mu.Unlock()
		fail("ServiceFailure")
		return
	}
	if s.signin == nil {
		s.signin = map[string]signinGrant{}
	}
	for t, g := range s.signin {
		if now.Sub(g.issued) > signinTokenLifetime {
			delete(s.signin, t)
		}
	}
	s.signin[tok] = signinGrant{sessionKeyID: in.ID, issued: now, console: console}
	s.mu.Unlock()
	s.record(call)
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, "{\"SigninToken\":%q}\n", tok)
}

func (s *Server) consoleLogin(w http.ResponseWriter, params url.Values, now time.Time) {
	call := Call{Time: now, Action: ActionLogin}
	tok, dest, issuer := params.Get("SigninToken"), params.Get("Destination"), params.Get("Issuer")
	u, err := url.Parse(dest)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		call.ErrorCode = "InvalidDestination"
		s.record(call)
		http.Error(w, badCredentialsBody, http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	var grant signinGrant
	found := false
	for t, g := range s.signin {
		if subtle.ConstantTimeCompare([]byte(t), []byte(tok)) == 1 {
			grant, found = g, true
		}
	}
	if found && now.Sub(grant.issued) > signinTokenLifetime {
		found = false
	}
	if found {
		call.AccessKeyID = grant.sessionKeyID
		s.logins = append(s.logins, ConsoleLogin{SessionKeyID: grant.sessionKeyID, Destination: dest, Issuer: issuer, Duration: grant.console})
	}
	s.mu.Unlock()
	if !found {
		call.ErrorCode = "InvalidSigninToken"
		s.record(call)
		http.Error(w, badCredentialsBody, http.StatusBadRequest)
		return
	}
	s.record(call)
	w.Header().Set("Location", u.String())
	w.WriteHeader(http.StatusFound)
}

// ConsoleLogins returns the successful console logins so far, oldest first.
func (s *Server) ConsoleLogins() []ConsoleLogin {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ConsoleLogin(nil), s.logins...)
}
