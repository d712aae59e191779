package policy

import (
	"testing"
)

func TestMatchPattern(t *testing.T) {
	tests := []struct {
		pattern, value string
		arn, fold      bool
		want           bool
	}{
		{"abc", "abc", false, false, true},
		{"abc", "abd", false, false, false},
		{"abc", "ab", false, false, false},
		{"", "", false, false, true},
		{"", "a", false, false, false},
		{"*", "", false, false, true},
		{"*", "anything:at/all", false, false, true},
		{"a*c", "ac", false, false, true},
		{"a*c", "abbbc", false, false, true},
		{"a*c", "abbbd", false, false, false},
		{"a?c", "abc", false, false, true},
		{"a?c", "ac", false, false, false},
		{"a??", "aéz", false, false, true}, // '?' is one character, not one byte
		{"*a*a*a*", "aaa", false, false, true},
		{"*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false, false, false},
		{"iam:list*", "IAM:ListUsers", false, true, true},
		{"IAM:LIST*", "iam:listusers", false, true, true},
		{"iam:list*", "IAM:ListUsers", false, false, false},
		// ARN mode: wildcards stay within the first five components.
		{"arn:aws:iam::*:user/*", "arn:aws:iam::123456789012:user/alice", true, false, true},
		{"arn:aws:iam::*:user/*", "arn:aws:iam::123456789012:role/alice", true, false, false},
		{"arn:aws:iam:*::user/alice", "arn:aws:iam::123456789012:user/alice", true, false, false},
		{"arn:aws:iam:*:user/alice", "arn:aws:iam::123456789012:user/alice", false, false, true},
		{"arn:aws:iam:*:user/alice", "arn:aws:iam::123456789012:user/alice", true, false, false},
		{"arn:aws:?am::*:*", "arn:aws:iam::1:x", true, false, true},
		{"arn:aws:iam:?:1:x", "arn:aws:iam:::1:x", true, false, false},
		{"arn:aws:logs:*:*:*", "arn:aws:logs:r:1:log-group:g:x", true, false, true},
	}
	for _, tt := range tests {
		p, ok := compileTemplate(tt.pattern, true, false).resolve(newRequestContext(nil), tt.fold)
		if !ok {
			t.Fatalf("resolve(%q) failed", tt.pattern)
		}
		if got := matchPattern(p, tt.value, tt.arn, tt.fold); got != tt.want {
			t.Errorf("match(%q, %q, arn=%v, fold=%v) = %v, want %v", tt.pattern, tt.value, tt.arn, tt.fold, got, tt.want)
		}
	}
}

// render shows a resolved pattern with wildcards as '*'/'?' and literal
// wildcard characters escaped, to compare resolution results as text.
func render(p []char) string {
	var out []rune
	for _, c := range p {
		switch c.kind {
		case tokenStar:
			out = append(out, '*')
		case tokenQuestion:
			out = append(out, '?')
		default:
			if c.r == '*' || c.r == '?' || c.r == '\\' {
				out = append(out, '\\')
			}
			out = append(out, c.r)
		}
	}
	return string(out)
}

func TestTemplateResolve(t *testing.T) {
	ctx := newRequestContext(map[string][]string{
		"aws:username":          {"alice"},
		"aws:PrincipalTag/team": {"a*b"},
		"aws:multi":             {"x", "y"},
		"aws:empty":             {},
	})
	tests := []struct {
		in     string
		wild   bool
		vars   bool
		want   string
		wantOK bool
	}{
		{"home/${aws:username}/*", true, true, "home/alice/*", true},
		{"${AWS:UserName}", true, true, "alice", true},                   // keys are case-insensitive
		{"${ aws:username }", true, true, "alice", true},                 // spaces trimmed
		{"${aws:PrincipalTag/team}", true, true, `a\*b`, true},           // substituted text is literal
		{"${aws:username}", true, false, "${aws:username}", true},        // variables off (2008 version)
		{"${aws:missing}", true, true, "", false},                        // unresolved
		{"${aws:multi}", true, true, "", false},                          // multivalued keys cannot substitute
		{"${aws:empty, 'none'}", true, true, "none", true},               // default
		{"${aws:missing, 'it''s'}", true, true, "it's", true},            // quote escape in default
		{"${aws:missing,'x}y'}", true, true, "x}y", true},                // brace inside default
		{"${aws:username, 'unused'}", true, true, "alice", true},         // default unused
		{"a${*}b${?}c${$}", true, true, `a\*b\?c$`, true},                // escapes
		{"a*${?}", false, true, `a\*\?`, true},                           // no wildcards: '*' literal
		{"${aws:username", true, true, "${aws:username", true},           // unclosed: literal
		{"${}", true, true, "${}", true},                                 // empty: literal
		{"${aws:x, nodefault}", true, true, "${aws:x, nodefault}", true}, // malformed default: literal
		{"${aws:x, 'open}", true, true, "${aws:x, 'open}", true},         // unterminated default: literal
		{"${aws:x, 'd' junk}", true, true, "${aws:x, 'd' junk}", true},   // junk after default: literal
		{"$${aws:username}", true, true, "$alice", true},
	}
	for _, tt := range tests {
		p, ok := compileTemplate(tt.in, tt.wild, tt.vars).resolve(ctx, false)
		if ok != tt.wantOK {
			t.Errorf("resolve(%q) ok = %v, want %v", tt.in, ok, tt.wantOK)
			continue
		}
		if got := render(p); ok && got != tt.want {
			t.Errorf("resolve(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
