package audit

import (
	"context"
	"time"

	"github.com/awsmfa/awsmfa/internal/session"
)

// BrokerAWS is AWS over a session.Broker: keys from the vault, the MFA
// session and roles as awsmfa makes them. Give it a Broker with Cache set,
// so that the one MFA session serves every check and role of a key.
type BrokerAWS struct {
	Broker *session.Broker
	// Base is the request each profile's request is made from (its Env,
	// Backend and SessionDuration); Profile is replaced.
	Base  session.Request
	Asker session.Asker
}

func (b *BrokerAWS) req(profile string) session.Request {
	r := b.Base
	r.Profile = profile
	return r
}

func api(c *session.SignedClients) API {
	return API{IAM: c.IAM, STS: c.STS, KeyID: c.KeyID, ListBuckets: c.ListBuckets}
}

// Key implements AWS.
func (b *BrokerAWS) Key(ctx context.Context, profile string) (API, error) {
	c, err := b.Broker.KeyClients(ctx, b.req(profile), b.Asker)
	if err != nil {
		return API{}, err
	}
	return api(c), nil
}

// MFA implements AWS.
func (b *BrokerAWS) MFA(ctx context.Context, profile string) (API, error) {
	c, err := b.Broker.SessionClients(ctx, b.req(profile), b.Asker)
	if err != nil {
		return API{}, err
	}
	return api(c), nil
}

// Role implements AWS.
func (b *BrokerAWS) Role(ctx context.Context, profile string) (API, error) {
	return b.MFA(ctx, profile)
}

// SessionLength implements AWS.
func (b *BrokerAWS) SessionLength(profile string) (time.Duration, error) {
	return b.Broker.SessionLength(b.req(profile))
}

// isAskFailure reports whether err is a classified failure to get MFA or
// role credentials that leaves the audit able to go on (a code that could
// not be asked or was refused, a role denied): the checks that needed them
// say so. A locked vault and an unreachable AWS are not among them.
func isAskFailure(err error) bool {
	switch session.KindOf(err) {
	case "", session.KindNetwork, session.KindThrottled, session.KindVaultLocked:
		return false
	}
	return true
}
