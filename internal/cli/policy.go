package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/awsmfa/awsmfa/internal/mfapolicy"
	"github.com/awsmfa/awsmfa/internal/session"
	"github.com/spf13/cobra"
)

type policyOptions struct {
	user, account string
	roles         []string
	maxMFAAge     string
	partition     string
	format        string
	offline       bool
	profile       string
}

func newPolicyCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &policyOptions{}
	cmd := &cobra.Command{
		Use:   "policy user|trust|deny-without-mfa|all [--user NAME] [--account ID] [--role NAME] [--max-mfa-age D] [--format json|terraform|cloudformation] [--offline]",
		Short: "Print the IAM documents that lock a key with MFA, as JSON, Terraform or CloudFormation",
		Long: `Print the IAM documents awsmfa setup applies, for administrators who manage IAM as code:
  user              the user policy (role strategy): without MFA, only enrolling its own MFA
                    device and getting an MFA session; with MFA, the role and its own access keys
  trust             the role's trust policy: only the user, only with MFA, within --max-mfa-age
  deny-without-mfa  the session strategy's policy: without MFA, everything else is denied
  all               all three, as one Terraform module or CloudFormation template
                    (not with --format json, which prints one document)

Without --user or --account, they are found with GetCallerIdentity, signed with the
long-term key of --profile in the vault (no MFA code is needed); --offline prints
placeholders instead (Terraform variables and CloudFormation parameters then have no
default).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPolicy(cmd.Context(), env, g, o, args[0], cmd.Flags().Changed("partition"))
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.user, "user", "", "the IAM user (default: the key's, from GetCallerIdentity)")
	fs.StringVar(&o.account, "account", "", "the 12-digit AWS account id (default: the key's, from GetCallerIdentity)")
	fs.StringArrayVar(&o.roles, "role", nil, "the role the user assumes with MFA (default "+mfapolicy.DefaultRoleName+"); repeat for several in the user policy")
	fs.StringVar(&o.maxMFAAge, "max-mfa-age", "", "how long after signing in with MFA the role may be assumed, 15m to 36h, as 8h or seconds (default 8h, awsmfa's MFA session)")
	fs.StringVar(&o.partition, "partition", mfapolicy.DefaultPartition, "the AWS partition: aws, aws-cn or aws-us-gov")
	fs.StringVar(&o.format, "format", string(mfapolicy.FormatJSON), "json, terraform or cloudformation")
	fs.BoolVar(&o.offline, "offline", false, "make no AWS call: print placeholders for what --user and --account leave open")
	fs.StringVar(&o.profile, "profile", "", "the profile whose key GetCallerIdentity is asked with (default $AWS_PROFILE, else default)")
	return cmd
}

func runPolicy(ctx context.Context, env *Env, g *globalOptions, o *policyOptions, kindArg string, partitionSet bool) error {
	kind, err := mfapolicy.ParseKind(kindArg)
	if err != nil {
		return usageErrorf("%v", err)
	}
	format, err := mfapolicy.ParseFormat(o.format)
	if err != nil {
		return usageErrorf("%v", err)
	}
	if kind == mfapolicy.KindAll && format == mfapolicy.FormatJSON {
		return usageErrorf("%v", mfapolicy.ErrAllNeedsTemplate)
	}
	if o.offline && o.profile != "" {
		return usageErrorf("--offline makes no AWS call, so --profile has no use")
	}
	p := mfapolicy.Params{Partition: o.partition, Account: o.account, User: o.user, Roles: o.roles}
	if o.maxMFAAge != "" {
		d, err := parseSeconds(o.maxMFAAge)
		if err != nil {
			return fmt.Errorf("--max-mfa-age %q is not a duration such as 8h or a number of seconds: %w", o.maxMFAAge, mfapolicy.ErrInvalidParam)
		}
		p.MaxMFAAge = d
	}
	// Check what was given before asking AWS for the rest.
	if err := validateGiven(p); err != nil {
		return err
	}
	if !o.offline && (p.User == "" || p.Account == "") {
		who, err := keyIdentity(ctx, env, g, o.profile)
		if err != nil {
			return withHint(err, "give --user and --account, or --offline to print placeholders")
		}
		if p.Account == "" {
			p.Account = who.Account
		}
		if !partitionSet {
			p.Partition = who.Partition
		}
		if p.User == "" {
			p.User, p.UserPath = who.User, who.UserPath
		}
		fmt.Fprintf(env.Stderr, "awsmfa: writing for %s (GetCallerIdentity)\n", p.UserARN())
	}
	out, err := mfapolicy.Render(kind, format, p, mfapolicy.RenderOptions{Placeholders: o.offline})
	if err != nil {
		return err
	}
	_, err = env.Stdout.Write(out)
	return err
}

// validateGiven checks the parameters given on the command line, whatever
// GetCallerIdentity is to fill in.
func validateGiven(p mfapolicy.Params) error {
	q := p
	if q.Account == "" {
		q.Account = "000000000000"
	}
	if q.User == "" {
		q.User = "x"
	}
	return q.Validate()
}

// parseSeconds reads a duration as Go writes it ("8h", "90m") or as whole
// seconds ("28800"), as awsmfa_session_duration does.
func parseSeconds(s string) (time.Duration, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	if strings.TrimSpace(s) != s {
		return 0, errors.New("surrounding spaces")
	}
	return time.ParseDuration(s)
}

// keyIdentity asks GetCallerIdentity, with the long-term key of profile in
// the vault, whose key it is; in this process, since only the vault's
// passphrase may be needed.
func keyIdentity(ctx context.Context, env *Env, g *globalOptions, profile string) (mfapolicy.Params, error) {
	home, err := env.home()
	if err != nil {
		return mfapolicy.Params{}, err
	}
	req := session.Request{Profile: profile, Env: map[string]string{}, Backend: g.backend}
	for _, k := range requestEnv {
		if v := env.Getenv(k); v != "" {
			req.Env[k] = v
		}
	}
	if profile == "" {
		req.Profile = env.Getenv("AWS_PROFILE")
	}
	if req.Env["HOME"] == "" {
		req.Env["HOME"] = home
	}
	b := session.NewBroker(session.Options{OpenVault: env.vaultOpener(), Now: env.Now})
	arn, err := b.KeyIdentity(ctx, req, env.asker(&credentialOptions{}))
	if err != nil {
		return mfapolicy.Params{}, err
	}
	return mfapolicy.UserFromARN(arn)
}
