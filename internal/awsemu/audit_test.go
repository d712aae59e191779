package awsemu_test

import (
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestAccessKeyAgeAndLastUse covers what audit reads about keys: creation
// dates, last use (recorded on every authenticated call, with the service
// and region of the signature), deactivation and deletion.
func TestAccessKeyAgeAndLastUse(t *testing.T) {
	s := start(t)
	ctx := t.Context()
	admin := iamClient(s, keyCreds(s.AdminKey()))
	old := bareUser(t, s, "frank")
	created := s.Clock().Now()
	s.Clock().Advance(91 * 24 * time.Hour)
	fresh, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("frank")})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := admin.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("frank")})
	if err != nil || len(keys.AccessKeyMetadata) != 2 {
		t.Fatalf("ListAccessKeys: %+v %v", keys, err)
	}
	ages := map[string]time.Duration{}
	for _, k := range keys.AccessKeyMetadata {
		ages[*k.AccessKeyId] = s.Clock().Now().Sub(*k.CreateDate)
		if k.Status != iamtypes.StatusTypeActive || *k.UserName != "frank" {
			t.Errorf("key %+v", k)
		}
	}
	if ages[old.id] < 91*24*time.Hour-time.Minute || ages[*fresh.AccessKey.AccessKeyId] > time.Minute {
		t.Errorf("key ages %v (old key created %v)", ages, created)
	}

	last, err := admin.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(old.id)})
	if err != nil || *last.UserName != "frank" || last.AccessKeyLastUsed.LastUsedDate != nil || *last.AccessKeyLastUsed.ServiceName != "N/A" {
		t.Fatalf("never used: %+v %v", last.AccessKeyLastUsed, err)
	}
	// A call that is authenticated counts as use even when it is denied.
	_, err = iamClient(s, old).ListUsers(ctx, &iam.ListUsersInput{})
	wantAPIError(t, err, "AccessDenied", "")
	last, err = admin.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(old.id)})
	if err != nil || last.AccessKeyLastUsed.LastUsedDate == nil || *last.AccessKeyLastUsed.ServiceName != "iam" || *last.AccessKeyLastUsed.Region != "us-east-1" {
		t.Fatalf("after an IAM call: %+v %v", last.AccessKeyLastUsed, err)
	}
	s.Clock().Advance(time.Hour)
	if _, err := stsClient(s, old).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	last, err = admin.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(old.id)})
	if err != nil || *last.AccessKeyLastUsed.ServiceName != "sts" || s.Clock().Now().Sub(*last.AccessKeyLastUsed.LastUsedDate) > time.Minute {
		t.Fatalf("after an STS call: %+v %v", last.AccessKeyLastUsed, err)
	}
	// A bad signature is not a use.
	bad := old
	bad.secret = "wrong-secret-wrong-secret-wrong-secret-x"
	s.Clock().Advance(time.Hour)
	_, err = stsClient(s, bad).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "SignatureDoesNotMatch", "")
	again, err := admin.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(old.id)})
	if err != nil || !again.AccessKeyLastUsed.LastUsedDate.Equal(*last.AccessKeyLastUsed.LastUsedDate) {
		t.Errorf("a failed signature moved LastUsedDate: %+v %v", again.AccessKeyLastUsed, err)
	}

	// Inactive keys are refused; reactivated they work again; deleted they are gone.
	if _, err := admin.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("frank"), AccessKeyId: aws.String(old.id), Status: iamtypes.StatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	_, err = stsClient(s, old).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", "The security token included in the request is invalid.")
	_, err = admin.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("frank"), AccessKeyId: aws.String(old.id), Status: "Paused"})
	wantAPIError(t, err, "ValidationError", "")
	if _, err := admin.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("frank"), AccessKeyId: aws.String(old.id), Status: iamtypes.StatusTypeActive}); err != nil {
		t.Fatal(err)
	}
	if _, err := stsClient(s, old).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("reactivated key: %v", err)
	}
	if _, err := admin.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("frank"), AccessKeyId: aws.String(old.id)}); err != nil {
		t.Fatal(err)
	}
	_, err = admin.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("frank"), AccessKeyId: aws.String(old.id)})
	wantAPIError(t, err, "NoSuchEntity", "The Access Key with id "+old.id+" cannot be found.")
	_, err = stsClient(s, old).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", "")
}

