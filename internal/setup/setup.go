// Package setup locks an IAM user's access key with MFA, the way the seed
// articles do by hand: it enrolls a virtual MFA device, creates a role only
// the user may assume with MFA (or denies everything without MFA), replaces
// the user's permissions, writes the profiles, and proves the lock.
//
// Changes are built the Terraform way: read the account's state, plan typed
// changes that each know their inverse (Change), show the plan, apply it
// change by change while recording each one, and undo by applying the
// inverses last first. A dry run is the plan alone; a run on a finished setup
// plans nothing. The package knows nothing of the command line: it takes the
// AWS clients, the terminal, the config files and the key.
package setup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/awsmfa/awsmfa/internal/awsconfig"
	"github.com/awsmfa/awsmfa/internal/mfapolicy"
)

// Strategy is how the key is locked.
type Strategy string

// The seeds' two patterns.
const (
	// StrategyRole moves the user's permissions to a role that only the
	// user may assume, only with MFA; the user keeps only awsmfa's policy.
	StrategyRole Strategy = "role"
	// StrategySession keeps the user's permissions and denies everything
	// but getting an MFA session without MFA.
	StrategySession Strategy = "session"
)

// Names of the inline policies setup puts on the user.
const (
	UserPolicyName = "awsmfa-user"
	DenyPolicyName = "awsmfa-deny-without-mfa"
)

// DefaultMaxSession is the role's MaxSessionDuration when none is given.
const DefaultMaxSession = 12 * time.Hour

// ErrInput is matched by refusals of bad input (codes, flags); nothing was
// changed.
var ErrInput = errors.New("invalid input")

// ErrRefused is matched when setup refuses the key itself: a root key or
// temporary session credentials.
var ErrRefused = errors.New("key refused")

// ErrNotLocked is matched when the proof of the lock fails: the key alone
// still does what it should not, or MFA does not let the user in.
var ErrNotLocked = errors.New("the lock does not hold")

// ErrNeedsConfirmation is matched when the plan would be applied without
// --yes and there is no terminal to ask.
var ErrNeedsConfirmation = errors.New("confirmation needed")

// ErrDeclined is matched when the user answered no.
var ErrDeclined = errors.New("declined")

// Options are what the user asked for.
type Options struct {
	Profile      string
	Strategy     Strategy
	DeviceName   string // default: the user name
	ShowSecret   bool
	YubiKey      bool
	RoleName     string
	RoleProfile  string // default: PROFILE-role
	MaxMFAAge    time.Duration
	MaxSession   time.Duration
	RolePolicies []string
	DetachGroups bool
	DryRun       bool
	Yes          bool
	DeleteDevice bool // with Undo
}

// Terminal is the controlling terminal: prompts, the QR code and, with
// ShowSecret, the secret go there and nowhere else.
type Terminal interface {
	Say(format string, args ...any) error
	ReadLine(prompt string) (string, error)
}

// YubiKey runs ykman with args, feeding stdin; it returns ykman's stdout.
type YubiKey func(ctx context.Context, args []string, stdin []byte) ([]byte, error)

// Env is everything setup touches.
type Env struct {
	AWS AWS
	// Key is the profile's long-term key, from the vault or, before it is
	// imported, from the credentials file (KeyInPlaintext).
	Key            aws.Credentials
	KeyInPlaintext bool
	// ImportKey moves the key into the vault as "awsmfa import" does.
	ImportKey func(ctx context.Context) error
	Paths     awsconfig.Paths
	// Terminal may be nil when there is none; then nothing can be asked.
	Terminal Terminal
	// Out receives the plan and results; Notef one diagnostic line each.
	Out   io.Writer
	Notef func(format string, args ...any)
	// RecordPath is the record's file (see RecordPath).
	RecordPath string
	// CredentialProcess is the wired credential_process line.
	CredentialProcess string
	// Region is the region written when the key profile has none.
	Region string
	// SessionLength is how long awsmfa's MFA sessions of the profile last
	// (the proof judges the role's MFA age limit against it); zero means
	// mfapolicy.DefaultMaxMFAAge.
	SessionLength time.Duration
	YubiKey       YubiKey
	Now           func() time.Time
	// Sleep waits d or until ctx ends (IAM's eventual consistency, the next
	// TOTP window).
	Sleep func(ctx context.Context, d time.Duration) error
}

