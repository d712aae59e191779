package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/awsmfa/awsmfa/internal/awsconfig"
	"github.com/awsmfa/awsmfa/internal/awsemu"
	"github.com/awsmfa/awsmfa/internal/vault"
)

const (
	allowAll  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	trustMFA  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`
	trustAge  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}}]}`
	trustRoot = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
)

// world is an emulator with users, devices and roles, a config file naming
// them, a memory vault holding the keys, and a Broker whose clock follows the
// emulator's (minus lag, to simulate a slow local clock).
type world struct {
	t      *testing.T
	emu    *awsemu.Server
	dir    string
	cfg    string
	creds  string
	vault  vault.Store
	opens  atomic.Int32
	lag    atomic.Int64
	logs   *logSink
	broker *Broker
	keys   map[string]awsemu.Key
	dev    map[string]awsemu.MFADevice
	roles  map[string]awsemu.Role
}

type logSink struct {
	mu    sync.Mutex
	lines []string
}

func (l *logSink) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logSink) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func newWorld(t *testing.T, cache bool, tweak ...func(*Options)) *world {
	t.Helper()
	emu, err := awsemu.Start(t.Context(), awsemu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := emu.Close(); err != nil {
			t.Errorf("closing emulator: %v", err)
		}
	})
	w := &world{t: t, emu: emu, dir: t.TempDir(), vault: vault.NewMemory(), logs: &logSink{},
		keys: map[string]awsemu.Key{}, dev: map[string]awsemu.MFADevice{}, roles: map[string]awsemu.Role{}}
	w.cfg = filepath.Join(w.dir, "config")
	w.creds = filepath.Join(w.dir, "credentials")
	for _, u := range []struct {
		name    string
		devices int
	}{{"alice", 1}, {"bob", 0}, {"carol", 2}, {"dave", 1}} {
		if _, err := emu.CreateUser(u.name); err != nil {
			t.Fatal(err)
		}
		k, err := emu.CreateAccessKey(u.name)
		if err != nil {
			t.Fatal(err)
		}
		w.keys[u.name] = k
		if err := emu.PutUserPolicy(u.name, "all", allowAll); err != nil {
			t.Fatal(err)
		}
		for i := range u.devices {
			d, err := emu.CreateMFADevice(u.name, fmt.Sprintf("%s%d", u.name, i))
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				w.dev[u.name] = d
			}
		}
		if err := w.vault.Put(t.Context(), u.name, vault.Entry{AccessKeyID: k.ID, SecretAccessKey: k.Secret}); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []struct {
		name, trust string
		max         time.Duration
	}{{"admin", trustMFA, 0}, {"readonly", trustMFA, 0}, {"long", trustMFA, 4 * time.Hour}, {"fresh", trustAge, 0},
		{"hop", trustRoot, 0}, {"short", trustMFA, 0}} {
		role, err := emu.CreateRole(r.name, r.trust, r.max)
		if err != nil {
			t.Fatal(err)
		}
		w.roles[r.name] = role
	}
	if err := emu.PutRolePolicy("admin", "all", allowAll); err != nil {
		t.Fatal(err)
	}
	w.writeConfig(fmt.Sprintf(`[profile alice]
mfa_serial = %[1]s
region = eu-west-1

[profile admin]
role_arn = %[2]s
source_profile = alice

[profile readonly]
role_arn = %[3]s
source_profile = alice

[profile long]
role_arn = %[4]s
source_profile = alice
duration_seconds = 7200

[profile fresh]
role_arn = %[5]s
source_profile = alice

[profile hop]
role_arn = %[6]s
source_profile = admin

[profile hop-long]
role_arn = %[6]s
source_profile = admin
duration_seconds = 7200

[profile too-long]
role_arn = %[7]s
source_profile = alice
duration_seconds = 7200

[profile bob]

[profile carol]

[profile dave]
mfa_serial = %[8]s
`, w.dev["alice"].Serial, w.roles["admin"].ARN, w.roles["readonly"].ARN, w.roles["long"].ARN, w.roles["fresh"].ARN,
		w.roles["hop"].ARN, w.roles["short"].ARN, w.dev["dave"].Serial))

	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	o := Options{
		OpenVault: func(ctx context.Context, backend string, env map[string]string, _ func(context.Context, bool) (string, error)) (vault.Store, error) {
			w.opens.Add(1)
			return w.vault, nil
		},
		HTTPClient:  &http.Client{Transport: transport},
		Now:         func() time.Time { return emu.Clock().Now().Add(-time.Duration(w.lag.Load())) },
		Cache:       cache,
		CallTimeout: 10 * time.Second,
		MaxAttempts: 3,
		Logf:        w.logs.logf,
		backoff:     func(int) time.Duration { return 0 },
	}
	for _, f := range tweak {
		f(&o)
	}
	w.broker = NewBroker(o)
	t.Cleanup(func() {
		logs := w.logs.text()
		for name, k := range w.keys {
			if strings.Contains(logs, k.Secret) {
				t.Errorf("the log holds the secret key of %s", name)
			}
		}
	})
	return w
}

