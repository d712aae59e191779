package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/awsmfa/awsmfa/internal/awsconfig"
	"github.com/awsmfa/awsmfa/internal/session"
	"github.com/awsmfa/awsmfa/internal/vault"
	"github.com/spf13/cobra"
)

type listOptions struct {
	json bool
}

func newListCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &listOptions{}
	cmd := &cobra.Command{
		Use:   "list [--json]",
		Short: "List profiles, where their keys live, and keys left in plaintext",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runList(cmd.Context(), env, g, o)
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON")
	return cmd
}

// Profile kinds shown by list.
const (
	kindVault             = "vault"              // long-term key in the vault
	kindRole              = "role"               // role_arn
	kindCredentialProcess = "credential_process" // another program supplies credentials
	kindPlaintext         = "plaintext"          // long-term key only in the credentials file
	kindOther             = "other"              // SSO, web identity, settings only, …
)

type listedProfile struct {
	Name          string `json:"name"`
	Kind          string `json:"kind"`
	SourceProfile string `json:"source_profile,omitempty"`
	MFASerial     string `json:"mfa_serial,omitempty"`
	Region        string `json:"region,omitempty"`
	InVault       bool   `json:"in_vault"`
	Plaintext     bool   `json:"plaintext_key"`
	// Session is the agent's cached credentials for the profile, if any.
	Session *listedSession `json:"session,omitempty"`
	// KeyCreated is when AWS created the vault's key, when known (rotate
	// records it; a key added by hand has none).
	KeyCreated time.Time `json:"key_created,omitzero"`
}

type listedSession struct {
	Kind       string    `json:"kind"`
	Expiration time.Time `json:"expiration"`
}

type listing struct {
	Backend string `json:"backend"`
	// VaultState is "open", or "locked" when the vault could not be read
	// (no passphrase source); kinds then come from the files alone.
	VaultState string          `json:"vault"`
	Config     string          `json:"config_file"`
	Creds      string          `json:"credentials_file"`
	Profiles   []listedProfile `json:"profiles"`
}

func runList(ctx context.Context, env *Env, g *globalOptions, o *listOptions) error {
	cfg, err := env.loadConfig()
	if err != nil {
		return err
	}
	term := env.terminal()
	defer term.Close()
	store, err := env.openVault(ctx, g, term)
	if err != nil {
		return err
	}
	l := listing{Backend: store.Backend(), VaultState: "open", Config: cfg.Paths.Config, Creds: cfg.Paths.Credentials}
	inVault, err := store.List(ctx)
	switch {
	case errors.Is(err, vault.ErrNoPassphrase):
		l.VaultState = "locked"
		fmt.Fprintf(env.Stderr, "awsmfa: warning: the %s vault is locked (%v); showing the config files only\n", store.Backend(), err)
	case err != nil:
		return err
	}

	sessions := agentSessions(ctx, env)
	names := cfg.ProfileNames()
	for _, n := range inVault {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		lp := listedProfile{Name: n, InVault: slices.Contains(inVault, n), Kind: kindOther}
		p, err := cfg.Profile(n)
		switch {
		case errors.Is(err, awsconfig.ErrProfileNotFound):
			// In the vault only.
		case err != nil:
			return err
		default:
			lp.SourceProfile, lp.Region = p.SourceProfile, p.Region
			lp.MFASerial = chainMFASerial(cfg, p)
			lp.Plaintext = p.StaticKeys && !isSessionKey(p.AccessKeyID)
			switch {
			case p.RoleARN != "":
				lp.Kind = kindRole
			case p.CredentialProcess != "" && !awsconfig.IsOwnCredentialProcess(p.CredentialProcess, n):
				lp.Kind = kindCredentialProcess
			case lp.Plaintext && !lp.InVault:
				lp.Kind = kindPlaintext
			}
		}
		if lp.InVault && lp.Kind == kindOther {
			lp.Kind = kindVault
		}
		if lp.InVault {
			if e, err := store.Get(ctx, n); err == nil && !e.Created.IsZero() {
				lp.KeyCreated = e.Created.UTC()
			}
		}
		if si, ok := sessions[n]; ok {
			lp.Session = &listedSession{Kind: si.Kind, Expiration: si.Expiration.UTC()}
		}
		l.Profiles = append(l.Profiles, lp)
	}

	if o.json {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(l); err != nil {
			return err
		}
	} else if err := printListing(env.Stdout, l, env.Now()); err != nil {
		return err
	}
	for _, p := range l.Profiles {
		if p.Plaintext {
			fmt.Fprintf(env.Stderr, "awsmfa: warning: profile %q has a long-term key in PLAINTEXT in %s\n", p.Name, cfg.Paths.Credentials)
			fmt.Fprintf(env.Stderr, "awsmfa: hint: awsmfa import %s\n", shellQuote(p.Name))
		}
	}
	return nil
}

// chainMFASerial is the mfa_serial a profile uses: its own, or the nearest
// one along its source_profile chain. A broken chain shows none.
func chainMFASerial(cfg *awsconfig.Config, p *awsconfig.Profile) string {
	if p.MFASerial != "" {
		return p.MFASerial
	}
	chain, err := cfg.SourceChain(p.Name, nil)
	if err != nil {
		return ""
	}
	return awsconfig.ChainMFASerial(chain)
}

func isSessionKey(id string) bool { return len(id) >= 4 && id[:4] == "ASIA" }

// agentSessions asks a running agent, without starting one, for its
// sessions by profile. It needs no unlock: the agent tells no secrets.
func agentSessions(ctx context.Context, env *Env) map[string]session.SessionInfo {
	out := map[string]session.SessionInfo{}
	c, err := env.connectAgent(ctx, false)
	if err != nil {
		return out
	}
	defer c.Close()
	st, err := c.Status(ctx)
	if err != nil {
		return out
	}
	for _, s := range st.Sessions {
		out[s.Profile] = s
	}
	return out
}

func printListing(w io.Writer, l listing, now time.Time) error {
	fmt.Fprintf(w, "vault: %s (%s)\n", l.Backend, l.VaultState)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROFILE\tKIND\tSOURCE\tMFA SERIAL\tREGION\tKEY AGE\tSESSION")
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	for _, p := range l.Profiles {
		kind := p.Kind
		if p.Plaintext {
			kind += " (PLAINTEXT KEY!)"
		}
		sess := "-"
		if p.Session != nil {
			sess = fmt.Sprintf("%s, %s left", p.Session.Kind, p.Session.Expiration.Sub(now).Round(time.Minute))
		}
		age := "-"
		if !p.KeyCreated.IsZero() {
			age = fmt.Sprintf("%dd", int(now.Sub(p.KeyCreated)/(24*time.Hour)))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Name, kind, dash(p.SourceProfile), dash(p.MFASerial), dash(p.Region), age, sess)
	}
	return tw.Flush()
}
