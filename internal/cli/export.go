package cli

import (
	"context"
	"io"
	"strings"

	"github.com/awsmfa/awsmfa/internal/cached"
	"github.com/awsmfa/awsmfa/internal/session"
	"github.com/spf13/cobra"
)

type exportOptions struct {
	credentialOptions
	profile string
	format  string
}

// exportFormats are the AWS CLI's `configure export-credentials` formats,
// plus ini.
var exportFormats = cached.ExportFormats

func newExportCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &exportOptions{}
	cmd := &cobra.Command{
		Use:   "export PROFILE [--format env|env-no-export|powershell|windows-cmd|fish|process|ini]",
		Short: "Print short-lived credentials for PROFILE in a shell's syntax",
		Long: `Print short-lived credentials for PROFILE, in the formats of the AWS CLI's
"aws configure export-credentials" plus ini, e.g.:

  eval "$(awsmfa export prod)"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.profile = args[0]
			return runExport(cmd.Context(), env, g, o)
		},
	}
	addCredentialFlags(cmd.Flags(), &o.credentialOptions)
	cmd.Flags().StringVar(&o.format, "format", "env", "output format: "+strings.Join(exportFormats, ", "))
	return cmd
}

func runExport(ctx context.Context, env *Env, g *globalOptions, o *exportOptions) error {
	if !contains(exportFormats, o.format) {
		return usageErrorf("unknown format %q: choose one of %s", o.format, strings.Join(exportFormats, ", "))
	}
	res, err := env.credentials(ctx, g, o.profile, &o.credentialOptions, 0)
	if err != nil {
		return err
	}
	env.printNotices(res)
	return writeCredentials(env.Stdout, o.format, o.profile, res)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// processOutput is the credential_process JSON, Version 1.
type processOutput = cached.ProcessOutput

// writeCredentials prints res in format (see cached.WriteCredentials).
func writeCredentials(w io.Writer, format, profile string, res session.Result) error {
	cr := res.Credentials
	return cached.WriteCredentials(w, format, profile, cached.Credentials{
		AccessKeyID: cr.AccessKeyID, SecretAccessKey: cr.SecretAccessKey,
		SessionToken: cr.SessionToken, Expiration: cr.Expiration,
	}, res.Region)
}

func quotePowerShell(s string) string { return cached.QuotePowerShell(s) }
func quoteFish(s string) string       { return cached.QuoteFish(s) }
