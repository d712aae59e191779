package policy

import (
	"errors"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, that every failure is a
// *ParseError, and that whatever parses can be evaluated both ways.
func FuzzParse(f *testing.F) {
	seeds := []string{
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
		`{"Statement":[{"Sid":"a","Effect":"Deny","NotAction":["iam:*"],"NotResource":"arn:aws:iam::*:user/${aws:username, 'x'}"}]}`,
		`{"Statement":{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:role/r"]},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"StringEquals":{"sts:ExternalId":"e"}}}}`,
		`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAllValues:StringLikeIfExists":{"aws:TagKeys":["a*","${*}"]},"NumericLessThan":{"aws:MultiFactorAuthAge":3600},"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"Null":{"aws:x":"false"},"ArnLike":{"aws:SourceArn":"arn:aws:*:*:*:*"}}}}`,
		`{"Statement":{"Effect":"Deny","NotPrincipal":"*","Action":"*"}}`,
		`{`, `[]`, `""`, `null`, `{"Statement":[]}`,
	}
	for _, s := range seeds {
		f.Add(s, "arn:aws:iam::123456789012:user/alice", "iam:ListUsers", "arn:aws:iam::123456789012:user/alice", "aws:username", "alice")
	}
	f.Fuzz(func(t *testing.T, doc, principal, action, resource, key, value string) {
		d, err := Parse(doc)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not a *ParseError", err, err)
			}
			if d != nil {
				t.Fatal("non-nil document with an error")
			}
			return
		}
		req := Request{
			Principal: principal,
			Action:    action,
			Resource:  resource,
			Context:   map[string][]string{key: {value}, "aws:TagKeys": {value, key}},
		}
		for _, r := range []Result{EvaluateIdentity([]*Document{d}, req), EvaluateTrust(d, req)} {
			if r.Decision < ImplicitDeny || r.Decision > ExplicitDeny {
				t.Fatalf("decision %d out of range", r.Decision)
			}
			if (r.Decision == ImplicitDeny) != (len(r.Matched) == 0) {
				t.Fatalf("decision %v with %d matched statements", r.Decision, len(r.Matched))
			}
			if r.ViaAccount && r.Decision != Allowed {
				t.Fatalf("ViaAccount with decision %v", r.Decision)
			}
		}
	})
}
