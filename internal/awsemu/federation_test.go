package awsemu_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/awsmfa/awsmfa/internal/awsemu"
)

// signin posts getSigninToken for c to the emulator's federation endpoint;
// dur < 0 leaves SessionDuration out.
func signin(t *testing.T, s *awsemu.Server, c *ststypes.Credentials, dur int) (int, string) {
	t.Helper()
	sess, _ := json.Marshal(map[string]string{"sessionId": aws.ToString(c.AccessKeyId),
		"sessionKey": aws.ToString(c.SecretAccessKey), "sessionToken": aws.ToString(c.SessionToken)})
	form := url.Values{"Action": {"getSigninToken"}, "Session": {string(sess)}}
	if dur >= 0 {
		form.Set("SessionDuration", strconv.Itoa(dur))
	}
	resp, err := http.PostForm(s.URL()+awsemu.FederationPath, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return resp.StatusCode, string(body)
	}
	var out struct{ SigninToken string }
	if err := json.Unmarshal(body, &out); err != nil || out.SigninToken == "" {
		t.Fatalf("getSigninToken answered %q: %v", body, err)
	}
	return 200, out.SigninToken
}

// TestFederationEndpoint covers what the federation endpoint accepts, as
// IAM-FACTS.md states AWS's rules: GetSessionToken credentials are never
// federated, SessionDuration only for a role assumed with long-term
// credentials, and a chained role without it; login redirects with a valid
// sign-in token only.
func TestFederationEndpoint(t *testing.T) {
	ctx := t.Context()
	s := start(t)
	alice, dev := userWithMFA(t, s, "alice", allowAll)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`
	if _, err := s.CreateRole("admin", trust, 12*time.Hour); err != nil {
		t.Fatal(err)
	}
	roleARN := "arn:aws:iam::123456789012:role/admin"

	gst, err := stsClient(s, alice).GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String(dev.Serial), TokenCode: aws.String(code(t, s, dev.Serial))})
	if err != nil {
		t.Fatal(err)
	}
	sessCreds := creds{aws.ToString(gst.Credentials.AccessKeyId), aws.ToString(gst.Credentials.SecretAccessKey), aws.ToString(gst.Credentials.SessionToken)}
	chained, err := stsClient(s, sessCreds).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("chained")})
	if err != nil {
		t.Fatal(err)
	}
	s.Clock().Advance(31 * time.Second)
	direct, err := stsClient(s, alice).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("direct"),
		DurationSeconds: aws.Int32(7200), SerialNumber: aws.String(dev.Serial), TokenCode: aws.String(code(t, s, dev.Serial))})
	if err != nil {
		t.Fatal(err)
	}
	wrongSecret := *chained.Credentials
	wrongSecret.SecretAccessKey = aws.String(strings.Repeat("x", 40))

	for _, tc := range []struct {
		name  string
		creds *ststypes.Credentials
		dur   int
		ok    bool
		code  string
	}{
		{"GetSessionToken credentials are not federated", gst.Credentials, -1, false, "SessionTokenNotFederated"},
		{"chained role without SessionDuration", chained.Credentials, -1, true, ""},
		{"chained role with SessionDuration", chained.Credentials, 3600, false, "SessionDurationNotAllowed"},
		{"direct role with SessionDuration", direct.Credentials, 43200, true, ""},
		{"direct role, SessionDuration too long", direct.Credentials, 43201, false, "InvalidSessionDuration"},
		{"direct role, SessionDuration too short", direct.Credentials, 899, false, "InvalidSessionDuration"},
		{"wrong secret", &wrongSecret, -1, false, "InvalidClientTokenId"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, tok := signin(t, s, tc.creds, tc.dur)
			if tc.ok != (status == 200) {
				t.Fatalf("status %d (%s), want ok=%v", status, tok, tc.ok)
			}
			if !tc.ok {
				if !strings.Contains(tok, "Invalid Credentials Parameter") {
					t.Errorf("body %q", tok)
				}
				log := s.CallLog()
				if last := log[len(log)-1]; last.Action != awsemu.ActionGetSigninToken || last.ErrorCode != tc.code {
					t.Errorf("logged %+v, want error %s", last, tc.code)
				}
			}
		})
	}

	// login: a valid token redirects to Destination; a made-up one fails.
	_, tok := signin(t, s, direct.Credentials, 43200)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	login := func(tok, dest string) *http.Response {
		q := url.Values{"Action": {"login"}, "Issuer": {"awsmfa"}, "Destination": {dest}, "SigninToken": {tok}}
		resp, err := noFollow.Get(s.URL() + awsemu.FederationPath + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := login(tok, "https://console.aws.amazon.com/"); r.StatusCode != http.StatusFound || r.Header.Get("Location") != "https://console.aws.amazon.com/" {
		t.Errorf("login: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if r := login(strings.Repeat("A", 96), "https://console.aws.amazon.com/"); r.StatusCode != http.StatusBadRequest {
		t.Errorf("login with a made-up token: %d", r.StatusCode)
	}
	if r := login(tok, "http://evil.example/"); r.StatusCode != http.StatusBadRequest {
		t.Errorf("login to a non-https destination: %d", r.StatusCode)
	}
	logins := s.ConsoleLogins()
	if len(logins) != 1 || logins[0].SessionKeyID != aws.ToString(direct.Credentials.AccessKeyId) || logins[0].Duration != 12*time.Hour {
		t.Errorf("logins %+v", logins)
	}
	// The sign-in token lasts 15 minutes.
	s.Clock().Advance(16 * time.Minute)
	if r := login(tok, "https://console.aws.amazon.com/"); r.StatusCode != http.StatusBadRequest {
		t.Errorf("login with an expired token: %d", r.StatusCode)
	}
}
