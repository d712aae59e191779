package rotate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/awsmfa/awsmfa/internal/session"
	"github.com/awsmfa/awsmfa/internal/vault"
)

const userARN = "arn:aws:iam::123456789012:user/alice"

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeIAM is one user's keys at AWS. A key works for Probe once it exists
// and is active and, like IAM's eventual consistency, after lag failed
// probes.
type fakeIAM struct {
	keys    []Key
	secrets map[string]string
	n       int
	lag     int
	calls   []string
	failOn  string // an operation that fails with AccessDenied
}

func newFake(keys ...Key) *fakeIAM {
	f := &fakeIAM{secrets: map[string]string{}}
	for _, k := range keys {
		f.keys = append(f.keys, k)
		f.secrets[k.ID] = secretOf(k.ID)
	}
	return f
}

func (f *fakeIAM) fail(op string) error {
	f.calls = append(f.calls, op)
	if f.failOn == op {
		return &session.Error{Kind: session.KindDenied, Msg: "AWS denied " + op}
	}
	return nil
}

func (f *fakeIAM) ListKeys(context.Context) ([]Key, error) {
	if err := f.fail("List"); err != nil {
		return nil, err
	}
	return slices.Clone(f.keys), nil
}

func (f *fakeIAM) CreateKey(context.Context) (NewKey, error) {
	if err := f.fail("Create"); err != nil {
		return NewKey{}, err
	}
	if len(f.keys) >= 2 {
		return NewKey{}, &session.Error{Kind: session.KindDenied, Msg: "LimitExceeded"}
	}
	f.n++
	k := Key{ID: "AKIACREATEDAAAAAAAA" + string(rune('A'+f.n)), Status: StatusActive, Created: t0}
	f.keys = append(f.keys, k)
	f.secrets[k.ID] = secretOf(k.ID)
	return NewKey{Key: k, Secret: f.secrets[k.ID]}, nil
}

func (f *fakeIAM) DeleteKey(_ context.Context, id string) error {
	if err := f.fail("Delete " + id); err != nil {
		return err
	}
	i := slices.IndexFunc(f.keys, func(k Key) bool { return k.ID == id })
	if i < 0 {
		return &session.Error{Kind: session.KindDenied, Msg: "NoSuchEntity"}
	}
	f.keys = slices.Delete(f.keys, i, i+1)
	return nil
}

func (f *fakeIAM) DeactivateKey(_ context.Context, id string) error {
	if err := f.fail("Deactivate " + id); err != nil {
		return err
	}
	for i := range f.keys {
		if f.keys[i].ID == id {
			f.keys[i].Status = StatusInactive
		}
	}
	return nil
}

func (f *fakeIAM) Caller(context.Context) (string, error) { return userARN, nil }

func (f *fakeIAM) Probe(_ context.Context, id, secret string) (string, error) {
	f.calls = append(f.calls, "Probe "+id)
	if f.lag > 0 {
		f.lag--
		return "", &session.Error{Kind: session.KindDenied, Msg: "InvalidClientTokenId"}
	}
	for _, k := range f.keys {
		if k.ID == id && k.Status == StatusActive && f.secrets[id] == secret {
			return userARN, nil
		}
	}
	return "", &session.Error{Kind: session.KindDenied, Msg: "InvalidClientTokenId"}
}

func (f *fakeIAM) ids() []string {
	var out []string
	for _, k := range f.keys {
		out = append(out, k.ID+" "+k.Status)
	}
	return out
}

// secretOf is the 40-character secret the fake gives key id.
func secretOf(id string) string { return (id[4:] + id[4:] + "xxxxxxxx")[:40] }

const oldID = "AKIAOLDOLDOLDOLDOLDA"

func setup(t *testing.T, e vault.Entry, keys ...Key) (vault.Store, *fakeIAM) {
	t.Helper()
	s := vault.NewMemory()
	if err := s.Put(context.Background(), "dev", e); err != nil {
		t.Fatal(err)
	}
	f := newFake(keys...)
	return s, f
}

func oldEntry() vault.Entry {
	return vault.Entry{AccessKeyID: oldID, SecretAccessKey: secretOf(oldID), Added: t0.Add(-90 * 24 * time.Hour)}
}

func opts(s vault.Store, f *fakeIAM) Options {
	return Options{Profile: "dev", Store: s, IAM: f, Now: func() time.Time { return t0 },
		Sleep: func(context.Context, time.Duration) error { return nil }}
}

