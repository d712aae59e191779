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
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/awsmfa/awsmfa/internal/awsconfig"
)

// account is a fake AWS account as the proof sees it after setup: what
// SimulatePrincipalPolicy says the key alone may do, whether the key alone
// may still list the buckets, and the roles' trust policies.
type account struct {
	keyID string
	// simAllowed are the actions the simulation allows without MFA.
	simAllowed []string
	// keyLists is how many more times S3 ListBuckets lets the key alone
	// through before denying it (IAM's eventual consistency).
	keyLists int
	trust    map[string]string // role name → trust policy
	simCalls int
}

func denial() error {
	return &smithy.GenericAPIError{Code: "AccessDenied", Message: "denied"}
}

type accountIAM struct {
	IAM // the proof calls nothing else
	a   *account
}

func (f accountIAM) ListMFADevices(context.Context, *iam.ListMFADevicesInput, ...func(*iam.Options)) (*iam.ListMFADevicesOutput, error) {
	return &iam.ListMFADevicesOutput{MFADevices: []iamtypes.MFADevice{{SerialNumber: aws.String("arn:aws:iam::123456789012:mfa/alice")}}}, nil
}

func (f accountIAM) ListAccessKeys(context.Context, *iam.ListAccessKeysInput, ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error) {
	return &iam.ListAccessKeysOutput{AccessKeyMetadata: []iamtypes.AccessKeyMetadata{{
		AccessKeyId: aws.String(f.a.keyID), Status: iamtypes.StatusTypeActive, CreateDate: aws.Time(time.Now()),
	}}}, nil
}

func (f accountIAM) GetAccessKeyLastUsed(context.Context, *iam.GetAccessKeyLastUsedInput, ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error) {
	return &iam.GetAccessKeyLastUsedOutput{}, nil
}

func (f accountIAM) SimulatePrincipalPolicy(_ context.Context, in *iam.SimulatePrincipalPolicyInput, _ ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error) {
	f.a.simCalls++
	var out iam.SimulatePrincipalPolicyOutput
	for _, action := range in.ActionNames {
		r := iamtypes.EvaluationResult{EvalActionName: aws.String(action), EvalDecision: iamtypes.PolicyEvaluationDecisionTypeImplicitDeny}
		if slices.Contains(f.a.simAllowed, action) {
			r.EvalDecision = iamtypes.PolicyEvaluationDecisionTypeAllowed
			r.MatchedStatements = []iamtypes.Statement{{SourcePolicyId: aws.String("leaky"), SourcePolicyType: "user"}}
		}
		out.EvaluationResults = append(out.EvaluationResults, r)
	}
	return &out, nil
}

func (f accountIAM) GetRole(_ context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	doc, ok := f.a.trust[aws.ToString(in.RoleName)]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "NoSuchEntity", Message: "no role"}
	}
	return &iam.GetRoleOutput{Role: &iamtypes.Role{RoleName: in.RoleName, AssumeRolePolicyDocument: aws.String(doc), MaxSessionDuration: aws.Int32(43200)}}, nil
}

type accountSTS struct{ STS }

func (accountSTS) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return &sts.GetCallerIdentityOutput{Arn: aws.String("arn:aws:iam::123456789012:user/alice")}, nil
}

func (accountSTS) GetSessionToken(context.Context, *sts.GetSessionTokenInput, ...func(*sts.Options)) (*sts.GetSessionTokenOutput, error) {
	return &sts.GetSessionTokenOutput{Credentials: &ststypes.Credentials{AccessKeyId: aws.String("ASIAMFASESSION"),
		SecretAccessKey: aws.String("s"), SessionToken: aws.String("t"), Expiration: aws.Time(time.Now().Add(time.Hour))}}, nil
}

func (accountSTS) AssumeRole(context.Context, *sts.AssumeRoleInput, ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	return &sts.AssumeRoleOutput{Credentials: &ststypes.Credentials{AccessKeyId: aws.String("ASIAROLE"),
		SecretAccessKey: aws.String("s"), SessionToken: aws.String("t"), Expiration: aws.Time(time.Now().Add(time.Hour))}}, nil
}

type accountAWS struct{ a *account }

func (f accountAWS) IAM(aws.Credentials) IAM       { return accountIAM{a: f.a} }
func (f accountAWS) STS(aws.Credentials, bool) STS { return accountSTS{} }
func (f accountAWS) ListBuckets(_ context.Context, c aws.Credentials) error {
	if c.AccessKeyID != f.a.keyID {
		return nil
	}
	if f.a.keyLists > 0 {
		f.a.keyLists--
		return nil
	}
	return denial()
}