func (w *world) writeConfig(text string) {
	w.t.Helper()
	if err := os.WriteFile(w.cfg, []byte(text), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) appendConfig(text string) {
	w.t.Helper()
	f, err := os.OpenFile(w.cfg, os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		w.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("\n" + text); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) req(profile string) Request {
	return Request{Profile: profile, Env: map[string]string{
		"HOME":                        w.dir,
		"AWS_CONFIG_FILE":             w.cfg,
		"AWS_SHARED_CREDENTIALS_FILE": w.creds,
		"AWS_ENDPOINT_URL":            w.emu.URL(),
	}}
}

// calls returns the emulator's count per action.
func (w *world) calls(action string) int { return w.emu.Calls(action) }

// identity checks that creds work and returns the caller ARN.
func (w *world) identity(c Credentials) string {
	w.t.Helper()
	client := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(w.emu.URL()),
		Credentials: staticProvider(awsCreds(c)), HTTPClient: w.broker.http})
	out, err := client.GetCallerIdentity(w.t.Context(), &sts.GetCallerIdentityInput{})
	if err != nil {
		w.t.Fatalf("using the credentials: %v", err)
	}
	return aws.ToString(out.Arn)
}

// asker answers with the emulator's current code for the asked device after
// moving the emulator's clock to the next 30-second step (each ask is a new
// code, as for a person reading an authenticator), unless script says
// otherwise.
type asker struct {
	w *world
	// script, when set, answers ask n (from 0); "" means the real code,
	// "-" means ErrCannotAsk.
	script []string
	// block makes MFACode wait for its context to end (a client that died).
	block  bool
	choose string // ChooseDevice's answer; "" = ErrCannotAsk

	mu      sync.Mutex
	asks    []MFAAsk
	chooses int
	pass    int
	asked   chan struct{} // closed at the first MFACode
	once    sync.Once
	wait    chan struct{} // when set, MFACode waits for it first
}

func newAsker(w *world, script ...string) *asker {
	return &asker{w: w, script: script, asked: make(chan struct{})}
}

func (a *asker) MFACode(ctx context.Context, ask MFAAsk) (string, error) {
	a.mu.Lock()
	n := len(a.asks)
	a.asks = append(a.asks, ask)
	a.mu.Unlock()
	a.once.Do(func() { close(a.asked) })
	if a.wait != nil {
		select {
		case <-a.wait:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	if a.block {
		<-ctx.Done()
		return "", ctx.Err()
	}
	answer := ""
	if n < len(a.script) {
		answer = a.script[n]
	}
	switch answer {
	case "-":
		return "", fmt.Errorf("test asker: %w", ErrCannotAsk)
	case "":
		a.w.emu.Clock().Advance(30 * time.Second)
		return a.w.emu.Code(ask.Serial)
	case "wrong":
		a.w.emu.Clock().Advance(30 * time.Second)
		c, err := a.w.emu.Code(ask.Serial)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%06d", (atoi(c)+500000)%1000000), nil
	}
	return answer, nil
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

func (a *asker) Passphrase(context.Context, bool) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pass++
	return "test passphrase", nil
}

func (a *asker) ChooseDevice(_ context.Context, _ string, serials []string) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.chooses++
	if a.choose == "" {
		return "", fmt.Errorf("test asker: %w", ErrCannotAsk)
	}
	return a.choose, nil
}

func (a *asker) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.asks)
}

func wantKind(t *testing.T, err error, k Kind) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Kind != k {
		t.Fatalf("got error %v (kind %q), want kind %q", err, KindOf(err), k)
	}
	return e
}

func TestUserSession(t *testing.T) {
	w := newWorld(t, true)
	a := newAsker(w)
	res, err := w.broker.Credentials(t.Context(), w.req("alice"), a)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.identity(res.Credentials); !strings.HasSuffix(got, ":user/alice") {
		t.Errorf("identity %s, want alice", got)
	}
	if res.Region != "eu-west-1" {
		t.Errorf("region %q, want eu-west-1", res.Region)
	}
	if left := res.Credentials.Remaining(w.broker.now()); left < DefaultSessionDuration-time.Minute || left > DefaultSessionDuration {
		t.Errorf("session lasts %s, want %s", left, DefaultSessionDuration)
	}
	again, err := w.broker.Credentials(t.Context(), w.req("alice"), a)
	if err != nil {
		t.Fatal(err)
	}
	if again.Credentials.AccessKeyID != res.Credentials.AccessKeyID {
		t.Error("the second call did not reuse the cached session")
	}
	if n := w.calls("GetSessionToken"); n != 1 {
		t.Errorf("%d GetSessionToken calls, want 1", n)
	}
	if a.count() != 1 {
		t.Errorf("%d codes asked, want 1", a.count())
	}
	if a.asks[0].Profile != "alice" || a.asks[0].Serial != w.dev["alice"].Serial || a.asks[0].Attempt != 1 {
		t.Errorf("asked %+v", a.asks[0])
	}
	s := w.broker.Sessions()
	if len(s) != 1 || s[0].Profile != "alice" || s[0].Kind != "mfa-session" || !s[0].Expiration.Equal(res.Credentials.Expiration) {
		t.Errorf("Sessions() = %+v", s)
	}
}

