package awsemu_test

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/awsmfa/awsmfa/internal/awsemu"
	"github.com/awsmfa/awsmfa/internal/totp"
)

const (
	allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	// seed002Policy is the "force MFA" policy from seed 002 / AWS's docs:
	// everything is denied unless MFA is present, except self-service.
	seed002Policy = `{"Version":"2012-10-17","Statement":[
	  {"Sid":"AllowAll","Effect":"Allow","Action":"*","Resource":"*"},
	  {"Sid":"DenyWithoutMFA","Effect":"Deny",
	   "NotAction":["iam:GetUser","iam:ListMFADevices","iam:ListVirtualMFADevices","iam:EnableMFADevice","sts:GetSessionToken"],
	   "Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}`
)

// creds are what a test client signs with.
type creds struct{ id, secret, token string }

func keyCreds(k awsemu.Key) creds { return creds{id: k.ID, secret: k.Secret} }

func start(t *testing.T) *awsemu.Server {
	t.Helper()
	s, err := awsemu.Start(t.Context(), awsemu.Options{})
	if err != nil {
		t.Fatalf("starting emulator: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("closing emulator: %v", err)
		}
	})
	return s
}

// fastRetryer is the SDK's standard retryer with the waits removed, so
// retry tests do not sleep.
func fastRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
	})
}

func stsClient(s *awsemu.Server, c creds, opts ...func(*sts.Options)) *sts.Client {
	o := sts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.URL()),
		Credentials:  credentials.NewStaticCredentialsProvider(c.id, c.secret, c.token),
		Retryer:      fastRetryer(),
	}
	return sts.New(o, opts...)
}

func iamClient(s *awsemu.Server, c creds) *iam.Client {
	return iam.New(iam.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.URL()),
		Credentials:  credentials.NewStaticCredentialsProvider(c.id, c.secret, c.token),
		Retryer:      fastRetryer(),
	})
}

// apiError asserts that err is the AWS error code with message msg ("" = any).
func wantAPIError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got error %v, want AWS error %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("got error code %s (%q), want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
	if msg != "" && ae.ErrorMessage() != msg {
		t.Fatalf("got message %q, want %q", ae.ErrorMessage(), msg)
	}
}

// userWithMFA creates a user with a key, the given inline policy and an
// enabled MFA device.
func userWithMFA(t *testing.T, s *awsemu.Server, name, pol string) (creds, awsemu.MFADevice) {
	t.Helper()
	if _, err := s.CreateUser(name); err != nil {
		t.Fatal(err)
	}
	k, err := s.CreateAccessKey(name)
	if err != nil {
		t.Fatal(err)
	}
	if pol != "" {
		if err := s.PutUserPolicy(name, "p", pol); err != nil {
			t.Fatal(err)
		}
	}
	d, err := s.CreateMFADevice(name, name)
	if err != nil {
		t.Fatal(err)
	}
	return keyCreds(k), d
}

