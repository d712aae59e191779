// Package policy parses IAM JSON policy documents and evaluates them the way
// AWS does for the requests the STS/IAM emulator serves: identity-based
// policies (user and role permissions) and role trust policies.
//
// What is modelled, as documented by AWS:
//   - Elements Version, Id, Statement (object or array), Sid, Effect,
//     Action/NotAction, Resource/NotResource, Principal/NotPrincipal and
//     Condition. Element names are case-sensitive; unknown elements, duplicate
//     members and duplicate Sids are errors.
//   - Action matching is case-insensitive with '*' and '?'. Resource matching
//     is case-sensitive, component by component for ARNs; "*" matches all.
//   - Policy variables ${key}, ${key, 'default'}, ${*}, ${?} and ${$} in
//     Resource and in String/ARN condition values, only under Version
//     "2012-10-17" (as IAM). A variable whose key has no single value and no
//     default makes the statement not apply (AWS: "the entire statement may be
//     invalid").
//   - Condition operators String*, Numeric*, Date*, Bool, Arn*, IpAddress,
//     NotIpAddress, BinaryEquals and Null, with ...IfExists and the
//     ForAnyValue:/ForAllValues: qualifiers; the exact semantics (absent keys,
//     negation, sets) are written down at the top of condition.go.
//
// What is not: permission boundaries, SCPs, session policies and
// resource-based policies other than trust policies.
package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Versions IAM accepts. Policy variables are substituted only under Version2012.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// ParseError reports a malformed policy document; the emulator answers it with
// MalformedPolicyDocument. Msg never repeats the document, only element names
// and short quoted values.
type ParseError struct {
	Msg string
}

func (e *ParseError) Error() string { return "malformed policy document: " + e.Msg }

func parseErrorf(format string, args ...any) *ParseError {
	return &ParseError{Msg: fmt.Sprintf(format, args...)}
}

func syntaxError(what string, err error) *ParseError {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return parseErrorf("%s: invalid JSON at offset %d", what, se.Offset)
	}
	return parseErrorf("%s: invalid JSON", what)
}

// Effect is a statement's Effect element.
type Effect string

// The two effects IAM knows (case-sensitive).
const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// Document is a parsed policy. It is immutable and safe for concurrent use.
type Document struct {
	version    string
	id         string
	statements []statement
}

// Version returns the Version element ("" when absent).
func (d *Document) Version() string { return d.version }

// Len returns the number of statements.
func (d *Document) Len() int { return len(d.statements) }

// HasPrincipal reports whether any statement has Principal or NotPrincipal,
// which identity-based policies must not have.
func (d *Document) HasPrincipal() bool {
	for _, s := range d.statements {
		if s.principal != nil {
			return true
		}
	}
	return false
}

type statement struct {
	sid    string
	effect Effect

	principal    *principalSet // nil when the statement has neither element
	notPrincipal bool

	actions   []template
	notAction bool

	resources   []template // nil when the statement has neither element
	notResource bool

	conditions []condition
}

// Parse parses an IAM JSON policy document of any kind. Use ParseIdentity or
// ParseTrust to also apply the rules IAM has for that kind.
func Parse(doc string) (*Document, error) {
	top, err := objectMembers(json.RawMessage(doc), "policy document")
	if err != nil {
		return nil, err
	}
	d := &Document{}
	var stmtRaw json.RawMessage
	for _, m := range top {
		switch m.name {
		case "Version":
			v, ok := jsonString(m.value)
			if !ok || (v != Version2012 && v != Version2008) {
				return nil, parseErrorf("Version must be %q or %q", Version2012, Version2008)
			}
			d.version = v
		case "Id":
			v, ok := jsonString(m.value)
			if !ok {
				return nil, parseErrorf("Id must be a string")
			}
			d.id = v
		case "Statement":
			stmtRaw = m.value
		default:
			return nil, parseErrorf("unknown element %s", quote(m.name))
		}
	}
	if stmtRaw == nil {
		return nil, parseErrorf("missing Statement")
	}
	items, err := statementItems(stmtRaw)
	if err != nil {
		return nil, err
	}
	sids := make(map[string]bool)
	vars := d.version == Version2012
	for i, it := range items {
		s, err := parseStatement(it, i, vars)
		if err != nil {
			return nil, err
		}
		if s.sid != "" {
			if sids[s.sid] {
				return nil, parseErrorf("statement IDs (Sid) must be unique: %s repeats", quote(s.sid))
			}
			sids[s.sid] = true
		}
		d.statements = append(d.statements, s)
	}
	return d, nil
}

// ParseIdentity parses an identity-based (user, group or role permission)
// policy: no statement may have Principal or NotPrincipal, and each must have
// Resource or NotResource.
func ParseIdentity(doc string) (*Document, error) {
	d, err := Parse(doc)
	if err != nil {
		return nil, err
	}
	for i, s := range d.statements {
		if s.principal != nil {
			return nil, parseErrorf("statement %d: identity policies must not specify a principal", i)
		}
		if s.resources == nil {
			return nil, parseErrorf("statement %d: missing Resource or NotResource", i)
		}
	}
	return d, nil
}

