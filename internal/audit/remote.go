package audit

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/awsmfa/awsmfa/internal/awsconfig"
	"github.com/awsmfa/awsmfa/internal/mfapolicy"
)

// Check IDs of the IAM checks (trust policy findings keep mfapolicy's IDs:
// trust-requires-mfa, trust-no-mfa, trust-boolifexists, …).
const (
	IDKeyIdentity     = "key-identity"   // whose key it is (GetCallerIdentity)
	IDProbe           = "probe"          // the live probe: S3 ListBuckets with the key alone
	IDMFADevice       = "mfa-device"     // the user's MFA devices
	IDAccessKeys      = "access-keys"    // the user's access keys: count, age, last use
	IDAccessKeyAge    = "access-key-age" // an active key older than MaxKeyAge
	IDKeyNotInVault   = "access-key-not-in-vault"
	IDKeyAlone        = "key-alone"        // SimulatePrincipalPolicy without MFA over the high-value actions
	IDAssumeRole      = "assume-role"      // sts:AssumeRole allowed to the key alone on a role whose trust was not read
	IDRoleMissing     = "role-missing"     // a role profile's role does not exist
	IDRoleMaxSession  = "role-max-session" // MaxSessionDuration against the profile's duration_seconds
	IDCheckSkipped    = "check-skipped"    // a check that could not run, naming the permission
	permSimulate      = "iam:SimulatePrincipalPolicy"
	permListMFA       = "iam:ListMFADevices"
	permListKeys      = "iam:ListAccessKeys"
	permKeyLastUsed   = "iam:GetAccessKeyLastUsed"
	permGetRole       = "iam:GetRole"
	defaultMaxSession = 3600
)

// MaxKeyAge is the age after which an active access key should be rotated.
const MaxKeyAge = 90 * 24 * time.Hour

// IAMAPI is the part of the IAM API the audit calls (*iam.Client has it).
type IAMAPI interface {
	ListMFADevices(context.Context, *iam.ListMFADevicesInput, ...func(*iam.Options)) (*iam.ListMFADevicesOutput, error)
	ListAccessKeys(context.Context, *iam.ListAccessKeysInput, ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
	GetAccessKeyLastUsed(context.Context, *iam.GetAccessKeyLastUsedInput, ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error)
	SimulatePrincipalPolicy(context.Context, *iam.SimulatePrincipalPolicyInput, ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error)
	GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error)
}

// STSAPI is the part of the STS API the audit calls.
type STSAPI interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// API is one set of credentials' view of AWS.
type API struct {
	IAM IAMAPI
	STS STSAPI
	// KeyID is the access key id the calls are signed with.
	KeyID string
	// ListBuckets is S3's ListBuckets (`aws s3 ls`): nil when allowed, a
	// smithy.APIError when S3 refused.
	ListBuckets func(context.Context) error
}

// AWS hands out APIs for profiles. Errors it returns end the audit (a locked
// vault, an unreachable AWS), except from MFA and Role, whose failures make
// the checks that needed them say so.
type AWS interface {
	// Key signs with profile's long-term key alone: no MFA, as a thief would.
	Key(ctx context.Context, profile string) (API, error)
	// MFA signs with profile's MFA session; the first call may ask for the
	// one MFA code the audit of profile needs.
	MFA(ctx context.Context, profile string) (API, error)
	// Role signs with role profile's credentials, assumed from its key's MFA
	// session (no further code).
	Role(ctx context.Context, profile string) (API, error)
	// SessionLength is how long awsmfa's MFA session of profile lasts.
	SessionLength(profile string) (time.Duration, error)
}

// IAMOptions say what the IAM checks look at.
type IAMOptions struct {
	Config *awsconfig.Config
	// Profiles are the key profiles to audit; VaultProfiles every profile
	// whose key the vault holds (their keys count as "in the vault").
	Profiles      []string
	VaultProfiles []string
	// Probe makes the live call (S3 ListBuckets) with each key alone.
	Probe bool
	Now   time.Time
}

