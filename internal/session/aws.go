package session

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// Retry backoff: full jitter over an exponential ceiling, as AWS recommends
// for throttling, so that many clients throttled together spread out.
const (
	backoffBase = 200 * time.Millisecond
	backoffCap  = 5 * time.Second
)

// defaultHTTPClient bounds every phase of a connection, so that a dead
// network or a black-holed endpoint fails within the per-call timeout rather
// than hanging a credential_process until the SDK kills it.
func defaultHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 10 * time.Second,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConns:          8,
		ForceAttemptHTTP2:     true,
	}}
}

// clockSigner signs with the Broker's clock instead of the SDK's, so that the
// signing time is the one the Broker measures clock skew against (and tests
// can move it with Options.Now).
type clockSigner struct {
	signer *v4.Signer
	now    func() time.Time
}

func (s clockSigner) SignHTTP(ctx context.Context, c aws.Credentials, r *http.Request, payloadHash, service, region string,
	_ time.Time, optFns ...func(*v4.SignerOptions)) error {
	return s.signer.SignHTTP(ctx, c, r, payloadHash, service, region, s.now(), optFns...)
}

func staticProvider(c aws.Credentials) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return c, nil })
}

// retryer retries throttling, 5xx answers and connection failures (the SDK's
// standard set) up to MaxAttempts, with jittered exponential backoff and no
// client-side retry quota (each call is short-lived and bounded anyway).
//
// A call that carries an MFA code (withCode true) is retried far less: AWS
// accepts a code once, so a call sent again after AWS may have checked its
// code fails as "invalid MFA code" although the code was good. It is tried
// again only when AWS surely did not use the code:
//   - the request never left this computer (dial, DNS, proxy CONNECT or TLS
//     handshake failed: see requestNotSent);
//   - AWS answered Throttling: STS throttles a request before it runs the
//     action, so the code was never checked. Should that ever be wrong, the
//     repeated call fails as a rejected code and the Broker asks for the next
//     code, which costs a prompt, not a wrong answer.
//
// A reset or timeout after the request was written, an unreadable answer, or
// a 5xx answer may all come after AWS used the code; they are not retried,
// and the Broker asks for the next code instead (see codeLost). Go's HTTP
// transport itself replays a POST only when it wrote none of it, or when
// HTTP/2 says the stream was refused or beyond a GOAWAY: unprocessed either way.
func (b *Broker) retryer(withCode bool) aws.Retryer {
	backoff := b.o.backoff
	if backoff == nil {
		backoff = func(attempt int) time.Duration {
			ceiling := min(backoffCap, backoffBase<<min(attempt, 10))
			return rand.N(ceiling + 1)
		}
	}
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = b.o.MaxAttempts
		o.RateLimiter = ratelimit.None
		o.Backoff = retry.BackoffDelayerFunc(func(attempt int, _ error) (time.Duration, error) {
			return backoff(attempt), nil
		})
		if withCode {
			o.Retryables = codeRetryables()
		}
	})
}

// codeRetryables are the only failures after which a call carrying an MFA
// code is sent again; see retryer.
func codeRetryables() []retry.IsErrorRetryable {
	return []retry.IsErrorRetryable{
		retry.NoRetryCanceledError{},
		retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
			if requestNotSent(err) {
				return aws.TrueTernary
			}
			return aws.UnknownTernary
		}),
		retry.RetryableErrorCode{Codes: retry.DefaultThrottleErrorCodes},
	}
}

// requestNotSent reports whether err proves that the request never reached
// AWS: no connection was made, or the TLS handshake failed before any of the
// request was written.
func requestNotSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && (op.Op == "dial" || op.Op == "proxyconnect") {
		return true
	}
	var (
		dns      *net.DNSError
		certErr  *tls.CertificateVerificationError
		recErr   tls.RecordHeaderError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	return errors.As(err, &dns) || errors.As(err, &certErr) || errors.As(err, &recErr) ||
		errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid)
}

// codeMayBeUsed reports whether a failed call carrying an MFA code may have
// reached AWS and used the code: anything but a definite answer below 500
// from AWS and a request that surely never left.
func codeMayBeUsed(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		var re *awshttp.ResponseError
		return errors.As(err, &re) && re.HTTPStatusCode() >= 500
	}
	return !requestNotSent(err)
}

// errCodeMaybeUsed marks a failure after which AWS may have used the MFA code
// sent: the code must not be sent again, and the next one is asked for.
var errCodeMaybeUsed = errors.New("the MFA code may have been used")

