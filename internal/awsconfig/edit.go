package awsconfig

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ErrInvalidInput is matched (errors.Is) by every refusal of a section name,
// key or value that could corrupt the file or plant extra settings.
var ErrInvalidInput = errors.New("invalid input")

// ErrEditRefused is matched (errors.Is) by every edit refused because of the
// file it would change rather than the values given: a read-only file, or an
// edit that would change other settings. The file is left as it was.
var ErrEditRefused = errors.New("edit refused")

// refusal is an error matching ErrEditRefused.
type refusal string

func (r refusal) Error() string      { return string(r) }
func (refusal) Is(target error) bool { return target == ErrEditRefused }

// errUnsafeEdit reports an edit that would change how other lines parse, for
// example a removed section whose neighbour would turn into a continuation
// line. The file is left as it was.
var errUnsafeEdit error = refusal("edit would change other settings; edit the file by hand")

// ValidateSection checks that name can be written as a section header that
// reads back as exactly name, as a section of its own, in every reader. It is
// the one check for every profile and section name that enters a file.
//
// Refused besides line breaks, NUL and brackets: "#" and ";", which the Go
// SDK v2 and the JS SDK v3 take for the start of a comment even inside a
// header (so "[dev #x]" would read as another section), and "DEFAULT",
// configparser's default section, whose keys botocore hands to every other
// section of the file. Only that exact spelling is special, as in
// configparser: "default" is the default profile.
func ValidateSection(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("section name is empty: %w", ErrInvalidInput)
	case strings.ContainsAny(name, "\r\n\x00[]"):
		return fmt.Errorf("section name contains a line break, NUL or bracket: %w", ErrInvalidInput)
	case strings.ContainsAny(name, "#;"):
		return fmt.Errorf("section name contains '#' or ';', which some SDKs read as the start of a comment: %w", ErrInvalidInput)
	case pyStrip(name) != name:
		return fmt.Errorf("section name starts or ends with white space: %w", ErrInvalidInput)
	case name == defaultSection:
		return fmt.Errorf("section name DEFAULT is the section whose keys every profile inherits: %w", ErrInvalidInput)
	}
	return nil
}

// validateExisting checks a section name that an edit only looks up, to
// remove what is there: any name a file can hold will do.
func validateExisting(name string) error {
	if name == "" {
		return fmt.Errorf("section name is empty: %w", ErrInvalidInput)
	}
	return nil
}

// ValidateKey checks that key can be written as the key of a key = value
// line. ':' is refused like '=' because configparser splits on either.
func ValidateKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("key is empty: %w", ErrInvalidInput)
	case strings.ContainsAny(key, "=:\r\n\x00["):
		return fmt.Errorf("key contains '=', ':', '[', a line break or NUL: %w", ErrInvalidInput)
	case pyStrip(key) != key:
		return fmt.Errorf("key starts or ends with white space: %w", ErrInvalidInput)
	case key[0] == '#' || key[0] == ';':
		return fmt.Errorf("key starts with a comment character: %w", ErrInvalidInput)
	}
	return nil
}

// ValidateValue checks that value fits on one line and reads back unchanged.
// Surrounding white space is refused because readers strip it.
func ValidateValue(value string) error {
	switch {
	case strings.ContainsAny(value, "\r\n\x00"):
		return fmt.Errorf("value contains a line break or NUL: %w", ErrInvalidInput)
	case pyStrip(value) != value:
		return fmt.Errorf("value starts or ends with white space: %w", ErrInvalidInput)
	case len(pySplitLines("x"+value+"x")) != 1:
		return fmt.Errorf("value contains a line separator character: %w", ErrInvalidInput)
	}
	return nil
}