func TestSessionDurationSources(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setting string
		req     time.Duration
		want    time.Duration
		kind    Kind
	}{
		{name: "default", want: 8 * time.Hour},
		{name: "profile duration", setting: "2h", want: 2 * time.Hour},
		{name: "profile seconds", setting: "3600", want: time.Hour},
		{name: "request wins", setting: "2h", req: 3 * time.Hour, want: 3 * time.Hour},
		{name: "too short", setting: "10m", kind: KindDurationLimit},
		{name: "too long", req: 40 * time.Hour, kind: KindDurationLimit},
		{name: "garbage", setting: "soon", kind: KindConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, false)
			if tc.setting != "" {
				w.appendConfig("[profile timed]\nmfa_serial = " + w.dev["dave"].Serial + "\nawsmfa_session_duration = " + tc.setting + "\n")
			} else {
				w.appendConfig("[profile timed]\nmfa_serial = " + w.dev["dave"].Serial + "\n")
			}
			if err := w.vault.Put(t.Context(), "timed", vault.Entry{AccessKeyID: w.keys["dave"].ID, SecretAccessKey: w.keys["dave"].Secret}); err != nil {
				t.Fatal(err)
			}
			r := w.req("timed")
			r.SessionDuration = tc.req
			res, err := w.broker.Credentials(t.Context(), r, newAsker(w))
			if tc.kind != "" {
				wantKind(t, err, tc.kind)
				if n := w.calls("GetSessionToken"); n != 0 {
					t.Errorf("%d GetSessionToken calls, want 0", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if left := res.Credentials.Remaining(w.broker.now()); left < tc.want-time.Minute || left > tc.want {
				t.Errorf("session lasts %s, want %s", left, tc.want)
			}
		})
	}
}

func TestRolesShareOneSession(t *testing.T) {
	w := newWorld(t, true)
	a := newAsker(w)
	admin, err := w.broker.Credentials(t.Context(), w.req("admin"), a)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.identity(admin.Credentials); !strings.Contains(got, ":assumed-role/admin/") {
		t.Errorf("identity %s, want the admin role", got)
	}
	if left := admin.Credentials.Remaining(w.broker.now()); left > time.Hour {
		t.Errorf("chained role credentials last %s, more than an hour", left)
	}
	ro, err := w.broker.Credentials(t.Context(), w.req("readonly"), a)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.identity(ro.Credentials); !strings.Contains(got, ":assumed-role/readonly/awsmfa-alice0-") {
		t.Errorf("identity %s, want the readonly role with a default session name", got)
	}
	// Cached: no further call at all.
	if _, err := w.broker.Credentials(t.Context(), w.req("admin"), a); err != nil {
		t.Fatal(err)
	}
	if n := w.calls("GetSessionToken"); n != 1 {
		t.Errorf("%d GetSessionToken calls, want 1", n)
	}
	if n := w.calls("AssumeRole"); n != 2 {
		t.Errorf("%d AssumeRole calls, want 2", n)
	}
	if a.count() != 1 {
		t.Errorf("%d codes asked, want 1", a.count())
	}
	// An hour later the role credentials are refreshed from the session
	// silently.
	w.emu.Clock().Advance(time.Hour)
	if _, err := w.broker.Credentials(t.Context(), w.req("admin"), a); err != nil {
		t.Fatal(err)
	}
	if n, asks := w.calls("AssumeRole"), a.count(); n != 3 || asks != 1 {
		t.Errorf("after an hour: %d AssumeRole calls and %d codes, want 3 and 1", n, asks)
	}
	if got := len(w.broker.Sessions()); got != 2 {
		t.Errorf("%d live cached sets, want 2 (the session and admin; readonly expired)", got)
	}
}

// TestWiredKeyProfile: a key profile wired by import (its own awsmfa
// credential_process line, the roles' mfa_serial moved onto it) is still a
// vault key to awsmfa, for itself and for every role sourced from it (issue 7
// #22).
func TestWiredKeyProfile(t *testing.T) {
	w := newWorld(t, true)
	paths := awsconfig.Paths{Config: w.cfg, Credentials: w.creds}
	wired, err := awsconfig.Wire(t.Context(), paths, "alice", awsconfig.CredentialProcessCommand("/opt/bin/awsmfa", "alice"), nil)
	if err != nil || wired.Empty() {
		t.Fatalf("Wire = %+v, %v", wired, err)
	}
	a := newAsker(w)
	// One region for both: this test is about the wiring, not about
	// sessions across regions.
	req := func(profile string) Request {
		r := w.req(profile)
		r.Env["AWS_REGION"] = "eu-west-1"
		return r
	}
	sess, err := w.broker.Credentials(t.Context(), req("alice"), a)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.identity(sess.Credentials); !strings.HasSuffix(got, ":user/alice") {
		t.Errorf("alice's identity %s, want the user", got)
	}
	admin, err := w.broker.Credentials(t.Context(), req("admin"), a)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.identity(admin.Credentials); !strings.Contains(got, ":assumed-role/admin/") {
		t.Errorf("identity %s, want the admin role", got)
	}
	if n, asks := w.calls("GetSessionToken"), a.count(); n != 1 || asks != 1 {
		t.Errorf("%d GetSessionToken calls and %d codes, want 1 and 1", n, asks)
	}
}