type oneCode struct{ asked int }

func (t *oneCode) Say(string, ...any) error { return nil }
func (t *oneCode) ReadLine(string) (string, error) {
	t.asked++
	return "123456", nil
}

// TestProveLockRunsTheAudit: setup's proof judges the key alone with
// audit's IAM checks, the engine of `awsmfa audit` (issue 8, step 6): what
// the simulation without MFA allows fails the proof, as the live probe does;
// IAM's delay is waited out; findings setup did not cause (another role's
// trust policy) are printed, not judged.
func TestProveLockRunsTheAudit(t *testing.T) {
	const boolIfExists = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}}]}`
	for _, tc := range []struct {
		name       string
		a          account
		config     string
		wantErr    bool
		wantOut    []string
		wantNote   string
		wantSleeps int
	}{
		{name: "locked",
			a:       account{},
			wantOut: []string{"proven: the key alone is denied S3 ListBuckets, which it was allowed before", "proven: without MFA the key is denied all 21 high-value actions simulated", "proven: the MFA session is allowed S3 ListBuckets"}},
		{name: "the simulation allows the key alone",
			a:       account{simAllowed: []string{"s3:GetObject", "kms:Decrypt"}},
			wantErr: true, wantOut: []string{"proven: the key alone is denied S3 ListBuckets"}, wantSleeps: 5},
		{name: "the probe allows the key alone",
			a:       account{keyLists: 100},
			wantErr: true, wantSleeps: 5},
		{name: "IAM takes a moment",
			a:          account{keyLists: 2},
			wantOut:    []string{"proven: the key alone is denied S3 ListBuckets"},
			wantSleeps: 2},
		{name: "another role's trust policy is reported",
			a:        account{trust: map[string]string{"legacy": boolIfExists}},
			config:   "[profile legacy]\nrole_arn = arn:aws:iam::123456789012:role/legacy\nsource_profile = dev\n",
			wantOut:  []string{"proven: without MFA the key is denied all"},
			wantNote: "audit: critical: trust policy of role legacy: statement 0 lets a long-term access key assume the role without MFA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			paths := awsconfig.Paths{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")}
			config := "[profile dev]\nregion = us-east-1\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n" + tc.config
			if err := os.WriteFile(paths.Config, []byte(config), 0o600); err != nil {
				t.Fatal(err)
			}
			a := tc.a
			a.keyID = "AKIAKEYALONE"
			sleeps := 0
			var out, notes bytes.Buffer
			term := &oneCode{}
			env := &Env{AWS: accountAWS{&a}, Key: aws.Credentials{AccessKeyID: a.keyID, SecretAccessKey: "x"}, Paths: paths,
				Out: &out, Notef: func(format string, args ...any) { fmt.Fprintf(&notes, format+"\n", args...) },
				Terminal: term, Now: time.Now,
				Sleep: func(context.Context, time.Duration) error { sleeps++; return nil }}
			r := &runner{env: env, o: Options{Profile: "dev", Strategy: StrategySession}, keyCouldList: true}
			err := r.proveLock(context.Background(), Change{Kind: KindProveLock, Serial: "arn:aws:iam::123456789012:mfa/alice"})
			if got := errors.Is(err, ErrNotLocked); got != tc.wantErr {
				t.Fatalf("proveLock = %v, want ErrNotLocked: %v\nstdout:\n%s", err, tc.wantErr, out.String())
			}
			if tc.wantErr && tc.a.simAllowed != nil && !strings.Contains(err.Error(), "user policy leaky allows the key 2 of 21 high-value actions: s3:GetObject, kms:Decrypt") {
				t.Errorf("the error does not name what the key alone may do: %v", err)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, out.String())
				}
			}
			if tc.wantNote != "" && !strings.Contains(notes.String(), tc.wantNote) {
				t.Errorf("stderr lacks %q:\n%s", tc.wantNote, notes.String())
			}
			if a.simCalls == 0 {
				t.Error("the proof never asked SimulatePrincipalPolicy: it does not run audit's checks")
			}
			if sleeps != tc.wantSleeps {
				t.Errorf("waited %d times for IAM, want %d", sleeps, tc.wantSleeps)
			}
			if term.asked != 1 {
				t.Errorf("asked %d MFA codes, want 1 for the whole proof", term.asked)
			}
		})
	}
}
