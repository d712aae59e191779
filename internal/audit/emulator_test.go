package audit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/awsmfa/awsmfa/internal/awsconfig"
	"github.com/awsmfa/awsmfa/internal/awsemu"
	"github.com/awsmfa/awsmfa/internal/mfapolicy"
	"github.com/awsmfa/awsmfa/internal/session"
	"github.com/awsmfa/awsmfa/internal/vault"
)

// emuAsker answers MFA codes from the emulator, as an authenticator would,
// and counts them.
type emuAsker struct {
	s     *awsemu.Server
	codes atomic.Int32
}

func (a *emuAsker) MFACode(_ context.Context, ask session.MFAAsk) (string, error) {
	a.codes.Add(1)
	return a.s.Code(ask.Serial)
}

func (*emuAsker) Passphrase(context.Context, bool) (string, error) {
	return "", session.ErrCannotAsk
}

func (*emuAsker) ChooseDevice(context.Context, string, []string) (string, error) {
	return "", session.ErrCannotAsk
}

// lockedAccount is n users in the end state awsmfa setup builds (role
// strategy, awsmfa policy's documents), each with a key profile u<i> in a
// memory vault and a role profile r<i>.
type lockedAccount struct {
	s       *awsemu.Server
	home    string
	cfg     *awsconfig.Config
	store   vault.Store
	keys    []string
	secrets []string
}