func TestMultiHopRole(t *testing.T) {
	w := newWorld(t, true)
	a := newAsker(w)
	res, err := w.broker.Credentials(t.Context(), w.req("hop"), a)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.identity(res.Credentials); !strings.Contains(got, ":assumed-role/hop/") {
		t.Errorf("identity %s, want the hop role", got)
	}
	if n, g := w.calls("AssumeRole"), w.calls("GetSessionToken"); n != 2 || g != 1 {
		t.Errorf("%d AssumeRole and %d GetSessionToken calls, want 2 and 1", n, g)
	}
	// The intermediate role is cached and reused.
	if _, err := w.broker.Credentials(t.Context(), w.req("admin"), a); err != nil {
		t.Fatal(err)
	}
	if n := w.calls("AssumeRole"); n != 2 {
		t.Errorf("%d AssumeRole calls, want 2", n)
	}
}

func TestLongRoleIsAssumedDirectly(t *testing.T) {
	w := newWorld(t, true)
	a := newAsker(w)
	res, err := w.broker.Credentials(t.Context(), w.req("long"), a)
	if err != nil {
		t.Fatal(err)
	}
	if left := res.Credentials.Remaining(w.broker.now()); left < 2*time.Hour-time.Minute {
		t.Errorf("credentials last %s, want 2h", left)
	}
	if g := w.calls("GetSessionToken"); g != 0 {
		t.Errorf("%d GetSessionToken calls, want 0", g)
	}
	log := w.emu.CallLog()
	if len(log) != 1 || log[0].Action != "AssumeRole" || log[0].AccessKeyID != w.keys["alice"].ID {
		t.Errorf("calls %+v, want one AssumeRole with alice's long-term key", log)
	}
}

func TestNoSession(t *testing.T) {
	w := newWorld(t, true)
	a := newAsker(w)
	r := w.req("admin")
	r.NoSession = true
	for range 2 {
		if _, err := w.broker.Credentials(t.Context(), r, a); err != nil {
			t.Fatal(err)
		}
	}
	if g, n := w.calls("GetSessionToken"), w.calls("AssumeRole"); g != 0 || n != 2 {
		t.Errorf("%d GetSessionToken and %d AssumeRole calls, want 0 and 2", g, n)
	}
	if a.count() != 2 {
		t.Errorf("%d codes asked, want 2", a.count())
	}
	if s := w.broker.Sessions(); len(s) != 0 {
		t.Errorf("--no-session cached %+v", s)
	}
}

func TestMFAAgeAsksOnceMore(t *testing.T) {
	w := newWorld(t, true)
	a := newAsker(w)
	if _, err := w.broker.Credentials(t.Context(), w.req("fresh"), a); err != nil {
		t.Fatal(err)
	}
	if a.count() != 1 {
		t.Fatalf("%d codes asked, want 1", a.count())
	}
	// Two hours on, the session lives but its MFA is too old for the role.
	w.emu.Clock().Advance(2 * time.Hour)
	res, err := w.broker.Credentials(t.Context(), w.req("fresh"), a)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.identity(res.Credentials); !strings.Contains(got, ":assumed-role/fresh/") {
		t.Errorf("identity %s", got)
	}
	if a.count() != 2 {
		t.Errorf("%d codes asked, want 2 (exactly one re-prompt)", a.count())
	}
	if a.asks[1].Reason == "" || a.asks[1].Attempt != 1 {
		t.Errorf("re-prompt %+v, want attempt 1 with a reason", a.asks[1])
	}
	if g, n := w.calls("GetSessionToken"), w.calls("AssumeRole"); g != 1 || n != 3 {
		t.Errorf("%d GetSessionToken and %d AssumeRole calls, want 1 and 3", g, n)
	}
}

func TestDeniedRoleDoesNotLoop(t *testing.T) {
	w := newWorld(t, true)
	w.appendConfig("[profile nope]\nrole_arn = arn:aws:iam::123456789012:role/missing\nsource_profile = alice\n")
	a := newAsker(w)
	_, err := w.broker.Credentials(t.Context(), w.req("nope"), a)
	wantKind(t, err, KindDenied)
	if n := w.calls("AssumeRole"); n != 2 {
		t.Errorf("%d AssumeRole calls, want 2 (session, then one direct retry)", n)
	}
	if a.count() != 2 {
		t.Errorf("%d codes asked, want 2", a.count())
	}
}

