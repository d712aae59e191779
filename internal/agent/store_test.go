//go:build unix

package agent

import (
	"context"
	"errors"
	"testing"

	"github.com/awsmfa/awsmfa/internal/session"
	"github.com/awsmfa/awsmfa/internal/vault"
)

// TestVaultStore: vault operations run in the agent on the vault it holds
// open, with the passphrase asked of the client only while the vault is not
// open; the secret never comes back; vault errors keep their identity
// (issue 7 item 19).
func TestVaultStore(t *testing.T) {
	dir := tempDir(t)
	data := t.TempDir()
	broker := session.NewBroker(session.Options{Cache: true,
		OpenVault: func(ctx context.Context, backend string, env map[string]string, pass func(context.Context, bool) (string, error)) (vault.Store, error) {
			return vault.Open(ctx, vault.Options{Backend: vault.BackendFile, DataDir: env["AWSMFA_DATA_DIR"], Passphrase: pass,
				Getenv: func(string) string { return "" }, TestOnlyScryptWorkFactor: 10})
		}})
	start(t, newTestServer(t, broker, dir, "v1"))
	ctx := context.Background()
	connectNow := func(ctx context.Context) (*Client, error) {
		return Connect(ctx, ConnectOptions{Dir: dir, Version: "v1"})
	}
	env := map[string]string{"HOME": data, "AWSMFA_DATA_DIR": data}
	right := &fakeAsker{passphrase: "right passphrase"}

	// The agent's vault is not open: no Store, and nothing was asked.
	if s, err := OpenStore(ctx, connectNow, "", env, right, false); s != nil || err != nil {
		t.Fatalf("OpenStore on a closed vault = %v, %v; want nil, nil", s, err)
	}
	const id, secret = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	c := connect(t, dir, "v1")
	if _, err := c.Vault(ctx, session.VaultRequest{Op: session.VaultPut, Profile: "dev", Env: env,
		Entry: &vault.Entry{AccessKeyID: id, SecretAccessKey: secret}}, right); err != nil {
		t.Fatal(err)
	}
	if len(right.creating) != 1 || !right.creating[0] {
		t.Fatalf("passphrase asks %v, want one for a new vault", right.creating)
	}

	// Now it is open: operations need no passphrase.
	none := &fakeAsker{err: errors.New("nothing may be asked")}
	s, err := OpenStore(ctx, connectNow, "", env, none, false)
	if err != nil || s == nil {
		t.Fatalf("OpenStore = %v, %v", s, err)
	}
	if s.Backend() != vault.BackendFile {
		t.Errorf("Backend = %q", s.Backend())
	}
	if names, err := s.List(ctx); err != nil || len(names) != 1 || names[0] != "dev" {
		t.Errorf("List = %q, %v", names, err)
	}
	e, err := s.Get(ctx, "dev")
	if err != nil || e.AccessKeyID != id || e.SecretAccessKey != "" {
		t.Errorf("Get = %v (secret returned: %v), %v", e.AccessKeyID, e.SecretAccessKey != "", err)
	}
	if _, err := s.Get(ctx, "nobody"); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("Get(nobody) = %v, want ErrNotFound", err)
	}

	// A vault the agent forgot asks again; a wrong passphrase is told apart.
	broker.ForgetVault()
	_, err = c.Vault(ctx, session.VaultRequest{Op: session.VaultList, Env: env}, &fakeAsker{passphrase: "wrong"})
	if !errors.Is(err, vault.ErrWrongPassphrase) {
		t.Errorf("list with a wrong passphrase = %v, want ErrWrongPassphrase", err)
	}
	_, err = c.Vault(ctx, session.VaultRequest{Op: session.VaultList, Env: env}, nil)
	if !errors.Is(err, vault.ErrNoPassphrase) {
		t.Errorf("list without an asker = %v, want ErrNoPassphrase", err)
	}
	if _, err := c.Vault(ctx, session.VaultRequest{Op: session.VaultList, Env: env}, right); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "dev"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "dev"); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("second Delete = %v, want ErrNotFound", err)
	}
}

// TestVaultRequestsNeedAVaultServer: a Backend without vault operations
// refuses them, and OpenStore then leaves the vault to the caller.
func TestVaultRequestsNeedAVaultServer(t *testing.T) {
	dir := tempDir(t)
	start(t, newTestServer(t, &fakeBackend{}, dir, "v1"))
	ctx := context.Background()
	s, err := OpenStore(ctx, func(ctx context.Context) (*Client, error) {
		return Connect(ctx, ConnectOptions{Dir: dir, Version: "v1"})
	}, "", nil, nil, false)
	if s != nil || err != nil {
		t.Fatalf("OpenStore = %v, %v; want nil, nil", s, err)
	}
}
