package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/awsmfa/awsmfa/internal/agent"
	"github.com/spf13/cobra"
)

func newLockCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "lock",
		Short: "Make the agent forget everything now and exit: sessions and the unlocked vault",
		Long: `Make the agent forget every session and the unlocked vault, and end its
process: forgotten secrets stay in a process's memory until it ends. lock
returns once the process is gone; the next command that needs the agent
starts a fresh one.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLock(cmd.Context(), env)
		},
	}
}

func runLock(ctx context.Context, env *Env) error {
	c, err := env.connectAgent(ctx, false)
	if errors.Is(err, agent.ErrNotRunning) || errors.Is(err, agent.ErrUnsupported) {
		fmt.Fprintln(env.Stdout, "no agent running; nothing to forget")
		return nil
	}
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Lock(ctx); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, "locked: the agent forgot every session and the vault, and exited")
	return nil
}
