package vault

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// memoryStore keeps entries in a map; nothing outlives the process.
type memoryStore struct {
	mu      sync.Mutex
	entries map[string]Entry
}

// NewMemory returns an empty Store that lives only in memory, for tests.
func NewMemory() Store {
	return &memoryStore{entries: map[string]Entry{}}
}

func (*memoryStore) Backend() string { return BackendMemory }

func (m *memoryStore) Get(ctx context.Context, profile string) (Entry, error) {
	if err := validateProfile(profile); err != nil {
		return Entry{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[profile]
	if !ok {
		return Entry{}, fmt.Errorf("reading profile %q: %w", profile, ErrNotFound)
	}
	return e, nil
}

func (m *memoryStore) Put(ctx context.Context, profile string, e Entry) error {
	if err := validateNewProfile(profile); err != nil {
		return err
	}
	if err := e.Validate(); err != nil {
		return fmt.Errorf("storing profile %q: %w", profile, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries[profile] = e
	return nil
}

func (m *memoryStore) Delete(ctx context.Context, profile string) error {
	if err := validateProfile(profile); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.entries[profile]; !ok {
		return fmt.Errorf("deleting profile %q: %w", profile, ErrNotFound)
	}
	delete(m.entries, profile)
	return nil
}

func (m *memoryStore) List(ctx context.Context) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	names := make([]string, 0, len(m.entries))
	for name := range m.entries {
		names = append(names, name)
	}
	slices.Sort(names)
	return names, nil
}
