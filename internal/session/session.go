// Package session turns a profile into short-lived AWS credentials: it reads
// the profile's source chain, takes the long-term key from the vault, gets an
// MFA session with GetSessionToken, and assumes roles from that session.
//
// A Broker holds the MFA sessions and role credentials in memory only. The
// agent keeps one Broker for its lifetime; --no-agent runs use one per process.
package session

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Credentials are AWS credentials as handed to a tool. SessionToken is empty
// and Expiration zero only for long-term keys, which awsmfa never hands out.
type Credentials struct {
	AccessKeyID     string    `json:"access_key_id"`
	SecretAccessKey string    `json:"secret_access_key"`
	SessionToken    string    `json:"session_token"`
	Expiration      time.Time `json:"expiration"`
}

// Format keeps secrets out of %v, %+v and %s output.
func (c Credentials) Format(st fmt.State, _ rune) {
	fmt.Fprintf(st, "{AccessKeyID:%s Expiration:%s}", c.AccessKeyID, c.Expiration.UTC().Format(time.RFC3339))
}

// Remaining is how long c stays valid at now.
func (c Credentials) Remaining(now time.Time) time.Duration { return c.Expiration.Sub(now) }

// Request says which credentials a caller wants.
type Request struct {
	// Profile is the AWS config profile to resolve.
	Profile string `json:"profile"`
	// Env holds the caller's variables that shape resolution (AWS_CONFIG_FILE,
	// AWS_SHARED_CREDENTIALS_FILE, AWS_ENDPOINT_URL*, AWS_REGION,
	// AWS_DEFAULT_REGION, AWS_STS_REGIONAL_ENDPOINTS, AWSMFA_BACKEND, HOME).
	// It never holds secrets.
	Env map[string]string `json:"env,omitempty"`
	// Backend is the vault backend the caller asked for with --backend.
	Backend string `json:"backend,omitempty"`
	// Duration overrides how long role credentials last (exec --duration).
	Duration time.Duration `json:"duration,omitempty"`
	// SessionDuration overrides the MFA session's length (--session-duration;
	// else the profile's awsmfa_session_duration; else 8 h).
	SessionDuration time.Duration `json:"session_duration,omitempty"`
	// NoSession assumes roles directly with the long-term key and an MFA code.
	NoSession bool `json:"no_session,omitempty"`
	// SaveSerial writes a discovered mfa_serial into the config file.
	SaveSerial bool `json:"save_serial,omitempty"`
	// MinRemaining is the least validity the returned credentials must have;
	// credential_process callers need more than 15 minutes.
	MinRemaining time.Duration `json:"min_remaining,omitempty"`
	// CachedOnly answers from the cache alone: without a cached set the
	// Broker returns an error wrapping ErrNotCached at once, having called
	// and asked nothing. The lean client (internal/cached) sets it, and
	// hands any such request to the full command line, which then does the
	// work once.
	CachedOnly bool `json:"cached_only,omitempty"`
}

// ErrNotCached is the answer to a CachedOnly request without a cached set.
var ErrNotCached = errors.New("no cached credentials")

// Asker obtains what only the caller can supply: MFA codes, the vault
// passphrase, a choice among devices. In the agent each waiting client is an
// Asker; the Broker asks exactly one of them at a time.
type Asker interface {
	// MFACode returns a code for ask.Serial. ask.Attempt is 1 for the first
	// ask and grows after each rejected code; an Asker that cannot ask (again)
	// returns an error wrapping ErrCannotAsk.
	MFACode(ctx context.Context, ask MFAAsk) (string, error)
	// Passphrase returns the file vault's passphrase; creating asks for
	// confirmation.
	Passphrase(ctx context.Context, creating bool) (string, error)
	// ChooseDevice picks one serial when a user has several MFA devices.
	ChooseDevice(ctx context.Context, profile string, serials []string) (string, error)
}

// MFAAsk describes the code wanted.
type MFAAsk struct {
	Profile string `json:"profile"` // the profile the caller asked for
	Serial  string `json:"serial"`  // the MFA device
	// Process is the mfa_process configured along the profile's chain, run by
	// the Asker (never by the agent) without a shell.
	Process string `json:"process,omitempty"`
	Attempt int    `json:"attempt"`
	// Reason says why a code is asked again ("the previous code was
	// rejected"); empty on the first ask.
	Reason string `json:"reason,omitempty"`
}

// Result is what a Broker hands back for a Request.
type Result struct {
	Credentials Credentials `json:"credentials"`
	// Region is the region the caller should use ("" when none is set).
	Region string `json:"region,omitempty"`
	// Notices are one-line messages for the user (a discovered device, a
	// fallback taken). They hold no secrets.
	Notices []string `json:"notices,omitempty"`
}

// ErrCannotAsk means an Asker has no way to obtain what was asked for (no
// terminal, no mfa_process, no flag). The Broker then tries another Asker.
var ErrCannotAsk = errors.New("no way to ask")

// Kind classifies failures so that every front end (CLI, agent protocol) can
// say one actionable sentence and pick the documented exit code.
type Kind string

// The kinds of failure. Their string values cross the agent socket.
const (
	KindMFARejected   Kind = "mfa_rejected"   // wrong, expired or reused code
	KindMFASerial     Kind = "mfa_serial"     // serial not valid for this user
	KindNoMFADevice   Kind = "no_mfa_device"  // discovery found no device
	KindManyDevices   Kind = "many_devices"   // discovery found several, cannot choose
	KindNoCodeSource  Kind = "no_code_source" // no terminal, no mfa_process, no --mfa-token
	KindBadCode       Kind = "bad_code"       // a code that is not 6 digits
	KindDurationLimit Kind = "duration_limit" // chaining limit or MaxSessionDuration
	KindExpired       Kind = "expired"        // ExpiredToken
	KindClockSkew     Kind = "clock_skew"     // request time too far from AWS's
	KindDenied        Kind = "denied"         // AccessDenied other than MFA
	KindThrottled     Kind = "throttled"      // retries exhausted
	KindNetwork       Kind = "network"        // AWS unreachable or timed out
	KindBadAnswer     Kind = "bad_answer"     // AWS's answer failed validation (a hostile or broken endpoint)
	KindNotFound      Kind = "not_found"      // profile or vault key missing
	KindUnsupported   Kind = "unsupported"    // a profile type awsmfa cannot serve yet
	KindConfig        Kind = "config"         // invalid profile configuration
	KindVaultLocked   Kind = "vault_locked"   // wrong passphrase or no passphrase source
)

// Error is a classified failure: one sentence for the user, and optionally
// the exact command or config line that fixes it.
type Error struct {
	Kind Kind
	Msg  string
	Hint string
	Err  error // the underlying cause; not sent across the agent socket
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of the first *Error in err's chain, or "".
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

// SessionInfo describes one cached credential set, without secrets.
type SessionInfo struct {
	Profile    string    `json:"profile"`
	Kind       string    `json:"kind"` // "mfa-session" or "role"
	Expiration time.Time `json:"expiration"`
}
