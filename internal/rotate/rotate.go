// Package rotate replaces a profile's long-term access key with a new one,
// so that a crash at any point leaves a working key in the vault:
//
//  1. list the user's keys (AWS allows two);
//  2. CreateAccessKey with the MFA session;
//  3. store the new key in the vault at once, marked as replacing the old;
//  4. wait until AWS accepts the new key (IAM is eventually consistent);
//  5. delete (or deactivate) the old key;
//  6. clear the mark, and forget the sessions made with the old key.
//
// Until step 3 the vault holds the old key, which still works; from step 3
// on it holds the new one, and the mark tells a later run to finish steps
// 4 to 6 instead of starting over. A crash between 2 and 3 leaves a key at
// AWS whose secret nobody has: a later run finds a key the vault does not
// hold and offers to delete it.
package rotate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/awsmfa/awsmfa/internal/session"
	"github.com/awsmfa/awsmfa/internal/vault"
)

// Key statuses as IAM names them.
const (
	StatusActive   = "Active"
	StatusInactive = "Inactive"
)

// Key is an access key as IAM lists it; it holds no secret.
type Key struct {
	ID      string
	Status  string
	Created time.Time
}

// NewKey is a key CreateAccessKey just made, with its secret.
type NewKey struct {
	Key
	Secret string
}

// Format keeps the secret out of %v and friends.
func (k NewKey) Format(st fmt.State, _ rune) { fmt.Fprintf(st, "{ID:%s}", k.ID) }

// IAM is what a rotation needs of AWS. The key calls act on the user whose
// MFA session makes them.
type IAM interface {
	ListKeys(ctx context.Context) ([]Key, error)
	CreateKey(ctx context.Context) (NewKey, error)
	DeleteKey(ctx context.Context, id string) error
	DeactivateKey(ctx context.Context, id string) error
	// Caller is the ARN of the user the MFA session belongs to.
	Caller(ctx context.Context) (string, error)
	// Probe is the ARN GetCallerIdentity answers when signed with the
	// long-term key id and secret alone.
	Probe(ctx context.Context, id, secret string) (string, error)
}

// Step names the point a rotation has reached, for Options.Step.
type Step string

// The steps, in order.
const (
	StepListed   Step = "listed"   // the user's keys are listed; nothing changed
	StepCreated  Step = "created"  // AWS made the new key; the vault holds the old one
	StepStored   Step = "stored"   // the vault holds the new key, marked as replacing the old
	StepVerified Step = "verified" // AWS accepts the new key
	StepRetired  Step = "retired"  // the old key is deleted or deactivated
	StepDone     Step = "done"     // the mark is cleared and the old sessions forgotten
)

// Defaults for the wait until AWS accepts a new key: about 40 seconds in
// all, well beyond the few seconds IAM usually needs.
const (
	DefaultAttempts = 8
	firstDelay      = time.Second
	maxDelay        = 8 * time.Second
)

// Options configure Run.
type Options struct {
	// Profile is the vault entry, the profile that holds the key.
	Profile string
	Store   vault.Store
	IAM     IAM
	// Deactivate deactivates the old key instead of deleting it.
	Deactivate bool
	// DeleteInactive deletes the user's other key when it is inactive, to
	// make room under the two-key limit.
	DeleteInactive bool
	// DeleteOther names another key of the user (one the vault does not
	// hold) to delete first, active or not.
	DeleteOther string
	// Confirm asks whether to delete an active key the vault does not hold;
	// nil when nobody can be asked.
	Confirm func(ctx context.Context, k Key) (bool, error)
	// Forget drops the sessions made with the old key; nil does nothing.
	Forget func(ctx context.Context) error
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Attempts bounds the GetCallerIdentity calls that wait for the new key;
	// 0 is DefaultAttempts.
	Attempts int
	// Sleep waits d or until ctx ends; nil uses a timer. Tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Progress receives one line per step done; never a secret.
	Progress func(format string, args ...any)
	// Step is called as each step is reached (tests stop the process there).
	Step func(Step)
}

// Result says what a rotation did.
type Result struct {
	Old, New Key
	// Retired is "deleted" or "deactivated", or "" when the old key was
	// already gone.
	Retired string
	// Resumed: an interrupted rotation was finished; no key was created.
	Resumed bool
	// Removed are other keys deleted first (--delete-inactive,
	// --delete-other, or confirmed).
	Removed []Key
	// ForgetErr is why forgetting the old sessions failed, if it did.
	ForgetErr error
}

// TwoKeysError: the user has two keys, so AWS will not create a third.
type TwoKeysError struct {
	Profile  string
	VaultKey string
	Keys     []Key
	now      time.Time
}

func (e *TwoKeysError) Error() string {
	var parts []string
	for _, k := range e.Keys {
		what := "not in the vault"
		if k.ID == e.VaultKey {
			what = "the vault's key of profile " + e.Profile
		}
		parts = append(parts, fmt.Sprintf("%s (%s, created %s ago, %s)", k.ID, strings.ToLower(k.Status), Age(e.now, k.Created), what))
	}
	return fmt.Sprintf("the user already has two access keys, AWS's limit, so a new one cannot be created: %s", strings.Join(parts, "; "))
}

