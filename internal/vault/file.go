package vault

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"filippo.io/age"

	"github.com/awsmfa/awsmfa/internal/fsutil"
)

const (
	// scryptWorkFactor is the log2 scrypt cost of every file written in
	// production: about a second and 256 MiB, age's own default, set
	// explicitly so that a change of age's default does not change ours.
	scryptWorkFactor = 18
	// maxScryptWorkFactor is the highest cost accepted when decrypting: one
	// step above ours, so a future release may raise the cost, while a
	// planted file cannot make awsmfa spend minutes and gigabytes.
	maxScryptWorkFactor = 19
	// fileFormatVersion is the version of the JSON inside the age file.
	fileFormatVersion = 1
)

// fileStore keeps all entries in one age file, DataDir/vault.age, encrypted to
// an scrypt (passphrase) recipient. The plaintext is JSON holding every entry,
// so the file name and size are all that is visible of the contents.
//
// A write takes fsutil.Lock on the file, re-reads and decrypts it, applies the
// change, encrypts with a fresh salt and replaces the file atomically (0600),
// so concurrent writers in any number of processes never lose an update.
// Reads take no lock (the replacement is atomic) and create nothing.
//
// A vault file that other users may read or write (any group or other
// permission bit) is refused with a message asking for chmod 600, rather
// than silently fixed: the looser mode was set by someone, and the key may
// already have been copied. (Not checked on windows, which has no such bits.)
//
// The passphrase is obtained at most once per fileStore, the first time the
// file must be decrypted or created, and kept in memory. The last ciphertext
// read or written and its plaintext are kept too, so a read of an unchanged
// file costs no scrypt run.
type fileStore struct {
	path       string
	getenv     func(string) string
	prompter   Prompter
	supplied   func(ctx context.Context, creating bool) (string, error)
	workFactor int

	mu          sync.Mutex // serializes operations; guards the fields below
	passphrase  string     // "" until obtained
	cacheCipher []byte     // the file's content when last read or written
	cacheData   map[string]storedEntry
}

// storedEntry is an Entry as JSON, in the file vault and in keyring items.
type storedEntry struct {
	AccessKeyID     string    `json:"access_key_id"`
	SecretAccessKey string    `json:"secret_access_key"`
	Added           time.Time `json:"added"`
	Created         time.Time `json:"created,omitzero"`
	Replaces        string    `json:"replaces,omitempty"`
}

func toStored(e Entry) storedEntry {
	return storedEntry(e)
}

func (s storedEntry) entry() Entry {
	return Entry(s)
}

type fileContent struct {
	Version  int                    `json:"version"`
	Profiles map[string]storedEntry `json:"profiles"`
}

// newFileStore returns the file backend. TestOnlyScryptWorkFactor is honoured
// only when it lowers the cost.
func newFileStore(o Options) *fileStore {
	wf := scryptWorkFactor
	if o.TestOnlyScryptWorkFactor > 0 && o.TestOnlyScryptWorkFactor < scryptWorkFactor {
		wf = o.TestOnlyScryptWorkFactor
	}
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	return &fileStore{
		path:       filepath.Join(o.DataDir, vaultFileName),
		getenv:     getenv,
		prompter:   o.Prompter,
		supplied:   o.Passphrase,
		workFactor: wf,
	}
}

func (*fileStore) Backend() string { return BackendFile }

