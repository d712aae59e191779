//go:build unix

package agent

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/awsmfa/awsmfa/internal/session"
	"github.com/awsmfa/awsmfa/internal/vault"
)

// quietFake has the passphrase from a source that needs no person.
type quietFake struct {
	fakeAsker
	quiet string
}

func (a *quietFake) QuietPassphrase(context.Context, bool) (string, error) { return a.quiet, nil }

// hungFake's passphrase source hangs (a passphrase command that never
// ends) until its ask is withdrawn.
type hungFake struct {
	fakeAsker
	running   chan struct{}
	withdrawn chan error
}

func (a *hungFake) QuietPassphrase(ctx context.Context, _ bool) (string, error) {
	close(a.running)
	<-ctx.Done()
	a.withdrawn <- ctx.Err()
	return "", ctx.Err()
}

// TestHungClientHoldsNoOneHostage: two clients wait on the agent's locked
// vault. The first one's passphrase source hangs; the second, whose
// passphrase comes from a file, is asked at the same time, without a
// prompt, and gets its answer while the first one's source still runs. The
// agent then withdraws the first client's ask over the socket, which ends
// its source (issue 7 item 8: the second client waited for the first one's
// timeout, 30 s).
func TestHungClientHoldsNoOneHostage(t *testing.T) {
	dir := tempDir(t)
	data := t.TempDir()
	broker := session.NewBroker(session.Options{Cache: true,
		OpenVault: func(ctx context.Context, backend string, env map[string]string, pass func(context.Context, bool) (string, error)) (vault.Store, error) {
			return vault.Open(ctx, vault.Options{Backend: vault.BackendFile, DataDir: env["AWSMFA_DATA_DIR"], Passphrase: pass,
				Getenv: func(string) string { return "" }, TestOnlyScryptWorkFactor: 10})
		}})
	start(t, newTestServer(t, broker, dir, "v1"))
	ctx := context.Background()
	env := map[string]string{"HOME": data, "AWSMFA_DATA_DIR": data}
	const pass = "right passphrase"
	if _, err := connect(t, dir, "v1").Vault(ctx, session.VaultRequest{Op: session.VaultPut, Profile: "dev", Env: env,
		Entry: &vault.Entry{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}},
		&fakeAsker{passphrase: pass}); err != nil {
		t.Fatal(err)
	}
	broker.ForgetVault()

	hung := &hungFake{running: make(chan struct{}), withdrawn: make(chan error, 1),
		fakeAsker: fakeAsker{err: errors.New("the hung client was asked to type")}}
	first := make(chan error, 1)
	go func() {
		_, err := connect(t, dir, "v1").Vault(ctx, session.VaultRequest{Op: session.VaultList, Env: env}, hung)
		first <- err
	}()
	<-hung.running

	file := &quietFake{quiet: pass, fakeAsker: fakeAsker{err: errors.New("the file client was asked to type")}}
	res, err := connect(t, dir, "v1").Vault(ctx, session.VaultRequest{Op: session.VaultList, Env: env}, file)
	if err != nil || !slices.Equal(res.Names, []string{"dev"}) {
		t.Fatalf("second client: %q, %v", res.Names, err)
	}
	if err := <-hung.withdrawn; !errors.Is(err, context.Canceled) {
		t.Errorf("the hung client's source ended with %v, want context.Canceled", err)
	}
	if err := <-first; err != nil {
		t.Errorf("first client: %v", err)
	}
	if len(hung.creating) != 0 || len(file.creating) != 0 {
		t.Errorf("a client was asked to type the passphrase")
	}
}
