// Package vault keeps the users' long-term AWS access keys, encrypted at rest,
// one entry per profile.
//
// Three backends implement Store: the operating system's keyring (macOS
// Keychain, Windows Credential Manager, the freedesktop Secret Service), a
// single age-encrypted file protected by a passphrase, and an in-memory map for
// tests. All of them pass the same conformance suite.
//
// Secrets never appear in errors: messages name the profile and the operation,
// never a key, a passphrase or a line of decrypted content.
package vault

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Backend names, as accepted in Options.Backend and AWSMFA_BACKEND and
// returned by Store.Backend.
const (
	BackendKeyring = "keyring"
	BackendFile    = "file"
	BackendMemory  = "memory"
)

var (
	// ErrNotFound: the profile has no entry.
	ErrNotFound = errors.New("no keys stored for this profile")
	// ErrMalformedKey: an access key id or secret access key has the wrong shape.
	ErrMalformedKey = errors.New("malformed access key")
	// ErrInvalidProfile: a profile name is empty or holds control characters or
	// invalid UTF-8.
	ErrInvalidProfile = errors.New("invalid profile name")
	// ErrWrongPassphrase: the file vault's passphrase does not decrypt it.
	ErrWrongPassphrase = errors.New("wrong vault passphrase")
	// ErrPassphraseMismatch: the two entries of a new passphrase differ.
	ErrPassphraseMismatch = errors.New("the passphrases entered do not match")
	// ErrNoPassphrase: the file vault needs a passphrase and no source gives one.
	ErrNoPassphrase = errors.New("no vault passphrase available: set AWSMFA_PASSPHRASE_FILE, " +
		"AWSMFA_PASSPHRASE_COMMAND or AWSMFA_PASSPHRASE, or run on a terminal")
	// ErrBackendUnavailable: the keyring backend was asked for (or is where
	// the keys already are) but cannot be used here; the wrapping error says why.
	ErrBackendUnavailable = errors.New("keyring backend unavailable")
	// ErrKeyringTimeout: the keyring did not answer within Options.KeyringTimeout.
	ErrKeyringTimeout = errors.New("keyring did not answer in time")
)

// Entry is one profile's long-term access key.
type Entry struct {
	AccessKeyID     string
	SecretAccessKey string
	// Added is when the key was stored; informational.
	Added time.Time
	// Created is when AWS created the key (its CreateDate), when known:
	// rotate records it; keys added or imported by hand leave it zero.
	Created time.Time
	// Replaces is the id of the key this one replaces while a rotation is
	// unfinished (the old key may still exist at AWS); empty otherwise.
	Replaces string
}

// Validate checks the shape of the key: an access key id is "AKIA" followed by
// 16 characters of A-Z and 2-7 (temporary "ASIA" ids are refused: they are not
// long-term keys), and a secret access key is exactly 40 characters of
// A-Z, a-z, 0-9, '/' and '+'. The error wraps ErrMalformedKey and never
// repeats either value, because a user may have pasted the secret into the
// wrong field.
func (e Entry) Validate() error {
	if !validAccessKeyID(e.AccessKeyID) {
		return fmt.Errorf("%w: an access key id is AKIA followed by 16 characters of A-Z and 2-7", ErrMalformedKey)
	}
	if !validSecretAccessKey(e.SecretAccessKey) {
		return fmt.Errorf("%w: a secret access key is 40 characters of A-Z, a-z, 0-9, / and +", ErrMalformedKey)
	}
	return nil
}

func validAccessKeyID(s string) bool {
	rest, ok := strings.CutPrefix(s, "AKIA")
	if !ok || len(rest) != 16 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !('A' <= c && c <= 'Z' || '2' <= c && c <= '7') {
			return false
		}
	}
	return true
}

func validSecretAccessKey(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '/' || c == '+') {
			return false
		}
	}
	return true
}

// validateProfile accepts any non-empty valid UTF-8 name without control
// characters (dots, spaces and non-ASCII letters are fine). Control characters
// are refused because they cannot be shown safely and D-Bus strings cannot
// hold NUL.
func validateProfile(profile string) error {
	if profile == "" {
		return fmt.Errorf("%w: empty", ErrInvalidProfile)
	}
	if !utf8.ValidString(profile) {
		return fmt.Errorf("%w: not valid UTF-8", ErrInvalidProfile)
	}
	for _, r := range profile {
		if unicode.IsControl(r) {
			return fmt.Errorf("%w: %q holds a control character", ErrInvalidProfile, profile)
		}
	}
	return nil
}

// validateNewProfile is validateProfile for a name being stored: it also
// refuses '#' and ';', which some SDKs read in a section header as the start
// of a comment, so that no key is stored under a name no profile can have.
// A name stored before this rule is still read and removed (validateProfile).
func validateNewProfile(profile string) error {
	if err := validateProfile(profile); err != nil {
		return err
	}
	if strings.ContainsAny(profile, "#;") {
		return fmt.Errorf("%w: %q holds '#' or ';', which some SDKs read as the start of a comment", ErrInvalidProfile, profile)
	}
	return nil
}