func TestDiscovery(t *testing.T) {
	for _, tc := range []struct {
		name    string
		profile string
		choose  string
		save    bool
		kind    Kind
		notice  string
	}{
		{name: "none", profile: "bob", kind: KindNoMFADevice},
		{name: "one", profile: "alice-nodev", notice: "the only MFA device"},
		{name: "one saved", profile: "alice-nodev", save: true, notice: "saved mfa_serial"},
		{name: "two, no way to choose", profile: "carol", kind: KindManyDevices},
		{name: "two, chosen", profile: "carol", choose: "arn:aws:iam::123456789012:mfa/carol1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, true)
			w.appendConfig("[profile alice-nodev]\n")
			if err := w.vault.Put(t.Context(), "alice-nodev", vault.Entry{AccessKeyID: w.keys["alice"].ID, SecretAccessKey: w.keys["alice"].Secret}); err != nil {
				t.Fatal(err)
			}
			a := newAsker(w)
			a.choose = tc.choose
			r := w.req(tc.profile)
			r.SaveSerial = tc.save
			res, err := w.broker.Credentials(t.Context(), r, a)
			if tc.kind != "" {
				e := wantKind(t, err, tc.kind)
				if tc.kind == KindManyDevices {
					for _, s := range []string{"arn:aws:iam::123456789012:mfa/carol0", "arn:aws:iam::123456789012:mfa/carol1"} {
						if !strings.Contains(e.Msg, s) {
							t.Errorf("message %q does not list %s", e.Msg, s)
						}
					}
					if !strings.Contains(e.Hint, "mfa_serial = arn:aws:iam::123456789012:mfa/carol0") || !strings.Contains(e.Hint, "[profile carol]") {
						t.Errorf("hint %q lacks the config line and section", e.Hint)
					}
				}
				if n := w.calls("GetSessionToken"); n != 0 {
					t.Errorf("%d GetSessionToken calls, want 0", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.choose != "" && (a.chooses != 1 || a.asks[0].Serial != tc.choose) {
				t.Errorf("chooses %d, asked for %q; want 1 and %s", a.chooses, a.asks[0].Serial, tc.choose)
			}
			if tc.notice != "" && !strings.Contains(strings.Join(res.Notices, "\n"), tc.notice) {
				t.Errorf("notices %q lack %q", res.Notices, tc.notice)
			}
			cfg, err := os.ReadFile(w.cfg)
			if err != nil {
				t.Fatal(err)
			}
			saved := strings.Contains(string(cfg), "[profile alice-nodev]\nmfa_serial = "+w.dev["alice"].Serial)
			if saved != tc.save {
				t.Errorf("config saved=%t, want %t:\n%s", saved, tc.save, cfg)
			}
		})
	}
}

func TestSingleFlight(t *testing.T) {
	const callers = 32
	w := newWorld(t, true)
	// A file-like vault: the first Get asks for the passphrase.
	locked := &askingStore{Store: w.vault}
	w.broker.o.OpenVault = func(ctx context.Context, _ string, _ map[string]string, pass func(context.Context, bool) (string, error)) (vault.Store, error) {
		w.opens.Add(1)
		locked.pass = pass
		return locked, nil
	}
	key := ""
	all := make(chan struct{})
	w.broker.o.joined = func(k string, n int) {
		if strings.HasPrefix(k, "role\x00") && n == callers {
			key = k
			close(all)
		}
	}
	askers := make([]*asker, callers)
	var wg sync.WaitGroup
	results := make([]Result, callers)
	errs := make([]error, callers)
	for i := range callers {
		askers[i] = newAsker(w)
		askers[i].wait = all // nobody answers before everyone waits
		wg.Go(func() {
			r := w.req("admin")
			r.MinRemaining = 15 * time.Minute
			results[i], errs[i] = w.broker.Credentials(t.Context(), r, askers[i])
		})
	}
	wg.Wait()
	asked, passes := 0, 0
	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if results[i].Credentials.AccessKeyID != results[0].Credentials.AccessKeyID {
			t.Errorf("caller %d got other credentials", i)
		}
		asked += askers[i].count()
		passes += askers[i].pass
	}
	if key == "" {
		t.Fatal("the callers did not all wait for one flight")
	}
	if g, n := w.calls("GetSessionToken"), w.calls("AssumeRole"); g != 1 || n != 1 {
		t.Errorf("%d GetSessionToken and %d AssumeRole calls, want 1 and 1", g, n)
	}
	if asked != 1 || passes != 1 {
		t.Errorf("%d codes and %d passphrases asked, want 1 and 1", asked, passes)
	}
	if n := w.opens.Load(); n != 1 {
		t.Errorf("vault opened %d times, want 1", n)
	}
}

// askingStore asks for the passphrase on its first Get, like the file vault.
type askingStore struct {
	vault.Store
	pass     func(context.Context, bool) (string, error)
	mu       sync.Mutex
	unlocked bool
}

func (s *askingStore) Get(ctx context.Context, profile string) (vault.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.unlocked {
		if _, err := s.pass(ctx, false); err != nil {
			return vault.Entry{}, fmt.Errorf("unlocking: %w", err)
		}
		s.unlocked = true
	}
	return s.Store.Get(ctx, profile)
}

func TestDyingAskerHandsOver(t *testing.T) {
	w := newWorld(t, true)
	joined := make(chan int, 4)
	w.broker.o.joined = func(k string, n int) {
		if strings.HasPrefix(k, "mfa\x00") {
			joined <- n
		}
	}
	first := newAsker(w)
	first.block = true
	ctx1, cancel1 := context.WithCancel(t.Context())
	defer cancel1()
	err1 := make(chan error, 1)
	go func() {
		_, err := w.broker.Credentials(ctx1, w.req("alice"), first)
		err1 <- err
	}()
	<-first.asked
	<-joined
	second := newAsker(w)
	res2 := make(chan error, 1)
	go func() {
		_, err := w.broker.Credentials(t.Context(), w.req("alice"), second)
		res2 <- err
	}()
	if n := <-joined; n != 2 {
		t.Fatalf("second caller joined as waiter %d, want 2", n)
	}
	cancel1() // the first client dies while being asked
	if err := <-err1; !errors.Is(err, context.Canceled) {
		t.Errorf("first caller: %v, want context.Canceled", err)
	}
	if err := <-res2; err != nil {
		t.Fatalf("second caller: %v", err)
	}
	if second.count() != 1 {
		t.Errorf("second asker asked %d times, want 1", second.count())
	}
	if n := w.calls("GetSessionToken"); n != 1 {
		t.Errorf("%d GetSessionToken calls, want 1", n)
	}
}

func TestCannotAskMovesOn(t *testing.T) {
	w := newWorld(t, true)
	gate := make(chan struct{})
	joined := make(chan int, 4)
	w.broker.o.joined = func(k string, n int) { joined <- n }
	first := newAsker(w, "-")
	first.wait = gate
	second := newAsker(w)
	errs := make(chan error, 2)
	go func() { _, err := w.broker.Credentials(t.Context(), w.req("alice"), first); errs <- err }()
	<-joined
	go func() { _, err := w.broker.Credentials(t.Context(), w.req("alice"), second); errs <- err }()
	<-joined
	close(gate)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if first.count() != 1 || second.count() != 1 {
		t.Errorf("asked %d and %d times, want 1 and 1", first.count(), second.count())
	}
}

func TestCodes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		script   []string
		kind     Kind
		asks     int
		gstCalls int
	}{
		{name: "wrong then right", script: []string{"wrong", ""}, asks: 2, gstCalls: 2},
		{name: "wrong and cannot re-ask", script: []string{"wrong", "-"}, kind: KindMFARejected, asks: 2, gstCalls: 1},
		{name: "malformed never sent", script: []string{"12ab56", "-"}, kind: KindBadCode, asks: 2, gstCalls: 0},
		{name: "malformed then right", script: []string{"12345", ""}, asks: 2, gstCalls: 1},
		{name: "no source", script: []string{"-"}, kind: KindNoCodeSource, asks: 1, gstCalls: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, true)
			a := newAsker(w, tc.script...)
			_, err := w.broker.Credentials(t.Context(), w.req("alice"), a)
			if tc.kind != "" {
				wantKind(t, err, tc.kind)
			} else if err != nil {
				t.Fatal(err)
			}
			if a.count() != tc.asks {
				t.Errorf("%d asks, want %d", a.count(), tc.asks)
			}
			for i, ask := range a.asks {
				if ask.Attempt != i+1 || (i > 0) != (ask.Reason != "") {
					t.Errorf("ask %d: %+v", i, ask)
				}
			}
			if n := w.calls("GetSessionToken"); n != tc.gstCalls {
				t.Errorf("%d GetSessionToken calls, want %d", n, tc.gstCalls)
			}
		})
	}
}

