package mfapolicy

import (
	"fmt"
	"strings"
)

// Format is how Render prints documents.
type Format string

// The formats `awsmfa policy --format` takes.
const (
	FormatJSON           Format = "json"
	FormatTerraform      Format = "terraform"
	FormatCloudFormation Format = "cloudformation"
)

// ParseFormat checks a format's name.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case FormatJSON, FormatTerraform, FormatCloudFormation:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q: want json, terraform or cloudformation", s)
}

// Placeholders printed in JSON documents for what RenderOptions leave open.
const (
	PlaceholderAccount = "<ACCOUNT-ID>"
	PlaceholderUser    = "<USER-NAME>"
)

// RenderOptions shape Render's output.
type RenderOptions struct {
	// Placeholders lets Params leave Account and User empty: JSON documents
	// then hold PlaceholderAccount and PlaceholderUser, and Terraform
	// variables and CloudFormation parameters have no default.
	Placeholders bool
}

// ErrAllNeedsTemplate is returned for KindAll in FormatJSON: all is several
// documents, which only a Terraform module or a CloudFormation template
// holds together.
var ErrAllNeedsTemplate = fmt.Errorf("policy kind all is one Terraform module or CloudFormation template; with --format json name one of user, trust or deny-without-mfa")

// Render prints the documents of kind k for p in format f.
//
// In Terraform and CloudFormation, p's account, user, role and MFA age are the
// defaults of variables (parameters) that the module (template) takes, and
// the documents refer to those; the partition is a Terraform variable and
// CloudFormation's AWS::Partition.
func Render(k Kind, f Format, p Params, o RenderOptions) ([]byte, error) {
	if o.Placeholders {
		if err := p.validateOptional(); err != nil {
			return nil, err
		}
	} else if err := p.Validate(); err != nil {
		return nil, err
	}
	switch f {
	case FormatJSON:
		if k == KindAll {
			return nil, ErrAllNeedsTemplate
		}
		if p.Account == "" {
			p.Account = PlaceholderAccount
		}
		if p.User == "" {
			p.User = PlaceholderUser
		}
		var d *Document
		switch k {
		case KindUser:
			d = userPolicy(literalValues(p))
		case KindTrust:
			d = trustPolicy(literalValues(p))
		case KindDenyWithoutMFA:
			d = denyWithoutMFA()
		default:
			return nil, fmt.Errorf("unknown policy kind %q", k)
		}
		return d.JSON()
	case FormatTerraform, FormatCloudFormation:
		if len(p.Roles) > 1 {
			return nil, fmt.Errorf("a %s document names one role, got %d: %w", f, len(p.Roles), ErrInvalidParam)
		}
		t := newTemplate(k, p)
		if f == FormatTerraform {
			return t.terraform()
		}
		return t.cloudFormation()
	}
	return nil, fmt.Errorf("unknown format %q", f)
}

// Markers stand for template parameters inside the documents' strings until
// a renderer replaces them with its own reference syntax. NUL never occurs in
// a valid document.
const markerDelim = "\x00"

func marker(id string) string { return markerDelim + id + markerDelim }

// Template parameter ids.
const (
	paramUser      = "user"
	paramAccount   = "account"
	paramRole      = "role"
	paramPartition = "partition"
	paramMaxAge    = "max_mfa_age"
)

// segment is a piece of a string: literal text, or a parameter reference.
type segment struct {
	lit   string
	param string
}

func splitMarkers(s string) []segment {
	var out []segment
	for {
		start := strings.Index(s, markerDelim)
		if start < 0 {
			if s != "" {
				out = append(out, segment{lit: s})
			}
			return out
		}
		end := strings.Index(s[start+1:], markerDelim)
		if end < 0 { // cannot happen: markers are written in pairs
			return append(out, segment{lit: s})
		}
		if start > 0 {
			out = append(out, segment{lit: s[:start]})
		}
		out = append(out, segment{param: s[start+1 : start+1+end]})
		s = s[start+1+end+1:]
	}
}

func markerValues(p Params) values {
	path := p.userPath()
	arn := func(kind, name string) string {
		return "arn:" + marker(paramPartition) + ":iam::" + marker(paramAccount) + ":" + kind + name
	}
	return values{
		partition: marker(paramPartition),
		userARN:   arn("user", path+marker(paramUser)),
		userPath:  path,
		roleARNs:  []string{arn("role/", marker(paramRole))},
		maxAge:    marker(paramMaxAge),
	}
}

// template is what a Terraform module or CloudFormation template of kind k
// holds: which documents, and the defaults of its parameters.
type template struct {
	kind                         Kind
	user, account, role          string // "" when no default
	partition                    string
	maxAge                       string
	withRole, withUser, withDeny bool
	trust, userPolicy, deny      *Document
}

func newTemplate(k Kind, p Params) *template {
	v := markerValues(p)
	t := &template{
		kind:      k,
		user:      p.User,
		account:   p.Account,
		role:      p.roles()[0],
		partition: p.partition(),
		maxAge:    seconds(p.maxMFAAge()),
		withRole:  k == KindTrust || k == KindAll,
		withUser:  k == KindUser || k == KindAll,
		withDeny:  k == KindDenyWithoutMFA || k == KindAll,
	}
	t.trust = trustPolicy(v)
	t.userPolicy = userPolicy(v)
	t.deny = denyWithoutMFA()
	return t
}

// uses reports whether the template refers to parameter id.
func (t *template) uses(id string) bool {
	switch id {
	case paramUser:
		return true
	case paramAccount, paramRole, paramPartition:
		return t.withRole || t.withUser
	case paramMaxAge:
		return t.withRole
	}
	return false
}

func (t *template) describe() string {
	switch t.kind {
	case KindUser:
		return "awsmfa's user policy (role strategy): without MFA the key may only enroll its own MFA device and get an MFA session"
	case KindTrust:
		return "awsmfa's role: only the user, only with MFA, may assume it"
	case KindDenyWithoutMFA:
		return "awsmfa's deny-without-mfa policy (session strategy): without MFA the key may only enroll its own MFA device and get an MFA session"
	}
	return "awsmfa's MFA lock: the role only the user with MFA may assume, the user policy, and the deny-without-mfa policy"
}
