package setup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/awsmfa/awsmfa/internal/awsconfig"
	"github.com/awsmfa/awsmfa/internal/awsemu"
	"github.com/awsmfa/awsmfa/internal/mfapolicy"
	"github.com/awsmfa/awsmfa/internal/session"
	"github.com/awsmfa/awsmfa/internal/vault"
)

// emuAccount is an in-process awsemu account with user alice, who has an
// admin key and permissions of every kind setup moves: a managed policy,
// an inline policy and a group with both. Its clock stands still and moves
// only when a code is typed or setup sleeps, so every run is the same.
type emuAccount struct {
	s      *awsemu.Server
	home   string
	paths  awsconfig.Paths
	key    aws.Credentials
	admin  IAM
	aws    AWS
	record string
}

const extraPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}`

func newEmuAccount(t *testing.T) *emuAccount {
	t.Helper()
	clock := awsemu.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	clock.Freeze()
	s, err := awsemu.Start(context.Background(), awsemu.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if _, err := s.CreateUser("alice"); err != nil {
		t.Fatal(err)
	}
	k, err := s.CreateAccessKey("alice")
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		s.AttachPolicy("user", "alice", "arn:aws:iam::aws:policy/AdministratorAccess"),
		s.PutUserPolicy("alice", "extra", extraPolicy),
		func() error { _, err := s.CreateGroup("readers", "alice"); return err }(),
		s.AttachPolicy("group", "readers", "arn:aws:iam::aws:policy/ReadOnlyAccess"),
		s.PutGroupPolicy("readers", "grp", extraPolicy),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	a := &emuAccount{s: s, home: t.TempDir(), key: aws.Credentials{AccessKeyID: k.ID, SecretAccessKey: k.Secret}}
	a.paths = awsconfig.DefaultPaths(func(string) string { return "" }, a.home)
	if err := os.MkdirAll(filepath.Dir(a.paths.Config), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(a.paths.Config, []byte("[profile dev]\nregion = eu-west-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a.record = RecordPath(filepath.Join(a.home, "data"), "dev")
	// One attempt per call: a fault breaks exactly the call it names.
	b := session.NewBroker(session.Options{MaxAttempts: 1, Now: clock.Now,
		OpenVault: func(context.Context, string, map[string]string, func(context.Context, bool) (string, error)) (vault.Store, error) {
			return vault.NewMemory(), nil
		}})
	c, err := b.Clients(session.Request{Profile: "dev", Env: map[string]string{"HOME": a.home, "AWS_ENDPOINT_URL": s.URL(), "AWS_REGION": "eu-west-1"}})
	if err != nil {
		t.Fatal(err)
	}
	a.aws = sessionAWS{c}
	ak := s.AdminKey()
	a.admin = c.IAM(aws.Credentials{AccessKeyID: ak.ID, SecretAccessKey: ak.Secret})
	return a
}

type sessionAWS struct{ c *session.Clients }

func (a sessionAWS) IAM(c aws.Credentials) IAM { return a.c.IAM(c) }
func (a sessionAWS) STS(c aws.Credentials, withCode bool) STS {
	return a.c.STS(c, withCode)
}
func (a sessionAWS) ListBuckets(ctx context.Context, c aws.Credentials) error {
	return a.c.ListBuckets(ctx, c)
}

// serial is the device setup enrolls for alice.
func (a *emuAccount) serial() string { return "arn:aws:iam::" + a.s.AccountID() + ":mfa/alice" }

// emuTerminal types codes as a person with an authenticator app would: each
// code is the next window's, so two in a row are consecutive and none is
// used twice.
type emuTerminal struct {
	a     *emuAccount
	asked int
}

func (t *emuTerminal) Say(string, ...any) error { return nil }
func (t *emuTerminal) ReadLine(string) (string, error) {
	t.asked++
	t.a.s.Clock().Advance(30 * time.Second)
	return t.a.s.Code(t.a.serial())
}

// run runs setup (or, with undo, setup --undo) and returns its error and
// what it printed.
func (a *emuAccount) run(t *testing.T, o Options, undo bool) (string, error) {
	t.Helper()
	var out bytes.Buffer
	env := &Env{
		AWS: a.aws, Key: a.key, Paths: a.paths, Terminal: &emuTerminal{a: a}, Out: &out,
		Notef:             func(format string, args ...any) { fmt.Fprintf(&out, "awsmfa: "+format+"\n", args...) },
		RecordPath:        a.record,
		CredentialProcess: "awsmfa credential-process dev",
		Region:            "eu-west-1",
		Now:               a.s.Clock().Now,
		Sleep: func(ctx context.Context, d time.Duration) error {
			a.s.Clock().Advance(d)
			return ctx.Err()
		},
	}
	o.Profile, o.RoleName, o.RoleProfile, o.Yes = "dev", mfapolicy.DefaultRoleName, "dev-role", true
	o.MaxMFAAge, o.MaxSession = mfapolicy.DefaultMaxMFAAge, DefaultMaxSession
	var err error
	if undo {
		err = Undo(context.Background(), env, o)
	} else {
		err = Run(context.Background(), env, o)
	}
	return out.String(), err
}

// snapshot is what setup may change: the user's permissions and devices,
// the account's roles and devices, the config file and the record.
func (a *emuAccount) snapshot(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	user := aws.String("alice")
	var b strings.Builder
	att, err := a.admin.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: user})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range att.AttachedPolicies {
		fmt.Fprintf(&b, "attached %s\n", aws.ToString(p.PolicyArn))
	}
	names, err := a.admin.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: user})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names.PolicyNames {
		doc, err := a.admin.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: user, PolicyName: aws.String(n)})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "inline %s %s\n", n, decodeDocument(aws.ToString(doc.PolicyDocument)))
	}
	groups, err := a.admin.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: user})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups.Groups {
		fmt.Fprintf(&b, "group %s\n", aws.ToString(g.GroupName))
	}
	devs, err := a.admin.(*iam.Client).ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{AssignmentStatus: iamtypes.AssignmentStatusTypeAny})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devs.VirtualMFADevices {
		u := ""
		if d.User != nil {
			u = aws.ToString(d.User.UserName)
		}
		fmt.Fprintf(&b, "device %s %s\n", aws.ToString(d.SerialNumber), u)
	}
	roles, err := a.admin.(*iam.Client).ListRoles(ctx, &iam.ListRolesInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles.Roles {
		fmt.Fprintf(&b, "role %s\n", aws.ToString(r.RoleName))
	}
	cfg, err := awsconfig.Load(a.paths)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range cfg.ProfileNames() {
		p, err := cfg.Profile(n)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range sortedKeys(p.Raw) {
			fmt.Fprintf(&b, "profile %s %s = %s\n", n, k, p.Raw[k])
		}
	}
	if _, err := os.Stat(a.record); err == nil {
		b.WriteString("record\n")
	}
	return b.String()
}

// step is one mutating call a successful setup makes: the n-th call of
// action (0 first).
type step struct {
	action string
	n      int
}

// mutatingSteps runs a successful setup with o on a fresh account and
// returns its mutating calls: the plan itself, as AWS saw it, so that a new
// step cannot escape the failure tests.
func mutatingSteps(t *testing.T, o Options) []step {
	t.Helper()
	a := newEmuAccount(t)
	if out, err := a.run(t, o, false); err != nil {
		t.Fatalf("setup: %v\n%s", err, out)
	}
	seen := map[string]int{}
	var steps []step
	for _, c := range a.s.MutatingCalls() {
		steps = append(steps, step{c.Action, seen[c.Action]})
		seen[c.Action]++
	}
	return steps
}

// A failure injected at each mutating call a setup makes, for both
// strategies, leaves the account and the files as they were (rolled back)
// or, when the changes are all in place and only the proof failed, recorded
// for a re-run to continue; either way a re-run then finishes and proves
// the lock.
func TestFailureAtEachStep(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
		want []string // actions the plan must make, at least
	}{
		{"role", Options{Strategy: StrategyRole, DetachGroups: true}, []string{
			"CreateVirtualMFADevice", "EnableMFADevice", "CreateRole", "AttachRolePolicy", "PutRolePolicy",
			"AssumeRole", "PutUserPolicy", "DetachUserPolicy", "DeleteUserPolicy", "RemoveUserFromGroup"}},
		{"session", Options{Strategy: StrategySession}, []string{
			"CreateVirtualMFADevice", "EnableMFADevice", "PutUserPolicy"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			steps := mutatingSteps(t, tc.o)
			for _, w := range tc.want {
				if !slices.ContainsFunc(steps, func(s step) bool { return s.action == w }) {
					t.Errorf("a successful setup made no %s call: %v", w, steps)
				}
			}
			for _, st := range steps {
				t.Run(fmt.Sprintf("%s_call%d", st.action, st.n), func(t *testing.T) {
					a := newEmuAccount(t)
					before := a.snapshot(t)
					a.s.InjectFault(st.action, awsemu.Fault{Kind: awsemu.ServerError, After: st.n}, 1)
					out, err := a.run(t, tc.o, false)
					if err == nil {
						// AssumeRole changes nothing: the proof may do
						// without one of its calls (audit's checks fall back
						// to the MFA session), as long as it holds.
						if st.action != "AssumeRole" || !strings.Contains(out, "profile dev is locked with MFA") {
							t.Fatalf("setup succeeded despite a failing %s:\n%s", st.action, out)
						}
						return
					}
					var inc *IncompleteError
					if errors.As(err, &inc) {
						t.Fatalf("rollback failed: %v\n%s", err, out)
					}
					if errors.Is(err, ErrNotLocked) {
						// Everything is applied; the proof did not hold.
						// The record keeps it for the re-run to continue.
						rec, lerr := LoadRecord(a.record)
						if lerr != nil || rec.Complete || len(rec.Changes) == 0 {
							t.Fatalf("after a failed proof the record is %+v (%v), want the changes, not complete", rec, lerr)
						}
					} else if after := a.snapshot(t); after != before {
						t.Fatalf("setup failed (%v) but did not roll back:\nbefore:\n%s\nafter:\n%s\noutput:\n%s", err, before, after, out)
					}
					out2, err := a.run(t, tc.o, false)
					if err != nil {
						t.Fatalf("the re-run failed: %v\nfirst run:\n%s\nre-run:\n%s", err, out, out2)
					}
					if !strings.Contains(out2, "profile dev is locked with MFA") && !strings.Contains(out2, "is complete: nothing to change") {
						t.Fatalf("the re-run did not prove the lock:\n%s", out2)
					}
					if rec, err := LoadRecord(a.record); err != nil || !rec.Complete {
						t.Fatalf("after the re-run the record is %+v (%v), want complete", rec, err)
					}
				})
			}
		})
	}
}

func kinds(cs []Change) []Kind {
	var ks []Kind
	for _, c := range cs {
		ks = append(ks, c.Kind)
	}
	return ks
}

// failWithoutRollback runs a setup whose attaching to the new role fails,
// and whose deleting of the role, on the rollback, fails too.
func failWithoutRollback(t *testing.T, o Options) (a *emuAccount, before string) {
	t.Helper()
	a = newEmuAccount(t)
	before = a.snapshot(t)
	a.s.InjectFault("AttachRolePolicy", awsemu.Fault{Kind: awsemu.ServerError}, 1)
	a.s.InjectFault("DeleteRole", awsemu.Fault{Kind: awsemu.ServerError}, 1)
	out, err := a.run(t, o, false)
	var inc *IncompleteError
	if !errors.As(err, &inc) {
		t.Fatalf("setup = %v, want an IncompleteError\n%s", err, out)
	}
	if want := []Kind{KindEnrollDevice, KindSetProfileKey, KindCreateRole}; !slices.Equal(kinds(inc.Remaining), want) {
		t.Errorf("remaining %v, want %v", kinds(inc.Remaining), want)
	}
	if inc.Command != "awsmfa setup --undo --delete-device dev" {
		t.Errorf("command %q, want the undo with the device", inc.Command)
	}
	for _, c := range inc.Remaining {
		if !strings.Contains(out, "awsmfa:   "+c.String()+"\n") {
			t.Errorf("%q is not listed on its own line:\n%s", c, out)
		}
	}
	rec, err := LoadRecord(a.record)
	if err != nil || !slices.Equal(kinds(rec.Changes), kinds(inc.Remaining)) {
		t.Fatalf("record %v (%v), want the remaining changes", rec, err)
	}
	return a, before
}

// A failure whose rollback fails too leaves an IncompleteError naming what
// remains and the one command that deals with it; that command does. When
// the run's changes are all the record holds, it is the undo (the device of
// the run goes too).
func TestRollbackThatFailsUndo(t *testing.T) {
	a, before := failWithoutRollback(t, Options{Strategy: StrategyRole, DetachGroups: true})
	if out, err := a.run(t, Options{DeleteDevice: true}, true); err != nil {
		t.Fatalf("undo: %v\n%s", err, out)
	}
	if after := a.snapshot(t); after != before {
		t.Fatalf("the undo did not restore the account:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// The other way out of a failed rollback is the re-run, which continues
// (the role exists but lacks its permissions). When that run's rollback
// fails too, undoing would revert the first run's changes as well, so the
// command is the re-run, and it finishes.
func TestRollbackThatFailsContinue(t *testing.T) {
	o := Options{Strategy: StrategyRole, DetachGroups: true}
	a, before := failWithoutRollback(t, o)
	a.s.InjectFault("DetachUserPolicy", awsemu.Fault{Kind: awsemu.ServerError}, 1)
	a.s.InjectFault("DeleteRolePolicy", awsemu.Fault{Kind: awsemu.ServerError}, 1)
	out, err := a.run(t, o, false)
	var inc *IncompleteError
	if !errors.As(err, &inc) {
		t.Fatalf("the second setup = %v, want an IncompleteError\n%s", err, out)
	}
	if inc.Command != "awsmfa setup dev" {
		t.Errorf("command %q, want the re-run", inc.Command)
	}
	if slices.Contains(kinds(inc.Remaining), KindEnrollDevice) {
		t.Errorf("the first run's changes are listed as this run's: %v", kinds(inc.Remaining))
	}
	if out, err := a.run(t, o, false); err != nil || !strings.Contains(out, "profile dev is locked with MFA") {
		t.Fatalf("the re-run: %v\n%s", err, out)
	}
	// The role holds every permission the user had.
	ctx := context.Background()
	att, err := a.admin.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(mfapolicy.DefaultRoleName)})
	if err != nil || len(att.AttachedPolicies) != 2 {
		t.Errorf("the role has %v attached (%v), want AdministratorAccess and ReadOnlyAccess", att, err)
	}
	if out, err := a.run(t, Options{DeleteDevice: true}, true); err != nil {
		t.Fatalf("undo: %v\n%s", err, out)
	}
	if after := a.snapshot(t); after != before {
		t.Fatalf("undo after the finished re-run did not restore the account:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// orphan creates the virtual device alice, enabled for nobody, as a failed
// enrollment leaves it: its secret is lost.
func (a *emuAccount) orphan(t *testing.T) {
	t.Helper()
	if _, err := a.admin.CreateVirtualMFADevice(context.Background(), &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
}

// A device of the name setup creates, enabled for nobody, is an orphan of a
// failed enrollment whose secret is lost: setup deletes it and enrolls a new
// one under the name; where it may not delete it, it fails, changes
// nothing, and names the device and the administrator's command; a device
// that is another user's is never touched.
func TestOrphanedDevice(t *testing.T) {
	o := Options{Strategy: StrategyRole}
	t.Run("deleted and created anew", func(t *testing.T) {
		a := newEmuAccount(t)
		a.orphan(t)
		out, err := a.run(t, o, false)
		if err != nil || !strings.Contains(out, "profile dev is locked with MFA") {
			t.Fatalf("setup: %v\n%s", err, out)
		}
		if !strings.Contains(out, "MFA device "+a.serial()+" exists, enabled for nobody") {
			t.Errorf("setup did not say it replaced the orphan:\n%s", out)
		}
		if got := a.s.Calls("DeleteVirtualMFADevice"); got != 1 {
			t.Errorf("%d DeleteVirtualMFADevice calls, want 1", got)
		}
	})
	t.Run("may not delete", func(t *testing.T) {
		a := newEmuAccount(t)
		a.orphan(t)
		before := a.snapshot(t)
		a.s.InjectFault("DeleteVirtualMFADevice", awsemu.Fault{Kind: awsemu.AccessDeniedFault}, 1)
		out, err := a.run(t, o, false)
		var od *OrphanDeviceError
		var perm *PermissionError
		if !errors.As(err, &od) || od.Serial != a.serial() || !errors.As(err, &perm) || perm.Action != "iam:DeleteVirtualMFADevice" {
			t.Fatalf("setup = %v, want an OrphanDeviceError for %s denied iam:DeleteVirtualMFADevice\n%s", err, a.serial(), out)
		}
		if !strings.Contains(err.Error(), a.serial()+" exists, enabled for nobody") {
			t.Errorf("the error does not explain the device: %v", err)
		}
		if after := a.snapshot(t); after != before {
			t.Fatalf("a refused enrollment changed the account:\nbefore:\n%s\nafter:\n%s", before, after)
		}
	})
	t.Run("another user's", func(t *testing.T) {
		a := newEmuAccount(t)
		if _, err := a.s.CreateUser("bob"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.s.CreateMFADevice("bob", "alice"); err != nil {
			t.Fatal(err)
		}
		before := a.snapshot(t)
		out, err := a.run(t, o, false)
		var od *OrphanDeviceError
		if !errors.As(err, &od) || od.Owner != "bob" || !errors.Is(err, ErrInput) {
			t.Fatalf("setup = %v, want an OrphanDeviceError naming bob\n%s", err, out)
		}
		if got := a.s.Calls("DeleteVirtualMFADevice") + a.s.Calls("DeactivateMFADevice"); got != 0 {
			t.Errorf("setup tried to remove bob's device (%d calls)", got)
		}
		if after := a.snapshot(t); after != before {
			t.Fatalf("a refused enrollment changed the account:\nbefore:\n%s\nafter:\n%s", before, after)
		}
	})
}
