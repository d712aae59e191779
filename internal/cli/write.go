package cli

import (
	"context"
	"errors"
	"fmt"
	"github.com/awsmfa/awsmfa/internal/cached"
	"time"

	"github.com/awsmfa/awsmfa/internal/awsconfig"
	"github.com/awsmfa/awsmfa/internal/session"
	"github.com/spf13/cobra"
)

// Keys that mark a credentials-file section as written by awsmfa write:
// which profile it came from, and when it expires. clear removes such
// sections, and write refreshes only them.
const (
	writtenProfileKey    = session.WrittenProfileKey
	writtenExpirationKey = cached.WrittenExpirationKey
)

type writeOptions struct {
	credentialOptions
	profile string
	to      string
}

func newWriteCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &writeOptions{}
	cmd := &cobra.Command{
		Use:   "write PROFILE [--to NAME]",
		Short: "Write short-lived credentials into the shared credentials file",
		Long: `Write short-lived credentials for PROFILE into section [NAME] (default: PROFILE)
of the shared credentials file, for tools that only read that file. The file is
rewritten atomically, mode 0600. Run it again to refresh the section;
"awsmfa clear PROFILE" removes it.

A section holding a long-term key, or not written by awsmfa, is never
overwritten, nor a profile whose config has role_arn or credential_process
(the AWS CLI would use those instead of the written keys).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.profile = args[0]
			if o.to == "" {
				o.to = o.profile
			}
			return runWrite(cmd.Context(), env, g, o)
		},
	}
	addCredentialFlags(cmd.Flags(), &o.credentialOptions)
	cmd.Flags().StringVar(&o.to, "to", "", "the section to write (default: PROFILE)")
	return cmd
}

// errWriteRefused marks a section write will not touch. exitCode maps it to
// ExitConfig, "an edit was refused".
var errWriteRefused = errors.New("refusing to overwrite")

func runWrite(ctx context.Context, env *Env, g *globalOptions, o *writeOptions) error {
	if err := awsconfig.ValidateSection(o.to); err != nil {
		return withHint(usageErrorf("invalid section name for --to: %v", err),
			"awsmfa write %s --to %s", shellQuote(o.profile), shellQuote(sessionSection(o.profile)))
	}
	cfg, err := env.loadConfig()
	if err != nil {
		return err
	}
	if err := checkWriteTarget(cfg, o); err != nil {
		return err
	}
	res, err := env.credentials(ctx, g, o.profile, &o.credentialOptions, 0)
	if err != nil {
		return err
	}
	env.printNotices(res)
	cr := res.Credentials
	exp := cr.Expiration.UTC().Format(time.RFC3339)
	err = awsconfig.Update(ctx, cfg.Paths.Credentials, func(f *awsconfig.File) error {
		// Checked again under the lock: the file may have changed meanwhile.
		// Get sees the section's own keys only, never [DEFAULT]'s.
		if id, ok := f.Get(o.to, "aws_access_key_id"); ok {
			if _, ours := f.Get(o.to, writtenProfileKey); !ours {
				return withHint(fmt.Errorf("%w [%s] in %s: it holds a key awsmfa did not write (%s)",
					errWriteRefused, o.to, cfg.Paths.Credentials, maskKeyID(id)), "awsmfa write %s --to %s", shellQuote(o.profile), shellQuote(o.to+"-session"))
			}
		}
		for _, kv := range [][2]string{
			{"aws_access_key_id", cr.AccessKeyID},
			{"aws_secret_access_key", cr.SecretAccessKey},
			{"aws_session_token", cr.SessionToken},
			{writtenProfileKey, o.profile},
			{writtenExpirationKey, exp},
		} {
			if err := f.Set(o.to, kv[0], kv[1]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return &configError{err}
	}
	fmt.Fprintf(env.Stdout, "wrote credentials for %s to [%s] in %s, valid until %s\n", shellQuote(o.profile), o.to, cfg.Paths.Credentials, exp)
	return nil
}

// sessionSection is the section name a hint suggests for profile's session:
// PROFILE-session, or "session" when PROFILE itself could not be a section.
func sessionSection(profile string) string {
	if awsconfig.ValidateSection(profile+"-session") == nil {
		return profile + "-session"
	}
	return "session"
}

// checkWriteTarget refuses sections whose keys, or whose config profile,
// must not be replaced.
func checkWriteTarget(cfg *awsconfig.Config, o *writeOptions) error {
	p, err := cfg.Profile(o.to)
	if errors.Is(err, awsconfig.ErrProfileNotFound) {
		return nil
	}
	if err != nil {
		return &configError{err}
	}
	other := shellQuote(o.to + "-session")
	switch {
	case p.RoleARN != "":
		return withHint(fmt.Errorf("%w profile %q: its config has role_arn, which the AWS CLI would use instead of written keys",
			errWriteRefused, o.to), "awsmfa write %s --to %s", shellQuote(o.profile), other)
	case p.CredentialProcess != "":
		return withHint(fmt.Errorf("%w profile %q: its config has credential_process, which the AWS CLI would use instead of written keys",
			errWriteRefused, o.to), "awsmfa write %s --to %s", shellQuote(o.profile), other)
	case p.StaticKeys && p.Raw[writtenProfileKey] == "":
		return withHint(fmt.Errorf("%w [%s] in %s: it holds a key awsmfa did not write (%s)",
			errWriteRefused, o.to, cfg.Paths.Credentials, maskKeyID(p.AccessKeyID)), "awsmfa write %s --to %s", shellQuote(o.profile), other)
	}
	return nil
}
