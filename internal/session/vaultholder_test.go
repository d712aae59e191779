package session

import (
	"context"
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
