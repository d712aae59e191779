package cached

import (
	"bytes"
	"reflect"
	"testing"
	"time"
)

// The lean path serves only what it parses exactly as the full command line
// does; anything else goes to the full command line before any output.
func TestRunFallsBackUnlessSure(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"version", "--help"},
		{"version", "extra"},
		{"--backend", "file", "version"},
		{"list"},
		{"credential-process"},
		{"credential-process", "a", "b"},
		{"credential-process", "dev", "--mfa-token", "123456"},
		{"credential-process", "dev", "--no-agent"},
		{"credential-process", "dev", "--save"},
		{"credential-process", "dev", "-h"},
		{"credential-process", "dev", "--duration", "soon"},
		{"credential-process", "dev", "--format", "env"},
		{"credential-process", "dev", "--backend"},
		{"export", "dev", "--format", "yaml"},
		{"exec", "dev", "--server", "--", "true"},
		{"exec", "--no-agent", "dev", "--", "true"},
		{"exec", "--", "true"}, // no AWS_PROFILE
		{"exec"},
	} {
		var out, errOut bytes.Buffer
		env := &Env{
			Args: args, Stdout: &out, Stderr: &errOut,
			Getenv:  func(string) string { return "" },
			HomeDir: func() (string, error) { return t.TempDir(), nil },
		}
		if _, served := run(env); served {
			t.Errorf("%q: served by the cached path", args)
		}
		if out.Len()+errOut.Len() != 0 {
			t.Errorf("%q: wrote %q %q before falling back", args, out.String(), errOut.String())
		}
	}
}

// Flags parse as pflag parses them, wherever cobra lets them stand.
func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want flags
	}{
		{[]string{"--backend", "file"}, flags{req: request{Backend: "file"}}},
		{[]string{"--backend=keyring"}, flags{req: request{Backend: "keyring"}}},
		{[]string{"--duration", "90m"}, flags{req: request{Duration: 90 * time.Minute}}},
		{[]string{"--session-duration=2h"}, flags{req: request{SessionDuration: 2 * time.Hour}}},
		{[]string{"--no-session"}, flags{req: request{NoSession: true}}},
		{[]string{"--no-session=false"}, flags{}},
		{[]string{"--region", "eu-west-1"}, flags{region: "eu-west-1"}},
	} {
		var f flags
		if n := f.flag(tc.args, false, true); n != len(tc.args) {
			t.Errorf("%q: took %d words", tc.args, n)
		}
		if !reflect.DeepEqual(f, tc.want) {
			t.Errorf("%q: %+v, want %+v", tc.args, f, tc.want)
		}
	}
	var f flags
	if n := f.flag([]string{"--format", "fish"}, true, false); n != 2 || f.format != "fish" {
		t.Errorf("--format fish: took %d, format %q", n, f.format)
	}
	if n := f.flag([]string{"--region", "x"}, true, false); n != 0 {
		t.Error("--region outside exec was taken")
	}
}