// Unwrap classifies the refusal with AWS's refusals (exit code).
func (e *TwoKeysError) Unwrap() error {
	return &session.Error{Kind: session.KindDenied, Msg: "two access keys"}
}

// Hints are the exact fixes.
func (e *TwoKeysError) Hints() []string {
	var h []string
	for _, k := range e.Keys {
		if k.ID == e.VaultKey {
			continue
		}
		if k.Status == StatusInactive {
			h = append(h, fmt.Sprintf("awsmfa rotate %s --delete-inactive", e.Profile))
		} else {
			h = append(h, fmt.Sprintf("if %s is used nowhere (an interrupted rotate leaves such a key): awsmfa rotate %s --delete-other %s", k.ID, e.Profile, k.ID))
		}
	}
	return h
}

// Age renders how long ago t was, in days, hours or minutes; "?" when t is
// unknown.
func Age(now, t time.Time) string {
	if t.IsZero() {
		return "?"
	}
	d := now.Sub(t)
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	case d < 0:
		return "0m"
	}
	return fmt.Sprintf("%dm", int(d/time.Minute))
}

type run struct {
	o   Options
	now func() time.Time
	res Result
}

// Run rotates o.Profile's key, or finishes a rotation a crash interrupted.
func Run(ctx context.Context, o Options) (Result, error) {
	r := &run{o: o, now: o.Now}
	if r.now == nil {
		r.now = time.Now
	}
	e, err := o.Store.Get(ctx, o.Profile)
	if errors.Is(err, vault.ErrNotFound) {
		return Result{}, &session.Error{Kind: session.KindNotFound, Msg: fmt.Sprintf("the vault holds no key for profile %s", o.Profile),
			Hint: fmt.Sprintf("awsmfa add %s", o.Profile), Err: err}
	}
	if err != nil {
		return Result{}, fmt.Errorf("reading the key of profile %s: %w", o.Profile, err)
	}
	keys, err := o.IAM.ListKeys(ctx)
	if err != nil {
		return Result{}, err
	}
	r.step(StepListed)
	if e.Replaces != "" {
		r.res.Resumed = true
		r.progress("finishing the rotation of profile %s that was interrupted: the vault holds %s, which replaces %s", o.Profile, e.AccessKeyID, e.Replaces)
		return r.finish(ctx, e, keys)
	}
	i := slices.IndexFunc(keys, func(k Key) bool { return k.ID == e.AccessKeyID })
	if i < 0 {
		return Result{}, &session.Error{Kind: session.KindDenied,
			Msg:  fmt.Sprintf("the vault's key %s of profile %s is not one of the user's access keys (deleted?)", e.AccessKeyID, o.Profile),
			Hint: fmt.Sprintf("store a current key: awsmfa add %s", o.Profile)}
	}
	r.res.Old = keys[i]
	if err := r.makeRoom(ctx, e.AccessKeyID, keys); err != nil {
		return Result{}, err
	}

	nk, err := o.IAM.CreateKey(ctx)
	if err != nil {
		return Result{}, err
	}
	r.res.New = nk.Key
	r.progress("created %s", nk.ID)
	r.step(StepCreated)
	ne := vault.Entry{AccessKeyID: nk.ID, SecretAccessKey: nk.Secret, Added: r.now().UTC(), Created: nk.Created.UTC(), Replaces: e.AccessKeyID}
	if err := o.Store.Put(ctx, o.Profile, ne); err != nil {
		// The vault still holds the old key. The new key is useless
		// without its secret: take it back.
		if derr := o.IAM.DeleteKey(ctx, nk.ID); derr != nil {
			return Result{}, fmt.Errorf("storing the new key of profile %s: %w; deleting it again failed too (%v): run awsmfa rotate %s to delete it", o.Profile, err, derr, o.Profile)
		}
		return Result{}, fmt.Errorf("storing the new key of profile %s: %w; it was deleted again, and the vault keeps the old key", o.Profile, err)
	}
	r.progress("stored %s in the %s vault", nk.ID, o.Store.Backend())
	r.step(StepStored)
	return r.finish(ctx, ne, keys)
}

