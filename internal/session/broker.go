package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/awsmfa/awsmfa/internal/awsconfig"
	"github.com/awsmfa/awsmfa/internal/vault"
)

// Defaults for Options' zero values and for durations a profile leaves unset.
const (
	// DefaultCallTimeout bounds each AWS call, retries included.
	DefaultCallTimeout = 10 * time.Second
	// DefaultMaxAttempts is how often a throttled, 5xx or network-failed
	// call is tried in all.
	DefaultMaxAttempts = 4
	// DefaultSessionDuration is the MFA session's length: a working day.
	DefaultSessionDuration = 8 * time.Hour
	// DefaultRoleDuration is AssumeRole's own default and the most that role
	// chaining (assuming a role with the MFA session's credentials) allows.
	DefaultRoleDuration = time.Hour
	// MinHandout is the least validity credentials have when handed out, when
	// the Request asks for less: SDKs refresh 5 minutes before expiry.
	MinHandout = 5 * time.Minute
)

// AWS's GetSessionToken limits for IAM users.
const (
	minSessionDuration = 900 * time.Second
	maxSessionDuration = 129600 * time.Second
)

// sessionUseMargin is how long a cached MFA session must still be valid to be
// used for AssumeRole: enough for the call and its retries.
const sessionUseMargin = 2 * time.Minute

// codeMemory is how long a sent code is remembered as used: AWS accepts a
// code in the 30-second step before and after its own, and never twice.
const codeMemory = 2 * time.Minute

// maxCodeAttempts bounds the codes asked for one call, whatever the Askers
// say, so that a confused Asker cannot make the Broker loop.
const maxCodeAttempts = 5

// Options configure a Broker.
type Options struct {
	// OpenVault opens the vault. The Broker calls it at most once per backend
	// and environment while it keeps the vault open (see Lock). passphrase asks
	// the current caller through its Asker; the Store must call it with the
	// ctx of the Store method that needs the passphrase.
	OpenVault func(ctx context.Context, backend string, env map[string]string,
		passphrase func(ctx context.Context, creating bool) (string, error)) (vault.Store, error)
	// HTTPClient makes the AWS calls; nil means a client with dial, TLS and
	// response-header timeouts.
	HTTPClient *http.Client
	// Now is the clock for expiry and for signing requests; nil is time.Now.
	Now func() time.Time
	// Cache keeps MFA sessions and role credentials between calls (the
	// agent). Without it (--no-agent) every call starts afresh, but the
	// opened vault is still kept for the Broker's lifetime.
	Cache bool
	// CallTimeout bounds each AWS call including retries; 0 is
	// DefaultCallTimeout.
	CallTimeout time.Duration
	// MaxAttempts bounds tries of a throttled, 5xx or network-failed call; 0
	// is DefaultMaxAttempts.
	MaxAttempts int
	// Logf receives one line per AWS call and decision; never a secret.
	Logf func(format string, args ...any)

	// backoff replaces the retry delay (tests).
	backoff func(attempt int) time.Duration
	// joined is told when a caller joins a flight (tests).
	joined func(key string, waiters int)
}

// Broker turns Requests into credentials. It is safe for concurrent use; in
// the agent one Broker serves every client.
type Broker struct {
	o    Options
	http *http.Client
	// configs keeps each caller's parsed AWS config until its files
	// change; file times are the real clock's, whatever Options.Now is.
	configs *awsconfig.Cache

	mu       sync.Mutex
	flights  map[string]*flight
	cache    map[string]*entry
	serials  map[string]string              // discovered devices by session key
	vaults   map[string]vault.Store         // open vaults by vaultKey
	usedCode map[string]map[string]sentCode // serial → code → what came of it
	keys     map[string]keyState            // by vaultKey + "\x00" + profile
	vaultOps uint64                         // numbers vault operations
	// vaultUsers are the flights inside an operation on each vault (by
	// vaultKey), in the order they entered: whoever waits in them may
	// supply the vault's passphrase (see vaultPassphrase).
	vaultUsers map[string][]*flight
	// changed is closed, and replaced, whenever a caller joins a flight or
	// a flight enters a vault operation.
	changed chan struct{}
}

// entry is one cached credential set.
type entry struct {
	info  SessionInfo
	creds Credentials
	deps  []string // the profiles it derives from, itself included
	// vault and base name the long-term key it derives from; epoch is that
	// key's epoch when the work began (see keyEpoch).
	vault, base string
	epoch       uint64
}

// NewBroker returns a Broker with o's zero values replaced by defaults.
func NewBroker(o Options) *Broker {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = DefaultCallTimeout
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = defaultHTTPClient()
	}
	return &Broker{
		o:        o,
		http:     hc,
		configs:  &awsconfig.Cache{},
		flights:  map[string]*flight{},
		cache:    map[string]*entry{},
		serials:  map[string]string{},
		vaults:   map[string]vault.Store{},
		usedCode: map[string]map[string]sentCode{},
		keys:     map[string]keyState{},

		vaultUsers: map[string][]*flight{},
		changed:    make(chan struct{}),
	}
}