func code(t *testing.T, s *awsemu.Server, serial string) string {
	t.Helper()
	c, err := s.Code(serial)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wrongCode returns a six-digit code that is valid at none of the steps
// around now.
func wrongCode(d awsemu.MFADevice, now time.Time) string {
	for _, cand := range []string{"000000", "111111", "222222", "333333"} {
		ok := false
		for i := int64(-2); i <= 2; i++ {
			if totp.CodeAt(d.Seed, totp.Step(now)+i) == cand {
				ok = true
			}
		}
		if !ok {
			return cand
		}
	}
	return "444444"
}

func mfaSession(t *testing.T, s *awsemu.Server, c creds, d awsemu.MFADevice, secs int32) creds {
	t.Helper()
	out, err := stsClient(s, c).GetSessionToken(t.Context(), &sts.GetSessionTokenInput{
		SerialNumber: aws.String(d.Serial), TokenCode: aws.String(code(t, s, d.Serial)), DurationSeconds: aws.Int32(secs)})
	if err != nil {
		t.Fatalf("GetSessionToken with MFA: %v", err)
	}
	return creds{id: *out.Credentials.AccessKeyId, secret: *out.Credentials.SecretAccessKey, token: *out.Credentials.SessionToken}
}

const (
	msgInvalidCode = "MultiFactorAuthentication failed with invalid MFA one time pass code."
	msgUnknownMFA  = "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user."
)

func TestGetSessionTokenMFA(t *testing.T) {
	s := start(t)
	alice, aliceMFA := userWithMFA(t, s, "alice", allowAll)
	_, bobMFA := userWithMFA(t, s, "bob", allowAll)
	client := stsClient(s, alice)
	ctx := t.Context()

	_, err := client.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String(aliceMFA.Serial), TokenCode: aws.String(wrongCode(aliceMFA, s.Clock().Now()))})
	wantAPIError(t, err, "AccessDenied", msgInvalidCode)

	_, err = client.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String(bobMFA.Serial), TokenCode: aws.String(code(t, s, bobMFA.Serial))})
	wantAPIError(t, err, "AccessDenied", msgUnknownMFA)

	_, err = client.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String("arn:aws:iam::123456789012:mfa/nobody"), TokenCode: aws.String("123456")})
	wantAPIError(t, err, "AccessDenied", msgUnknownMFA)

	c := code(t, s, aliceMFA.Serial)
	first, err := client.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String(aliceMFA.Serial), TokenCode: aws.String(c)})
	if err != nil {
		t.Fatalf("GetSessionToken with the right code: %v", err)
	}
	if !strings.HasPrefix(*first.Credentials.AccessKeyId, "ASIA") {
		t.Errorf("session key id %q does not start with ASIA", *first.Credentials.AccessKeyId)
	}
	if got, want := first.Credentials.Expiration.Sub(s.Clock().Now()), 12*time.Hour; got < want-time.Minute || got > want {
		t.Errorf("default session lifetime %v, want about %v", got, want)
	}
	_, err = client.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String(aliceMFA.Serial), TokenCode: aws.String(c)})
	wantAPIError(t, err, "AccessDenied", msgInvalidCode)

	// The next step's code works once, and gives different credentials.
	s.Clock().Advance(30 * time.Second)
	second, err := client.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String(aliceMFA.Serial), TokenCode: aws.String(code(t, s, aliceMFA.Serial))})
	if err != nil {
		t.Fatalf("GetSessionToken with the next code: %v", err)
	}
	if *second.Credentials.AccessKeyId == *first.Credentials.AccessKeyId || *second.Credentials.SessionToken == *first.Credentials.SessionToken {
		t.Error("two sessions share credentials")
	}

	sess := creds{*first.Credentials.AccessKeyId, *first.Credentials.SecretAccessKey, *first.Credentials.SessionToken}
	_, err = stsClient(s, sess).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	wantAPIError(t, err, "AccessDenied", "Cannot call GetSessionToken with session credentials")
}

func TestGetSessionTokenDuration(t *testing.T) {
	s := start(t)
	alice, _ := userWithMFA(t, s, "alice", allowAll)
	tests := []struct {
		secs    int32
		wantErr string
	}{
		{899, "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		{900, ""},
		{129600, ""},
		{129601, "1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 129600"},
	}
	for _, tt := range tests {
		out, err := stsClient(s, alice).GetSessionToken(t.Context(), &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(tt.secs)})
		if tt.wantErr != "" {
			wantAPIError(t, err, "ValidationError", tt.wantErr)
			continue
		}
		if err != nil {
			t.Fatalf("duration %d: %v", tt.secs, err)
		}
		if got := out.Credentials.Expiration.Sub(s.Clock().Now()); got > time.Duration(tt.secs)*time.Second || got < time.Duration(tt.secs)*time.Second-time.Minute {
			t.Errorf("duration %d: credentials live %v", tt.secs, got)
		}
	}
}

