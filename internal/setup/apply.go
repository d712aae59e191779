package setup

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/awsmfa/awsmfa/internal/awsconfig"
)

// IncompleteError is a failure whose rollback could not finish: what remains
// is in the record, and Command finishes undoing it.
type IncompleteError struct {
	Err       error
	Remaining []Change
	Command   string
}

func (e *IncompleteError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v; rolling back failed, %d change(s) remain:", e.Err, len(e.Remaining))
	for _, c := range e.Remaining {
		b.WriteString(" [" + c.String() + "]")
	}
	return b.String()
}

func (e *IncompleteError) Unwrap() error { return e.Err }

// apply runs the plan change by change. Each applied change is recorded
// before the next starts; a failure undoes this run's changes, last first.
func (r *runner) apply(ctx context.Context, plan []Change) error {
	rec, err := LoadRecord(r.env.RecordPath)
	if err != nil {
		return err
	}
	rec.Profile, rec.UserARN, rec.Strategy = r.o.Profile, r.who.UserARN(), r.o.Strategy
	for _, c := range plan {
		if c.Kind == KindProveLock {
			rec.Serial, rec.RoleARN = c.Serial, c.RoleARN
		}
	}
	r.serial, r.roleARN = rec.Serial, rec.RoleARN
	before := len(rec.Changes)
	rec.Complete = false
	for i, c := range plan {
		r.say("step %d/%d: %s", i+1, len(plan), c)
		applied, err := r.applyOne(ctx, c)
		if err == nil && applied != nil && !c.isCheck() {
			rec.Changes = append(rec.Changes, *applied)
			err = rec.save(ctx, r.env.RecordPath)
		}
		if err != nil {
			if errors.Is(err, ErrNotLocked) {
				// Everything is in place and recorded; what lets the key
				// through is outside setup's changes (a group, another
				// policy). Undoing would only unlock it further.
				return fmt.Errorf("%w (the changes stay; awsmfa setup --undo %s reverts them)", err, r.o.Profile)
			}
			return r.rollback(ctx, rec, before, err)
		}
	}
	rec.Complete = true
	if err := rec.save(ctx, r.env.RecordPath); err != nil {
		return err
	}
	r.out("profile %s is locked with MFA", r.o.Profile)
	return nil
}

// rollback undoes the changes recorded from index from on, last first.
func (r *runner) rollback(ctx context.Context, rec *Record, from int, cause error) error {
	if len(rec.Changes) == from {
		return cause
	}
	r.say("rolling back %d change(s) of this run", len(rec.Changes)-from)
	// A cancelled run still rolls back.
	ctx = context.WithoutCancel(ctx)
	for len(rec.Changes) > from {
		c := rec.Changes[len(rec.Changes)-1]
		if err := r.undo(ctx, c, true); err != nil {
			r.say("rolling back failed at: %s: %v", c, err)
			return &IncompleteError{Err: cause, Remaining: append([]Change(nil), rec.Changes[from:]...),
				Command: "awsmfa setup --undo --delete-device " + r.o.Profile}
		}
		rec.Changes = rec.Changes[:len(rec.Changes)-1]
		if err := rec.save(ctx, r.env.RecordPath); err != nil {
			return &IncompleteError{Err: cause, Remaining: append([]Change(nil), rec.Changes[from:]...),
				Command: "awsmfa setup --undo --delete-device " + r.o.Profile}
		}
	}
	r.say("rolled back: the account and the files are as they were")
	return cause
}

