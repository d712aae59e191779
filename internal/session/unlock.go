package session

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/awsmfa/awsmfa/internal/vault"
)

// QuietAsker is an Asker that can also give the vault passphrase from a
// source that needs no person: a passphrase file, command or variable. It
// never prompts; without such a source it returns an error wrapping
// ErrCannotAsk. A passphrase command runs until it ends, its timeout, or
// ctx's end, which kills it.
type QuietAsker interface {
	Asker
	QuietPassphrase(ctx context.Context, creating bool) (string, error)
}

// sharedVault is a vault the Broker holds open. While one of its operations
// runs, the flight running it counts among the vault's users, so that the
// people waiting in that flight may supply the passphrase that another
// operation, holding the vault, needs (see vaultPassphrase).
type sharedVault struct {
	vault.Store
	b   *Broker
	key string
}

func (s *sharedVault) Get(ctx context.Context, profile string) (vault.Entry, error) {
	defer s.b.enterVault(ctx, s.key)()
	return s.Store.Get(ctx, profile)
}

func (s *sharedVault) Put(ctx context.Context, profile string, e vault.Entry) error {
	defer s.b.enterVault(ctx, s.key)()
	return s.Store.Put(ctx, profile, e)
}

func (s *sharedVault) Delete(ctx context.Context, profile string) error {
	defer s.b.enterVault(ctx, s.key)()
	return s.Store.Delete(ctx, profile)
}

func (s *sharedVault) List(ctx context.Context) ([]string, error) {
	defer s.b.enterVault(ctx, s.key)()
	return s.Store.List(ctx)
}

// enterVault counts the flight running in ctx among the users of the vault
// key until the returned func is called.
func (b *Broker) enterVault(ctx context.Context, key string) func() {
	f := flightFrom(ctx)
	if f == nil {
		return func() {}
	}
	b.mu.Lock()
	b.vaultUsers[key] = append(b.vaultUsers[key], f)
	b.notifyLocked()
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		users := b.vaultUsers[key]
		if i := slices.Index(users, f); i >= 0 {
			users = slices.Delete(users, i, i+1)
		}
		if len(users) == 0 {
			delete(b.vaultUsers, key)
		} else {
			b.vaultUsers[key] = users
		}
	}
}

// notifyLocked wakes whoever waits for more callers (b.mu held).
func (b *Broker) notifyLocked() {
	close(b.changed)
	b.changed = make(chan struct{})
}

// passphraseWaitersLocked returns the callers who may supply the
// passphrase of the vault key, in order: those waiting in first (the flight
// that needs it), then in each flight inside an operation on the vault, and
// through flights that joined others, the callers at the top. (b.mu held.)
func (b *Broker) passphraseWaitersLocked(key string, first *flight) []*waiter {
	seen := map[*flight]bool{}
	var out []*waiter
	var walk func(f *flight)
	walk = func(f *flight) {
		if f == nil || seen[f] {
			return
		}
		seen[f] = true
		for _, w := range f.waiters {
			if p, ok := w.asker.(poolAsker); ok {
				walk(p.f)
			} else if w.ctx.Err() == nil {
				out = append(out, w)
			}
		}
	}
	walk(first)
	for _, f := range b.vaultUsers[key] {
		walk(f)
	}
	return out
}

// vaultPassphrase obtains the passphrase of the vault key for the operation
// running in ctx, from whoever waits on that vault, so that no caller is
// held hostage by another (issue 7 item 8: a caller with a passphrase file
// waited behind one whose passphrase command hung).
//
// First every waiting caller, and each that comes while this round lasts,
// is asked at once for a passphrase it has without asking a person
// (QuietAsker); the first to give one wins, and the others' asks are
// cancelled, which kills their passphrase commands. When none can, the
// callers are asked one at a time, as a person would be: in order, the next
// when one cannot ask or goes away. A caller whose quiet source failed is
// not asked again: its source would fail again.
func (b *Broker) vaultPassphrase(ctx context.Context, key string, creating bool) (string, error) {
	first := flightFrom(ctx)
	waiters := func() ([]*waiter, <-chan struct{}) {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.passphraseWaitersLocked(key, first), b.changed
	}

	pass, failed, other, err := quietRound(ctx, waiters, creating)
	if err == nil || ctx.Err() != nil {
		return pass, err
	}
	next := func(tried map[*waiter]bool) *waiter {
		ws, _ := waiters()
		for _, w := range ws {
			if !tried[w] {
				return w
			}
		}
		return nil
	}
	err = askEach(ctx, next, failed, other, func(ctx context.Context, a Asker) error {
		s, err := a.Passphrase(ctx, creating)
		pass = s
		return err
	})
	return pass, err
}

// quietRound asks every caller waiters returns, as they come, for a
// passphrase without a person (see vaultPassphrase); it returns the first
// one given, or which callers failed and the first such failure.
func quietRound(ctx context.Context, waiters func() ([]*waiter, <-chan struct{}), creating bool) (pass string, failed map[*waiter]bool, other, err error) {
	type answer struct {
		w    *waiter
		pass string
		err  error
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel() // the asks still running end, their commands killed
	answers := make(chan answer)
	asked := map[*waiter]bool{}
	failed = map[*waiter]bool{}
	running := 0
	for {
		ws, changed := waiters()
		for _, w := range ws {
			if asked[w] {
				continue
			}
			asked[w] = true
			qa, ok := w.asker.(QuietAsker)
			if !ok {
				continue
			}
			running++
			go func() {
				actx, stop := context.WithCancel(rctx)
				defer stop()
				defer context.AfterFunc(w.ctx, stop)()
				p, err := qa.QuietPassphrase(actx, creating)
				select {
				case answers <- answer{w: w, pass: p, err: err}:
				case <-rctx.Done():
				}
			}()
		}
		if running == 0 {
			return "", failed, other, fmt.Errorf("asking for the vault passphrase: %w", ErrCannotAsk)
		}
		select {
		case a := <-answers:
			running--
			switch {
			case a.err == nil:
				return a.pass, nil, nil, nil
			case ctx.Err() != nil:
				return "", nil, nil, ctx.Err()
			case a.w.ctx.Err() != nil: // that caller went away
			case errors.Is(a.err, ErrCannotAsk): // it has no such source
			default:
				failed[a.w] = true
				if other == nil {
					other = a.err
				}
			}
		case <-changed:
		case <-ctx.Done():
			return "", nil, nil, ctx.Err()
		}
	}
}
