package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/awsmfa/awsmfa/internal/awsconfig"
	"github.com/spf13/cobra"
)

func newUnwireCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "unwire [PROFILE]",
		Short: "Undo the wiring made by import: restore the config lines it changed",
		Long: `Undo what "awsmfa import --wire" changed in the config file for PROFILE (for every
wired profile without PROFILE): remove the credential_process and mfa_serial
lines it added to PROFILE, and put back each role profile's mfa_serial line
exactly as it was. The key stays in the vault; "awsmfa exec ROLE" keeps working.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			profile := ""
			if len(args) == 1 {
				profile = args[0]
			}
			return runUnwire(cmd.Context(), env, profile)
		},
	}
}

func runUnwire(ctx context.Context, env *Env, profile string) error {
	paths, err := env.awsPaths()
	if err != nil {
		return err
	}
	w, err := awsconfig.Unwire(ctx, paths, profile)
	if err != nil {
		return err
	}
	if w.Empty() {
		if profile == "" {
			fmt.Fprintf(env.Stderr, "awsmfa: no profile is wired in %s; nothing to undo\n", paths.Config)
		} else {
			fmt.Fprintf(env.Stderr, "awsmfa: profile %q is not wired in %s; nothing to undo\n", profile, paths.Config)
		}
		return nil
	}
	what := "every wired profile"
	if profile != "" {
		what = shellQuote(profile)
	}
	fmt.Fprintf(env.Stdout, "unwired %s in %s:\n", what, paths.Config)
	writeChanges(env.Stdout, w)
	for _, warn := range w.Warnings {
		fmt.Fprintf(env.Stderr, "awsmfa: warning: %s\n", warn)
	}
	return nil
}

// writeChanges shows a wiring's edits, section by section, as lines taken
// out (-) and put in (+).
func writeChanges(out io.Writer, w *awsconfig.Wiring) {
	for _, c := range w.Changes {
		fmt.Fprintf(out, "  [%s]\n", c.Section)
		for _, l := range c.Removed {
			fmt.Fprintf(out, "  - %s\n", l)
		}
		for _, l := range c.Added {
			fmt.Fprintf(out, "  + %s\n", l)
		}
	}
}
