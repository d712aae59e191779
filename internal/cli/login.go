package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/awsmfa/awsmfa/internal/awsconfig"
	"github.com/awsmfa/awsmfa/internal/console"
	"github.com/awsmfa/awsmfa/internal/mfapolicy"
	"github.com/awsmfa/awsmfa/internal/session"
	"github.com/spf13/cobra"
)

type loginOptions struct {
	profile string
	print   bool
	region  string
	creds   credentialOptions
}

// federationEnv overrides the federation endpoint (tests, private
// partitions); the profile key awsmfa_federation_url does the same per
// profile.
const (
	federationEnv        = "AWSMFA_FEDERATION_URL"
	federationProfileKey = "awsmfa_federation_url"
)

// loginMinRemaining is the least the chained role credentials must still
// last when they sign in: the console session lasts as long as they do.
const loginMinRemaining = 15 * time.Minute

func newLoginCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &loginOptions{}
	cmd := &cobra.Command{
		Use:   "login PROFILE [--print] [--duration D] [--region R]",
		Short: "Open the AWS console signed in as a role profile",
		Long: `Sign in to the AWS Management Console as the role of PROFILE and open it in
the browser. The role's credentials (from the MFA session, as exec uses them) are
traded at the sign-in federation endpoint for a sign-in URL.

By default the console session lasts as long as the role credentials, at most an
hour (AWS's limit for a role assumed from an MFA session). --duration over 1h
assumes the role straight from the long-term key with one fresh MFA code, and
the console session then lasts that long (up to 12h and the role's maximum).

The sign-in URL is a credential: anyone who has it within 15 minutes gets the
console session. It is never logged nor written to stderr. The browser gets it
through a 0600 page in a private temporary directory, removed after 20 seconds,
never on a command line (which other users could read). --print writes the URL
to stdout instead and opens nothing. IAM-user profiles cannot sign in: AWS does
not let their MFA session reach the console; use a role sourced from them.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.profile = args[0]
			return runLogin(cmd.Context(), env, g, o)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&o.print, "print", false, "print the sign-in URL on stdout instead of opening the browser")
	fs.StringVar(&o.region, "region", "", "the console's region (default: the profile's)")
	fs.DurationVar(&o.creds.duration, "duration", 0, "how long the console session lasts: up to 1h from the MFA session, over 1h (up to 12h) with a fresh MFA code")
	fs.StringVar(&o.creds.mfaToken, "mfa-token", "", "the current MFA code, instead of asking for it")
	fs.BoolVar(&o.creds.noAgent, "no-agent", false, "work in this process and cache nothing (also AWSMFA_NO_AGENT=1)")
	return cmd
}

func runLogin(ctx context.Context, env *Env, g *globalOptions, o *loginOptions) error {
	cfg, err := env.loadConfig()
	if err != nil {
		return err
	}
	chain, err := cfg.SourceChain(o.profile, nil)
	if err != nil {
		if errors.Is(err, awsconfig.ErrProfileNotFound) {
			return env.didYouMean(err, o.profile)
		}
		return &configError{err}
	}
	role := chain[0]
	if role.RoleARN == "" {
		return userProfileError(cfg, role)
	}
	part, err := console.PartitionOf(role.RoleARN)
	if err != nil {
		return &configError{fmt.Errorf("profile %s: role_arn: %w", role.Name, err)}
	}
	endpoint := part.Federation
	if v := role.Raw[federationProfileKey]; v != "" {
		endpoint = v
	}
	if v := env.Getenv(federationEnv); v != "" {
		endpoint = v
	}
	if err := console.CheckEndpoint(endpoint); err != nil {
		return &configError{err}
	}

	// The console session's length: SessionDuration is allowed only for a
	// role assumed with the long-term key, so a long session takes that
	// path, with a fresh code; a chained role omits it.
	var consoleDur time.Duration
	co := o.creds
	minRemaining := loginMinRemaining
	switch d := o.creds.duration; {
	case d < 0:
		return usageErrorf("--duration must be positive")
	case d > console.MaxSessionDuration:
		return usageErrorf("--duration %s: a console session lasts at most %s", d, console.MaxSessionDuration)
	case d > session.DefaultRoleDuration:
		if len(chain) > 2 {
			return &session.Error{Kind: session.KindDurationLimit,
				Msg:  fmt.Sprintf("profile %s assumes its role with another role's credentials (role chaining), which AWS limits to 1 hour", role.Name),
				Hint: fmt.Sprintf("awsmfa login %s --duration 1h", shellQuote(o.profile))}
		}
		co.noSession = true
		consoleDur = d
		minRemaining = 0
	case d > 0 && d < console.MinSessionDuration:
		return usageErrorf("--duration %s: a console session lasts at least %s", d, console.MinSessionDuration)
	case d > 0:
		minRemaining = min(loginMinRemaining, d/2)
	}
	res, err := env.credentials(ctx, g, o.profile, &co, minRemaining)
	if err != nil {
		return err
	}
	env.printNotices(res)
	cl := &console.Client{Endpoint: endpoint}
	c := res.Credentials
	token, err := cl.SigninToken(ctx, console.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}, consoleDur)
	if err != nil {
		return withHint(err, "check that role %s may be used in the console, and that the federation endpoint (%s) is AWS's", role.RoleARN, endpoint)
	}
	region := o.region
	if region == "" {
		region = res.Region
	}
	loginURL := console.LoginURL(endpoint, token, part.Destination(region))
	lasts := consoleDur
	if lasts == 0 {
		lasts = c.Remaining(env.Now()).Round(time.Minute)
	}
	if o.print {
		fmt.Fprintln(env.Stdout, loginURL)
		fmt.Fprintf(env.Stderr, "awsmfa: the sign-in URL above is valid for 15 minutes and signs in as %s for %s; treat it as a password\n", role.RoleARN, lasts)
		return nil
	}
	lifetime := console.DefaultPageLifetime
	if env.testOnlyBrowserPageLifetime != 0 {
		lifetime = env.testOnlyBrowserPageLifetime
	}
	if err := console.Open(ctx, env.openBrowser(), "", loginURL, lifetime); err != nil {
		return withHint(err, "awsmfa login %s --print, and open the URL yourself", shellQuote(o.profile))
	}
	fmt.Fprintf(env.Stderr, "awsmfa: opened the AWS console in the browser as %s, for %s\n", role.RoleARN, lasts)
	return nil
}

// openBrowser is the Env's browser opener, or the platform's.
func (e *Env) openBrowser() console.Opener {
	if e.OpenBrowser != nil {
		return e.OpenBrowser
	}
	return console.SystemOpener(e.GOOS)
}

// userProfileError explains why an IAM-user profile cannot sign in and
// names the role profiles sourced from it, or the lines of one to add.
func userProfileError(cfg *awsconfig.Config, p *awsconfig.Profile) error {
	e := &console.UserProfileError{Profile: p.Name, ConfigFile: cfg.Paths.Config}
	for _, n := range cfg.ProfileNames() {
		rp, err := cfg.Profile(n)
		if err == nil && rp.RoleARN != "" && rp.SourceProfile == p.Name && n != p.Name {
			e.Roles = append(e.Roles, n)
		}
	}
	slices.Sort(e.Roles)
	// The account, when the MFA device's ARN tells it.
	partition, account := "aws", "ACCOUNT-ID"
	if parts := strings.SplitN(p.MFASerial, ":", 6); len(parts) == 6 && parts[0] == "arn" && len(parts[4]) == 12 {
		partition, account = parts[1], parts[4]
	}
	e.RoleARN = fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, account, mfapolicy.DefaultRoleName)
	return e
}