// codeLost describes a call carrying an MFA code that failed after its
// request may have reached AWS. An answer that came whole but could not be
// read is a bad answer, not a lost connection: asking for another code would
// only meet it again.
func (b *Broker) codeLost(err error, c callInfo, timedOut bool) error {
	what := fmt.Sprintf("the connection to AWS (%s) was lost after the MFA code was sent for %s", c.endpoint, c.op)
	var (
		re *awshttp.ResponseError
		ne net.Error
	)
	switch {
	case timedOut:
		what = fmt.Sprintf("AWS (%s) did not answer %s within %s after the MFA code was sent", c.endpoint, c.op, b.o.CallTimeout)
	case errors.As(err, &re) && re.HTTPStatusCode() >= 500:
		what = fmt.Sprintf("AWS (%s) failed %s with HTTP %d after the MFA code was sent", c.endpoint, c.op, re.HTTPStatusCode())
	case errors.As(err, &re) && !errors.As(err, &ne):
		return &Error{Kind: KindBadAnswer,
			Msg:  fmt.Sprintf("AWS (%s) answered %s with HTTP %d that awsmfa cannot read; AWS may have used the MFA code", c.endpoint, c.op, re.HTTPStatusCode()),
			Hint: endpointHint, Err: err}
	}
	return &Error{Kind: KindNetwork, Msg: what + "; AWS may have used it, so it is not sent again",
		Hint: "wait for the next MFA code and try again", Err: fmt.Errorf("%w: %w", errCodeMaybeUsed, err)}
}

// endpointHint is said when an endpoint's answer makes no sense.
const endpointHint = "check that the STS endpoint (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_STS, endpoint_url) is AWS's or one you trust"

// endpoints says where and how a plan's calls go.
type endpoints struct {
	region    string // signing region for STS
	sts       string
	iam       string
	iamRegion string
}

// stsClient makes STS calls with c; withCode says its calls carry an MFA
// code (see retryer).
func (b *Broker) stsClient(ep endpoints, c aws.Credentials, withCode bool) *sts.Client {
	return sts.New(sts.Options{
		Region:                     ep.region,
		BaseEndpoint:               aws.String(ep.sts),
		Credentials:                staticProvider(c),
		HTTPClient:                 b.http,
		Retryer:                    b.retryer(withCode),
		HTTPSignerV4:               clockSigner{signer: v4.NewSigner(), now: b.now},
		DisableClockSkewCorrection: true,
	})
}

func (b *Broker) iamClient(ep endpoints, c aws.Credentials) *iam.Client {
	return iam.New(iam.Options{
		Region:                     ep.iamRegion,
		BaseEndpoint:               aws.String(ep.iam),
		Credentials:                staticProvider(c),
		HTTPClient:                 b.http,
		Retryer:                    b.retryer(false),
		HTTPSignerV4:               clockSigner{signer: v4.NewSigner(), now: b.now},
		DisableClockSkewCorrection: true,
	})
}

// callInfo describes one AWS call for turning its failure into a sentence.
type callInfo struct {
	op       string // "GetSessionToken", "AssumeRole", …
	endpoint string
	profile  string // the profile the call serves
	keyProf  string // the profile whose long-term key is involved
	serial   string
	serialAt string // the profile that names serial ("" when discovered)
	role     string
	durAt    string // where the duration came from, for the hint
	code     bool   // the request carries an MFA code
	started  time.Time
}

// call runs fn with the per-call timeout and classifies its failure.
func (b *Broker) call(ctx context.Context, c callInfo, fn func(ctx context.Context) error) error {
	cctx, cancel := context.WithTimeoutCause(ctx, b.o.CallTimeout, errCallTimeout)
	defer cancel()
	c.started = b.now()
	err := fn(cctx)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var own *Error
	if errors.As(err, &own) {
		return own // already classified (an answer that failed validation)
	}
	timedOut := errors.Is(context.Cause(cctx), errCallTimeout)
	if c.code && codeMayBeUsed(err) {
		return b.codeLost(err, c, timedOut)
	}
	if timedOut {
		return &Error{Kind: KindNetwork,
			Msg:  fmt.Sprintf("AWS (%s) did not answer %s within %s", c.endpoint, c.op, b.o.CallTimeout),
			Hint: "check the network connection and any proxy settings", Err: err}
	}
	return b.classify(err, c)
}

var errCallTimeout = errors.New("per-call timeout")

// Exact STS messages awsmfa tells apart (see AWS-CONVENTIONS.md).
const (
	msgInvalidCode   = "invalid MFA one time pass code"
	msgUnknownSerial = "unable to validate MFA code"
	msgChaining      = "role chaining"
	msgMaxSession    = "MaxSessionDuration"
)

