package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"
)

// member is one name/value pair of a JSON object, kept in document order.
type member struct {
	name  string
	value json.RawMessage
}

// newDecoder returns a decoder that keeps numbers as written, so that a
// condition value like 3600 compares as the text "3600".
func newDecoder(raw []byte) *json.Decoder {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec
}

// objectMembers decodes raw as a JSON object. IAM treats element names as
// case-sensitive and Go's struct decoding does not, so objects are read member
// by member; a name given twice is an error rather than silently last-wins.
func objectMembers(raw json.RawMessage, what string) ([]member, error) {
	dec := newDecoder(raw)
	tok, err := dec.Token()
	if err != nil {
		return nil, syntaxError(what, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, parseErrorf("%s must be a JSON object", what)
	}
	var out []member
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, syntaxError(what, err)
		}
		name, ok := tok.(string)
		if !ok {
			return nil, parseErrorf("%s: expected a member name", what)
		}
		if seen[name] {
			return nil, parseErrorf("%s: duplicate member %s", what, quote(name))
		}
		seen[name] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, syntaxError(what, err)
		}
		out = append(out, member{name: name, value: v})
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, syntaxError(what, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, parseErrorf("%s: unexpected data after the object", what)
	}
	return out, nil
}

// scalarText returns the text of a JSON string, number or boolean: strings
// unquoted, numbers as written, booleans as "true"/"false". ok is false for
// null, objects and arrays.
func scalarText(raw json.RawMessage) (text string, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", false
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", false
		}
		return s, true
	case 't', 'f':
		var b bool
		if json.Unmarshal(raw, &b) != nil {
			return "", false
		}
		if b {
			return "true", true
		}
		return "false", true
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		var n json.Number
		if newDecoder(raw).Decode(&n) != nil {
			return "", false
		}
		return n.String(), true
	}
	return "", false
}

// stringList decodes the IAM "string or array of strings" form. The array must
// not be empty.
func stringList(raw json.RawMessage, what string) ([]string, error) {
	return list(raw, what, func(r json.RawMessage) (string, bool) {
		r = bytes.TrimSpace(r)
		if len(r) == 0 || r[0] != '"' {
			return "", false
		}
		return scalarText(r)
	}, "a string or an array of strings")
}

// scalarList decodes a condition value: a scalar or a non-empty array of
// scalars (strings, numbers, booleans).
func scalarList(raw json.RawMessage, what string) ([]string, error) {
	return list(raw, what, scalarText, "a string, number, boolean or an array of them")
}

func list(raw json.RawMessage, what string, one func(json.RawMessage) (string, bool), want string) ([]string, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var items []json.RawMessage
		if err := newDecoder(trimmed).Decode(&items); err != nil {
			return nil, syntaxError(what, err)
		}
		if len(items) == 0 {
			return nil, parseErrorf("%s must not be an empty array", what)
		}
		out := make([]string, 0, len(items))
		for _, it := range items {
			s, ok := one(it)
			if !ok {
				return nil, parseErrorf("%s must be %s", what, want)
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, ok := one(trimmed)
	if !ok {
		return nil, parseErrorf("%s must be %s", what, want)
	}
	return []string{s}, nil
}

// quote returns s quoted for an error message, cut short so that a huge
// document cannot produce a huge error.
func quote(s string) string {
	const limit = 64
	if len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}