func (s *fileStore) Get(ctx context.Context, profile string) (Entry, error) {
	if err := validateProfile(profile); err != nil {
		return Entry{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	entries, _, err := s.load(ctx)
	if err != nil {
		return Entry{}, err
	}
	se, ok := entries[profile]
	if !ok {
		return Entry{}, fmt.Errorf("reading profile %q: %w", profile, ErrNotFound)
	}
	return se.entry(), nil
}

func (s *fileStore) List(ctx context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	entries, _, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	names := slices.Sorted(maps.Keys(entries))
	if names == nil {
		names = []string{}
	}
	return names, nil
}

func (s *fileStore) Put(ctx context.Context, profile string, e Entry) error {
	if err := validateNewProfile(profile); err != nil {
		return err
	}
	if err := e.Validate(); err != nil {
		return fmt.Errorf("storing profile %q: %w", profile, err)
	}
	return s.update(ctx, func(entries map[string]storedEntry) error {
		entries[profile] = toStored(e)
		return nil
	})
}

func (s *fileStore) Delete(ctx context.Context, profile string) error {
	if err := validateProfile(profile); err != nil {
		return err
	}
	// A missing vault holds nothing: answer without taking the lock, which
	// would create the directory and the lock file.
	exists, err := fileExists(s.path)
	if err != nil {
		return err
	}
	if !exists {
		return fmt.Errorf("deleting profile %q: %w", profile, ErrNotFound)
	}
	return s.update(ctx, func(entries map[string]storedEntry) error {
		if _, ok := entries[profile]; !ok {
			return fmt.Errorf("deleting profile %q: %w", profile, ErrNotFound)
		}
		delete(entries, profile)
		return nil
	})
}

// update applies change to a copy of the current entries under the file lock
// and writes the result.
func (s *fileStore) update(ctx context.Context, change func(map[string]storedEntry) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Checked before the lock, which would create a file beside the path.
	if err := fsutil.CheckRegular(s.path); err != nil {
		return fmt.Errorf("writing vault %q: %w", s.path, err)
	}
	unlock, err := fsutil.Lock(ctx, s.path)
	if err != nil {
		return err
	}
	defer unlock()
	entries, exists, err := s.load(ctx)
	if err != nil {
		return err
	}
	if s.passphrase == "" {
		pass, _, err := s.obtainPassphrase(ctx, !exists)
		if err != nil {
			return fmt.Errorf("creating vault %q: %w", s.path, err)
		}
		s.passphrase = pass
	}
	next := maps.Clone(entries)
	if next == nil {
		next = map[string]storedEntry{}
	}
	if err := change(next); err != nil {
		return err
	}
	return s.save(next)
}

// load returns the entries in the vault file and whether the file exists. A
// missing file is an empty vault and needs no passphrase.
func (s *fileStore) load(ctx context.Context) (map[string]storedEntry, bool, error) {
	ciphertext, err := s.readFile()
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if s.cacheCipher != nil && bytes.Equal(ciphertext, s.cacheCipher) {
		return s.cacheData, true, nil
	}
	pass := s.passphrase
	source := "the cached passphrase"
	if pass == "" {
		pass, source, err = s.obtainPassphrase(ctx, false)
		if err != nil {
			return nil, true, fmt.Errorf("opening vault %q: %w", s.path, err)
		}
	}
	entries, err := s.decrypt(ciphertext, pass, source)
	if err != nil {
		return nil, true, err
	}
	s.passphrase = pass
	s.cacheCipher = ciphertext
	s.cacheData = entries
	return entries, true, nil
}

// readFile reads the vault file, refusing it when other users have access,
// and, without opening or waiting on it, when it is not a regular file.
func (s *fileStore) readFile() ([]byte, error) {
	f, err := fsutil.OpenRegular(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("reading vault %q: %w", s.path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading vault %q: %w", s.path, err)
	}
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return nil, fmt.Errorf("vault %q is accessible to other users (mode %04o); "+
			"check that no one copied it, then run: chmod 600 %q", s.path, perm, s.path)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("reading vault %q: %w", s.path, err)
	}
	return b, nil
}

func (s *fileStore) decrypt(ciphertext []byte, pass, source string) (map[string]storedEntry, error) {
	id, err := age.NewScryptIdentity(pass)
	if err != nil {
		return nil, fmt.Errorf("decrypting vault %q: %w", s.path, err)
	}
	id.SetMaxWorkFactor(max(maxScryptWorkFactor, s.workFactor))
	// age's errors are dropped on purpose: they quote header lines, which
	// for a file that is not a vault (a link to the credentials file, say)
	// are its text.
	r, err := age.Decrypt(bytes.NewReader(ciphertext), id)
	releaseKDFMemory()
	if errors.Is(err, age.ErrIncorrectIdentity) {
		return nil, fmt.Errorf("decrypting vault %q with %s: %w", s.path, source, ErrWrongPassphrase)
	}
	if err != nil && strings.Contains(err.Error(), "work factor") {
		return nil, fmt.Errorf("decrypting vault %q: its scrypt work factor is above the 2^%d awsmfa accepts",
			s.path, max(maxScryptWorkFactor, s.workFactor))
	}
	if err != nil {
		return nil, fmt.Errorf("decrypting vault %q: the file is not an age file encrypted with a passphrase, "+
			"or its header is damaged", s.path)
	}
	plaintext, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("decrypting vault %q: the file is damaged", s.path)
	}
	var c fileContent
	// The JSON error is dropped on purpose: it may quote decrypted content.
	if err := json.Unmarshal(plaintext, &c); err != nil {
		return nil, fmt.Errorf("vault %q: decrypted content is not valid", s.path)
	}
	if c.Version != fileFormatVersion {
		return nil, fmt.Errorf("vault %q: format version %d is not supported (this awsmfa reads version %d)",
			s.path, c.Version, fileFormatVersion)
	}
	if c.Profiles == nil {
		c.Profiles = map[string]storedEntry{}
	}
	return c.Profiles, nil
}

// releaseKDFMemory hands the scrypt run's working memory (256 MiB at 2^18)
// back to the operating system at once; left to the Go runtime, a
// long-lived process such as the agent would keep it for minutes.
func releaseKDFMemory() { debug.FreeOSMemory() }

func (s *fileStore) save(entries map[string]storedEntry) error {
	plaintext, err := json.Marshal(fileContent{Version: fileFormatVersion, Profiles: entries})
	if err != nil {
		return fmt.Errorf("encoding vault: %w", err)
	}
	rcpt, err := age.NewScryptRecipient(s.passphrase)
	if err != nil {
		return fmt.Errorf("encrypting vault: %w", err)
	}
	rcpt.SetWorkFactor(s.workFactor)
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rcpt)
	releaseKDFMemory()
	if err != nil {
		return fmt.Errorf("encrypting vault: %w", err)
	}
	if _, err := w.Write(plaintext); err != nil {
		return fmt.Errorf("encrypting vault: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("encrypting vault: %w", err)
	}
	if err := fsutil.WriteFileAtomic(s.path, buf.Bytes(), fsutil.FileMode); err != nil {
		return err
	}
	s.cacheCipher = buf.Bytes()
	s.cacheData = entries
	return nil
}

// obtainPassphrase asks Options.Passphrase when the caller supplied one,
// else the sources in order (see obtainPassphrase).
func (s *fileStore) obtainPassphrase(ctx context.Context, creating bool) (pass, source string, err error) {
	if s.supplied == nil {
		return obtainPassphrase(ctx, s.getenv, s.prompter, creating)
	}
	source = "the passphrase given"
	pass, err = s.supplied(ctx, creating)
	if err != nil {
		return "", source, err
	}
	if pass == "" {
		return "", source, fmt.Errorf("%s is empty; an empty passphrase is not accepted", source)
	}
	return pass, source, nil
}
