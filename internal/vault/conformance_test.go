package vault

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

const (
	base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+"
)

// testEntry returns a valid entry that differs from testEntry(j) for i != j
// (i < 1024).
func testEntry(i int) Entry {
	id := []byte("AKIA")
	for j := 0; j < 16; j++ {
		id = append(id, base32Alphabet[(i+j*5)%32])
	}
	id[4] = base32Alphabet[i%32]
	id[5] = base32Alphabet[(i/32)%32]
	secret := make([]byte, 40)
	for j := range secret {
		secret[j] = secretAlphabet[(i*3+j*7)%64]
	}
	secret[0] = secretAlphabet[i%64]
	secret[1] = secretAlphabet[(i/64)%64]
	e := Entry{
		AccessKeyID:     string(id),
		SecretAccessKey: string(secret),
		Added:           time.Date(2026, 1, 2, 3, 4, 5, i*1000, time.UTC),
	}
	if i%2 == 1 {
		// A key stored by rotate: its creation date, and the key it
		// replaces while the rotation is unfinished.
		e.Created = time.Date(2026, 1, 2, 3, 4, 0, i*1000, time.UTC)
		e.Replaces = "AKIAREPLACED" + strings.Repeat("A", 8)
	}
	return e
}

func sameEntry(a, b Entry) bool {
	return a.AccessKeyID == b.AccessKeyID && a.SecretAccessKey == b.SecretAccessKey && a.Added.Equal(b.Added) &&
		a.Created.Equal(b.Created) && a.Replaces == b.Replaces
}

func mustGet(t *testing.T, s Store, profile string, want Entry) {
	t.Helper()
	got, err := s.Get(context.Background(), profile)
	if err != nil {
		t.Fatalf("Get(%q): %v", profile, err)
	}
	if !sameEntry(got, want) {
		t.Fatalf("Get(%q) = %+v, want %+v", profile, got, want)
	}
}

func mustPut(t *testing.T, s Store, profile string, e Entry) {
	t.Helper()
	if err := s.Put(context.Background(), profile, e); err != nil {
		t.Fatalf("Put(%q): %v", profile, err)
	}
}

func mustList(t *testing.T, s Store, want ...string) {
	t.Helper()
	got, err := s.List(context.Background())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if want == nil {
		want = []string{}
	}
	if got == nil || !slices.Equal(got, want) {
		t.Fatalf("List = %#v, want %#v", got, want)
	}
}

