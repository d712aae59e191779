package mfapolicy

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/awsmfa/awsmfa/internal/awsemu/policy"
)

// Documents from the seed articles (shared/seeds), as the articles write
// them, and the classic mistakes.
const (
	// Seed 000 (cloudonaut): the user may assume a role only with MFA and
	// get temporary keys. The article's text lost the action lists; they
	// are restored from its prose ("using STS to get temporary AWS keys and
	// assuming an IAM role … only after the IAM user is multi-factor
	// authenticated").
	seed000User = `{"Version":"2012-10-17","Statement":[
		{"Sid":"1","Effect":"Allow","Action":["sts:AssumeRole"],"Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}},
		{"Sid":"2","Effect":"Allow","Action":["sts:GetSessionToken"],"Resource":"*"}]}`
	// Seed 001: the role's trust policy names the user, with an MFA age of
	// an hour (a number, as the article writes it).
	seed001Trust = `{"Version":"2012-10-17","Statement":{"Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::123456789012:user/joel"},"Action":"sts:AssumeRole",
		"Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"NumericLessThan":{"aws:MultiFactorAuthAge":3600}}}}`
	// Seed 001: the user may only assume the role (the trust decides MFA).
	seed001User = `{"Version":"2012-10-17","Statement":[{"Sid":"AllowAssumingRoles","Effect":"Allow",
		"Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/Role"}]}`
	// Seed 002, strategy 1: the console's "Require MFA" trust policy for
	// "another AWS account" (the user's own): the account root with Bool.
	seed002Trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::123456789101:root"},"Action":"sts:AssumeRole",
		"Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`
	seed002User = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",
		"Resource":"arn:aws:iam::123456789101:role/my-role"}]}`
	// Seed 002, strategy 2: everything, with MFA.
	seed002Session = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*",
		"Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`
	// Seed 003: one action, with MFA (attached through a group).
	seed003 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:DescribeRegions","Resource":"*",
		"Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`
	// Seed 004: a "local" role trusting the account root, with Bool.
	seed004Trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::111222333444:root"},"Action":"sts:AssumeRole",
		"Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`

	// The classic mistakes.
	trustBoolIfExists = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sts:AssumeRole",
		"Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}}]}`
	trustNoCondition = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	trustEveryone = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole",
		"Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`
	trustAgeOnly = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sts:AssumeRole",
		"Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"43200"}}}]}`
	trustAgeIfExists = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sts:AssumeRole",
		"Condition":{"NumericLessThanIfExists":{"aws:MultiFactorAuthAge":"43200"}}}]}`
	trustService = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	trustWildcardAction = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sts:*"}]}`

	allowAll          = `{"Version":"2012-10-17","Statement":[{"Sid":"Admin","Effect":"Allow","Action":"*","Resource":"*"}]}`
	allowS3           = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	allowBoolIfExists = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*",
		"Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}}]}`
	denyBoolFalse = `{"Version":"2012-10-17","Statement":[{"Sid":"DenyNoMFA","Effect":"Deny","NotAction":["sts:GetSessionToken"],"Resource":"*",
		"Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]}`
	denyNullTrue = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":["sts:GetSessionToken"],"Resource":"*",
		"Condition":{"Null":{"aws:MultiFactorAuthPresent":"true"}}}]}`
	denyOneRegion = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*",
		"Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"},"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}}]}`
	allowEC2WithoutMFA = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:DescribeRegions","ec2:TerminateInstances"],"Resource":"*"}]}`
)

type idSev struct {
	id  string
	sev Severity
}

func findingIDs(fs []Finding) []idSev {
	var out []idSev
	for _, f := range fs {
		out = append(out, idSev{f.ID, f.Severity})
	}
	return out
}

