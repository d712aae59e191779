package agent

import (
	"context"
	"errors"

	"github.com/awsmfa/awsmfa/internal/session"
	"github.com/awsmfa/awsmfa/internal/vault"
)

// Vault runs a vault operation in the agent; asks on the way (the vault
// passphrase, when the agent's vault needs it) go to asker.
func (c *Client) Vault(ctx context.Context, req session.VaultRequest, asker session.Asker) (session.VaultResult, error) {
	m, err := c.call(ctx, message{Type: msgVault, Vault: &req}, asker)
	if err != nil {
		return session.VaultResult{}, err
	}
	if err := replyErr(m); err != nil {
		return session.VaultResult{}, err
	}
	if m.VaultResult == nil {
		return session.VaultResult{}, errors.New("agent reply without a vault result")
	}
	return *m.VaultResult, nil
}

// Store is a vault.Store whose operations run in the agent, on the vault it
// holds open, so that they need no passphrase while the agent is unlocked;
// the agent forgets the sessions of a key replaced or removed through it.
//
// Get returns the entry without its secret: the secret never leaves the
// agent. Every operation connects anew (without starting an agent) and
// fails when the agent is gone.
type Store struct {
	connect func(ctx context.Context) (*Client, error)
	base    session.VaultRequest // Backend and Env
	asker   session.Asker
	backend string
}

// OpenStore returns a Store for the vault that backend and env select.
// With open unset it does so only when the agent that connect reaches
// already holds that vault open, and never makes the agent open a vault;
// with open set, the agent opens the vault if need be (asking nothing yet:
// the first operation that must read or write a file vault asks asker for
// its passphrase, once for the agent's lifetime). Without an agent (or one
// that runs no vault operations) it returns nil and no error: the caller
// then opens the vault itself. asker answers the agent's asks during
// operations.
func OpenStore(ctx context.Context, connect func(ctx context.Context) (*Client, error), backend string, env map[string]string, asker session.Asker, open bool) (*Store, error) {
	s := &Store{connect: connect, base: session.VaultRequest{Backend: backend, Env: env}, asker: asker}
	op := session.VaultInfo
	if open {
		op = session.VaultUse
	}
	res, err := s.do(ctx, session.VaultRequest{Op: op})
	if err != nil {
		var se *session.Error
		if errors.Is(err, ErrNotRunning) || errors.Is(err, ErrUnsupported) || (errors.As(err, &se) && se.Kind == session.KindUnsupported) {
			return nil, nil
		}
		return nil, err
	}
	if !res.Open {
		return nil, nil
	}
	s.backend = res.Backend
	return s, nil
}

func (s *Store) do(ctx context.Context, req session.VaultRequest) (session.VaultResult, error) {
	c, err := s.connect(ctx)
	if err != nil {
		return session.VaultResult{}, err
	}
	defer c.Close()
	req.Backend, req.Env = s.base.Backend, s.base.Env
	return c.Vault(ctx, req, s.asker)
}

// Backend names the agent's vault backend.
func (s *Store) Backend() string { return s.backend }

// Get returns profile's key id and time, without the secret.
func (s *Store) Get(ctx context.Context, profile string) (vault.Entry, error) {
	res, err := s.do(ctx, session.VaultRequest{Op: session.VaultGet, Profile: profile})
	if err != nil {
		return vault.Entry{}, err
	}
	return vault.Entry{AccessKeyID: res.KeyID, Added: res.Added, Created: res.Created, Replaces: res.Replaces}, nil
}

// Put stores e in the agent's vault; the agent forgets the sessions of the
// key it replaces.
func (s *Store) Put(ctx context.Context, profile string, e vault.Entry) error {
	if err := e.Validate(); err != nil {
		return err
	}
	_, err := s.do(ctx, session.VaultRequest{Op: session.VaultPut, Profile: profile, Entry: &e})
	return err
}

// Delete removes profile's key; the agent forgets its sessions and the
// roles assumed from them.
func (s *Store) Delete(ctx context.Context, profile string) error {
	_, err := s.do(ctx, session.VaultRequest{Op: session.VaultDelete, Profile: profile})
	return err
}

// List returns the profiles with keys.
func (s *Store) List(ctx context.Context) ([]string, error) {
	res, err := s.do(ctx, session.VaultRequest{Op: session.VaultList})
	if err != nil {
		return nil, err
	}
	if res.Names == nil {
		return []string{}, nil
	}
	return res.Names, nil
}

var _ vault.Store = (*Store)(nil)
