package session

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/awsmfa/awsmfa/internal/awsconfig"
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
	getenv := func(k string) string { return req.Env[k] }
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