// makeRoom deletes the user's other key when allowed, so that a new key
// fits under AWS's limit of two.
func (r *run) makeRoom(ctx context.Context, vaultKey string, keys []Key) error {
	var others []Key
	for _, k := range keys {
		if k.ID != vaultKey {
			others = append(others, k)
		}
	}
	if r.o.DeleteOther != "" && !slices.ContainsFunc(others, func(k Key) bool { return k.ID == r.o.DeleteOther }) {
		return &session.Error{Kind: session.KindNotFound,
			Msg: fmt.Sprintf("--delete-other %s: not another access key of the user (the vault's key is %s)", r.o.DeleteOther, vaultKey)}
	}
	var kept []Key
	for _, k := range others {
		del := false
		switch {
		case k.ID == r.o.DeleteOther:
			del = true
		case k.Status == StatusInactive && r.o.DeleteInactive:
			del = true
		case k.Status == StatusActive && r.o.Confirm != nil:
			ok, err := r.o.Confirm(ctx, k)
			if err != nil {
				return err
			}
			del = ok
		}
		if !del {
			kept = append(kept, k)
			continue
		}
		if err := r.o.IAM.DeleteKey(ctx, k.ID); err != nil {
			return err
		}
		r.progress("deleted %s (%s), which the vault does not hold", k.ID, strings.ToLower(k.Status))
		r.res.Removed = append(r.res.Removed, k)
	}
	if len(kept) > 0 {
		return &TwoKeysError{Profile: r.o.Profile, VaultKey: vaultKey, Keys: keys, now: r.now()}
	}
	return nil
}

// finish does steps 4 to 6 for the vault entry e, whose key replaces
// e.Replaces; keys is the user's keys as listed.
func (r *run) finish(ctx context.Context, e vault.Entry, keys []Key) (Result, error) {
	o := r.o
	r.res.New = Key{ID: e.AccessKeyID, Status: StatusActive, Created: e.Created}
	if i := slices.IndexFunc(keys, func(k Key) bool { return k.ID == e.AccessKeyID }); i >= 0 {
		r.res.New = keys[i]
	}
	if r.res.Old.ID == "" {
		r.res.Old = Key{ID: e.Replaces}
	}
	if err := r.waitUsable(ctx, e); err != nil {
		return r.res, err
	}
	r.progress("AWS accepts %s", e.AccessKeyID)
	r.step(StepVerified)

	if i := slices.IndexFunc(keys, func(k Key) bool { return k.ID == e.Replaces }); i >= 0 {
		old := keys[i]
		r.res.Old = old
		switch {
		case o.Deactivate && old.Status == StatusInactive:
			r.res.Retired = "deactivated"
		case o.Deactivate:
			if err := o.IAM.DeactivateKey(ctx, old.ID); err != nil {
				return r.res, r.keptOld(err)
			}
			r.res.Retired = "deactivated"
		default:
			if err := o.IAM.DeleteKey(ctx, old.ID); err != nil {
				return r.res, r.keptOld(err)
			}
			r.res.Retired = "deleted"
		}
		r.progress("%s %s", r.res.Retired, old.ID)
	}
	r.step(StepRetired)

	e.Replaces = ""
	if err := o.Store.Put(ctx, o.Profile, e); err != nil {
		return r.res, fmt.Errorf("clearing the rotation mark of profile %s (its key %s works; run awsmfa rotate %s to finish): %w", o.Profile, e.AccessKeyID, o.Profile, err)
	}
	if o.Forget != nil {
		r.res.ForgetErr = o.Forget(ctx)
	}
	r.step(StepDone)
	return r.res, nil
}

// keptOld explains a failure to retire the old key: the new key is in the
// vault and works; a re-run finishes.
func (r *run) keptOld(err error) error {
	return fmt.Errorf("the new key %s is in the vault and works, but the old key %s could not be retired (run awsmfa rotate %s again to finish): %w",
		r.res.New.ID, r.res.Old.ID, r.o.Profile, err)
}

// waitUsable calls GetCallerIdentity with the new key alone until AWS
// accepts it for the same user, with exponential backoff.
func (r *run) waitUsable(ctx context.Context, e vault.Entry) error {
	o := r.o
	want, err := o.IAM.Caller(ctx)
	if err != nil {
		return err
	}
	attempts := o.Attempts
	if attempts <= 0 {
		attempts = DefaultAttempts
	}
	sleep := o.Sleep
	if sleep == nil {
		sleep = timerSleep
	}
	delay := firstDelay
	var last error
	for attempt := 1; ; attempt++ {
		arn, err := o.IAM.Probe(ctx, e.AccessKeyID, e.SecretAccessKey)
		switch {
		case err == nil && arn == want:
			return nil
		case err == nil:
			return fmt.Errorf("the new key %s belongs to %s, not to %s", e.AccessKeyID, arn, want)
		case ctx.Err() != nil:
			return ctx.Err()
		}
		last = err
		if attempt >= attempts {
			break
		}
		r.progress("AWS does not accept %s yet (attempt %d of %d); waiting %s", e.AccessKeyID, attempt, attempts, delay)
		if err := sleep(ctx, delay); err != nil {
			return err
		}
		delay = min(2*delay, maxDelay)
	}
	return fmt.Errorf("the new key %s is in the vault, but AWS did not accept it after %d attempts; the old key %s is kept (run awsmfa rotate %s again to finish): %w",
		e.AccessKeyID, attempts, e.Replaces, o.Profile, last)
}

func timerSleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *run) step(s Step) {
	if r.o.Step != nil {
		r.o.Step(s)
	}
}

func (r *run) progress(format string, args ...any) {
	if r.o.Progress != nil {
		r.o.Progress(format, args...)
	}
}
