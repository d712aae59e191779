package session

import (
	"fmt"
	"time"

	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// Bounds on the credentials STS hands out. Access key ids are 16 to 128
// upper-case letters and digits (IAM's documented pattern); secrets and
// session tokens are base64. The token bound only keeps a hostile answer from
// filling memory and environments: AWS's tokens are a few KiB at most.
const (
	minKeyIDLen  = 16
	maxKeyIDLen  = 128
	minSecretLen = 16
	maxSecretLen = 256
	maxTokenLen  = 64 << 10
)

// fromSTS checks the credentials in an STS answer and returns them. Every
// value is checked against its character set here, where it comes back from
// AWS, so that no consumer (exec's environment, write's ini file, export's
// shell lines, credential_process's JSON) ever sees a value that could be
// read as code or as another line. A bad answer is a *Error that names the
// field but never quotes its value.
func fromSTS(c *ststypes.Credentials, call callInfo) (Credentials, error) {
	bad := func(what string) error {
		return &Error{Kind: KindBadAnswer,
			Msg:  fmt.Sprintf("AWS (%s) answered %s with %s; the credentials were not used", call.endpoint, call.op, what),
			Hint: endpointHint}
	}
	if c == nil || c.AccessKeyId == nil || c.SecretAccessKey == nil || c.SessionToken == nil || c.Expiration == nil {
		return Credentials{}, bad("incomplete credentials")
	}
	cr := Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken,
		Expiration: c.Expiration.UTC()}
	if err := checkCredentials(cr); err != "" {
		return Credentials{}, bad(err)
	}
	return cr, nil
}

// checkCredentials returns what is wrong with c, or "" when every value is
// within its character set and bounds.
func checkCredentials(c Credentials) string {
	switch {
	case !validKeyID(c.AccessKeyID):
		return "an access key id that is not 16 to 128 upper-case letters and digits"
	case !validBase64ish(c.SecretAccessKey, minSecretLen, maxSecretLen):
		return "a secret access key that is not 16 to 256 characters of A-Z, a-z, 0-9, /, + and ="
	case !validBase64ish(c.SessionToken, 1, maxTokenLen):
		return "a session token that is not base64 (A-Z, a-z, 0-9, /, + and =)"
	case !validExpiration(c.Expiration):
		return "an expiration that is not a time between 1970 and 9999"
	}
	return ""
}

func validKeyID(s string) bool {
	if len(s) < minKeyIDLen || len(s) > maxKeyIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if ch := s[i]; (ch < 'A' || ch > 'Z') && (ch < '0' || ch > '9') {
			return false
		}
	}
	return true
}

func validBase64ish(s string, minLen, maxLen int) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if (ch < 'A' || ch > 'Z') && (ch < 'a' || ch > 'z') && (ch < '0' || ch > '9') && ch != '/' && ch != '+' && ch != '=' {
			return false
		}
	}
	return true
}

// validExpiration accepts any parsed time whose RFC 3339 form is the plain
// four-digit-year one every client parses.
func validExpiration(t time.Time) bool {
	return !t.IsZero() && t.Year() >= 1970 && t.Year() <= 9999
}