func TestCallerIdentity(t *testing.T) {
	s := start(t)
	alice, d := userWithMFA(t, s, "alice", allowAll)
	u := mustUser(t, s, "alice")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + *u.Arn + `"},"Action":"sts:AssumeRole"}]}`
	role, err := s.CreateRole("Admin", trust, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	sess := mfaSession(t, s, alice, d, 900)
	ar, err := stsClient(s, alice).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role.ARN), RoleSessionName: aws.String("work")})
	if err != nil {
		t.Fatal(err)
	}
	roleCreds := creds{*ar.Credentials.AccessKeyId, *ar.Credentials.SecretAccessKey, *ar.Credentials.SessionToken}
	fed, err := stsClient(s, alice).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("fed")})
	if err != nil {
		t.Fatal(err)
	}
	fedCreds := creds{*fed.Credentials.AccessKeyId, *fed.Credentials.SecretAccessKey, *fed.Credentials.SessionToken}

	tests := []struct {
		name       string
		creds      creds
		arn, useID string
	}{
		{"user", alice, *u.Arn, *u.UserId},
		{"session", sess, *u.Arn, *u.UserId},
		{"assumed role", roleCreds, "arn:aws:sts::123456789012:assumed-role/Admin/work", *ar.AssumedRoleUser.AssumedRoleId},
		{"federated", fedCreds, "arn:aws:sts::123456789012:federated-user/fed", "123456789012:fed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := stsClient(s, tt.creds).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatal(err)
			}
			if *out.Arn != tt.arn || *out.UserId != tt.useID || *out.Account != "123456789012" {
				t.Errorf("got %s %s %s, want %s %s 123456789012", *out.Arn, *out.UserId, *out.Account, tt.arn, tt.useID)
			}
		})
	}
	if !strings.HasPrefix(*ar.AssumedRoleUser.AssumedRoleId, "AROA") || !strings.HasSuffix(*ar.AssumedRoleUser.AssumedRoleId, ":work") {
		t.Errorf("AssumedRoleId %q, want AROA…:work", *ar.AssumedRoleUser.AssumedRoleId)
	}
}

func mustUser(t *testing.T, s *awsemu.Server, name string) iamtypes.User {
	t.Helper()
	out, err := iamClient(s, keyCreds(s.AdminKey())).GetUser(t.Context(), &iam.GetUserInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return iamtypes.User{Arn: out.User.Arn, UserId: out.User.UserId, UserName: out.User.UserName}
}

func TestAssumeRoleMFAAgeAndChaining(t *testing.T) {
	s := start(t)
	alice, d := userWithMFA(t, s, "alice", allowAll)
	u := mustUser(t, s, "alice")
	// Trust the user directly, only with an MFA authentication less than 5 minutes old.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + *u.Arn + `"},"Action":"sts:AssumeRole",
	  "Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"NumericLessThan":{"aws:MultiFactorAuthAge":"300"}}}]}`
	role, err := s.CreateRole("Admin", trust, 4*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	in := func(secs int32) *sts.AssumeRoleInput {
		return &sts.AssumeRoleInput{RoleArn: aws.String(role.ARN), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(secs)}
	}
	notAuthorized := "User: " + *u.Arn + " is not authorized to perform: sts:AssumeRole on resource: " + role.ARN

	// The key alone is not trusted.
	_, err = stsClient(s, alice).AssumeRole(ctx, in(900))
	wantAPIError(t, err, "AccessDenied", notAuthorized)

	// With MFA in the call itself: trusted, up to the role's maximum.
	withCode := in(4 * 3600)
	withCode.SerialNumber, withCode.TokenCode = aws.String(d.Serial), aws.String(code(t, s, d.Serial))
	if _, err := stsClient(s, alice).AssumeRole(ctx, withCode); err != nil {
		t.Fatalf("AssumeRole with MFA: %v", err)
	}
	s.Clock().Advance(30 * time.Second)
	tooLong := in(4*3600 + 1)
	tooLong.SerialNumber, tooLong.TokenCode = aws.String(d.Serial), aws.String(code(t, s, d.Serial))
	_, err = stsClient(s, alice).AssumeRole(ctx, tooLong)
	wantAPIError(t, err, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")

	// Through an MFA session: role chaining, capped at one hour.
	s.Clock().Advance(30 * time.Second)
	sess := mfaSession(t, s, alice, d, 3600)
	_, err = stsClient(s, sess).AssumeRole(ctx, in(3601))
	wantAPIError(t, err, "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	if _, err := stsClient(s, sess).AssumeRole(ctx, in(3600)); err != nil {
		t.Fatalf("chained AssumeRole within an hour: %v", err)
	}

	// Ten minutes later the MFA authentication is too old for the trust policy.
	s.Clock().Advance(10 * time.Minute)
	_, err = stsClient(s, sess).AssumeRole(ctx, in(900))
	wantAPIError(t, err, "AccessDenied", notAuthorized)
}

func TestAssumeRoleAccountTrustNeedsIdentityPolicy(t *testing.T) {
	s := start(t)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	role, err := s.CreateRole("Ops", trust, 0)
	if err != nil {
		t.Fatal(err)
	}
	allowed, _ := userWithMFA(t, s, "allowed", `{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"`+role.ARN+`"}}`)
	bare, _ := userWithMFA(t, s, "bare", "")
	in := &sts.AssumeRoleInput{RoleArn: aws.String(role.ARN), RoleSessionName: aws.String("x1")}
	if _, err := stsClient(s, allowed).AssumeRole(t.Context(), in); err != nil {
		t.Errorf("user allowed by its identity policy: %v", err)
	}
	_, err = stsClient(s, bare).AssumeRole(t.Context(), in)
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::123456789012:user/bare is not authorized to perform: sts:AssumeRole on resource: "+role.ARN+
		" because no identity-based policy allows the sts:AssumeRole action")

	_, err = stsClient(s, allowed).AssumeRole(t.Context(), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/Missing"), RoleSessionName: aws.String("x1")})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::123456789012:user/allowed is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/Missing")
	_, err = stsClient(s, allowed).AssumeRole(t.Context(), &sts.AssumeRoleInput{RoleArn: aws.String(role.ARN), RoleSessionName: aws.String("bad name")})
	wantAPIError(t, err, "ValidationError", "")
}

func TestExpiredSession(t *testing.T) {
	s := start(t)
	alice, d := userWithMFA(t, s, "alice", allowAll)
	sess := mfaSession(t, s, alice, d, 900)
	if _, err := stsClient(s, sess).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("fresh session: %v", err)
	}
	s.Clock().Advance(901 * time.Second)
	// The SDK corrects its clock from the Date header, as with AWS, and then
	// meets the expiry.
	_, err := stsClient(s, sess).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "ExpiredToken", "The security token included in the request is expired")

	bad := sess
	bad.token = "IQoJb3JpZ2luX2VtdQforged"
	s.Clock().Advance(-901 * time.Second)
	_, err = stsClient(s, bad).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", "The security token included in the request is invalid.")
}