// IAM runs the IAM checks of every key profile in o.Profiles: who the key
// is, its MFA devices and access keys, what it may do without MFA
// (SimulatePrincipalPolicy, and the live probe), and the trust policies and
// session limits of the roles the config assumes with it. Each check first
// tries the key alone, then the MFA session (at most one code per key
// profile), then the profile's roles; a check that none of them may run
// yields a check-skipped finding naming the permission.
func IAM(ctx context.Context, a AWS, o IAMOptions) ([]Finding, error) {
	vaultIDs := map[string]string{}
	for _, p := range o.VaultProfiles {
		api, err := a.Key(ctx, p)
		if err != nil {
			return nil, err
		}
		vaultIDs[api.KeyID] = p
	}
	var out []Finding
	if len(o.Profiles) == 0 {
		out = append(out, Finding{ID: IDCheckSkipped, Severity: OK, Resource: "vault",
			Message: "the vault holds no key, so no IAM check ran (awsmfa import or awsmfa add puts one there)"})
	}
	for _, p := range o.Profiles {
		fs, err := auditKey(ctx, a, o, p, vaultIDs)
		if err != nil {
			return nil, err
		}
		out = append(out, fs...)
	}
	return out, nil
}

// roleProfile is a role profile whose chain ends at the audited key.
type roleProfile struct {
	name     string
	arn      string
	duration int
	serial   string // the mfa_serial along its chain
}

// rolesOf lists the role profiles whose source chain ends at key.
func rolesOf(cfg *awsconfig.Config, key string, vault []string) []roleProfile {
	var out []roleProfile
	holds := func(p string) bool { return slices.Contains(vault, p) }
	for _, n := range cfg.ProfileNames() {
		p, err := cfg.Profile(n)
		if err != nil || p.RoleARN == "" {
			continue
		}
		chain, err := cfg.SourceChain(n, holds)
		if err != nil || len(chain) < 2 || chain[len(chain)-1].Name != key {
			continue
		}
		out = append(out, roleProfile{name: n, arn: p.RoleARN, duration: p.DurationSeconds, serial: awsconfig.ChainMFASerial(chain)})
	}
	return out
}

func auditKey(ctx context.Context, a AWS, o IAMOptions, profile string, vaultIDs map[string]string) ([]Finding, error) {
	key, err := a.Key(ctx, profile)
	if err != nil {
		return nil, err
	}
	var vaultNames []string
	for _, n := range vaultIDs {
		vaultNames = append(vaultNames, n)
	}
	roles := rolesOf(o.Config, profile, vaultNames)
	k := &keyAudit{a: a, o: o, profile: profile, key: key, roles: roles, vaultIDs: vaultIDs}
	if p, err := o.Config.Profile(profile); err == nil {
		k.serial = p.MFASerial
	}

	id, err := key.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		if fatal(err) {
			return nil, err
		}
		return []Finding{{ID: IDKeyIdentity, Severity: Warning, Profile: profile, Resource: maskKey(key.KeyID),
			Message: fmt.Sprintf("AWS does not accept the key of profile %s (%s): deleted, deactivated or mistyped?", profile, apiCode(err)),
			Fix:     "awsmfa add " + shellWord(profile)}}, nil
	}
	arn := aws.ToString(id.Arn)
	k.userARN = arn
	switch {
	case strings.HasSuffix(arn, ":root"):
		k.add(Finding{ID: IDKeyIdentity, Severity: Critical, Resource: arn,
			Message: fmt.Sprintf("profile %s holds an access key of the account's root user, which no policy can restrict; AWS recommends root have no access keys", profile),
			Fix:     "delete the root user's access keys in the console (Security credentials), then: awsmfa remove " + shellWord(profile)})
		return k.out, nil
	case !strings.Contains(arn, ":user/"):
		k.add(Finding{ID: IDKeyIdentity, Severity: Warning, Resource: arn,
			Message: fmt.Sprintf("the key of profile %s is not an IAM user's (%s); the user checks do not apply", profile, arn)})
		return k.out, nil
	}
	k.user = arn[strings.LastIndex(arn, "/")+1:]
	k.add(Finding{ID: IDKeyIdentity, Severity: OK, Resource: arn, Message: fmt.Sprintf("the key of profile %s is IAM user %s's (%s)", profile, k.user, maskKey(key.KeyID))})

	steps := []func(context.Context) error{k.probe, k.mfaDevices, k.accessKeys, k.keyAlone, k.roleChecks}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	return k.out, nil
}

