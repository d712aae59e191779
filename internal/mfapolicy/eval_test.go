package mfapolicy

import (
	"testing"

	"github.com/awsmfa/awsmfa/internal/awsemu/policy"
)

// The promised allow/deny table: the JSON documents, evaluated by the
// emulator's IAM policy evaluator (the one awsemu enforces), give what the
// lock promises, for a long-term key alone (no MFA keys in the request, as
// AWS sends them) and for MFA credentials.

const (
	aliceARN = "arn:aws:iam::123456789012:user/alice"
	bobARN   = "arn:aws:iam::123456789012:user/bob"
	aliceRes = "arn:aws:iam::123456789012:user/alice"
	bobRes   = "arn:aws:iam::123456789012:user/bob"
	roleARN  = "arn:aws:iam::123456789012:role/awsmfa-role"
	otherARN = "arn:aws:iam::123456789012:role/other"
)

// keyAlone is the request context of a long-term access key: AWS adds no
// aws:MultiFactorAuthPresent or aws:MultiFactorAuthAge.
func keyAlone(user string) map[string][]string {
	return map[string][]string{"aws:username": {user}}
}

// withMFA is the context of credentials from GetSessionToken with a code,
// age seconds ago.
func withMFA(user, age string) map[string][]string {
	return map[string][]string{
		"aws:username":               {user},
		"aws:MultiFactorAuthPresent": {"true"},
		"aws:MultiFactorAuthAge":     {age},
	}
}

func parseIdentity(t *testing.T, docs ...*Document) []*policy.Document {
	t.Helper()
	var out []*policy.Document
	for _, d := range docs {
		s, err := d.Compact()
		if err != nil {
			t.Fatal(err)
		}
		p, err := policy.ParseIdentity(s)
		if err != nil {
			t.Fatalf("the emulator refuses %s: %v", s, err)
		}
		out = append(out, p)
	}
	return out
}

