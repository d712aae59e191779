package session

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/awsmfa/awsmfa/internal/awsconfig"
	"github.com/awsmfa/awsmfa/internal/vault"
)

// Clients make IAM, STS and S3 calls for one profile's account with
// whatever credentials the caller holds, through the Broker's HTTP client,
// retries, timeouts and clock, at the endpoints the profile resolves to.
// They serve callers that change an account (setup), which need more calls
// than handing out credentials does. They hold no credentials themselves.
type Clients struct {
	b      *Broker
	ep     endpoints
	s3     string
	region string
}

// Clients resolves req.Profile's endpoints and region. It opens no vault and
// makes no call.
func (b *Broker) Clients(req Request) (*Clients, error) {
	p, err := b.resolve(req)
	if err != nil {
		return nil, err
	}
	return b.clientsFor(p)
}

func (b *Broker) clientsFor(p *plan) (*Clients, error) {
	getenv := func(k string) string { return p.req.Env[k] }
	cfg, err := b.configs.Load(p.paths)
	if err != nil {
		return nil, &Error{Kind: KindConfig, Msg: fmt.Sprintf("cannot read the AWS config: %v", err), Err: err}
	}
	s3URL, err := awsconfig.ServiceEndpoint(getenv, cfg, p.chain[0], "S3")
	if err != nil {
		return nil, &Error{Kind: KindConfig, Msg: err.Error(), Err: err}
	}
	if s3URL == "" {
		suffix := ".amazonaws.com"
		if strings.HasPrefix(p.ep.region, "cn-") {
			suffix += ".cn"
		}
		s3URL = "https://s3." + p.ep.region + suffix
	}
	return &Clients{b: b, ep: p.ep, s3: s3URL, region: p.resultRegion}, nil
}

// Region is the profile's configured region, "" when none is.
func (c *Clients) Region() string { return c.region }

// IAM returns an IAM client signing with creds.
func (c *Clients) IAM(creds aws.Credentials) *iam.Client { return c.b.iamClient(c.ep, creds) }

// STS returns an STS client signing with creds; withCode marks a client
// whose calls carry an MFA code, which are retried only when AWS surely did
// not see the code.
func (c *Clients) STS(creds aws.Credentials, withCode bool) *sts.Client {
	return c.b.stsClient(c.ep, creds, withCode)
}