// keyAudit is the audit of one key profile.
type keyAudit struct {
	a        AWS
	o        IAMOptions
	profile  string
	key      API
	roles    []roleProfile
	vaultIDs map[string]string
	userARN  string
	user     string
	serial   string // the key profile's own mfa_serial
	out      []Finding

	mfa       *API
	mfaErr    error
	roleAPIs  map[string]*API
	roleErrs  map[string]error
	trustRead map[string]bool // role ARNs whose trust policy was read
}

func (k *keyAudit) add(f Finding) {
	if f.Profile == "" {
		f.Profile = k.profile
	}
	k.out = append(k.out, f)
}

// errSkipped is a check that no credentials at hand may run.
type errSkipped struct {
	perm  string
	tried []string
}

func (e *errSkipped) Error() string {
	return fmt.Sprintf("%s was denied to %s", e.perm, strings.Join(e.tried, ", "))
}

// ladder runs call with the key alone, then the MFA session, then each role
// profile, until one is allowed. A denial moves on; anything else but a
// fatal error is returned as is.
func (k *keyAudit) ladder(ctx context.Context, perm string, call func(API) error) error {
	skipped := &errSkipped{perm: perm}
	err := call(k.key)
	if err == nil || !denied(err) {
		return err
	}
	skipped.tried = append(skipped.tried, "the key alone")
	mfa, err := k.mfaAPI(ctx)
	if err != nil {
		if fatal(err) {
			return err
		}
		skipped.tried = append(skipped.tried, fmt.Sprintf("an MFA session, which could not be had (%v)", err))
		return skipped
	}
	if err := call(mfa); err == nil || !denied(err) {
		return err
	}
	skipped.tried = append(skipped.tried, "its MFA session")
	for _, r := range k.roles {
		api, err := k.roleAPI(ctx, r.name)
		if err != nil {
			if fatal(err) {
				return err
			}
			skipped.tried = append(skipped.tried, fmt.Sprintf("role profile %s, which could not be assumed (%v)", r.name, err))
			continue
		}
		if err := call(api); err == nil || !denied(err) {
			return err
		}
		skipped.tried = append(skipped.tried, "role profile "+r.name)
	}
	return skipped
}

func (k *keyAudit) mfaAPI(ctx context.Context) (API, error) {
	if k.mfa == nil && k.mfaErr == nil {
		// A key profile without mfa_serial whose role profile names one (as
		// the AWS CLI's examples write them): the role's request gets the
		// MFA session with that device, and the key's is then served from
		// the session it cached, without a second code.
		if k.serial == "" {
			for _, r := range k.roles {
				if r.serial != "" {
					k.ensureRoles()
					api, err := k.a.Role(ctx, r.name)
					if err != nil {
						k.roleErrs[r.name] = err
					} else {
						k.roleAPIs[r.name] = &api
					}
					break
				}
			}
		}
		api, err := k.a.MFA(ctx, k.profile)
		if err != nil {
			k.mfaErr = err
		} else {
			k.mfa = &api
		}
	}
	if k.mfaErr != nil {
		return API{}, k.mfaErr
	}
	return *k.mfa, nil
}

