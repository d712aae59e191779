package session

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/awsmfa/awsmfa/internal/awsemu"
)

// TestCodeIsNeverSentTwice guards issue 7 item 10: a call carrying an MFA
// code is not retried once its request may have reached AWS (AWS accepts a
// code once, so the retry fails as "rejected" for a good code). awsmfa says
// what happened and asks for the next code; an Asker that cannot ask again
// ends with that explanation.
func TestCodeIsNeverSentTwice(t *testing.T) {
	for _, tc := range []struct {
		name    string
		profile string // alice: GetSessionToken; long: AssumeRole with a code
		action  string
		fault   awsemu.FaultKind
		script  []string
		asks    int
		calls   int
		kind    Kind // "" = success
		msg     string
	}{
		{name: "reset, next code", profile: "alice", action: "GetSessionToken", fault: awsemu.Reset,
			asks: 2, calls: 2},
		{name: "reset, cannot ask again", profile: "alice", action: "GetSessionToken", fault: awsemu.Reset,
			script: []string{"", "-"}, asks: 2, calls: 1, kind: KindNetwork, msg: "connection to AWS"},
		{name: "server error, next code", profile: "alice", action: "GetSessionToken", fault: awsemu.ServerError,
			asks: 2, calls: 2},
		{name: "server error, cannot ask again", profile: "alice", action: "GetSessionToken", fault: awsemu.ServerError,
			script: []string{"", "-"}, asks: 2, calls: 1, kind: KindNetwork, msg: "HTTP 500"},
		{name: "assume role reset, next code", profile: "long", action: "AssumeRole", fault: awsemu.Reset,
			asks: 2, calls: 2},
		{name: "assume role reset, cannot ask again", profile: "long", action: "AssumeRole", fault: awsemu.Reset,
			script: []string{"", "-"}, asks: 2, calls: 1, kind: KindNetwork, msg: "connection to AWS"},
		// Throttling is answered before AWS runs the action: the same code
		// is sent again, and no second code is asked.
		{name: "throttled, same code", profile: "alice", action: "GetSessionToken", fault: awsemu.Throttle,
			asks: 1, calls: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, true)
			w.emu.InjectFault(tc.action, awsemu.Fault{Kind: tc.fault}, 1)
			a := newAsker(w, tc.script...)
			_, err := w.broker.Credentials(t.Context(), w.req(tc.profile), a)
			if tc.kind == "" {
				if err != nil {
					t.Fatal(err)
				}
			} else {
				e := wantKind(t, err, tc.kind)
				if !strings.Contains(e.Msg, tc.msg) || !strings.Contains(e.Msg, "may have used it") {
					t.Errorf("message %q does not say %q and that AWS may have used the code", e.Msg, tc.msg)
				}
				if !strings.Contains(e.Hint, "next MFA code") {
					t.Errorf("hint %q does not ask for the next code", e.Hint)
				}
			}
			if a.count() != tc.asks {
				t.Fatalf("%d codes asked, want %d", a.count(), tc.asks)
			}
			if tc.asks > 1 {
				if ask := a.asks[1]; ask.Attempt != 2 || !strings.Contains(ask.Reason, "AWS may have used it") {
					t.Errorf("second ask %+v does not say why a new code is needed", ask)
				}
			}
			// The asker moves the emulator to the next 30-second step for
			// each code, so calls == asks means no code went out twice.
			if n := w.calls(tc.action); n != tc.calls {
				t.Errorf("%d %s calls, want %d", n, tc.action, tc.calls)
			}
		})
	}
}

// TestCodeCallRetries pins which failures of a call carrying an MFA code are
// retried (only when the request surely never reached AWS, or AWS throttled
// it) and which ones may have used the code.
func TestCodeCallRetries(t *testing.T) {
	// A real dial failure: a port nothing listens on any more.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, dialErr := net.Dial("tcp", addr)
	if dialErr == nil {
		t.Skip("a closed port accepted a connection")
	}
	sendErr := func(err error) error {
		return &smithy.OperationError{ServiceID: "STS", OperationName: "GetSessionToken",
			Err: &smithyhttp.RequestSendError{Err: fmt.Errorf("Post %q: %w", "http://"+addr, err)}}
	}
	answer := func(status int, code string) error {
		resp := &smithyhttp.Response{Response: &http.Response{StatusCode: status}}
		return &smithy.OperationError{ServiceID: "STS", OperationName: "GetSessionToken",
			Err: &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{Response: resp,
				Err: &smithy.GenericAPIError{Code: code, Message: "m"}}}}
	}
	unreadable := &smithy.OperationError{ServiceID: "STS", OperationName: "GetSessionToken",
		Err: &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 200}},
			Err:      &smithy.DeserializationError{Err: errors.New("bad time")}}}}
	reset := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	for _, tc := range []struct {
		name           string
		err            error
		retry, mayUsed bool
	}{
		{name: "dial refused", err: sendErr(dialErr), retry: true},
		{name: "dns", err: sendErr(&net.DNSError{Err: "server misbehaving", Name: "sts.example", IsTemporary: true}), retry: true},
		{name: "reset after write", err: sendErr(reset), mayUsed: true},
		{name: "EOF after write", err: sendErr(errors.New("EOF")), mayUsed: true},
		{name: "deadline after write", err: sendErr(context.DeadlineExceeded), mayUsed: true},
		{name: "throttling", err: answer(400, "Throttling"), retry: true},
		{name: "invalid code", err: answer(403, "AccessDenied")},
		{name: "server error", err: answer(500, "InternalFailure"), mayUsed: true},
		{name: "service unavailable", err: answer(503, "ServiceUnavailable"), mayUsed: true},
		{name: "unreadable answer", err: unreadable, mayUsed: true},
		{name: "canceled", err: sendErr(context.Canceled), mayUsed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBroker(Options{})
			r := b.retryer(true)
			if got := r.IsErrorRetryable(tc.err); got != tc.retry {
				t.Errorf("retryable = %t, want %t", got, tc.retry)
			}
			if got := codeMayBeUsed(tc.err); got != tc.mayUsed {
				t.Errorf("codeMayBeUsed = %t, want %t", got, tc.mayUsed)
			}
		})
	}
}
