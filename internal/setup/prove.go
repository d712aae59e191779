package setup

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/awsmfa/awsmfa/internal/audit"
	"github.com/awsmfa/awsmfa/internal/awsconfig"
)

// proveLock is step 6. With one MFA code, the role (or, for the session
// strategy, the MFA session itself, which keeps e.g. group permissions) is
// allowed S3 ListBuckets; and the key alone is judged by audit's IAM checks,
// the engine `awsmfa audit` runs: the live probe (S3 ListBuckets with the
// key alone, which it was allowed before setup), SimulatePrincipalPolicy
// without MFA over the high-value actions, the user's devices and keys, and
// the trust policies of the roles the config assumes with the key.
//
// A critical finding about what the key alone may do (the probe, the
// simulation) fails the proof: ErrNotLocked. Audit's other findings (an old
// key, another role's trust policy) are printed, not judged: setup did not
// make them and cannot fix them.
func (r *runner) proveLock(ctx context.Context, c Change) error {
	s, err := r.session(ctx, c.Serial)
	if err != nil {
		return err
	}
	withMFA := []aws.Credentials{s}
	names := []string{"the MFA session"}
	if c.RoleARN != "" {
		out, err := r.env.AWS.STS(s, false).AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn: aws.String(c.RoleARN), RoleSessionName: aws.String("awsmfa-setup"), DurationSeconds: aws.Int32(900),
		})
		if err != nil {
			return fmt.Errorf("proving the lock: %w: %w", ErrNotLocked, call("assuming role "+c.Role+" with MFA", "sts:AssumeRole", err))
		}
		withMFA = append([]aws.Credentials{roleCreds(out)}, withMFA...)
		names = append([]string{"role " + c.Role + " with one MFA code"}, names...)
		r.out("proven: role %s can be assumed with one MFA code", c.Role)
	}

	findings, open, err := r.auditKey(ctx, c)
	if err != nil {
		return fmt.Errorf("proving the lock: %w", err)
	}
	for _, f := range findings {
		switch {
		case f.Severity != audit.OK && !lockFinding(f):
			r.say("audit: %s: %s", f.Severity, f.Message)
			if f.Fix != "" {
				r.say("audit: fix: %s", f.Fix)
			}
		case f.ID == audit.IDProbe && f.Severity == audit.OK:
			if r.keyCouldList {
				r.out("proven: the key alone is denied S3 ListBuckets, which it was allowed before")
			} else {
				r.out("proven: the key alone is denied S3 ListBuckets (it was denied before setup too)")
			}
		case f.ID == audit.IDKeyAlone && f.Severity == audit.OK:
			r.out("proven: %s", f.Message)
		}
	}
	if len(open) > 0 {
		return fmt.Errorf("proving the lock: %s: %w", strings.Join(open, "; "), ErrNotLocked)
	}
	var last error
	for i, creds := range withMFA {
		if last = r.env.AWS.ListBuckets(ctx, creds); last == nil {
			r.out("proven: %s is allowed S3 ListBuckets", names[i])
			return nil
		}
	}
	return fmt.Errorf("proving the lock: with MFA S3 ListBuckets is denied: %w (%v)", ErrNotLocked, last)
}

// lockFinding reports whether f is about what the key alone may do, which
// the lock must deny: the live probe, the simulation, AssumeRole.
func lockFinding(f audit.Finding) bool {
	return f.ID == audit.IDProbe || f.ID == audit.IDKeyAlone || f.ID == audit.IDAssumeRole
}

// auditKey runs audit's IAM checks on the profile's key and returns their
// findings and the messages of those that say the key alone is still
// allowed something. IAM's changes take a few seconds to reach every
// service, so while the key alone is still allowed it asks again, up to 6
// times, 2 s apart.
func (r *runner) auditKey(ctx context.Context, c Change) (findings []audit.Finding, open []string, err error) {
	cfg, err := awsconfig.Load(r.env.Paths)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the AWS config: %w", err)
	}
	a := &lockAWS{r: r, cfg: cfg, serial: c.Serial}
	for i := range 6 {
		findings, err = audit.IAM(ctx, a, audit.IAMOptions{
			Config: cfg, Profiles: []string{r.o.Profile}, VaultProfiles: []string{r.o.Profile}, Probe: true, Now: r.now(),
		})
		if err != nil {
			return nil, nil, err
		}
		open = open[:0]
		for _, f := range findings {
			if lockFinding(f) && f.Severity == audit.Critical {
				open = append(open, f.Message)
			}
		}
		if len(open) == 0 || i == 5 {
			break
		}
		if err := r.env.Sleep(ctx, 2*time.Second); err != nil {
			return nil, nil, err
		}
	}
	return findings, open, nil
}

func (r *runner) now() time.Time {
	if r.env.Now != nil {
		return r.env.Now()
	}
	return time.Now()
}

// lockAWS is AWS as audit's checks see it during setup: the key alone, the
// MFA session of this run (one code serves setup and its proof) and the
// role profiles' roles, assumed from that session.
type lockAWS struct {
	r      *runner
	cfg    *awsconfig.Config
	serial string
	roles  map[string]aws.Credentials
}

func (a *lockAWS) api(c aws.Credentials) audit.API {
	return audit.API{
		IAM: a.r.env.AWS.IAM(c), STS: a.r.env.AWS.STS(c, false), KeyID: c.AccessKeyID,
		ListBuckets: func(ctx context.Context) error { return a.r.env.AWS.ListBuckets(ctx, c) },
	}
}

// Key implements audit.AWS.
func (a *lockAWS) Key(context.Context, string) (audit.API, error) { return a.api(a.r.env.Key), nil }

// MFA implements audit.AWS.
func (a *lockAWS) MFA(ctx context.Context, _ string) (audit.API, error) {
	s, err := a.r.session(ctx, a.serial)
	if err != nil {
		return audit.API{}, err
	}
	return a.api(s), nil
}

// Role implements audit.AWS.
func (a *lockAWS) Role(ctx context.Context, profile string) (audit.API, error) {
	if c, ok := a.roles[profile]; ok {
		return a.api(c), nil
	}
	p, err := a.cfg.Profile(profile)
	if err != nil {
		return audit.API{}, err
	}
	s, err := a.r.session(ctx, a.serial)
	if err != nil {
		return audit.API{}, err
	}
	out, err := a.r.env.AWS.STS(s, false).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String(p.RoleARN), RoleSessionName: aws.String("awsmfa-setup"), DurationSeconds: aws.Int32(900),
	})
	if err != nil {
		return audit.API{}, err
	}
	if a.roles == nil {
		a.roles = map[string]aws.Credentials{}
	}
	a.roles[profile] = roleCreds(out)
	return a.api(a.roles[profile]), nil
}

// SessionLength implements audit.AWS.
func (a *lockAWS) SessionLength(string) (time.Duration, error) { return a.r.env.SessionLength, nil }
