package awsemu

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"time"

	"github.com/awsmfa/awsmfa/internal/fsutil"
)

// Session kinds, as recorded in session.Kind.
const (
	kindSessionToken = "session-token"
	kindAssumedRole  = "assumed-role"
	kindFederated    = "federated"
)

// state is everything the emulator knows. It is guarded by Server.mu and is
// what --state files hold, so its fields are exported for encoding/json only.
type state struct {
	Account  string                    `json:"account"`
	Admin    string                    `json:"admin"`
	Users    map[string]*user          `json:"users"`
	Keys     map[string]*accessKey     `json:"keys"`
	MFA      map[string]*mfaDevice     `json:"mfa"`
	Roles    map[string]*role          `json:"roles"`
	Policies map[string]*managedPolicy `json:"policies"`
	Groups   map[string]*group         `json:"groups,omitempty"`
	Sessions map[string]*session       `json:"sessions"`
}

// group is an IAM group. Members holds user names, sorted.
type group struct {
	Name     string            `json:"name"`
	ID       string            `json:"id"`
	ARN      string            `json:"arn"`
	Path     string            `json:"path"`
	Created  time.Time         `json:"created"`
	Inline   map[string]string `json:"inline,omitempty"`
	Attached []string          `json:"attached,omitempty"`
	Members  []string          `json:"members,omitempty"`
}

type user struct {
	Name     string            `json:"name"`
	ID       string            `json:"id"`
	ARN      string            `json:"arn"`
	Path     string            `json:"path"`
	Created  time.Time         `json:"created"`
	Inline   map[string]string `json:"inline,omitempty"`
	Attached []string          `json:"attached,omitempty"`
}

type accessKey struct {
	ID      string    `json:"id"`
	Secret  string    `json:"secret"`
	User    string    `json:"user"`
	Status  string    `json:"status"`
	Created time.Time `json:"created"`
	// LastUsed, LastService and LastRegion feed GetAccessKeyLastUsed.
	LastUsed    time.Time `json:"lastUsed,omitzero"`
	LastService string    `json:"lastService,omitempty"`
	LastRegion  string    `json:"lastRegion,omitempty"`
}

// mfaDevice is a virtual MFA device. User is empty until the device is
// enabled for a user. LastStep is the highest TOTP step accepted so far; AWS
// accepts a code once, so steps at or below it are refused.
type mfaDevice struct {
	Serial   string    `json:"serial"`
	Seed     []byte    `json:"seed"`
	User     string    `json:"user,omitempty"`
	Enabled  time.Time `json:"enabled,omitzero"`
	Created  time.Time `json:"created"`
	LastStep int64     `json:"lastStep"`
}

type role struct {
	Name        string            `json:"name"`
	ID          string            `json:"id"`
	ARN         string            `json:"arn"`
	Path        string            `json:"path"`
	Trust       string            `json:"trust"`
	MaxSession  int               `json:"maxSession"`
	Description string            `json:"description,omitempty"`
	Created     time.Time         `json:"created"`
	Inline      map[string]string `json:"inline,omitempty"`
	Attached    []string          `json:"attached,omitempty"`
}

// managedPolicy is a customer managed policy (kept in the state) or one of
// the AWS managed policies (built in, AWS set).
type managedPolicy struct {
	Name     string    `json:"name"`
	ID       string    `json:"id"`
	ARN      string    `json:"arn"`
	Path     string    `json:"path"`
	Document string    `json:"document"`
	Created  time.Time `json:"created"`
	// Version is the default version's id; empty means "v1".
	Version string `json:"version,omitempty"`
	AWS     bool   `json:"-"`
}

// versionID is the id of the policy's default (and only) version.
func (mp *managedPolicy) versionID() string {
	if mp.Version == "" {
		return "v1"
	}
	return mp.Version
}

// session is a set of temporary credentials. User is the IAM user the session
// descends from (empty for sessions of a role assumed by another role's
// session, where it is inherited anyway); Role and Name describe assumed-role
// and federated sessions. MFA and MFATime carry the MFA authentication the
// session was created with, through chains of AssumeRole calls, as AWS does.
type session struct {
	KeyID    string    `json:"keyId"`
	Secret   string    `json:"secret"`
	Token    string    `json:"token"`
	Expires  time.Time `json:"expires"`
	Kind     string    `json:"kind"`
	User     string    `json:"user,omitempty"`
	Role     string    `json:"role,omitempty"`
	Name     string    `json:"name,omitempty"`
	MFA      bool      `json:"mfa"`
	MFATime  time.Time `json:"mfaTime,omitzero"`
	Chained  bool      `json:"chained"`
	Policy   string    `json:"policy,omitempty"`
	Created  time.Time `json:"created"`
	SourceID string    `json:"sourceId"`
}