// Set gives key the value in section, creating the section at the end of the
// file when missing. An existing key's line (with any continuation lines of
// it) is replaced by one line keeping its indentation, key spelling and
// separator style; a new key goes after the section's last key.
func (f *File) Set(section, key, value string) error {
	if err := errors.Join(ValidateSection(section), ValidateKey(key), ValidateValue(value)); err != nil {
		return fmt.Errorf("setting a key in %q: %w", f.name, err)
	}
	lkey := strings.ToLower(key)
	var target *span
	for _, s := range f.spans {
		if s.name != section {
			continue
		}
		if o := s.option(lkey); o != nil {
			return f.apply(section, lkey, true, func(lines []line) []line {
				return f.replaceOption(lines, o, value)
			}, value)
		}
		target = s
	}
	if target != nil {
		return f.apply(section, lkey, true, func(lines []line) []line {
			return f.insertOption(lines, target, key, value)
		}, value)
	}
	return f.apply(section, lkey, true, func(lines []line) []line {
		return f.appendSection(lines, section, key, value)
	}, value)
}

// Remove deletes key (with its continuation lines) from section. A missing
// key or section is not an error. Any existing section may be named, [DEFAULT]
// and names ValidateSection refuses for new headers included.
func (f *File) Remove(section, key string) error {
	if err := errors.Join(validateExisting(section), ValidateKey(key)); err != nil {
		return fmt.Errorf("removing a key in %q: %w", f.name, err)
	}
	lkey := strings.ToLower(key)
	for _, s := range f.spans {
		if s.name != section {
			continue
		}
		if o := s.option(lkey); o != nil {
			return f.apply(section, lkey, false, func(lines []line) []line {
				return slices.Delete(lines, o.first, o.last+1)
			}, "")
		}
	}
	return nil
}

// RemoveSection deletes every section with this header: the header, its keys,
// their continuation lines and the blank and comment lines between them.
// Blank and comment lines after the last key are kept, since they as often
// introduce the next section. A blank line right above the header goes too
// when a blank line (or the end of the file) follows the section, so that
// removing what Set appended leaves the file as it was. A missing section is
// not an error; as for Remove, any existing section may be named.
func (f *File) RemoveSection(section string) error {
	if err := validateExisting(section); err != nil {
		return fmt.Errorf("removing a section in %q: %w", f.name, err)
	}
	if !f.HasSection(section) {
		return nil
	}
	return f.apply(section, "", false, func(lines []line) []line {
		for i := len(f.spans) - 1; i >= 0; i-- {
			s := f.spans[i]
			if s.name != section {
				continue
			}
			from, to := s.header, s.lastOwned()+1
			if from > 0 && lines[from-1].kind == kindBlank && (to == len(lines) || lines[to].kind == kindBlank) {
				from--
			}
			lines = slices.Delete(lines, from, to)
		}
		return lines
	}, "")
}

// apply runs edit on a copy of the lines, re-parses the result and keeps it
// only when it parses, every other section and key reads as before, and the
// edited key (or section) reads as intended: value when set, absent otherwise.
// An empty key means the whole section was removed.
func (f *File) apply(section, key string, set bool, edit func([]line) []line, value string) error {
	unsafe := fmt.Errorf("editing %q: %w", f.name, errUnsafeEdit)
	before := f.snapshot()
	next := &File{name: f.name}
	if err := next.load(edit(slices.Clone(f.lines))); err != nil {
		return unsafe
	}
	after := next.snapshot()
	for name := range mapsUnion(before, after) {
		if name == section {
			continue
		}
		b, inBefore := before[name]
		a, inAfter := after[name]
		if inBefore != inAfter || !maps.Equal(a, b) {
			return unsafe
		}
	}
	if key == "" {
		if _, ok := after[section]; ok {
			return unsafe
		}
		*f = *next
		return nil
	}
	old, now := maps.Clone(before[section]), maps.Clone(after[section])
	delete(old, key)
	delete(now, key)
	got, present := after[section][key]
	if !maps.Equal(old, now) || present != set || got != value {
		return unsafe
	}
	*f = *next
	return nil
}

