package cached

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/awsmfa/awsmfa/internal/agent"
	"github.com/awsmfa/awsmfa/internal/session"
)

// roundTrip marshals from, unmarshals into a new value of to's type,
// marshals that again, and reports whether both encodings are the same:
// then to's type carries every field from sets.
func roundTrip(t *testing.T, from, to any) {
	t.Helper()
	a, err := json.Marshal(from)
	if err != nil {
		t.Fatal(err)
	}
	v := reflect.New(reflect.TypeOf(to)).Interface()
	if err := json.Unmarshal(a, v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Errorf("%T does not carry %T:\n%s\n%s", to, from, a, b)
	}
}

// The lean client's messages are the agent's: every field of a request and
// of a result survives the trip both ways.
func TestWireMatchesAgent(t *testing.T) {
	req := session.Request{
		Profile: "p", Env: map[string]string{"HOME": "/h"}, Backend: "file",
		Duration: time.Hour, SessionDuration: 2 * time.Hour, NoSession: true,
		SaveSerial: true, MinRemaining: time.Minute, CachedOnly: true,
	}
	if n := reflect.TypeOf(req).NumField(); n != reflect.TypeOf(request{}).NumField() {
		t.Errorf("session.Request has %d fields, the lean request %d", n, reflect.TypeOf(request{}).NumField())
	}
	roundTrip(t, req, request{})
	lean := request{Profile: req.Profile, Env: req.Env, Backend: req.Backend, Duration: req.Duration,
		SessionDuration: req.SessionDuration, NoSession: true, SaveSerial: true, MinRemaining: req.MinRemaining, CachedOnly: true}
	roundTrip(t, lean, session.Request{})

	res := session.Result{
		Credentials: session.Credentials{AccessKeyID: "ASIA", SecretAccessKey: "s", SessionToken: "t",
			Expiration: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		Region: "eu-west-1", Notices: []string{"n"},
	}
	if n := reflect.TypeOf(res).NumField(); n != reflect.TypeOf(result{}).NumField() {
		t.Errorf("session.Result has %d fields, the lean result %d", n, reflect.TypeOf(result{}).NumField())
	}
	roundTrip(t, res, result{})

	if protocolVersion != agent.ProtocolVersion {
		t.Errorf("protocol %d, the agent's %d", protocolVersion, agent.ProtocolVersion)
	}
	if socketName != agent.SocketName {
		t.Errorf("socket %q, the agent's %q", socketName, agent.SocketName)
	}
}
