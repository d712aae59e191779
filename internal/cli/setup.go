package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/awsmfa/awsmfa/internal/awsconfig"
	"github.com/awsmfa/awsmfa/internal/mfapolicy"
	"github.com/awsmfa/awsmfa/internal/session"
	"github.com/awsmfa/awsmfa/internal/setup"
	"github.com/awsmfa/awsmfa/internal/vault"
)

type setupOptions struct {
	setup.Options
	strategy   string
	maxMFAAge  string
	maxSession string
	undo       bool
}

func newSetupCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &setupOptions{}
	cmd := &cobra.Command{
		Use:   "setup PROFILE [--strategy role|session] [--yes] [--dry-run] [--undo [--delete-device]]",
		Short: "Lock a profile's access key with MFA: device, role, policies, profiles, proof",
		Long: `Lock the long-term access key of PROFILE with MFA, in one command:
  1. who: the key must be an IAM user's long-term key (not root's, not a session's)
  2. the key moves into the vault if it is in plaintext (as awsmfa import)
  3. an MFA device: a new virtual device, shown as a QR code on the terminal and
     enabled with two consecutive codes (or stored on a YubiKey with --yubikey);
     mfa_serial and a region go on the profile
  4. --strategy role (default): a role (--role-name, default ` + mfapolicy.DefaultRoleName + `) only this user may
     assume, only with MFA (Bool aws:MultiFactorAuthPresent, aws:MultiFactorAuthAge
     below --max-mfa-age), with the user's current permissions (or --role-policy);
     once the role is proven with one MFA code, the user keeps only awsmfa's policy
     (awsmfa policy user). Group permissions are reported; --detach-groups removes
     the user from its groups and gives the role their policies.
     --strategy session: the user keeps its permissions; a deny-without-MFA policy
     (awsmfa policy deny-without-mfa) covers everything else, groups included
  5. profiles: PROFILE is wired (credential_process = awsmfa credential-process
     PROFILE) and, for the role strategy, --role-profile (default PROFILE-role) is
     added with role_arn and source_profile, so "aws --profile PROFILE-role" works
  6. the proof, with awsmfa audit's IAM checks: the key alone is denied S3
     ListBuckets (a live call) and every high-value action (simulated); one MFA
     code allows it

Setup reads the account, prints the plan and asks before applying it (--yes does
not ask). --dry-run prints the plan and changes nothing. Each change is recorded
(no secret) in awsmfa's data directory; a failure rolls back the run's changes,
and "awsmfa setup --undo PROFILE" restores the user's permissions and files
exactly and deletes what setup created (the MFA device only with --delete-device).
Running setup again continues where it stopped, and changes nothing once done.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Profile = args[0]
			return runSetup(cmd.Context(), env, g, o)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&o.Yes, "yes", false, "apply the plan without asking")
	fs.BoolVar(&o.DryRun, "dry-run", false, "print the plan; make no change and ask no MFA code")
	fs.StringVar(&o.DeviceName, "device-name", "", "the virtual MFA device's name (default: the IAM user's name)")
	fs.BoolVar(&o.ShowSecret, "show-secret", false, "also show the MFA secret as text on the terminal, for apps that cannot scan")
	fs.BoolVar(&o.YubiKey, "yubikey", false, "store the MFA secret on a YubiKey with ykman (touch required) and read codes from it")
	fs.StringVar(&o.strategy, "strategy", string(setup.StrategyRole), "role or session")
	fs.StringVar(&o.RoleName, "role-name", mfapolicy.DefaultRoleName, "the role the role strategy creates")
	fs.StringVar(&o.RoleProfile, "role-profile", "", "the role's profile (default PROFILE-role)")
	fs.StringVar(&o.maxMFAAge, "max-mfa-age", "", "how long after the MFA code the role may be assumed, 15m to 36h (default 8h, awsmfa's MFA session)")
	fs.StringVar(&o.maxSession, "max-session", "12h", "the role's maximum session duration, 1h to 12h")
	fs.StringArrayVar(&o.RolePolicies, "role-policy", nil, "a managed policy ARN for the role instead of the user's own permissions (repeat for several)")
	fs.BoolVar(&o.DetachGroups, "detach-groups", false, "remove the user from its groups; their policies go to the role")
	fs.BoolVar(&o.undo, "undo", false, "undo what setup changed for PROFILE")
	fs.BoolVar(&o.DeleteDevice, "delete-device", false, "with --undo: delete the MFA device setup created too")
	return cmd
}

// parse checks the flags before anything is read or changed.
func (o *setupOptions) parse() error {
	switch setup.Strategy(o.strategy) {
	case setup.StrategyRole, setup.StrategySession:
		o.Strategy = setup.Strategy(o.strategy)
	default:
		return usageErrorf("--strategy %q is not role or session", o.strategy)
	}
	if o.DeleteDevice && !o.undo {
		return usageErrorf("--delete-device goes with --undo")
	}
	if err := mfapolicy.ValidateRoleName(o.RoleName); err != nil {
		return fmt.Errorf("--role-name: %w", err)
	}
	if o.RoleProfile == "" {
		o.RoleProfile = o.Profile + "-role"
	}
	if err := awsconfig.ValidateSection(o.RoleProfile); err != nil {
		return fmt.Errorf("--role-profile: %w", err)
	}
	if o.RoleProfile == o.Profile {
		return usageErrorf("--role-profile must differ from the key's profile %q", o.Profile)
	}
	o.MaxMFAAge = mfapolicy.DefaultMaxMFAAge
	if o.maxMFAAge != "" {
		d, err := parseSeconds(o.maxMFAAge)
		if err != nil {
			return fmt.Errorf("--max-mfa-age %q is not a duration such as 8h or a number of seconds: %w", o.maxMFAAge, mfapolicy.ErrInvalidParam)
		}
		o.MaxMFAAge = d
	}
	if err := mfapolicy.ValidateMaxMFAAge(o.MaxMFAAge); err != nil {
		return fmt.Errorf("--max-mfa-age: %w", err)
	}
	d, err := parseSeconds(o.maxSession)
	if err != nil || d < time.Hour || d > 12*time.Hour || d%time.Second != 0 {
		return fmt.Errorf("--max-session %q is not whole seconds from 1h to 12h (IAM's MaxSessionDuration): %w", o.maxSession, setup.ErrInput)
	}
	o.MaxSession = d
	for _, a := range o.RolePolicies {
		if !strings.HasPrefix(a, "arn:") || !strings.Contains(a, ":policy/") {
			return fmt.Errorf("--role-policy %q is not a managed policy ARN (arn:aws:iam::aws:policy/NAME): %w", a, setup.ErrInput)
		}
	}
	return nil
}

func runSetup(ctx context.Context, env *Env, g *globalOptions, o *setupOptions) error {
	if err := o.parse(); err != nil {
		return err
	}
	cfg, err := env.loadConfig()
	if err != nil {
		return err
	}
	home, err := env.home()
	if err != nil {
		return err
	}
	term := env.terminal()
	defer term.Close()

	se := &setup.Env{
		Paths: cfg.Paths, Out: env.Stdout, Now: env.Now,
		Notef:             func(format string, args ...any) { fmt.Fprintf(env.Stderr, "awsmfa: "+format+"\n", args...) },
		CredentialProcess: awsconfig.CredentialProcessCommand(env.selfCommand(), o.Profile),
		Region:            firstNonEmpty(env.Getenv("AWS_REGION"), env.Getenv("AWS_DEFAULT_REGION"), "us-east-1"),
		Sleep:             sleepCtx,
		YubiKey:           ykman(env),
	}
	if env.testOnlySetupNow != nil && env.testOnlySetupSleep != nil {
		se.Now, se.Sleep = env.testOnlySetupNow, env.testOnlySetupSleep
	}
	if t, err := term.get(); err == nil {
		se.Terminal = t
	}
	dir, err := env.dataDir()
	if err != nil {
		return err
	}
	se.RecordPath = setup.RecordPath(dir, o.Profile)

	// The key: in plaintext (to be imported) or in the vault.
	p, err := cfg.Profile(o.Profile)
	if err != nil {
		return withHint(err, "awsmfa list")
	}
	var store vault.Store
	openStore := func() (vault.Store, error) {
		if store == nil {
			s, err := env.openVault(ctx, g, term)
			if err != nil {
				return nil, err
			}
			store = s
		}
		return store, nil
	}
	if creds, ok := p.StaticCredentials(); ok && p.StaticKeys {
		se.Key = aws.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey, SessionToken: creds.SessionToken}
		se.KeyInPlaintext = creds.SessionToken == ""
		se.ImportKey = func(ctx context.Context) error {
			s, err := openStore()
			if err != nil {
				return err
			}
			e := vault.Entry{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey, Added: env.Now().UTC()}
			if err := e.Validate(); err != nil {
				return fmt.Errorf("importing profile %q: %w", o.Profile, err)
			}
			return importKey(ctx, s, cfg.Paths, o.Profile, creds, e)
		}
	} else {
		// Setup signs with the key itself, so it needs the secret, which an
		// agent holding the vault never hands out: open the vault here, as
		// rotate does.
		s, err := env.openVaultHere(ctx, g, term)
		if err != nil {
			return err
		}
		e, err := s.Get(ctx, o.Profile)
		if errors.Is(err, vault.ErrNotFound) {
			return withHint(fmt.Errorf("profile %q has no long-term key in %s or the vault: %w", o.Profile, cfg.Paths.Credentials, err), "awsmfa add %s", shellQuote(o.Profile))
		}
		if err != nil {
			return err
		}
		se.Key = aws.Credentials{AccessKeyID: e.AccessKeyID, SecretAccessKey: e.SecretAccessKey}
	}

	req := session.Request{Profile: o.Profile, Env: map[string]string{}, Backend: g.backend}
	for _, k := range append(requestEnv, "AWS_ENDPOINT_URL_S3") {
		if v := env.Getenv(k); v != "" {
			req.Env[k] = v
		}
	}
	if req.Env["HOME"] == "" {
		req.Env["HOME"] = home
	}
	b := session.NewBroker(session.Options{OpenVault: env.vaultOpener(), Now: env.Now})
	clients, err := b.Clients(req)
	if err != nil {
		return err
	}
	se.AWS = awsClients{clients}
	if d, err := b.SessionLength(req); err == nil {
		se.SessionLength = d
	}

	if o.undo {
		err = setup.Undo(ctx, se, o.Options)
	} else {
		err = setup.Run(ctx, se, o.Options)
	}
	return setupHints(err, o)
}

// setupHints attaches the next command to setup's failures.
func setupHints(err error, o *setupOptions) error {
	var perm *setup.PermissionError
	var inc *setup.IncompleteError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &inc):
		return withHint(err, "%s", inc.Command)
	case errors.As(err, &perm):
		return withHint(err, "an administrator can grant %s, or apply the lock's documents directly: awsmfa policy all --format terraform --profile %s",
			perm.Action, shellQuote(o.Profile))
	case errors.Is(err, setup.ErrNotLocked):
		return withHint(err, "awsmfa setup --undo %s", shellQuote(o.Profile))
	case errors.Is(err, setup.ErrNeedsConfirmation):
		return withHint(err, "awsmfa setup --dry-run %s shows the plan; --yes applies it", shellQuote(o.Profile))
	}
	return err
}

// awsClients adapts session.Clients to setup.AWS.
type awsClients struct{ c *session.Clients }

func (a awsClients) IAM(c aws.Credentials) setup.IAM { return a.c.IAM(c) }
func (a awsClients) STS(c aws.Credentials, withCode bool) setup.STS {
	return a.c.STS(c, withCode)
}
func (a awsClients) ListBuckets(ctx context.Context, c aws.Credentials) error {
	return a.c.ListBuckets(ctx, c)
}

// ykman runs the YubiKey Manager CLI. What it is given on stdin (the MFA
// secret) never reaches its arguments, and its stderr is dropped for calls
// that were given a secret, so that nothing it echoes reaches ours.
func ykman(env *Env) setup.YubiKey {
	return func(ctx context.Context, args []string, stdin []byte) ([]byte, error) {
		cmd := exec.CommandContext(ctx, "ykman", args...)
		cmd.Env = scrubEnv(env.Environ())
		var out bytes.Buffer
		cmd.Stdout = &out
		cmd.Stderr = env.Stderr
		if stdin != nil {
			cmd.Stdin = bytes.NewReader(stdin)
			cmd.Stderr = io.Discard
		}
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("ykman %s: %w", strings.Join(args[:min(3, len(args))], " "), err)
		}
		return out.Bytes(), nil
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
