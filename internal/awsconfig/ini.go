package awsconfig

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// defaultSection is configparser's special section whose keys every other
// section of the same file inherits.
const defaultSection = "DEFAULT"

// ParseError reports a file botocore would refuse. It carries the line number
// and a fixed description, never the line's text, which may hold a secret.
type ParseError struct {
	File   string
	Line   int
	Reason string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("parsing %q: line %d: %s", e.File, e.Line, e.Reason)
}

type lineKind int

const (
	kindBlank lineKind = iota
	kindComment
	kindHeader
	kindOption
	kindContinuation
)

// line is one physical line: its text without the terminator, and the
// terminator itself ("\n", "\r\n", "\r", or "" for a last line without one).
type line struct {
	text string
	eol  string
	kind lineKind
}

// option is one key of a section as configparser assembles it.
type option struct {
	key   string // lower-cased, as configparser's optionxform makes it
	first int    // index of the key line
	last  int    // index of the last continuation line (== first when none)
	parts []string
	lines []int // 1-based line number of each part
}

// raw returns the value as configparser returns it: parts joined by line
// breaks, trailing whitespace removed.
func (o *option) raw() string {
	return strings.TrimRightFunc(strings.Join(o.parts, "\n"), isPySpace)
}

// span is one section header and the lines up to the next header.
type span struct {
	name    string
	header  int
	end     int // one past the last line of the section
	options []*option
}

func (s *span) option(key string) *option {
	for _, o := range s.options {
		if o.key == key {
			return o
		}
	}
	return nil
}

// lastOwned returns the index of the last line that belongs to the section
// for certain: the last line of its last option, or its header.
func (s *span) lastOwned() int {
	last := s.header
	for _, o := range s.options {
		last = max(last, o.last)
	}
	return last
}

// File is one config or credentials file, kept line for line so that Bytes
// reproduces the input exactly until an edit changes it.
type File struct {
	name  string
	lines []line
	spans []*span
}

// Format names the file and nothing else: a credentials file's lines are
// secrets.
func (f *File) Format(st fmt.State, _ rune) {
	fmt.Fprintf(st, "awsconfig.File(%q)", f.name)
}

// Parse reads data as botocore would. name is used only in error messages.
func Parse(name string, data []byte) (*File, error) {
	f := &File{name: name}
	if err := f.load(splitLines(data)); err != nil {
		return nil, err
	}
	return f, nil
}

// Bytes returns the file's current content.
func (f *File) Bytes() []byte {
	var b strings.Builder
	for _, l := range f.lines {
		b.WriteString(l.text)
		b.WriteString(l.eol)
	}
	return []byte(b.String())
}

// Sections returns the distinct section names in file order, [DEFAULT]
// included.
func (f *File) Sections() []string {
	var names []string
	seen := map[string]bool{}
	for _, s := range f.spans {
		if !seen[s.name] {
			seen[s.name] = true
			names = append(names, s.name)
		}
	}
	return names
}

// HasSection reports whether a section with exactly this header text exists.
func (f *File) HasSection(name string) bool {
	for _, s := range f.spans {
		if s.name == name {
			return true
		}
	}
	return false
}

// Get returns the value section itself gives key, as configparser returns
// it: for a nested sub-section that is the raw text starting with a line
// break (see Nested). The key is matched case-insensitively. Keys the section
// would inherit from [DEFAULT] are not seen: edits decide on what a section
// holds, and Config resolves what botocore would use.
func (f *File) Get(section, key string) (string, bool) {
	key = strings.ToLower(key)
	var found *option
	for _, s := range f.spans {
		if s.name == section {
			if o := s.option(key); o != nil {
				found = o
			}
		}
	}
	if found == nil {
		return "", false
	}
	return found.raw(), true
}

// Keys returns the lower-cased keys a section defines itself, in file order.
func (f *File) Keys(section string) []string {
	var keys []string
	for _, s := range f.spans {
		if s.name == section {
			for _, o := range s.options {
				keys = append(keys, o.key)
			}
		}
	}
	return keys
}

// resolved is one section as botocore hands it on: [DEFAULT] merged in,
// nested values parsed.
type resolved struct {
	name   string
	values map[string]string
	nested map[string]map[string]string
}

// resolve returns every section but [DEFAULT], in file order, as
// botocore's raw_config_parse returns them.
func (f *File) resolve() ([]resolved, error) {
	var defaults []*option
	for _, s := range f.spans {
		if s.name == defaultSection {
			defaults = append(defaults, s.options...)
		}
	}
	var out []resolved
	for _, s := range f.spans {
		if s.name == defaultSection {
			continue
		}
		r := resolved{name: s.name, values: map[string]string{}, nested: map[string]map[string]string{}}
		opts := map[string]*option{}
		for _, o := range defaults {
			opts[o.key] = o
		}
		for _, o := range s.options {
			opts[o.key] = o
		}
		for key, o := range opts {
			v := o.raw()
			if !strings.HasPrefix(v, "\n") {
				r.values[key] = v
				continue
			}
			n, err := f.parseNested(o)
			if err != nil {
				return nil, err
			}
			r.nested[key] = n
		}
		out = append(out, r)
	}
	return out, nil
}

