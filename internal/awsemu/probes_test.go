package awsemu_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/awsmfa/awsmfa/internal/awsemu"
)

// rawCall signs and sends a request the way the AWS CLI sends it to S3
// (REST, GET on the service root, path style) or EC2 (query protocol), for
// services whose SDK modules the project does not carry.
func rawCall(t *testing.T, s *awsemu.Server, c creds, service, method, path string, form url.Values) (int, string) {
	t.Helper()
	var body string
	if form != nil {
		body = form.Encode()
	}
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	hash := hex.EncodeToString(sum[:])
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	}
	if service == "s3" {
		req.Header.Set("X-Amz-Content-Sha256", hash)
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = service == "s3" })
	cred := aws.Credentials{AccessKeyID: c.id, SecretAccessKey: c.secret, SessionToken: c.token}
	if err := signer.SignHTTP(t.Context(), cred, req, hash, service, "us-east-1", s.Clock().Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(out)
}

func listBuckets(t *testing.T, s *awsemu.Server, c creds) (int, string) {
	return rawCall(t, s, c, "s3", http.MethodGet, "/", nil)
}

func describeRegions(t *testing.T, s *awsemu.Server, c creds) (int, string) {
	return rawCall(t, s, c, "ec2", http.MethodPost, "/", url.Values{"Action": {"DescribeRegions"}, "Version": {"2016-11-15"}})
}

type s3Error struct {
	Code, Message, RequestId string
}

type ec2Error struct {
	Code    string `xml:"Errors>Error>Code"`
	Message string `xml:"Errors>Error>Message"`
	ID      string `xml:"RequestID"`
}

func wantS3Error(t *testing.T, status int, body string, wantStatus int, code, msg string) {
	t.Helper()
	var e s3Error
	if err := xml.Unmarshal([]byte(body), &e); err != nil || status != wantStatus || e.Code != code || (msg != "" && e.Message != msg) || e.RequestId == "" {
		t.Fatalf("S3 answered %d %s, want %d %s %q", status, body, wantStatus, code, msg)
	}
}

func wantEC2Error(t *testing.T, status int, body string, wantStatus int, code, msg string) {
	t.Helper()
	var e ec2Error
	if err := xml.Unmarshal([]byte(body), &e); err != nil || status != wantStatus || e.Code != code || (msg != "" && e.Message != msg) || e.ID == "" {
		t.Fatalf("EC2 answered %d %s, want %d %s %q", status, body, wantStatus, code, msg)
	}
}

func TestProbesAnswerStaticData(t *testing.T) {
	s := start(t)
	admin := keyCreds(s.AdminKey())
	status, body := listBuckets(t, s, admin)
	var buckets struct {
		XMLName xml.Name
		Owner   struct{ ID string }
		Names   []string `xml:"Buckets>Bucket>Name"`
	}
	if err := xml.Unmarshal([]byte(body), &buckets); err != nil || status != 200 || buckets.XMLName.Local != "ListAllMyBucketsResult" ||
		buckets.XMLName.Space != "http://s3.amazonaws.com/doc/2006-03-01/" || !slices.Equal(buckets.Names, awsemu.StaticBuckets()) || len(buckets.Owner.ID) != 64 {
		t.Fatalf("ListBuckets: %d %s", status, body)
	}
	status, body = describeRegions(t, s, admin)
	var regions struct {
		XMLName   xml.Name
		RequestID string   `xml:"requestId"`
		Names     []string `xml:"regionInfo>item>regionName"`
		Endpoints []string `xml:"regionInfo>item>regionEndpoint"`
	}
	if err := xml.Unmarshal([]byte(body), &regions); err != nil || status != 200 || regions.XMLName.Local != "DescribeRegionsResponse" || regions.RequestID == "" ||
		!slices.Equal(regions.Names, awsemu.StaticRegions()) || regions.Endpoints[0] != "ec2."+regions.Names[0]+".amazonaws.com" {
		t.Fatalf("DescribeRegions: %d %s", status, body)
	}
	status, body = rawCall(t, s, admin, "ec2", http.MethodPost, "/", url.Values{"Action": {"DescribeRegions"}, "Version": {"2016-11-15"},
		"RegionName.1": {"eu-west-1"}, "RegionName.2": {"us-east-1"}})
	regions.Names = nil
	if err := xml.Unmarshal([]byte(body), &regions); err != nil || status != 200 || !slices.Equal(regions.Names, []string{"eu-west-1", "us-east-1"}) {
		t.Fatalf("DescribeRegions for two regions: %d %s", status, body)
	}
	var got []string
	for _, c := range s.CallLog() {
		got = append(got, c.Action+":"+c.ErrorCode)
	}
	if want := []string{"ListBuckets:", "DescribeRegions:", "DescribeRegions:"}; !slices.Equal(got, want) {
		t.Errorf("call log %q, want %q", got, want)
	}

	status, body = rawCall(t, s, admin, "ec2", http.MethodPost, "/", url.Values{"Action": {"RunInstances"}, "Version": {"2016-11-15"}})
	wantEC2Error(t, status, body, 400, "InvalidAction", "The action RunInstances is not valid for this web service.")
	status, body = rawCall(t, s, admin, "s3", http.MethodGet, "/some-bucket", nil)
	wantS3Error(t, status, body, 501, "NotImplemented", "")
}

