package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/awsmfa/awsmfa/internal/agent"
	"github.com/awsmfa/awsmfa/internal/rotate"
	"github.com/awsmfa/awsmfa/internal/session"
	"github.com/awsmfa/awsmfa/internal/vault"
	"github.com/spf13/cobra"
)

type rotateOptions struct {
	profile        string
	deactivate     bool
	deleteInactive bool
	deleteOther    string
	creds          credentialOptions
}

func newRotateCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &rotateOptions{}
	cmd := &cobra.Command{
		Use:   "rotate PROFILE [--deactivate] [--delete-inactive] [--delete-other KEYID]",
		Short: "Replace a profile's access key with a new one",
		Long: `Replace the long-term access key of PROFILE (an IAM-user profile, or a role
profile's source) with a new one, using its MFA session:
  1. CreateAccessKey;
  2. store the new key in the vault at once;
  3. wait until AWS accepts the new key (IAM is eventually consistent);
  4. delete the old key (--deactivate only deactivates it);
  5. forget the sessions the agent made with the old key.

A crash at any point leaves a working key in the vault; running rotate again
finishes an interrupted rotation. AWS allows two keys per user: when the user has
two, rotate refuses and lists them. --delete-inactive deletes the other key when
it is inactive; --delete-other KEYID deletes the named other key, active or not.
An active key the vault does not hold (one an interrupted rotate left, or one used
elsewhere) is offered for deletion on a terminal.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.profile = args[0]
			return runRotate(cmd.Context(), env, g, o)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&o.deactivate, "deactivate", false, "deactivate the old key instead of deleting it")
	fs.BoolVar(&o.deleteInactive, "delete-inactive", false, "delete the user's other key when it is inactive, to make room")
	fs.StringVar(&o.deleteOther, "delete-other", "", "delete this other key of the user first (one the vault does not hold)")
	fs.StringVar(&o.creds.mfaToken, "mfa-token", "", "the current MFA code, instead of asking for it")
	fs.BoolVar(&o.creds.noAgent, "no-agent", false, "work in this process and cache nothing (also AWSMFA_NO_AGENT=1)")
	return cmd
}

func runRotate(ctx context.Context, env *Env, g *globalOptions, o *rotateOptions) error {
	req, err := env.sessionRequest(g, o.profile)
	if err != nil {
		return err
	}
	ep, err := session.ResolveEndpoints(req)
	if err != nil {
		return env.didYouMean(err, o.profile)
	}
	profile := ep.KeyProfile
	if profile != o.profile {
		fmt.Fprintf(env.Stderr, "awsmfa: rotating the key of profile %s, the source of %s\n", profile, o.profile)
	}
	// The MFA session of the key profile makes the IAM calls.
	res, err := env.credentials(ctx, g, profile, &o.creds, 0)
	if err != nil {
		return err
	}
	env.printNotices(res)
	term := env.terminal()
	defer term.Close()
	// The vault is opened here, not through the agent: finishing an
	// interrupted rotation needs the new key's secret, which the agent
	// never hands out. The agent reads the vault anew when it changes.
	store, err := env.openVaultHere(ctx, g, term)
	if err != nil {
		return err
	}
	ro := rotate.Options{
		Profile:        profile,
		Store:          store,
		IAM:            rotate.NewAWS(rotate.AWSOptions{Endpoints: ep, Session: res.Credentials}),
		Deactivate:     o.deactivate,
		DeleteInactive: o.deleteInactive,
		DeleteOther:    o.deleteOther,
		Now:            env.Now,
		Progress:       func(format string, args ...any) { fmt.Fprintf(env.Stderr, "awsmfa: "+format+"\n", args...) },
		Forget:         func(ctx context.Context) error { return env.forgetSessions(ctx, profile) },
		Step:           env.testOnlyRotateStep,
	}
	if env.testOnlyRotateNoWait {
		ro.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	}
	if term.available() {
		ro.Confirm = func(ctx context.Context, k rotate.Key) (bool, error) {
			t, err := term.get()
			if err != nil {
				return false, err
			}
			if err := t.Say("AWS has another active key of this user, %s (created %s ago), that the vault does not hold.\n"+
				"An interrupted rotate leaves such a key; it may also be in use elsewhere.\n", k.ID, rotate.Age(env.Now(), k.Created)); err != nil {
				return false, err
			}
			answer, err := t.ReadLine(fmt.Sprintf("Delete %s? [y/N] ", k.ID))
			if err != nil {
				return false, fmt.Errorf("reading the answer: %w", err)
			}
			a := strings.ToLower(strings.TrimSpace(answer))
			return a == "y" || a == "yes", nil
		}
	}
	out, err := rotate.Run(ctx, ro)
	if err != nil {
		return err
	}
	if out.ForgetErr != nil {
		fmt.Fprintf(env.Stderr, "awsmfa: warning: the agent could not forget the sessions made with the old key: %v\n", out.ForgetErr)
		fmt.Fprintf(env.Stderr, "awsmfa: hint: awsmfa clear %s\n", shellQuote(profile))
	}
	switch {
	case out.Retired != "":
		fmt.Fprintf(env.Stdout, "rotated the key of profile %s: %s is in the vault, %s was %s\n", shellQuote(profile), out.New.ID, out.Old.ID, out.Retired)
	default:
		fmt.Fprintf(env.Stdout, "rotated the key of profile %s: %s is in the vault, %s is gone\n", shellQuote(profile), out.New.ID, out.Old.ID)
	}
	return nil
}

// openVaultHere opens the vault in this process, never through the agent.
func (e *Env) openVaultHere(ctx context.Context, g *globalOptions, term *terminal) (vault.Store, error) {
	dir, err := e.dataDir()
	if err != nil {
		return nil, err
	}
	var p vault.Prompter
	if term.available() {
		p = term
	}
	return vault.Open(ctx, vault.Options{Backend: g.backend, DataDir: dir, Getenv: e.Getenv, Prompter: p,
		TestOnlyScryptWorkFactor: e.testOnlyScryptWorkFactor})
}

// sessionRequest is the Request credentials would send for profile.
func (e *Env) sessionRequest(g *globalOptions, profile string) (session.Request, error) {
	home, err := e.home()
	if err != nil {
		return session.Request{}, err
	}
	req := session.Request{Profile: profile, Env: map[string]string{}, Backend: g.backend}
	for _, k := range requestEnv {
		if v := e.Getenv(k); v != "" {
			req.Env[k] = v
		}
	}
	if req.Env["HOME"] == "" {
		req.Env["HOME"] = home
	}
	return req, nil
}

// forgetSessions makes a running agent forget profile's sessions and those
// derived from it; without an agent there is nothing to forget.
func (e *Env) forgetSessions(ctx context.Context, profile string) error {
	c, err := e.connectAgent(ctx, false)
	if errors.Is(err, agent.ErrNotRunning) || errors.Is(err, agent.ErrUnsupported) {
		return nil
	}
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Clear(ctx, profile)
	return err
}