// testStore is the conformance suite every backend passes. newStore returns a
// new, empty store; reopen, when not nil, returns a second Store on the same
// storage as its argument (persistent backends).
func testStore(t *testing.T, newStore func(t *testing.T) Store, reopen func(t *testing.T, s Store) Store) {
	ctx := context.Background()

	t.Run("empty", func(t *testing.T) {
		s := newStore(t)
		if s.Backend() == "" {
			t.Fatal("Backend is empty")
		}
		mustList(t, s)
		if _, err := s.Get(ctx, "dev"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get on empty store: %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, "dev"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Delete on empty store: %v, want ErrNotFound", err)
		}
	})

	t.Run("put get replace delete", func(t *testing.T) {
		s := newStore(t)
		mustPut(t, s, "dev", testEntry(1))
		mustGet(t, s, "dev", testEntry(1))
		mustList(t, s, "dev")
		mustPut(t, s, "dev", testEntry(2))
		mustGet(t, s, "dev", testEntry(2))
		mustList(t, s, "dev")
		mustPut(t, s, "prod", testEntry(3))
		if err := s.Delete(ctx, "dev"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if _, err := s.Get(ctx, "dev"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get after Delete: %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, "dev"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("second Delete: %v, want ErrNotFound", err)
		}
		mustGet(t, s, "prod", testEntry(3))
		mustList(t, s, "prod")
	})

	t.Run("list is sorted", func(t *testing.T) {
		s := newStore(t)
		names := []string{"b", "a.b", "Z", "a", "with space", "é", "a b", "00"}
		for i, n := range names {
			mustPut(t, s, n, testEntry(i))
		}
		want := slices.Clone(names)
		slices.Sort(want)
		mustList(t, s, want...)
	})

	t.Run("unusual profile names", func(t *testing.T) {
		s := newStore(t)
		names := []string{"my.profile", "with space", " leading", "ünïcödé", "日本語", "emoji 🔑", "a/b\\c", `q"uote'`, "profile:x", "index"}
		for i, n := range names {
			mustPut(t, s, n, testEntry(i))
		}
		for i, n := range names {
			mustGet(t, s, n, testEntry(i))
		}
		want := slices.Clone(names)
		slices.Sort(want)
		mustList(t, s, want...)
	})

	t.Run("invalid profile names", func(t *testing.T) {
		s := newStore(t)
		for _, n := range []string{"", "a\nb", "nul\x00", "tab\t", "\xff"} {
			if err := s.Put(ctx, n, testEntry(1)); !errors.Is(err, ErrInvalidProfile) {
				t.Errorf("Put(%q): %v, want ErrInvalidProfile", n, err)
			}
			if _, err := s.Get(ctx, n); !errors.Is(err, ErrInvalidProfile) {
				t.Errorf("Get(%q): %v, want ErrInvalidProfile", n, err)
			}
			if err := s.Delete(ctx, n); !errors.Is(err, ErrInvalidProfile) {
				t.Errorf("Delete(%q): %v, want ErrInvalidProfile", n, err)
			}
		}
		mustList(t, s)
	})

	// Issue 7 item 6: '#' and ';' start a comment for some SDKs; a key is
	// never stored under such a name (import stored one that nothing could
	// remove from the file), while one stored before can still be removed.
	t.Run("comment characters are refused for new names", func(t *testing.T) {
		s := newStore(t)
		for _, n := range []string{"a;b", "a#b", "#", ";x"} {
			if err := s.Put(ctx, n, testEntry(1)); !errors.Is(err, ErrInvalidProfile) {
				t.Errorf("Put(%q): %v, want ErrInvalidProfile", n, err)
			}
			if _, err := s.Get(ctx, n); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get(%q): %v, want ErrNotFound", n, err)
			}
			if err := s.Delete(ctx, n); !errors.Is(err, ErrNotFound) {
				t.Errorf("Delete(%q): %v, want ErrNotFound", n, err)
			}
		}
		mustList(t, s)
	})

	t.Run("malformed key stores nothing", func(t *testing.T) {
		s := newStore(t)
		bad := testEntry(1)
		bad.SecretAccessKey = bad.SecretAccessKey[:39]
		if err := s.Put(ctx, "dev", bad); !errors.Is(err, ErrMalformedKey) {
			t.Fatalf("Put malformed: %v, want ErrMalformedKey", err)
		}
		mustList(t, s)
	})

	t.Run("many entries", func(t *testing.T) {
		s := newStore(t)
		const n = 40
		var want []string
		for i := range n {
			name := fmt.Sprintf("profile-%02d", i)
			want = append(want, name)
			mustPut(t, s, name, testEntry(i))
		}
		mustList(t, s, want...)
		for i, name := range want {
			mustGet(t, s, name, testEntry(i))
		}
	})

	t.Run("concurrent puts", func(t *testing.T) {
		s := newStore(t)
		const n = 8
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				errs <- s.Put(ctx, "p"+strconv.Itoa(i), testEntry(i))
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("concurrent Put: %v", err)
			}
		}
		var want []string
		for i := range n {
			want = append(want, "p"+strconv.Itoa(i))
		}
		mustList(t, s, want...)
		for i := range n {
			mustGet(t, s, "p"+strconv.Itoa(i), testEntry(i))
		}
	})

	if reopen == nil {
		return
	}
	t.Run("reopen", func(t *testing.T) {
		s := newStore(t)
		mustPut(t, s, "dev", testEntry(1))
		mustPut(t, s, "prod", testEntry(2))
		if err := s.Delete(ctx, "prod"); err != nil {
			t.Fatal(err)
		}
		s2 := reopen(t, s)
		mustList(t, s2, "dev")
		mustGet(t, s2, "dev", testEntry(1))
		mustPut(t, s2, "stage", testEntry(3))
		mustList(t, s, "dev", "stage")
	})
}