// classify turns an AWS failure into an *Error with one actionable sentence.
// AWS's own message is included only where it helps and holds no secret.
func (b *Broker) classify(err error, c callInfo) error {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return &Error{Kind: KindNetwork, Msg: fmt.Sprintf("could not reach AWS (%s) for %s", c.endpoint, c.op),
			Hint: "check the network connection and any proxy settings", Err: err}
	}
	code, msg := ae.ErrorCode(), ae.ErrorMessage()
	switch {
	case code == "AccessDenied" && strings.Contains(msg, msgInvalidCode):
		return &Error{Kind: KindMFARejected, Msg: fmt.Sprintf("AWS rejected the MFA code for %s (wrong, expired or already used)", c.serial), Err: err}
	case code == "AccessDenied" && strings.Contains(msg, msgUnknownSerial):
		where := fmt.Sprintf("mfa_serial in profile %s", c.serialAt)
		if c.serialAt == "" {
			where = "the discovered MFA device"
		}
		return &Error{Kind: KindMFASerial,
			Msg:  fmt.Sprintf("AWS does not accept MFA device %s for the key of profile %s; fix %s", c.serial, c.keyProf, where),
			Hint: fmt.Sprintf("set mfa_serial in profile %s to the ARN of an MFA device of this IAM user, or remove it to discover the device", nonEmpty(c.serialAt, c.keyProf)),
			Err:  err}
	case code == "AccessDenied":
		return &Error{Kind: KindDenied, Msg: fmt.Sprintf("AWS denied %s for profile %s: %s", c.op, c.profile, msg), Err: err}
	case code == "ValidationError" && strings.Contains(msg, msgChaining):
		return &Error{Kind: KindDurationLimit,
			Msg:  fmt.Sprintf("role %s is assumed from temporary credentials (role chaining), which AWS limits to 1 hour", c.role),
			Hint: fmt.Sprintf("lower %s to 3600 seconds or less", c.durAt), Err: err}
	case code == "ValidationError" && strings.Contains(msg, msgMaxSession):
		return &Error{Kind: KindDurationLimit,
			Msg:  fmt.Sprintf("the requested duration exceeds the maximum session duration of role %s", c.role),
			Hint: fmt.Sprintf("lower %s, or raise the role's maximum session duration in IAM", c.durAt), Err: err}
	case code == "ExpiredToken":
		return &Error{Kind: KindExpired, Msg: fmt.Sprintf("the credentials used for %s of profile %s have expired", c.op, c.profile),
			Hint: fmt.Sprintf("run: awsmfa clear %s", c.profile), Err: err}
	case code == "SignatureDoesNotMatch" && (strings.Contains(msg, "Signature expired") || strings.Contains(msg, "Signature not yet current")):
		return b.skewError(err, c)
	case code == "SignatureDoesNotMatch":
		return &Error{Kind: KindDenied, Msg: fmt.Sprintf("AWS does not accept the secret access key stored for profile %s", c.keyProf),
			Hint: fmt.Sprintf("store the right key: awsmfa add %s", c.keyProf), Err: err}
	case code == "InvalidClientTokenId":
		return &Error{Kind: KindDenied, Msg: fmt.Sprintf("AWS does not know the access key of profile %s (deleted or deactivated?)", c.keyProf),
			Hint: fmt.Sprintf("store a current key: awsmfa add %s", c.keyProf), Err: err}
	case isThrottle(code):
		return &Error{Kind: KindThrottled, Msg: fmt.Sprintf("AWS kept throttling %s after %d attempts", c.op, b.o.MaxAttempts),
			Hint: "wait a minute and try again", Err: err}
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() >= 500 {
		return &Error{Kind: KindNetwork, Msg: fmt.Sprintf("AWS (%s) failed %s with HTTP %d after %d attempts", c.endpoint, c.op, re.HTTPStatusCode(), b.o.MaxAttempts),
			Hint: "try again later", Err: err}
	}
	return &Error{Kind: KindDenied, Msg: fmt.Sprintf("AWS refused %s for profile %s: %s: %s", c.op, c.profile, code, msg), Err: err}
}

func isThrottle(code string) bool {
	_, ok := retry.DefaultThrottleErrorCodes[code]
	return ok
}

// skewError measures the skew from the response's Date header. The SDK's own
// skew correction is off: credentials obtained by correcting it would still
// fail in every other tool on this computer.
func (b *Broker) skewError(err error, c callInfo) error {
	e := &Error{Kind: KindClockSkew, Msg: "this computer's clock differs from AWS's by more than 15 minutes; fix the system time", Err: err}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.Response == nil {
		return e
	}
	date, perr := http.ParseTime(re.Response.Header.Get("Date"))
	if perr != nil {
		return e
	}
	skew := date.Sub(c.started)
	minutes := int(math.Round(math.Abs(skew.Minutes())))
	dir := "behind"
	if skew < 0 {
		dir = "ahead of"
	}
	e.Msg = fmt.Sprintf("this computer's clock is %d minutes %s AWS's; fix the system time", minutes, dir)
	return e
}

func nonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