func (k *keyAudit) ensureRoles() {
	if k.roleAPIs == nil {
		k.roleAPIs, k.roleErrs = map[string]*API{}, map[string]error{}
	}
}

func (k *keyAudit) roleAPI(ctx context.Context, profile string) (API, error) {
	k.ensureRoles()
	if err, ok := k.roleErrs[profile]; ok {
		return API{}, err
	}
	if api, ok := k.roleAPIs[profile]; ok {
		return *api, nil
	}
	if _, err := k.mfaAPI(ctx); err != nil {
		return API{}, err
	}
	api, err := k.a.Role(ctx, profile)
	if err != nil {
		k.roleErrs[profile] = err
		return API{}, err
	}
	k.roleAPIs[profile] = &api
	return api, nil
}

// handle turns a check's failure into a finding; fatal errors stay errors.
func (k *keyAudit) handle(what string, err error) error {
	var s *errSkipped
	switch {
	case err == nil:
		return nil
	case errors.As(err, &s):
		k.add(Finding{ID: IDCheckSkipped, Severity: Warning, Resource: s.perm,
			Message: fmt.Sprintf("could not %s: %s", what, s.Error()),
			Fix:     fmt.Sprintf("allow %s on %s to the user with MFA, or to one of its role profiles", s.perm, k.userARN)})
		return nil
	case fatal(err):
		return err
	}
	k.add(Finding{ID: IDCheckSkipped, Severity: Warning, Resource: what,
		Message: fmt.Sprintf("could not %s: AWS answered %s", what, apiCode(err))})
	return nil
}

// probe makes one read-only call with the key alone, which must be denied:
// seed 002's "test it out", `aws s3 ls --profile myuser`.
func (k *keyAudit) probe(ctx context.Context) error {
	if !k.o.Probe || k.key.ListBuckets == nil {
		return nil
	}
	err := k.key.ListBuckets(ctx)
	switch {
	case err == nil:
		k.add(Finding{ID: IDProbe, Severity: Critical, Resource: "s3:ListAllMyBuckets",
			Message: "the key alone listed the S3 buckets (aws s3 ls): it works without MFA",
			Fix:     "awsmfa setup " + shellWord(k.profile)})
	case denied(err):
		k.add(Finding{ID: IDProbe, Severity: OK, Resource: "s3:ListAllMyBuckets",
			Message: "the key alone is denied S3 ListBuckets (aws s3 ls)"})
	case fatal(err):
		return err
	default:
		k.add(Finding{ID: IDProbe, Severity: Warning, Resource: "s3:ListAllMyBuckets",
			Message: fmt.Sprintf("the live probe (S3 ListBuckets with the key alone) ended with %s, neither allowed nor denied", apiCode(err))})
	}
	return nil
}

func (k *keyAudit) mfaDevices(ctx context.Context) error {
	var serials []string
	err := k.ladder(ctx, permListMFA, func(api API) error {
		out, err := api.IAM.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String(k.user)})
		if err != nil {
			return err
		}
		serials = serials[:0]
		for _, d := range out.MFADevices {
			serials = append(serials, aws.ToString(d.SerialNumber))
		}
		return nil
	})
	if err != nil {
		return k.handle("list the user's MFA devices", err)
	}
	if len(serials) == 0 {
		k.add(Finding{ID: IDMFADevice, Severity: Critical, Resource: k.userARN,
			Message: fmt.Sprintf("user %s has no MFA device: nothing can require MFA of its key", k.user),
			Fix:     "awsmfa setup " + shellWord(k.profile)})
		return nil
	}
	k.add(Finding{ID: IDMFADevice, Severity: OK, Resource: k.userARN,
		Message: fmt.Sprintf("user %s has %d MFA device(s): %s", k.user, len(serials), strings.Join(serials, ", "))})
	return nil
}

