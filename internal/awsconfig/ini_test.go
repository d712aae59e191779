package awsconfig

import (
	"errors"
	"maps"
	"strings"
	"testing"
)

// The expected values below were obtained by running botocore 1.43's
// configloader on the same inputs.
func TestParseLikeBotocore(t *testing.T) {
	tests := []struct {
		name, in string
		section  string
		key      string
		want     string
		wantOK   bool
	}{
		{"spaces around equals", "[a]\nk = v\n", "a", "k", "v", true},
		{"no spaces", "[a]\nk=v\n", "a", "k", "v", true},
		{"colon delimiter", "[a]\nk: v\n", "a", "k", "v", true},
		{"first delimiter splits", "[a]\nrole_arn = arn:aws:iam::1:role/r\n", "a", "role_arn", "arn:aws:iam::1:role/r", true},
		{"colon before equals", "[a]\nk:x = v\n", "a", "k", "x = v", true},
		{"no inline comment stripping", "[a]\nregion = us-east-1 # c\n", "a", "region", "us-east-1 # c", true},
		{"semicolon kept", "[a]\nfoo = x;y ; z\n", "a", "foo", "x;y ; z", true},
		{"keys are lower-cased", "[a]\nRegion2 = Q\n", "a", "region2", "Q", true},
		{"lookup ignores case", "[a]\nregion = Q\n", "a", "REGION", "Q", true},
		{"full-line comments", "[a]\n# k = 1\n  ; k = 2\nk = 3\n", "a", "k", "3", true},
		{"continuation line", "[a]\nregion = x\n  foo = y\n", "a", "region", "x\nfoo = y", true},
		{"continuation after blank line", "[a]\nk = x\n\n  y\n", "a", "k", "x\n\ny", true},
		{"trailing blank lines dropped", "[a]\nk = x\n\n\n[b]\n", "a", "k", "x", true},
		{"indented continued key is not a key", "[a]\nregion = x\n  foo = y\n", "a", "foo", "", false},
		{"indented keys after header", "[a]\n  k = 1\n  j = 2\n", "a", "j", "2", true},
		{"header trailing text ignored", "[a] junk\nk = 1\n", "a", "k", "1", true},
		{"header runs to last bracket", "[a]b]\nx=1\n", "a]b", "x", "1", true},
		{"header keeps inner blanks", "[ default ]\nk=1\n", " default ", "k", "1", true},
		// Issue 7 item 1: edits decide on a section's own keys; what
		// botocore inherits from [DEFAULT] is Config's business.
		{"DEFAULT is not seen through a section", "[DEFAULT]\nzz = 1\n[a]\nk = 2\n", "a", "zz", "", false},
		{"DEFAULT's own key", "[DEFAULT]\nzz = 1\n[a]\nk = 2\n", "DEFAULT", "zz", "1", true},
		{"own key beats DEFAULT", "[DEFAULT]\nk = 1\n[a]\nk = 2\n", "a", "k", "2", true},
		{"lone CR line breaks", "[default]\rregion = a\r", "default", "region", "a", true},
		{"CRLF", "[a]\r\nk = v\r\n", "a", "k", "v", true},
		{"empty value", "[a]\ne =\n", "a", "e", "", true},
		{"python white space stripped", "[a]\nu = \u00a0x\u00a0\n", "a", "u", "x", true},
		{"missing key", "[a]\nk = v\n", "a", "nope", "", false},
		{"missing section", "[a]\nk = v\n", "b", "k", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("cfg", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			got, ok := f.Get(tt.section, tt.key)
			if ok != tt.wantOK || got != tt.want {
				t.Errorf("Get(%q, %q) = %q, %v; want %q, %v", tt.section, tt.key, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestParseNested(t *testing.T) {
	in := "[default]\ns3 =\n  max = 10\n\n  # c\n  b=2\n  B = 3\nk = v\n"
	f, err := Parse("cfg", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := f.resolve()
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 {
		t.Fatalf("got %d sections, want 1", len(rs))
	}
	want := map[string]string{"max": "10", "b": "2", "B": "3"}
	if got := rs[0].nested["s3"]; !maps.Equal(got, want) {
		t.Errorf("nested s3 = %v, want %v", got, want)
	}
	if _, ok := rs[0].values["max"]; ok {
		t.Error("nested key leaked to the top level")
	}
	if rs[0].values["k"] != "v" {
		t.Errorf("k = %q, want v", rs[0].values["k"])
	}
}

func TestParseErrors(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	tests := []struct {
		name, in string
		line     int
	}{
		{"key before any section", "# c\naws_secret_access_key = " + secret + "\n", 2},
		{"line without delimiter", "[a]\nk = 1\n" + secret + "\n", 3},
		{"line starting with delimiter", "[a]\n=" + secret + "\n", 2},
		{"duplicate key", "[a]\nk = 1\nk = " + secret + "\n", 3},
		{"duplicate key differing in case", "[a]\nregion = a\nRegion = " + secret + "\n", 3},
		{"duplicate section", "[a]\n[b]\n[a]\n", 3},
		{"empty brackets", "[a]\n[]\n", 2},
		{"unclosed bracket", "[a]\n[" + secret + "\n", 2},
		{"nested line without equals", "[a]\ns3 =\n  " + secret + "\n", 3},
		{"byte order mark", "\ufeff[default]\nregion = a\n", 1},
		{"invalid UTF-8", "[a]\nk = \xff" + secret + "\n", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("/home/u/.aws/config", []byte(tt.in))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a *ParseError", err)
			}
			if pe.Line != tt.line || pe.File != "/home/u/.aws/config" {
				t.Errorf("error at %s:%d, want line %d", pe.File, pe.Line, tt.line)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "aws_secret") {
				t.Errorf("error reveals line content: %v", err)
			}
		})
	}
}

// DEFAULT's keys are only parsed through other sections, so a broken nested
// value there is harmless while it has none, as in botocore.
func TestDefaultOnlyNestedNotChecked(t *testing.T) {
	if _, err := Parse("cfg", []byte("[DEFAULT]\ns3 =\n  nokey\n")); err != nil {
		t.Errorf("lone [DEFAULT]: %v", err)
	}
	if _, err := Parse("cfg", []byte("[DEFAULT]\ns3 =\n  nokey\n[a]\n")); err == nil {
		t.Error("[DEFAULT] inherited by [a]: want error")
	}
}

func TestShellSplit(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		ok   bool
	}{
		{"profile a", []string{"profile", "a"}, true},
		{"profile  a.b ", []string{"profile", "a.b"}, true},
		{`profile "my prof"`, []string{"profile", "my prof"}, true},
		{`profile 'x y'`, []string{"profile", "x y"}, true},
		{`profile a"b c"d`, []string{"profile", "ab cd"}, true},
		{`profile "q\"r\x"`, []string{"profile", `q"r\x`}, true},
		{`profile a\ b`, []string{"profile", "a b"}, true},
		{`profile ""`, []string{"profile", ""}, true},
		{`profile "open`, nil, false},
		{`profile a\`, nil, false},
	}
	for _, tt := range tests {
		got, ok := SplitWords(tt.in)
		if ok != tt.ok || strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
			t.Errorf("SplitWords(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestProfileHeaderRoundTrip(t *testing.T) {
	for _, name := range []string{"a", "a.b", "dev-1", "my prof", `q"uote`, `back\slash`, "tab\tname", "it's", "default"} {
		h := profileHeader(name)
		if name == "default" {
			if h != "default" {
				t.Errorf("header for default = %q", h)
			}
			continue
		}
		if got, ok := secondWord(h); !ok || got != name {
			t.Errorf("profileHeader(%q) = %q, reads back as %q, %v", name, h, got, ok)
		}
	}
}
