package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/awsmfa/awsmfa/internal/agent"
	"github.com/awsmfa/awsmfa/internal/cached"
	"github.com/awsmfa/awsmfa/internal/mfa"
	"github.com/awsmfa/awsmfa/internal/secretcmd"
	"github.com/awsmfa/awsmfa/internal/session"
	"github.com/awsmfa/awsmfa/internal/tty"
	"github.com/awsmfa/awsmfa/internal/userdirs"
	"github.com/awsmfa/awsmfa/internal/vault"
	"github.com/spf13/pflag"
)

// credentialOptions are the flags of every command that hands out credentials.
type credentialOptions struct {
	mfaToken        string
	duration        time.Duration
	sessionDuration time.Duration
	noSession       bool
	noAgent         bool
	save            bool
}

func addCredentialFlags(fs *pflag.FlagSet, o *credentialOptions) {
	fs.StringVar(&o.mfaToken, "mfa-token", "", "the current MFA code, instead of asking for it")
	fs.DurationVar(&o.duration, "duration", 0, "how long role credentials last (default: the profile's duration_seconds, else 1h)")
	fs.DurationVar(&o.sessionDuration, "session-duration", 0, "how long the MFA session lasts (default: the profile's awsmfa_session_duration, else 8h)")
	fs.BoolVar(&o.noSession, "no-session", false, "assume roles with MFA straight from the long-term key, without an MFA session")
	fs.BoolVar(&o.noAgent, "no-agent", false, "work in this process and cache nothing (also AWSMFA_NO_AGENT=1)")
	fs.BoolVar(&o.save, "save", false, "write a discovered mfa_serial into the config file")
}

// requestEnv lists the variables sent to the agent with each request (see
// cached.RequestEnv).
var requestEnv = cached.RequestEnv

// credentials obtains credentials for profile from the agent, or in this
// process with --no-agent. A mistyped profile gets a did-you-mean hint.
func (e *Env) credentials(ctx context.Context, g *globalOptions, profile string, o *credentialOptions, minRemaining time.Duration) (_ session.Result, err error) {
	defer func() { err = e.didYouMean(err, profile) }()
	req, err := e.credentialRequest(g, profile, o, minRemaining)
	if err != nil {
		return session.Result{}, err
	}
	asker := e.asker(o)

	if e.agentDisabled(o) {
		b := session.NewBroker(session.Options{OpenVault: e.vaultOpener(), Now: e.Now})
		return b.Credentials(ctx, req, asker)
	}
	c, err := e.connectAgent(ctx, true)
	if err != nil {
		return session.Result{}, err
	}
	defer c.Close()
	return c.Credentials(ctx, req, asker)
}

// credentialRequest is the Broker's request for profile with this
// command's flags and environment.
func (e *Env) credentialRequest(g *globalOptions, profile string, o *credentialOptions, minRemaining time.Duration) (session.Request, error) {
	home, err := e.home()
	if err != nil {
		return session.Request{}, err
	}
	reqEnv, err := e.requestEnviron(home)
	if err != nil {
		return session.Request{}, err
	}
	req := session.Request{
		Profile:         profile,
		Env:             reqEnv,
		Backend:         g.backend,
		Duration:        o.duration,
		SessionDuration: o.sessionDuration,
		NoSession:       o.noSession,
		SaveSerial:      o.save,
		MinRemaining:    minRemaining,
	}
	return req, nil
}

// agentDisabled reports whether this run works in-process.
func (e *Env) agentDisabled(o *credentialOptions) bool {
	if o != nil && o.noAgent {
		return true
	}
	if v, err := strconv.ParseBool(e.Getenv("AWSMFA_NO_AGENT")); err == nil && v {
		return true
	}
	return e.GOOS == "windows"
}

// runtimeDir is where the agent's socket lives.
func (e *Env) runtimeDir() (string, error) {
	home, err := e.home()
	if err != nil {
		return "", err
	}
	return userdirs.RuntimeDir(e.Getenv, home, e.GOOS, os.Getuid())
}

// connectAgent connects to the agent, starting it when start is set.
func (e *Env) connectAgent(ctx context.Context, start bool) (*agent.Client, error) {
	dir, err := e.runtimeDir()
	if err != nil {
		return nil, err
	}
	exe, err := e.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding the awsmfa binary to start the agent: %w", err)
	}
	o := agent.ConnectOptions{Dir: dir, Version: agentVersion(exe)}
	if start {
		o.Start = agent.DetachedStart(exe, e.Argv0, []string{"agent", "run", "--dir", dir}, e.agentEnviron())
	}
	return agent.Connect(ctx, o)
}

