package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/awsmfa/awsmfa/internal/awsemu"
	"github.com/awsmfa/awsmfa/internal/totp"
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
	if !strings.Contains(out.String(), "export AWSEMU_ADMIN_ACCESS_KEY_ID=AKIA") || !strings.Contains(out.String(), "export AWSEMU_TOKEN=") {
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

// TestEnvKeepsAdminKeyFromAWSTools checks that the printed environment sets
// no variable an AWS client reads credentials from, so that a later
// "awsmfa add X --env" cannot store the admin key, and that the admin key
// it prints under its own names is the emulator's admin key.
func TestEnvKeepsAdminKeyFromAWSTools(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	printed := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, writerFunc(func(p []byte) (int, error) {
			// Only the first write counts: everything comes in one.
			select {
			case printed <- string(p):
			default:
			}
			return len(p), nil
		}), io.Discard)
	}()
	var out string
	select {
	case out = <-printed:
	case err := <-done:
		t.Fatalf("run ended before printing: %v", err)
	}
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()

	vars := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		kv, ok := strings.CutPrefix(line, "export ")
		k, v, ok2 := strings.Cut(kv, "=")
		if !ok || !ok2 || v == "" {
			t.Fatalf("line %q is not an export with a value", line)
		}
		vars[k] = v
	}
	want := []string{"AWS_ENDPOINT_URL", "AWSEMU_URL", "AWSEMU_TOKEN", "AWSEMU_ADMIN_ACCESS_KEY_ID",
		"AWSEMU_ADMIN_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION"}
	if got := slices.Sorted(maps.Keys(vars)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("printed variables %q, want exactly %q", got, want)
	}

	req, err := http.NewRequestWithContext(ctx, "GET", vars["AWSEMU_URL"]+"/_awsemu/info", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Awsemu-Token", vars["AWSEMU_TOKEN"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info struct{ AdminAccessKeyID, AdminSecretAccessKey string }
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("info: status %d, %v", resp.StatusCode, err)
	}
	if info.AdminAccessKeyID != vars["AWSEMU_ADMIN_ACCESS_KEY_ID"] || info.AdminSecretAccessKey != vars["AWSEMU_ADMIN_SECRET_ACCESS_KEY"] {
		t.Errorf("printed admin key %s is not the emulator's %s", vars["AWSEMU_ADMIN_ACCESS_KEY_ID"], info.AdminAccessKeyID)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestCodeStandsInForAnApp: "awsemu code" prints a device's current code and,
// with --next, the next window's, which together enable the device.
func TestCodeStandsInForAnApp(t *testing.T) {
	at := time.Date(2026, 11, 30, 12, 0, 10, 0, time.UTC)
	s, err := awsemu.Start(t.Context(), awsemu.Options{Clock: awsemu.NewClock(at)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.CreateUser("alice"); err != nil {
		t.Fatal(err)
	}
	d, err := s.CreateMFADevice("alice", "alice")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"AWSEMU_URL": s.URL(), "AWSEMU_TOKEN": s.ControlToken()}
	code := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := runCode(t.Context(), args, func(k string) string { return env[k] }, &out, io.Discard)
		return strings.TrimSpace(out.String()), err
	}
	now, err := code(d.Serial)
	if err != nil {
		t.Fatal(err)
	}
	next, err := code("--next", d.Serial)
	if err != nil {
		t.Fatal(err)
	}
	step := totp.Step(at)
	if now != totp.CodeAt(d.Seed, step) || next != totp.CodeAt(d.Seed, step+1) {
		t.Fatalf("codes %s, %s are not the device's current and next", now, next)
	}

	for _, bad := range [][]string{nil, {"a", "b"}, {"arn:aws:iam::123456789012:mfa/nobody"}} {
		if _, err := code(bad...); err == nil {
			t.Errorf("awsemu code %q succeeded", bad)
		}
	}
	env = nil
	if _, err := code(d.Serial); err == nil || !strings.Contains(err.Error(), "AWSEMU_TOKEN") {
		t.Errorf("without the environment: %v", err)
	}
}