func TestUsedCodeIsNotSentAgain(t *testing.T) {
	w := newWorld(t, false)
	code, err := w.emu.Code(w.dev["alice"].Serial)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.broker.Credentials(t.Context(), w.req("alice"), newAsker(w, code)); err != nil {
		t.Fatal(err)
	}
	a := newAsker(w, code, "")
	if _, err := w.broker.Credentials(t.Context(), w.req("alice"), a); err != nil {
		t.Fatal(err)
	}
	if a.count() != 2 || !strings.Contains(a.asks[1].Reason, "already used") {
		t.Errorf("asks %+v, want a re-ask saying the code was used", a.asks)
	}
	if n := w.calls("GetSessionToken"); n != 2 {
		t.Errorf("%d GetSessionToken calls, want 2 (the reused code is refused locally)", n)
	}
}

func TestMinRemaining(t *testing.T) {
	w := newWorld(t, true)
	a := newAsker(w)
	if _, err := w.broker.Credentials(t.Context(), w.req("alice"), a); err != nil {
		t.Fatal(err)
	}
	w.emu.Clock().Advance(7*time.Hour + 50*time.Minute)
	r := w.req("alice")
	r.MinRemaining = 15 * time.Minute
	res, err := w.broker.Credentials(t.Context(), r, a)
	if err != nil {
		t.Fatal(err)
	}
	if left := res.Credentials.Remaining(w.broker.now()); left < r.MinRemaining {
		t.Errorf("handed out credentials with %s left", left)
	}
	if a.count() != 2 || w.calls("GetSessionToken") != 2 {
		t.Errorf("%d asks and %d GetSessionToken calls, want a new session", a.count(), w.calls("GetSessionToken"))
	}
	r.SessionDuration = 15 * time.Minute
	r.MinRemaining = 20 * time.Minute
	r.Profile = "dave"
	_, err = w.broker.Credentials(t.Context(), r, a)
	wantKind(t, err, KindDurationLimit)
}

