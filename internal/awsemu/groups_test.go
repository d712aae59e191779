package awsemu_test

import (
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/awsmfa/awsmfa/internal/awsemu"
	"github.com/awsmfa/awsmfa/internal/totp"
)

const (
	readOnlyARN  = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	adminARN     = "arn:aws:iam::aws:policy/AdministratorAccess"
	powerUserARN = "arn:aws:iam::aws:policy/PowerUserAccess"
	changePwARN  = "arn:aws:iam::aws:policy/IAMUserChangePassword"
)

// bareUser creates a user with a key and no policies.
func bareUser(t *testing.T, s *awsemu.Server, name string) creds {
	t.Helper()
	if _, err := s.CreateUser(name); err != nil {
		t.Fatal(err)
	}
	k, err := s.CreateAccessKey(name)
	if err != nil {
		t.Fatal(err)
	}
	return keyCreds(k)
}

func TestGroups(t *testing.T) {
	s := start(t)
	ctx := t.Context()
	admin := iamClient(s, keyCreds(s.AdminKey()))
	bobCreds := bareUser(t, s, "bob")
	bob := iamClient(s, bobCreds)
	listRolesDenied := "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::123456789012:role/ "

	g, err := admin.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")})
	if err != nil {
		t.Fatal(err)
	}
	if *g.Group.Arn != "arn:aws:iam::123456789012:group/devs" || len(*g.Group.GroupId) != 21 || (*g.Group.GroupId)[:4] != "AGPA" || g.Group.CreateDate == nil {
		t.Errorf("CreateGroup: %+v", g.Group)
	}
	_, err = admin.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("DEVS")})
	wantAPIError(t, err, "EntityAlreadyExists", "Group with name DEVS already exists.")
	_, err = admin.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("nope")})
	wantAPIError(t, err, "NoSuchEntity", "The group with name nope cannot be found.")
	_, err = admin.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("nobody")})
	wantAPIError(t, err, "NoSuchEntity", "The user with name nobody cannot be found.")

	// A group's inline policy applies to its members only.
	_, err = bob.ListRoles(ctx, &iam.ListRolesInput{})
	wantAPIError(t, err, "AccessDenied", listRolesDenied+"because no identity-based policy allows the iam:ListRoles action")
	listRoles := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["iam:ListRoles","iam:GetGroup"],"Resource":"*"}}`
	if _, err := admin.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("roles"), PolicyDocument: aws.String(listRoles)}); err != nil {
		t.Fatal(err)
	}
	_, err = bob.ListRoles(ctx, &iam.ListRolesInput{})
	wantAPIError(t, err, "AccessDenied", "")
	for range 2 { // adding twice is not an error, as in AWS
		if _, err := admin.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("bob")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := bob.ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
		t.Fatalf("member ListRoles: %v", err)
	}
	got, err := bob.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("devs")})
	if err != nil || len(got.Users) != 1 || *got.Users[0].UserName != "bob" {
		t.Fatalf("GetGroup: %+v %v", got, err)
	}
	forUser, err := admin.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("bob")})
	if err != nil || len(forUser.Groups) != 1 || *forUser.Groups[0].GroupName != "devs" {
		t.Fatalf("ListGroupsForUser: %+v %v", forUser, err)
	}
	gp, err := admin.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("roles")})
	if err != nil {
		t.Fatal(err)
	}
	if doc, _ := url.QueryUnescape(*gp.PolicyDocument); doc != listRoles || *gp.GroupName != "devs" {
		t.Errorf("GetGroupPolicy: %q for %q", *gp.PolicyDocument, *gp.GroupName)
	}
	names, err := admin.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: aws.String("devs")})
	if err != nil || !slices.Equal(names.PolicyNames, []string{"roles"}) {
		t.Fatalf("ListGroupPolicies: %+v %v", names, err)
	}

	// An explicit Deny in a group beats an Allow in the user's own policy.
	if err := s.PutUserPolicy("bob", "all", allowAll); err != nil {
		t.Fatal(err)
	}
	deny := `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"iam:ListRoles","Resource":"*"}}`
	if _, err := admin.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("deny"), PolicyDocument: aws.String(deny)}); err != nil {
		t.Fatal(err)
	}
	_, err = bob.ListRoles(ctx, &iam.ListRolesInput{})
	wantAPIError(t, err, "AccessDenied", listRolesDenied+"with an explicit deny in an identity-based policy")
	if _, err := admin.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("deny")}); err != nil {
		t.Fatal(err)
	}
	_, err = admin.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("deny")})
	wantAPIError(t, err, "NoSuchEntity", "The group policy with name deny cannot be found.")
	if _, err := admin.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("all")}); err != nil {
		t.Fatal(err)
	}

	// Attached managed policies apply to members too.
	_, err = bob.ListUsers(ctx, &iam.ListUsersInput{})
	wantAPIError(t, err, "AccessDenied", "")
	if _, err := admin.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: aws.String(readOnlyARN)}); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Errorf("ReadOnlyAccess through a group: %v", err)
	}
	att, err := admin.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("devs")})
	if err != nil || len(att.AttachedPolicies) != 1 || *att.AttachedPolicies[0].PolicyName != "ReadOnlyAccess" {
		t.Fatalf("ListAttachedGroupPolicies: %+v %v", att, err)
	}

	// Deletion needs an empty group; a member cannot be deleted.
	_, err = admin.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("devs")})
	wantAPIError(t, err, "DeleteConflict", "Cannot delete entity, must remove users from group first.")
	if _, err := admin.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("bob"), AccessKeyId: aws.String(bobCreds.id)}); err != nil {
		t.Fatal(err)
	}
	_, err = admin.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("bob")})
	wantAPIError(t, err, "DeleteConflict", "Cannot delete entity, must remove user from all groups first.")
	if _, err := admin.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("devs"), UserName: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
	_, err = admin.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("devs"), UserName: aws.String("bob")})
	wantAPIError(t, err, "NoSuchEntity", "The user with name bob cannot be found.")
	_, err = admin.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("devs")})
	wantAPIError(t, err, "DeleteConflict", "Cannot delete entity, must delete policies first.")
	if _, err := admin.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("roles")}); err != nil {
		t.Fatal(err)
	}
	_, err = admin.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("devs")})
	wantAPIError(t, err, "DeleteConflict", "Cannot delete entity, must detach all policies first.")
	if _, err := admin.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: aws.String(readOnlyARN)}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("devs")}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
	list, err := admin.ListGroups(ctx, &iam.ListGroupsInput{})
	if err != nil || len(list.Groups) != 0 {
		t.Fatalf("ListGroups after delete: %+v %v", list, err)
	}
}

func TestGroupLimits(t *testing.T) {
	s := start(t)
	ctx := t.Context()
	admin := iamClient(s, keyCreds(s.AdminKey()))
	bareUser(t, s, "dan")
	for i := range 11 {
		name := "g" + strconv.Itoa(i)
		if _, err := admin.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		_, err := admin.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String(name), UserName: aws.String("dan")})
		if i < 10 && err != nil {
			t.Fatal(err)
		}
		if i == 10 {
			wantAPIError(t, err, "LimitExceeded", "Cannot exceed quota for GroupsPerUser: 10")
		}
	}
	// Eleven managed policies on one group exceed the default quota of ten.
	arns := []string{adminARN, powerUserARN, readOnlyARN, changePwARN}
	for i := range 7 {
		p, err := admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p" + strconv.Itoa(i)), PolicyDocument: aws.String(allowAll)})
		if err != nil {
			t.Fatal(err)
		}
		arns = append(arns, *p.Policy.Arn)
	}
	for i, arn := range arns {
		_, err := admin.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("g0"), PolicyArn: aws.String(arn)})
		if i < 10 && err != nil {
			t.Fatal(err)
		}
		if i == 10 {
			wantAPIError(t, err, "LimitExceeded", "Cannot exceed quota for PoliciesPerGroup: 10")
		}
	}
	// Inline policies count against the entity's aggregate size.
	big := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + string(make100('b', 2000)) + `"}}`
	_, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("dan"), PolicyName: aws.String("big"), PolicyDocument: aws.String(big)})
	wantAPIError(t, err, "LimitExceeded", "Maximum policy size of 2048 bytes exceeded for user dan")
	if _, err := admin.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("g1"), PolicyName: aws.String("big"), PolicyDocument: aws.String(big)}); err != nil {
		t.Errorf("a 2 KB policy fits a group's 5 KB quota: %v", err)
	}
}