// Store holds one Entry per profile name.
//
// Implementations are safe for concurrent use by several goroutines, and the
// persistent ones also by several processes: a Put or Delete never loses
// another's concurrent update. Reading never creates anything on disk and never
// asks for a passphrase when there is nothing to read. Every method fails with
// ErrInvalidProfile for a name validateProfile refuses, and Put also for one
// validateNewProfile refuses.
type Store interface {
	// Backend names the backend: "keyring", "file" or "memory".
	Backend() string
	// Get returns the profile's entry, or an error wrapping ErrNotFound.
	Get(ctx context.Context, profile string) (Entry, error)
	// Put stores e for profile, replacing any previous entry. It fails with
	// ErrMalformedKey, storing nothing, when e.Validate fails.
	Put(ctx context.Context, profile string, e Entry) error
	// Delete removes the profile's entry, or fails with ErrNotFound.
	Delete(ctx context.Context, profile string) error
	// List returns the names of the profiles that have entries, sorted
	// (byte order); an empty store gives an empty list and no error.
	List(ctx context.Context) ([]string, error)
}

// Prompter asks the user for a secret without echoing it. *tty.Terminal
// satisfies it.
type Prompter interface {
	ReadSecret(prompt string) (string, error)
}

// DefaultKeyringTimeout bounds each keyring call when Options.KeyringTimeout is
// zero. It is long enough for the user to answer an unlock dialog of the
// keyring, and well below the minute after which the Go SDK kills a
// credential_process.
const DefaultKeyringTimeout = 20 * time.Second

// Options configures Open.
type Options struct {
	// Backend is "keyring", "file" or "" (decide automatically, see Open).
	// When empty, AWSMFA_BACKEND is consulted.
	Backend string
	// DataDir holds the file vault and the keyring backend's lock (see
	// userdirs.DataDir). Required.
	DataDir string
	// Getenv reads AWSMFA_BACKEND, AWSMFA_PASSPHRASE_FILE,
	// AWSMFA_PASSPHRASE_COMMAND, AWSMFA_PASSPHRASE and
	// DBUS_SESSION_BUS_ADDRESS. Nil means os.Getenv.
	Getenv func(string) string
	// Prompter asks for the file vault's passphrase when no other source
	// gives one; nil when there is no terminal.
	Prompter Prompter
	// Passphrase, when set, is the only source of the file vault's
	// passphrase: Getenv's AWSMFA_PASSPHRASE* variables and Prompter are not
	// consulted. The agent uses it to ask the client that made the request.
	// creating asks for a new passphrase (to be confirmed).
	Passphrase func(ctx context.Context, creating bool) (string, error)
	// TestOnlyScryptWorkFactor lowers age's scrypt cost; zero means production (2^18). Only tests set it.
	TestOnlyScryptWorkFactor int
	// KeyringTimeout bounds every single keyring call; zero means
	// DefaultKeyringTimeout.
	KeyringTimeout time.Duration
}

// vaultFileName is the file backend's file inside DataDir.
const vaultFileName = "vault.age"

// keyringLockName is locked (as keyringLockName+".lock", see fsutil.Lock) in
// DataDir while the keyring backend updates its index. Its presence also
// records that the keyring backend has been written to.
const keyringLockName = "keyring"

// Open returns the Store selected by o.Backend, else AWSMFA_BACKEND, else
// automatically:
//
//   - the file backend when DataDir/vault.age exists;
//   - else the keyring backend when the keyring is usable (always on macOS and
//     Windows; on other systems when DBUS_SESSION_BUS_ADDRESS names a session
//     bus that accepts connections);
//   - else, when the keyring backend has been written to before (its lock file
//     exists), an error wrapping ErrBackendUnavailable rather than a silent
//     switch to an empty file vault;
//   - else the file backend.
//
// Asking for "keyring" where it is not usable fails with ErrBackendUnavailable
// and the reason. Open itself creates nothing and asks for no passphrase.
func Open(ctx context.Context, o Options) (Store, error) {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.DataDir == "" {
		return nil, errors.New("opening vault: data directory not set")
	}
	name := o.Backend
	if name == "" {
		name = o.Getenv("AWSMFA_BACKEND")
	}
	switch name {
	case BackendFile:
		return newFileStore(o), nil
	case BackendKeyring:
		if err := keyringUsable(ctx, o.Getenv, o.keyringTimeout()); err != nil {
			return nil, err
		}
		return newKeyringStore(osKeyring{}, keyringService, o), nil
	case "":
		return openAuto(ctx, o)
	default:
		return nil, fmt.Errorf("unknown vault backend %q: choose %q or %q (or leave it unset to decide automatically)",
			name, BackendKeyring, BackendFile)
	}
}

func openAuto(ctx context.Context, o Options) (Store, error) {
	if exists, err := fileExists(filepath.Join(o.DataDir, vaultFileName)); err != nil {
		return nil, fmt.Errorf("opening vault: %w", err)
	} else if exists {
		return newFileStore(o), nil
	}
	kerr := keyringUsable(ctx, o.Getenv, o.keyringTimeout())
	if kerr == nil {
		return newKeyringStore(osKeyring{}, keyringService, o), nil
	}
	lockFile := filepath.Join(o.DataDir, keyringLockName+".lock")
	if used, err := fileExists(lockFile); err != nil {
		return nil, fmt.Errorf("opening vault: %w", err)
	} else if used {
		return nil, fmt.Errorf("keys were stored in the OS keyring (%s exists) but %w; "+
			"set AWSMFA_BACKEND=file to use a file vault instead", lockFile, kerr)
	}
	return newFileStore(o), nil
}

func (o Options) keyringTimeout() time.Duration {
	if o.KeyringTimeout > 0 {
		return o.KeyringTimeout
	}
	return DefaultKeyringTimeout
}

func fileExists(path string) (bool, error) {
	_, err := os.Stat(path)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return false, fmt.Errorf("inspecting %q: %w", path, err)
}