func newLockedAccount(tb testing.TB, n int) *lockedAccount {
	tb.Helper()
	s, err := awsemu.Start(context.Background(), awsemu.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	la := &lockedAccount{s: s, home: tb.TempDir(), store: vault.NewMemory()}
	var conf strings.Builder
	for i := range n {
		user, role := fmt.Sprintf("u%d", i), fmt.Sprintf("role%d", i)
		if _, err := s.CreateUser(user); err != nil {
			tb.Fatal(err)
		}
		k, err := s.CreateAccessKey(user)
		if err != nil {
			tb.Fatal(err)
		}
		d, err := s.CreateMFADevice(user, user)
		if err != nil {
			tb.Fatal(err)
		}
		p := mfapolicy.Params{Account: s.AccountID(), User: user, Roles: []string{role}}
		trust, err := mfapolicy.TrustPolicy(p)
		if err != nil {
			tb.Fatal(err)
		}
		userPolicy, err := mfapolicy.UserPolicy(p)
		if err != nil {
			tb.Fatal(err)
		}
		tj, _ := trust.JSON()
		uj, _ := userPolicy.JSON()
		if _, err := s.CreateRole(role, string(tj), 12*time.Hour); err != nil {
			tb.Fatal(err)
		}
		if err := s.PutRolePolicy(role, "admin", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`); err != nil {
			tb.Fatal(err)
		}
		if err := s.PutUserPolicy(user, "awsmfa", string(uj)); err != nil {
			tb.Fatal(err)
		}
		if err := la.store.Put(context.Background(), user, vault.Entry{AccessKeyID: k.ID, SecretAccessKey: k.Secret}); err != nil {
			tb.Fatal(err)
		}
		la.keys = append(la.keys, user)
		la.secrets = append(la.secrets, k.Secret)
		fmt.Fprintf(&conf, "[profile %s]\nregion = eu-west-1\nmfa_serial = %s\n\n[profile r%d]\nrole_arn = arn:aws:iam::%s:role/%s\nsource_profile = %s\n\n",
			user, d.Serial, i, s.AccountID(), role, user)
	}
	aws := filepath.Join(la.home, ".aws")
	if err := os.MkdirAll(aws, 0o700); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(aws, "config"), []byte(conf.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	la.cfg, err = awsconfig.Load(awsconfig.DefaultPaths(func(string) string { return "" }, la.home))
	if err != nil {
		tb.Fatal(err)
	}
	return la
}

// audit runs the IAM checks of every key with a fresh Broker (no cached
// session: one code per key).
func (la *lockedAccount) audit(ctx context.Context, probe bool) ([]Finding, *emuAsker, error) {
	return la.run(ctx, la.keys, probe)
}

func (la *lockedAccount) auditOf(ctx context.Context, keys []string) ([]Finding, *emuAsker, error) {
	return la.run(ctx, keys, true)
}

func (la *lockedAccount) run(ctx context.Context, keys []string, probe bool) ([]Finding, *emuAsker, error) {
	asker := &emuAsker{s: la.s}
	b := session.NewBroker(session.Options{
		Cache: true,
		Now:   la.s.Clock().Now,
		OpenVault: func(context.Context, string, map[string]string, func(context.Context, bool) (string, error)) (vault.Store, error) {
			return la.store, nil
		},
	})
	a := &BrokerAWS{Broker: b, Asker: asker, Base: session.Request{Env: map[string]string{
		"HOME": la.home, "AWS_ENDPOINT_URL": la.s.URL(), "AWS_REGION": "eu-west-1",
	}}}
	fs, err := IAM(ctx, a, IAMOptions{Config: la.cfg, Profiles: keys, VaultProfiles: keys, Probe: probe, Now: la.s.Clock().Now()})
	return fs, asker, err
}

// The locked end state passes every IAM check with one code per key: the
// checks the user may not run go through its role, assumed from the same
// MFA session.
func TestIAMLockedAccount(t *testing.T) {
	la := newLockedAccount(t, 2)
	fs, asker, err := la.audit(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	if w := NewReport(fs).Worst(); w != OK {
		t.Errorf("worst %s, want ok:\n%s", w, strings.Join(summary(fs), "\n"))
	}
	if got := asker.codes.Load(); got != 2 {
		t.Errorf("%d codes asked, want 2 (one per key)", got)
	}
	for _, id := range []string{IDKeyIdentity, IDProbe, IDMFADevice, IDAccessKeys, IDKeyAlone} {
		hasID(t, fs, OK, id, "u1")
	}
	for _, id := range []string{IDRoleMaxSession, mfapolicy.FindingTrustRequiresMFA, mfapolicy.FindingTrustPrincipalUser, mfapolicy.FindingTrustMFAAgeOK} {
		hasID(t, fs, OK, id, "r1")
	}
	noSecret(t, fs, la.secrets...)
}

// hasID checks that some finding has severity sev, id and profile.
func hasID(t *testing.T, fs []Finding, sev Severity, id, profile string) {
	t.Helper()
	for _, f := range fs {
		if f.Severity == sev && f.ID == id && f.Profile == profile {
			return
		}
	}
	t.Errorf("no %s finding %s for %s in:\n%s", sev, id, profile, strings.Join(summary(fs), "\n"))
}

// A code that cannot be had leaves the checks that needed it skipped, each
// naming its permission; the rest run and nothing is fatal.
func TestIAMWithoutCode(t *testing.T) {
	la := newLockedAccount(t, 1)
	b := session.NewBroker(session.Options{Cache: true, Now: la.s.Clock().Now,
		OpenVault: func(context.Context, string, map[string]string, func(context.Context, bool) (string, error)) (vault.Store, error) {
			return la.store, nil
		}})
	a := &BrokerAWS{Broker: b, Base: session.Request{Env: map[string]string{"HOME": la.home, "AWS_ENDPOINT_URL": la.s.URL()}}}
	fs, err := IAM(context.Background(), a, IAMOptions{Config: la.cfg, Profiles: la.keys, VaultProfiles: la.keys, Probe: true, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	has(t, fs, "warning check-skipped u0 iam:SimulatePrincipalPolicy", "warning check-skipped u0 iam:ListAccessKeys",
		"ok probe u0 s3:ListAllMyBuckets", "ok mfa-device u0 arn:aws:iam::123456789012:user/u0")
}

// With no key in the vault, the IAM checks say that they had nothing to do.
func TestIAMNoKeys(t *testing.T) {
	la := newLockedAccount(t, 1)
	fs, _, err := la.auditOf(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(fs); len(got) != 1 || got[0] != "ok check-skipped  vault" {
		t.Errorf("got %q", got)
	}
}

// An unreachable AWS ends the audit with an error, not with findings.
func TestIAMUnreachable(t *testing.T) {
	la := newLockedAccount(t, 1)
	url := la.s.URL()
	if err := la.s.Close(); err != nil {
		t.Fatal(err)
	}
	b := session.NewBroker(session.Options{Cache: true, MaxAttempts: 1,
		OpenVault: func(context.Context, string, map[string]string, func(context.Context, bool) (string, error)) (vault.Store, error) {
			return la.store, nil
		}})
	a := &BrokerAWS{Broker: b, Base: session.Request{Env: map[string]string{"HOME": la.home, "AWS_ENDPOINT_URL": url}}}
	_, err := IAM(context.Background(), a, IAMOptions{Config: la.cfg, Profiles: la.keys, VaultProfiles: la.keys, Now: time.Now()})
	if err == nil {
		t.Fatal("no error from an unreachable AWS")
	}
	var se *session.Error
	if errors.As(err, &se) {
		t.Logf("classified: %v", se.Kind)
	}
}

// BenchmarkAudit10Profiles is the wall time of an audit of 10 profiles (5
// keys, each with a role profile) against awsemu: the local checks and the
// IAM checks with the live probe, one code per key.
func BenchmarkAudit10Profiles(b *testing.B) {
	la := newLockedAccount(b, 5)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		// Each run needs fresh codes: move the emulator to the next window.
		la.s.Clock().Advance(30 * time.Second)
		_ = Local(Options{Home: la.home, Getenv: func(string) string { return "" }, UID: -1, Now: time.Now(), Config: la.cfg})
		fs, _, err := la.audit(ctx, true)
		if err != nil {
			b.Fatal(err)
		}
		if NewReport(fs).Worst() != OK {
			b.Fatalf("not ok:\n%s", strings.Join(summary(fs), "\n"))
		}
	}
}
