package policy

import (
	"strings"
	"unicode"
)

// tokenKind says how one piece of a compiled policy string matches.
type tokenKind uint8

const (
	tokenText     tokenKind = iota // literal text
	tokenStar                      // '*': any run of characters
	tokenQuestion                  // '?': any one character
	tokenVariable                  // ${key} or ${key, 'default'}
)

type token struct {
	kind tokenKind
	// text is the literal text of a tokenText, or the lower-cased context key
	// of a tokenVariable.
	text       string
	fallback   string
	hasDefault bool
}

// template is a policy string (a Resource entry or a condition value)
// compiled once at parse time and resolved against each request.
type template struct {
	raw    string
	tokens []token
}

// compileTemplate splits s into literal text, wildcards (when wild) and policy
// variables (when vars; IAM substitutes them only under Version 2012-10-17).
// Within variables, ${*}, ${?} and ${$} stand for the literal characters.
// Text that does not form a complete variable (an unclosed "${", an empty key,
// a malformed default) is kept as literal text.
func compileTemplate(s string, wild, vars bool) template {
	t := template{raw: s}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.tokens = append(t.tokens, token{kind: tokenText, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case wild && c == '*':
			flush()
			t.tokens = append(t.tokens, token{kind: tokenStar})
			i++
		case wild && c == '?':
			flush()
			t.tokens = append(t.tokens, token{kind: tokenQuestion})
			i++
		case vars && strings.HasPrefix(s[i:], "${"):
			tok, n, ok := parseVariable(s[i:])
			if !ok {
				lit.WriteString("${")
				i += 2
				continue
			}
			if tok.kind == tokenText {
				lit.WriteString(tok.text)
			} else {
				flush()
				t.tokens = append(t.tokens, tok)
			}
			i += n
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return t
}

// parseVariable parses a variable at the start of s (which begins with "${")
// and returns it with the number of bytes it spans.
func parseVariable(s string) (tok token, n int, ok bool) {
	body := s[2:]
	end := strings.IndexAny(body, ",}")
	if end < 0 {
		return token{}, 0, false
	}
	key := strings.TrimSpace(body[:end])
	if body[end] == '}' {
		switch key {
		case "":
			return token{}, 0, false
		case "*", "?", "$":
			return token{kind: tokenText, text: key}, 2 + end + 1, true
		}
		return token{kind: tokenVariable, text: strings.ToLower(key)}, 2 + end + 1, true
	}
	if key == "" {
		return token{}, 0, false
	}
	// ${key, 'default'}: the default is single-quoted with '' for a quote.
	rest := body[end+1:]
	j := len(rest) - len(strings.TrimLeft(rest, " "))
	if j >= len(rest) || rest[j] != '\'' {
		return token{}, 0, false
	}
	j++
	var def strings.Builder
	for {
		if j >= len(rest) {
			return token{}, 0, false
		}
		if rest[j] == '\'' {
			if j+1 < len(rest) && rest[j+1] == '\'' {
				def.WriteByte('\'')
				j += 2
				continue
			}
			j++
			break
		}
		def.WriteByte(rest[j])
		j++
	}
	j += len(rest[j:]) - len(strings.TrimLeft(rest[j:], " "))
	if j >= len(rest) || rest[j] != '}' {
		return token{}, 0, false
	}
	tok = token{kind: tokenVariable, text: strings.ToLower(key), fallback: def.String(), hasDefault: true}
	return tok, 2 + end + 1 + j + 1, true
}

// char is one element of a resolved pattern.
type char struct {
	r    rune
	kind tokenKind // tokenText, tokenStar or tokenQuestion
}

// resolve substitutes variables from ctx and returns the pattern as chars,
// lower-cased when fold is set. Substituted values are literal text: a '*' in
// a user name is not a wildcard. ok is false when a variable has no single
// value and no default: IAM then treats the policy element as unusable.
func (t template) resolve(ctx *requestContext, fold bool) (pattern []char, ok bool) {
	pattern = make([]char, 0, len(t.raw))
	addText := func(s string) {
		for _, r := range s {
			if fold {
				r = unicode.ToLower(r)
			}
			pattern = append(pattern, char{r: r})
		}
	}
	for _, tok := range t.tokens {
		switch tok.kind {
		case tokenText:
			addText(tok.text)
		case tokenStar, tokenQuestion:
			pattern = append(pattern, char{kind: tok.kind})
		case tokenVariable:
			vals := ctx.values(tok.text)
			switch {
			case len(vals) == 1:
				addText(vals[0])
			case tok.hasDefault:
				addText(tok.fallback)
			default:
				return nil, false
			}
		}
	}
	return pattern, true
}

// isStar reports whether the template is exactly "*", which IAM reads as
// "everything" even where wildcards otherwise stop at ARN separators.
func (t template) isStar() bool { return t.raw == "*" }

// matchPattern reports whether value matches pattern. With arn set, the value
// is matched as an ARN: wildcards do not cross the first five ':' separators,
// so each of the six components is matched on its own, as IAM's ARN
// operators and Resource element do. fold lower-cases value (the pattern must
// have been resolved with fold too).
func matchPattern(pattern []char, value string, arn, fold bool) bool {
	v := []rune(value)
	if fold {
		for i, r := range v {
			v[i] = unicode.ToLower(r)
		}
	}
	var separator []bool
	if arn {
		separator = make([]bool, len(v))
		n := 0
		for i, r := range v {
			if r == ':' && n < 5 {
				separator[i] = true
				n++
			}
		}
	}
	wildOK := func(i int) bool { return separator == nil || !separator[i] }

	// cur[i]: the pattern consumed so far matches v[:i].
	cur := make([]bool, len(v)+1)
	next := make([]bool, len(v)+1)
	cur[0] = true
	for _, c := range pattern {
		clear(next)
		alive := false
		switch c.kind {
		case tokenStar:
			for i := 0; i <= len(v); i++ {
				next[i] = cur[i] || (i > 0 && next[i-1] && wildOK(i-1))
				alive = alive || next[i]
			}
		case tokenQuestion:
			for i := 1; i <= len(v); i++ {
				next[i] = cur[i-1] && wildOK(i-1)
				alive = alive || next[i]
			}
		default:
			for i := 1; i <= len(v); i++ {
				next[i] = cur[i-1] && v[i-1] == c.r
				alive = alive || next[i]
			}
		}
		if !alive {
			return false
		}
		cur, next = next, cur
	}
	return cur[len(v)]
}
