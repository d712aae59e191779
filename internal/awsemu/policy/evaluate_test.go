package policy

import (
	"reflect"
	"testing"
)

const (
	acct     = "123456789012"
	other    = "210987654321"
	alice    = "arn:aws:iam::123456789012:user/alice"
	pathUser = "arn:aws:iam::123456789012:user/team/bob"
	session  = "arn:aws:sts::123456789012:assumed-role/admin/alice"
	root     = "arn:aws:iam::123456789012:root"
	fedUser  = "arn:aws:sts::123456789012:federated-user/fed"
	outsider = "arn:aws:iam::210987654321:user/mallory"
)

func mustParse(t *testing.T, doc string) *Document {
	t.Helper()
	d, err := Parse(doc)
	if err != nil {
		t.Fatalf("Parse(%s): %v", doc, err)
	}
	return d
}

func TestDecisionString(t *testing.T) {
	tests := []struct {
		d    Decision
		want string
	}{
		{ImplicitDeny, "implicitDeny"},
		{Allowed, "allowed"},
		{ExplicitDeny, "explicitDeny"},
	}
	for _, tt := range tests {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("%d.String() = %q, want %q", int(tt.d), got, tt.want)
		}
	}
}

func TestEvaluateIdentity(t *testing.T) {
	allowIAM := `{"Version":"2012-10-17","Statement":[{"Sid":"ReadIAM","Effect":"Allow","Action":["iam:List*","iam:Get*"],"Resource":"*"}]}`
	denyDelete := `{"Statement":{"Sid":"NoDelete","Effect":"Deny","Action":"iam:Delete*","Resource":"*"}}`
	allowAll := `{"Statement":{"Sid":"All","Effect":"Allow","Action":"*","Resource":"*"}}`
	ownUser := `{"Version":"2012-10-17","Statement":{"Sid":"Self","Effect":"Allow","Action":"iam:*MFADevice*","Resource":["arn:aws:iam::*:user/${aws:username}","arn:aws:iam::*:mfa/${aws:username}"]}}`
	ownUserOld := `{"Version":"2008-10-17","Statement":{"Sid":"Self","Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::*:user/${aws:username}"}}`
	notAction := `{"Statement":{"Sid":"AllButIAM","Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`
	notResource := `{"Statement":{"Sid":"NotAdmin","Effect":"Deny","Action":"iam:*","NotResource":"arn:aws:iam::123456789012:user/alice"}}`
	principalInIdentity := `{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`
	tests := []struct {
		name string
		docs []string
		req  Request
		want Result
	}{
		{"no policies", nil, Request{Principal: alice, Action: "iam:ListUsers", Resource: "*"}, Result{Decision: ImplicitDeny}},
		{"allow by wildcard", []string{allowIAM}, Request{Principal: alice, Action: "iam:ListUsers", Resource: "*"},
			Result{Decision: Allowed, Matched: []Match{{Doc: 0, Statement: 0, Sid: "ReadIAM", Effect: "Allow"}}}},
		{"action case-insensitive", []string{allowIAM}, Request{Principal: alice, Action: "IAM:listusers", Resource: "*"},
			Result{Decision: Allowed, Matched: []Match{{Doc: 0, Statement: 0, Sid: "ReadIAM", Effect: "Allow"}}}},
		{"other action implicit deny", []string{allowIAM}, Request{Principal: alice, Action: "iam:CreateUser", Resource: "*"}, Result{Decision: ImplicitDeny}},
		{"deny wins across documents", []string{allowAll, denyDelete}, Request{Principal: alice, Action: "iam:DeleteUser", Resource: "*"},
			Result{Decision: ExplicitDeny, Matched: []Match{{Doc: 1, Statement: 0, Sid: "NoDelete", Effect: "Deny"}}}},
		{"deny elsewhere does not apply", []string{allowAll, denyDelete}, Request{Principal: alice, Action: "iam:ListUsers", Resource: "*"},
			Result{Decision: Allowed, Matched: []Match{{Doc: 0, Statement: 0, Sid: "All", Effect: "Allow"}}}},
		{"all matching allows listed", []string{allowAll, allowIAM}, Request{Principal: alice, Action: "iam:GetUser", Resource: "*"},
			Result{Decision: Allowed, Matched: []Match{{Doc: 0, Statement: 0, Sid: "All", Effect: "Allow"}, {Doc: 1, Statement: 0, Sid: "ReadIAM", Effect: "Allow"}}}},
		{"variable resolves", []string{ownUser}, Request{Principal: alice, Action: "iam:EnableMFADevice", Resource: "arn:aws:iam::123456789012:user/alice", Context: ctxOf("aws:username", "alice")},
			Result{Decision: Allowed, Matched: []Match{{Doc: 0, Statement: 0, Sid: "Self", Effect: "Allow"}}}},
		{"variable second resource", []string{ownUser}, Request{Principal: alice, Action: "iam:CreateVirtualMFADevice", Resource: "arn:aws:iam::123456789012:mfa/alice", Context: ctxOf("aws:username", "alice")},
			Result{Decision: Allowed, Matched: []Match{{Doc: 0, Statement: 0, Sid: "Self", Effect: "Allow"}}}},
		{"variable other user", []string{ownUser}, Request{Principal: alice, Action: "iam:EnableMFADevice", Resource: "arn:aws:iam::123456789012:user/bob", Context: ctxOf("aws:username", "alice")}, Result{Decision: ImplicitDeny}},
		{"variable unresolved", []string{ownUser}, Request{Principal: session, Action: "iam:EnableMFADevice", Resource: "arn:aws:iam::123456789012:user/alice"}, Result{Decision: ImplicitDeny}},
		{"variable literal under 2008 version", []string{ownUserOld}, Request{Principal: alice, Action: "iam:GetUser", Resource: "arn:aws:iam::123456789012:user/alice", Context: ctxOf("aws:username", "alice")}, Result{Decision: ImplicitDeny}},
		{"resource star stays in component", []string{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam:*::user/alice"}}`}, Request{Principal: alice, Action: "iam:GetUser", Resource: "arn:aws:iam::123456789012:user/alice"}, Result{Decision: ImplicitDeny}},
		{"resource case-sensitive", []string{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam::123456789012:user/Alice"}}`}, Request{Principal: alice, Action: "iam:GetUser", Resource: "arn:aws:iam::123456789012:user/alice"}, Result{Decision: ImplicitDeny}},
		{"NotAction excludes", []string{notAction}, Request{Principal: alice, Action: "iam:ListUsers", Resource: "*"}, Result{Decision: ImplicitDeny}},
		{"NotAction includes others", []string{notAction}, Request{Principal: alice, Action: "sts:GetCallerIdentity", Resource: "*"},
			Result{Decision: Allowed, Matched: []Match{{Doc: 0, Statement: 0, Sid: "AllButIAM", Effect: "Allow"}}}},
		{"NotResource denies others", []string{allowAll, notResource}, Request{Principal: alice, Action: "iam:GetUser", Resource: "arn:aws:iam::123456789012:user/bob"},
			Result{Decision: ExplicitDeny, Matched: []Match{{Doc: 1, Statement: 0, Sid: "NotAdmin", Effect: "Deny"}}}},
		{"NotResource spares listed", []string{allowAll, notResource}, Request{Principal: alice, Action: "iam:GetUser", Resource: alice},
			Result{Decision: Allowed, Matched: []Match{{Doc: 0, Statement: 0, Sid: "All", Effect: "Allow"}}}},
		{"principal statement ignored", []string{principalInIdentity}, Request{Principal: alice, Action: "iam:GetUser", Resource: "*"}, Result{Decision: ImplicitDeny}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var docs []*Document
			for _, s := range tt.docs {
				docs = append(docs, mustParse(t, s))
			}
			got := EvaluateIdentity(docs, tt.req)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("EvaluateIdentity = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestEvaluateIdentityNilDocument(t *testing.T) {
	allow := mustParse(t, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)
	got := EvaluateIdentity([]*Document{nil, allow}, Request{Principal: alice, Action: "iam:GetUser", Resource: "*"})
	want := Result{Decision: Allowed, Matched: []Match{{Doc: 1, Statement: 0, Effect: "Allow"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestEvaluateTrust(t *testing.T) {
	trust := func(principal string) string {
		return `{"Version":"2012-10-17","Statement":{"Sid":"T","Effect":"Allow","Principal":` + principal + `,"Action":"sts:AssumeRole"}}`
	}
	type outcome struct {
		decision Decision
		via      bool
	}
	allowed := outcome{Allowed, false}
	viaAcct := outcome{Allowed, true}
	denied := outcome{ImplicitDeny, false}
	tests := []struct {
		name      string
		doc       string
		principal string
		ctx       map[string][]string
		want      outcome
	}{
		{"star", trust(`"*"`), outsider, nil, allowed},
		{"AWS star", trust(`{"AWS":"*"}`), alice, nil, allowed},
		{"account id", trust(`{"AWS":"123456789012"}`), alice, nil, viaAcct},
		{"account id, session", trust(`{"AWS":"123456789012"}`), session, nil, viaAcct},
		{"account id, other account", trust(`{"AWS":"123456789012"}`), outsider, nil, denied},
		{"root ARN", trust(`{"AWS":"arn:aws:iam::123456789012:root"}`), alice, nil, viaAcct},
		{"root ARN, root caller", trust(`{"AWS":"arn:aws:iam::123456789012:root"}`), root, nil, viaAcct},
		{"root ARN, other partition", trust(`{"AWS":"arn:aws-cn:iam::123456789012:root"}`), alice, nil, denied},
		{"root ARN, other account", trust(`{"AWS":"arn:aws:iam::123456789012:root"}`), outsider, nil, denied},
		{"user ARN", trust(`{"AWS":"arn:aws:iam::123456789012:user/alice"}`), alice, nil, allowed},
		{"user ARN, other user", trust(`{"AWS":"arn:aws:iam::123456789012:user/alice"}`), pathUser, nil, denied},
		{"user ARN, case differs", trust(`{"AWS":"arn:aws:iam::123456789012:user/Alice"}`), alice, nil, denied},
		{"user ARN with path", trust(`{"AWS":"arn:aws:iam::123456789012:user/team/bob"}`), pathUser, nil, allowed},
		{"user ARN without the path", trust(`{"AWS":"arn:aws:iam::123456789012:user/bob"}`), pathUser, nil, denied},
		{"user ARN, not that user's session", trust(`{"AWS":"arn:aws:iam::123456789012:user/alice"}`), session, nil, denied},
		{"role ARN, its session", trust(`{"AWS":"arn:aws:iam::123456789012:role/admin"}`), session, nil, allowed},
		{"role ARN with path, its session", trust(`{"AWS":"arn:aws:iam::123456789012:role/ops/admin"}`), session, nil, allowed},
		{"role ARN, other role's session", trust(`{"AWS":"arn:aws:iam::123456789012:role/reader"}`), session, nil, denied},
		{"role ARN, other account's session", trust(`{"AWS":"arn:aws:iam::210987654321:role/admin"}`), session, nil, denied},
		{"role ARN, a user", trust(`{"AWS":"arn:aws:iam::123456789012:role/alice"}`), alice, nil, denied},
		{"session ARN", trust(`{"AWS":"arn:aws:sts::123456789012:assumed-role/admin/alice"}`), session, nil, allowed},
		{"federated user ARN", trust(`{"AWS":"arn:aws:sts::123456789012:federated-user/fed"}`), fedUser, nil, allowed},
		{"service never matches", trust(`{"Service":"ec2.amazonaws.com"}`), alice, nil, denied},
		{"federated never matches", trust(`{"Federated":"arn:aws:iam::123456789012:saml-provider/x"}`), alice, nil, denied},
		{"direct beats account", trust(`{"AWS":["123456789012","arn:aws:iam::123456789012:user/alice"]}`), alice, nil, allowed},
		{"account among others", trust(`{"AWS":["arn:aws:iam::123456789012:user/bob","123456789012"]}`), alice, nil, viaAcct},
		{"empty principal", trust(`{"AWS":"123456789012"}`), "", nil, denied},
		{"malformed principal", trust(`{"AWS":"123456789012"}`), "123456789012", nil, denied},
		{"external id required, given",
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"s3cr3t"}}}}`,
			outsider, ctxOf("sts:ExternalId", "s3cr3t"), viaAcct},
		{"external id required, wrong",
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"s3cr3t"}}}}`,
			outsider, ctxOf("sts:ExternalId", "S3CR3T"), denied},
		{"external id required, missing",
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"s3cr3t"}}}}`,
			outsider, nil, denied},
		{"MFA required, long-term key",
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}}`,
			alice, nil, denied},
		{"MFA required, MFA session",
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}}`,
			session, ctxOf("aws:MultiFactorAuthPresent", "true"), viaAcct},
		{"deny beats allow",
			`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sts:*"}]}`,
			alice, nil, outcome{ExplicitDeny, false}},
		{"NotPrincipal deny spares the named",
			`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sts:AssumeRole"}]}`,
			alice, nil, allowed},
		{"NotPrincipal deny hits others",
			`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sts:AssumeRole"}]}`,
			pathUser, nil, outcome{ExplicitDeny, false}},
		{"other action",
			`{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRoleWithSAML"}}`,
			alice, nil, denied},
		{"statement without principal ignored",
			`{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}}`,
			alice, nil, denied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := EvaluateTrust(mustParse(t, tt.doc), Request{Principal: tt.principal, Action: "sts:AssumeRole", Resource: "arn:aws:iam::123456789012:role/admin", Context: tt.ctx})
			if got := (outcome{r.Decision, r.ViaAccount}); got != tt.want {
				t.Errorf("decision, viaAccount = %v, %v; want %v, %v", got.decision, got.via, tt.want.decision, tt.want.via)
			}
			if (r.Decision == ImplicitDeny) != (len(r.Matched) == 0) {
				t.Errorf("matched statements %v do not fit decision %v", r.Matched, r.Decision)
			}
		})
	}
}

func TestEvaluateTrustNil(t *testing.T) {
	if r := EvaluateTrust(nil, Request{Principal: alice, Action: "sts:AssumeRole"}); r.Decision != ImplicitDeny {
		t.Errorf("nil trust policy: %v", r.Decision)
	}
}

func TestEvaluateTrustResource(t *testing.T) {
	d := mustParse(t, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/admin"}}`)
	tests := []struct {
		resource string
		want     Decision
	}{
		{"arn:aws:iam::123456789012:role/admin", Allowed},
		{"arn:aws:iam::123456789012:role/other", ImplicitDeny},
	}
	for _, tt := range tests {
		if r := EvaluateTrust(d, Request{Principal: alice, Action: "sts:AssumeRole", Resource: tt.resource}); r.Decision != tt.want {
			t.Errorf("resource %s: %v, want %v", tt.resource, r.Decision, tt.want)
		}
	}
}
