package session

import (
	"context"
	"errors"
	"fmt"
)

// outcome is what a flight hands every waiter.
type outcome struct {
	creds   Credentials
	notices []string
}

// A flight is one piece of work (an MFA session, a role's credentials) that
// any number of callers wait for together. It runs in its own goroutine under
// a context of its own: a caller that stops waiting does not cancel it for the
// others; only when the last waiter leaves is it cancelled.
//
// Whatever the work needs from a person (a code, the vault passphrase, a
// device choice) is asked of the waiters' Askers one at a time, in the order
// they joined: when one cannot ask (ErrCannotAsk) or its caller goes away, the
// next is asked.
type flight struct {
	b      *Broker
	key    string
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	out    outcome
	err    error

	// guarded by b.mu
	waiters   []*waiter
	abandoned bool
}

type waiter struct {
	asker Asker
	ctx   context.Context
}

// poolKey is the context key under which a flight makes itself reachable to
// code that must ask a person from deep inside the work (the vault's
// passphrase callback).
type poolKey struct{}

// flightFrom returns the flight running in ctx, or nil.
func flightFrom(ctx context.Context) *flight {
	f, _ := ctx.Value(poolKey{}).(*flight)
	return f
}

// do joins the flight for key, starting it with run if none is under way, and
// waits for its outcome or for ctx to end.
func (b *Broker) do(ctx context.Context, key string, asker Asker, run func(ctx context.Context, f *flight) (outcome, error)) (outcome, error) {
	w := &waiter{asker: asker, ctx: ctx}
	b.mu.Lock()
	f := b.flights[key]
	if f == nil || f.abandoned {
		fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		f = &flight{b: b, key: key, cancel: cancel, done: make(chan struct{})}
		f.ctx = context.WithValue(fctx, poolKey{}, f)
		b.flights[key] = f
		go f.run(run)
	}
	f.waiters = append(f.waiters, w)
	n := len(f.waiters)
	b.notifyLocked()
	b.mu.Unlock()
	if b.o.joined != nil {
		b.o.joined(key, n)
	}
	select {
	case <-f.done:
		b.leave(f, w)
		if err := ctx.Err(); err != nil {
			return outcome{}, err // the caller is gone; keep its answer consistent
		}
		return f.out, f.err
	case <-ctx.Done():
		b.leave(f, w)
		return outcome{}, ctx.Err()
	}
}

func (f *flight) run(work func(ctx context.Context, f *flight) (outcome, error)) {
	out, err := work(f.ctx, f)
	b := f.b
	b.mu.Lock()
	f.out, f.err = out, err
	if b.flights[f.key] == f {
		delete(b.flights, f.key)
	}
	b.mu.Unlock()
	f.cancel()
	close(f.done)
}

// leave removes w; the last waiter to leave an unfinished flight cancels it.
func (b *Broker) leave(f *flight, w *waiter) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, x := range f.waiters {
		if x == w {
			f.waiters = append(f.waiters[:i], f.waiters[i+1:]...)
			break
		}
	}
	if len(f.waiters) > 0 {
		return
	}
	select {
	case <-f.done:
	default:
		f.abandoned = true
		f.cancel()
	}
}

// next returns the earliest waiter that is still there and not yet tried.
func (f *flight) next(tried map[*waiter]bool) *waiter {
	f.b.mu.Lock()
	defer f.b.mu.Unlock()
	for _, w := range f.waiters {
		if !tried[w] && w.ctx.Err() == nil {
			return w
		}
	}
	return nil
}

// ask runs fn with one waiter's Asker at a time until one succeeds. fn's
// context ends when the flight's or that waiter's does. A waiter whose Asker
// fails is not asked again for this question. When every waiter failed, the
// first error other than ErrCannotAsk is returned, else the first
// ErrCannotAsk one.
func (f *flight) ask(ctx context.Context, fn func(ctx context.Context, a Asker) error) error {
	return askEach(ctx, f.next, map[*waiter]bool{}, nil, fn)
}

// askEach runs fn with the Asker of each waiter next returns, one at a time,
// until one succeeds (see ask); tried holds the waiters not to ask, and
// other an error from an earlier round to return should no one succeed.
func askEach(ctx context.Context, next func(tried map[*waiter]bool) *waiter, tried map[*waiter]bool, other error, fn func(ctx context.Context, a Asker) error) error {
	var cannot error
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		w := next(tried)
		if w == nil {
			switch {
			case other != nil:
				return other
			case cannot != nil:
				return cannot
			}
			return fmt.Errorf("asking: %w: no client is waiting", ErrCannotAsk)
		}
		tried[w] = true
		actx, cancel := context.WithCancel(ctx)
		stop := context.AfterFunc(w.ctx, cancel)
		err := fn(actx, w.asker)
		stop()
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		switch {
		case w.ctx.Err() != nil: // that client went away; ask the next one
		case errors.Is(err, ErrCannotAsk):
			if cannot == nil {
				cannot = err
			}
		default:
			if other == nil {
				other = err
			}
		}
	}
}

// poolAsker asks on behalf of a flight: it passes each question to the
// flight's waiters, one at a time. A flight that needs another flight (role
// credentials need the MFA session) joins it with a poolAsker, so questions
// reach the people waiting at the top.
type poolAsker struct{ f *flight }

func (p poolAsker) MFACode(ctx context.Context, ask MFAAsk) (string, error) {
	var code string
	err := p.f.ask(ctx, func(ctx context.Context, a Asker) error {
		c, err := a.MFACode(ctx, ask)
		code = c
		return err
	})
	return code, err
}

func (p poolAsker) Passphrase(ctx context.Context, creating bool) (string, error) {
	var pass string
	err := p.f.ask(ctx, func(ctx context.Context, a Asker) error {
		s, err := a.Passphrase(ctx, creating)
		pass = s
		return err
	})
	return pass, err
}

func (p poolAsker) ChooseDevice(ctx context.Context, profile string, serials []string) (string, error) {
	var serial string
	err := p.f.ask(ctx, func(ctx context.Context, a Asker) error {
		s, err := a.ChooseDevice(ctx, profile, serials)
		serial = s
		return err
	})
	return serial, err
}
