package setup

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/awsmfa/awsmfa/internal/awsconfig"
)

// whoSTS answers GetCallerIdentity with arn and counts every call; IAM is
// never reached.
type whoSTS struct {
	STS
	arn   string
	calls int
}

func (w *whoSTS) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	w.calls++
	return &sts.GetCallerIdentityOutput{Arn: aws.String(w.arn)}, nil
}

type whoAWS struct{ sts *whoSTS }

func (a whoAWS) IAM(aws.Credentials) IAM                            { return nil }
func (a whoAWS) STS(aws.Credentials, bool) STS                      { return a.sts }
func (a whoAWS) ListBuckets(context.Context, aws.Credentials) error { return nil }

func TestRefusesKeysItCannotLock(t *testing.T) {
	for _, tc := range []struct {
		name, keyID, token, arn, want string
		calls                         int
	}{
		{"root", "AKIAIOSFODNN7EXAMPLE", "", "arn:aws:iam::123456789012:root", "AWS recommends that root have no access keys", 1},
		{"assumed role", "AKIAIOSFODNN7EXAMPLE", "", "arn:aws:sts::123456789012:assumed-role/r/s", "not an IAM user", 1},
		{"session key", "ASIAIOSFODNN7EXAMPLE", "tok", "arn:aws:iam::123456789012:user/alice", "temporary session credentials", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &whoSTS{arn: tc.arn}
			var out bytes.Buffer
			dir := t.TempDir()
			env := &Env{AWS: whoAWS{s}, Key: aws.Credentials{AccessKeyID: tc.keyID, SecretAccessKey: "x", SessionToken: tc.token},
				Paths: awsconfig.Paths{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")},
				Out:   &out, RecordPath: RecordPath(dir, "p")}
			err := Run(context.Background(), env, Options{Profile: "p", Strategy: StrategyRole, RoleName: "awsmfa-role"})
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Run = %v, want ErrRefused saying %q", err, tc.want)
			}
			if s.calls != tc.calls {
				t.Errorf("GetCallerIdentity called %d times, want %d", s.calls, tc.calls)
			}
			if out.Len() != 0 {
				t.Errorf("a refusal printed a plan: %q", out.String())
			}
		})
	}
}

func TestSameDocumentComparesMeaning(t *testing.T) {
	a := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	b := "{\n \"Version\": \"2012-10-17\",\n \"Statement\": {\"Effect\": \"Allow\", \"Action\": [\"s3:*\"], \"Resource\": \"*\"}\n}"
	c := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`
	if !sameDocument(a, b) {
		t.Error("the same document in another spelling compared different")
	}
	if sameDocument(a, c) {
		t.Error("different documents compared the same")
	}
}
