package vault

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEntryValidate(t *testing.T) {
	good := testEntry(0)
	tests := []struct {
		name   string
		id     string
		secret string
		ok     bool
	}{
		{name: "valid", id: good.AccessKeyID, secret: good.SecretAccessKey, ok: true},
		{name: "valid all symbols", id: "AKIAZZ2345677ABCDEFG", secret: "abcdefghijklmnopqrstuvwxyz0123456789/+AZ", ok: true},
		{name: "temporary key id", id: "ASIA" + good.AccessKeyID[4:], secret: good.SecretAccessKey},
		{name: "lowercase id", id: strings.ToLower(good.AccessKeyID), secret: good.SecretAccessKey},
		{name: "id digit 8", id: "AKIA8" + good.AccessKeyID[5:], secret: good.SecretAccessKey},
		{name: "id digit 1", id: "AKIA1" + good.AccessKeyID[5:], secret: good.SecretAccessKey},
		{name: "id too short", id: good.AccessKeyID[:19], secret: good.SecretAccessKey},
		{name: "id too long", id: good.AccessKeyID + "A", secret: good.SecretAccessKey},
		{name: "empty id", secret: good.SecretAccessKey},
		{name: "secret too short", id: good.AccessKeyID, secret: good.SecretAccessKey[:39]},
		{name: "secret too long", id: good.AccessKeyID, secret: good.SecretAccessKey + "a"},
		{name: "secret with space", id: good.AccessKeyID, secret: " " + good.SecretAccessKey[1:]},
		{name: "secret with equals", id: good.AccessKeyID, secret: "=" + good.SecretAccessKey[1:]},
		{name: "secret pasted as id", id: good.SecretAccessKey, secret: good.SecretAccessKey},
		{name: "empty secret", id: good.AccessKeyID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Entry{AccessKeyID: tt.id, SecretAccessKey: tt.secret}.Validate()
			if tt.ok {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrMalformedKey) {
				t.Fatalf("got %v, want ErrMalformedKey", err)
			}
			for _, v := range []string{tt.id, tt.secret} {
				if len(v) > 4 && strings.Contains(err.Error(), v) {
					t.Fatalf("error %q repeats the input %q", err, v)
				}
			}
		})
	}
}

func TestOpenSelectsBackend(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		backend string
		env     []string
		want    string
		wantErr string
	}{
		{name: "explicit file", backend: "file", want: BackendFile},
		{name: "env file", env: []string{"AWSMFA_BACKEND", "file"}, want: BackendFile},
		{name: "option beats env", backend: "file", env: []string{"AWSMFA_BACKEND", "bogus"}, want: BackendFile},
		{name: "unknown option", backend: "vault", wantErr: `unknown vault backend "vault": choose "keyring" or "file"`},
		{name: "unknown env", env: []string{"AWSMFA_BACKEND", "memory"}, wantErr: `unknown vault backend "memory"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			s, err := Open(ctx, Options{Backend: tt.backend, DataDir: dir, Getenv: envOf(tt.env...)})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got (%v, %v), want error containing %q", s, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Backend() != tt.want {
				t.Fatalf("backend %q, want %q", s.Backend(), tt.want)
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("Open created the data directory (stat: %v)", err)
			}
		})
	}
}

func TestOpenNeedsDataDir(t *testing.T) {
	if _, err := Open(context.Background(), Options{Backend: "file", Getenv: envOf()}); err == nil {
		t.Fatal("Open without DataDir succeeded")
	}
}

func TestOpenAutoPrefersExistingFileVault(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, vaultFileName), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A D-Bus address that would be usable cannot matter: the file exists.
	s, err := Open(context.Background(), Options{DataDir: dir, Getenv: envOf("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")})
	if err != nil {
		t.Fatal(err)
	}
	if s.Backend() != BackendFile {
		t.Fatalf("backend %q, want file", s.Backend())
	}
}
