package session

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/awsmfa/awsmfa/internal/vault"
)

// VaultOpen reports whether the Broker holds an opened vault (for the file
// backend: decrypted, its passphrase known).
func (b *Broker) VaultOpen() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.vaults) > 0
}

// ForgetVault closes the vault but keeps the sessions: the next call that
// needs a long-term key opens it again.
func (b *Broker) ForgetVault() {
	b.mu.Lock()
	defer b.mu.Unlock()
	clear(b.vaults)
}

// keyState is what the Broker knows of one profile's long-term key in one
// vault. Every cached set records the epoch of its key when its work began;
// a set whose key changed meanwhile is not cached (see store).
type keyState struct {
	id    string // the access key id last read or written; "" unknown or removed
	epoch uint64 // raised whenever the key is replaced or removed
}

// keyEpoch returns the epoch of p's long-term key.
func (b *Broker) keyEpoch(p *plan) uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.keys[vaultKey(p.req)+"\x00"+p.base.Name].epoch
}

// noteKey records the key id just read for profile from the vault vk. A key
// that differs from the one read before was changed behind the Broker's back
// (another process wrote the vault): the sets made with the old key go.
func (b *Broker) noteKey(vk, profile, id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := vk + "\x00" + profile
	st := b.keys[k]
	if st.id != "" && st.id != id {
		b.dropKeyLocked(vk, profile)
	}
	st.id = id
	b.keys[k] = st
}

// keyChanged records that profile's key in the vault vk was replaced (id)
// or removed (""): every set derived from it goes, and work under way with
// the old key is not cached.
func (b *Broker) keyChanged(vk, profile, id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := vk + "\x00" + profile
	st := b.keys[k]
	if id != "" && st.id == id {
		return // the same key stored again
	}
	b.dropKeyLocked(vk, profile)
	b.keys[k] = keyState{id: id, epoch: st.epoch + 1}
}

// dropKeyLocked forgets the sets derived from profile's key in the vault vk,
// and the MFA devices discovered for it (another key may be another user).
func (b *Broker) dropKeyLocked(vk, profile string) {
	for k, e := range b.cache {
		if e.vault == vk && slices.Contains(e.deps, profile) {
			delete(b.cache, k)
		}
	}
	for k := range b.serials {
		if strings.Contains(k, "\x00"+profile+"\x00") {
			delete(b.serials, k)
		}
	}
}

// Vault operations a client may ask the agent to run on its vault.
const (
	VaultInfo   = "info"   // is the caller's vault open here; never opens it
	VaultUse    = "use"    // open the caller's vault here if need be; asks nothing yet
	VaultList   = "list"   // the profiles with keys
	VaultGet    = "get"    // a profile's key id and time, never its secret
	VaultPut    = "put"    // store a key
	VaultDelete = "delete" // remove a key
)

// VaultRequest asks for one operation on the vault that Backend and Env
// select, as Request's fields of the same names do.
type VaultRequest struct {
	Op      string            `json:"op"`
	Profile string            `json:"profile,omitempty"`
	Backend string            `json:"backend,omitempty"`
	Env     map[string]string `json:"env,omitempty"`
	// Entry is the key to store (put only): the one secret that crosses
	// the socket towards the agent here.
	Entry *vault.Entry `json:"entry,omitempty"`
}

// VaultResult answers a VaultRequest. It never holds a secret.
type VaultResult struct {
	// Backend names the vault's backend; Open says whether the Broker holds
	// the vault open (info, and after every other operation).
	Backend string `json:"backend,omitempty"`
	Open    bool   `json:"open"`
	// Names answers list.
	Names []string `json:"names,omitempty"`
	// KeyID and Added answer get, with the entry's Created and Replaces
	// (see vault.Entry).
	KeyID    string    `json:"key_id,omitempty"`
	Added    time.Time `json:"added,omitzero"`
	Created  time.Time `json:"created,omitzero"`
	Replaces string    `json:"replaces,omitempty"`
}

// Vault runs req on the vault the Broker holds for req's caller, asking
// asker for the passphrase when the vault needs one. Storing or removing a
// key forgets every set derived from the profile's old key in that vault
// (roles assumed from its session included), so that no session outlives
// its key. Errors wrap the vault's sentinel errors.
func (b *Broker) Vault(ctx context.Context, req VaultRequest, asker Asker) (VaultResult, error) {
	if asker == nil {
		asker = noAsker{}
	}
	r := Request{Backend: req.Backend, Env: req.Env}
	vk := vaultKey(r)
	if req.Op == VaultInfo {
		b.mu.Lock()
		s := b.vaults[vk]
		b.mu.Unlock()
		if s == nil {
			return VaultResult{}, nil
		}
		return VaultResult{Backend: s.Backend(), Open: true}, nil
	}
	if req.Op == VaultUse {
		// Opening asks nothing: a file vault asks its passphrase when it is
		// first read or written, by the operation that needs it.
		s, err := b.openVault(ctx, r)
		if err != nil {
			return VaultResult{}, err
		}
		return VaultResult{Backend: s.Backend(), Open: true}, nil
	}
	var res VaultResult
	// A flight of its own, so that a passphrase is asked of this caller.
	b.mu.Lock()
	b.vaultOps++
	key := "vault\x00" + strconv.FormatUint(b.vaultOps, 10)
	b.mu.Unlock()
	_, err := b.do(ctx, key, asker, func(ctx context.Context, _ *flight) (outcome, error) {
		s, err := b.openVault(ctx, r)
		if err != nil {
			return outcome{}, err
		}
		res.Backend, res.Open = s.Backend(), true
		switch req.Op {
		case VaultList:
			res.Names, err = s.List(ctx)
		case VaultGet:
			var e vault.Entry
			if e, err = s.Get(ctx, req.Profile); err == nil {
				res.KeyID, res.Added, res.Created, res.Replaces = e.AccessKeyID, e.Added, e.Created, e.Replaces
				b.noteKey(vk, req.Profile, e.AccessKeyID)
			}
		case VaultPut:
			if req.Entry == nil {
				return outcome{}, errors.New("vault put without a key")
			}
			if err = s.Put(ctx, req.Profile, *req.Entry); err == nil {
				b.keyChanged(vk, req.Profile, req.Entry.AccessKeyID)
			}
		case VaultDelete:
			if err = s.Delete(ctx, req.Profile); err == nil {
				b.keyChanged(vk, req.Profile, "")
			}
		default:
			return outcome{}, fmt.Errorf("unknown vault operation %q", req.Op)
		}
		if errors.Is(err, ErrCannotAsk) && !errors.Is(err, vault.ErrNoPassphrase) {
			// The caller has no passphrase to give: say it the vault's way.
			err = fmt.Errorf("%w (%w)", vault.ErrNoPassphrase, err)
		}
		return outcome{}, err
	})
	if err != nil {
		return VaultResult{}, err
	}
	return res, nil
}