func (b *Broker) now() time.Time { return b.o.Now() }

func (b *Broker) logf(format string, args ...any) {
	if b.o.Logf != nil {
		b.o.Logf(format, args...)
	}
}

// Credentials returns credentials for req.Profile with at least
// req.MinRemaining (and MinHandout) of validity left. Whatever needs a person
// is asked through asker, or, while other callers wait for the same work,
// through one of theirs.
func (b *Broker) Credentials(ctx context.Context, req Request, asker Asker) (Result, error) {
	if asker == nil {
		asker = noAsker{}
	}
	p, err := b.resolve(req)
	if err != nil {
		return Result{}, err
	}
	need := max(req.MinRemaining, MinHandout)
	var out outcome
	if req.CachedOnly {
		// --no-session neither uses nor fills the session cache.
		key := p.sessionKey()
		if len(p.chain) > 1 {
			key = p.roleKey(0)
		}
		c, ok := b.cached(key, need)
		if !ok || req.NoSession || req.SaveSerial {
			return Result{}, fmt.Errorf("profile %s: %w", p.name(), ErrNotCached)
		}
		return Result{Credentials: c, Region: p.resultRegion}, nil
	}
	if len(p.chain) == 1 {
		out, err = b.session(ctx, p, asker, need, req.NoSession)
	} else {
		out, err = b.role(ctx, p, 0, asker, need)
	}
	if err != nil {
		return Result{}, err
	}
	if left := out.creds.Remaining(b.now()); left < need {
		return Result{}, &Error{Kind: KindDurationLimit,
			Msg:  fmt.Sprintf("the credentials for profile %s last %s, less than the %s needed", p.name(), left.Round(time.Second), need),
			Hint: "raise the session or role duration"}
	}
	notices := out.notices
	if req.SaveSerial {
		notices = append(slices.Clip(notices), b.saveSerial(ctx, p))
	}
	return Result{Credentials: out.creds, Region: p.resultRegion, Notices: notices}, nil
}

// Sessions lists the cached credential sets that have not expired, sorted by
// profile and kind. It holds no secret.
func (b *Broker) Sessions() []SessionInfo {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	var list []SessionInfo
	for _, e := range b.cache {
		if e.creds.Expiration.After(now) {
			list = append(list, e.info)
		}
	}
	slices.SortFunc(list, func(a, b SessionInfo) int {
		if c := strings.Compare(a.Profile, b.Profile); c != 0 {
			return c
		}
		return strings.Compare(a.Kind, b.Kind)
	})
	return list
}

// Forget drops the cached credential sets of profile and of everything
// derived from it (clearing an IAM-user profile also drops the roles assumed
// from its session), or all of them for "". It returns how many it dropped.
// Discovered MFA devices of profile are forgotten too.
func (b *Broker) Forget(profile string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for k, e := range b.cache {
		if profile == "" || slices.Contains(e.deps, profile) {
			delete(b.cache, k)
			n++
		}
	}
	for k := range b.serials {
		if profile == "" || strings.Contains(k, "\x00"+profile+"\x00") {
			delete(b.serials, k)
		}
	}
	return n
}

// Lock forgets every cached set and closes the vault: the next call opens it
// again (asking for the passphrase if it needs one).
func (b *Broker) Lock() {
	b.Forget("")
	b.mu.Lock()
	defer b.mu.Unlock()
	clear(b.vaults)
	clear(b.usedCode)
}

// cached returns the cached set under key if it has at least need left.
func (b *Broker) cached(key string, need time.Duration) (Credentials, bool) {
	if !b.o.Cache {
		return Credentials{}, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.cache[key]
	if e == nil || e.creds.Remaining(b.now()) < need {
		return Credentials{}, false
	}
	return e.creds, true
}

// store caches e under key, unless e's long-term key changed while e was
// being made.
func (b *Broker) store(key string, e *entry) {
	if !b.o.Cache {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if e.base != "" && b.keys[e.vault+"\x00"+e.base].epoch != e.epoch {
		return
	}
	b.cache[key] = e
}

func (b *Broker) drop(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.cache, key)
}

// noAsker is the Asker of a caller that gave none.
type noAsker struct{}

func (noAsker) MFACode(context.Context, MFAAsk) (string, error) {
	return "", fmt.Errorf("asking for an MFA code: %w", ErrCannotAsk)
}

func (noAsker) Passphrase(context.Context, bool) (string, error) {
	return "", fmt.Errorf("asking for the vault passphrase: %w", ErrCannotAsk)
}

func (noAsker) ChooseDevice(context.Context, string, []string) (string, error) {
	return "", fmt.Errorf("asking for an MFA device: %w", ErrCannotAsk)
}

// isKind reports whether err is an *Error of kind k.
func isKind(err error, k Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == k
}