type runner struct {
	env  *Env
	o    Options
	who  mfapolicy.Params
	code codeSource
	// the MFA session of the proofs: one code for all of them
	mfaSession *aws.Credentials
	// extra are credentials beyond the key: the MFA session, the role
	extra     []aws.Credentials
	escalated bool
	// serial and roleARN are the device and role of this setup
	serial, roleARN string
	// keyCouldList: the key alone was allowed S3 ListBuckets before setup
	keyCouldList bool
}

func (r *runner) say(format string, args ...any) {
	if r.env.Notef != nil {
		r.env.Notef(format, args...)
	}
}

func (r *runner) out(format string, args ...any) { fmt.Fprintf(r.env.Out, format+"\n", args...) }

// Run sets up the lock for o.Profile.
func Run(ctx context.Context, env *Env, o Options) error {
	r := &runner{env: env, o: o}
	if err := r.identify(ctx); err != nil {
		return err
	}
	st, err := r.read(ctx)
	if err != nil {
		var perm *PermissionError
		if rec, rerr := LoadRecord(env.RecordPath); rerr == nil && rec.Complete && errors.As(err, &perm) && perm.Step == stepReading {
			// The lock itself keeps the key alone from reading the user's
			// permissions: the finished setup is what denies it.
			r.out("setup of profile %s is complete: nothing to change (the key alone may not read its permissions, as the lock intends; awsmfa setup --undo %s reverts it)", o.Profile, o.Profile)
			return nil
		}
		return err
	}
	plan, err := r.plan(st)
	if err != nil {
		return err
	}
	r.warnGroups(st)
	changes := 0
	for _, c := range plan {
		if !c.isCheck() {
			changes++
		}
	}
	if changes == 0 {
		r.out("setup of profile %s is complete: nothing to change", o.Profile)
		return nil
	}
	r.out("plan for profile %s (%s, strategy %s):", o.Profile, r.who.UserARN(), o.Strategy)
	for i, c := range plan {
		r.out("  %d. %s", i+1, c)
	}
	if o.DryRun {
		r.out("dry run: nothing changed")
		return nil
	}
	if env.Terminal == nil && !o.YubiKey {
		for _, c := range plan {
			if c.Kind == KindEnrollDevice || c.isCheck() {
				return fmt.Errorf("step %q needs MFA codes typed on a terminal: %w; nothing changed", c.String(), ErrNeedsTerminal)
			}
		}
	}
	if !o.Yes {
		if env.Terminal == nil {
			return fmt.Errorf("applying the plan: %w: pass --yes, or run on a terminal", ErrNeedsConfirmation)
		}
		a, err := env.Terminal.ReadLine("Apply this plan? [y/N] ")
		if err != nil {
			return fmt.Errorf("reading the answer: %w", err)
		}
		if a = strings.ToLower(strings.TrimSpace(a)); a != "y" && a != "yes" {
			return fmt.Errorf("applying the plan: %w: nothing changed", ErrDeclined)
		}
	}
	return r.apply(ctx, plan)
}

// identify refuses root keys and session credentials (step 1, "who").
func (r *runner) identify(ctx context.Context) error {
	if strings.HasPrefix(r.env.Key.AccessKeyID, "ASIA") || r.env.Key.SessionToken != "" {
		return fmt.Errorf("profile %s holds temporary session credentials, not a long-term access key: %w", r.o.Profile, ErrRefused)
	}
	out, err := r.env.AWS.STS(r.env.Key, false).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return call("who: asking whose key this is", "sts:GetCallerIdentity", err)
	}
	arn := aws.ToString(out.Arn)
	p, err := mfapolicy.UserFromARN(arn)
	if err != nil {
		if strings.HasSuffix(arn, ":root") {
			return fmt.Errorf("the key of profile %s is the account root's (%s): %w; AWS recommends that root have no access keys at all: delete it and lock an IAM user's key instead",
				r.o.Profile, arn, ErrRefused)
		}
		if errors.Is(err, mfapolicy.ErrNotAUser) {
			return fmt.Errorf("the key of profile %s is not an IAM user's (%s): %w", r.o.Profile, arn, ErrRefused)
		}
		return err
	}
	p.MaxMFAAge = r.o.MaxMFAAge
	p.Roles = []string{r.o.RoleName}
	r.who = p
	if r.o.DeviceName == "" {
		r.o.DeviceName = p.User
	}
	return nil
}

