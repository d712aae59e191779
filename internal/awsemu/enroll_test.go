package awsemu_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/awsmfa/awsmfa/internal/awsemu"
	"github.com/awsmfa/awsmfa/internal/totp"
)

// selfManageMFA is AWS's documented self-manage-MFA policy
// (reference_policies_examples_iam_mfa-selfmanage.html).
const selfManageMFA = `{"Version":"2012-10-17","Statement":[
 {"Sid":"AllowListActions","Effect":"Allow","Action":["iam:ListUsers","iam:ListVirtualMFADevices"],"Resource":"*"},
 {"Sid":"AllowUserToCreateVirtualMFADevice","Effect":"Allow","Action":["iam:CreateVirtualMFADevice"],"Resource":"arn:aws:iam::*:mfa/*"},
 {"Sid":"AllowUserToManageTheirOwnMFA","Effect":"Allow","Action":["iam:EnableMFADevice","iam:GetMFADevice","iam:ListMFADevices","iam:ResyncMFADevice"],
  "Resource":"arn:aws:iam::*:user/${aws:username}"},
 {"Sid":"AllowUserToDeactivateTheirOwnMFAOnlyWhenUsingMFA","Effect":"Allow","Action":["iam:DeactivateMFADevice"],
  "Resource":["arn:aws:iam::*:user/${aws:username}"],"Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}},
 {"Sid":"BlockMostAccessUnlessSignedInWithMFA","Effect":"Deny",
  "NotAction":["iam:CreateVirtualMFADevice","iam:EnableMFADevice","iam:ListMFADevices","iam:ListUsers","iam:ListVirtualMFADevices","iam:ResyncMFADevice","sts:GetSessionToken"],
  "Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}`

// TestSelfEnrollment is setup's MFA step as a locked-down user runs it
// under AWS's self-manage policy: create a virtual device, enable it with
// two codes read a few minutes earlier, then use it. The user may touch
// only its own user (${aws:username}) and cannot delete the device it made.
func TestSelfEnrollment(t *testing.T) {
	clock := awsemu.NewClock(time.Date(2026, 3, 1, 9, 0, 1, 0, time.UTC))
	s, err := awsemu.Start(t.Context(), awsemu.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := t.Context()
	ivy := bareUser(t, s, "ivy")
	bareUser(t, s, "jon")
	if err := s.PutUserPolicy("ivy", "self-manage", selfManageMFA); err != nil {
		t.Fatal(err)
	}
	self := iamClient(s, ivy)
	dev, err := self.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("ivy")})
	if err != nil {
		t.Fatalf("CreateVirtualMFADevice with the key alone: %v", err)
	}
	seed, err := totp.DecodeSeed(string(dev.VirtualMFADevice.Base32StringSeed))
	if err != nil {
		t.Fatal(err)
	}
	// The codes are read, then the user dawdles for four minutes.
	cur := totp.Step(s.Clock().Now())
	code1, code2 := totp.CodeAt(seed, cur), totp.CodeAt(seed, cur+1)
	s.Clock().Advance(4 * time.Minute)

	_, err = self.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("jon"), SerialNumber: dev.VirtualMFADevice.SerialNumber,
		AuthenticationCode1: aws.String(code1), AuthenticationCode2: aws.String(code2)})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::123456789012:user/ivy is not authorized to perform: iam:EnableMFADevice on resource: arn:aws:iam::123456789012:user/jon because no identity-based policy allows the iam:EnableMFADevice action")
	if _, err := self.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("ivy"), SerialNumber: dev.VirtualMFADevice.SerialNumber,
		AuthenticationCode1: aws.String(code1), AuthenticationCode2: aws.String(code2)}); err != nil {
		t.Fatalf("EnableMFADevice with four-minute-old codes: %v", err)
	}
	mine, err := self.ListMFADevices(ctx, &iam.ListMFADevicesInput{})
	if err != nil || len(mine.MFADevices) != 1 {
		t.Fatalf("ListMFADevices of the caller: %+v %v", mine, err)
	}
	if _, err := self.ResyncMFADevice(ctx, &iam.ResyncMFADeviceInput{UserName: aws.String("ivy"), SerialNumber: dev.VirtualMFADevice.SerialNumber,
		AuthenticationCode1: aws.String(totp.CodeAt(seed, totp.Step(s.Clock().Now())-1)), AuthenticationCode2: aws.String(totp.CodeAt(seed, totp.Step(s.Clock().Now())))}); err != nil {
		t.Fatalf("ResyncMFADevice: %v", err)
	}

	// Without MFA the key cannot deactivate the device or delete it.
	_, err = self.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String("ivy"), SerialNumber: dev.VirtualMFADevice.SerialNumber})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::123456789012:user/ivy is not authorized to perform: iam:DeactivateMFADevice on resource: arn:aws:iam::123456789012:user/ivy with an explicit deny in an identity-based policy")
	_, err = self.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: dev.VirtualMFADevice.SerialNumber})
	wantAPIError(t, err, "AccessDenied", "")

	// With an MFA session (a code from a later step), deactivation is allowed.
	s.Clock().Advance(30 * time.Second)
	sess := mfaSession(t, s, ivy, awsemu.MFADevice{Serial: *dev.VirtualMFADevice.SerialNumber, Seed: seed}, 900)
	if _, err := iamClient(s, sess).DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String("ivy"), SerialNumber: dev.VirtualMFADevice.SerialNumber}); err != nil {
		t.Fatalf("DeactivateMFADevice with MFA: %v", err)
	}
}
