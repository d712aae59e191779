package awsconfig

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestAddProfile(t *testing.T) {
	tests := []struct {
		name, before, profile, after string
	}{
		{"missing file", "", "dev", "[profile dev]\n"},
		{"appends after blank line", "[default]\nregion = eu-west-1\n", "dev", "[default]\nregion = eu-west-1\n\n[profile dev]\n"},
		{"no trailing newline", "[default]\nregion = x", "dev", "[default]\nregion = x\n\n[profile dev]\n"},
		{"crlf", "[default]\r\nregion = x\r\n", "dev", "[default]\r\nregion = x\r\n\r\n[profile dev]\r\n"},
		{"exists", "# mine\n[profile dev]\nregion = x\n", "dev", "# mine\n[profile dev]\nregion = x\n"},
		{"default", "[profile a]\n", "default", "[profile a]\n\n[default]\n"},
		{"quoted name", "", "my prof", "[profile \"my prof\"]\n"},
		{"dotted next to prefix", "[profile a]\n", "a.b", "[profile a]\n\n[profile a.b]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			paths := Paths{Config: filepath.Join(dir, ".aws", "config"), Credentials: filepath.Join(dir, ".aws", "credentials")}
			if tt.before != "" {
				if err := os.MkdirAll(filepath.Dir(paths.Config), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(paths.Config, []byte(tt.before), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := AddProfile(context.Background(), paths, tt.profile); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(paths.Config)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.after {
				t.Errorf("got %q, want %q", got, tt.after)
			}
			cfg, err := Load(paths)
			if err != nil {
				t.Fatal(err)
			}
			if !cfg.HasProfile(tt.profile) {
				t.Errorf("profile %q not found after AddProfile", tt.profile)
			}
		})
	}
}

func TestAddProfileRefusesInjection(t *testing.T) {
	dir := t.TempDir()
	paths := Paths{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")}
	for _, name := range []string{"a]\ncredential_process = evil\n[x", "a\nb", "a[b", "nul\x00"} {
		if err := AddProfile(context.Background(), paths, name); err == nil {
			t.Errorf("AddProfile(%q) succeeded", name)
		}
	}
	if _, err := os.Stat(paths.Config); !os.IsNotExist(err) {
		t.Errorf("config file created by refused edits: %v", err)
	}
}
