package agent

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/awsmfa/awsmfa/internal/session"
)

// ProtocolVersion changes whenever the messages below change incompatibly.
// The hello and stop messages must stay readable by every version, because a
// client replaces an agent of another version by asking it to stop.
const ProtocolVersion = 1

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
	msgAsk         = "ask"
	msgAnswer      = "answer"
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

	// ask (agent → client) and answer (client → agent); ID pairs them.
	ID       uint64          `json:"id,omitempty"`
	What     string          `json:"what,omitempty"`
	MFA      *session.MFAAsk `json:"mfa,omitempty"`
	Creating bool            `json:"creating,omitempty"`
	Serials  []string        `json:"serials,omitempty"`
	Value    string          `json:"value,omitempty"`
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
}

// toWire describes err for the other side. Errors here never hold secrets
// (a project rule), so err's text may cross.
func toWire(err error) *wireError {
	if err == nil {
		return nil
	}
	var se *session.Error
	if errors.As(err, &se) {
		return &wireError{Kind: se.Kind, Msg: se.Msg, Hint: se.Hint}
	}
	return &wireError{Msg: err.Error()}
}

// fromWire rebuilds the error the other side sent.
func (w *wireError) err() error {
	if w == nil {
		return nil
	}
	return &session.Error{Kind: w.Kind, Msg: w.Msg, Hint: w.Hint}
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
