package awsconfig

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestRemoveCredentialsSections(t *testing.T) {
	const keys = "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
	tests := []struct{ name, before, after string }{
		{"only section", "[dev]\n" + keys, ""},
		{"other keys stay", "[dev]\n" + keys + "region = x\n", "[dev]\nregion = x\n"},
		{"comment under header keeps section", "[dev]\n# my note\n" + keys, "[dev]\n# my note\n"},
		{"comment before next section stays", "# top\n[dev]\n" + keys + "\n; about b\n[b]\nk = v\n", "# top\n\n; about b\n[b]\nk = v\n"},
		{"blank above header", "[a]\nk = v\n\n[dev]\n" + keys + "\n# about b\n[b]\n", "[a]\nk = v\n\n# about b\n[b]\n"},
		{"middle section", "[a]\nk = v\n\n[dev]\n" + keys + "\n[b]\nk = v\n", "[a]\nk = v\n\n[b]\nk = v\n"},
		{"stale token goes too", "[dev]\n" + keys + "aws_session_token = tok\n\n[b]\n", "[b]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			paths := Paths{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")}
			if err := os.WriteFile(paths.Credentials, []byte(tt.before), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := RemoveCredentials(context.Background(), paths, "dev"); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(paths.Credentials)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.after {
				t.Errorf("got\n%q\nwant\n%q", got, tt.after)
			}
		})
	}
}