func TestSignatureChecks(t *testing.T) {
	s := start(t)
	alice, _ := userWithMFA(t, s, "alice", allowAll)
	ctx := t.Context()

	wrong := alice
	wrong.secret = strings.Repeat("x", 40)
	_, err := stsClient(s, wrong).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. "+
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")

	_, err = stsClient(s, creds{id: "AKIAAAAAAAAAAAAAAAAA", secret: alice.secret}).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", "The security token included in the request is invalid.")

	s.Clock().Advance(20 * time.Minute)
	noCorrection := func(o *sts.Options) { o.DisableClockSkewCorrection = true }
	_, err = stsClient(s, alice, noCorrection).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "SignatureDoesNotMatch" {
		t.Fatalf("20 minutes of skew: got %v, want SignatureDoesNotMatch", err)
	}
	m := regexp.MustCompile(`^Signature expired: (\d{8}T\d{6}Z) is now earlier than (\d{8}T\d{6}Z) \((\d{8}T\d{6}Z) - 15 min\.\)$`).FindStringSubmatch(ae.ErrorMessage())
	if m == nil {
		t.Fatalf("message %q is not AWS's Signature expired form", ae.ErrorMessage())
	}
	signed, _ := time.Parse("20060102T150405Z", m[1])
	limit, _ := time.Parse("20060102T150405Z", m[2])
	now, _ := time.Parse("20060102T150405Z", m[3])
	if now.Sub(limit) != 15*time.Minute || now.Sub(signed) < 19*time.Minute || now.Sub(signed) > 21*time.Minute {
		t.Errorf("times in %q are inconsistent", ae.ErrorMessage())
	}
	// With the SDK's default skew correction, the same client recovers.
	if _, err := stsClient(s, alice).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("with clock skew correction: %v", err)
	}

	// A deactivated key is refused.
	admin := iamClient(s, keyCreds(s.AdminKey()))
	s.Clock().Advance(-20 * time.Minute)
	if _, err := admin.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(alice.id), Status: iamtypes.StatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	_, err = stsClient(s, alice).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", "")
}