func make100(c byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = c
	}
	return b
}

func TestAWSManagedPolicies(t *testing.T) {
	s := start(t)
	ctx := t.Context()
	admin := iamClient(s, keyCreds(s.AdminKey()))

	tests := []struct {
		arn, version string
		allowed      []string // actions on "*" the document allows
		denied       []string
	}{
		{adminARN, "v1", []string{"iam:CreateUser", "s3:PutObject", "ec2:RunInstances"}, nil},
		{powerUserARN, "v12", []string{"s3:PutObject", "ec2:RunInstances", "iam:ListRoles", "iam:CreateServiceLinkedRole"},
			[]string{"iam:CreateUser", "iam:ListUsers", "organizations:CreateAccount"}},
		{readOnlyARN, "v1", []string{"s3:ListAllMyBuckets", "s3:GetObject", "ec2:DescribeRegions", "iam:GetUser", "iam:ListUsers", "iam:SimulatePrincipalPolicy"},
			[]string{"s3:PutObject", "s3:DeleteBucket", "ec2:RunInstances", "iam:CreateUser", "iam:PutUserPolicy", "kms:Decrypt", "secretsmanager:GetSecretValue", "sts:AssumeRole"}},
		{changePwARN, "v3", []string{"iam:GetAccountPasswordPolicy"}, []string{"iam:ListUsers"}},
	}
	for _, tt := range tests {
		t.Run(tt.arn, func(t *testing.T) {
			p, err := admin.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(tt.arn)})
			if err != nil {
				t.Fatal(err)
			}
			if *p.Policy.Arn != tt.arn || *p.Policy.DefaultVersionId != tt.version || !p.Policy.IsAttachable || *p.Policy.Path != "/" {
				t.Errorf("GetPolicy: %+v", p.Policy)
			}
			v, err := admin.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(tt.arn), VersionId: p.Policy.DefaultVersionId})
			if err != nil {
				t.Fatal(err)
			}
			doc, err := url.QueryUnescape(*v.PolicyVersion.Document)
			if err != nil || doc == "" || !v.PolicyVersion.IsDefaultVersion {
				t.Fatalf("GetPolicyVersion: %q %v", *v.PolicyVersion.Document, err)
			}
			_, err = admin.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(tt.arn), VersionId: aws.String("v99")})
			wantAPIError(t, err, "NoSuchEntity", "")

			// Attached to a role, the document decides (checked by simulation).
			name := "r" + *p.Policy.PolicyId
			trust := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}}`
			if _, err := s.CreateRole(name, trust, 0); err != nil {
				t.Fatal(err)
			}
			if _, err := admin.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(tt.arn)}); err != nil {
				t.Fatal(err)
			}
			sim, err := admin.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
				PolicySourceArn: aws.String("arn:aws:iam::123456789012:role/" + name),
				ActionNames:     append(append([]string{}, tt.allowed...), tt.denied...),
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range sim.EvaluationResults {
				want := iamtypes.PolicyEvaluationDecisionTypeImplicitDeny
				if slices.Contains(tt.allowed, *r.EvalActionName) {
					want = iamtypes.PolicyEvaluationDecisionTypeAllowed
					if len(r.MatchedStatements) == 0 || *r.MatchedStatements[0].SourcePolicyId != tt.arn || r.MatchedStatements[0].SourcePolicyType != "aws-managed" {
						t.Errorf("%s: matched %+v", *r.EvalActionName, r.MatchedStatements)
					}
				}
				if r.EvalDecision != want {
					t.Errorf("%s: %s, want %s", *r.EvalActionName, r.EvalDecision, want)
				}
			}
			after, err := admin.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(tt.arn)})
			if err != nil || *after.Policy.AttachmentCount != 1 {
				t.Errorf("AttachmentCount after one attachment: %v %v", after.Policy.AttachmentCount, err)
			}
			_, err = admin.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(tt.arn)})
			wantAPIError(t, err, "AccessDenied", "")
		})
	}

	_, err := admin.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuchPolicy")})
	wantAPIError(t, err, "NoSuchEntity", "Policy arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable.")
	local, err := admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("mine"), PolicyDocument: aws.String(allowAll)})
	if err != nil {
		t.Fatal(err)
	}
	scopes := []struct {
		scope iamtypes.PolicyScopeType
		only  bool
		want  []string
	}{
		{iamtypes.PolicyScopeTypeAws, false, []string{adminARN, changePwARN, powerUserARN, readOnlyARN}},
		{iamtypes.PolicyScopeTypeLocal, false, []string{*local.Policy.Arn}},
		{iamtypes.PolicyScopeTypeAll, false, []string{adminARN, changePwARN, powerUserARN, readOnlyARN, *local.Policy.Arn}},
		{iamtypes.PolicyScopeTypeAll, true, []string{adminARN, changePwARN, powerUserARN, readOnlyARN}},
		{"", false, []string{adminARN, changePwARN, powerUserARN, readOnlyARN, *local.Policy.Arn}},
	}
	for _, sc := range scopes {
		out, err := admin.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: sc.scope, OnlyAttached: sc.only})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range out.Policies {
			got = append(got, *p.Arn)
		}
		if !slices.Equal(got, sc.want) {
			t.Errorf("ListPolicies(%q, attached %v) = %q, want %q", sc.scope, sc.only, got, sc.want)
		}
	}
}

// TestEnableMFADeviceCodes checks which code pairs EnableMFADevice accepts:
// two consecutive codes up to ten minutes late (IAM-FACTS.md: late codes
// still associate the device), nothing older, nothing non-consecutive.
func TestEnableMFADeviceCodes(t *testing.T) {
	// Start one second into a 30 s step so that the step cannot change
	// during the test on a loaded machine.
	clock := awsemu.NewClock(time.Date(2026, 3, 1, 12, 0, 1, 0, time.UTC))
	s, err := awsemu.Start(t.Context(), awsemu.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := t.Context()
	admin := iamClient(s, keyCreds(s.AdminKey()))
	tests := []struct {
		name           string
		first, second  int64 // steps relative to now
		sameCodeTwice  bool
		wantAssociated bool
	}{
		{"current pair", -1, 0, false, true},
		{"pair ending in the next step", 0, 1, false, true},
		{"five minutes late", -10, -9, false, true},
		{"ten minutes late", -20, -19, false, true},
		{"ten and a half minutes late", -21, -20, false, false},
		{"reversed", 0, -1, false, false},
		{"a step apart", -3, -1, false, false},
		{"same code twice", 0, 0, true, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "u" + strconv.Itoa(i)
			if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
				t.Fatal(err)
			}
			dev, err := admin.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(name)})
			if err != nil {
				t.Fatal(err)
			}
			seed, err := totp.DecodeSeed(string(dev.VirtualMFADevice.Base32StringSeed))
			if err != nil {
				t.Fatal(err)
			}
			cur := totp.Step(s.Clock().Now())
			_, err = admin.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String(name), SerialNumber: dev.VirtualMFADevice.SerialNumber,
				AuthenticationCode1: aws.String(totp.CodeAt(seed, cur+tt.first)), AuthenticationCode2: aws.String(totp.CodeAt(seed, cur+tt.second))})
			if !tt.wantAssociated {
				wantAPIError(t, err, "InvalidAuthenticationCode", "Authentication code for device is not valid.")
				return
			}
			if err != nil {
				t.Fatalf("EnableMFADevice: %v", err)
			}
			// The device works for MFA at once with a fresh code, and the
			// codes of the enabling pair are used up.
			if tt.second < 0 {
				mfa := awsemu.MFADevice{Serial: *dev.VirtualMFADevice.SerialNumber, Seed: seed}
				k, err := s.CreateAccessKey(name)
				if err != nil {
					t.Fatal(err)
				}
				if err := s.PutUserPolicy(name, "p", allowAll); err != nil {
					t.Fatal(err)
				}
				mfaSession(t, s, keyCreds(k), mfa, 900)
			}
		})
	}
}

func TestResyncMFADevice(t *testing.T) {
	clock := awsemu.NewClock(time.Date(2026, 3, 1, 12, 0, 1, 0, time.UTC))
	s, err := awsemu.Start(t.Context(), awsemu.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := t.Context()
	alice, d := userWithMFA(t, s, "alice", "")
	_, other := userWithMFA(t, s, "bob", "")
	self := iamClient(s, alice)
	_, err = self.ResyncMFADevice(ctx, &iam.ResyncMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(d.Serial),
		AuthenticationCode1: aws.String("123456"), AuthenticationCode2: aws.String("654321")})
	wantAPIError(t, err, "AccessDenied", "")

	// AWS's self-manage policy lets a user resync its own device.
	if err := s.PutUserPolicy("alice", "self", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:ResyncMFADevice","Resource":"arn:aws:iam::*:user/${aws:username}"}}`); err != nil {
		t.Fatal(err)
	}
	cur := totp.Step(s.Clock().Now())
	_, err = self.ResyncMFADevice(ctx, &iam.ResyncMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(other.Serial),
		AuthenticationCode1: aws.String(totp.CodeAt(other.Seed, cur)), AuthenticationCode2: aws.String(totp.CodeAt(other.Seed, cur+1))})
	wantAPIError(t, err, "NoSuchEntity", "MFA Device with serial number "+other.Serial+" does not exist.")
	_, err = self.ResyncMFADevice(ctx, &iam.ResyncMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(d.Serial),
		AuthenticationCode1: aws.String(totp.CodeAt(d.Seed, cur+2)), AuthenticationCode2: aws.String(totp.CodeAt(d.Seed, cur+4))})
	wantAPIError(t, err, "InvalidAuthenticationCode", "Authentication code for device is not valid.")
	// A device running three steps ahead resyncs; the current code still works.
	if _, err := self.ResyncMFADevice(ctx, &iam.ResyncMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(d.Serial),
		AuthenticationCode1: aws.String(totp.CodeAt(d.Seed, cur+3)), AuthenticationCode2: aws.String(totp.CodeAt(d.Seed, cur+4))}); err != nil {
		t.Fatalf("ResyncMFADevice: %v", err)
	}
	if err := s.PutUserPolicy("alice", "self", allowAll); err != nil {
		t.Fatal(err)
	}
	mfaSession(t, s, alice, d, 900)
	// A pair already behind the last accepted code is refused.
	_, err = self.ResyncMFADevice(ctx, &iam.ResyncMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(d.Serial),
		AuthenticationCode1: aws.String(totp.CodeAt(d.Seed, cur-2)), AuthenticationCode2: aws.String(totp.CodeAt(d.Seed, cur-1))})
	wantAPIError(t, err, "InvalidAuthenticationCode", "")

	virt, err := iamClient(s, keyCreds(s.AdminKey())).ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{AssignmentStatus: iamtypes.AssignmentStatusTypeAssigned})
	if err != nil || len(virt.VirtualMFADevices) != 2 || *virt.VirtualMFADevices[0].User.UserName != "alice" {
		t.Fatalf("ListVirtualMFADevices: %+v %v", virt, err)
	}
}
