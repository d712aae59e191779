package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/awsmfa/awsmfa/internal/awsconfig"
	"github.com/awsmfa/awsmfa/internal/vault"
	"github.com/spf13/cobra"
)

type importOptions struct {
	profiles []string
	all      bool
}

func newImportCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &importOptions{}
	cmd := &cobra.Command{
		Use:   "import [PROFILE ...] [--all]",
		Short: "Move long-term keys from the credentials file into the vault",
		Long: `Move long-term access keys (aws_access_key_id and aws_secret_access_key) of the
named profiles, or of every profile with --all, from the shared credentials file
into the vault, then remove them from the file. A stale aws_session_token next
to them goes too. The file is rewritten atomically; comments and other profiles
are untouched, and no plaintext backup is made. Running it again does nothing.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.profiles = args
			if o.all == (len(args) > 0) {
				return usageErrorf("name the profiles to import, or pass --all")
			}
			return runImport(cmd.Context(), env, g, o)
		},
	}
	cmd.Flags().BoolVar(&o.all, "all", false, "import every profile that has a long-term key in plaintext")
	return cmd
}

func runImport(ctx context.Context, env *Env, g *globalOptions, o *importOptions) error {
	cfg, err := env.loadConfig()
	if err != nil {
		return err
	}
	names := o.profiles
	if o.all {
		names = nil
		for _, n := range cfg.ProfileNames() {
			if p, err := cfg.Profile(n); err == nil && p.StaticKeys {
				names = append(names, n)
			}
		}
	}
	term := env.terminal()
	defer term.Close()
	var store vault.Store
	moved := 0
	for _, name := range names {
		p, err := cfg.Profile(name)
		if err != nil && !errors.Is(err, awsconfig.ErrProfileNotFound) {
			return err
		}
		if p == nil || !p.StaticKeys {
			if store == nil {
				if store, err = env.openVault(ctx, g, term); err != nil {
					return err
				}
			}
			if _, err := store.Get(ctx, name); err == nil {
				fmt.Fprintf(env.Stderr, "awsmfa: profile %q: already in the %s vault, nothing to move\n", name, store.Backend())
				continue
			}
			return withHint(fmt.Errorf("importing profile %q: %w: no long-term key for it in %s",
				name, vault.ErrNotFound, cfg.Paths.Credentials), "awsmfa list")
		}
		creds, _ := p.StaticCredentials()
		if strings.HasPrefix(creds.AccessKeyID, "ASIA") {
			fmt.Fprintf(env.Stderr, "awsmfa: profile %q: skipped, its key is a temporary session key, not a long-term one\n", name)
			continue
		}
		e := vault.Entry{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey, Added: env.Now().UTC()}
		if err := e.Validate(); err != nil {
			return fmt.Errorf("importing profile %q: %w", name, err)
		}
		if store == nil {
			if store, err = env.openVault(ctx, g, term); err != nil {
				return err
			}
		}
		// The vault first, the file second: a failure in between leaves the
		// key in both places, never in neither.
		if err := store.Put(ctx, name, e); err != nil {
			return fmt.Errorf("importing profile %q: %w", name, err)
		}
		if err := awsconfig.RemoveCredentials(ctx, cfg.Paths, name); err != nil {
			return fmt.Errorf("importing profile %q: the key is in the vault but removing it from the file failed: %w", name, err)
		}
		if err := ensureConfigProfile(ctx, cfg, name); err != nil {
			return err
		}
		moved++
		fmt.Fprintf(env.Stdout, "moved %s (%s) into the %s vault\n", shellQuote(name), maskKeyID(e.AccessKeyID), store.Backend())
	}
	if moved == 0 && o.all {
		fmt.Fprintf(env.Stderr, "awsmfa: no long-term keys in plaintext in %s or %s\n", cfg.Paths.Credentials, cfg.Paths.Config)
	}
	return nil
}