func TestMFAConditionedPolicy(t *testing.T) {
	s := start(t)
	alice, d := userWithMFA(t, s, "alice", seed002Policy)
	ctx := t.Context()
	key := iamClient(s, alice)

	_, err := key.ListUsers(ctx, &iam.ListUsersInput{})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:ListUsers on resource: "+
		"arn:aws:iam::123456789012:user/ with an explicit deny in an identity-based policy")
	if _, err := key.ListMFADevices(ctx, &iam.ListMFADevicesInput{}); err != nil {
		t.Errorf("self-service ListMFADevices with the key alone: %v", err)
	}
	if _, err := key.GetUser(ctx, &iam.GetUserInput{}); err != nil {
		t.Errorf("self-service GetUser with the key alone: %v", err)
	}
	// A session without MFA is denied too ("false" rather than absent).
	out, err := stsClient(s, alice).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	plain := creds{*out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken}
	_, err = iamClient(s, plain).ListUsers(ctx, &iam.ListUsersInput{})
	wantAPIError(t, err, "InvalidClientTokenId", "")

	sess := mfaSession(t, s, alice, d, 3600)
	users, err := iamClient(s, sess).ListUsers(ctx, &iam.ListUsersInput{})
	if err != nil {
		t.Fatalf("ListUsers with an MFA session: %v", err)
	}
	if len(users.Users) != 2 {
		t.Errorf("ListUsers: %d users, want admin and alice", len(users.Users))
	}
	_, err = stsClient(s, sess).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("fed")})
	wantAPIError(t, err, "AccessDenied", "Cannot call GetFederationToken with session credentials")
}

func TestThrottleThenRetry(t *testing.T) {
	for _, kind := range []awsemu.FaultKind{awsemu.Throttle, awsemu.ServerError} {
		t.Run(kind.String(), func(t *testing.T) {
			s := start(t)
			const n = 2
			s.InjectFault("GetCallerIdentity", awsemu.Fault{Kind: kind}, n)
			if _, err := stsClient(s, keyCreds(s.AdminKey())).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{}); err != nil {
				t.Fatalf("after %d faults the retrying client failed: %v", n, err)
			}
			if got := s.Calls("GetCallerIdentity"); got != n+1 {
				t.Errorf("Calls = %d, want %d", got, n+1)
			}
			codes := []string{}
			for _, c := range s.CallLog() {
				codes = append(codes, c.ErrorCode)
			}
			want := map[awsemu.FaultKind]string{awsemu.Throttle: "Throttling", awsemu.ServerError: "ServiceFailure"}[kind]
			if strings.Join(codes, ",") != want+","+want+"," {
				t.Errorf("call log codes %q", codes)
			}
		})
	}
}

func noRetries(o *sts.Options) { o.Retryer = aws.NopRetryer{} }

func TestFaultWithoutRetry(t *testing.T) {
	s := start(t)
	s.InjectFault("", awsemu.Fault{Kind: awsemu.Throttle}, 1)
	noRetry := noRetries
	_, err := stsClient(s, keyCreds(s.AdminKey()), noRetry).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "Throttling", "Rate exceeded")

	s.InjectFault("GetCallerIdentity", awsemu.Fault{Kind: awsemu.Reset}, 1)
	if _, err := stsClient(s, keyCreds(s.AdminKey()), noRetry).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{}); err == nil {
		t.Fatal("a reset connection did not fail the call")
	}
	// Stall answers after the client's deadline: the call fails, the server
	// still closes promptly (Cleanup).
	s.InjectFault("GetCallerIdentity", awsemu.Fault{Kind: awsemu.Stall, Stall: time.Hour}, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if _, err := stsClient(s, keyCreds(s.AdminKey()), noRetry).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil {
		t.Fatal("a stalled call answered before the deadline")
	}
}

