package agent

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/awsmfa/awsmfa/internal/fsutil"
	"github.com/awsmfa/awsmfa/internal/session"
	"github.com/awsmfa/awsmfa/internal/vault"
)

// ProtocolVersion changes whenever the messages below change incompatibly.
// The hello and stop messages must stay readable by every version, because a
// client replaces an agent of another version by asking it to stop.
const ProtocolVersion = 2

// MaxMessageSize bounds one line of the protocol, so that a confused or
// hostile peer cannot make the other side buffer without limit.
const MaxMessageSize = 1 << 20

// Message types.
const (
	msgHello       = "hello"
	msgCredentials = "credentials"
	msgStatus      = "status"
	msgStop        = "stop"
	msgLock        = "lock"
	msgClear       = "clear"
	msgForgetVault = "forget-vault"
	msgVault       = "vault"
	msgAsk         = "ask"
	msgAnswer      = "answer"
	msgCancel      = "cancel"
	msgReply       = "reply"
)

// What an ask wants.
const (
	askMFACode      = "mfa-code"
	askPassphrase   = "passphrase"
	askChooseDevice = "choose-device"
)

// message is every line on the wire; Type says which fields matter.
type message struct {
	Type string `json:"type"`

	// hello (both directions)
	Version string `json:"version,omitempty"`
	Proto   int    `json:"proto,omitempty"`
	PID     int    `json:"pid,omitempty"`

	// credentials request
	Request *session.Request `json:"request,omitempty"`
	// clear request
	Profile string `json:"profile,omitempty"`
	// vault request and its reply
	Vault       *session.VaultRequest `json:"vault,omitempty"`
	VaultResult *session.VaultResult  `json:"vault_result,omitempty"`

	// ask (agent → client) and answer (client → agent); ID pairs them. A
	// cancel (agent → client) with an ask's ID withdraws that ask: the
	// client stops answering it (killing a passphrase command) and sends
	// no answer, or one the agent drops.
	ID       uint64          `json:"id,omitempty"`
	What     string          `json:"what,omitempty"`
	MFA      *session.MFAAsk `json:"mfa,omitempty"`
	Creating bool            `json:"creating,omitempty"`
	// Quiet in a passphrase ask wants only a passphrase the client has
	// without asking a person (see session.QuietAsker): no prompt.
	Quiet   bool     `json:"quiet,omitempty"`
	Serials []string `json:"serials,omitempty"`
	Value   string   `json:"value,omitempty"`
	// CannotAsk in an answer means the client's Asker returned an error
	// wrapping session.ErrCannotAsk.
	CannotAsk bool `json:"cannot_ask,omitempty"`

	// reply (agent → client); Error also carries a failed answer.
	Result *session.Result `json:"result,omitempty"`
	Status *Status         `json:"status,omitempty"`
	Count  int             `json:"count,omitempty"`
	Error  *wireError      `json:"error,omitempty"`
}

// wireError carries what a *session.Error shows the user; its cause stays
// behind, as session.Error documents.
type wireError struct {
	Kind session.Kind `json:"kind,omitempty"`
	Msg  string       `json:"msg"`
	Hint string       `json:"hint,omitempty"`
	// Vault names the vault sentinel error the cause wraps, if any, so
	// that the client can tell a missing key from a wrong passphrase.
	Vault string `json:"vault,omitempty"`
}

// vaultSentinels are the vault errors (and the file error a vault
// operation may meet) that keep their identity across the socket.
var vaultSentinels = []struct {
	name string
	err  error
}{
	{"not_found", vault.ErrNotFound},
	{"wrong_passphrase", vault.ErrWrongPassphrase},
	{"no_passphrase", vault.ErrNoPassphrase},
	{"passphrase_mismatch", vault.ErrPassphraseMismatch},
	{"malformed_key", vault.ErrMalformedKey},
	{"invalid_profile", vault.ErrInvalidProfile},
	{"backend_unavailable", vault.ErrBackendUnavailable},
	{"keyring_timeout", vault.ErrKeyringTimeout},
	{"not_regular", fsutil.ErrNotRegular},
}

// vaultError is a vault error rebuilt on the client: the agent's message,
// and the sentinel for errors.Is.
type vaultError struct {
	msg      string
	sentinel error
}

func (e *vaultError) Error() string { return e.msg }
func (e *vaultError) Unwrap() error { return e.sentinel }

// toWire describes err for the other side. Errors here never hold secrets
// (a project rule), so err's text may cross.
func toWire(err error) *wireError {
	if err == nil {
		return nil
	}
	w := &wireError{Msg: err.Error()}
	var se *session.Error
	if errors.As(err, &se) {
		w = &wireError{Kind: se.Kind, Msg: se.Msg, Hint: se.Hint}
	}
	for _, v := range vaultSentinels {
		if errors.Is(err, v.err) {
			w.Vault = v.name
			break
		}
	}
	return w
}

// fromWire rebuilds the error the other side sent.
func (w *wireError) err() error {
	if w == nil {
		return nil
	}
	var cause error
	for _, v := range vaultSentinels {
		if v.name == w.Vault {
			cause = v.err
		}
	}
	if w.Kind == "" && cause != nil {
		return &vaultError{msg: w.Msg, sentinel: cause}
	}
	return &session.Error{Kind: w.Kind, Msg: w.Msg, Hint: w.Hint, Err: cause}
}

// Status describes a running agent.
type Status struct {
	PID         int                   `json:"pid"`
	Version     string                `json:"version"`
	Started     time.Time             `json:"started"`
	IdleTimeout time.Duration         `json:"idle_timeout"`
	Lifetime    time.Duration         `json:"lifetime"`
	Sessions    []session.SessionInfo `json:"sessions"`
	// VaultOpen reports whether the agent holds an unlocked vault.
	VaultOpen bool `json:"vault_open"`
}

// lineReader reads bounded JSON lines.
type lineReader struct{ sc *bufio.Scanner }

func newLineReader(r io.Reader) *lineReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxMessageSize)
	return &lineReader{sc: sc}
}

// errMessageTooLarge is returned for a line longer than MaxMessageSize.
var errMessageTooLarge = errors.New("agent message too large")

// next returns the next message. At a clean end of input it returns io.EOF.
// A malformed line is an error that does not quote the line, because it may
// hold a secret.
func (lr *lineReader) next() (message, error) {
	if !lr.sc.Scan() {
		err := lr.sc.Err()
		if errors.Is(err, bufio.ErrTooLong) {
			return message{}, errMessageTooLarge
		}
		if err == nil {
			err = io.EOF
		}
		return message{}, err
	}
	var m message
	if err := json.Unmarshal(lr.sc.Bytes(), &m); err != nil {
		return message{}, errors.New("malformed agent message")
	}
	if m.Type == "" {
		return message{}, errors.New("agent message without a type")
	}
	return m, nil
}

// writeMessage writes m as one line.
func writeMessage(w io.Writer, m message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encoding agent message %q: %w", m.Type, err)
	}
	if len(b) >= MaxMessageSize {
		return errMessageTooLarge
	}
	b = append(b, '\n')
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("sending agent message: %w", err)
	}
	return nil
}
