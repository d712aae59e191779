package cli

import (
	"context"
	"time"

	"github.com/spf13/cobra"
)

// credentialProcessMinRemaining is the least validity credential-process
// hands out. botocore refreshes 15 minutes before expiry (advisory) and 10
// minutes before (mandatory); credentials with less left than that would be
// fetched again on every call.
const credentialProcessMinRemaining = 20 * time.Minute

type credentialProcessOptions struct {
	credentialOptions
	profile string
}

func newCredentialProcessCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &credentialProcessOptions{}
	cmd := &cobra.Command{
		Use:   "credential-process PROFILE",
		Short: "Print credentials as the AWS SDKs' credential_process expects",
		Long: `Print short-lived credentials for PROFILE as credential_process JSON (Version 1)
for the AWS CLI and SDKs. Use it from a separate profile in ~/.aws/config:

  [profile prod-mfa]
  credential_process = awsmfa credential-process prod

Prompts (MFA code, vault passphrase) go to the terminal, never to stderr,
which the AWS CLI hides. Credentials always have more than 15 minutes left.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.profile = args[0]
			return runCredentialProcess(cmd.Context(), env, g, o)
		},
	}
	addCredentialFlags(cmd.Flags(), &o.credentialOptions)
	return cmd
}

func runCredentialProcess(ctx context.Context, env *Env, g *globalOptions, o *credentialProcessOptions) error {
	res, err := env.credentials(ctx, g, o.profile, &o.credentialOptions, credentialProcessMinRemaining)
	if err != nil {
		return err
	}
	env.printNotices(res)
	return writeCredentials(env.Stdout, "process", o.profile, res)
}
