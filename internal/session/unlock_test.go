package session

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/awsmfa/awsmfa/internal/vault"
)

// lockedStore is a vault that wants passphrase want on its first read, as the
// file vault does, asking while it holds its lock.
type lockedStore struct {
	vault.Store
	pass func(context.Context, bool) (string, error)
	want string

	mu       sync.Mutex
	unlocked bool
}

func (s *lockedStore) Get(ctx context.Context, profile string) (vault.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.unlocked {
		p, err := s.pass(ctx, false)
		if err != nil {
			return vault.Entry{}, fmt.Errorf("unlocking: %w", err)
		}
		if p != s.want {
			return vault.Entry{}, vault.ErrWrongPassphrase
		}
		s.unlocked = true
	}
	return s.Store.Get(ctx, profile)
}

// quietAsker has the passphrase from a source that needs no person (a
// passphrase file); it never types one.
type quietAsker struct {
	*asker
	pass  string
	quiet int
	typed int
	mu    sync.Mutex
}

func (a *quietAsker) QuietPassphrase(context.Context, bool) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.quiet++
	return a.pass, nil
}

func (a *quietAsker) Passphrase(context.Context, bool) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.typed++
	return a.pass, nil
}

// hungAsker's passphrase source never answers (a passphrase command that
// hangs): it runs until its ask is withdrawn.
type hungAsker struct {
	*asker
	running   chan struct{} // closed once the source runs
	withdrawn chan error    // the ask's end
}

func (a *hungAsker) QuietPassphrase(ctx context.Context, _ bool) (string, error) {
	close(a.running)
	<-ctx.Done()
	a.withdrawn <- ctx.Err()
	return "", ctx.Err()
}

func (a *hungAsker) Passphrase(context.Context, bool) (string, error) {
	return "", errors.New("a hung passphrase source was asked again")
}

// TestHungPassphraseSourceHoldsNoOneHostage: a caller whose passphrase
// source hangs (asked first) does not keep another caller, who has the
// passphrase from a file, waiting: every waiting caller is asked at once
// for a passphrase it has without a person, the first answer unlocks the
// vault, and the hung source's ask is withdrawn (issue 7 item 8: the second
// caller waited for the first one's 30 s timeout). Both callers waiting in
// one flight, and in two flights meeting at the vault's lock.
func TestHungPassphraseSourceHoldsNoOneHostage(t *testing.T) {
	for _, tc := range []struct{ name, second string }{
		{"one flight", "alice"},
		{"two flights", "dave"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w *world
			w = newWorld(t, true, func(o *Options) {
				o.OpenVault = func(_ context.Context, _ string, _ map[string]string, pass func(context.Context, bool) (string, error)) (vault.Store, error) {
					return &lockedStore{Store: w.vault, pass: pass, want: "right passphrase"}, nil
				}
			})
			hung := &hungAsker{asker: newAsker(w), running: make(chan struct{}), withdrawn: make(chan error, 1)}
			first := make(chan error, 1)
			go func() {
				_, err := w.broker.Credentials(t.Context(), w.req("alice"), hung)
				first <- err
			}()
			<-hung.running

			// The second caller gets its credentials while the first
			// one's source still hangs: nothing else ends that ask.
			file := &quietAsker{asker: newAsker(w), pass: "right passphrase"}
			if _, err := w.broker.Credentials(t.Context(), w.req(tc.second), file); err != nil {
				t.Fatalf("second caller: %v", err)
			}
			if file.quiet != 1 || file.typed != 0 {
				t.Errorf("second caller's passphrase read %d times from its file and typed %d times, want 1 and 0", file.quiet, file.typed)
			}
			// The hung source's ask is withdrawn (a command is killed), and
			// the first caller gets the vault the second one unlocked.
			if err := <-hung.withdrawn; !errors.Is(err, context.Canceled) {
				t.Errorf("the hung source's ask ended with %v, want context.Canceled", err)
			}
			if err := <-first; err != nil {
				t.Errorf("first caller: %v", err)
			}
		})
	}
}

// TestPassphraseAskedOfAPersonAfterQuietSources: when no caller has a
// passphrase without a person, the callers are asked one at a time, and a
// caller whose quiet source failed is not asked again.
func TestPassphraseAskedOfAPersonAfterQuietSources(t *testing.T) {
	var w *world
	w = newWorld(t, true, func(o *Options) {
		o.OpenVault = func(_ context.Context, _ string, _ map[string]string, pass func(context.Context, bool) (string, error)) (vault.Store, error) {
			return &lockedStore{Store: w.vault, pass: pass, want: "test passphrase"}, nil
		}
	})
	// asker has no QuietPassphrase: its Passphrase is a person typing.
	person := newAsker(w)
	if _, err := w.broker.Credentials(t.Context(), w.req("alice"), person); err != nil {
		t.Fatal(err)
	}
	if person.pass != 1 {
		t.Errorf("passphrase typed %d times, want 1", person.pass)
	}

	// dave's key is read anew (alice's session is cached).
	w.broker.ForgetVault()
	failing := &failingQuiet{asker: newAsker(w), err: errors.New("passphrase command failed")}
	_, err := w.broker.Credentials(t.Context(), w.req("dave"), failing)
	if err == nil || !errors.Is(err, failing.err) {
		t.Errorf("with a failing passphrase command: %v, want its error", err)
	}
	if failing.pass != 0 {
		t.Errorf("the caller whose passphrase command failed was asked %d more times", failing.pass)
	}
}

type failingQuiet struct {
	*asker
	err error
}

func (a *failingQuiet) QuietPassphrase(context.Context, bool) (string, error) { return "", a.err }
