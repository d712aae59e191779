package vault

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// blockedKeyring returns a store whose keyring never answers until the test
// ends; cleanup releases the abandoned calls and waits for them.
func blockedKeyring(t *testing.T, timeout time.Duration) *keyringStore {
	t.Helper()
	f := newFakeKeyring()
	f.block = make(chan struct{})
	s := newKeyringStore(f, "awsmfa-test", Options{DataDir: t.TempDir(), KeyringTimeout: timeout})
	t.Cleanup(func() {
		close(f.block)
		s.calls.Wait()
	})
	return s
}

func TestKeyringHungCalls(t *testing.T) {
	ops := []struct {
		name string
		run  func(ctx context.Context, s Store) error
	}{
		{"get", func(ctx context.Context, s Store) error { _, err := s.Get(ctx, "dev"); return err }},
		{"list", func(ctx context.Context, s Store) error { _, err := s.List(ctx); return err }},
		{"put", func(ctx context.Context, s Store) error { return s.Put(ctx, "dev", testEntry(1)) }},
		{"delete", func(ctx context.Context, s Store) error { return s.Delete(ctx, "dev") }},
	}
	for _, op := range ops {
		t.Run(op.name+" times out", func(t *testing.T) {
			s := blockedKeyring(t, time.Millisecond)
			if err := op.run(context.Background(), s); !errors.Is(err, ErrKeyringTimeout) {
				t.Fatalf("got %v, want ErrKeyringTimeout", err)
			}
		})
		t.Run(op.name+" refuses a cancelled context", func(t *testing.T) {
			s := blockedKeyring(t, time.Hour)
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if err := op.run(ctx, s); !errors.Is(err, context.Canceled) {
				t.Fatalf("got %v, want context.Canceled", err)
			}
		})
		t.Run(op.name+" returns on cancellation while waiting", func(t *testing.T) {
			s := blockedKeyring(t, time.Hour)
			entered := make(chan struct{}, 1)
			s.api.(*fakeKeyring).entered = entered
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			errc := make(chan error, 1)
			go func() { errc <- op.run(ctx, s) }()
			<-entered
			cancel()
			if err := <-errc; !errors.Is(err, context.Canceled) {
				t.Fatalf("got %v, want context.Canceled", err)
			}
		})
	}
}

func TestKeyringItems(t *testing.T) {
	ctx := context.Background()
	f := newFakeKeyring()
	s := newKeyringStore(f, "svc", Options{DataDir: t.TempDir()})
	e := testEntry(5)
	mustPut(t, s, "index", e) // a profile named like the index item must not clash with it
	mustPut(t, s, "dev", testEntry(6))

	var item struct {
		AccessKeyID     string    `json:"access_key_id"`
		SecretAccessKey string    `json:"secret_access_key"`
		Added           time.Time `json:"added"`
	}
	raw, err := f.Get("svc", keyringProfilePrefix+"index")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(raw), &item); err != nil {
		t.Fatal(err)
	}
	if item.AccessKeyID != e.AccessKeyID || item.SecretAccessKey != e.SecretAccessKey || !item.Added.Equal(e.Added) {
		t.Fatalf("item %s does not hold the entry", raw)
	}
	idx, err := f.Get("svc", keyringIndexItem)
	if err != nil {
		t.Fatal(err)
	}
	if idx != `["dev","index"]` {
		t.Fatalf("index item %s", idx)
	}

	for _, p := range []string{"dev", "index"} {
		if err := s.Delete(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.items) != 0 {
		t.Fatalf("items left after deleting everything: %v", f.items)
	}
}

func TestKeyringRepairsIndex(t *testing.T) {
	ctx := context.Background()
	f := newFakeKeyring()
	s := newKeyringStore(f, "svc", Options{DataDir: t.TempDir()})

	// An index naming a profile whose item is gone (interrupted Delete).
	if err := f.Set("svc", keyringIndexItem, `["ghost","dev"]`); err != nil {
		t.Fatal(err)
	}
	mustList(t, s, "dev", "ghost")
	if err := s.Delete(ctx, "ghost"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete of ghost: %v, want ErrNotFound", err)
	}
	mustList(t, s, "dev")

	// An item the index does not name (interrupted Put) is listed after the
	// next Put of it.
	raw, _ := json.Marshal(toStored(testEntry(1)))
	if err := f.Set("svc", keyringProfilePrefix+"orphan", string(raw)); err != nil {
		t.Fatal(err)
	}
	mustGet(t, s, "orphan", testEntry(1))
	mustPut(t, s, "orphan", testEntry(2))
	mustList(t, s, "dev", "orphan")
}

func TestKeyringDamagedItemsDoNotLeak(t *testing.T) {
	ctx := context.Background()
	f := newFakeKeyring()
	s := newKeyringStore(f, "svc", Options{DataDir: t.TempDir()})
	const secretish = `{"secret_access_key":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"`
	if err := f.Set("svc", keyringProfilePrefix+"dev", secretish); err != nil {
		t.Fatal(err)
	}
	_, err := s.Get(ctx, "dev")
	if err == nil {
		t.Fatal("damaged item accepted")
	}
	if containsAny(err.Error(), "wJalr", "EXAMPLEKEY") {
		t.Fatalf("error quotes the item: %v", err)
	}
	if err := f.Set("svc", keyringIndexItem, "not json"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.List(ctx); err == nil {
		t.Fatal("damaged index accepted")
	}
}