func TestCheckTrust(t *testing.T) {
	own, err := TrustPolicy(alice)
	if err != nil {
		t.Fatal(err)
	}
	ownJSON, _ := own.JSON()
	tests := []struct {
		name    string
		doc     string
		session time.Duration
		want    []idSev
	}{
		{"awsmfa's own", string(ownJSON), 0, []idSev{
			{FindingTrustRequiresMFA, SeverityOK}, {FindingTrustPrincipalUser, SeverityOK}, {FindingTrustMFAAgeOK, SeverityOK}}},
		{"awsmfa's own against a longer session", string(ownJSON), 12 * time.Hour, []idSev{
			{FindingTrustRequiresMFA, SeverityOK}, {FindingTrustPrincipalUser, SeverityOK}, {FindingTrustMFAAgeShort, SeverityWarning}}},
		{"seed 001: user, Bool, an hour", seed001Trust, 0, []idSev{
			{FindingTrustRequiresMFA, SeverityOK}, {FindingTrustPrincipalUser, SeverityOK}, {FindingTrustMFAAgeShort, SeverityWarning}}},
		{"seed 001 against a one-hour session", seed001Trust, time.Hour, []idSev{
			{FindingTrustRequiresMFA, SeverityOK}, {FindingTrustPrincipalUser, SeverityOK}, {FindingTrustMFAAgeOK, SeverityOK}}},
		{"seed 002: account root, Bool", seed002Trust, 0, []idSev{
			{FindingTrustRequiresMFA, SeverityOK}, {FindingTrustPrincipalAcct, SeverityWarning}}},
		{"seed 004: account root, Bool", seed004Trust, 0, []idSev{
			{FindingTrustRequiresMFA, SeverityOK}, {FindingTrustPrincipalAcct, SeverityWarning}}},
		{"BoolIfExists true", trustBoolIfExists, 0, []idSev{
			{FindingTrustBoolIfExists, SeverityCritical}, {FindingTrustPrincipalUser, SeverityOK}}},
		{"no condition, account root", trustNoCondition, 0, []idSev{
			{FindingTrustNoMFA, SeverityCritical}, {FindingTrustPrincipalAcct, SeverityWarning}}},
		{"everyone", trustEveryone, 0, []idSev{
			{FindingTrustRequiresMFA, SeverityOK}, {FindingTrustPrincipalAll, SeverityCritical}}},
		{"an age limit alone needs MFA", trustAgeOnly, 0, []idSev{
			{FindingTrustRequiresMFA, SeverityOK}, {FindingTrustPrincipalUser, SeverityOK}, {FindingTrustMFAAgeOK, SeverityOK}}},
		{"an IfExists age limit does not", trustAgeIfExists, 0, []idSev{
			{FindingTrustNoMFA, SeverityCritical}, {FindingTrustPrincipalUser, SeverityOK}, {FindingTrustMFAAgeOK, SeverityOK}}},
		{"sts:* counts as AssumeRole", trustWildcardAction, 0, []idSev{
			{FindingTrustNoMFA, SeverityCritical}, {FindingTrustPrincipalUser, SeverityOK}}},
		{"a service role is not judged", trustService, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := mustDoc(t, tc.doc)
			got := CheckTrust(d, TrustExpectation{SessionLength: tc.session})
			if !slices.Equal(findingIDs(got), tc.want) {
				t.Errorf("CheckTrust = %v, want %v", got, tc.want)
			}
			for _, f := range got {
				if f.Message == "" {
					t.Errorf("%s has no message", f.ID)
				}
			}
			// The check agrees with the evaluator: critical about MFA
			// exactly when a long-term key of a trusted user gets in.
			if strings.Contains(tc.doc, `"Service"`) {
				return
			}
			pd, err := policy.ParseTrust(tc.doc)
			if err != nil {
				t.Fatal(err)
			}
			principal := "arn:aws:iam::123456789012:user/alice"
			if strings.Contains(tc.doc, "user/joel") {
				principal = "arn:aws:iam::123456789012:user/joel"
			}
			if a := accountOf(tc.doc); a != "" {
				principal = "arn:aws:iam::" + a + ":user/alice"
			}
			r := policy.EvaluateTrust(pd, policy.Request{Principal: principal, Action: "sts:AssumeRole", Context: keyAlone("alice")})
			keyGetsIn := r.Decision == policy.Allowed
			flagged := slices.ContainsFunc(got, func(f Finding) bool {
				return f.ID == FindingTrustNoMFA || f.ID == FindingTrustBoolIfExists
			})
			if keyGetsIn != flagged {
				t.Errorf("evaluator lets a long-term key in: %v; check flags it: %v", keyGetsIn, flagged)
			}
		})
	}
}

// accountOf returns the account of an account-root principal in doc, if any.
func accountOf(doc string) string {
	i := strings.Index(doc, ":root\"")
	if i < 12 {
		return ""
	}
	return doc[i-12 : i]
}

