package awsemu_test

import (
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/awsmfa/awsmfa/internal/awsemu"
)

func TestReadOnly(t *testing.T) {
	tests := []struct {
		action string
		want   bool
	}{
		{"GetCallerIdentity", true},
		{"GetSessionToken", true},
		{"ListMFADevices", true},
		{"ListAttachedGroupPolicies", true},
		{"SimulatePrincipalPolicy", true},
		{"DescribeRegions", true},
		{"ListBuckets", true},
		{"GetAccessKeyLastUsed", true},
		{"", true},
		{"AssumeRole", false},
		{"CreateRole", false},
		{"PutUserPolicy", false},
		{"AttachGroupPolicy", false},
		{"EnableMFADevice", false},
		{"ResyncMFADevice", false},
		{"UpdateAssumeRolePolicy", false},
		{"RemoveUserFromGroup", false},
	}
	for _, tt := range tests {
		if got := awsemu.ReadOnly(tt.action); got != tt.want {
			t.Errorf("ReadOnly(%q) = %v, want %v", tt.action, got, tt.want)
		}
		if got := (awsemu.Call{Action: tt.action}).Mutating(); got == tt.want {
			t.Errorf("Call{%q}.Mutating() = %v", tt.action, got)
		}
	}
}

// TestFaultOnNthCall breaks exactly the second CreateRole with a
// non-retryable AccessDenied: the SDK's standard retryer gives up at once.
func TestFaultOnNthCall(t *testing.T) {
	s := start(t)
	ctx := t.Context()
	admin := iamClient(s, keyCreds(s.AdminKey()))
	trust := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}}`
	s.InjectFault("CreateRole", awsemu.Fault{Kind: awsemu.AccessDeniedFault, After: 1}, 1)
	create := func(name string) error {
		_, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
		return err
	}
	if err := create("one"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("one")}); err != nil {
		t.Fatal(err) // other actions do not consume the rule
	}
	wantAPIError(t, create("two"), "AccessDenied", "User: arn:aws:iam::123456789012:user/admin is not authorized to perform: iam:CreateRole with an explicit deny in an identity-based policy")
	if err := create("three"); err != nil {
		t.Fatal(err)
	}
	if got := s.Calls("CreateRole"); got != 3 {
		t.Errorf("CreateRole calls = %d, want 3 (no retry of the denial)", got)
	}
	var mutating []string
	for _, c := range s.MutatingCalls() {
		mutating = append(mutating, c.Action+":"+c.ErrorCode)
	}
	if len(mutating) != 3 || mutating[1] != "CreateRole:AccessDenied" {
		t.Errorf("mutating calls %q", mutating)
	}
	_, err := admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("two")})
	wantAPIError(t, err, "NoSuchEntity", "The role with name two cannot be found.")
}

func TestControlAPIGroupsPoliciesAndCalls(t *testing.T) {
	s := start(t)
	h := map[string]string{awsemu.ControlTokenHeader: s.ControlToken()}
	if status, u := control(t, s, "POST", "/_awsemu/users", `{"name":"erin"}`, h); status != 200 {
		t.Fatalf("create user: %d %v", status, u)
	}
	status, g := control(t, s, "POST", "/_awsemu/groups", `{"name":"ops","members":["erin"]}`, h)
	if status != 200 || g["arn"] != "arn:aws:iam::123456789012:group/ops" {
		t.Fatalf("create group: %d %v", status, g)
	}
	if status, _ := control(t, s, "POST", "/_awsemu/groups", `{"name":"ops"}`, h); status != http.StatusConflict {
		t.Errorf("duplicate group: %d", status)
	}
	if status, _ := control(t, s, "POST", "/_awsemu/groups", `{"name":"x","members":["nobody"]}`, h); status != http.StatusNotFound {
		t.Errorf("group with an unknown member: %d", status)
	}
	if status, m := control(t, s, "POST", "/_awsemu/policies", `{"kind":"group","name":"ops","policyName":"all","document":"{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}}"}`, h); status != 200 {
		t.Fatalf("group policy: %d %v", status, m)
	}
	status, p := control(t, s, "POST", "/_awsemu/managed-policies", `{"name":"mine","document":"{\"Statement\":{\"Effect\":\"Deny\",\"Action\":\"iam:DeleteUser\",\"Resource\":\"*\"}}"}`, h)
	if status != 200 || p["arn"] != "arn:aws:iam::123456789012:policy/mine" {
		t.Fatalf("managed policy: %d %v", status, p)
	}
	for _, body := range []string{
		`{"kind":"user","name":"erin","policyArn":"arn:aws:iam::123456789012:policy/mine"}`,
		`{"kind":"group","name":"ops","policyArn":"arn:aws:iam::aws:policy/ReadOnlyAccess"}`,
	} {
		if status, m := control(t, s, "POST", "/_awsemu/attachments", body, h); status != 200 {
			t.Fatalf("attach %s: %d %v", body, status, m)
		}
	}
	if status, _ := control(t, s, "POST", "/_awsemu/attachments", `{"kind":"role","name":"none","policyArn":"arn:aws:iam::aws:policy/ReadOnlyAccess"}`, h); status != http.StatusNotFound {
		t.Errorf("attach to a missing role: %d", status)
	}
	admin := iamClient(s, keyCreds(s.AdminKey()))
	out, err := admin.ListAttachedUserPolicies(t.Context(), &iam.ListAttachedUserPoliciesInput{UserName: aws.String("erin")})
	if err != nil || len(out.AttachedPolicies) != 1 || *out.AttachedPolicies[0].PolicyName != "mine" {
		t.Fatalf("ListAttachedUserPolicies: %+v %v", out, err)
	}
	if _, err := admin.PutRolePolicy(t.Context(), &iam.PutRolePolicyInput{RoleName: aws.String("none"), PolicyName: aws.String("p"), PolicyDocument: aws.String(allowAll)}); err == nil {
		t.Fatal("PutRolePolicy on a missing role succeeded")
	}
	if status, f := control(t, s, "POST", "/_awsemu/fault", `{"action":"GetUser","kind":"access-denied","after":2}`, h); status != 200 || f["after"] != float64(2) {
		t.Errorf("fault with after: %d %v", status, f)
	}
	status, calls := control(t, s, "GET", "/_awsemu/calls", "", h)
	if status != 200 || calls["mutatingCount"] != float64(1) || calls["count"] != float64(2) {
		t.Fatalf("calls: %d %v", status, calls)
	}
	list := calls["calls"].([]any)
	if first := list[0].(map[string]any); first["action"] != "ListAttachedUserPolicies" || first["mutating"] != false {
		t.Errorf("first call %v", first)
	}
	if second := list[1].(map[string]any); second["action"] != "PutRolePolicy" || second["mutating"] != true || second["errorCode"] != "NoSuchEntity" {
		t.Errorf("second call %v", second)
	}
}