func mustDoc(t *testing.T, s string) *Document {
	t.Helper()
	d, err := Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

type row struct {
	action, resource string
	keyAlone, mfa    policy.Decision
}

func checkTable(t *testing.T, docs []*policy.Document, rows []row) {
	t.Helper()
	for _, r := range rows {
		for _, c := range []struct {
			name string
			ctx  map[string][]string
			want policy.Decision
		}{
			{"key alone", keyAlone("alice"), r.keyAlone},
			{"with MFA", withMFA("alice", "60"), r.mfa},
		} {
			got := policy.EvaluateIdentity(docs, policy.Request{
				Principal: aliceARN, Action: r.action, Resource: r.resource, Context: c.ctx,
			})
			if got.Decision != c.want {
				t.Errorf("%s %s on %s: %v, want %v (matched %+v)", c.name, r.action, r.resource, got.Decision, c.want, got.Matched)
			}
		}
	}
}

const (
	allowed  = policy.Allowed
	implicit = policy.ImplicitDeny
	explicit = policy.ExplicitDeny
)

// TestUserPolicyTable: the role strategy's user policy alone.
func TestUserPolicyTable(t *testing.T) {
	d, err := UserPolicy(alice)
	if err != nil {
		t.Fatal(err)
	}
	checkTable(t, parseIdentity(t, d), []row{
		// What the key alone may do: get an MFA session, ask who it is,
		// and enroll and manage its own device (AWS's self-manage example).
		{"sts:GetSessionToken", "*", allowed, allowed},
		{"sts:GetCallerIdentity", "*", allowed, allowed},
		// Unlike AWS's example, listing the account's users and virtual
		// devices needs MFA: the API enrollment does not use them.
		{"iam:ListUsers", "*", explicit, allowed},
		{"iam:ListVirtualMFADevices", "*", explicit, allowed},
		{"iam:CreateVirtualMFADevice", "arn:aws:iam::123456789012:mfa/alice", allowed, allowed},
		{"iam:EnableMFADevice", aliceRes, allowed, allowed},
		{"iam:GetMFADevice", aliceRes, allowed, allowed},
		{"iam:ListMFADevices", aliceRes, allowed, allowed},
		{"iam:ResyncMFADevice", aliceRes, allowed, allowed},
		// Only its own device.
		{"iam:EnableMFADevice", bobRes, implicit, implicit},
		{"iam:ListMFADevices", bobRes, implicit, implicit},
		// Deactivating a device needs MFA.
		{"iam:DeactivateMFADevice", aliceRes, explicit, allowed},
		// The role, only with MFA, and only awsmfa's.
		{"sts:AssumeRole", roleARN, explicit, allowed},
		{"sts:AssumeRole", otherARN, explicit, implicit},
		// Its own access keys, only with MFA (for rotate).
		{"iam:CreateAccessKey", aliceRes, explicit, allowed},
		{"iam:DeleteAccessKey", aliceRes, explicit, allowed},
		{"iam:UpdateAccessKey", aliceRes, explicit, allowed},
		{"iam:ListAccessKeys", aliceRes, explicit, allowed},
		{"iam:GetAccessKeyLastUsed", aliceRes, explicit, allowed},
		{"iam:CreateAccessKey", bobRes, explicit, implicit},
		// Nothing else, with or without MFA: the work is done as the role.
		{"s3:ListAllMyBuckets", "*", explicit, implicit},
		{"ec2:DescribeRegions", "*", explicit, implicit},
		{"iam:CreateUser", bobRes, explicit, implicit},
		{"iam:AttachUserPolicy", aliceRes, explicit, implicit},
		{"iam:DeleteVirtualMFADevice", "arn:aws:iam::123456789012:mfa/alice", explicit, implicit},
	})
}

// TestUserPolicyCoversGroups: permissions the user keeps through a group
// (which setup cannot remove without affecting others) are denied to the key
// alone by the user policy's deny.
func TestUserPolicyCoversGroups(t *testing.T) {
	d, err := UserPolicy(alice)
	if err != nil {
		t.Fatal(err)
	}
	admin := mustDoc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	checkTable(t, parseIdentity(t, d, admin), []row{
		{"s3:ListAllMyBuckets", "*", explicit, allowed},
		{"iam:CreateUser", bobRes, explicit, allowed},
		{"sts:AssumeRole", otherARN, explicit, allowed},
		{"sts:GetSessionToken", "*", allowed, allowed},
		{"iam:EnableMFADevice", aliceRes, allowed, allowed},
		{"iam:ListUsers", "*", explicit, allowed},
	})
}

// TestDenyWithoutMFATable: the session strategy's deny next to the
// permissions the user keeps (here an administrator's).
func TestDenyWithoutMFATable(t *testing.T) {
	admin := mustDoc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	checkTable(t, parseIdentity(t, DenyWithoutMFA(), admin), []row{
		{"sts:GetSessionToken", "*", allowed, allowed},
		{"sts:GetCallerIdentity", "*", allowed, allowed},
		{"iam:ListUsers", "*", explicit, allowed},
		{"iam:ListVirtualMFADevices", "*", explicit, allowed},
		{"iam:ListMFADevices", aliceRes, allowed, allowed},
		{"iam:CreateVirtualMFADevice", "arn:aws:iam::123456789012:mfa/alice", allowed, allowed},
		{"iam:EnableMFADevice", aliceRes, allowed, allowed},
		{"iam:ResyncMFADevice", aliceRes, allowed, allowed},
		{"s3:ListAllMyBuckets", "*", explicit, allowed},
		{"ec2:DescribeRegions", "*", explicit, allowed},
		{"ec2:RunInstances", "*", explicit, allowed},
		{"sts:AssumeRole", roleARN, explicit, allowed},
		{"iam:CreateAccessKey", aliceRes, explicit, allowed},
		{"iam:DeactivateMFADevice", aliceRes, explicit, allowed},
		{"iam:DetachUserPolicy", aliceRes, explicit, allowed},
	})
	// Alone it grants nothing: the user's own permissions do.
	checkTable(t, parseIdentity(t, DenyWithoutMFA()), []row{
		{"sts:GetSessionToken", "*", implicit, implicit},
		{"s3:ListAllMyBuckets", "*", explicit, implicit},
	})
}

// TestTrustPolicyTable: only the user, only with MFA, only within the MFA
// age limit may assume the role.
func TestTrustPolicyTable(t *testing.T) {
	d, err := TrustPolicy(alice)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := d.Compact()
	doc, err := policy.ParseTrust(s)
	if err != nil {
		t.Fatalf("the emulator refuses the trust policy: %v", err)
	}
	tests := []struct {
		name      string
		principal string
		ctx       map[string][]string
		want      policy.Decision
	}{
		{"key alone", aliceARN, keyAlone("alice"), implicit},
		{"MFA a minute ago", aliceARN, withMFA("alice", "60"), allowed},
		{"MFA just within the limit", aliceARN, withMFA("alice", "28799"), allowed},
		{"MFA at the limit", aliceARN, withMFA("alice", "28800"), implicit},
		{"MFA present false", aliceARN, map[string][]string{"aws:MultiFactorAuthPresent": {"false"}}, implicit},
		{"another user with MFA", bobARN, withMFA("bob", "60"), implicit},
		{"another role with MFA", "arn:aws:sts::123456789012:assumed-role/other/s", withMFA("", "60"), implicit},
		{"the account root with MFA", "arn:aws:iam::123456789012:root", withMFA("", "60"), implicit},
	}
	for _, tc := range tests {
		got := policy.EvaluateTrust(doc, policy.Request{Principal: tc.principal, Action: "sts:AssumeRole", Context: tc.ctx})
		if got.Decision != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got.Decision, tc.want)
		}
	}
	// Another action on the role is not granted.
	got := policy.EvaluateTrust(doc, policy.Request{Principal: aliceARN, Action: "sts:TagSession", Context: withMFA("alice", "60")})
	if got.Decision != implicit {
		t.Errorf("sts:TagSession: %v, want implicit deny", got.Decision)
	}
}