func (k *keyAudit) accessKeys(ctx context.Context) error {
	var keys []iamtypes.AccessKeyMetadata
	err := k.ladder(ctx, permListKeys, func(api API) error {
		out, err := api.IAM.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(k.user)})
		if err == nil {
			keys = out.AccessKeyMetadata
		}
		return err
	})
	if err != nil {
		return k.handle("list the user's access keys", err)
	}
	var summary []string
	active := 0
	for _, m := range keys {
		id := aws.ToString(m.AccessKeyId)
		age := k.o.Now.Sub(aws.ToTime(m.CreateDate))
		used := "never used"
		var last *time.Time
		err := k.ladder(ctx, permKeyLastUsed, func(api API) error {
			out, err := api.IAM.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(id)})
			if err == nil && out.AccessKeyLastUsed != nil {
				last = out.AccessKeyLastUsed.LastUsedDate
			}
			return err
		})
		switch {
		case err != nil:
			var s *errSkipped
			if !errors.As(err, &s) && fatal(err) {
				return err
			}
			used = "last use unknown"
		case last != nil:
			used = "last used " + days(k.o.Now.Sub(*last)) + " ago"
		}
		where, inVault := k.vaultIDs[id]
		status := string(m.Status)
		line := fmt.Sprintf("%s (%s, created %s ago, %s", maskKey(id), strings.ToLower(status), days(age), used)
		if inVault {
			line += ", in the vault as " + where
		}
		summary = append(summary, line+")")
		if m.Status != iamtypes.StatusTypeActive {
			continue
		}
		active++
		if !inVault {
			k.add(Finding{ID: IDKeyNotInVault, Severity: Warning, Resource: maskKey(id),
				Message: fmt.Sprintf("user %s has an active access key %s (created %s ago, %s) that is not in awsmfa's vault: wherever it is kept, it is not behind awsmfa", k.user, maskKey(id), days(age), used),
				Fix: fmt.Sprintf("awsmfa exec %s -- aws iam update-access-key --user-name %s --access-key-id %s --status Inactive",
					shellWord(k.profile), shellWord(k.user), id)})
		}
		if age > MaxKeyAge {
			fix := "awsmfa rotate " + shellWord(k.profile)
			if inVault {
				fix = "awsmfa rotate " + shellWord(where)
			}
			k.add(Finding{ID: IDAccessKeyAge, Severity: Warning, Resource: maskKey(id),
				Message: fmt.Sprintf("access key %s of user %s is %s old, more than %s: rotate it", maskKey(id), k.user, days(age), days(MaxKeyAge)),
				Fix:     fix})
		}
	}
	k.add(Finding{ID: IDAccessKeys, Severity: OK, Resource: k.userARN,
		Message: fmt.Sprintf("user %s has %d access key(s), %d active: %s", k.user, len(keys), active, strings.Join(summary, "; "))})
	return nil
}

func days(d time.Duration) string {
	n := int(d / (24 * time.Hour))
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", max(n, 0))
}