// agentVersion identifies the binary's build (see agent.BuildIdentity): two
// copies of one build share an agent, and a rebuild replaces it.
func agentVersion(exe string) string { return agent.BuildIdentity(version(), exe) }

// agentEnviron is the environment a detached agent starts with: no
// credentials, no passphrase, no profile selection.
func (e *Env) agentEnviron() []string {
	return scrubEnv(e.Environ())
}

// scrubEnv removes every variable that carries AWS credentials, selects a
// profile, or holds the vault passphrase (the one rule, secretcmd.ScrubEnv).
func scrubEnv(env []string) []string { return secretcmd.ScrubEnv(env) }

// vaultOpener opens the vault for a Broker with the requesting caller's
// environment; the passphrase comes only through the Broker's askers.
func (e *Env) vaultOpener() func(ctx context.Context, backend string, env map[string]string, passphrase func(context.Context, bool) (string, error)) (vault.Store, error) {
	return func(ctx context.Context, backend string, env map[string]string, passphrase func(context.Context, bool) (string, error)) (vault.Store, error) {
		getenv := func(k string) string {
			if strings.HasPrefix(k, "AWSMFA_PASSPHRASE") {
				return ""
			}
			return env[k]
		}
		dir, err := userdirs.DataDir(getenv, env["HOME"], e.GOOS)
		if err != nil {
			return nil, err
		}
		return vault.Open(ctx, vault.Options{
			Backend:                  backend,
			DataDir:                  dir,
			Getenv:                   getenv,
			Passphrase:               passphrase,
			TestOnlyScryptWorkFactor: e.testOnlyScryptWorkFactor,
		})
	}
}

// cliAsker answers the Broker's asks for this command: MFA codes from
// --mfa-token, mfa_process or the terminal; the passphrase from this
// process's sources or the terminal; a device choice on the terminal.
type cliAsker struct {
	env *Env
	src *mfa.Source
}

func (e *Env) asker(o *credentialOptions) *cliAsker {
	src := &mfa.Source{
		Token:  o.mfaToken,
		Env:    scrubEnv(e.Environ()),
		Stderr: e.Stderr,
		OpenTTY: func() (mfa.Terminal, error) {
			return e.OpenTTY()
		},
	}
	return &cliAsker{env: e, src: src}
}

func (a *cliAsker) MFACode(ctx context.Context, ask session.MFAAsk) (string, error) {
	return a.src.Code(ctx, ask)
}

func (a *cliAsker) Passphrase(ctx context.Context, creating bool) (string, error) {
	var p vault.Prompter
	t, terr := a.env.OpenTTY()
	if terr == nil {
		defer t.Close()
		p = t
	}
	pass, err := vault.ReadPassphrase(ctx, a.env.Getenv, p, creating)
	if errors.Is(err, vault.ErrNoPassphrase) {
		if errors.Is(terr, tty.ErrBackground) {
			err = fmt.Errorf("%w (%w)", err, tty.ErrBackground)
		}
		return "", fmt.Errorf("%w: %w", session.ErrCannotAsk, err)
	}
	return pass, err
}

// QuietPassphrase gives the passphrase from a file, command or variable,
// never from the terminal.
func (a *cliAsker) QuietPassphrase(ctx context.Context, creating bool) (string, error) {
	return quietPassphrase(ctx, a.env.Getenv, creating)
}

func (a *cliAsker) ChooseDevice(ctx context.Context, profile string, serials []string) (string, error) {
	t, err := a.env.OpenTTY()
	if err != nil {
		return "", fmt.Errorf("%w: %w", session.ErrCannotAsk, err)
	}
	defer t.Close()
	if err := t.Say("Profile %q has %d MFA devices:\n", profile, len(serials)); err != nil {
		return "", err
	}
	for i, s := range serials {
		if err := t.Say("  %d) %s\n", i+1, s); err != nil {
			return "", err
		}
	}
	for range 3 {
		answer, err := t.ReadLine(fmt.Sprintf("Use which device? [1-%d] ", len(serials)))
		if err != nil {
			return "", err
		}
		if n, err := strconv.Atoi(strings.TrimSpace(answer)); err == nil && n >= 1 && n <= len(serials) {
			return serials[n-1], nil
		}
	}
	return "", errors.New("no MFA device chosen")
}

// printNotices shows the Broker's notices on stderr.
func (e *Env) printNotices(r session.Result) {
	for _, n := range r.Notices {
		fmt.Fprintf(e.Stderr, "awsmfa: %s\n", n)
	}
}