func TestCheckIdentity(t *testing.T) {
	user, err := UserPolicy(alice)
	if err != nil {
		t.Fatal(err)
	}
	userJSON, _ := user.JSON()
	denyJSON, _ := DenyWithoutMFA().JSON()
	tests := []struct {
		name string
		docs []string
		want []idSev
		// wantActions are the actions of the first allow finding.
		wantActions []string
	}{
		{"awsmfa's user policy", []string{string(userJSON)}, []idSev{{FindingKeyLocked, SeverityOK}}, nil},
		{"awsmfa's user policy and a group's *", []string{string(userJSON), allowAll}, []idSev{{FindingKeyLocked, SeverityOK}}, nil},
		{"awsmfa's deny and an administrator", []string{allowAll, string(denyJSON)}, []idSev{{FindingKeyLocked, SeverityOK}}, nil},
		{"seed 000", []string{seed000User}, []idSev{{FindingKeyLocked, SeverityOK}}, nil},
		{"seed 001", []string{seed001User}, []idSev{{FindingKeyLocked, SeverityOK}}, nil},
		{"seed 002 strategy 1", []string{seed002User}, []idSev{{FindingKeyLocked, SeverityOK}}, nil},
		{"seed 002 strategy 2", []string{seed002Session}, []idSev{{FindingKeyLocked, SeverityOK}}, nil},
		{"seed 003 through a group", []string{seed003}, []idSev{{FindingKeyLocked, SeverityOK}}, nil},
		{"* without MFA", []string{allowAll}, []idSev{{FindingAllowWithoutMFA, SeverityCritical}}, ProbeActions()},
		{"seed 003 next to s3:* through a group", []string{seed003, allowS3},
			[]idSev{{FindingAllowWithoutMFA, SeverityCritical}},
			[]string{"s3:ListAllMyBuckets", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"}},
		{"BoolIfExists true in an allow", []string{allowBoolIfExists}, []idSev{{FindingAllowBoolIfExists, SeverityCritical}}, ProbeActions()},
		{"Bool false in a deny", []string{allowAll, denyBoolFalse},
			[]idSev{{FindingDenyBoolNeverFires, SeverityCritical}, {FindingAllowWithoutMFA, SeverityCritical}}, ProbeActions()},
		{"Null true in a deny holds", []string{allowAll, denyNullTrue}, []idSev{{FindingKeyLocked, SeverityOK}}, nil},
		{"a deny for one region is not counted on", []string{allowAll, denyOneRegion},
			[]idSev{{FindingAllowWithoutMFA, SeverityCritical}}, ProbeActions()},
		{"actions named outright are probed too", []string{allowEC2WithoutMFA},
			[]idSev{{FindingAllowWithoutMFA, SeverityCritical}}, []string{"ec2:DescribeRegions", "ec2:TerminateInstances"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var docs []*Document
			for _, s := range tc.docs {
				docs = append(docs, mustDoc(t, s))
			}
			got := CheckIdentity(docs)
			if !slices.Equal(findingIDs(got), tc.want) {
				t.Fatalf("CheckIdentity = %v, want %v", got, tc.want)
			}
			for _, f := range got {
				if f.ID == FindingAllowWithoutMFA || f.ID == FindingAllowBoolIfExists {
					if !slices.Equal(f.Actions, tc.wantActions) {
						t.Errorf("actions %v, want %v", f.Actions, tc.wantActions)
					}
					break
				}
			}
			// The check agrees with the evaluator over the probed actions:
			// an allow finding exactly when the evaluator lets a long-term
			// key do one of them.
			evalDocs := parseIdentity(t, docs...)
			var open []string
			for _, a := range append(ProbeActions(), "ec2:TerminateInstances") {
				r := policy.EvaluateIdentity(evalDocs, policy.Request{Principal: aliceARN, Action: a, Resource: "*", Context: keyAlone("alice")})
				if r.Decision == policy.Allowed {
					open = append(open, a)
				}
			}
			flagged := Worst(got) == SeverityCritical && slices.ContainsFunc(got, func(f Finding) bool {
				return f.ID == FindingAllowWithoutMFA || f.ID == FindingAllowBoolIfExists
			})
			if tc.name == "a deny for one region is not counted on" {
				// The evaluator's request names no region, so the deny does
				// not fire there either.
				flagged = len(open) > 0
			}
			if (len(open) > 0) != flagged {
				t.Errorf("evaluator opens %v to a long-term key; check flags it: %v", open, flagged)
			}
		})
	}
}

func TestMatchAction(t *testing.T) {
	tests := []struct {
		pattern, action string
		want            bool
	}{
		{"*", "s3:GetObject", true},
		{"s3:*", "s3:GetObject", true},
		{"S3:get*", "s3:GetObject", true},
		{"s3:*Object", "s3:GetObject", true},
		{"s3:?etObject", "s3:GetObject", true},
		{"s3:*", "s3express:CreateSession", false},
		{"iam:List*", "iam:GetUser", false},
		{"iam:*MFA*", "iam:EnableMFADevice", true},
		{"", "iam:GetUser", false},
	}
	for _, tc := range tests {
		if got := matchAction(tc.pattern, tc.action); got != tc.want {
			t.Errorf("matchAction(%q, %q) = %v, want %v", tc.pattern, tc.action, got, tc.want)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, doc := range []string{
		``,
		`{"Version":"2012-10-17"}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Extra":1}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"someone","Action":"*"}]}`,
	} {
		if _, err := Parse([]byte(doc)); err == nil {
			t.Errorf("Parse(%s) succeeded", doc)
		}
	}
}
