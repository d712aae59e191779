package vault

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/awsmfa/awsmfa/internal/fsutil"
)

// Issue 7 item 15d: a vault path linked to a file that is not a vault (here
// a credentials file) gave an age header error quoting its first line. No
// error may quote the file's text.
func TestFileErrorsQuoteNoContent(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	inputs := map[string]string{
		"credentials file": "aws_secret_access_key = " + secret + "\n[ci]\n",
		"bad intro":        secret + "\n",
		"bad stanza body":  "age-encryption.org/v1\n-> scrypt c2FsdHNhbHRzYWx0c2FsdA 10\n" + secret + "\n--- x\n",
		"bad closing line": "age-encryption.org/v1\n-> scrypt c2FsdHNhbHRzYWx0c2FsdA 10\nAAAA\n--- " + secret + "\n",
		"bad stanza args":  "age-encryption.org/v1\n-> X25519 " + secret + "\nAAAA\n--- x\n",
	}
	for name, content := range inputs {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			other := filepath.Join(dir, "credentials")
			if err := os.WriteFile(other, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			data := filepath.Join(dir, "data")
			if err := os.Mkdir(data, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(other, filepath.Join(data, vaultFileName)); err != nil {
				t.Skipf("no symbolic links here: %v", err)
			}
			s := testFileStore(data, envOf(envPassphrase, "pw"), nil)
			_, err := s.List(context.Background())
			if err == nil {
				t.Fatal("List succeeded")
			}
			for _, part := range []string{secret[:12], "aws_secret", "X25519"} {
				if strings.Contains(err.Error(), part) {
					t.Errorf("error quotes the file (%q): %v", part, err)
				}
			}
		})
	}
}

// Issue 7 item 5: anything but a regular file at the vault path is refused,
// and left as it is; a directory stands for all kinds here (see the unix
// test for a FIFO).
func TestFileNonRegularVaultRefused(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, vaultFileName), 0o700); err != nil {
		t.Fatal(err)
	}
	checkNonRegularVaultRefused(t, dir)
}

func checkNonRegularVaultRefused(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	s := testFileStore(dir, envOf(envPassphrase, "pw"), nil)
	if _, err := s.List(ctx); !errors.Is(err, fsutil.ErrNotRegular) {
		t.Errorf("List = %v, want ErrNotRegular", err)
	}
	if _, err := s.Get(ctx, "dev"); !errors.Is(err, fsutil.ErrNotRegular) {
		t.Errorf("Get = %v, want ErrNotRegular", err)
	}
	if err := s.Put(ctx, "dev", testEntry(1)); !errors.Is(err, fsutil.ErrNotRegular) {
		t.Errorf("Put = %v, want ErrNotRegular", err)
	}
	if err := s.Delete(ctx, "dev"); !errors.Is(err, fsutil.ErrNotRegular) {
		t.Errorf("Delete = %v, want ErrNotRegular", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, vaultFileName+".lock")); err == nil {
		t.Error("a lock file was created beside the vault path")
	}
}

// Issue 7 item 3: the vault's writes share fsutil's temporary files, and a
// copy left by a killed write does not outlive the next one.
func TestFileRemovesStaleTempFiles(t *testing.T) {
	dir := t.TempDir()
	s := testFileStore(dir, envOf(envPassphrase, "pw"), nil)
	mustPut(t, s, "dev", testEntry(1))
	stale := filepath.Join(dir, "."+vaultFileName+".tmp987")
	if err := os.WriteFile(stale, []byte("age-encryption.org/v1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, "ops", testEntry(2))
	if _, err := os.Lstat(stale); err == nil {
		t.Error("the stale temporary copy outlived the next write")
	}
}
