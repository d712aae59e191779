package session

import (
	"context"
	"errors"
	"testing"

	"github.com/awsmfa/awsmfa/internal/vault"
)

func TestVaultHolder(t *testing.T) {
	opened := 0
	b := NewBroker(Options{OpenVault: func(context.Context, string, map[string]string, func(context.Context, bool) (string, error)) (vault.Store, error) {
		opened++
		return vault.NewMemory(), nil
	}})
	if b.VaultOpen() {
		t.Fatal("a new Broker reports an open vault")
	}
	req := Request{Env: map[string]string{"HOME": t.TempDir()}}
	for range 2 {
		if _, err := b.openVault(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	if opened != 1 || !b.VaultOpen() {
		t.Fatalf("opened %d times, VaultOpen = %v; want 1, true", opened, b.VaultOpen())
	}
	b.ForgetVault()
	if b.VaultOpen() {
		t.Fatal("VaultOpen after ForgetVault")
	}
	if _, err := b.openVault(context.Background(), req); err != nil || opened != 2 {
		t.Fatalf("after ForgetVault: err %v, opened %d times; want a second open", err, opened)
	}
}

// TestCacheKeyedOnVault: a session belongs to the vault its key came from;
// a caller whose environment selects another vault does not get it (issue 7
// item 11: AWSMFA_DATA_DIR set to an empty vault still got dev's session).
func TestCacheKeyedOnVault(t *testing.T) {
	empty := vault.NewMemory()
	var w *world
	w = newWorld(t, true, func(o *Options) {
		o.OpenVault = func(_ context.Context, _ string, env map[string]string, _ func(context.Context, bool) (string, error)) (vault.Store, error) {
			if env["AWSMFA_DATA_DIR"] == "/other" {
				return empty, nil
			}
			return w.vault, nil
		}
	})
	a := newAsker(w)
	if _, err := w.broker.Credentials(t.Context(), w.req("alice"), a); err != nil {
		t.Fatal(err)
	}
	other := w.req("alice")
	other.Env["AWSMFA_DATA_DIR"] = "/other"
	_, err := w.broker.Credentials(t.Context(), other, a)
	wantKind(t, err, KindNotFound)
	other = w.req("admin")
	other.Env["AWSMFA_DATA_DIR"] = "/other"
	_, err = w.broker.Credentials(t.Context(), other, a)
	wantKind(t, err, KindNotFound)
}

// TestVaultOpsForgetSessions: replacing or removing a key through the
// Broker forgets the sessions made with the old key, and the roles assumed
// from them (issue 7 item 11: the agent outlived the key).
func TestVaultOpsForgetSessions(t *testing.T) {
	w := newWorld(t, true)
	a := newAsker(w)
	ctx := t.Context()
	if _, err := w.broker.Credentials(ctx, w.req("admin"), a); err != nil {
		t.Fatal(err)
	}
	vreq := func(op, profile string, e *vault.Entry) VaultRequest {
		r := w.req(profile)
		return VaultRequest{Op: op, Profile: profile, Env: r.Env, Entry: e}
	}

	// The same key again changes nothing.
	old := w.keys["alice"]
	if _, err := w.broker.Vault(ctx, vreq(VaultPut, "alice", &vault.Entry{AccessKeyID: old.ID, SecretAccessKey: old.Secret}), a); err != nil {
		t.Fatal(err)
	}
	if n := len(w.broker.Sessions()); n != 2 {
		t.Fatalf("%d sets after storing the same key, want 2", n)
	}

	// A new key for alice: new session, new role credentials.
	k2, err := w.emu.CreateAccessKey("alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.broker.Vault(ctx, vreq(VaultPut, "alice", &vault.Entry{AccessKeyID: k2.ID, SecretAccessKey: k2.Secret}), a); err != nil {
		t.Fatal(err)
	}
	if n := len(w.broker.Sessions()); n != 0 {
		t.Fatalf("%d sets after the key changed, want 0", n)
	}
	before := w.calls("GetSessionToken")
	if _, err := w.broker.Credentials(ctx, w.req("admin"), a); err != nil {
		t.Fatal(err)
	}
	if got := w.calls("GetSessionToken"); got != before+1 {
		t.Errorf("GetSessionToken calls %d, want %d", got, before+1)
	}
	res, err := w.broker.Vault(ctx, vreq(VaultGet, "alice", nil), a)
	if err != nil || res.KeyID != k2.ID || !res.Open {
		t.Errorf("get = %+v, %v; want key %s", res, err, k2.ID)
	}

	// Removing the key: nothing derived from it is served any more.
	if _, err := w.broker.Vault(ctx, vreq(VaultDelete, "alice", nil), a); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"alice", "admin"} {
		_, err := w.broker.Credentials(ctx, w.req(p), a)
		wantKind(t, err, KindNotFound)
	}
	if _, err := w.broker.Vault(ctx, vreq(VaultGet, "alice", nil), a); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("get after delete: %v, want ErrNotFound", err)
	}
}