func TestFailures(t *testing.T) {
	for _, tc := range []struct {
		name    string
		profile string
		setup   func(w *world)
		kind    Kind
		msg     string
	}{
		{name: "chaining limit", profile: "hop-long", kind: KindDurationLimit, msg: "role chaining"},
		{name: "max session duration", profile: "too-long", kind: KindDurationLimit, msg: "maximum session duration"},
		{name: "wrong serial", profile: "wrong-serial", kind: KindMFASerial, msg: "profile wrong-serial",
			setup: func(w *world) {
				w.appendConfig("[profile wrong-serial]\nmfa_serial = " + w.dev["carol"].Serial + "\n")
				_ = w.vault.Put(w.t.Context(), "wrong-serial", vault.Entry{AccessKeyID: w.keys["alice"].ID, SecretAccessKey: w.keys["alice"].Secret})
			}},
		{name: "clock skew", profile: "alice", kind: KindClockSkew, msg: "20 minutes behind",
			setup: func(w *world) { w.lag.Store(int64(20 * time.Minute)) }},
		{name: "throttled", profile: "alice", kind: KindThrottled,
			setup: func(w *world) { w.emu.InjectFault("GetSessionToken", awsemu.Fault{Kind: awsemu.Throttle}, 10) }},
		{name: "server errors", profile: "alice", kind: KindNetwork, msg: "HTTP 500",
			setup: func(w *world) { w.emu.InjectFault("GetSessionToken", awsemu.Fault{Kind: awsemu.ServerError}, 10) }},
		{name: "connection reset", profile: "alice", kind: KindNetwork,
			setup: func(w *world) { w.emu.InjectFault("GetSessionToken", awsemu.Fault{Kind: awsemu.Reset}, 10) }},
		{name: "stall", profile: "alice", kind: KindNetwork, msg: "did not answer",
			setup: func(w *world) {
				w.broker.o.CallTimeout = 200 * time.Millisecond
				w.emu.InjectFault("GetSessionToken", awsemu.Fault{Kind: awsemu.Stall, Stall: time.Minute}, 10)
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, true)
			if tc.setup != nil {
				tc.setup(w)
			}
			_, err := w.broker.Credentials(t.Context(), w.req(tc.profile), newAsker(w))
			e := wantKind(t, err, tc.kind)
			if !strings.Contains(e.Msg, tc.msg) {
				t.Errorf("message %q lacks %q", e.Msg, tc.msg)
			}
			if tc.kind == KindThrottled {
				if n := w.calls("GetSessionToken"); n != w.broker.o.MaxAttempts {
					t.Errorf("%d GetSessionToken calls, want %d", n, w.broker.o.MaxAttempts)
				}
			}
		})
	}
}

func TestThrottlingIsRetried(t *testing.T) {
	w := newWorld(t, true)
	w.emu.InjectFault("GetSessionToken", awsemu.Fault{Kind: awsemu.Throttle}, 2)
	if _, err := w.broker.Credentials(t.Context(), w.req("alice"), newAsker(w)); err != nil {
		t.Fatal(err)
	}
	if n := w.calls("GetSessionToken"); n != 3 {
		t.Errorf("%d GetSessionToken calls, want 3", n)
	}
}

func TestExpiredSessionIsReplaced(t *testing.T) {
	w := newWorld(t, true)
	a := newAsker(w)
	if _, err := w.broker.Credentials(t.Context(), w.req("admin"), a); err != nil {
		t.Fatal(err)
	}
	// AWS's clock runs 10 minutes ahead of ours: the session has expired for
	// AWS while the Broker still counts 5 minutes.
	w.lag.Store(int64(10 * time.Minute))
	w.emu.Clock().Advance(8*time.Hour + 5*time.Minute)
	if _, err := w.broker.Credentials(t.Context(), w.req("admin"), a); err != nil {
		t.Fatal(err)
	}
	if g, asks := w.calls("GetSessionToken"), a.count(); g != 2 || asks != 2 {
		t.Errorf("%d GetSessionToken calls and %d codes, want 2 and 2", g, asks)
	}
}

