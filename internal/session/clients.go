package session

import (
	"context"
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

// Clients are AWS clients for one profile's endpoints, all signed with one
// set of credentials. Audit uses them to ask IAM about a key. Their errors are
// the SDK's own (smithy.APIError for AWS's answers), unclassified.
type Clients struct {
	IAM *iam.Client
	STS *sts.Client
	// KeyID is the access key id the calls are signed with (not secret).
	KeyID string

	b      *Broker
	creds  aws.Credentials
	s3     string
	region string
}

// KeyClients returns clients signed with the long-term key at the end of
// req.Profile's chain, alone: their calls carry no MFA, as a stolen key's
// would. Only the vault's passphrase may be asked, through asker.
func (b *Broker) KeyClients(ctx context.Context, req Request, asker Asker) (*Clients, error) {
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
	return b.clients(p, lt)
}

// SessionClients returns clients signed with the credentials Credentials
// hands out for req: the MFA session for a key profile, the role's for a
// role profile. An MFA code is asked only when no cached session serves.
func (b *Broker) SessionClients(ctx context.Context, req Request, asker Asker) (*Clients, error) {
	res, err := b.Credentials(ctx, req, asker)
	if err != nil {
		return nil, err
	}
	p, err := b.resolve(req)
	if err != nil {
		return nil, err
	}
	c := res.Credentials
	return b.clients(p, aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey,
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

func (b *Broker) clients(p *plan, c aws.Credentials) (*Clients, error) {
	getenv := func(k string) string { return p.req.Env[k] }
	cfg, err := awsconfig.Load(p.paths)
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
			suffix = ".amazonaws.com.cn"
		}
		s3URL = "https://s3." + p.ep.region + suffix
	}
	return &Clients{
		IAM:    b.iamClient(p.ep, c),
		STS:    b.stsClient(p.ep, c, false),
		KeyID:  c.AccessKeyID,
		b:      b,
		creds:  c,
		s3:     strings.TrimSuffix(s3URL, "/"),
		region: p.ep.region,
	}, nil
}

// emptySHA256 is the SHA-256 of an empty body, which S3 wants spelled out.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// ListBuckets makes S3's ListBuckets call (GET / on the S3 endpoint, what
// `aws s3 ls` sends) and reports how it ended: nil when S3 listed the
// buckets, a smithy.APIError with S3's code (AccessDenied, …) when S3
// refused. It is the live probe of "what can this key do on its own".
func (c *Clients) ListBuckets(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, c.b.o.CallTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, http.MethodGet, c.s3+"/", nil)
	if err != nil {
		return err
	}
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	if err := v4.NewSigner().SignHTTP(cctx, c.creds, req, emptySHA256, "s3", c.region, c.b.now()); err != nil {
		return err
	}
	resp, err := c.b.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	var e struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	if xml.Unmarshal(body, &e) != nil || e.Code == "" {
		e.Code = fmt.Sprintf("HTTP%d", resp.StatusCode)
	}
	return &smithy.GenericAPIError{Code: e.Code, Message: e.Message}
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
