package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"strings"
	"testing"
)

func TestRunRejectsBadArguments(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"--bogus"}, "flag provided but not defined"},
		{"stray argument", []string{"serve"}, `unexpected argument "serve"`},
		{"bad account", []string{"--account", "12"}, "not 12 digits"},
		{"bad address", []string{"--addr", "256.0.0.1:bad"}, "listening"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(t.Context(), tt.args, &out, &errOut)
			if err == nil || !strings.Contains(err.Error()+errOut.String(), tt.want) {
				t.Fatalf("run(%q) = %v (stderr %q), want an error mentioning %q", tt.args, err, errOut.String(), tt.want)
			}
			if out.Len() != 0 {
				t.Errorf("printed %q before failing", out.String())
			}
		})
	}
}

func TestRunServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var out, errOut bytes.Buffer
	// Cancelling before the call makes run start, print and shut down at once.
	w := &cancelOnWrite{buf: &out, cancel: cancel}
	if err := run(ctx, []string{"--account", "210987654321"}, w, &errOut); err != nil {
		t.Fatalf("run: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) < 5 || !strings.HasPrefix(lines[0], "export AWS_ENDPOINT_URL=http://127.0.0.1:") {
		t.Fatalf("output %q does not start with the endpoint", out.String())
	}
	if !strings.Contains(out.String(), "export AWS_ACCESS_KEY_ID=AKIA") || !strings.Contains(out.String(), "export AWSEMU_TOKEN=") {
		t.Errorf("output %q lacks the admin key or control token", out.String())
	}
	if err := run(t.Context(), []string{"-h"}, &out, &errOut); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
}

// cancelOnWrite cancels the server's context as soon as it prints.
type cancelOnWrite struct {
	buf    *bytes.Buffer
	cancel context.CancelFunc
}

func (c *cancelOnWrite) Write(p []byte) (int, error) {
	c.cancel()
	return c.buf.Write(p)
}