func TestExpiredTokenIsClassified(t *testing.T) {
	w := newWorld(t, true)
	res, err := w.broker.Credentials(t.Context(), w.req("alice"), newAsker(w))
	if err != nil {
		t.Fatal(err)
	}
	w.emu.Clock().Advance(9 * time.Hour)
	p, err := w.broker.resolve(w.req("alice"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.broker.assume(t.Context(), p, 0, time.Hour, "", res.Credentials, "", "", "")
	e := wantKind(t, err, KindExpired)
	if !strings.Contains(e.Hint, "awsmfa clear") {
		t.Errorf("hint %q", e.Hint)
	}
}

func TestUnservableProfiles(t *testing.T) {
	for _, tc := range []struct {
		name, section, creds string
		kind                 Kind
		hint                 string
	}{
		{name: "credential_process", section: "credential_process = /bin/true", kind: KindUnsupported},
		// awsmfa serving another profile is not this profile's own line: it is
		// refused, never run (which would call awsmfa from awsmfa).
		{name: "awsmfa for another profile", section: "credential_process = /usr/local/bin/awsmfa credential-process admin", kind: KindUnsupported},
		{name: "sso", section: "sso_session = corp\nsso_account_id = 123456789012", kind: KindUnsupported},
		{name: "credential_source", section: "role_arn = arn:aws:iam::123456789012:role/admin\ncredential_source = Ec2InstanceMetadata", kind: KindUnsupported},
		{name: "session keys", creds: "aws_access_key_id = ASIAAAAAAAAAAAAAAAAA\naws_secret_access_key = x\naws_session_token = y", kind: KindUnsupported},
		{name: "plaintext key", creds: "aws_access_key_id = AKIAAAAAAAAAAAAAAAAA\naws_secret_access_key = x", kind: KindNotFound, hint: "awsmfa import plaintext-key"},
		{name: "no key", section: "mfa_serial = arn:aws:iam::123456789012:mfa/x", kind: KindNotFound, hint: "awsmfa add no-key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, true)
			name := strings.ReplaceAll(tc.name, " ", "-")
			w.appendConfig("[profile " + name + "]\n" + tc.section + "\n")
			if tc.creds != "" {
				if err := os.WriteFile(w.creds, []byte("["+name+"]\n"+tc.creds+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			_, err := w.broker.Credentials(t.Context(), w.req(name), newAsker(w))
			e := wantKind(t, err, tc.kind)
			if !strings.Contains(e.Hint, tc.hint) {
				t.Errorf("hint %q lacks %q", e.Hint, tc.hint)
			}
			if strings.Contains(err.Error(), "aws_secret_access_key = x") || w.emu.Calls("") != 0 {
				t.Errorf("error %q or %d AWS calls", err, w.emu.Calls(""))
			}
		})
	}
	t.Run("missing profile", func(t *testing.T) {
		w := newWorld(t, true)
		_, err := w.broker.Credentials(t.Context(), w.req("nobody"), newAsker(w))
		wantKind(t, err, KindNotFound)
	})
}

func TestForgetAndLock(t *testing.T) {
	w := newWorld(t, true)
	a := newAsker(w)
	for _, p := range []string{"admin", "readonly", "dave"} {
		if _, err := w.broker.Credentials(t.Context(), w.req(p), a); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(w.broker.Sessions()); n != 4 {
		t.Fatalf("%d cached sets, want 4", n)
	}
	if n := w.broker.Forget("readonly"); n != 1 {
		t.Errorf("Forget(readonly) = %d, want 1", n)
	}
	if n := w.broker.Forget("alice"); n != 2 {
		t.Errorf("Forget(alice) = %d, want 2 (the session and admin)", n)
	}
	w.broker.Lock()
	if n := len(w.broker.Sessions()); n != 0 {
		t.Errorf("%d cached sets after Lock", n)
	}
	before := w.opens.Load()
	if _, err := w.broker.Credentials(t.Context(), w.req("alice"), a); err != nil {
		t.Fatal(err)
	}
	if w.opens.Load() != before+1 {
		t.Error("the vault was not opened again after Lock")
	}
}

func TestSessionName(t *testing.T) {
	long := strings.Repeat("x", 80)
	for _, tc := range []struct {
		serial, base, want string
	}{
		{"arn:aws:iam::123456789012:mfa/alice", "me", "awsmfa-alice-1700000000"},
		{"arn:aws:iam::123456789012:mfa/path/bob", "me", "awsmfa-bob-1700000000"},
		{"GAHT12345678", "my profile", "awsmfa-my-profile-1700000000"},
		{"arn:aws:iam::123456789012:mfa/" + long, "me", "awsmfa-" + long[:64-len("awsmfa-")-11] + "-1700000000"},
	} {
		p := &plan{chain: []*awsconfig.Profile{{Name: "role"}, {Name: tc.base}}}
		p.base = p.chain[1]
		got := p.sessionName(0, tc.serial, time.Unix(1700000000, 0))
		if got != tc.want || len(got) > 64 {
			t.Errorf("sessionName(%q, %q) = %q, want %q", tc.serial, tc.base, got, tc.want)
		}
	}
}

func TestUserFromARN(t *testing.T) {
	for _, tc := range []struct {
		arn, user string
		ok        bool
	}{
		{"arn:aws:iam::123456789012:user/alice", "alice", true},
		{"arn:aws:iam::123456789012:user/div/team/bob", "bob", true},
		{"arn:aws:iam::123456789012:root", "", true},
		{"arn:aws:sts::123456789012:assumed-role/r/s", "", false},
		{"garbage", "", false},
	} {
		user, ok := userFromARN(tc.arn)
		if user != tc.user || ok != tc.ok {
			t.Errorf("userFromARN(%q) = %q, %t; want %q, %t", tc.arn, user, ok, tc.user, tc.ok)
		}
	}
}