// TestKeyChangedBehindTheBroker: a key read that differs from the one read
// before drops the sets of the old key.
func TestKeyChangedBehindTheBroker(t *testing.T) {
	w := newWorld(t, true)
	a := newAsker(w)
	ctx := t.Context()
	if _, err := w.broker.Credentials(ctx, w.req("alice"), a); err != nil {
		t.Fatal(err)
	}
	k2, err := w.emu.CreateAccessKey("alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.vault.Put(ctx, "alice", vault.Entry{AccessKeyID: k2.ID, SecretAccessKey: k2.Secret}); err != nil {
		t.Fatal(err)
	}
	r := w.req("alice")
	if _, err := w.broker.Vault(ctx, VaultRequest{Op: VaultGet, Profile: "alice", Env: r.Env}, a); err != nil {
		t.Fatal(err)
	}
	if n := len(w.broker.Sessions()); n != 0 {
		t.Errorf("%d sets after the key was seen to change, want 0", n)
	}
}

// TestKeyChangeDuringWork: a session made with a key that was replaced while
// the session was being made is handed to its caller but not cached.
func TestKeyChangeDuringWork(t *testing.T) {
	w := newWorld(t, true)
	a := newAsker(w)
	a.wait = make(chan struct{})
	ctx := t.Context()
	done := make(chan error, 1)
	go func() {
		_, err := w.broker.Credentials(ctx, w.req("alice"), a)
		done <- err
	}()
	<-a.asked // the key has been read; the code is being asked
	k2, err := w.emu.CreateAccessKey("alice")
	if err != nil {
		t.Fatal(err)
	}
	r := w.req("alice")
	if _, err := w.broker.Vault(ctx, VaultRequest{Op: VaultPut, Profile: "alice", Env: r.Env,
		Entry: &vault.Entry{AccessKeyID: k2.ID, SecretAccessKey: k2.Secret}}, newAsker(w)); err != nil {
		t.Fatal(err)
	}
	close(a.wait)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := len(w.broker.Sessions()); n != 0 {
		t.Errorf("%d sets cached from the replaced key, want 0", n)
	}
}

// TestVaultInfoOpensNothing: info only reports; it never opens the vault
// (which could ask for a passphrase).
func TestVaultInfoOpensNothing(t *testing.T) {
	w := newWorld(t, true)
	r := w.req("alice")
	res, err := w.broker.Vault(t.Context(), VaultRequest{Op: VaultInfo, Env: r.Env}, nil)
	if err != nil || res.Open || w.opens.Load() != 0 {
		t.Fatalf("info = %+v, %v, %d opens; want closed and none", res, err, w.opens.Load())
	}
	if _, err := w.broker.Vault(t.Context(), VaultRequest{Op: VaultList, Env: r.Env}, nil); err != nil {
		t.Fatal(err)
	}
	res, err = w.broker.Vault(t.Context(), VaultRequest{Op: VaultInfo, Env: r.Env}, nil)
	if err != nil || !res.Open || res.Backend != vault.BackendMemory {
		t.Fatalf("info after list = %+v, %v; want open memory vault", res, err)
	}
}