func TestVirtualMFADevice(t *testing.T) {
	s := start(t)
	admin := iamClient(s, keyCreds(s.AdminKey()))
	ctx := t.Context()
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("carol")}); err != nil {
		t.Fatal(err)
	}
	out, err := admin.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("carol")})
	if err != nil {
		t.Fatal(err)
	}
	dev := out.VirtualMFADevice
	if *dev.SerialNumber != "arn:aws:iam::123456789012:mfa/carol" {
		t.Errorf("serial %q", *dev.SerialNumber)
	}
	img, err := png.Decode(bytes.NewReader(dev.QRCodePNG))
	if err != nil {
		t.Fatalf("QRCodePNG is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != b.Dy() || b.Dx() < 100 || b.Dx() > 2000 {
		t.Errorf("QR code is %v", b)
	}
	seed, err := totp.DecodeSeed(string(dev.Base32StringSeed))
	if err != nil || len(seed) != 40 {
		t.Fatalf("Base32StringSeed: %d bytes, %v", len(seed), err)
	}
	now := s.Clock().Now()
	step := totp.Step(now)
	_, err = admin.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("carol"), SerialNumber: dev.SerialNumber,
		AuthenticationCode1: aws.String(totp.CodeAt(seed, step+1)), AuthenticationCode2: aws.String(totp.CodeAt(seed, step))})
	wantAPIError(t, err, "InvalidAuthenticationCode", "Authentication code for device is not valid.")
	_, err = admin.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("carol"), SerialNumber: dev.SerialNumber,
		AuthenticationCode1: aws.String(totp.CodeAt(seed, step)), AuthenticationCode2: aws.String(totp.CodeAt(seed, step+1))})
	if err != nil {
		t.Fatalf("EnableMFADevice with consecutive codes: %v", err)
	}
	list, err := admin.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("carol")})
	if err != nil || len(list.MFADevices) != 1 || *list.MFADevices[0].SerialNumber != *dev.SerialNumber {
		t.Fatalf("ListMFADevices: %+v %v", list, err)
	}
	_, err = admin.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: dev.SerialNumber})
	wantAPIError(t, err, "DeleteConflict", "")
	if _, err := admin.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String("carol"), SerialNumber: dev.SerialNumber}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: dev.SerialNumber}); err != nil {
		t.Fatal(err)
	}
}

func TestAccessKeysAndSimulation(t *testing.T) {
	s := start(t)
	admin := iamClient(s, keyCreds(s.AdminKey()))
	ctx := t.Context()
	alice, _ := userWithMFA(t, s, "alice", seed002Policy)
	self := iamClient(s, alice)
	_, err := self.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	wantAPIError(t, err, "AccessDenied", "")
	created, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	if len(*created.AccessKey.SecretAccessKey) != 40 || !regexp.MustCompile(`^AKIA[A-Z2-7]{16}$`).MatchString(*created.AccessKey.AccessKeyId) {
		t.Errorf("new key %q has the wrong shape", *created.AccessKey.AccessKeyId)
	}
	_, err = admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	wantAPIError(t, err, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
	keys, err := admin.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("alice")})
	if err != nil || len(keys.AccessKeyMetadata) != 2 || keys.AccessKeyMetadata[0].CreateDate == nil {
		t.Fatalf("ListAccessKeys: %+v %v", keys, err)
	}
	if _, err := admin.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: created.AccessKey.AccessKeyId}); err != nil {
		t.Fatal(err)
	}

	sim, err := admin.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::123456789012:user/alice"),
		ActionNames:     []string{"iam:ListUsers", "iam:GetUser"},
		ContextEntries: []iamtypes.ContextEntry{{ContextKeyName: aws.String("aws:MultiFactorAuthPresent"),
			ContextKeyValues: []string{"false"}, ContextKeyType: iamtypes.ContextKeyTypeEnumBoolean}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]iamtypes.PolicyEvaluationDecisionType{}
	for _, r := range sim.EvaluationResults {
		got[*r.EvalActionName] = r.EvalDecision
		if len(r.MatchedStatements) == 0 {
			t.Errorf("%s: no matched statements", *r.EvalActionName)
		}
	}
	if got["iam:ListUsers"] != iamtypes.PolicyEvaluationDecisionTypeExplicitDeny || got["iam:GetUser"] != iamtypes.PolicyEvaluationDecisionTypeAllowed {
		t.Errorf("simulation decisions %v", got)
	}
}