func newState(account string) *state {
	return &state{
		Account:  account,
		Users:    map[string]*user{},
		Keys:     map[string]*accessKey{},
		MFA:      map[string]*mfaDevice{},
		Roles:    map[string]*role{},
		Policies: map[string]*managedPolicy{},
		Groups:   map[string]*group{},
		Sessions: map[string]*session{},
	}
}

// fillMaps replaces nil maps of a decoded state by empty ones.
func (st *state) fillMaps() {
	if st.Users == nil {
		st.Users = map[string]*user{}
	}
	if st.Keys == nil {
		st.Keys = map[string]*accessKey{}
	}
	if st.MFA == nil {
		st.MFA = map[string]*mfaDevice{}
	}
	if st.Roles == nil {
		st.Roles = map[string]*role{}
	}
	if st.Policies == nil {
		st.Policies = map[string]*managedPolicy{}
	}
	if st.Sessions == nil {
		st.Sessions = map[string]*session{}
	}
	if st.Groups == nil {
		st.Groups = map[string]*group{}
	}
	for _, g := range st.Groups {
		if g.Inline == nil {
			g.Inline = map[string]string{}
		}
	}
	for _, u := range st.Users {
		if u.Inline == nil {
			u.Inline = map[string]string{}
		}
	}
	for _, r := range st.Roles {
		if r.Inline == nil {
			r.Inline = map[string]string{}
		}
	}
}

// loadState reads a state file. A missing file is not an error: it yields nil.
func loadState(path string) (*state, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading state %q: %w", path, err)
	}
	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		// The file holds secrets: report only the position, never content.
		return nil, fmt.Errorf("parsing state %q: invalid JSON", path)
	}
	if st.Account == "" {
		return nil, fmt.Errorf("parsing state %q: no account", path)
	}
	st.fillMaps()
	return &st, nil
}

// encode returns the JSON form of st (called with the server lock held).
func (st *state) encode() ([]byte, error) {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding state: %w", err)
	}
	return append(data, '\n'), nil
}

// writeStateFile replaces the state file atomically, under the file's
// cross-process lock so that two emulators sharing a file cannot interleave.
func writeStateFile(path string, data []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	unlock, err := fsutil.Lock(ctx, path)
	if err != nil {
		return err
	}
	werr := fsutil.WriteFileAtomic(path, data, fsutil.FileMode)
	return errors.Join(werr, unlock())
}

const base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
const secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// randomString returns n characters drawn uniformly from alphabet (whose
// length must divide 256, which holds for the 32- and 64-letter ones used).
func randomString(alphabet string, n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("reading random bytes: %w", err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b), nil
}

// newID returns an AWS-style identifier: a 4-letter prefix (AKIA, ASIA, AIDA,
// AROA, AGPA, ANPA) and 16 (keys) or 17 (entities) base32 letters.
func (st *state) newID(prefix string) (string, error) {
	n := 17
	if prefix == "AKIA" || prefix == "ASIA" {
		n = 16
	}
	for {
		s, err := randomString(base32Alphabet, n)
		if err != nil {
			return "", err
		}
		id := prefix + s
		if !st.idTaken(id) {
			return id, nil
		}
	}
}

func (st *state) idTaken(id string) bool {
	if _, ok := st.Keys[id]; ok {
		return true
	}
	if _, ok := st.Sessions[id]; ok {
		return true
	}
	for _, u := range st.Users {
		if u.ID == id {
			return true
		}
	}
	for _, r := range st.Roles {
		if r.ID == id {
			return true
		}
	}
	for _, g := range st.Groups {
		if g.ID == id {
			return true
		}
	}
	for _, mp := range st.Policies {
		if mp.ID == id {
			return true
		}
	}
	return false
}

func newSecret() (string, error) { return randomString(secretAlphabet, 40) }

func newSessionToken() (string, error) {
	b := make([]byte, 96)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("reading random bytes: %w", err)
	}
	return "IQoJb3JpZ2luX2VtdQ" + base64.StdEncoding.EncodeToString(b), nil
}

// pruneSessions forgets sessions that expired more than a day ago, so that a
// long-running emulator does not grow without bound while recently expired
// tokens still answer ExpiredToken rather than InvalidClientTokenId.
func (st *state) pruneSessions(now time.Time) {
	for id, s := range st.Sessions {
		if now.Sub(s.Expires) > 24*time.Hour {
			delete(st.Sessions, id)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
