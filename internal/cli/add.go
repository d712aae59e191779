package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/awsmfa/awsmfa/internal/awsconfig"
	"github.com/awsmfa/awsmfa/internal/vault"
	"github.com/spf13/cobra"
)

type addOptions struct {
	profile   string
	fromEnv   bool
	fromStdin bool
}

func newAddCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &addOptions{}
	cmd := &cobra.Command{
		Use:   "add PROFILE [--env | --stdin]",
		Short: "Store a long-term access key in the vault",
		Long: `Store the long-term access key of PROFILE in the vault.

By default the access key id and the secret are asked on the terminal, the
secret without echo. --env takes AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY;
--stdin reads two lines, the key id and then the secret.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.profile = args[0]
			if o.fromEnv && o.fromStdin {
				return usageErrorf("--env and --stdin cannot be used together")
			}
			return runAdd(cmd.Context(), env, g, o)
		},
	}
	cmd.Flags().BoolVar(&o.fromEnv, "env", false, "read AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	cmd.Flags().BoolVar(&o.fromStdin, "stdin", false, "read the key id and the secret as two lines from standard input")
	return cmd
}

func runAdd(ctx context.Context, env *Env, g *globalOptions, o *addOptions) error {
	if err := awsconfig.ValidateSection(o.profile); err != nil {
		return usageErrorf("invalid profile name: %v", err)
	}
	term := env.terminal()
	defer term.Close()

	var e vault.Entry
	var err error
	switch {
	case o.fromEnv:
		e.AccessKeyID, e.SecretAccessKey = env.Getenv("AWS_ACCESS_KEY_ID"), env.Getenv("AWS_SECRET_ACCESS_KEY")
		if e.AccessKeyID == "" || e.SecretAccessKey == "" {
			return usageErrorf("--env needs both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to be set")
		}
	case o.fromStdin:
		e, err = readKeyLines(env.Stdin)
	default:
		e, err = askKey(term, o.profile)
	}
	if err != nil {
		return err
	}
	e.AccessKeyID = strings.TrimSpace(e.AccessKeyID)
	e.SecretAccessKey = strings.TrimSpace(e.SecretAccessKey)
	e.Added = env.Now().UTC()
	if err := e.Validate(); err != nil {
		return fmt.Errorf("adding key for profile %q: %w", o.profile, err)
	}

	cfg, err := env.loadConfig()
	if err != nil {
		return err
	}
	store, err := env.openVault(ctx, g, term)
	if err != nil {
		return err
	}
	if err := store.Put(ctx, o.profile, e); err != nil {
		return fmt.Errorf("storing key for profile %q: %w", o.profile, err)
	}
	fmt.Fprintf(env.Stdout, "stored %s (%s) in the %s vault\n", o.profile, maskKeyID(e.AccessKeyID), store.Backend())

	if err := ensureConfigProfile(ctx, cfg, o.profile); err != nil {
		return err
	}
	if names := plaintextCopies(cfg, e.AccessKeyID); len(names) > 0 {
		for _, n := range names {
			fmt.Fprintf(env.Stderr, "awsmfa: warning: the same key is still in plaintext in %s (profile %q)\n", cfg.Paths.Credentials, n)
			fmt.Fprintf(env.Stderr, "awsmfa: hint: awsmfa import %s\n", shellQuote(n))
		}
	}
	return nil
}

// readKeyLines reads the key id and the secret as the first two lines of r.
func readKeyLines(r io.Reader) (vault.Entry, error) {
	sc := bufio.NewScanner(io.LimitReader(r, 4096))
	var lines []string
	for len(lines) < 2 && sc.Scan() {
		lines = append(lines, strings.TrimRight(sc.Text(), "\r"))
	}
	if err := sc.Err(); err != nil {
		return vault.Entry{}, fmt.Errorf("reading standard input: %w", err)
	}
	if len(lines) < 2 {
		return vault.Entry{}, usageErrorf("--stdin needs two lines: the access key id, then the secret access key")
	}
	return vault.Entry{AccessKeyID: lines[0], SecretAccessKey: lines[1]}, nil
}

// askKey asks for the key on the terminal; the secret is not echoed.
func askKey(term *terminal, profile string) (vault.Entry, error) {
	t, err := term.get()
	if err != nil {
		return vault.Entry{}, withHint(fmt.Errorf("asking for the access key of profile %q: %w", profile, err),
			"pipe the key id and secret as two lines: awsmfa add %s --stdin", shellQuote(profile))
	}
	id, err := t.ReadLine(fmt.Sprintf("Access key ID for profile %q: ", profile))
	if err != nil {
		return vault.Entry{}, fmt.Errorf("reading access key id: %w", err)
	}
	secret, err := t.ReadSecret("Secret access key: ")
	if err != nil {
		return vault.Entry{}, fmt.Errorf("reading secret access key: %w", err)
	}
	return vault.Entry{AccessKeyID: id, SecretAccessKey: secret}, nil
}

// ensureConfigProfile adds an empty profile section to the config file
// unless either file already defines the profile.
func ensureConfigProfile(ctx context.Context, cfg *awsconfig.Config, profile string) error {
	if p, err := cfg.Profile(profile); err == nil && p.InConfig {
		return nil
	} else if err != nil && !errors.Is(err, awsconfig.ErrProfileNotFound) {
		return err
	}
	return awsconfig.AddProfile(ctx, cfg.Paths, profile)
}

// plaintextCopies names the profiles whose files still hold keyID.
func plaintextCopies(cfg *awsconfig.Config, keyID string) []string {
	var out []string
	for _, name := range cfg.ProfileNames() {
		p, err := cfg.Profile(name)
		if err == nil && p.StaticKeys && p.AccessKeyID == keyID {
			out = append(out, name)
		}
	}
	return out
}

// maskKeyID shows enough of an access key id to recognise it.
func maskKeyID(id string) string {
	if len(id) < 8 {
		return id
	}
	return id[:4] + "…" + id[len(id)-4:]
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.,:/@+=", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
