package policy

import (
	"errors"
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		version string
		n       int
	}{
		{"statement object, no version", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, "", 1},
		{"statement array", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"},{"Effect":"Deny","NotAction":["iam:Delete*"],"NotResource":"arn:aws:iam::123456789012:user/x"}]}`, Version2012, 2},
		{"old version and Id", `{"Version":"2008-10-17","Id":"p1","Statement":[{"Sid":"A","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":["arn:aws:s3:::b/*","arn:aws:s3:::b"]}]}`, Version2008, 1},
		{"principal forms", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:root","arn:aws:iam::123456789012:user/p/alice","arn:aws:iam::123456789012:role/r","arn:aws:sts::123456789012:assumed-role/r/s","arn:aws:sts::123456789012:federated-user/f"]},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com","Federated":["cognito-identity.amazonaws.com"],"CanonicalUser":"79a59df9"},"Action":"sts:AssumeRole"}]}`, "", 3},
		{"NotPrincipal", `{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sts:AssumeRole"}}`, "", 1},
		{"condition value kinds", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"aws:MultiFactorAuthAge":[3600, "7200.5"]}}}}`, "", 1},
		{"whitespace around", " \n{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}}\n ", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse(tt.doc)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if d.Version() != tt.version || d.Len() != tt.n {
				t.Errorf("version, statements = %q, %d; want %q, %d", d.Version(), d.Len(), tt.version, tt.n)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		name, doc, wantMsg string
	}{
		{"not JSON", `{"Statement":`, "invalid JSON"},
		{"array document", `[]`, "must be a JSON object"},
		{"trailing data", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}} {}`, "unexpected data"},
		{"missing statement", `{"Version":"2012-10-17"}`, "missing Statement"},
		{"empty statement array", `{"Statement":[]}`, "must not be empty"},
		{"statement string", `{"Statement":"x"}`, "Statement must be"},
		{"bad version", `{"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, "Version must be"},
		{"version number", `{"Version":2012,"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, "Version must be"},
		{"unknown top element", `{"Statment":{}}`, "unknown element"},
		{"lower-case element", `{"statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, "unknown element"},
		{"duplicate member", `{"Statement":{"Effect":"Allow","Effect":"Deny","Action":"*","Resource":"*"}}`, "duplicate member"},
		{"missing effect", `{"Statement":{"Action":"*","Resource":"*"}}`, "missing Effect"},
		{"effect case", `{"Statement":{"Effect":"allow","Action":"*","Resource":"*"}}`, "Effect must be"},
		{"missing action", `{"Statement":{"Effect":"Allow","Resource":"*"}}`, "missing Action"},
		{"Action and NotAction", `{"Statement":{"Effect":"Allow","Action":"*","NotAction":"*","Resource":"*"}}`, "exclusive"},
		{"Resource and NotResource", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}}`, "exclusive"},
		{"Principal and NotPrincipal", `{"Statement":{"Effect":"Allow","Action":"*","Principal":"*","NotPrincipal":"*"}}`, "exclusive"},
		{"action without vendor", `{"Statement":{"Effect":"Allow","Action":"ListUsers","Resource":"*"}}`, "service:action"},
		{"action two colons", `{"Statement":{"Effect":"Allow","Action":"iam:a:b","Resource":"*"}}`, "service:action"},
		{"empty action list", `{"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}`, "empty array"},
		{"action number", `{"Statement":{"Effect":"Allow","Action":5,"Resource":"*"}}`, "string or an array"},
		{"action list with number", `{"Statement":{"Effect":"Allow","Action":["iam:x",5],"Resource":"*"}}`, "string or an array"},
		{"resource not an ARN", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"bucket"}}`, "ARN format"},
		{"resource short ARN", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam"}}`, "ARN format"},
		{"unknown statement element", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Extra":1}}`, "unknown element"},
		{"duplicate sid", `{"Statement":[{"Sid":"a","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"a","Effect":"Deny","Action":"*","Resource":"*"}]}`, "unique"},
		{"sid number", `{"Statement":{"Sid":1,"Effect":"Allow","Action":"*","Resource":"*"}}`, "Sid must be"},
		{"principal string", `{"Statement":{"Effect":"Allow","Principal":"alice","Action":"*"}}`, "must be \"*\""},
		{"principal empty object", `{"Statement":{"Effect":"Allow","Principal":{},"Action":"*"}}`, "must not be empty"},
		{"principal unknown type", `{"Statement":{"Effect":"Allow","Principal":{"Aws":"*"},"Action":"*"}}`, "unknown principal type"},
		{"principal wildcard ARN", `{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/*"},"Action":"*"}}`, "invalid principal"},
		{"principal group", `{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:group/g"},"Action":"*"}}`, "invalid principal"},
		{"principal short account", `{"Statement":{"Effect":"Allow","Principal":{"AWS":"12345"},"Action":"*"}}`, "invalid principal"},
		{"principal empty", `{"Statement":{"Effect":"Allow","Principal":{"Service":""},"Action":"*"}}`, "empty principal"},
		{"unknown operator", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqual":{"aws:a":"b"}}}}`, "unknown condition operator"},
		{"NullIfExists", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NullIfExists":{"aws:a":"true"}}}}`, "unknown condition operator"},
		{"condition not object", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":[]}}`, "must be a JSON object"},
		{"operator block empty", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{}}}}`, "no condition keys"},
		{"key without vendor", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"SecureTransport":"true"}}}}`, "prefixed by a service"},
		{"bool value", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:a":"yes"}}}}`, "invalid value"},
		{"numeric value", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"aws:a":"ten"}}}}`, "invalid value"},
		{"numeric NaN", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"aws:a":"NaN"}}}}`, "invalid value"},
		{"date value", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}}}`, "invalid value"},
		{"ip value", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"300.1.1.1"}}}}`, "invalid value"},
		{"null value", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Null":{"aws:a":"maybe"}}}}`, "invalid value"},
		{"condition value null", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:a":null}}}}`, "must be a string, number"},
		{"condition value object", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:a":{}}}}}`, "must be a string, number"},
		{"condition values empty", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:a":[]}}}}`, "empty array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse(tt.doc)
			if err == nil {
				t.Fatalf("Parse succeeded with %d statements", d.Len())
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not a *ParseError", err, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not mention %q", err, tt.wantMsg)
			}
		})
	}
}

