package vault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/awsmfa/awsmfa/internal/fsutil"
)

// keyringService is the service name of every keyring item awsmfa stores.
const keyringService = "awsmfa"

// Keyring item names (the "user" of go-keyring). Profiles get a prefix so that
// no profile name can collide with the index item.
const (
	keyringIndexItem     = "index"
	keyringProfilePrefix = "profile:"
)

// keyringAPI is the part of go-keyring the backend uses; tests substitute it.
// Implementations return keyring.ErrNotFound for a missing item.
type keyringAPI interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
	Delete(service, user string) error
}

// osKeyring is the operating system's keyring through go-keyring.
type osKeyring struct{}

func (osKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (osKeyring) Set(service, user, secret string) error   { return keyring.Set(service, user, secret) }
func (osKeyring) Delete(service, user string) error        { return keyring.Delete(service, user) }

// keyringStore keeps one keyring item per profile, holding the entry as JSON,
// plus an index item listing the stored profile names (sorted JSON array),
// because keyrings cannot be listed portably.
//
// Every keyring call is bounded by timeout: a hung D-Bus or a keyring dialog
// nobody answers makes the operation fail with ErrKeyringTimeout instead of
// hanging awsmfa. The abandoned call keeps its goroutine until the keyring
// answers, which is acceptable for a short-lived CLI process.
//
// Put and Delete hold fsutil.Lock on DataDir/keyring while they change an item
// and the index, so concurrent processes do not lose index updates. The index
// is written after the item on Put and after the item's removal on Delete; an
// interruption between the two is repaired by the next Put or Delete of that
// profile.
type keyringStore struct {
	api      keyringAPI
	service  string
	timeout  time.Duration
	lockPath string

	mu    sync.Mutex     // serializes writers within the process
	calls sync.WaitGroup // keyring calls still running, abandoned ones included (for tests)
}

func newKeyringStore(api keyringAPI, service string, o Options) *keyringStore {
	return &keyringStore{
		api:      api,
		service:  service,
		timeout:  o.keyringTimeout(),
		lockPath: filepath.Join(o.DataDir, keyringLockName),
	}
}

func (*keyringStore) Backend() string { return BackendKeyring }

// call runs f with the store's timeout. ErrNotFound from the keyring becomes
// ours; every other failure is returned as is, for the caller to wrap.
func (k *keyringStore) call(ctx context.Context, f func() (string, error)) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	type result struct {
		s   string
		err error
	}
	done := make(chan result, 1) // buffered: an abandoned call must not block forever
	k.calls.Go(func() {
		s, err := f()
		done <- result{s, err}
	})
	timer := time.NewTimer(k.timeout)
	defer timer.Stop()
	select {
	case r := <-done:
		if errors.Is(r.err, keyring.ErrNotFound) {
			return "", ErrNotFound
		}
		return r.s, r.err
	case <-timer.C:
		return "", fmt.Errorf("%w (waited %v)", ErrKeyringTimeout, k.timeout)
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (k *keyringStore) Get(ctx context.Context, profile string) (Entry, error) {
	if err := validateProfile(profile); err != nil {
		return Entry{}, err
	}
	data, err := k.call(ctx, func() (string, error) { return k.api.Get(k.service, keyringProfilePrefix+profile) })
	if err != nil {
		return Entry{}, fmt.Errorf("reading profile %q from the keyring: %w", profile, err)
	}
	var se storedEntry
	// The JSON error is dropped on purpose: it may quote the secret.
	if err := json.Unmarshal([]byte(data), &se); err != nil {
		return Entry{}, fmt.Errorf("reading profile %q from the keyring: the item is not valid", profile)
	}
	return se.entry(), nil
}

func (k *keyringStore) List(ctx context.Context) ([]string, error) {
	names, err := k.readIndex(ctx)
	if err != nil {
		return nil, err
	}
	return names, nil
}

func (k *keyringStore) Put(ctx context.Context, profile string, e Entry) error {
	if err := validateNewProfile(profile); err != nil {
		return err
	}
	if err := e.Validate(); err != nil {
		return fmt.Errorf("storing profile %q: %w", profile, err)
	}
	data, err := json.Marshal(toStored(e))
	if err != nil {
		return fmt.Errorf("storing profile %q: %w", profile, err)
	}
	return k.locked(ctx, func() error {
		if _, err := k.call(ctx, func() (string, error) {
			return "", k.api.Set(k.service, keyringProfilePrefix+profile, string(data))
		}); err != nil {
			return fmt.Errorf("storing profile %q in the keyring: %w", profile, err)
		}
		names, err := k.readIndex(ctx)
		if err != nil {
			return err
		}
		if i, found := slices.BinarySearch(names, profile); !found {
			return k.writeIndex(ctx, slices.Insert(names, i, profile))
		}
		return nil
	})
}

func (k *keyringStore) Delete(ctx context.Context, profile string) error {
	if err := validateProfile(profile); err != nil {
		return err
	}
	return k.locked(ctx, func() error {
		_, derr := k.call(ctx, func() (string, error) {
			return "", k.api.Delete(k.service, keyringProfilePrefix+profile)
		})
		if derr != nil && !errors.Is(derr, ErrNotFound) {
			return fmt.Errorf("deleting profile %q from the keyring: %w", profile, derr)
		}
		names, err := k.readIndex(ctx)
		if err != nil {
			return err
		}
		if i, found := slices.BinarySearch(names, profile); found {
			if err := k.writeIndex(ctx, slices.Delete(names, i, i+1)); err != nil {
				return err
			}
		}
		if derr != nil {
			return fmt.Errorf("deleting profile %q: %w", profile, derr)
		}
		return nil
	})
}

func (k *keyringStore) locked(ctx context.Context, f func() error) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	unlock, err := fsutil.Lock(ctx, k.lockPath)
	if err != nil {
		return err
	}
	defer unlock()
	return f()
}

// readIndex returns the sorted profile names; a missing index is empty.
func (k *keyringStore) readIndex(ctx context.Context) ([]string, error) {
	data, err := k.call(ctx, func() (string, error) { return k.api.Get(k.service, keyringIndexItem) })
	if errors.Is(err, ErrNotFound) {
		return []string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the profile index from the keyring: %w", err)
	}
	var names []string
	if err := json.Unmarshal([]byte(data), &names); err != nil {
		return nil, errors.New("reading the profile index from the keyring: the item is not valid")
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

func (k *keyringStore) writeIndex(ctx context.Context, names []string) error {
	data, err := json.Marshal(names)
	if err != nil {
		return fmt.Errorf("encoding the profile index: %w", err)
	}
	if len(names) == 0 {
		_, err = k.call(ctx, func() (string, error) { return "", k.api.Delete(k.service, keyringIndexItem) })
		if errors.Is(err, ErrNotFound) {
			err = nil
		}
	} else {
		_, err = k.call(ctx, func() (string, error) { return "", k.api.Set(k.service, keyringIndexItem, string(data)) })
	}
	if err != nil {
		return fmt.Errorf("writing the profile index to the keyring: %w", err)
	}
	return nil
}