// TestRoleAndPolicyLifecycle covers the IAM calls setup's plan and undo
// make, and audit's reading of roles: documents come back URL-encoded as
// AWS returns them, deletion conflicts name what is left, and documents
// that break IAM's rules for their kind are refused.
func TestRoleAndPolicyLifecycle(t *testing.T) {
	s := start(t)
	ctx := t.Context()
	admin := iamClient(s, keyCreds(s.AdminKey()))
	u := mustUser(t, s, "admin")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + *u.Arn + `"},"Action":"sts:AssumeRole",` +
		`"Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"NumericLessThan":{"aws:MultiFactorAuthAge":"43200"}}}]}`
	if _, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("awsmfa-admin"), AssumeRolePolicyDocument: aws.String(trust), MaxSessionDuration: aws.Int32(43200)}); err != nil {
		t.Fatal(err)
	}
	got, err := admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("awsmfa-admin")})
	if err != nil {
		t.Fatal(err)
	}
	if doc, err := url.QueryUnescape(*got.Role.AssumeRolePolicyDocument); err != nil || doc != trust || *got.Role.AssumeRolePolicyDocument == trust {
		t.Errorf("AssumeRolePolicyDocument %q is not the URL-encoded trust policy", *got.Role.AssumeRolePolicyDocument)
	}
	if *got.Role.MaxSessionDuration != 43200 {
		t.Errorf("MaxSessionDuration %d", *got.Role.MaxSessionDuration)
	}
	loose := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + *u.Arn + `"},"Action":"sts:AssumeRole","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}}]}`
	if _, err := admin.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("awsmfa-admin"), PolicyDocument: aws.String(loose)}); err != nil {
		t.Fatal(err)
	}
	got, _ = admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("awsmfa-admin")})
	if doc, _ := url.QueryUnescape(*got.Role.AssumeRolePolicyDocument); doc != loose {
		t.Errorf("after UpdateAssumeRolePolicy: %q", doc)
	}
	// IAM's rules per document kind.
	_, err = admin.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("awsmfa-admin"), PolicyDocument: aws.String(allowAll)})
	wantAPIError(t, err, "MalformedPolicyDocument", "")
	_, err = admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("awsmfa-admin"), PolicyName: aws.String("bad"), PolicyDocument: aws.String(trust)})
	wantAPIError(t, err, "MalformedPolicyDocument", "")
	_, err = admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("noresource"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*"}}`)})
	wantAPIError(t, err, "MalformedPolicyDocument", "")

	// Inline and attached role policies, listed, then in the way of DeleteRole.
	if _, err := admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("awsmfa-admin"), PolicyName: aws.String("copied"), PolicyDocument: aws.String(allowAll)}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("awsmfa-admin"), PolicyArn: aws.String(adminARN)}); err != nil {
		t.Fatal(err)
	}
	names, err := admin.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("awsmfa-admin")})
	if err != nil || !slices.Equal(names.PolicyNames, []string{"copied"}) {
		t.Fatalf("ListRolePolicies: %+v %v", names, err)
	}
	att, err := admin.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("awsmfa-admin")})
	if err != nil || len(att.AttachedPolicies) != 1 || *att.AttachedPolicies[0].PolicyArn != adminARN || *att.AttachedPolicies[0].PolicyName != "AdministratorAccess" {
		t.Fatalf("ListAttachedRolePolicies: %+v %v", att, err)
	}
	_, err = admin.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("awsmfa-admin")})
	wantAPIError(t, err, "DeleteConflict", "Cannot delete entity, must delete policies first.")
	if _, err := admin.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("awsmfa-admin"), PolicyName: aws.String("copied")}); err != nil {
		t.Fatal(err)
	}
	_, err = admin.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("awsmfa-admin")})
	wantAPIError(t, err, "DeleteConflict", "Cannot delete entity, must detach all policies first.")
	if _, err := admin.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("awsmfa-admin"), PolicyArn: aws.String(adminARN)}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("awsmfa-admin")}); err != nil {
		t.Fatal(err)
	}
	_, err = admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("awsmfa-admin")})
	wantAPIError(t, err, "NoSuchEntity", "The role with name awsmfa-admin cannot be found.")

	// A user's own policies: listed, read back, detached and deleted.
	bareUser(t, s, "gina")
	userPolicy := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:ListMFADevices","Resource":"arn:aws:iam::*:user/${aws:username}"}}`
	if _, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("gina"), PolicyName: aws.String("awsmfa"), PolicyDocument: aws.String(userPolicy)}); err != nil {
		t.Fatal(err)
	}
	p, err := admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("team"), PolicyDocument: aws.String(allowAll)})
	if err != nil {
		t.Fatal(err)
	}
	for _, arn := range []string{*p.Policy.Arn, changePwARN} {
		if _, err := admin.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("gina"), PolicyArn: aws.String(arn)}); err != nil {
			t.Fatal(err)
		}
	}
	up, err := admin.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("gina"), PolicyName: aws.String("awsmfa")})
	if err != nil {
		t.Fatal(err)
	}
	if doc, _ := url.QueryUnescape(*up.PolicyDocument); doc != userPolicy || *up.UserName != "gina" {
		t.Errorf("GetUserPolicy: %q", doc)
	}
	un, err := admin.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("gina")})
	if err != nil || !slices.Equal(un.PolicyNames, []string{"awsmfa"}) {
		t.Fatalf("ListUserPolicies: %+v %v", un, err)
	}
	ua, err := admin.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("gina")})
	if err != nil || len(ua.AttachedPolicies) != 2 || *ua.AttachedPolicies[0].PolicyArn != *p.Policy.Arn || *ua.AttachedPolicies[1].PolicyArn != changePwARN {
		t.Fatalf("ListAttachedUserPolicies: %+v %v", ua, err)
	}
	_, err = admin.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: p.Policy.Arn})
	wantAPIError(t, err, "DeleteConflict", "Cannot delete a policy attached to entities.")
	if _, err := admin.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("gina"), PolicyArn: p.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	_, err = admin.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("gina"), PolicyArn: p.Policy.Arn})
	wantAPIError(t, err, "NoSuchEntity", "")
	if _, err := admin.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: p.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("gina"), PolicyName: aws.String("awsmfa")}); err != nil {
		t.Fatal(err)
	}
	_, err = admin.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("gina"), PolicyName: aws.String("awsmfa")})
	wantAPIError(t, err, "NoSuchEntity", "The user policy with name awsmfa cannot be found.")
	_, err = admin.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("nobody")})
	wantAPIError(t, err, "NoSuchEntity", "The user with name nobody cannot be found.")
	me, err := iamClient(s, keyCreds(s.AdminKey())).GetUser(ctx, &iam.GetUserInput{})
	if err != nil || *me.User.UserName != "admin" {
		t.Fatalf("GetUser of the caller: %+v %v", me, err)
	}
}
