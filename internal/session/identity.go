package session

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// KeyIdentity returns the ARN of the identity that owns the long-term key at
// the end of req.Profile's chain, from one GetCallerIdentity signed with that
// key alone: the call needs no MFA and works under any explicit deny, so it
// answers even for a key that is already locked. Only the vault's passphrase
// may be asked, through asker.
func (b *Broker) KeyIdentity(ctx context.Context, req Request, asker Asker) (string, error) {
	if asker == nil {
		asker = noAsker{}
	}
	p, err := b.resolve(req)
	if err != nil {
		return "", err
	}
	// The flight is this caller's own (its key holds the address of arn, live
	// until it ends), so the ARN it finds is read by this caller alone.
	var arn string
	key := fmt.Sprintf("identity\x00%s\x00%p", p.sessionKey(), &arn)
	_, err = b.do(ctx, key, asker, func(ctx context.Context, _ *flight) (outcome, error) {
		lt, _, err := b.longTermKey(ctx, p)
		if err != nil {
			return outcome{}, err
		}
		c := callInfo{op: "GetCallerIdentity", endpoint: p.ep.sts, profile: p.base.Name, keyProf: p.base.Name}
		return outcome{}, b.call(ctx, c, func(ctx context.Context) error {
			out, err := b.stsClient(p.ep, lt, false).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err == nil {
				arn = aws.ToString(out.Arn)
			}
			return err
		})
	})
	if err != nil {
		return "", err
	}
	return arn, nil
}
