// Package console signs in to the AWS Management Console with temporary
// credentials: it asks the sign-in federation endpoint for a sign-in token
// (getSigninToken), builds the login URL, and hands that URL to a browser
// without putting it on any command line.
//
// The login URL and the sign-in token are bearer credentials: whoever holds
// them within 15 minutes gets the console session. Nothing in this package
// logs them or puts them in an error.
package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Issuer names awsmfa to the federation endpoint's login action.
const Issuer = "awsmfa"

// Console session limits for SessionDuration, as AWS documents them.
const (
	MinSessionDuration = 15 * time.Minute
	MaxSessionDuration = 12 * time.Hour
)

// ErrRefused: the federation endpoint refused the credentials or the
// parameters (AWS answers HTTP 400 without saying which).
var ErrRefused = errors.New("the sign-in federation endpoint refused the credentials")

// ErrNotFederated: the profile's credentials cannot sign in to the console
// (an IAM-user profile's MFA session comes from GetSessionToken).
var ErrNotFederated = errors.New("credentials that cannot sign in to the console")

// ErrEndpoint: a configured federation endpoint is not usable.
var ErrEndpoint = errors.New("invalid federation endpoint")

// Partition is what differs between AWS partitions for console sign-in.
type Partition struct {
	Name       string // aws, aws-cn, aws-us-gov
	Federation string // the federation endpoint
	Console    string // the console's home, with a trailing slash
}

var partitions = []Partition{
	{Name: "aws", Federation: "https://signin.aws.amazon.com/federation", Console: "https://console.aws.amazon.com/"},
	{Name: "aws-cn", Federation: "https://signin.amazonaws.cn/federation", Console: "https://console.amazonaws.cn/"},
	{Name: "aws-us-gov", Federation: "https://signin.amazonaws-us-gov.com/federation", Console: "https://console.amazonaws-us-gov.com/"},
}

// PartitionOf returns the partition named in arn ("arn:PARTITION:…"); an
// ARN of an unknown or missing partition gives an error.
func PartitionOf(arn string) (Partition, error) {
	parts := strings.SplitN(arn, ":", 3)
	if len(parts) < 3 || parts[0] != "arn" {
		return Partition{}, fmt.Errorf("%q is not an ARN", arn)
	}
	for _, p := range partitions {
		if p.Name == parts[1] {
			return p, nil
		}
	}
	return Partition{}, fmt.Errorf("console sign-in in partition %q is not supported (only aws, aws-cn and aws-us-gov)", parts[1])
}

// Destination is the console page to open: the partition's console home,
// in region when one is given.
func (p Partition) Destination(region string) string {
	if region == "" {
		return p.Console
	}
	return p.Console + "console/home?region=" + url.QueryEscape(region)
}

// CheckEndpoint accepts a federation endpoint given in place of the
// partition's: https, or plain http to a loopback address only (a test
// emulator), since the endpoint receives the session credentials.
func CheckEndpoint(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%w: %q is not an absolute URL without query or credentials", ErrEndpoint, raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || host == "localhost" {
			return nil
		}
		return fmt.Errorf("%w: %q sends credentials in the clear; use https (plain http only to a loopback address)", ErrEndpoint, raw)
	}
	return fmt.Errorf("%w: %q is neither https nor http", ErrEndpoint, raw)
}

// Credentials are the temporary credentials to sign in with.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// Client talks to one federation endpoint.
type Client struct {
	// Endpoint is the federation endpoint URL.
	Endpoint string
	// HTTP makes the call; nil means a client with a 30-second timeout.
	HTTP *http.Client
}

// maxAnswer bounds the endpoint's answer; a sign-in token is a few KiB.
const maxAnswer = 64 << 10

// SigninToken asks the endpoint for a sign-in token for c. duration sets
// the console session's length (SessionDuration) and must be 0 for
// credentials of a chained role, which AWS refuses it for; the session then
// lasts as long as the credentials. The credentials travel in a POST body,
// never in a URL.
func (cl *Client) SigninToken(ctx context.Context, c Credentials, duration time.Duration) (string, error) {
	if c.SessionToken == "" {
		return "", fmt.Errorf("getting a sign-in token: %w: long-term keys cannot sign in to the console", ErrNotFederated)
	}
	if duration != 0 && (duration < MinSessionDuration || duration > MaxSessionDuration) {
		return "", fmt.Errorf("getting a sign-in token: a console session lasts %s to %s, not %s", MinSessionDuration, MaxSessionDuration, duration)
	}
	sess, err := json.Marshal(map[string]string{"sessionId": c.AccessKeyID, "sessionKey": c.SecretAccessKey, "sessionToken": c.SessionToken})
	if err != nil {
		return "", fmt.Errorf("getting a sign-in token: %w", err)
	}
	form := url.Values{"Action": {"getSigninToken"}, "Session": {string(sess)}}
	if duration != 0 {
		form.Set("SessionDuration", strconv.Itoa(int(duration/time.Second)))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cl.Endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("getting a sign-in token from %s: %w", cl.Endpoint, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	hc := cl.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		// The *url.Error names the URL, which holds no secret: the
		// credentials are in the body.
		return "", fmt.Errorf("getting a sign-in token: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return "", fmt.Errorf("getting a sign-in token from %s: reading the answer: %w", cl.Endpoint, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("getting a sign-in token from %s: HTTP %d: %w", cl.Endpoint, resp.StatusCode, ErrRefused)
	}
	var out struct {
		SigninToken string `json:"SigninToken"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.SigninToken == "" {
		// The body is not quoted: it would hold the token.
		return "", fmt.Errorf("getting a sign-in token from %s: the answer is not a sign-in token", cl.Endpoint)
	}
	return out.SigninToken, nil
}

// LoginURL is the URL that signs the browser in with token and opens
// destination. It is a bearer credential for 15 minutes.
func LoginURL(endpoint, token, destination string) string {
	q := url.Values{"Action": {"login"}, "Issuer": {Issuer}, "Destination": {destination}, "SigninToken": {token}}
	return endpoint + "?" + q.Encode()
}

// UserProfileError explains why an IAM-user profile cannot sign in to the
// console, and the way out: a role sourced from it.
type UserProfileError struct {
	Profile    string
	ConfigFile string
	// Roles are the role profiles sourced from Profile, if any.
	Roles []string
	// RoleARN is the role to suggest when there are none: the account's
	// awsmfa role when the account is known, else a placeholder.
	RoleARN string
}

func (e *UserProfileError) Error() string {
	return fmt.Sprintf("profile %s holds an IAM user's key, which cannot sign in to the console: "+
		"AWS does not federate the MFA session's credentials (GetSessionToken), and GetFederationToken "+
		"carries no MFA, so a user whose policies demand MFA is denied it; sign in through a role", e.Profile)
}

func (e *UserProfileError) Unwrap() error { return ErrNotFederated }

// Hints are the exact next steps.
func (e *UserProfileError) Hints() []string {
	if len(e.Roles) > 0 {
		h := []string{"awsmfa login " + e.Roles[0]}
		if len(e.Roles) > 1 {
			h = append(h, fmt.Sprintf("role profiles sourced from %s: %s", e.Profile, strings.Join(e.Roles, ", ")))
		}
		return h
	}
	name := e.Profile + "-console"
	return []string{
		fmt.Sprintf("add to %s the lines `[profile %s]`, `role_arn = %s` and `source_profile = %s` (a role whose trust policy demands MFA; awsmfa setup creates one)",
			e.ConfigFile, name, e.RoleARN, e.Profile),
		"then: awsmfa login " + name,
	}
}