// applyOne applies c and returns it as it is to be recorded.
func (r *runner) applyOne(ctx context.Context, c Change) (*Change, error) {
	step := c.String()
	var err error
	switch c.Kind {
	case KindImportKey:
		err = r.env.ImportKey(ctx)
	case KindEnrollDevice:
		err = r.enroll(ctx, c)
	case KindSetProfileKey:
		err = awsconfig.SetProfileKey(ctx, r.env.Paths, c.Profile, c.Key, c.Value)
	case KindCreateRole:
		err = r.withIAM(ctx, func(api IAM) error {
			_, err := api.CreateRole(ctx, &iam.CreateRoleInput{
				RoleName:                 aws.String(c.Role),
				AssumeRolePolicyDocument: aws.String(c.Document),
				MaxSessionDuration:       aws.Int32(c.MaxSession),
				Description:              aws.String("awsmfa: assumed by " + c.User + " with MFA"),
			})
			return err
		})
		err = call(step, "iam:CreateRole", err)
	case KindAttachRolePolicy:
		err = r.withIAM(ctx, func(api IAM) error {
			_, err := api.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(c.Role), PolicyArn: aws.String(c.PolicyARN)})
			return err
		})
		err = call(step, "iam:AttachRolePolicy", err)
	case KindPutRolePolicy:
		err = r.withIAM(ctx, func(api IAM) error {
			_, err := api.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(c.Role), PolicyName: aws.String(c.PolicyName), PolicyDocument: aws.String(c.Document)})
			return err
		})
		err = call(step, "iam:PutRolePolicy", err)
	case KindRoleProfile:
		err = writeRoleProfile(ctx, r.env.Paths, c)
	case KindWire:
		var w *awsconfig.Wiring
		w, err = awsconfig.Wire(ctx, r.env.Paths, c.Profile, c.Value, nil)
		if err == nil {
			for _, warn := range w.Warnings {
				r.say("warning: %s", warn)
			}
		}
	case KindPutUserPolicy:
		err = r.withIAM(ctx, func(api IAM) error {
			_, err := api.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(c.User), PolicyName: aws.String(c.PolicyName), PolicyDocument: aws.String(c.Document)})
			return err
		})
		err = call(step, "iam:PutUserPolicy", err)
	case KindDetachUser:
		err = r.withIAM(ctx, func(api IAM) error {
			_, err := api.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String(c.User), PolicyArn: aws.String(c.PolicyARN)})
			return err
		})
		err = call(step, "iam:DetachUserPolicy", err)
	case KindDeleteUserPolicy:
		err = r.withIAM(ctx, func(api IAM) error {
			_, err := api.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String(c.User), PolicyName: aws.String(c.PolicyName)})
			return err
		})
		err = call(step, "iam:DeleteUserPolicy", err)
	case KindLeaveGroup:
		err = r.withIAM(ctx, func(api IAM) error {
			_, err := api.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: aws.String(c.User), GroupName: aws.String(c.Group)})
			return err
		})
		err = call(step, "iam:RemoveUserFromGroup", err)
	case KindProveRole:
		err = r.proveRole(ctx, c)
	case KindProveLock:
		err = r.proveLock(ctx, c)
	default:
		err = fmt.Errorf("unknown change %q", c.Kind)
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// writeRoleProfile adds the role's profile; an existing section is refused
// by the plan, so this only creates.
func writeRoleProfile(ctx context.Context, paths awsconfig.Paths, c Change) error {
	for _, kv := range [][2]string{{"role_arn", c.RoleARN}, {"source_profile", c.Value}, {"region", c.Region}} {
		if kv[1] == "" {
			continue
		}
		if err := awsconfig.SetProfileKey(ctx, paths, c.Profile, kv[0], kv[1]); err != nil {
			return fmt.Errorf("writing profile %s: %w", c.Profile, err)
		}
	}
	return nil
}

// session gets (once per run) the MFA session the proofs use: one code.
func (r *runner) session(ctx context.Context, serial string) (aws.Credentials, error) {
	if r.mfaSession != nil {
		return *r.mfaSession, nil
	}
	var lastErr error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		code, err := r.codeSrc().next(ctx, fmt.Sprintf("MFA code to prove the lock (%s; a new one, not one used to enroll): ", serial), attempt)
		if err != nil {
			return aws.Credentials{}, err
		}
		out, err := r.env.AWS.STS(r.env.Key, true).GetSessionToken(ctx, &sts.GetSessionTokenInput{
			SerialNumber: aws.String(serial), TokenCode: aws.String(code), DurationSeconds: aws.Int32(900),
		})
		if err == nil {
			c := credsOf(out.Credentials)
			r.mfaSession = &c
			r.extra = append(r.extra, c)
			return c, nil
		}
		lastErr = err
		if !isDenied(err) {
			break
		}
		r.say("AWS rejected the code (wrong, or already used): wait for the next one")
	}
	return aws.Credentials{}, call("getting an MFA session", "sts:GetSessionToken", lastErr)
}

func credsOf(c *ststypes.Credentials) aws.Credentials {
	return aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken: aws.ToString(c.SessionToken), CanExpire: true, Expires: aws.ToTime(c.Expiration)}
}