// s3Error is S3's XML error body.
type s3Error struct {
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// ListBuckets makes S3's ListBuckets ("aws s3 ls") with creds, as a probe of
// what creds may do: nil when allowed, a smithy.APIError with S3's code
// (AccessDenied) when refused.
func (c *Clients) ListBuckets(ctx context.Context, creds aws.Credentials) error {
	ctx, cancel := context.WithTimeout(ctx, c.b.o.CallTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(c.s3, "/")+"/", nil)
	if err != nil {
		return fmt.Errorf("s3 ListBuckets: %w", err)
	}
	sum := sha256.Sum256(nil)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hash, "s3", c.ep.region, c.b.now()); err != nil {
		return fmt.Errorf("s3 ListBuckets: signing: %w", err)
	}
	resp, err := c.b.http.Do(req)
	if err != nil {
		return fmt.Errorf("s3 ListBuckets at %s: %w", c.s3, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	var e s3Error
	if xml.Unmarshal(body, &e) != nil || e.Code == "" {
		e.Code = fmt.Sprintf("HTTP%d", resp.StatusCode)
	}
	return &smithy.GenericAPIError{Code: e.Code, Message: e.Message}
}

// SignedClients are Clients bound to one set of credentials. Audit uses them
// to ask IAM about a key. Their errors are the SDK's own (smithy.APIError for
// AWS's answers), unclassified.
type SignedClients struct {
	IAM *iam.Client
	STS *sts.Client
	// KeyID is the access key id the calls are signed with (not secret).
	KeyID string

	base  *Clients
	creds aws.Credentials
}

// KeyClients returns clients signed with the long-term key at the end of
// req.Profile's chain, alone: their calls carry no MFA, as a stolen key's
// would. Only the vault's passphrase may be asked, through asker.
func (b *Broker) KeyClients(ctx context.Context, req Request, asker Asker) (*SignedClients, error) {
	if asker == nil {
		asker = noAsker{}
	}
	p, err := b.resolve(req)
	if err != nil {
		return nil, err
	}
	var lt aws.Credentials
	key := fmt.Sprintf("key\x00%s\x00%p", p.sessionKey(), &lt)
	_, err = b.do(ctx, key, asker, func(ctx context.Context, _ *flight) (outcome, error) {
		var err error
		lt, _, err = b.longTermKey(ctx, p)
		return outcome{}, err
	})
	if err != nil {
		return nil, err
	}
	return b.signedClients(p, lt)
}

// SessionClients returns clients signed with the credentials Credentials
// hands out for req: the MFA session for a key profile, the role's for a
// role profile. An MFA code is asked only when no cached session serves.
func (b *Broker) SessionClients(ctx context.Context, req Request, asker Asker) (*SignedClients, error) {
	res, err := b.Credentials(ctx, req, asker)
	if err != nil {
		return nil, err
	}
	p, err := b.resolve(req)
	if err != nil {
		return nil, err
	}
	c := res.Credentials
	return b.signedClients(p, aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey,
		SessionToken: c.SessionToken, CanExpire: true, Expires: c.Expiration})
}

// SessionLength is how long the MFA session of req.Profile's key lasts:
// req.SessionDuration, else awsmfa_session_duration along the chain, else
// DefaultSessionDuration.
func (b *Broker) SessionLength(req Request) (time.Duration, error) {
	p, err := b.resolve(req)
	if err != nil {
		return 0, err
	}
	return p.sessDur, nil
}

func (b *Broker) signedClients(p *plan, c aws.Credentials) (*SignedClients, error) {
	base, err := b.clientsFor(p)
	if err != nil {
		return nil, err
	}
	return &SignedClients{IAM: base.IAM(c), STS: base.STS(c, false), KeyID: c.AccessKeyID, base: base, creds: c}, nil
}

// ListBuckets is the live probe of "what can this key do on its own": S3's
// ListBuckets (what `aws s3 ls` sends), signed with the bound credentials.
func (c *SignedClients) ListBuckets(ctx context.Context) error {
	return c.base.ListBuckets(ctx, c.creds)
}

// VaultProfiles lists the profiles whose keys the vault of req (its Backend
// and Env) holds. The vault stays open in the Broker, so that the calls
// that follow need no second passphrase; it is asked through asker.
func (b *Broker) VaultProfiles(ctx context.Context, req Request, asker Asker) ([]string, error) {
	if asker == nil {
		asker = noAsker{}
	}
	var names []string
	key := fmt.Sprintf("vault-list\x00%p", &names)
	_, err := b.do(ctx, key, asker, func(ctx context.Context, _ *flight) (outcome, error) {
		s, err := b.openVault(ctx, req)
		if err == nil {
			names, err = s.List(ctx)
		}
		switch {
		case err == nil:
			return outcome{}, nil
		case ctx.Err() != nil:
			return outcome{}, ctx.Err()
		case errors.Is(err, vault.ErrWrongPassphrase):
			return outcome{}, &Error{Kind: KindVaultLocked, Msg: "wrong vault passphrase", Err: err}
		case errors.Is(err, vault.ErrNoPassphrase) || errors.Is(err, ErrCannotAsk):
			return outcome{}, &Error{Kind: KindVaultLocked, Msg: "the vault is locked and there is no way to ask for its passphrase",
				Hint: "run on a terminal, or set AWSMFA_PASSPHRASE_FILE or AWSMFA_PASSPHRASE_COMMAND", Err: err}
		}
		return outcome{}, &Error{Kind: KindVaultLocked, Msg: fmt.Sprintf("cannot list the vault: %v", err), Err: err}
	})
	return names, err
}
