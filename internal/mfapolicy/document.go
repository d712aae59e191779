package mfapolicy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Version is the only policy language version awsmfa writes: the one in which
// policy variables such as ${aws:username} are expanded.
const Version = "2012-10-17"

// Document is an IAM policy document. Marshalled, its members come in the
// order IAM's own examples use (Version, Statement; in a statement Sid,
// Effect, Principal, Action, Resource, Condition), and condition operators and
// keys sorted, so the same document always prints the same bytes.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a Document. Exactly one of Action and
// NotAction is set; trust policies set Principal and no Resource.
type Statement struct {
	Sid       string     `json:"Sid,omitempty"`
	Effect    string     `json:"Effect"`
	Principal *Principal `json:"Principal,omitempty"`
	Action    Strings    `json:"Action,omitempty"`
	NotAction Strings    `json:"NotAction,omitempty"`
	Resource  Strings    `json:"Resource,omitempty"`
	Condition Conditions `json:"Condition,omitempty"`
}

// Effects.
const (
	Allow = "Allow"
	Deny  = "Deny"
)

// Strings is a policy element that IAM accepts as one string or a list of
// them. One value marshals as a string, several as a list.
type Strings []string

// MarshalJSON writes one value as a string and several as a list.
func (s Strings) MarshalJSON() ([]byte, error) {
	if len(s) == 1 {
		return marshalNoEscape(s[0])
	}
	return marshalNoEscape([]string(s))
}

// UnmarshalJSON accepts a scalar or a list of scalars. Booleans and numbers
// (which IAM accepts in conditions, as in "aws:MultiFactorAuthAge": 3600) are
// kept as their JSON text.
func (s *Strings) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '[' {
		var raw []json.RawMessage
		if err := json.Unmarshal(data, &raw); err != nil {
			return err
		}
		out := make(Strings, 0, len(raw))
		for _, r := range raw {
			v, err := scalar(r)
			if err != nil {
				return err
			}
			out = append(out, v)
		}
		*s = out
		return nil
	}
	v, err := scalar(data)
	if err != nil {
		return err
	}
	*s = Strings{v}
	return nil
}

func scalar(data json.RawMessage) (string, error) {
	data = bytes.TrimSpace(data)
	switch {
	case len(data) == 0:
		return "", fmt.Errorf("empty value")
	case data[0] == '"':
		var v string
		err := json.Unmarshal(data, &v)
		return v, err
	case data[0] == '{' || data[0] == '[' || string(data) == "null":
		return "", fmt.Errorf("want a string, got %.20s", data)
	}
	return string(data), nil // a number or a boolean
}

// Principal is a trust policy's Principal: "*" (All) or typed lists.
type Principal struct {
	All           bool
	AWS           Strings
	Service       Strings
	Federated     Strings
	CanonicalUser Strings
}

// MarshalJSON writes "*" for All, else an object of the non-empty lists.
func (p Principal) MarshalJSON() ([]byte, error) {
	if p.All {
		return []byte(`"*"`), nil
	}
	type typed struct {
		AWS           Strings `json:"AWS,omitempty"`
		Service       Strings `json:"Service,omitempty"`
		Federated     Strings `json:"Federated,omitempty"`
		CanonicalUser Strings `json:"CanonicalUser,omitempty"`
	}
	return marshalNoEscape(typed{p.AWS, p.Service, p.Federated, p.CanonicalUser})
}

// marshalNoEscape is json.Marshal without HTML escaping: documents hold
// placeholders such as <ACCOUNT-ID>, which must print as they are.
func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// UnmarshalJSON accepts "*" or an object of principal types.
func (p *Principal) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		if s != "*" {
			return fmt.Errorf("a principal given as a string must be \"*\"")
		}
		*p = Principal{All: true}
		return nil
	}
	var m map[string]Strings
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	*p = Principal{}
	for k, v := range m {
		switch k {
		case "AWS":
			p.AWS = v
		case "Service":
			p.Service = v
		case "Federated":
			p.Federated = v
		case "CanonicalUser":
			p.CanonicalUser = v
		default:
			return fmt.Errorf("unknown principal type %q", k)
		}
	}
	return nil
}

// Conditions maps a condition operator (Bool, NumericLessThan, …) to its keys
// and their values. encoding/json sorts map keys, so output is stable.
type Conditions map[string]map[string]Strings

// Lookup returns the values of key under operator op, matching both
// case-insensitively as IAM does, and whether they were found.
func (c Conditions) Lookup(op, key string) (Strings, bool) {
	for o, keys := range c {
		if !strings.EqualFold(o, op) {
			continue
		}
		for k, v := range keys {
			if strings.EqualFold(k, key) {
				return v, true
			}
		}
	}
	return nil, false
}

// statementItems lets Statement be one object as well as a list.
type statementItems []Statement

func (s *statementItems) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	// Unknown elements are refused, as IAM refuses them.
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if len(data) > 0 && data[0] == '{' {
		var one Statement
		if err := dec.Decode(&one); err != nil {
			return err
		}
		*s = statementItems{one}
		return nil
	}
	var many []Statement
	if err := dec.Decode(&many); err != nil {
		return err
	}
	*s = many
	return nil
}

// Parse reads a policy document as IAM stores it: Statement and every list
// element may be a single value. It checks structure only (the checks in this
// package judge meaning); the error never quotes the document.
func Parse(data []byte) (*Document, error) {
	var raw struct {
		Version   string         `json:"Version"`
		Id        string         `json:"Id"`
		Statement statementItems `json:"Statement"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("parsing policy document: %w", ErrMalformedDocument)
	}
	if len(raw.Statement) == 0 {
		return nil, fmt.Errorf("parsing policy document: no Statement: %w", ErrMalformedDocument)
	}
	for i, s := range raw.Statement {
		if s.Effect != Allow && s.Effect != Deny {
			return nil, fmt.Errorf("parsing policy document: statement %d: Effect must be Allow or Deny: %w", i, ErrMalformedDocument)
		}
		if (len(s.Action) == 0) == (len(s.NotAction) == 0) {
			return nil, fmt.Errorf("parsing policy document: statement %d: needs exactly one of Action and NotAction: %w", i, ErrMalformedDocument)
		}
	}
	return &Document{Version: raw.Version, Statement: raw.Statement}, nil
}

// JSON returns the document as indented JSON with a final newline: what
// `awsmfa policy --format json` prints and what IAM is sent.
func (d *Document) JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("encoding policy document: %w", err)
	}
	return buf.Bytes(), nil
}

// Compact returns the document as JSON without spaces, as IAM's APIs take it.
func (d *Document) Compact() (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return "", fmt.Errorf("encoding policy document: %w", err)
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}