// ParseTrust parses a role trust policy: each statement must have Principal or
// NotPrincipal and must not have Resource or NotResource (IAM: "Has prohibited
// field Resource").
func ParseTrust(doc string) (*Document, error) {
	d, err := Parse(doc)
	if err != nil {
		return nil, err
	}
	for i, s := range d.statements {
		if s.principal == nil {
			return nil, parseErrorf("statement %d: missing Principal", i)
		}
		if s.resources != nil {
			return nil, parseErrorf("statement %d: has prohibited field Resource", i)
		}
	}
	return d, nil
}

func statementItems(raw json.RawMessage) ([]json.RawMessage, error) {
	trimmed := strings.TrimSpace(string(raw))
	if strings.HasPrefix(trimmed, "{") {
		return []json.RawMessage{raw}, nil
	}
	if !strings.HasPrefix(trimmed, "[") {
		return nil, parseErrorf("Statement must be an object or an array of objects")
	}
	var items []json.RawMessage
	if err := newDecoder(raw).Decode(&items); err != nil {
		return nil, syntaxError("Statement", err)
	}
	if len(items) == 0 {
		return nil, parseErrorf("Statement must not be empty")
	}
	return items, nil
}

func parseStatement(raw json.RawMessage, idx int, vars bool) (statement, error) {
	where := fmt.Sprintf("statement %d", idx)
	members, err := objectMembers(raw, where)
	if err != nil {
		return statement{}, err
	}
	var s statement
	var hasAction, hasEffect bool
	for _, m := range members {
		switch m.name {
		case "Sid":
			v, ok := jsonString(m.value)
			if !ok {
				return s, parseErrorf("%s: Sid must be a string", where)
			}
			s.sid = v
		case "Effect":
			v, ok := jsonString(m.value)
			if !ok || (Effect(v) != Allow && Effect(v) != Deny) {
				return s, parseErrorf("%s: Effect must be \"Allow\" or \"Deny\"", where)
			}
			s.effect = Effect(v)
			hasEffect = true
		case "Action", "NotAction":
			if hasAction {
				return s, parseErrorf("%s: Action and NotAction are exclusive", where)
			}
			hasAction = true
			s.notAction = m.name == "NotAction"
			if s.actions, err = parseActions(m.value, where+": "+m.name); err != nil {
				return s, err
			}
		case "Resource", "NotResource":
			if s.resources != nil {
				return s, parseErrorf("%s: Resource and NotResource are exclusive", where)
			}
			s.notResource = m.name == "NotResource"
			if s.resources, err = parseResources(m.value, where+": "+m.name, vars); err != nil {
				return s, err
			}
		case "Principal", "NotPrincipal":
			if s.principal != nil {
				return s, parseErrorf("%s: Principal and NotPrincipal are exclusive", where)
			}
			s.notPrincipal = m.name == "NotPrincipal"
			if s.principal, err = parsePrincipal(m.value, where+": "+m.name); err != nil {
				return s, err
			}
		case "Condition":
			if s.conditions, err = parseConditions(m.value, where+": Condition", vars); err != nil {
				return s, err
			}
		default:
			return s, parseErrorf("%s: unknown element %s", where, quote(m.name))
		}
	}
	if !hasEffect {
		return s, parseErrorf("%s: missing Effect", where)
	}
	if !hasAction {
		return s, parseErrorf("%s: missing Action or NotAction", where)
	}
	return s, nil
}

func jsonString(raw json.RawMessage) (string, bool) {
	trimmed := strings.TrimSpace(string(raw))
	if !strings.HasPrefix(trimmed, "\"") {
		return "", false
	}
	return scalarText(raw)
}

// parseActions accepts "*" or "vendor:pattern" entries.
func parseActions(raw json.RawMessage, what string) ([]template, error) {
	list, err := stringList(raw, what)
	if err != nil {
		return nil, err
	}
	out := make([]template, 0, len(list))
	for _, a := range list {
		if a != "*" {
			vendor, name, ok := strings.Cut(a, ":")
			if !ok || vendor == "" || name == "" || strings.Contains(name, ":") {
				return nil, parseErrorf("%s: action %s must be \"*\" or \"service:action\"", what, quote(a))
			}
		}
		out = append(out, compileTemplate(a, true, false))
	}
	return out, nil
}

// parseResources accepts "*" or ARNs (with at least the six components).
func parseResources(raw json.RawMessage, what string, vars bool) ([]template, error) {
	list, err := stringList(raw, what)
	if err != nil {
		return nil, err
	}
	out := make([]template, 0, len(list))
	for _, r := range list {
		if r != "*" && (!strings.HasPrefix(r, "arn:") || strings.Count(r, ":") < 5) {
			return nil, parseErrorf("%s: resource %s must be in ARN format or \"*\"", what, quote(r))
		}
		out = append(out, compileTemplate(r, true, vars))
	}
	return out, nil
}