const stepReading = "reading the account"

// state is what the account and the files hold now.
type state struct {
	devices      []string
	profile      *awsconfig.Profile
	roleProfile  *awsconfig.Profile
	roleExists   bool
	roleTrust    string
	attached     []string          // managed policies of the user
	inline       map[string]string // inline policies of the user, name → document
	inlineNames  []string
	groups       []string
	groupManaged []string          // with DetachGroups: the groups' managed policies
	groupInline  map[string]string // and copies of their inline ones
	wired        bool
}

func (r *runner) read(ctx context.Context) (*state, error) {
	api := r.env.AWS.IAM(r.env.Key)
	user := aws.String(r.who.User)
	st := &state{inline: map[string]string{}, groupInline: map[string]string{}}
	const reading = stepReading
	devs, err := api.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: user})
	if err != nil {
		return nil, call(reading, "iam:ListMFADevices", err)
	}
	for _, d := range devs.MFADevices {
		st.devices = append(st.devices, aws.ToString(d.SerialNumber))
	}
	att, err := api.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: user})
	if err != nil {
		return nil, call(reading, "iam:ListAttachedUserPolicies", err)
	}
	for _, a := range att.AttachedPolicies {
		st.attached = append(st.attached, aws.ToString(a.PolicyArn))
	}
	names, err := api.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: user})
	if err != nil {
		return nil, call(reading, "iam:ListUserPolicies", err)
	}
	for _, n := range names.PolicyNames {
		doc, err := api.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: user, PolicyName: aws.String(n)})
		if err != nil {
			return nil, call(reading, "iam:GetUserPolicy", err)
		}
		st.inline[n] = decodeDocument(aws.ToString(doc.PolicyDocument))
		st.inlineNames = append(st.inlineNames, n)
	}
	groups, err := api.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: user})
	if err != nil {
		return nil, call(reading, "iam:ListGroupsForUser", err)
	}
	for _, g := range groups.Groups {
		st.groups = append(st.groups, aws.ToString(g.GroupName))
	}
	if r.o.Strategy == StrategyRole {
		role, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(r.o.RoleName)})
		switch {
		case err == nil:
			st.roleExists = true
			st.roleTrust = decodeDocument(aws.ToString(role.Role.AssumeRolePolicyDocument))
		case isNoSuchEntity(err):
		default:
			return nil, call(reading, "iam:GetRole", err)
		}
		if r.o.DetachGroups && len(r.o.RolePolicies) == 0 {
			for _, g := range st.groups {
				ga, err := api.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String(g)})
				if err != nil {
					return nil, call(reading, "iam:ListAttachedGroupPolicies", err)
				}
				for _, a := range ga.AttachedPolicies {
					st.groupManaged = append(st.groupManaged, aws.ToString(a.PolicyArn))
				}
				gn, err := api.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: aws.String(g)})
				if err != nil {
					return nil, call(reading, "iam:ListGroupPolicies", err)
				}
				for _, n := range gn.PolicyNames {
					doc, err := api.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String(g), PolicyName: aws.String(n)})
					if err != nil {
						return nil, call(reading, "iam:GetGroupPolicy", err)
					}
					st.groupInline[g+"-"+n] = decodeDocument(aws.ToString(doc.PolicyDocument))
				}
			}
		}
	}
	// The probe of the lock: what the key alone may do before.
	r.keyCouldList = r.env.AWS.ListBuckets(ctx, r.env.Key) == nil
	cfg, err := awsconfig.Load(r.env.Paths)
	if err != nil {
		return nil, fmt.Errorf("reading the AWS config: %w", err)
	}
	if st.profile, err = cfg.Profile(r.o.Profile); err != nil {
		return nil, err
	}
	st.wired = awsconfig.IsOwnCredentialProcess(st.profile.CredentialProcess, r.o.Profile)
	if r.o.Strategy == StrategyRole {
		if p, err := cfg.Profile(r.o.RoleProfile); err == nil {
			st.roleProfile = p
		}
	}
	return st, nil
}

