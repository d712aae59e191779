package cached

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"time"
)

// The agent's protocol, as far as the cached path speaks it: the hello, one
// credentials request, and its reply. The field names are the agent's
// (internal/agent), which a test holds them to.
const (
	protocolVersion = 2
	maxMessageSize  = 1 << 20
	socketName      = "agent.sock"
	helloTimeout    = 5 * time.Second
)

type message struct {
	Type    string   `json:"type"`
	Version string   `json:"version,omitempty"`
	Proto   int      `json:"proto,omitempty"`
	Request *request `json:"request,omitempty"`
	Result  *result  `json:"result,omitempty"`
	// Error is any error the agent reports; the cached path only needs to
	// know there is one.
	Error json.RawMessage `json:"error,omitempty"`
}

// request is session.Request on the wire.
type request struct {
	Profile         string            `json:"profile"`
	Env             map[string]string `json:"env,omitempty"`
	Backend         string            `json:"backend,omitempty"`
	Duration        time.Duration     `json:"duration,omitempty"`
	SessionDuration time.Duration     `json:"session_duration,omitempty"`
	NoSession       bool              `json:"no_session,omitempty"`
	SaveSerial      bool              `json:"save_serial,omitempty"`
	MinRemaining    time.Duration     `json:"min_remaining,omitempty"`
	CachedOnly      bool              `json:"cached_only,omitempty"`
}

// result is session.Result on the wire.
type result struct {
	Credentials Credentials `json:"credentials"`
	Region      string      `json:"region,omitempty"`
	Notices     []string    `json:"notices,omitempty"`
}

// send writes ms, one line each, in one write.
func send(conn io.Writer, ms ...message) error {
	var b []byte
	for _, m := range ms {
		line, err := json.Marshal(m)
		if err != nil {
			return err
		}
		b = append(append(b, line...), '\n')
	}
	_, err := conn.Write(b)
	return err
}

func receive(sc *bufio.Scanner) (message, error) {
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return message{}, err
		}
		return message{}, errors.New("the agent closed the connection")
	}
	var m message
	if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
		return message{}, errors.New("malformed agent message")
	}
	return m, nil
}
