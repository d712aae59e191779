package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// complete runs "awsmfa __complete ARGS..." against config files holding
// profiles a, b and c, and returns the completions cobra printed.
func complete(t *testing.T, args ...string) []string {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	if err := os.WriteFile(cfg, []byte("[profile a]\n[profile b]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	creds := filepath.Join(dir, "credentials")
	if err := os.WriteFile(creds, []byte("[c]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"AWS_CONFIG_FILE": cfg, "AWS_SHARED_CREDENTIALS_FILE": creds}
	var out, errOut bytes.Buffer
	env := &Env{
		Args:    append([]string{"__complete"}, args...),
		Stdout:  &out,
		Stderr:  &errOut,
		Getenv:  func(k string) string { return vars[k] },
		Environ: func() []string { return nil },
		HomeDir: func() (string, error) { return filepath.Join(dir, "home"), nil },
		GOOS:    "linux",
	}
	if code := Main(context.Background(), env); code != 0 {
		t.Fatalf("__complete %q: exit %d: %s", args, code, errOut.String())
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if !strings.HasPrefix(l, ":") {
			got = append(got, strings.SplitN(l, "\t", 2)[0])
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "home")); err == nil {
		t.Errorf("completion created the home directory")
	}
	return got
}

// TestCompleteProfiles checks that every command with a PROFILE argument
// completes profile names there, and only there.
func TestCompleteProfiles(t *testing.T) {
	all := []string{"a", "b", "c"}
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"exec", ""}, all},
		{[]string{"exec", "--region", "r", ""}, all},
		{[]string{"exec", "a", ""}, nil},
		{[]string{"exec", "--", ""}, nil},
		{[]string{"export", ""}, all},
		{[]string{"export", "a", ""}, nil},
		{[]string{"credential-process", "b"}, []string{"b"}},
		{[]string{"write", ""}, all},
		{[]string{"clear", ""}, all},
		{[]string{"remove", ""}, all},
		{[]string{"add", ""}, all},
		{[]string{"import", ""}, all},
		{[]string{"import", "a", ""}, []string{"b", "c"}},
		{[]string{"list", ""}, nil},
		{[]string{"lock", ""}, nil},
		{[]string{"export", "a", "--format", ""}, exportFormats},
		{[]string{"--backend", ""}, []string{"keyring", "file"}},
		{[]string{"exec", "--backend", ""}, []string{"keyring", "file"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			if got := complete(t, tt.args...); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestEveryProfileCommandCompletes guards against a new command taking a
// PROFILE whose usage line the completion does not recognise.
func TestEveryProfileCommandCompletes(t *testing.T) {
	root := newRootCmd(&Env{Getenv: func(string) string { return "" }})
	var got []string
	for _, c := range root.Commands() {
		if c.ValidArgsFunction != nil {
			got = append(got, c.Name())
		}
	}
	for _, want := range []string{"add", "clear", "credential-process", "exec", "export", "import", "remove", "write"} {
		if !slices.Contains(got, want) {
			t.Errorf("%s does not complete profiles (commands that do: %q)", want, got)
		}
	}
}

func TestProfileArgs(t *testing.T) {
	tests := []struct {
		use         string
		takes, many bool
	}{
		{"remove PROFILE [--force]", true, false},
		{"clear [PROFILE]", true, false},
		{"import [PROFILE ...] [--all]", true, true},
		{"unwire [PROFILE...]", true, true},
		{"exec [flags] [PROFILE] [--] [CMD [ARGS...]]", true, false},
		{"list [--json]", false, false},
		{"PROFILE", false, false}, // the command's own name is not an argument
	}
	for _, tt := range tests {
		if takes, many := profileArgs(tt.use); takes != tt.takes || many != tt.many {
			t.Errorf("profileArgs(%q) = %v, %v; want %v, %v", tt.use, takes, many, tt.takes, tt.many)
		}
	}
}
