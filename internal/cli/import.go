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
	wire     bool
	noWire   bool
}

func newImportCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &importOptions{}
	cmd := &cobra.Command{
		Use:   "import [PROFILE ...] [--all] [--wire | --no-wire]",
		Short: "Move long-term keys from the credentials file into the vault",
		Long: `Move long-term access keys (aws_access_key_id and aws_secret_access_key) of the
named profiles, or of every profile with --all, from the shared credentials file
into the vault, then remove them from the file. A stale aws_session_token next
to them goes too. The file is rewritten atomically; comments and other profiles
are untouched, and no plaintext backup is made. The profile's section in the
config file stays (or is created), so the profile still exists. A key that
changed in the file while it was being imported is left where it is, and the
vault as it was. Running it again does nothing.

Wiring: so that "aws --profile ROLE" and every other tool that takes a profile
name keep working, the profile can be wired: it gets
"credential_process = awsmfa credential-process PROFILE", which serves its MFA
session, and the mfa_serial of each role profile sourced from it moves onto it.
On a terminal import shows the exact lines and asks; --wire wires without
asking, --no-wire does not wire. "awsmfa unwire PROFILE" restores the lines.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.profiles = args
			if o.all == (len(args) > 0) {
				return usageErrorf("name the profiles to import, or pass --all")
			}
			if o.wire && o.noWire {
				return usageErrorf("--wire and --no-wire exclude each other")
			}
			return runImport(cmd.Context(), env, g, o)
		},
	}
	cmd.Flags().BoolVar(&o.all, "all", false, "import every profile that has a long-term key in plaintext")
	cmd.Flags().BoolVar(&o.wire, "wire", false, "wire the profiles for tools that take a profile name, without asking")
	cmd.Flags().BoolVar(&o.noWire, "no-wire", false, "do not wire the profiles, and do not ask")
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
	// A name no profile can safely have is refused before anything moves:
	// stored in the vault, it could not be taken out of the file (issue 7
	// item 6).
	valid := names[:0:0]
	for _, name := range names {
		err := awsconfig.ValidateSection(name)
		switch {
		case err == nil:
			valid = append(valid, name)
		case o.all:
			fmt.Fprintf(env.Stderr, "awsmfa: profile %q: skipped, its name cannot be used: %v\n", name, err)
		default:
			return withHint(fmt.Errorf("importing profile %q: %w", name, err),
				"rename the section [%s] in %s, then run awsmfa import with the new name", name, cfg.Paths.Credentials)
		}
	}
	names = valid
	term := env.terminal()
	defer term.Close()
	var store vault.Store
	var imported []string // moved now or before: the profiles to wire
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
				imported = append(imported, name)
				continue
			}
			err = fmt.Errorf("importing profile %q: %w: no long-term key for it in %s", name, vault.ErrNotFound, cfg.Paths.Credentials)
			if p == nil {
				inVault, _ := store.List(ctx)
				if hint := env.similarHint(name, inVault); hint != "" {
					return withHint(err, "%s", hint)
				}
			}
			return withHint(err, "awsmfa list")
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
		if err := importKey(ctx, store, cfg.Paths, name, creds, e); err != nil {
			return err
		}
		moved++
		imported = append(imported, name)
		fmt.Fprintf(env.Stdout, "moved %s (%s) into the %s vault\n", shellQuote(name), maskKeyID(e.AccessKeyID), store.Backend())
	}
	if moved == 0 && o.all {
		fmt.Fprintf(env.Stderr, "awsmfa: no long-term keys in plaintext in %s or %s\n", cfg.Paths.Credentials, cfg.Paths.Config)
	}
	if o.noWire {
		return nil
	}
	return offerWiring(ctx, env, cfg.Paths, term, o.wire, imported)
}

// importKey stores e (read from the files as creds) in the vault, then takes
// the key out of the files, but only while it is still the one read: the
// read happened before the vault was opened, which can take long (a
// passphrase prompt or command), and a key rotated meanwhile must not be
// lost. Then the vault is put back as it was and nothing else changes.
func importKey(ctx context.Context, store vault.Store, paths awsconfig.Paths, name string, creds awsconfig.StaticCredentials, e vault.Entry) error {
	prev, prevErr := store.Get(ctx, name)
	if prevErr != nil && !errors.Is(prevErr, vault.ErrNotFound) {
		return fmt.Errorf("importing profile %q: %w", name, prevErr)
	}
	// The vault first, the file second: a failure in between leaves the
	// key in both places, never in neither.
	if err := store.Put(ctx, name, e); err != nil {
		return fmt.Errorf("importing profile %q: %w", name, err)
	}
	err := awsconfig.TakeStaticKeys(ctx, paths, name, creds)
	if errors.Is(err, awsconfig.ErrKeyChanged) {
		var undo error
		if prevErr == nil {
			undo = store.Put(ctx, name, prev)
		} else {
			undo = store.Delete(ctx, name)
		}
		if undo != nil {
			return fmt.Errorf("importing profile %q: the key in %s changed while it was being imported, and putting the vault back failed: %w",
				name, paths.Credentials, undo)
		}
		return withHint(fmt.Errorf("importing profile %q: the key in %s changed while it was being imported; the file and the vault are as they were: %w",
			name, paths.Credentials, err), "awsmfa import %s", shellQuote(name))
	}
	if err != nil {
		return fmt.Errorf("importing profile %q: the key is in the vault but removing it from the file failed: %w", name, err)
	}
	// The profile must survive the move: awsmfa and every tool find it by
	// its config section once the credentials file has nothing for it.
	if err := awsconfig.AddProfile(ctx, paths, name); err != nil {
		return fmt.Errorf("importing profile %q: the key is in the vault, but adding its config section failed: %w", name, err)
	}
	return nil
}

// offerWiring wires the imported profiles: all of them with --wire, those
// the user agrees to on a terminal, none otherwise (then it says how).
func offerWiring(ctx context.Context, env *Env, paths awsconfig.Paths, term *terminal, force bool, names []string) error {
	bin := env.selfCommand()
	var later []string
	for _, name := range names {
		command := awsconfig.CredentialProcessCommand(bin, name)
		plan, err := awsconfig.PlanWiring(paths, name, command)
		if err != nil {
			if force {
				return err
			}
			fmt.Fprintf(env.Stderr, "awsmfa: note: %v\n", err)
			continue
		}
		if plan.Empty() {
			continue
		}
		if !force {
			t, err := term.get()
			if err != nil {
				later = append(later, name)
				continue
			}
			var b strings.Builder
			fmt.Fprintf(&b, "So that \"aws --profile ROLE\" and other tools that take a profile name use awsmfa, wiring %s changes %s:\n", shellQuote(name), paths.Config)
			writeChanges(&b, plan)
			if err := t.Say("%s", b.String()); err != nil {
				return err
			}
			answer, err := t.ReadLine(fmt.Sprintf("Wire profile %s? [y/N] ", shellQuote(name)))
			if err != nil {
				return fmt.Errorf("reading the answer: %w", err)
			}
			if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
				later = append(later, name)
				continue
			}
		}
		w, err := awsconfig.Wire(ctx, paths, name, command, plan)
		if errors.Is(err, awsconfig.ErrWiringChanged) {
			return withHint(err, "awsmfa import --wire %s", shellQuote(name))
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "wired %s in %s:\n", shellQuote(name), paths.Config)
		writeChanges(env.Stdout, w)
		for _, warn := range w.Warnings {
			fmt.Fprintf(env.Stderr, "awsmfa: warning: %s\n", warn)
		}
	}
	if len(later) > 0 {
		quoted := make([]string, len(later))
		for i, n := range later {
			quoted[i] = shellQuote(n)
		}
		fmt.Fprintf(env.Stderr, "awsmfa: note: not wired: \"aws --profile\" with %s or a role sourced from it needs awsmfa exec, until it is wired\n", strings.Join(quoted, ", "))
		fmt.Fprintf(env.Stderr, "awsmfa: hint: awsmfa import --wire %s\n", strings.Join(quoted, " "))
	}
	return nil
}