func mapsUnion(a, b map[string]map[string]string) map[string]bool {
	u := map[string]bool{}
	for k := range a {
		u[k] = true
	}
	for k := range b {
		u[k] = true
	}
	return u
}

// snapshot maps each section to the raw values of the keys it defines itself.
func (f *File) snapshot() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, s := range f.spans {
		m := out[s.name]
		if m == nil {
			m = map[string]string{}
			out[s.name] = m
		}
		for _, o := range s.options {
			m[o.key] = o.raw()
		}
	}
	return out
}

// replaceOption swaps the option's lines for one key line.
func (f *File) replaceOption(lines []line, o *option, value string) []line {
	text := lines[o.first].text
	lead := text[:len(text)-len(strings.TrimLeftFunc(text, isPySpace))]
	body := pyStrip(text)
	d := strings.IndexAny(body, "=:")
	rawKey := strings.TrimRightFunc(body[:d], isPySpace)
	rest := body[d+1:]
	sep := body[len(rawKey) : d+1]
	if rest == "" {
		if len(sep) > 1 {
			sep += " "
		}
	} else {
		sep += rest[:len(rest)-len(strings.TrimLeftFunc(rest, isPySpace))]
	}
	nl := line{text: lead + rawKey + sep + value, eol: lines[o.last].eol, kind: kindOption}
	if value == "" {
		nl.text = strings.TrimRightFunc(nl.text, isPySpace)
	}
	return slices.Replace(lines, o.first, o.last+1, nl)
}

// insertOption adds a key line after the section's last key, styled like that
// key; the indentation never exceeds what keeps the next line as it parsed.
func (f *File) insertOption(lines []line, s *span, key, value string) []line {
	at := s.lastOwned()
	lead, sep := "", " = "
	if n := len(s.options); n > 0 {
		last := lines[s.options[n-1].first].text
		lead = last[:len(last)-len(strings.TrimLeftFunc(last, isPySpace))]
		for i := n - 1; i >= 0; i-- {
			body := pyStrip(lines[s.options[i].first].text)
			d := strings.IndexAny(body, "=:")
			rawKey := strings.TrimRightFunc(body[:d], isPySpace)
			rest := body[d+1:]
			if rest != "" {
				sep = body[len(rawKey):d+1] + rest[:len(rest)-len(strings.TrimLeftFunc(rest, isPySpace))]
				break
			}
		}
	} else {
		// Only the header precedes: match the indentation of the next
		// significant line so that it cannot become a continuation of ours.
		for i := at + 1; i < len(lines); i++ {
			if k := lines[i].kind; k != kindBlank && k != kindComment {
				t := lines[i].text
				lead = t[:len(t)-len(strings.TrimLeftFunc(t, isPySpace))]
				break
			}
		}
	}
	text := lead + key + sep + value
	if value == "" {
		text = strings.TrimRightFunc(text, isPySpace)
	}
	eol := lines[at].eol
	if eol == "" {
		lines[at].eol = f.eol()
	}
	return slices.Insert(lines, at+1, line{text: text, eol: eol})
}

// appendSection adds "[section]" and the key at the end, after a blank line
// unless the file is empty. The blank line is added even after one that is
// there already, as RemoveSection removes one with the section.
func (f *File) appendSection(lines []line, section, key, value string) []line {
	eol := f.eol()
	if n := len(lines); n > 0 {
		if lines[n-1].eol == "" {
			lines[n-1].eol = eol
		}
		lines = append(lines, line{eol: eol, kind: kindBlank})
	}
	text := key + " = " + value
	if value == "" {
		text = key + " ="
	}
	return append(lines, line{text: "[" + section + "]", eol: eol}, line{text: text, eol: eol})
}

// eol is the file's line terminator: the first one it uses, else "\n".
func (f *File) eol() string {
	for _, l := range f.lines {
		if l.eol != "" {
			return l.eol
		}
	}
	return "\n"
}
