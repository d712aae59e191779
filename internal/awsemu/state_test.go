package awsemu_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/awsmfa/awsmfa/internal/awsemu"
)

// TestStateRoundTripsGroupsAndPolicies restarts the emulator on its state
// file and finds the groups, memberships, group policies (inline, customer
// and AWS managed), user and role attachments as they were, still applied.
func TestStateRoundTripsGroupsAndPolicies(t *testing.T) {
	path := filepath.Join(t.TempDir(), "emu.json")
	s1, err := awsemu.Start(t.Context(), awsemu.Options{StateFile: path})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	admin := iamClient(s1, keyCreds(s1.AdminKey()))
	hal := bareUser(t, s1, "hal")
	if _, err := s1.CreateGroup("ops", "hal"); err != nil {
		t.Fatal(err)
	}
	if err := s1.PutGroupPolicy("ops", "roles", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}}`); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("ops"), PolicyArn: aws.String(readOnlyARN)}); err != nil {
		t.Fatal(err)
	}
	custom, err := s1.CreatePolicy("deny-delete", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"iam:DeleteGroup","Resource":"*"}}`)
	if err != nil {
		t.Fatal(err)
	}
	if err := s1.AttachPolicy("user", "hal", custom); err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}}`
	if _, err := s1.CreateRole("ro", trust, 0); err != nil {
		t.Fatal(err)
	}
	if err := s1.AttachPolicy("role", "ro", powerUserARN); err != nil {
		t.Fatal(err)
	}
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}

	s2, err := awsemu.Start(t.Context(), awsemu.Options{StateFile: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s2.Close() })
	admin = iamClient(s2, keyCreds(s2.AdminKey()))
	g, err := admin.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("ops")})
	if err != nil || len(g.Users) != 1 || *g.Users[0].UserName != "hal" {
		t.Fatalf("GetGroup after restart: %+v %v", g, err)
	}
	inline, err := admin.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: aws.String("ops")})
	if err != nil || !slices.Equal(inline.PolicyNames, []string{"roles"}) {
		t.Fatalf("ListGroupPolicies after restart: %+v %v", inline, err)
	}
	for kind, want := range map[string]string{"group": readOnlyARN, "user": custom, "role": powerUserARN} {
		var got []string
		switch kind {
		case "group":
			out, err := admin.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("ops")})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range out.AttachedPolicies {
				got = append(got, *p.PolicyArn)
			}
		case "user":
			out, err := admin.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("hal")})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range out.AttachedPolicies {
				got = append(got, *p.PolicyArn)
			}
		case "role":
			out, err := admin.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("ro")})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range out.AttachedPolicies {
				got = append(got, *p.PolicyArn)
			}
		}
		if !slices.Equal(got, []string{want}) {
			t.Errorf("%s attachments after restart: %q, want %q", kind, got, want)
		}
	}
	// And they still decide hal's calls: the group allows, the custom policy denies.
	self := iamClient(s2, hal)
	if _, err := self.ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
		t.Errorf("group inline policy after restart: %v", err)
	}
	if _, err := self.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Errorf("group ReadOnlyAccess after restart: %v", err)
	}
	_, err = self.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("ops")})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::123456789012:user/hal is not authorized to perform: iam:DeleteGroup on resource: arn:aws:iam::123456789012:group/ops with an explicit deny in an identity-based policy")
	// New IDs do not collide with restored ones.
	if _, err := s2.CreateGroup("ops"); err == nil {
		t.Error("a second group ops was created after restart")
	}
}