func TestParseErrorKeepsDocumentOut(t *testing.T) {
	long := strings.Repeat("x", 500)
	_, err := Parse(`{"Statement":{"Effect":"Allow","Action":"` + long + `","Resource":"*"}}`)
	if err == nil {
		t.Fatal("Parse succeeded")
	}
	if strings.Contains(err.Error(), long) || len(err.Error()) > 200 {
		t.Errorf("error repeats the oversized value: %d bytes", len(err.Error()))
	}
}

func TestParseIdentityAndTrust(t *testing.T) {
	const (
		identity  = `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`
		noRes     = `{"Statement":{"Effect":"Allow","Action":"*"}}`
		trust     = `{"Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}}`
		trustRes  = `{"Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole","Resource":"*"}}`
		notPrinc  = `{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}}`
		malformed = `{`
	)
	tests := []struct {
		name      string
		parse     func(string) (*Document, error)
		doc       string
		wantError bool
	}{
		{"identity ok", ParseIdentity, identity, false},
		{"identity with principal", ParseIdentity, trust, true},
		{"identity with NotPrincipal", ParseIdentity, notPrinc, true},
		{"identity without resource", ParseIdentity, noRes, true},
		{"identity malformed", ParseIdentity, malformed, true},
		{"trust ok", ParseTrust, trust, false},
		{"trust NotPrincipal", ParseTrust, notPrinc, false},
		{"trust without principal", ParseTrust, identity, true},
		{"trust with resource", ParseTrust, trustRes, true},
		{"trust malformed", ParseTrust, malformed, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := tt.parse(tt.doc)
			if (err != nil) != tt.wantError {
				t.Fatalf("error = %v, want error %v", err, tt.wantError)
			}
			if err != nil {
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Errorf("error %v is not a *ParseError", err)
				}
				return
			}
			if got := d.HasPrincipal(); got != strings.Contains(tt.doc, "Principal") {
				t.Errorf("HasPrincipal = %v", got)
			}
		})
	}
}
