package vault

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestSuppliedPassphrase: Options.Passphrase is the only source when set;
// the environment's passphrase variables are not read.
func TestSuppliedPassphrase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var asked []bool
	supply := func(pass string) func(context.Context, bool) (string, error) {
		return func(_ context.Context, creating bool) (string, error) {
			asked = append(asked, creating)
			return pass, nil
		}
	}
	env := func(k string) string {
		if k == "AWSMFA_PASSPHRASE" {
			return "from-env"
		}
		return ""
	}
	open := func(pass string) Store {
		s, err := Open(ctx, Options{Backend: BackendFile, DataDir: dir, Getenv: env, Passphrase: supply(pass), TestOnlyScryptWorkFactor: 10})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	e := Entry{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", Added: time.Unix(1, 0).UTC()}
	if err := open("supplied-pass").Put(ctx, "dev", e); err != nil {
		t.Fatal(err)
	}
	if len(asked) != 1 || !asked[0] {
		t.Fatalf("asked = %v, want one ask for a new passphrase", asked)
	}
	if _, err := open("supplied-pass").Get(ctx, "dev"); err != nil {
		t.Fatalf("Get with the supplied passphrase: %v", err)
	}
	if _, err := open("from-env").Get(ctx, "dev"); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("Get with a wrong supplied passphrase: %v, want ErrWrongPassphrase", err)
	}
	if _, err := open("").Get(ctx, "dev"); err == nil {
		t.Fatal("an empty supplied passphrase was accepted")
	}
}