// TestProbesAuthorization is seed 002's "test it out": the probes are gated
// by the caller's identity policies, with each service's own errors.
func TestProbesAuthorization(t *testing.T) {
	s := start(t)
	ctx := t.Context()
	admin := iamClient(s, keyCreds(s.AdminKey()))
	bare := bareUser(t, s, "bob")
	locked, dev := userWithMFA(t, s, "alice", seed002Policy)
	reader := bareUser(t, s, "rita")
	if _, err := admin.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("rita"), PolicyArn: aws.String(readOnlyARN)}); err != nil {
		t.Fatal(err)
	}
	const bobARN, aliceARN = "arn:aws:iam::123456789012:user/bob", "arn:aws:iam::123456789012:user/alice"

	status, body := listBuckets(t, s, bare)
	wantS3Error(t, status, body, 403, "AccessDenied", "User: "+bobARN+" is not authorized to perform: s3:ListAllMyBuckets because no identity-based policy allows the s3:ListAllMyBuckets action")
	status, body = describeRegions(t, s, bare)
	wantEC2Error(t, status, body, 403, "UnauthorizedOperation", "You are not authorized to perform this operation. User: "+bobARN+
		" is not authorized to perform: ec2:DescribeRegions because no identity-based policy allows the ec2:DescribeRegions action")

	// The MFA-enforcing policy: the key alone is denied explicitly...
	status, body = listBuckets(t, s, locked)
	wantS3Error(t, status, body, 403, "AccessDenied", "User: "+aliceARN+" is not authorized to perform: s3:ListAllMyBuckets with an explicit deny in an identity-based policy")
	status, body = describeRegions(t, s, locked)
	wantEC2Error(t, status, body, 403, "UnauthorizedOperation", "")
	// ...a session without MFA too...
	plain, err := stsClient(s, locked).GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	noMFA := creds{*plain.Credentials.AccessKeyId, *plain.Credentials.SecretAccessKey, *plain.Credentials.SessionToken}
	status, body = listBuckets(t, s, noMFA)
	wantS3Error(t, status, body, 403, "AccessDenied", "")
	// ...and an MFA session is allowed.
	sess := mfaSession(t, s, locked, dev, 900)
	if status, body := listBuckets(t, s, sess); status != 200 {
		t.Errorf("MFA session ListBuckets: %d %s", status, body)
	}
	if status, body := describeRegions(t, s, sess); status != 200 {
		t.Errorf("MFA session DescribeRegions: %d %s", status, body)
	}
	// ReadOnlyAccess allows both.
	if status, body := listBuckets(t, s, reader); status != 200 {
		t.Errorf("ReadOnlyAccess ListBuckets: %d %s", status, body)
	}
	if status, body := describeRegions(t, s, reader); status != 200 {
		t.Errorf("ReadOnlyAccess DescribeRegions: %d %s", status, body)
	}

	// Credential failures in each service's words.
	unknown := creds{id: "AKIAAAAAAAAAAAAAAAAA", secret: bare.secret}
	status, body = listBuckets(t, s, unknown)
	wantS3Error(t, status, body, 403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
	status, body = describeRegions(t, s, unknown)
	wantEC2Error(t, status, body, 401, "AuthFailure", "AWS was not able to validate the provided access credentials")
	wrong := bare
	wrong.secret = strings.Repeat("x", 40)
	status, body = listBuckets(t, s, wrong)
	wantS3Error(t, status, body, 403, "SignatureDoesNotMatch", "")
	s.Clock().Advance(16 * time.Minute)
	status, body = listBuckets(t, s, sess)
	wantS3Error(t, status, body, 400, "ExpiredToken", "The provided token has expired.")
	status, body = describeRegions(t, s, sess)
	wantEC2Error(t, status, body, 400, "RequestExpired", "Request has expired.")
}

