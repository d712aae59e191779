package rotate

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/awsmfa/awsmfa/internal/session"
)

// AWSOptions configure NewAWS.
type AWSOptions struct {
	Endpoints session.Endpoints
	// Session is the MFA session that makes the IAM calls.
	Session session.Credentials
	// HTTP makes the calls; nil is the SDK's default client.
	HTTP *http.Client
}

// AWS is IAM implemented with the AWS SDK.
type AWS struct{ o AWSOptions }

// NewAWS returns the IAM of the user whose MFA session o.Session is.
func NewAWS(o AWSOptions) *AWS { return &AWS{o: o} }

func (a *AWS) creds(id, secret, token string) aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(id, secret, token)
}

func (a *AWS) iam() *iam.Client {
	s := a.o.Session
	return iam.New(iam.Options{Region: a.o.Endpoints.IAMRegion, BaseEndpoint: aws.String(a.o.Endpoints.IAM),
		Credentials: a.creds(s.AccessKeyID, s.SecretAccessKey, s.SessionToken), HTTPClient: a.httpClient()})
}

func (a *AWS) sts(p aws.CredentialsProvider, retryer aws.Retryer) *sts.Client {
	return sts.New(sts.Options{Region: a.o.Endpoints.Region, BaseEndpoint: aws.String(a.o.Endpoints.STS),
		Credentials: p, HTTPClient: a.httpClient(), Retryer: retryer})
}

func (a *AWS) httpClient() aws.HTTPClient {
	if a.o.HTTP != nil {
		return a.o.HTTP
	}
	return http.DefaultClient
}

// ListKeys lists the caller's access keys.
func (a *AWS) ListKeys(ctx context.Context) ([]Key, error) {
	var keys []Key
	pages := iam.NewListAccessKeysPaginator(a.iam(), &iam.ListAccessKeysInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, classify("ListAccessKeys", err)
		}
		for _, m := range page.AccessKeyMetadata {
			keys = append(keys, Key{ID: aws.ToString(m.AccessKeyId), Status: string(m.Status), Created: aws.ToTime(m.CreateDate)})
		}
	}
	return keys, nil
}

// CreateKey creates an access key for the caller.
func (a *AWS) CreateKey(ctx context.Context) (NewKey, error) {
	out, err := a.iam().CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	if err != nil {
		return NewKey{}, classify("CreateAccessKey", err)
	}
	k := out.AccessKey
	if k == nil || aws.ToString(k.AccessKeyId) == "" || aws.ToString(k.SecretAccessKey) == "" {
		return NewKey{}, &session.Error{Kind: session.KindBadAnswer, Msg: "AWS answered CreateAccessKey without a key"}
	}
	return NewKey{Key: Key{ID: aws.ToString(k.AccessKeyId), Status: string(k.Status), Created: aws.ToTime(k.CreateDate)},
		Secret: aws.ToString(k.SecretAccessKey)}, nil
}

// DeleteKey deletes one of the caller's keys.
func (a *AWS) DeleteKey(ctx context.Context, id string) error {
	_, err := a.iam().DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String(id)})
	return classify("DeleteAccessKey", err)
}

// DeactivateKey makes one of the caller's keys inactive.
func (a *AWS) DeactivateKey(ctx context.Context, id string) error {
	_, err := a.iam().UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{AccessKeyId: aws.String(id), Status: iamtypes.StatusTypeInactive})
	return classify("UpdateAccessKey", err)
}

// Caller is the MFA session's identity.
func (a *AWS) Caller(ctx context.Context) (string, error) {
	s := a.o.Session
	out, err := a.sts(a.creds(s.AccessKeyID, s.SecretAccessKey, s.SessionToken), nil).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", classify("GetCallerIdentity", err)
	}
	return aws.ToString(out.Arn), nil
}

// Probe asks GetCallerIdentity with the long-term key alone, once: the
// caller retries with its own backoff.
func (a *AWS) Probe(ctx context.Context, id, secret string) (string, error) {
	out, err := a.sts(a.creds(id, secret, ""), aws.NopRetryer{}).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", classify("GetCallerIdentity", err)
	}
	return aws.ToString(out.Arn), nil
}

// classify turns an AWS failure into a *session.Error, whose kind picks the
// exit code. AWS's messages hold no secrets.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return &session.Error{Kind: session.KindNetwork, Msg: fmt.Sprintf("could not reach AWS for %s", op),
			Hint: "check the network connection and any proxy settings", Err: err}
	}
	code, msg := ae.ErrorCode(), ae.ErrorMessage()
	switch code {
	case "AccessDenied":
		return &session.Error{Kind: session.KindDenied, Msg: fmt.Sprintf("AWS denied %s: %s", op, msg),
			Hint: "the user's policy must let it manage its own access keys with MFA, as the policy of awsmfa setup does (see: awsmfa policy user)", Err: err}
	case "ExpiredToken":
		return &session.Error{Kind: session.KindExpired, Msg: fmt.Sprintf("the MFA session used for %s has expired", op), Err: err}
	case "Throttling", "ThrottlingException", "RequestLimitExceeded":
		return &session.Error{Kind: session.KindThrottled, Msg: fmt.Sprintf("AWS kept throttling %s", op), Hint: "wait a minute and try again", Err: err}
	}
	return &session.Error{Kind: session.KindDenied, Msg: fmt.Sprintf("AWS refused %s: %s: %s", op, code, msg), Err: err}
}