// keyAlone asks SimulatePrincipalPolicy, with no MFA in the context, which
// of the high-value actions the user's policies (its own, its groups',
// managed and inline) allow. Each must be denied; each allowing policy is a
// critical finding listing what it allows.
func (k *keyAudit) keyAlone(ctx context.Context) error {
	actions := mfapolicy.ProbeActions()
	var results []iamtypes.EvaluationResult
	err := k.ladder(ctx, permSimulate, func(api API) error {
		results = results[:0]
		return simulate(ctx, api, k.userARN, actions, nil, &results)
	})
	if err != nil {
		return k.handle("simulate what the key may do without MFA", err)
	}
	type grant struct {
		policy  string
		actions []string
	}
	var grants []*grant
	byPolicy := map[string]*grant{}
	for _, r := range results {
		if r.EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed {
			continue
		}
		action := aws.ToString(r.EvalActionName)
		names := policyNames(r.MatchedStatements)
		if len(names) == 0 {
			names = []string{"an unnamed policy"}
		}
		for _, n := range names {
			g := byPolicy[n]
			if g == nil {
				g = &grant{policy: n}
				byPolicy[n] = g
				grants = append(grants, g)
			}
			if !slices.Contains(g.actions, action) {
				g.actions = append(g.actions, action)
			}
		}
	}
	for _, g := range grants {
		k.add(Finding{ID: IDKeyAlone, Severity: Critical, Resource: g.policy,
			Message: fmt.Sprintf("without MFA, %s allows the key %d of %d high-value actions: %s", g.policy, len(g.actions), len(actions), strings.Join(g.actions, ", ")),
			Fix:     "awsmfa setup " + shellWord(k.profile)})
	}
	if len(grants) == 0 {
		k.add(Finding{ID: IDKeyAlone, Severity: OK, Resource: k.userARN,
			Message: fmt.Sprintf("without MFA the key is denied all %d high-value actions simulated (IAM writes, S3, ec2:RunInstances, kms:Decrypt, secretsmanager:GetSecretValue, …)", len(actions))})
	}
	return nil
}

// simulate runs SimulatePrincipalPolicy over every page of results.
func simulate(ctx context.Context, api API, arn string, actions, resources []string, out *[]iamtypes.EvaluationResult) error {
	in := &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(arn), ActionNames: actions, ResourceArns: resources}
	for range 100 {
		res, err := api.IAM.SimulatePrincipalPolicy(ctx, in)
		if err != nil {
			return err
		}
		*out = append(*out, res.EvaluationResults...)
		if !res.IsTruncated || res.Marker == nil {
			return nil
		}
		in.Marker = res.Marker
	}
	return nil
}