func get(t *testing.T, s vault.Store) vault.Entry {
	t.Helper()
	e, err := s.Get(context.Background(), "dev")
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestRotate: the new key is in the vault with its creation date and no
// mark, the old one is gone at AWS, the sessions were forgotten, and the
// steps came in order with the vault written before anything else.
func TestRotate(t *testing.T) {
	s, f := setup(t, oldEntry(), Key{ID: oldID, Status: StatusActive, Created: t0.Add(-90 * 24 * time.Hour)})
	var steps []Step
	forgot := 0
	o := opts(s, f)
	o.Step = func(st Step) {
		steps = append(steps, st)
		if st == StepStored && !strings.HasPrefix(get(t, s).AccessKeyID, "AKIACREATED") {
			t.Error("the new key is not in the vault when stored")
		}
	}
	o.Forget = func(context.Context) error { forgot++; return nil }
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	e := get(t, s)
	if e.AccessKeyID != res.New.ID || e.Replaces != "" || !e.Created.Equal(t0) || res.Old.ID != oldID || res.Retired != "deleted" || res.Resumed {
		t.Errorf("entry %+v result %+v", e.AccessKeyID, res)
	}
	if got := f.ids(); len(got) != 1 || got[0] != res.New.ID+" Active" {
		t.Errorf("keys at AWS: %v", got)
	}
	if want := []Step{StepListed, StepCreated, StepStored, StepVerified, StepRetired, StepDone}; !slices.Equal(steps, want) {
		t.Errorf("steps %v", steps)
	}
	if forgot != 1 {
		t.Errorf("forgot %d times", forgot)
	}
}

func TestRotateDeactivate(t *testing.T) {
	s, f := setup(t, oldEntry(), Key{ID: oldID, Status: StatusActive})
	o := opts(s, f)
	o.Deactivate = true
	res, err := Run(context.Background(), o)
	if err != nil || res.Retired != "deactivated" {
		t.Fatal(res, err)
	}
	if got := f.ids(); !slices.Equal(got, []string{oldID + " Inactive", res.New.ID + " Active"}) {
		t.Errorf("keys %v", got)
	}
	// The next rotate meets the two-key limit: refused without
	// --delete-inactive, done with it.
	_, err = Run(context.Background(), opts(s, f))
	var two *TwoKeysError
	if !errors.As(err, &two) || session.KindOf(err) != session.KindDenied {
		t.Fatalf("got %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, oldID+" (inactive") || !strings.Contains(msg, res.New.ID+" (active") {
		t.Errorf("message does not list both keys: %s", msg)
	}
	if h := two.Hints(); len(h) != 1 || h[0] != "awsmfa rotate dev --delete-inactive" {
		t.Errorf("hints %q", h)
	}
	o = opts(s, f)
	o.DeleteInactive = true
	res2, err := Run(context.Background(), o)
	if err != nil || len(res2.Removed) != 1 || res2.Removed[0].ID != oldID {
		t.Fatal(res2, err)
	}
	if got := f.ids(); len(got) != 1 || got[0] != res2.New.ID+" Active" {
		t.Errorf("keys %v", got)
	}
}

// TestRotateUnknownKey: an active key the vault does not hold is deleted
// only when confirmed or named; otherwise the two-key refusal names it.
func TestRotateUnknownKey(t *testing.T) {
	const other = "AKIAOTHEROTHEROTHERA"
	for _, tc := range []struct {
		name    string
		confirm *bool
		named   string
		deleted bool
	}{
		{name: "no terminal", deleted: false},
		{name: "declined", confirm: new(bool), deleted: false},
		{name: "confirmed", confirm: func() *bool { b := true; return &b }(), deleted: true},
		{name: "named", named: other, deleted: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, f := setup(t, oldEntry(), Key{ID: oldID, Status: StatusActive}, Key{ID: other, Status: StatusActive})
			o := opts(s, f)
			o.DeleteOther = tc.named
			if tc.confirm != nil {
				o.Confirm = func(_ context.Context, k Key) (bool, error) {
					if k.ID != other {
						t.Errorf("asked about %s", k.ID)
					}
					return *tc.confirm, nil
				}
			}
			_, err := Run(context.Background(), o)
			if tc.deleted {
				if err != nil || slices.Contains(f.ids(), other+" Active") {
					t.Fatalf("%v, keys %v", err, f.ids())
				}
				return
			}
			var two *TwoKeysError
			if !errors.As(err, &two) {
				t.Fatalf("got %v", err)
			}
			if h := two.Hints(); len(h) != 1 || !strings.HasSuffix(h[0], "awsmfa rotate dev --delete-other "+other) {
				t.Errorf("hints %q", h)
			}
			if get(t, s).AccessKeyID != oldID || len(f.ids()) != 2 || slices.Contains(f.calls, "Create") {
				t.Errorf("something changed: %v %v", f.ids(), f.calls)
			}
		})
	}
	s, f := setup(t, oldEntry(), Key{ID: oldID, Status: StatusActive})
	o := opts(s, f)
	o.DeleteOther = oldID
	if _, err := Run(context.Background(), o); err == nil || slices.Contains(f.calls, "Delete "+oldID) {
		t.Errorf("--delete-other with the vault's own key: %v %v", err, f.calls)
	}
}

// TestRotateResume: a vault entry still marked as replacing a key is
// finished, not rotated again, whatever point the crash came at.
func TestRotateResume(t *testing.T) {
	const newID = "AKIANEWNEWNEWNEWNEWA"
	marked := vault.Entry{AccessKeyID: newID, SecretAccessKey: secretOf(newID), Added: t0, Created: t0, Replaces: oldID}
	for _, tc := range []struct {
		name string
		keys []Key
	}{
		{"old key still there", []Key{{ID: oldID, Status: StatusActive}, {ID: newID, Status: StatusActive}}},
		{"old key already deleted", []Key{{ID: newID, Status: StatusActive}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, f := setup(t, marked, tc.keys...)
			res, err := Run(context.Background(), opts(s, f))
			if err != nil || !res.Resumed || res.New.ID != newID {
				t.Fatal(res, err)
			}
			if e := get(t, s); e.AccessKeyID != newID || e.Replaces != "" {
				t.Errorf("entry %s replaces %q", e.AccessKeyID, e.Replaces)
			}
			if got := f.ids(); !slices.Equal(got, []string{newID + " Active"}) || slices.Contains(f.calls, "Create") {
				t.Errorf("keys %v calls %v", got, f.calls)
			}
		})
	}
}

// TestRotateWait: the new key is retried with growing delays until AWS
// accepts it; if it never does, the old key is kept and the vault still
// says which key the new one replaces, so a re-run finishes.
func TestRotateWait(t *testing.T) {
	s, f := setup(t, oldEntry(), Key{ID: oldID, Status: StatusActive})
	f.lag = 3
	var delays []time.Duration
	o := opts(s, f)
	o.Sleep = func(_ context.Context, d time.Duration) error { delays = append(delays, d); return nil }
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(delays, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}) {
		t.Errorf("delays %v", delays)
	}

	s, f = setup(t, oldEntry(), Key{ID: oldID, Status: StatusActive})
	f.lag = 100
	delays = nil
	o = opts(s, f)
	o.Attempts = 5
	o.Sleep = func(_ context.Context, d time.Duration) error { delays = append(delays, d); return nil }
	_, err := Run(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "after 5 attempts") || len(delays) != 4 || delays[3] != maxDelay {
		t.Fatalf("%v, delays %v", err, delays)
	}
	e := get(t, s)
	if e.Replaces != oldID || !slices.Contains(f.ids(), oldID+" Active") {
		t.Errorf("entry replaces %q, keys %v", e.Replaces, f.ids())
	}
	f.lag = 0
	res, err := Run(context.Background(), opts(s, f))
	if err != nil || !res.Resumed || len(f.ids()) != 1 {
		t.Errorf("re-run: %v %v %v", res, err, f.ids())
	}
}

// failingStore refuses every Put.
type failingStore struct{ vault.Store }

func (failingStore) Put(context.Context, string, vault.Entry) error { return errors.New("disk full") }

// TestRotateStoreFails: a new key that cannot be stored is deleted again,
// and the vault keeps the old key.
func TestRotateStoreFails(t *testing.T) {
	s, f := setup(t, oldEntry(), Key{ID: oldID, Status: StatusActive})
	_, err := Run(context.Background(), opts(failingStore{s}, f))
	if err == nil || !strings.Contains(err.Error(), "deleted again") {
		t.Fatal(err)
	}
	if got := f.ids(); !slices.Equal(got, []string{oldID + " Active"}) || get(t, s).AccessKeyID != oldID {
		t.Errorf("keys %v", got)
	}
}

func TestRotateNotInVault(t *testing.T) {
	f := newFake(Key{ID: oldID, Status: StatusActive})
	_, err := Run(context.Background(), opts(vault.NewMemory(), f))
	if session.KindOf(err) != session.KindNotFound || len(f.calls) != 0 {
		t.Errorf("%v %v", err, f.calls)
	}
}

func TestNewKeyFormat(t *testing.T) {
	k := NewKey{Key: Key{ID: "AKIAX"}, Secret: "TOPSECRET"}
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%+v", k), fmt.Sprintf("%#v", k)} {
		if strings.Contains(s, "TOPSECRET") {
			t.Errorf("secret printed: %s", s)
		}
	}
}
