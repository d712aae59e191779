package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/awsmfa/awsmfa/internal/agent"
	"github.com/awsmfa/awsmfa/internal/awsconfig"
	"github.com/spf13/cobra"
)

func newClearCmd(env *Env, g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "clear [PROFILE]",
		Short: "Forget MFA sessions and remove credentials written by write",
		Long: `Make the agent forget the sessions of PROFILE (or all sessions), and remove
from the shared credentials file the sections "awsmfa write" wrote for PROFILE
(or all of them). The vault stays unlocked; "awsmfa lock" forgets everything.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			profile := ""
			if len(args) == 1 {
				profile = args[0]
			}
			return runClear(cmd.Context(), env, profile)
		},
	}
}

func runClear(ctx context.Context, env *Env, profile string) error {
	forgot := 0
	if c, err := env.connectAgent(ctx, false); err == nil {
		n, err := c.Clear(ctx, profile)
		c.Close()
		if err != nil {
			return err
		}
		forgot = n
	} else if !errors.Is(err, agent.ErrNotRunning) && !errors.Is(err, agent.ErrUnsupported) {
		return err
	}
	paths, err := env.awsPaths()
	if err != nil {
		return err
	}
	var removed []string
	err = awsconfig.Update(ctx, paths.Credentials, func(f *awsconfig.File) error {
		removed = removed[:0]
		for _, s := range f.Sections() {
			// The section's own key only: every section would inherit one
			// from [DEFAULT], which is removed only when it holds one itself.
			from, ok := f.Get(s, writtenProfileKey)
			if !ok || (profile != "" && from != profile) {
				continue
			}
			if err := f.RemoveSection(s); err != nil {
				return err
			}
			removed = append(removed, s)
		}
		return nil
	})
	if err != nil {
		return &configError{err}
	}
	if profile != "" && forgot == 0 && len(removed) == 0 {
		// Nothing to clear for a profile the files do not know: most
		// likely a typo, which must not pass for a cleared session.
		if err := env.checkProfile(profile); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.Stdout, "forgot %d cached session(s)\n", forgot)
	for _, s := range removed {
		fmt.Fprintf(env.Stdout, "removed [%s] from %s\n", s, paths.Credentials)
	}
	return nil
}
