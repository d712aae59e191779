package policy

import (
	"reflect"
	"testing"
)

// selfManageMFA is AWS's documented self-manage-MFA policy
// (reference_policies_examples_iam_mfa-selfmanage.html), the shape setup's
// user policy follows.
const selfManageMFA = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "AllowListActions", "Effect": "Allow",
     "Action": ["iam:ListUsers", "iam:ListVirtualMFADevices"], "Resource": "*"},
    {"Sid": "AllowUserToCreateVirtualMFADevice", "Effect": "Allow",
     "Action": ["iam:CreateVirtualMFADevice"], "Resource": "arn:aws:iam::*:mfa/*"},
    {"Sid": "AllowUserToManageTheirOwnMFA", "Effect": "Allow",
     "Action": ["iam:EnableMFADevice", "iam:GetMFADevice", "iam:ListMFADevices", "iam:ResyncMFADevice"],
     "Resource": "arn:aws:iam::*:user/${aws:username}"},
    {"Sid": "AllowUserToDeactivateTheirOwnMFAOnlyWhenUsingMFA", "Effect": "Allow",
     "Action": ["iam:DeactivateMFADevice"], "Resource": ["arn:aws:iam::*:user/${aws:username}"],
     "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}},
    {"Sid": "AllowOwnKeysWithMFA", "Effect": "Allow",
     "Action": ["iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:ListAccessKeys", "iam:UpdateAccessKey"],
     "Resource": "arn:aws:iam::*:user/${aws:username}",
     "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}},
    {"Sid": "AllowAssumeRoleWithFreshMFA", "Effect": "Allow", "Action": "sts:AssumeRole",
     "Resource": "arn:aws:iam::123456789012:role/awsmfa-*",
     "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}, "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}},
    {"Sid": "BlockMostAccessUnlessSignedInWithMFA", "Effect": "Deny",
     "NotAction": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:ListMFADevices", "iam:ListUsers",
                   "iam:ListVirtualMFADevices", "iam:ResyncMFADevice", "sts:GetSessionToken", "sts:GetCallerIdentity"],
     "Resource": "*",
     "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
  ]
}`

// denyAllExceptListedIfNoMFA is the deny statement of AWS's
// my-sec-creds-self-manage example, attached next to broad permissions
// (setup's session strategy), plus an Allow * * standing for those.
const denyAllExceptListedIfNoMFA = `{
  "Version": "2012-10-17",
  "Statement": {"Sid": "DenyAllExceptListedIfNoMFA", "Effect": "Deny",
    "NotAction": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:GetUser", "iam:ListMFADevices",
                  "iam:ListVirtualMFADevices", "iam:ResyncMFADevice", "sts:GetSessionToken"],
    "Resource": "*",
    "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
}`

// TestGeneratedPolicyShapes evaluates the policies setup generates over the
// contexts a caller can be in: a bare long-term key (no MFA keys at all), a
// session made without MFA ("false"), and MFA sessions of different ages.
func TestGeneratedPolicyShapes(t *testing.T) {
	const (
		self  = "arn:aws:iam::123456789012:user/alice"
		other = "arn:aws:iam::123456789012:user/bob"
		role  = "arn:aws:iam::123456789012:role/awsmfa-admin"
	)
	base := map[string][]string{"aws:username": {"alice"}, "aws:userid": {"AIDAALICE"}}
	with := func(kv ...string) map[string][]string {
		m := map[string][]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = []string{kv[i+1]}
		}
		return m
	}
	bareKey := with()
	noMFA := with("aws:MultiFactorAuthPresent", "false")
	fresh := with("aws:MultiFactorAuthPresent", "true", "aws:MultiFactorAuthAge", "60")
	stale := with("aws:MultiFactorAuthPresent", "true", "aws:MultiFactorAuthAge", "3600")
	allowAll := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`

	user := []*Document{mustParse(t, selfManageMFA)}
	session := []*Document{mustParse(t, allowAll), mustParse(t, denyAllExceptListedIfNoMFA)}
	byUserID := []*Document{mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:userid}/*"}}`)}
	tests := []struct {
		name     string
		docs     []*Document
		action   string
		resource string
		ctx      map[string][]string
		want     Decision
	}{
		{"key lists users", user, "iam:ListUsers", "*", bareKey, Allowed},
		{"key creates a device", user, "iam:CreateVirtualMFADevice", "arn:aws:iam::123456789012:mfa/alice", bareKey, Allowed},
		{"key enables own device", user, "iam:EnableMFADevice", self, bareKey, Allowed},
		{"key resyncs own device", user, "iam:ResyncMFADevice", self, bareKey, Allowed},
		{"key cannot enable another's device", user, "iam:EnableMFADevice", other, bareKey, ImplicitDeny},
		{"key cannot deactivate", user, "iam:DeactivateMFADevice", self, bareKey, ExplicitDeny},
		{"key cannot create keys", user, "iam:CreateAccessKey", self, bareKey, ExplicitDeny},
		{"key cannot assume the role", user, "sts:AssumeRole", role, bareKey, ExplicitDeny},
		{"key cannot read s3", user, "s3:ListAllMyBuckets", "*", bareKey, ExplicitDeny},
		{"key gets a session token", user, "sts:GetSessionToken", "*", bareKey, ImplicitDeny},
		{"no-MFA session cannot deactivate", user, "iam:DeactivateMFADevice", self, noMFA, ExplicitDeny},
		{"no-MFA session cannot assume", user, "sts:AssumeRole", role, noMFA, ExplicitDeny},
		{"MFA session deactivates", user, "iam:DeactivateMFADevice", self, fresh, Allowed},
		{"MFA session manages own keys", user, "iam:CreateAccessKey", self, fresh, Allowed},
		{"MFA session not another's keys", user, "iam:CreateAccessKey", other, fresh, ImplicitDeny},
		{"fresh MFA assumes", user, "sts:AssumeRole", role, fresh, Allowed},
		{"stale MFA does not assume", user, "sts:AssumeRole", role, stale, ImplicitDeny},
		{"MFA session other role", user, "sts:AssumeRole", "arn:aws:iam::123456789012:role/other", fresh, ImplicitDeny},
		{"MFA session still not s3", user, "s3:ListAllMyBuckets", "*", fresh, ImplicitDeny},

		{"session strategy: key denied s3", session, "s3:ListAllMyBuckets", "*", bareKey, ExplicitDeny},
		{"session strategy: key denied ec2", session, "ec2:DescribeRegions", "*", bareKey, ExplicitDeny},
		{"session strategy: key gets own user", session, "iam:GetUser", self, bareKey, Allowed},
		{"session strategy: key gets a token", session, "sts:GetSessionToken", "*", bareKey, Allowed},
		{"session strategy: no-MFA session denied", session, "s3:ListAllMyBuckets", "*", noMFA, ExplicitDeny},
		{"session strategy: MFA session allowed", session, "s3:ListAllMyBuckets", "*", fresh, Allowed},
		{"session strategy: case-insensitive action", session, "S3:listallmybuckets", "*", bareKey, ExplicitDeny},

		{"${aws:userid} names the caller's prefix", byUserID, "s3:GetObject", "arn:aws:s3:::home/AIDAALICE/notes", fresh, Allowed},
		{"${aws:userid} not another's", byUserID, "s3:GetObject", "arn:aws:s3:::home/AIDABOB/notes", fresh, ImplicitDeny},
		{"${aws:userid} absent: statement void", byUserID, "s3:GetObject", "arn:aws:s3:::home/AIDAALICE/notes",
			map[string][]string{"aws:username": {"alice"}}, ImplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EvaluateIdentity(tt.docs, Request{Principal: self, Action: tt.action, Resource: tt.resource, Context: tt.ctx})
			if got.Decision != tt.want {
				t.Errorf("%s on %s: %v, want %v (matched %+v)", tt.action, tt.resource, got.Decision, tt.want, got.Matched)
			}
		})
	}
}

// TestGeneratedTrustShapes covers setup's role trust policy (the user's own
// ARN, Bool and NumericLessThan) against an account-root trust and the
// classic BoolIfExists mistake that lets a bare key through.
func TestGeneratedTrustShapes(t *testing.T) {
	const (
		alice = "arn:aws:iam::123456789012:user/alice"
		bob   = "arn:aws:iam::123456789012:user/bob"
	)
	userTrust := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+alice+`"},"Action":"sts:AssumeRole",
	  "Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"NumericLessThan":{"aws:MultiFactorAuthAge":"43200"}}}]}`)
	rootTrust := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole",
	  "Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`)
	mistake := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+alice+`"},"Action":"sts:AssumeRole",
	  "Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}}]}`)
	mfa := func(age string) map[string][]string {
		return map[string][]string{"aws:MultiFactorAuthPresent": {"true"}, "aws:MultiFactorAuthAge": {age}}
	}
	tests := []struct {
		name        string
		doc         *Document
		caller      string
		ctx         map[string][]string
		want        Decision
		wantAccount bool
	}{
		{"user trust, bare key", userTrust, alice, nil, ImplicitDeny, false},
		{"user trust, no-MFA session", userTrust, alice, map[string][]string{"aws:MultiFactorAuthPresent": {"false"}}, ImplicitDeny, false},
		{"user trust, fresh MFA", userTrust, alice, mfa("10"), Allowed, false},
		{"user trust, MFA at the limit", userTrust, alice, mfa("43200"), ImplicitDeny, false},
		{"user trust, another user", userTrust, bob, mfa("10"), ImplicitDeny, false},
		{"root trust, any user with MFA", rootTrust, bob, mfa("10"), Allowed, true},
		{"root trust, bare key", rootTrust, bob, nil, ImplicitDeny, false},
		{"BoolIfExists lets a bare key through", mistake, alice, nil, Allowed, false},
		{"BoolIfExists still refuses a no-MFA session", mistake, alice, map[string][]string{"aws:MultiFactorAuthPresent": {"false"}}, ImplicitDeny, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EvaluateTrust(tt.doc, Request{Principal: tt.caller, Action: "sts:AssumeRole", Resource: "arn:aws:iam::123456789012:role/r", Context: tt.ctx})
			if got.Decision != tt.want || got.ViaAccount != tt.wantAccount {
				t.Errorf("got %v (via account %v), want %v (%v)", got.Decision, got.ViaAccount, tt.want, tt.wantAccount)
			}
		})
	}
}

func TestEvaluateIdentityMissingKeys(t *testing.T) {
	doc := mustParse(t, `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Action":"iam:*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}},
	  {"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}},
	  {"Effect":"Deny","NotAction":"iam:ListUsers","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}`)
	tests := []struct {
		name   string
		action string
		ctx    map[string][]string
		want   []string
	}{
		{"all missing", "iam:ListUsers", nil, []string{"aws:MultiFactorAuthAge", "aws:MultiFactorAuthPresent"}},
		{"age missing", "iam:ListUsers", map[string][]string{"aws:multifactorauthpresent": {"true"}}, []string{"aws:MultiFactorAuthAge"}},
		{"none missing", "iam:ListUsers", map[string][]string{"aws:MultiFactorAuthPresent": {"true"}, "aws:MultiFactorAuthAge": {"5"}}, nil},
		{"only statements for the action count", "s3:GetObject", nil, []string{"aws:MultiFactorAuthPresent", "aws:RequestedRegion"}},
		{"unrelated action", "ec2:RunInstances", map[string][]string{"aws:MultiFactorAuthPresent": {"true"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EvaluateIdentity([]*Document{doc}, Request{Principal: "arn:aws:iam::123456789012:user/a", Action: tt.action, Resource: "*", Context: tt.ctx})
			if !reflect.DeepEqual(got.Missing, tt.want) {
				t.Errorf("Missing = %q, want %q", got.Missing, tt.want)
			}
		})
	}
}