// parseNested mirrors botocore's _parse_nested: every non-blank line of the
// value must hold '='; keys and values are trimmed, keys keep their case.
func (f *File) parseNested(o *option) (map[string]string, error) {
	n := map[string]string{}
	for i, part := range o.parts {
		for _, sub := range pySplitLines(part) {
			sub = pyStrip(sub)
			if sub == "" {
				continue
			}
			k, v, ok := strings.Cut(sub, "=")
			if !ok {
				return nil, &ParseError{File: f.name, Line: o.lines[i], Reason: "nested line is not a key = value pair"}
			}
			n[pyStrip(k)] = pyStrip(v)
		}
	}
	return n, nil
}

// load classifies lines exactly as configparser's reader does and checks the
// result the way botocore will use it.
func (f *File) load(lines []line) error {
	f.lines = lines
	f.spans = nil
	var (
		cur         *span
		opt         *option
		indentLevel int
		seenSection = map[string]bool{}
		seenOption  = map[string]bool{}
	)
	fail := func(i int, reason string) error {
		return &ParseError{File: f.name, Line: i + 1, Reason: reason}
	}
	for i := range lines {
		l := &lines[i]
		if !utf8.ValidString(l.text) {
			return fail(i, "text is not valid UTF-8")
		}
		value := pyStrip(l.text)
		if value == "" || value[0] == '#' || value[0] == ';' {
			l.kind = kindComment
			if value == "" {
				l.kind = kindBlank
				if opt != nil {
					opt.parts = append(opt.parts, "")
					opt.lines = append(opt.lines, i+1)
				}
			}
			continue
		}
		indent := pyIndent(l.text)
		if opt != nil && indent > indentLevel {
			l.kind = kindContinuation
			opt.parts = append(opt.parts, value)
			opt.lines = append(opt.lines, i+1)
			opt.last = i
			continue
		}
		indentLevel = indent
		if name, ok := headerName(value); ok {
			if name != defaultSection {
				if seenSection[name] {
					return fail(i, "section appears twice")
				}
				seenSection[name] = true
			}
			l.kind = kindHeader
			if cur != nil {
				cur.end = i
			}
			cur = &span{name: name, header: i}
			f.spans = append(f.spans, cur)
			opt = nil
			continue
		}
		if cur == nil {
			return fail(i, "key before the first section header")
		}
		d := strings.IndexAny(value, "=:")
		if d <= 0 {
			return fail(i, "line is neither a section header nor a key = value pair")
		}
		key := strings.ToLower(strings.TrimRightFunc(value[:d], isPySpace))
		id := cur.name + "\x00" + key
		if seenOption[id] {
			return fail(i, "key appears twice in its section")
		}
		seenOption[id] = true
		l.kind = kindOption
		opt = &option{key: key, first: i, last: i,
			parts: []string{pyStrip(value[d+1:])}, lines: []int{i + 1}}
		cur.options = append(cur.options, opt)
	}
	if cur != nil {
		cur.end = len(lines)
	}
	_, err := f.resolve()
	return err
}

// headerName applies configparser's section pattern, `\[(.+)\]` matched at
// the start of the stripped line: the name runs to the last ']'.
func headerName(value string) (string, bool) {
	if value[0] != '[' {
		return "", false
	}
	end := strings.LastIndexByte(value, ']')
	if end < 2 {
		return "", false
	}
	return value[1:end], true
}

// splitLines splits data on LF, CRLF and lone CR, as Python's universal
// newlines do, keeping each terminator.
func splitLines(data []byte) []line {
	var lines []line
	s := string(data)
	for len(s) > 0 {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			lines = append(lines, line{text: s})
			break
		}
		n := 1
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			n = 2
		}
		lines = append(lines, line{text: s[:i], eol: s[i : i+n]})
		s = s[i+n:]
	}
	return lines
}

// isPySpace is Python's str.isspace for one character: Unicode white space
// plus the ASCII separators U+001C..U+001F.
func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

func pyStrip(s string) string { return strings.TrimFunc(s, isPySpace) }

// pyIndent counts the characters before the first non-space one.
func pyIndent(s string) int {
	n := 0
	for _, r := range s {
		if !isPySpace(r) {
			break
		}
		n++
	}
	return n
}

// pySplitLines splits like Python's str.splitlines on the separators that can
// occur inside one physical line.
func pySplitLines(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		switch r {
		case '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			return true
		}
		return false
	})
}
