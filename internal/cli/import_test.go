package cli

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/awsmfa/awsmfa/internal/awsconfig"
	"github.com/awsmfa/awsmfa/internal/vault"
)

// TestImportKeyPutsVaultBack: when the key in the file is no longer the one
// read, importKey leaves the files alone and the vault as it was, whether
// the vault had an entry for the profile before or not (issue 7 #4).
func TestImportKeyPutsVaultBack(t *testing.T) {
	read := vault.Entry{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	old := vault.Entry{AccessKeyID: "AKIAIOSFODNN7EXAMPL3", SecretAccessKey: "OLDalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKE"}
	const rotated = "[dev]\naws_access_key_id = AKIAIOSFODNN7EXAMPL2\naws_secret_access_key = ROTATEDXnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
	for _, tc := range []struct {
		name string
		prev *vault.Entry
	}{{"no entry before", nil}, {"an older entry before", &old}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			paths := awsconfig.Paths{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")}
			if err := os.WriteFile(paths.Credentials, []byte(rotated), 0o600); err != nil {
				t.Fatal(err)
			}
			store := vault.NewMemory()
			if tc.prev != nil {
				if err := store.Put(t.Context(), "dev", *tc.prev); err != nil {
					t.Fatal(err)
				}
			}
			creds := awsconfig.StaticCredentials{AccessKeyID: read.AccessKeyID, SecretAccessKey: read.SecretAccessKey}
			err := importKey(t.Context(), store, paths, "dev", creds, read)
			if !errors.Is(err, awsconfig.ErrKeyChanged) || len(hints(err)) == 0 || hints(err)[0] != "awsmfa import dev" {
				t.Fatalf("importKey = %v (hints %q), want ErrKeyChanged with the hint to import again", err, hints(err))
			}
			if exitCode(err) != ExitConfig {
				t.Errorf("exit code %d, want %d", exitCode(err), ExitConfig)
			}
			got, gerr := store.Get(t.Context(), "dev")
			switch {
			case tc.prev == nil && !errors.Is(gerr, vault.ErrNotFound):
				t.Errorf("vault entry after the refusal: %v, want none", gerr)
			case tc.prev != nil && (gerr != nil || got.AccessKeyID != old.AccessKeyID || got.SecretAccessKey != old.SecretAccessKey):
				t.Errorf("vault entry after the refusal is not the old one (%v)", gerr)
			}
			if data, _ := os.ReadFile(paths.Credentials); string(data) != rotated {
				t.Error("the credentials file changed")
			}
			if _, err := os.Stat(paths.Config); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the config file was created (%v)", err)
			}
		})
	}
}