// plan computes the changes from st. The order is the safe one: nothing of
// the user's permissions goes before the role is proven.
func (r *runner) plan(st *state) ([]Change, error) {
	var plan []Change
	user := r.who.User
	if r.env.KeyInPlaintext {
		plan = append(plan, Change{Kind: KindImportKey, Profile: r.o.Profile})
	}
	serial := st.profile.MFASerial
	switch {
	case serial != "" && slices.Contains(st.devices, serial):
	case serial != "":
		return nil, fmt.Errorf("profile %s names mfa_serial %s, which is not a device of user %s: %w; fix or remove mfa_serial",
			r.o.Profile, serial, user, ErrInput)
	case len(st.devices) == 0:
		serial = fmt.Sprintf("arn:%s:iam::%s:mfa/%s", r.who.Partition, r.who.Account, r.o.DeviceName)
		plan = append(plan, Change{Kind: KindEnrollDevice, User: user, Device: r.o.DeviceName, Serial: serial})
	case len(st.devices) == 1:
		serial = st.devices[0]
	default:
		s, err := r.chooseDevice(st.devices)
		if err != nil {
			return nil, err
		}
		serial = s
	}
	setKey := func(key, value string) {
		old, had := st.profile.Raw[key]
		if had && old == value {
			return
		}
		plan = append(plan, Change{Kind: KindSetProfileKey, Profile: r.o.Profile, Key: key, Value: value, Old: old, HadOld: had})
	}
	setKey("mfa_serial", serial)
	region := st.profile.Region
	if region == "" {
		region = r.env.Region
		setKey("region", region)
	}
	if r.o.YubiKey {
		setKey("mfa_process", ykmanCodeCommand(r.ykName()))
	}

	if r.o.Strategy == StrategyRole {
		trust, err := mfapolicy.TrustPolicy(r.who)
		if err != nil {
			return nil, err
		}
		trustJSON, err := trust.Compact()
		if err != nil {
			return nil, err
		}
		roleARN := r.who.RoleARN(r.o.RoleName)
		if st.roleExists {
			if !sameDocument(st.roleTrust, trustJSON) {
				return nil, fmt.Errorf("role %s exists with another trust policy than awsmfa's: %w; choose another --role-name, or compare with: awsmfa policy trust --role %s",
					r.o.RoleName, ErrInput, r.o.RoleName)
			}
		} else {
			plan = append(plan, Change{Kind: KindCreateRole, User: user, Role: r.o.RoleName, RoleARN: roleARN,
				Document: trustJSON, MaxSession: int32(r.o.MaxSession / time.Second)})
			perms := r.o.RolePolicies
			if len(perms) == 0 {
				perms = append(slices.Clone(st.attached), st.groupManaged...)
			}
			seen := map[string]bool{}
			for _, a := range perms {
				if !seen[a] {
					seen[a] = true
					plan = append(plan, Change{Kind: KindAttachRolePolicy, Role: r.o.RoleName, PolicyARN: a})
				}
			}
			if len(r.o.RolePolicies) == 0 {
				for _, n := range st.inlineNames {
					if n == UserPolicyName || n == DenyPolicyName {
						continue
					}
					plan = append(plan, Change{Kind: KindPutRolePolicy, Role: r.o.RoleName, PolicyName: n, Document: st.inline[n]})
				}
				for _, n := range sortedKeys(st.groupInline) {
					plan = append(plan, Change{Kind: KindPutRolePolicy, Role: r.o.RoleName, PolicyName: n, Document: st.groupInline[n]})
				}
			}
		}
		if st.roleProfile == nil {
			plan = append(plan, Change{Kind: KindRoleProfile, Profile: r.o.RoleProfile, RoleARN: roleARN, Value: r.o.Profile, Region: region})
		} else if st.roleProfile.RoleARN != roleARN || st.roleProfile.SourceProfile != r.o.Profile {
			return nil, fmt.Errorf("profile %s exists and is not role %s sourced from %s: %w; choose another --role-profile",
				r.o.RoleProfile, roleARN, r.o.Profile, ErrInput)
		}
	}
	if !st.wired {
		plan = append(plan, Change{Kind: KindWire, Profile: r.o.Profile, Value: r.env.CredentialProcess})
	}

	switch r.o.Strategy {
	case StrategyRole:
		doc, err := mfapolicy.UserPolicy(r.who)
		if err != nil {
			return nil, err
		}
		userJSON, err := doc.Compact()
		if err != nil {
			return nil, err
		}
		var perms []Change
		old, had := st.inline[UserPolicyName]
		if !had || !sameDocument(old, userJSON) {
			perms = append(perms, Change{Kind: KindPutUserPolicy, User: user, PolicyName: UserPolicyName, Document: userJSON, Old: old, HadOld: had})
		}
		for _, a := range st.attached {
			perms = append(perms, Change{Kind: KindDetachUser, User: user, PolicyARN: a})
		}
		for _, n := range st.inlineNames {
			if n != UserPolicyName {
				perms = append(perms, Change{Kind: KindDeleteUserPolicy, User: user, PolicyName: n, Document: st.inline[n]})
			}
		}
		if r.o.DetachGroups {
			for _, g := range st.groups {
				perms = append(perms, Change{Kind: KindLeaveGroup, User: user, Group: g})
			}
		}
		if len(perms) > 0 {
			plan = append(plan, Change{Kind: KindProveRole, Role: r.o.RoleName, RoleARN: roleARN(r)})
			plan = append(plan, perms...)
		}
	case StrategySession:
		doc := mfapolicy.DenyWithoutMFA()
		denyJSON, err := doc.Compact()
		if err != nil {
			return nil, err
		}
		old, had := st.inline[DenyPolicyName]
		if !had || !sameDocument(old, denyJSON) {
			plan = append(plan, Change{Kind: KindPutUserPolicy, User: user, PolicyName: DenyPolicyName, Document: denyJSON, Old: old, HadOld: had})
		}
	}
	if len(plan) > 0 {
		plan = append(plan, Change{Kind: KindProveLock, Role: r.o.RoleName, RoleARN: roleARN(r), Serial: serial})
	}
	// Every check and the enrollment need the device's serial.
	for i := range plan {
		if plan[i].isCheck() {
			plan[i].Serial = serial
		}
	}
	return plan, nil
}