func TestRolesAndPoliciesOverIAM(t *testing.T) {
	s := start(t)
	admin := iamClient(s, keyCreds(s.AdminKey()))
	ctx := t.Context()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}]}`
	r, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("R"), AssumeRolePolicyDocument: aws.String(trust), MaxSessionDuration: aws.Int32(7200)})
	if err != nil {
		t.Fatal(err)
	}
	if *r.Role.MaxSessionDuration != 7200 || !strings.HasPrefix(*r.Role.RoleId, "AROA") {
		t.Errorf("role %+v", r.Role)
	}
	_, err = admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("R"), AssumeRolePolicyDocument: aws.String(trust)})
	wantAPIError(t, err, "EntityAlreadyExists", "Role with name R already exists.")
	_, err = admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Bad"), AssumeRolePolicyDocument: aws.String("{not json")})
	wantAPIError(t, err, "MalformedPolicyDocument", "")
	_, err = admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("Nope")})
	wantAPIError(t, err, "NoSuchEntity", "The role with name Nope cannot be found.")

	p, err := admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("All"), PolicyDocument: aws.String(allowAll)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("R"), PolicyArn: p.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	att, err := admin.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("R")})
	if err != nil || len(att.AttachedPolicies) != 1 || *att.AttachedPolicies[0].PolicyArn != *p.Policy.Arn {
		t.Fatalf("ListAttachedRolePolicies: %+v %v", att, err)
	}
	_, err = admin.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: p.Policy.Arn})
	wantAPIError(t, err, "DeleteConflict", "")

	// A role session acts with the role's policies: the attached Allow * *.
	ar, err := stsClient(s, keyCreds(s.AdminKey())).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r.Role.Arn, RoleSessionName: aws.String("me")})
	if err != nil {
		t.Fatal(err)
	}
	rc := creds{*ar.Credentials.AccessKeyId, *ar.Credentials.SecretAccessKey, *ar.Credentials.SessionToken}
	if _, err := iamClient(s, rc).ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
		t.Errorf("role session ListRoles: %v", err)
	}
	if _, err := admin.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("R"), PolicyArn: p.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	_, err = iamClient(s, rc).ListRoles(ctx, &iam.ListRolesInput{})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:sts::123456789012:assumed-role/R/me is not authorized to perform: iam:ListRoles on resource: "+
		"arn:aws:iam::123456789012:role/ because no identity-based policy allows the iam:ListRoles action")

	if _, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("admin"), PolicyName: aws.String("extra"), PolicyDocument: aws.String(allowAll)}); err != nil {
		t.Fatal(err)
	}
	got, err := admin.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("admin"), PolicyName: aws.String("extra")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(*got.PolicyDocument, "%7B") {
		t.Errorf("policy document %q is not URL-encoded as AWS returns it", *got.PolicyDocument)
	}
}

func TestPresignedGetCallerIdentity(t *testing.T) {
	s := start(t)
	alice, _ := userWithMFA(t, s, "alice", "")
	pre, err := sts.NewPresignClient(stsClient(s, alice)).PresignGetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	do := func(rawURL string) (int, string) {
		req, err := http.NewRequestWithContext(t.Context(), pre.Method, rawURL, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, vs := range pre.SignedHeader {
			if !strings.EqualFold(k, "host") {
				req.Header[k] = vs
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	status, body := do(pre.URL)
	if status != http.StatusOK || !strings.Contains(body, "<Arn>arn:aws:iam::123456789012:user/alice</Arn>") {
		t.Fatalf("presigned %s: %d %s", pre.Method, status, body)
	}
	status, body = do(strings.Replace(pre.URL, "GetCallerIdentity", "ListUsers", 1))
	if status != http.StatusForbidden || !strings.Contains(body, "SignatureDoesNotMatch") {
		t.Errorf("tampered presigned URL: %d %s", status, body)
	}
}