func TestConformance(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		testStore(t, func(*testing.T) Store { return NewMemory() }, nil)
	})

	t.Run("file", func(t *testing.T) {
		open := func(dir string) Store {
			return newFileStore(Options{
				DataDir:                  dir,
				Getenv:                   envOf(envPassphrase, "correct horse"),
				TestOnlyScryptWorkFactor: 2,
			})
		}
		testStore(t,
			func(t *testing.T) Store { return open(t.TempDir()) },
			func(t *testing.T, s Store) Store { return open(fileDir(s)) })
	})

	t.Run("fakekeyring", func(t *testing.T) {
		testStore(t,
			func(t *testing.T) Store {
				return newKeyringStore(newFakeKeyring(), "awsmfa-test", Options{DataDir: t.TempDir()})
			},
			func(t *testing.T, s Store) Store {
				k := s.(*keyringStore)
				return newKeyringStore(k.api, k.service, Options{DataDir: fileDirOfLock(k)})
			})
	})

	t.Run("keyring", func(t *testing.T) {
		requireSecretService(t)
		run := strconv.FormatInt(time.Now().UnixNano(), 36)
		var seq atomic.Int64
		testStore(t,
			func(t *testing.T) Store {
				service := fmt.Sprintf("awsmfa-test-%s-%d", run, seq.Add(1))
				s := newKeyringStore(osKeyring{}, service, Options{DataDir: t.TempDir()})
				t.Cleanup(func() { cleanKeyring(t, s) })
				return s
			},
			func(t *testing.T, s Store) Store {
				k := s.(*keyringStore)
				return newKeyringStore(osKeyring{}, k.service, Options{DataDir: fileDirOfLock(k)})
			})
	})
}

// requireSecretService skips the test when the OS keyring is not usable here,
// unless AWSMFA_TEST_SECRET_SERVICE=1 demands it (CI), in which case it fails.
func requireSecretService(t *testing.T) {
	t.Helper()
	err := keyringUsable(context.Background(), os.Getenv, 5*time.Second)
	if err == nil {
		return
	}
	if os.Getenv("AWSMFA_TEST_SECRET_SERVICE") == "1" {
		t.Fatalf("AWSMFA_TEST_SECRET_SERVICE=1 but the keyring is not usable: %v", err)
	}
	t.Skipf("OS keyring not usable here (set AWSMFA_TEST_SECRET_SERVICE=1 to make this fail): %v", err)
}

// cleanKeyring removes every item the store created.
func cleanKeyring(t *testing.T, s *keyringStore) {
	t.Helper()
	ctx := context.Background()
	names, err := s.List(ctx)
	if err != nil {
		t.Errorf("cleanup: listing: %v", err)
		return
	}
	for _, n := range names {
		if err := s.Delete(ctx, n); err != nil {
			t.Errorf("cleanup: deleting %q: %v", n, err)
		}
	}
	if _, err := s.api.Get(s.service, keyringIndexItem); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("cleanup: index item still present (%v)", err)
	}
}

func fileDir(s Store) string {
	return filepath.Dir(s.(*fileStore).path)
}

func fileDirOfLock(k *keyringStore) string {
	return filepath.Dir(k.lockPath)
}

func envOf(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// fakeKeyring is an in-memory keyringAPI. When block is not nil, every call
// waits until it is closed, after a non-blocking send on entered (when not nil).
type fakeKeyring struct {
	mu      sync.Mutex
	items   map[string]string
	block   chan struct{}
	entered chan struct{}
}

func newFakeKeyring() *fakeKeyring { return &fakeKeyring{items: map[string]string{}} }

func (f *fakeKeyring) wait() {
	if f.block != nil {
		select {
		case f.entered <- struct{}{}:
		default:
		}
		<-f.block
	}
}

func (f *fakeKeyring) Get(service, user string) (string, error) {
	f.wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.items[service+"\x00"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (f *fakeKeyring) Set(service, user, secret string) error {
	f.wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items[service+"\x00"+user] = secret
	return nil
}

func (f *fakeKeyring) Delete(service, user string) error {
	f.wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.items[service+"\x00"+user]; !ok {
		return keyring.ErrNotFound
	}
	delete(f.items, service+"\x00"+user)
	return nil
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if sub != "" && strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
