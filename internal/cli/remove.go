package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/awsmfa/awsmfa/internal/vault"
	"github.com/spf13/cobra"
)

type removeOptions struct {
	profile string
	force   bool
}

func newRemoveCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &removeOptions{}
	cmd := &cobra.Command{
		Use:   "remove PROFILE [--force]",
		Short: "Delete a profile's long-term key from the vault",
		Long: `Delete the long-term key of PROFILE from the vault. It asks for confirmation on
the terminal unless --force is given. The AWS config files are not changed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.profile = args[0]
			return runRemove(cmd.Context(), env, g, o)
		},
	}
	cmd.Flags().BoolVarP(&o.force, "force", "f", false, "do not ask for confirmation")
	return cmd
}

func runRemove(ctx context.Context, env *Env, g *globalOptions, o *removeOptions) error {
	term := env.terminal()
	defer term.Close()
	store, err := env.openVault(ctx, g, term)
	if err != nil {
		return err
	}
	e, err := store.Get(ctx, o.profile)
	if errors.Is(err, vault.ErrNotFound) {
		names, _ := store.List(ctx)
		if hint := env.similarHint(o.profile, names); hint != "" {
			return withHint(err, "%s", hint)
		}
	}
	if err != nil {
		return withHint(err, "awsmfa list")
	}
	if !o.force {
		t, err := term.get()
		if err != nil {
			return withHint(fmt.Errorf("removing profile %q: cannot ask for confirmation: %w", o.profile, err),
				"awsmfa remove %s --force", shellQuote(o.profile))
		}
		answer, err := t.ReadLine(fmt.Sprintf("Delete the key %s of profile %q from the %s vault? [y/N] ",
			maskKeyID(e.AccessKeyID), o.profile, store.Backend()))
		if err != nil {
			return fmt.Errorf("reading confirmation: %w", err)
		}
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			return fmt.Errorf("removing profile %q: not confirmed", o.profile)
		}
	}
	if err := store.Delete(ctx, o.profile); err != nil {
		return fmt.Errorf("removing profile %q: %w", o.profile, err)
	}
	fmt.Fprintf(env.Stdout, "removed %s (%s) from the %s vault\n", o.profile, maskKeyID(e.AccessKeyID), store.Backend())
	return nil
}
