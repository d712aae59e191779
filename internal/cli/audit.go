package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/awsmfa/awsmfa/internal/audit"
	"github.com/awsmfa/awsmfa/internal/awsconfig"
	"github.com/awsmfa/awsmfa/internal/session"
	"github.com/awsmfa/awsmfa/internal/vault"
	"github.com/spf13/cobra"
)

// audit's exit codes (README, "awsmfa audit"): 0 when nothing is above ok.
const (
	ExitAuditWarning  = 10 // warnings, and no critical finding
	ExitAuditCritical = 11 // at least one critical finding
)

type auditOptions struct {
	json     bool
	local    bool
	noProbe  bool
	mfaToken string
}

func newAuditCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &auditOptions{}
	cmd := &cobra.Command{
		Use:   "audit [PROFILE...] [--json] [--local] [--no-probe]",
		Short: "Check what someone who copied your home directory could do with it",
		Long: `Check for credentials left on disk or in the environment, and ask IAM what
each long-term key in the vault can do without MFA.

Local checks (always; no network, no vault): long-term keys in plaintext,
modes of ~/.aws, the AWS files, the vault and the agent's directory, session
credentials other tools cached, keys in shell startup files, credentials in
the environment, role profiles with no mfa_serial.

IAM checks (unless --local), for each key profile in the vault (or PROFILE...):
MFA devices, access keys, what the key alone may do (SimulatePrincipalPolicy,
and one live call unless --no-probe), and the trust policy and session limit
of each role the config assumes with it. At most one MFA code per key, asked
only when a check needs it.

Exit status: 0 when nothing is above ok, 10 for warnings, 11 for any critical
finding.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAudit(cmd.Context(), env, g, o, args)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&o.json, "json", false, "print the findings as JSON (schema version 1)")
	fs.BoolVar(&o.local, "local", false, "only the local checks: no network, no vault, no passphrase")
	fs.BoolVar(&o.noProbe, "no-probe", false, "skip the live call made with each key alone")
	fs.StringVar(&o.mfaToken, "mfa-token", "", "the current MFA code, for the one check that may need it")
	return cmd
}

func runAudit(ctx context.Context, env *Env, g *globalOptions, o *auditOptions, profiles []string) error {
	if o.local && len(profiles) > 0 {
		return usageErrorf("PROFILE names key profiles for the IAM checks, which --local skips")
	}
	home, err := env.home()
	if err != nil {
		return err
	}
	cfg, err := env.loadConfig()
	if err != nil {
		return err
	}
	findings := audit.Local(audit.Options{
		Home: home, Getenv: env.Getenv, GOOS: env.GOOS, UID: os.Getuid(), Now: env.Now(), Config: cfg,
	})
	if !o.local {
		more, err := auditIAM(ctx, env, g, o, cfg, home, profiles)
		if err != nil {
			return withHint(err, "awsmfa audit --local runs the checks that need neither the vault nor AWS")
		}
		findings = append(findings, more...)
	}
	report := audit.NewReport(findings)
	if o.json {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return err
		}
	} else if err := printAudit(env.Stdout, report); err != nil {
		return err
	}
	switch report.Worst() {
	case audit.Critical:
		return &exitStatusError{code: ExitAuditCritical}
	case audit.Warning:
		return &exitStatusError{code: ExitAuditWarning}
	}
	return nil
}

// auditIAM runs the IAM checks in this process, with one Broker that keeps
// each key's MFA session for the run.
func auditIAM(ctx context.Context, env *Env, g *globalOptions, o *auditOptions, cfg *awsconfig.Config, home string, profiles []string) ([]audit.Finding, error) {
	req := session.Request{Env: map[string]string{}, Backend: g.backend}
	for _, k := range requestEnv {
		if v := env.Getenv(k); v != "" {
			req.Env[k] = v
		}
	}
	if req.Env["HOME"] == "" {
		req.Env["HOME"] = home
	}
	b := session.NewBroker(session.Options{OpenVault: env.vaultOpener(), Now: env.Now, Cache: true})
	asker := env.asker(&credentialOptions{mfaToken: o.mfaToken})
	inVault, err := b.VaultProfiles(ctx, req, asker)
	if err != nil {
		return nil, err
	}
	keys, err := keyProfiles(cfg, inVault, profiles)
	if err != nil {
		return nil, err
	}
	a := &audit.BrokerAWS{Broker: b, Base: req, Asker: asker}
	return audit.IAM(ctx, a, audit.IAMOptions{Config: cfg, Profiles: keys, VaultProfiles: inVault, Probe: !o.noProbe, Now: env.Now()})
}

// keyProfiles are the key profiles to audit: every one in the vault, or
// those PROFILE... name or end their source chain at.
func keyProfiles(cfg *awsconfig.Config, inVault, args []string) ([]string, error) {
	if len(args) == 0 {
		return slices.Sorted(slices.Values(inVault)), nil
	}
	holds := func(p string) bool { return slices.Contains(inVault, p) }
	var out []string
	for _, a := range args {
		key := a
		if cfg.HasProfile(a) {
			chain, err := cfg.SourceChain(a, holds)
			if err != nil {
				return nil, &configError{err}
			}
			key = chain[len(chain)-1].Name
		}
		if !holds(key) {
			return nil, withHint(fmt.Errorf("the vault holds no key for profile %s: %w", key, vault.ErrNotFound),
				"awsmfa import %s, or awsmfa add %s", shellQuote(key), shellQuote(key))
		}
		if !slices.Contains(out, key) {
			out = append(out, key)
		}
	}
	return out, nil
}

// printAudit prints the findings grouped by severity, each with its fix.
func printAudit(w io.Writer, r audit.Report) error {
	var b strings.Builder
	count := map[audit.Severity]int{}
	for _, f := range r.Findings {
		count[f.Severity]++
	}
	for _, sev := range []audit.Severity{audit.Critical, audit.Warning, audit.OK} {
		if count[sev] == 0 {
			continue
		}
		fmt.Fprintf(&b, "%s (%d)\n", strings.ToUpper(string(sev)), count[sev])
		for _, f := range r.Findings {
			if f.Severity != sev {
				continue
			}
			where := f.Resource
			if f.Profile != "" {
				where = strings.TrimSpace("[" + f.Profile + "] " + where)
			}
			if where == "" {
				where = "-"
			}
			fmt.Fprintf(&b, "  %-18s %s\n", f.ID, where)
			fmt.Fprintf(&b, "  %-18s %s\n", "", f.Message)
			if f.Fix != "" {
				fmt.Fprintf(&b, "  %-18s fix: %s\n", "", f.Fix)
			}
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%d critical, %d warning, %d ok\n", count[audit.Critical], count[audit.Warning], count[audit.OK])
	_, err := io.WriteString(w, b.String())
	return err
}