func roleARN(r *runner) string {
	if r.o.Strategy != StrategyRole {
		return ""
	}
	return r.who.RoleARN(r.o.RoleName)
}

func (r *runner) warnGroups(st *state) {
	if len(st.groups) == 0 {
		return
	}
	switch {
	case r.o.Strategy == StrategySession:
		r.say("note: user %s is in groups %s; the deny-without-MFA policy covers their permissions too", r.who.User, strings.Join(st.groups, ", "))
	case !r.o.DetachGroups:
		r.say("warning: user %s is in groups %s, whose permissions the key keeps without MFA; setup cannot remove them without affecting the groups' other members",
			r.who.User, strings.Join(st.groups, ", "))
		r.say("hint: awsmfa setup --detach-groups %s (removes the user from these groups; their policies go to the role)", r.o.Profile)
	}
}

func (r *runner) chooseDevice(devices []string) (string, error) {
	t := r.env.Terminal
	if t == nil {
		return "", fmt.Errorf("user %s has %d MFA devices (%s) and profile %s names none: %w; set mfa_serial in the profile to one of them",
			r.who.User, len(devices), strings.Join(devices, ", "), r.o.Profile, ErrInput)
	}
	var b strings.Builder
	for i, d := range devices {
		fmt.Fprintf(&b, "  %d. %s\n", i+1, d)
	}
	if err := t.Say("User %s has these MFA devices:\n%s", r.who.User, b.String()); err != nil {
		return "", err
	}
	for range 3 {
		a, err := t.ReadLine("Which one should profile " + r.o.Profile + " use? ")
		if err != nil {
			return "", fmt.Errorf("reading the answer: %w", err)
		}
		var n int
		if _, err := fmt.Sscanf(strings.TrimSpace(a), "%d", &n); err == nil && n >= 1 && n <= len(devices) {
			return devices[n-1], nil
		}
	}
	return "", fmt.Errorf("choosing an MFA device: no valid choice in 3 attempts: %w", ErrInput)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// sameDocument compares two policy documents by meaning, not spelling.
func sameDocument(a, b string) bool {
	da, err1 := mfapolicy.Parse([]byte(a))
	db, err2 := mfapolicy.Parse([]byte(b))
	if err1 != nil || err2 != nil {
		return a == b
	}
	ca, err1 := da.Compact()
	cb, err2 := db.Compact()
	return err1 == nil && err2 == nil && ca == cb
}
