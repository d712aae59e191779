package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

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
var exportFormats = []string{"env", "env-no-export", "powershell", "windows-cmd", "fish", "process", "ini"}

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
type processOutput struct {
	Version         int    `json:"Version"`
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	SessionToken    string `json:"SessionToken"`
	Expiration      string `json:"Expiration"`
}

// writeCredentials prints res in format.
func writeCredentials(w io.Writer, format, profile string, res session.Result) error {
	cr := res.Credentials
	exp := cr.Expiration.UTC().Format(time.RFC3339)
	if format == "process" {
		return json.NewEncoder(w).Encode(processOutput{
			Version: 1, AccessKeyID: cr.AccessKeyID, SecretAccessKey: cr.SecretAccessKey,
			SessionToken: cr.SessionToken, Expiration: exp,
		})
	}
	if format == "ini" {
		_, err := fmt.Fprintf(w, "[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s\n"+writtenExpirationKey+" = %s\n",
			profile, cr.AccessKeyID, cr.SecretAccessKey, cr.SessionToken, exp)
		return err
	}
	vars := [][2]string{
		{"AWS_ACCESS_KEY_ID", cr.AccessKeyID},
		{"AWS_SECRET_ACCESS_KEY", cr.SecretAccessKey},
		{"AWS_SESSION_TOKEN", cr.SessionToken},
		{"AWS_CREDENTIAL_EXPIRATION", exp},
	}
	if res.Region != "" {
		vars = append(vars, [2]string{"AWS_REGION", res.Region}, [2]string{"AWS_DEFAULT_REGION", res.Region})
	}
	for _, kv := range vars {
		var err error
		switch format {
		case "env":
			_, err = fmt.Fprintf(w, "export %s=%s\n", kv[0], kv[1])
		case "env-no-export":
			_, err = fmt.Fprintf(w, "%s=%s\n", kv[0], kv[1])
		case "powershell":
			_, err = fmt.Fprintf(w, "$Env:%s=\"%s\"\n", kv[0], kv[1])
		case "windows-cmd":
			_, err = fmt.Fprintf(w, "set %s=%s\n", kv[0], kv[1])
		case "fish":
			_, err = fmt.Fprintf(w, "set -gx %s \"%s\"\n", kv[0], kv[1])
		}
		if err != nil {
			return err
		}
	}
	return nil
}