func TestProbeFaults(t *testing.T) {
	s := start(t)
	admin := keyCreds(s.AdminKey())
	s.InjectFault("ListBuckets", awsemu.Fault{Kind: awsemu.Throttle}, 1)
	s.InjectFault("DescribeRegions", awsemu.Fault{Kind: awsemu.Throttle}, 1)
	status, body := listBuckets(t, s, admin)
	wantS3Error(t, status, body, 503, "SlowDown", "Please reduce your request rate.")
	status, body = describeRegions(t, s, admin)
	wantEC2Error(t, status, body, 503, "RequestLimitExceeded", "Request limit exceeded.")
	s.InjectFault("ListBuckets", awsemu.Fault{Kind: awsemu.AccessDeniedFault}, 1)
	status, body = listBuckets(t, s, admin)
	wantS3Error(t, status, body, 403, "AccessDenied", "User: arn:aws:iam::123456789012:user/admin is not authorized to perform: s3:ListAllMyBuckets with an explicit deny in an identity-based policy")
	if status, _ := listBuckets(t, s, admin); status != 200 {
		t.Errorf("after the faults: %d", status)
	}
	var codes []string
	for _, c := range s.CallLog() {
		codes = append(codes, c.ErrorCode)
	}
	if want := []string{"SlowDown", "RequestLimitExceeded", "AccessDenied", ""}; !slices.Equal(codes, want) {
		t.Errorf("call log codes %q, want %q", codes, want)
	}
}

// TestProbesWithAWSCLI runs the seeds' probes with the real AWS CLI, when
// it is installed: "aws s3 ls" and "aws ec2 describe-regions" through
// AWS_ENDPOINT_URL, allowed for the admin and denied for a bare key.
func TestProbesWithAWSCLI(t *testing.T) {
	awsCLI, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI is not on PATH")
	}
	s := start(t)
	bare := bareUser(t, s, "bob")
	home := t.TempDir()
	run := func(c creds, args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, awsCLI, args...)
		cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "AWS_ENDPOINT_URL=" + s.URL(),
			"AWS_ACCESS_KEY_ID=" + c.id, "AWS_SECRET_ACCESS_KEY=" + c.secret, "AWS_DEFAULT_REGION=us-east-1",
			"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials")}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run(keyCreds(s.AdminKey()), "s3", "ls")
	if err != nil || !strings.Contains(out, "awsemu-example-data") {
		t.Fatalf("aws s3 ls: %v\n%s", err, out)
	}
	out, err = run(keyCreds(s.AdminKey()), "ec2", "describe-regions", "--output", "text")
	if err != nil || !strings.Contains(out, "ec2.us-east-1.amazonaws.com") {
		t.Fatalf("aws ec2 describe-regions: %v\n%s", err, out)
	}
	out, err = run(bare, "s3", "ls")
	if err == nil || !strings.Contains(out, "An error occurred (AccessDenied) when calling the ListBuckets operation") {
		t.Errorf("aws s3 ls with a bare key: %v\n%s", err, out)
	}
	out, err = run(bare, "ec2", "describe-regions")
	if err == nil || !strings.Contains(out, "An error occurred (UnauthorizedOperation) when calling the DescribeRegions operation") {
		t.Errorf("aws ec2 describe-regions with a bare key: %v\n%s", err, out)
	}
}
