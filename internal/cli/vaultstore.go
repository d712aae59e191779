package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/awsmfa/awsmfa/internal/agent"
	"github.com/awsmfa/awsmfa/internal/session"
	"github.com/awsmfa/awsmfa/internal/vault"
)

// maxPassphraseTries is how often a passphrase typed on the terminal is
// asked for one vault operation when it turns out wrong.
const maxPassphraseTries = 3

// agentVault returns the agent's vault as a Store, starting the agent and
// making it open the vault this command would use, so that a file vault's
// passphrase is asked once per agent, not once per command; nil when the
// agent is disabled or cannot help, and the command then opens the vault
// itself. p answers the agent's passphrase asks.
func (e *Env) agentVault(ctx context.Context, g *globalOptions, p vault.Prompter) vault.Store {
	if e.agentDisabled(nil) {
		return nil
	}
	home, err := e.home()
	if err != nil {
		return nil
	}
	env, err := e.requestEnviron(home)
	if err != nil {
		return nil
	}
	// Only the first connection may start the agent: one that ended during
	// the command must not be replaced by a fresh one asking again.
	started := false
	connect := func(ctx context.Context) (*agent.Client, error) {
		start := !started
		started = true
		return e.connectAgent(ctx, start)
	}
	s, err := agent.OpenStore(ctx, connect, g.backend, env, &vaultAsker{getenv: e.Getenv, prompter: p}, true)
	if err != nil || s == nil {
		// An agent that cannot help leaves the vault to this process.
		return nil
	}
	return s
}

// forgetAgentSessions makes a running agent forget the sessions of profile
// (and the roles assumed from them), after this process changed the
// profile's key in the vault. Best effort: without an agent there is
// nothing to forget.
func (e *Env) forgetAgentSessions(ctx context.Context, profile string) {
	if e.GOOS == "windows" {
		return
	}
	c, err := e.connectAgent(ctx, false)
	if err != nil {
		return
	}
	defer c.Close()
	_, _ = c.Clear(ctx, profile)
}

// vaultAsker answers the agent's asks during a vault operation: only the
// passphrase, from this process's sources or the terminal.
type vaultAsker struct {
	getenv   func(string) string
	prompter vault.Prompter
}

func (a *vaultAsker) Passphrase(ctx context.Context, creating bool) (string, error) {
	pass, err := vault.ReadPassphrase(ctx, a.getenv, a.prompter, creating)
	if errors.Is(err, vault.ErrNoPassphrase) {
		return "", fmt.Errorf("%w: %w", session.ErrCannotAsk, err)
	}
	return pass, err
}

func (a *vaultAsker) QuietPassphrase(ctx context.Context, creating bool) (string, error) {
	return quietPassphrase(ctx, a.getenv, creating)
}

// quietPassphrase returns the passphrase from the sources that need no
// person (file, command, variable); without one, an error wrapping
// session.ErrCannotAsk, and nothing is prompted.
func quietPassphrase(ctx context.Context, getenv func(string) string, creating bool) (string, error) {
	pass, err := vault.ReadPassphrase(ctx, getenv, nil, creating)
	if errors.Is(err, vault.ErrNoPassphrase) {
		return "", fmt.Errorf("%w: %w", session.ErrCannotAsk, err)
	}
	return pass, err
}

func (a *vaultAsker) MFACode(context.Context, session.MFAAsk) (string, error) {
	return "", fmt.Errorf("a vault operation asks no MFA code: %w", session.ErrCannotAsk)
}

func (a *vaultAsker) ChooseDevice(context.Context, string, []string) (string, error) {
	return "", fmt.Errorf("a vault operation chooses no MFA device: %w", session.ErrCannotAsk)
}

// countingPrompter counts the passphrases asked on the terminal, so that a
// wrong one is asked again only when a person typed it.
type countingPrompter struct {
	term *terminal
	n    int
}

func (c *countingPrompter) ReadSecret(prompt string) (string, error) {
	c.n++
	return c.term.ReadSecret(prompt)
}

// commandStore is the vault as a command uses it: a passphrase typed wrong on
// the terminal is asked again (maxPassphraseTries in all), and after a key
// was stored or removed in this process (not through the agent), a running
// agent forgets the profile's sessions.
type commandStore struct {
	vault.Store
	prompts *countingPrompter // nil without a terminal
	changed func(ctx context.Context, profile string)
}

func (s *commandStore) try(op func() error) error {
	for attempt := 1; ; attempt++ {
		n := 0
		if s.prompts != nil {
			n = s.prompts.n
		}
		err := op()
		if err == nil || !errors.Is(err, vault.ErrWrongPassphrase) || s.prompts == nil || s.prompts.n == n || attempt >= maxPassphraseTries {
			return err
		}
		if t, terr := s.prompts.term.get(); terr == nil {
			_ = t.Say("Wrong passphrase, try again.\n")
		}
	}
}

func (s *commandStore) Get(ctx context.Context, profile string) (e vault.Entry, err error) {
	err = s.try(func() error {
		e, err = s.Store.Get(ctx, profile)
		return err
	})
	return e, err
}

func (s *commandStore) List(ctx context.Context) (names []string, err error) {
	err = s.try(func() error {
		names, err = s.Store.List(ctx)
		return err
	})
	return names, err
}

func (s *commandStore) Put(ctx context.Context, profile string, e vault.Entry) error {
	err := s.try(func() error { return s.Store.Put(ctx, profile, e) })
	if err == nil && s.changed != nil {
		s.changed(ctx, profile)
	}
	return err
}

func (s *commandStore) Delete(ctx context.Context, profile string) error {
	err := s.try(func() error { return s.Store.Delete(ctx, profile) })
	if err == nil && s.changed != nil {
		s.changed(ctx, profile)
	}
	return err
}

var (
	_ session.QuietAsker = (*vaultAsker)(nil)
	_ session.QuietAsker = (*cliAsker)(nil)
)