// proveRole assumes the role from an MFA session before the user loses
// anything: never lock the user out. IAM is eventually consistent, so a new
// role may need a few seconds before it can be assumed.
func (r *runner) proveRole(ctx context.Context, c Change) error {
	s, err := r.session(ctx, c.Serial)
	if err != nil {
		return err
	}
	var last error
	for i := range 6 {
		var out *sts.AssumeRoleOutput
		out, last = r.env.AWS.STS(s, false).AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn: aws.String(c.RoleARN), RoleSessionName: aws.String("awsmfa-setup"), DurationSeconds: aws.Int32(900),
		})
		if last == nil {
			r.extra = append(r.extra, roleCreds(out))
			r.out("proven: role %s can be assumed with MFA", c.Role)
			return nil
		}
		if !isDenied(last) || i == 5 {
			break
		}
		if err := r.env.Sleep(ctx, 2*time.Second); err != nil {
			return err
		}
	}
	return fmt.Errorf("role %s cannot be assumed with MFA, so the user's permissions stay: %w", c.Role, call("proving the role", "sts:AssumeRole", last))
}

func roleCreds(out *sts.AssumeRoleOutput) aws.Credentials { return credsOf(out.Credentials) }

// withIAM runs fn with the key, and, when the key is denied, with the MFA
// session and then the role: once awsmfa's user policy is on, the key alone
// may do nothing but enroll and get an MFA session (its deny fires for any
// call without MFA), and once the user's own permissions are gone only the
// role holds them. Without such credentials yet, one MFA code gets them.
func (r *runner) withIAM(ctx context.Context, fn func(IAM) error) error {
	err := fn(r.env.AWS.IAM(r.env.Key))
	if err == nil || !isDenied(err) {
		return err
	}
	if len(r.extra) == 0 && r.serial != "" && !r.escalated {
		r.escalated = true
		if eerr := r.escalate(ctx); eerr != nil {
			r.say("getting MFA credentials for the change: %v", eerr)
			return err
		}
	}
	for _, c := range r.extra {
		err = fn(r.env.AWS.IAM(c))
		if err == nil || !isDenied(err) {
			return err
		}
	}
	return err
}

// escalate gets the MFA session (one code) and, for the role strategy, the
// role's credentials.
func (r *runner) escalate(ctx context.Context) error {
	s, err := r.session(ctx, r.serial)
	if err != nil {
		return err
	}
	if r.roleARN == "" {
		return nil
	}
	out, err := r.env.AWS.STS(s, false).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String(r.roleARN), RoleSessionName: aws.String("awsmfa-setup"), DurationSeconds: aws.Int32(900),
	})
	if err != nil {
		return call("assuming the role with MFA", "sts:AssumeRole", err)
	}
	r.extra = append(r.extra, roleCreds(out))
	return nil
}

// Undo reverts what setup recorded for o.Profile, last change first: the
// user's permissions come back exactly, and what setup created goes (the MFA
// device only with o.DeleteDevice).
func Undo(ctx context.Context, env *Env, o Options) error {
	r := &runner{env: env, o: o}
	rec, err := LoadRecord(env.RecordPath)
	if err != nil {
		return err
	}
	r.serial, r.roleARN = rec.Serial, rec.RoleARN
	if len(rec.Changes) == 0 {
		r.out("setup changed nothing for profile %s: nothing to undo", o.Profile)
		return nil
	}
	r.out("undoing setup of profile %s (%d change(s)):", o.Profile, len(rec.Changes))
	for i := len(rec.Changes) - 1; i >= 0; i-- {
		r.out("  undo: %s", rec.Changes[i])
	}
	if o.DryRun {
		r.out("dry run: nothing changed")
		return nil
	}
	for len(rec.Changes) > 0 {
		c := rec.Changes[len(rec.Changes)-1]
		if err := r.undo(ctx, c, o.DeleteDevice); err != nil {
			return &IncompleteError{Err: err, Remaining: rec.Changes, Command: "awsmfa setup --undo " + o.Profile}
		}
		rec.Changes = rec.Changes[:len(rec.Changes)-1]
		if err := rec.save(ctx, env.RecordPath); err != nil {
			return err
		}
	}
	r.out("undone: profile %s and user %s are as they were before setup", o.Profile, userOf(rec.UserARN))
	return nil
}

func userOf(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
