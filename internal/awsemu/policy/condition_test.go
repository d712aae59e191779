package policy

import (
	"testing"
)

// ctxOf builds a request context from key, value pairs; a key may repeat to
// give it several values.
func ctxOf(kv ...string) map[string][]string {
	m := make(map[string][]string)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = append(m[kv[i]], kv[i+1])
	}
	return m
}

// conditionHolds wraps cond in a single Allow statement and reports whether
// it allows a request with the given context.
func conditionHolds(t *testing.T, cond string, ctx map[string][]string) bool {
	t.Helper()
	doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*","Condition":` + cond + `}}`
	d, err := ParseIdentity(doc)
	if err != nil {
		t.Fatalf("ParseIdentity(%s): %v", cond, err)
	}
	r := EvaluateIdentity([]*Document{d}, Request{
		Principal: "arn:aws:iam::123456789012:user/alice",
		Action:    "sts:GetCallerIdentity",
		Resource:  "*",
		Context:   ctx,
	})
	switch r.Decision {
	case Allowed:
		return true
	case ImplicitDeny:
		return false
	}
	t.Fatalf("unexpected decision %v", r.Decision)
	return false
}

func TestConditionOperators(t *testing.T) {
	tests := []struct {
		name string
		cond string
		ctx  map[string][]string
		want bool
	}{
		// String operators.
		{"StringEquals match", `{"StringEquals":{"sts:ExternalId":"abc"}}`, ctxOf("sts:ExternalId", "abc"), true},
		{"StringEquals case differs", `{"StringEquals":{"sts:ExternalId":"abc"}}`, ctxOf("sts:ExternalId", "ABC"), false},
		{"StringEquals absent", `{"StringEquals":{"sts:ExternalId":"abc"}}`, nil, false},
		{"StringEquals OR of values", `{"StringEquals":{"sts:ExternalId":["x","abc"]}}`, ctxOf("sts:ExternalId", "abc"), true},
		{"StringEquals star is literal", `{"StringEquals":{"sts:ExternalId":"a*"}}`, ctxOf("sts:ExternalId", "abc"), false},
		{"StringEquals key case-insensitive", `{"StringEquals":{"STS:EXTERNALID":"abc"}}`, ctxOf("sts:externalid", "abc"), true},
		{"StringNotEquals differs", `{"StringNotEquals":{"aws:username":"bob"}}`, ctxOf("aws:username", "alice"), true},
		{"StringNotEquals same", `{"StringNotEquals":{"aws:username":"alice"}}`, ctxOf("aws:username", "alice"), false},
		{"StringNotEquals NOR of values", `{"StringNotEquals":{"aws:username":["bob","alice"]}}`, ctxOf("aws:username", "alice"), false},
		{"StringNotEquals absent is true", `{"StringNotEquals":{"aws:username":"bob"}}`, nil, true},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}`, ctxOf("aws:username", "alice"), true},
		{"StringEqualsIgnoreCase differs", `{"StringEqualsIgnoreCase":{"aws:username":"bob"}}`, ctxOf("aws:username", "alice"), false},
		{"StringNotEqualsIgnoreCase same", `{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}`, ctxOf("aws:username", "alice"), false},
		{"StringNotEqualsIgnoreCase differs", `{"StringNotEqualsIgnoreCase":{"aws:username":"bob"}}`, ctxOf("aws:username", "alice"), true},
		{"StringLike star", `{"StringLike":{"aws:username":"al*"}}`, ctxOf("aws:username", "alice"), true},
		{"StringLike question", `{"StringLike":{"aws:username":"alic?"}}`, ctxOf("aws:username", "alice"), true},
		{"StringLike question needs one char", `{"StringLike":{"aws:username":"alice?"}}`, ctxOf("aws:username", "alice"), false},
		{"StringLike case-sensitive", `{"StringLike":{"aws:username":"AL*"}}`, ctxOf("aws:username", "alice"), false},
		{"StringLike no match", `{"StringLike":{"aws:username":"b*"}}`, ctxOf("aws:username", "alice"), false},
		{"StringNotLike match", `{"StringNotLike":{"aws:username":"al*"}}`, ctxOf("aws:username", "alice"), false},
		{"StringNotLike no match", `{"StringNotLike":{"aws:username":"b*"}}`, ctxOf("aws:username", "alice"), true},
		{"StringNotLike absent", `{"StringNotLike":{"aws:username":"b*"}}`, nil, true},
		{"StringEqualsIfExists absent", `{"StringEqualsIfExists":{"aws:username":"bob"}}`, nil, true},
		{"StringEqualsIfExists present differs", `{"StringEqualsIfExists":{"aws:username":"bob"}}`, ctxOf("aws:username", "alice"), false},
		{"StringNotEqualsIfExists present same", `{"StringNotEqualsIfExists":{"aws:username":"alice"}}`, ctxOf("aws:username", "alice"), false},
		{"number value as string", `{"StringEquals":{"aws:x":12}}`, ctxOf("aws:x", "12"), true},

		// Numeric operators.
		{"NumericEquals", `{"NumericEquals":{"aws:n":"10"}}`, ctxOf("aws:n", "10"), true},
		{"NumericEquals decimal form", `{"NumericEquals":{"aws:n":10}}`, ctxOf("aws:n", "10.0"), true},
		{"NumericEquals differs", `{"NumericEquals":{"aws:n":"10"}}`, ctxOf("aws:n", "11"), false},
		{"NumericEquals request not a number", `{"NumericEquals":{"aws:n":"10"}}`, ctxOf("aws:n", "ten"), false},
		{"NumericNotEquals differs", `{"NumericNotEquals":{"aws:n":"10"}}`, ctxOf("aws:n", "11"), true},
		{"NumericNotEquals same", `{"NumericNotEquals":{"aws:n":["9","10"]}}`, ctxOf("aws:n", "10"), false},
		{"NumericLessThan below", `{"NumericLessThan":{"aws:n":"10"}}`, ctxOf("aws:n", "9"), true},
		{"NumericLessThan equal", `{"NumericLessThan":{"aws:n":"10"}}`, ctxOf("aws:n", "10"), false},
		{"NumericLessThanEquals equal", `{"NumericLessThanEquals":{"aws:n":"10"}}`, ctxOf("aws:n", "10"), true},
		{"NumericLessThanEquals above", `{"NumericLessThanEquals":{"aws:n":"10"}}`, ctxOf("aws:n", "11"), false},
		{"NumericGreaterThan above", `{"NumericGreaterThan":{"aws:n":"10"}}`, ctxOf("aws:n", "11"), true},
		{"NumericGreaterThan equal", `{"NumericGreaterThan":{"aws:n":"10"}}`, ctxOf("aws:n", "10"), false},
		{"NumericGreaterThanEquals equal", `{"NumericGreaterThanEquals":{"aws:n":"10"}}`, ctxOf("aws:n", "10"), true},
		{"NumericGreaterThanEquals below", `{"NumericGreaterThanEquals":{"aws:n":"10"}}`, ctxOf("aws:n", "9"), false},
		{"NumericLessThan absent", `{"NumericLessThan":{"aws:n":"10"}}`, nil, false},
		{"NumericLessThanIfExists absent", `{"NumericLessThanIfExists":{"aws:n":"10"}}`, nil, true},
		{"NumericNotEquals absent", `{"NumericNotEquals":{"aws:n":"10"}}`, nil, true},

		// Date operators.
		{"DateLessThan RFC 3339", `{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`, ctxOf("aws:CurrentTime", "2029-12-31T23:59:59Z"), true},
		{"DateLessThan later", `{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`, ctxOf("aws:CurrentTime", "2030-01-01T00:00:01Z"), false},
		{"DateLessThan epoch policy", `{"DateLessThan":{"aws:CurrentTime":"1893456000"}}`, ctxOf("aws:CurrentTime", "2029-12-31T23:59:59Z"), true},
		{"DateLessThan epoch request", `{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`, ctxOf("aws:CurrentTime", "1893455999"), true},
		{"DateLessThan zone offset", `{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`, ctxOf("aws:CurrentTime", "2030-01-01T00:30:00+01:00"), true},
		{"DateGreaterThan", `{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01"}}`, ctxOf("aws:CurrentTime", "2020-01-01T00:00:01Z"), true},
		{"DateGreaterThan equal", `{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01"}}`, ctxOf("aws:CurrentTime", "2020-01-01T00:00:00Z"), false},
		{"DateGreaterThanEquals equal", `{"DateGreaterThanEquals":{"aws:CurrentTime":"2020-01-01"}}`, ctxOf("aws:CurrentTime", "2020-01-01T00:00:00Z"), true},
		{"DateLessThanEquals equal", `{"DateLessThanEquals":{"aws:CurrentTime":"2020-01-01T00:00Z"}}`, ctxOf("aws:CurrentTime", "1577836800"), true},
		{"DateEquals", `{"DateEquals":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`, ctxOf("aws:CurrentTime", "1577836800"), true},
		{"DateNotEquals same", `{"DateNotEquals":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`, ctxOf("aws:CurrentTime", "1577836800"), false},
		{"DateLessThan request not a date", `{"DateLessThan":{"aws:CurrentTime":"2030-01-01"}}`, ctxOf("aws:CurrentTime", "soon"), false},

		// Bool.
		{"Bool true", `{"Bool":{"aws:SecureTransport":"true"}}`, ctxOf("aws:SecureTransport", "true"), true},
		{"Bool case-insensitive", `{"Bool":{"aws:SecureTransport":"TRUE"}}`, ctxOf("aws:SecureTransport", "True"), true},
		{"Bool JSON boolean", `{"Bool":{"aws:SecureTransport":true}}`, ctxOf("aws:SecureTransport", "true"), true},
		{"Bool mismatch", `{"Bool":{"aws:SecureTransport":"true"}}`, ctxOf("aws:SecureTransport", "false"), false},
		{"Bool request garbage", `{"Bool":{"aws:SecureTransport":"false"}}`, ctxOf("aws:SecureTransport", "no"), false},
		{"Bool absent", `{"Bool":{"aws:SecureTransport":"false"}}`, nil, false},
		{"BoolIfExists absent", `{"BoolIfExists":{"aws:SecureTransport":"true"}}`, nil, true},

		// ARN operators: component-wise wildcards, case-sensitive.
		{"ArnEquals exact", `{"ArnEquals":{"aws:SourceArn":"arn:aws:iam::123456789012:role/r"}}`, ctxOf("aws:SourceArn", "arn:aws:iam::123456789012:role/r"), true},
		{"ArnEquals wildcard", `{"ArnEquals":{"aws:SourceArn":"arn:aws:iam::*:role/*"}}`, ctxOf("aws:SourceArn", "arn:aws:iam::123456789012:role/r"), true},
		{"ArnLike wildcard", `{"ArnLike":{"aws:SourceArn":"arn:aws:sts::123456789012:assumed-role/r/*"}}`, ctxOf("aws:SourceArn", "arn:aws:sts::123456789012:assumed-role/r/s"), true},
		{"ArnLike star stays in component", `{"ArnLike":{"aws:SourceArn":"arn:aws:*:role/r"}}`, ctxOf("aws:SourceArn", "arn:aws:iam::123456789012:role/r"), false},
		{"ArnLike case-sensitive", `{"ArnLike":{"aws:SourceArn":"arn:aws:iam::123456789012:role/R"}}`, ctxOf("aws:SourceArn", "arn:aws:iam::123456789012:role/r"), false},
		{"ArnLike star in resource spans colons", `{"ArnLike":{"aws:SourceArn":"arn:aws:logs:us-east-1:123456789012:*"}}`, ctxOf("aws:SourceArn", "arn:aws:logs:us-east-1:123456789012:log-group:g:*"), true},
		{"ArnNotEquals other", `{"ArnNotEquals":{"aws:SourceArn":"arn:aws:iam::123456789012:role/x"}}`, ctxOf("aws:SourceArn", "arn:aws:iam::123456789012:role/r"), true},
		{"ArnNotLike match", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:iam::*:role/*"}}`, ctxOf("aws:SourceArn", "arn:aws:iam::123456789012:role/r"), false},
		{"ArnNotLike absent", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:iam::*:role/*"}}`, nil, true},

		// IP and binary.
		{"IpAddress in range", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctxOf("aws:SourceIp", "203.0.113.7"), true},
		{"IpAddress out of range", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctxOf("aws:SourceIp", "198.51.100.1"), false},
		{"IpAddress single", `{"IpAddress":{"aws:SourceIp":"::1"}}`, ctxOf("aws:SourceIp", "::1"), true},
		{"NotIpAddress out of range", `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctxOf("aws:SourceIp", "198.51.100.1"), true},
		{"BinaryEquals", `{"BinaryEquals":{"aws:b":"QmluYXJ5"}}`, ctxOf("aws:b", "QmluYXJ5"), true},

		// Null.
		{"Null true absent", `{"Null":{"aws:TokenIssueTime":"true"}}`, nil, true},
		{"Null true present", `{"Null":{"aws:TokenIssueTime":"true"}}`, ctxOf("aws:TokenIssueTime", "x"), false},
		{"Null false present", `{"Null":{"aws:TokenIssueTime":"false"}}`, ctxOf("aws:TokenIssueTime", "x"), true},
		{"Null false absent", `{"Null":{"aws:TokenIssueTime":"false"}}`, nil, false},
		{"Null key with no values is absent", `{"Null":{"aws:TokenIssueTime":"true"}}`, map[string][]string{"aws:TokenIssueTime": {}}, true},

		// Combination rules.
		{"two keys AND both hold", `{"StringEquals":{"aws:a":"1","aws:b":"2"}}`, ctxOf("aws:a", "1", "aws:b", "2"), true},
		{"two keys AND one fails", `{"StringEquals":{"aws:a":"1","aws:b":"2"}}`, ctxOf("aws:a", "1", "aws:b", "3"), false},
		{"two operators AND", `{"StringEquals":{"aws:a":"1"},"Bool":{"aws:b":"true"}}`, ctxOf("aws:a", "1", "aws:b", "false"), false},
		{"empty Condition", `{}`, nil, true},
		{"operator name case-insensitive", `{"stringequals":{"aws:a":"1"}}`, ctxOf("aws:a", "1"), true},

		// Set qualifiers.
		{"ForAnyValue one matches", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["a","b"]}}`, ctxOf("aws:TagKeys", "x", "aws:TagKeys", "b"), true},
		{"ForAnyValue none matches", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["a","b"]}}`, ctxOf("aws:TagKeys", "x", "aws:TagKeys", "y"), false},
		{"ForAnyValue absent", `{"ForAnyValue:StringEquals":{"aws:TagKeys":"a"}}`, nil, false},
		{"ForAllValues all match", `{"ForAllValues:StringLike":{"aws:TagKeys":["a*","b"]}}`, ctxOf("aws:TagKeys", "ab", "aws:TagKeys", "b"), true},
		{"ForAllValues one fails", `{"ForAllValues:StringLike":{"aws:TagKeys":["a*","b"]}}`, ctxOf("aws:TagKeys", "ab", "aws:TagKeys", "c"), false},
		{"ForAllValues absent", `{"ForAllValues:StringEquals":{"aws:TagKeys":"a"}}`, nil, true},
		{"ForAllValues negated", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["a","b"]}}`, ctxOf("aws:TagKeys", "x", "aws:TagKeys", "y"), true},
		{"ForAllValues negated one listed", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["a","b"]}}`, ctxOf("aws:TagKeys", "x", "aws:TagKeys", "a"), false},
		{"ForAnyValue negated", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["a","b"]}}`, ctxOf("aws:TagKeys", "a", "aws:TagKeys", "y"), true},
		{"ForAnyValue negated all listed", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["a","b"]}}`, ctxOf("aws:TagKeys", "a", "aws:TagKeys", "b"), false},
		{"ForAnyValue IfExists absent", `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":"a"}}`, nil, true},
		{"no qualifier multivalued positive", `{"StringEquals":{"aws:TagKeys":"b"}}`, ctxOf("aws:TagKeys", "a", "aws:TagKeys", "b"), true},
		{"no qualifier multivalued negated", `{"StringNotEquals":{"aws:TagKeys":"b"}}`, ctxOf("aws:TagKeys", "a", "aws:TagKeys", "b"), false},

		// Policy variables in condition values.
		{"variable in StringEquals", `{"StringEquals":{"aws:PrincipalTag/owner":"${aws:username}"}}`, ctxOf("aws:PrincipalTag/owner", "alice", "aws:username", "alice"), true},
		{"variable differs", `{"StringEquals":{"aws:PrincipalTag/owner":"${aws:username}"}}`, ctxOf("aws:PrincipalTag/owner", "bob", "aws:username", "alice"), false},
		{"variable in StringLike", `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`, ctxOf("s3:prefix", "home/alice/x", "aws:username", "alice"), true},
		{"unresolved variable fails even negated", `{"StringNotEquals":{"aws:a":"${aws:username}"}}`, ctxOf("aws:a", "x"), false},
		{"variable default", `{"StringEquals":{"aws:a":"${aws:username, 'nobody'}"}}`, ctxOf("aws:a", "nobody"), true},
		{"escaped star is literal", `{"StringLike":{"aws:a":"x${*}"}}`, ctxOf("aws:a", "xy"), false},
		{"escaped star matches star", `{"StringLike":{"aws:a":"x${*}"}}`, ctxOf("aws:a", "x*"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := conditionHolds(t, tt.cond, tt.ctx); got != tt.want {
				t.Errorf("condition %s with %v: got %v, want %v", tt.cond, tt.ctx, got, tt.want)
			}
		})
	}
}

// TestMFAConditions pins the cases the emulator's MFA enforcement rests on.
// Long-term-key requests carry no MFA keys at all; MFA sessions carry
// aws:MultiFactorAuthPresent=true and aws:MultiFactorAuthAge.
func TestMFAConditions(t *testing.T) {
	longTerm := map[string][]string(nil)
	noMFASession := ctxOf("aws:MultiFactorAuthPresent", "false")
	mfaSession := ctxOf("aws:MultiFactorAuthPresent", "true", "aws:MultiFactorAuthAge", "1200")
	oldMFASession := ctxOf("aws:MultiFactorAuthPresent", "true", "aws:MultiFactorAuthAge", "7200")

	const allowAll = `{"Effect":"Allow","Action":"*","Resource":"*"}`
	tests := []struct {
		name       string
		statements string
		ctx        map[string][]string
		want       Decision
	}{
		// The recommended deny: BoolIfExists false.
		{"deny BoolIfExists false, long-term key", `{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}`, longTerm, ExplicitDeny},
		{"deny BoolIfExists false, session without MFA", `{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}`, noMFASession, ExplicitDeny},
		{"deny BoolIfExists false, MFA session", `{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}`, mfaSession, Allowed},
		// The classic mistake: Bool false does not catch long-term keys.
		{"deny Bool false, long-term key slips through", `{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}`, longTerm, Allowed},
		{"deny Bool false, session without MFA", `{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}`, noMFASession, ExplicitDeny},
		// Null true: deny when MFA is absent.
		{"deny Null true, long-term key", `{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Null":{"aws:MultiFactorAuthPresent":"true"}}}`, longTerm, ExplicitDeny},
		{"deny Null true, MFA session", `{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Null":{"aws:MultiFactorAuthPresent":"true"}}}`, mfaSession, Allowed},
		// MFA age.
		{"deny age over 3600, fresh MFA", `{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NumericGreaterThanIfExists":{"aws:MultiFactorAuthAge":"3600"}}}`, mfaSession, Allowed},
		{"deny age over 3600, old MFA", `{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NumericGreaterThanIfExists":{"aws:MultiFactorAuthAge":"3600"}}}`, oldMFASession, ExplicitDeny},
		{"deny age over 3600 IfExists, long-term key denied too", `{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NumericGreaterThanIfExists":{"aws:MultiFactorAuthAge":"3600"}}}`, longTerm, ExplicitDeny},
		{"deny age over 3600 without IfExists, long-term key not denied", `{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NumericGreaterThan":{"aws:MultiFactorAuthAge":"3600"}}}`, longTerm, Allowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseIdentity(`{"Version":"2012-10-17","Statement":[` + allowAll + `,` + tt.statements + `]}`)
			if err != nil {
				t.Fatal(err)
			}
			r := EvaluateIdentity([]*Document{d}, Request{Principal: "arn:aws:iam::123456789012:user/alice", Action: "iam:ListUsers", Resource: "*", Context: tt.ctx})
			if r.Decision != tt.want {
				t.Errorf("decision = %v, want %v", r.Decision, tt.want)
			}
		})
	}

	allows := []struct {
		name string
		cond string
		ctx  map[string][]string
		want bool
	}{
		{"allow Bool true, long-term key", `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`, longTerm, false},
		{"allow Bool true, session without MFA", `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`, noMFASession, false},
		{"allow Bool true, MFA session", `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`, mfaSession, true},
		{"allow BoolIfExists true, long-term key (the IfExists trap)", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}`, longTerm, true},
		{"allow age < 3600, fresh", `{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}`, mfaSession, true},
		{"allow age < 3600, old", `{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}`, oldMFASession, false},
		{"allow age < 3600, long-term key", `{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}`, longTerm, false},
		{"allow age <= 1200, boundary", `{"NumericLessThanEquals":{"aws:MultiFactorAuthAge":"1200"}}`, mfaSession, true},
		{"allow age <= 1199, boundary", `{"NumericLessThanEquals":{"aws:MultiFactorAuthAge":"1199"}}`, mfaSession, false},
		{"allow age < 3600 IfExists, long-term key", `{"NumericLessThanIfExists":{"aws:MultiFactorAuthAge":"3600"}}`, longTerm, true},
		{"allow age <= 3600 IfExists, old", `{"NumericLessThanEqualsIfExists":{"aws:MultiFactorAuthAge":"3600"}}`, oldMFASession, false},
	}
	for _, tt := range allows {
		t.Run(tt.name, func(t *testing.T) {
			if got := conditionHolds(t, tt.cond, tt.ctx); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLookupOperator(t *testing.T) {
	valid := []string{
		"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
		"StringLike", "StringNotLike", "NumericEquals", "NumericNotEquals", "NumericLessThan",
		"NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals", "DateEquals",
		"DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
		"Bool", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "IpAddress", "NotIpAddress",
		"BinaryEquals", "Null",
	}
	for _, name := range valid {
		if _, ok := lookupOperator(name); !ok {
			t.Errorf("lookupOperator(%q) failed", name)
		}
		if name == "Null" {
			continue
		}
		for _, variant := range []string{name + "IfExists", "ForAnyValue:" + name, "ForAllValues:" + name + "IfExists"} {
			if _, ok := lookupOperator(variant); !ok {
				t.Errorf("lookupOperator(%q) failed", variant)
			}
		}
	}
	invalid := []string{"", "StringEqual", "NullIfExists", "ForAnyValue:Null", "ForSomeValues:StringEquals", "IfExists", "StringEqualsIfExistsIfExists", ":StringEquals"}
	for _, name := range invalid {
		if _, ok := lookupOperator(name); ok {
			t.Errorf("lookupOperator(%q) succeeded", name)
		}
	}
}