// policyNames names the policies of matched statements: "user policy X",
// "group policy X", "managed policy ARN".
func policyNames(ms []iamtypes.Statement) []string {
	var out []string
	for _, m := range ms {
		id := aws.ToString(m.SourcePolicyId)
		var n string
		switch t := string(m.SourcePolicyType); t {
		case "user", "group", "role":
			n = t + " policy " + id
		case "aws-managed", "user-managed":
			n = "managed policy " + id
		case "":
			n = "policy " + id
		default:
			n = t + " " + id
		}
		if id != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// roleChecks reads each role the config assumes with this key: its trust
// policy (mfapolicy.CheckTrust), its MaxSessionDuration against the profile's
// duration_seconds, and whether the key alone may call AssumeRole on it.
func (k *keyAudit) roleChecks(ctx context.Context) error {
	length, err := k.a.SessionLength(k.profile)
	if err != nil {
		return err
	}
	k.trustRead = map[string]bool{}
	done := map[string]bool{}
	for _, r := range k.roles {
		name := roleName(r.arn)
		var role *iamtypes.Role
		err := k.ladder(ctx, permGetRole, func(api API) error {
			out, err := api.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
			if err == nil {
				role = out.Role
			}
			return err
		})
		switch {
		case err != nil && apiCode(err) == "NoSuchEntity":
			k.add(Finding{ID: IDRoleMissing, Severity: Warning, Profile: r.name, Resource: r.arn,
				Message: fmt.Sprintf("role %s of profile %s does not exist in the key's account", r.arn, r.name)})
			continue
		case err != nil:
			if err := k.handle(fmt.Sprintf("read role %s of profile %s", name, r.name), err); err != nil {
				return err
			}
			continue
		}
		if !done[r.arn] {
			done[r.arn] = true
			k.trust(r, role, length)
		}
		maxSession := int(aws.ToInt32(role.MaxSessionDuration))
		if maxSession == 0 {
			maxSession = defaultMaxSession
		}
		switch {
		case r.duration > maxSession:
			k.add(Finding{ID: IDRoleMaxSession, Severity: Warning, Profile: r.name, Resource: r.arn,
				Message: fmt.Sprintf("profile %s asks for duration_seconds = %d, but role %s allows at most %d: AssumeRole fails", r.name, r.duration, name, maxSession),
				Fix:     fmt.Sprintf("aws configure set duration_seconds %d --profile %s", maxSession, shellWord(r.name))})
		default:
			want := r.duration
			if want == 0 {
				want = defaultMaxSession
			}
			k.add(Finding{ID: IDRoleMaxSession, Severity: OK, Profile: r.name, Resource: r.arn,
				Message: fmt.Sprintf("profile %s asks for %ds, within role %s's maximum of %ds", r.name, want, name, maxSession)})
		}
	}
	return k.assumeRole(ctx)
}

func (k *keyAudit) trust(r roleProfile, role *iamtypes.Role, length time.Duration) {
	raw := aws.ToString(role.AssumeRolePolicyDocument)
	if dec, err := url.QueryUnescape(raw); err == nil {
		raw = dec
	}
	doc, err := mfapolicy.Parse([]byte(raw))
	if err != nil {
		k.add(Finding{ID: IDCheckSkipped, Severity: Warning, Profile: r.name, Resource: r.arn,
			Message: fmt.Sprintf("cannot read the trust policy of role %s: %v", r.arn, err)})
		return
	}
	k.trustRead[r.arn] = true
	fs := mfapolicy.CheckTrust(doc, mfapolicy.TrustExpectation{SessionLength: length})
	fix := fmt.Sprintf(`aws iam update-assume-role-policy --role-name %s --policy-document "$(awsmfa policy trust --profile %s)"`,
		shellWord(roleName(r.arn)), shellWord(k.profile))
	for _, f := range fs {
		af := Finding{ID: f.ID, Severity: f.Severity, Profile: r.name, Resource: r.arn,
			Message: fmt.Sprintf("trust policy of role %s: %s", roleName(r.arn), f.Message)}
		if f.Severity != OK {
			af.Fix = fix
		}
		k.add(af)
	}
}

// assumeRole simulates sts:AssumeRole on each role without MFA. An allow
// matters only where the role's trust policy could not be read: where it
// was, the trust findings already say whether MFA is required.
func (k *keyAudit) assumeRole(ctx context.Context) error {
	var arns []string
	for _, r := range k.roles {
		if !slices.Contains(arns, r.arn) && !k.trustRead[r.arn] {
			arns = append(arns, r.arn)
		}
	}
	if len(arns) == 0 {
		return nil
	}
	var results []iamtypes.EvaluationResult
	err := k.ladder(ctx, permSimulate, func(api API) error {
		results = results[:0]
		return simulate(ctx, api, k.userARN, []string{"sts:AssumeRole"}, arns, &results)
	})
	if err != nil {
		return k.handle("simulate sts:AssumeRole without MFA", err)
	}
	for _, r := range results {
		if r.EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed {
			continue
		}
		arn := aws.ToString(r.EvalResourceName)
		k.add(Finding{ID: IDAssumeRole, Severity: Warning, Resource: arn,
			Message: fmt.Sprintf("without MFA, %s allows the key sts:AssumeRole on %s, whose trust policy could not be read: only the trust policy stands between the key and the role",
				strings.Join(policyNames(r.MatchedStatements), ", "), arn),
			Fix: "awsmfa setup " + shellWord(k.profile)})
	}
	return nil
}

func roleName(arn string) string {
	_, rest, ok := strings.Cut(arn, ":role/")
	if !ok {
		return arn
	}
	return rest[strings.LastIndex(rest, "/")+1:]
}

// denied reports whether AWS refused the call for want of permission.
func denied(err error) bool {
	switch apiCode(err) {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess", "Forbidden":
		return true
	}
	return false
}

// fatal reports whether err ends the audit: not an answer of AWS's about
// this call (the network, the vault, a cancelled context).
func fatal(err error) bool {
	var ae smithy.APIError
	return !errors.As(err, &ae) && !isAskFailure(err)
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
