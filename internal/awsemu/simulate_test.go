package awsemu_test

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// TestSimulatePrincipalPolicySources checks what audit relies on: a user's
// simulation includes its groups' inline and attached policies, each
// matched statement names its policy and the policy's source type, the MFA
// context entries decide MFA-conditioned statements, and keys the policies
// test but the call did not give are reported missing.
func TestSimulatePrincipalPolicySources(t *testing.T) {
	s := start(t)
	ctx := t.Context()
	admin := iamClient(s, keyCreds(s.AdminKey()))
	bareUser(t, s, "carol")
	const carol = "arn:aws:iam::123456789012:user/carol"
	// Seed 003's shape: permissions through a group, MFA required by a
	// managed deny attached to the user.
	if _, err := admin.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("ops")}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("ops"), UserName: aws.String("carol")}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("ops"), PolicyName: aws.String("ec2"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"*"}}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("ops"), PolicyArn: aws.String(readOnlyARN)}); err != nil {
		t.Fatal(err)
	}
	deny, err := admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("deny-without-mfa"), PolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":{"Sid":"DenyAllExceptListedIfNoMFA","Effect":"Deny","NotAction":["iam:GetUser","sts:GetSessionToken"],"Resource":"*",` +
			`"Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("carol"), PolicyArn: deny.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutUserPolicy("carol", "own-keys", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*AccessKey*",`+
		`"Resource":"arn:aws:iam::*:user/${aws:username}","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}}}`); err != nil {
		t.Fatal(err)
	}

	type want struct {
		decision iamtypes.PolicyEvaluationDecisionType
		id, typ  string
		missing  []string
	}
	mfa := func(present, age string) []iamtypes.ContextEntry {
		e := []iamtypes.ContextEntry{{ContextKeyName: aws.String("aws:MultiFactorAuthPresent"), ContextKeyValues: []string{present}, ContextKeyType: iamtypes.ContextKeyTypeEnumBoolean}}
		if age != "" {
			e = append(e, iamtypes.ContextEntry{ContextKeyName: aws.String("aws:MultiFactorAuthAge"), ContextKeyValues: []string{age}, ContextKeyType: iamtypes.ContextKeyTypeEnumNumeric})
		}
		return e
	}
	tests := []struct {
		name     string
		source   string
		action   string
		resource string
		context  []iamtypes.ContextEntry
		want     want
	}{
		{"key alone: group allow denied by the managed deny", carol, "ec2:RunInstances", "", nil,
			want{iamtypes.PolicyEvaluationDecisionTypeExplicitDeny, *deny.Policy.Arn, "user-managed", []string{"aws:MultiFactorAuthPresent"}}},
		{"no-MFA context", carol, "s3:ListAllMyBuckets", "", mfa("false", ""),
			want{iamtypes.PolicyEvaluationDecisionTypeExplicitDeny, *deny.Policy.Arn, "user-managed", nil}},
		{"MFA: group inline allows", carol, "ec2:RunInstances", "", mfa("true", "60"),
			want{iamtypes.PolicyEvaluationDecisionTypeAllowed, "ec2", "group", nil}},
		{"MFA: AWS managed allows", carol, "s3:ListAllMyBuckets", "", mfa("true", "60"),
			want{iamtypes.PolicyEvaluationDecisionTypeAllowed, readOnlyARN, "aws-managed", nil}},
		{"MFA: nothing allows", carol, "iam:CreateUser", "", mfa("true", "60"),
			want{iamtypes.PolicyEvaluationDecisionTypeImplicitDeny, "", "", nil}},
		{"MFA: own key, ${aws:username} resolved to the source user", carol, "iam:CreateAccessKey", carol, mfa("true", "60"),
			want{iamtypes.PolicyEvaluationDecisionTypeAllowed, "own-keys", "user", nil}},
		{"MFA: another user's key", carol, "iam:CreateAccessKey", "arn:aws:iam::123456789012:user/admin", mfa("true", "60"),
			want{iamtypes.PolicyEvaluationDecisionTypeImplicitDeny, "", "", nil}},
		{"MFA too old for the user policy", carol, "iam:CreateAccessKey", carol, mfa("true", "7200"),
			want{iamtypes.PolicyEvaluationDecisionTypeImplicitDeny, "", "", nil}},
		{"MFA present, age missing", carol, "iam:CreateAccessKey", carol, mfa("true", ""),
			want{iamtypes.PolicyEvaluationDecisionTypeImplicitDeny, "", "", []string{"aws:MultiFactorAuthAge"}}},
		{"group as the source", "arn:aws:iam::123456789012:group/ops", "ec2:RunInstances", "", nil,
			want{iamtypes.PolicyEvaluationDecisionTypeAllowed, "ec2", "group", nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(tt.source), ActionNames: []string{tt.action}, ContextEntries: tt.context}
			if tt.resource != "" {
				in.ResourceArns = []string{tt.resource}
			}
			out, err := admin.SimulatePrincipalPolicy(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if len(out.EvaluationResults) != 1 {
				t.Fatalf("%d results", len(out.EvaluationResults))
			}
			r := out.EvaluationResults[0]
			if r.EvalDecision != tt.want.decision {
				t.Errorf("decision %s, want %s", r.EvalDecision, tt.want.decision)
			}
			if tt.want.id == "" && len(r.MatchedStatements) != 0 {
				t.Errorf("matched %+v, want none", r.MatchedStatements)
			}
			if tt.want.id != "" && (len(r.MatchedStatements) != 1 || *r.MatchedStatements[0].SourcePolicyId != tt.want.id ||
				string(r.MatchedStatements[0].SourcePolicyType) != tt.want.typ) {
				t.Errorf("matched %+v, want %s (%s)", r.MatchedStatements, tt.want.id, tt.want.typ)
			}
			if !slices.Equal(r.MissingContextValues, tt.want.missing) && !(len(r.MissingContextValues) == 0 && len(tt.want.missing) == 0) {
				t.Errorf("missing %q, want %q", r.MissingContextValues, tt.want.missing)
			}
		})
	}
	_, err = admin.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::123456789012:group/none"), ActionNames: []string{"s3:GetObject"}})
	wantAPIError(t, err, "NoSuchEntity", "")
}
