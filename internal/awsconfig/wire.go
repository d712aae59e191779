package awsconfig

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// Wiring a profile makes tools that take a profile name (the AWS CLI, the
// SDKs, Terraform, IDEs) get their credentials through awsmfa:
//
//   - The key profile (the one whose long-term key awsmfa keeps) gets
//     "credential_process = awsmfa credential-process NAME", which serves
//     its MFA session.
//   - Each role profile whose source_profile chain ends at the key profile
//     has its mfa_serial moved to the key profile, where awsmfa reads it. On
//     the role, botocore and the SDKs would ask for a code themselves; without
//     it they assume the role from the MFA session with no second prompt.
//     role_arn and source_profile stay, so every tool that reads them keeps
//     working.
//
// What was changed is recorded in the config file itself, in comment lines
// that no AWS tool reads, so that Unwire restores the previous lines byte for
// byte:
//
//   - the lines added to the key profile follow a comment naming their keys:
//     "# awsmfa-wired: added credential_process, mfa_serial; undo: awsmfa unwire NAME";
//   - a moved mfa_serial line stays where it was, behind a comment prefix:
//     "# awsmfa-wired: moved to profile "NAME": mfa_serial = …".
//
// Neither holds a secret.
const (
	wiredAddedPrefix = "# awsmfa-wired: added "
	wiredMovedPrefix = "# awsmfa-wired: moved to profile "
	keyCredProcess   = "credential_process"
	keyMFASerial     = "mfa_serial"
)

// ErrCannotWire is matched when a profile cannot be wired as it is
// configured; the message says why. Nothing was changed.
var ErrCannotWire = errors.New("cannot wire")

// ErrWiringChanged is matched when the config file changed between showing a
// wiring and applying it. Nothing was changed.
var ErrWiringChanged = errors.New("the config file changed since the wiring was shown")

// SectionChange is one config section's part of a wiring or unwiring, for
// showing the user exactly what changes.
type SectionChange struct {
	Section string   // the header's text, e.g. "profile dev"
	Removed []string // lines taken out, as they were
	Added   []string // lines put in, as they are
}

// Wiring describes a wiring (or an unwiring) of one key profile.
type Wiring struct {
	// Profile is the key profile; for Unwire of every profile, "".
	Profile string
	// Roles are the role profiles whose mfa_serial moves (or moved back).
	Roles []string
	// Changes are the edits, key profile first.
	Changes []SectionChange
	// Warnings are things the user should know about a role once wired,
	// e.g. a duration_seconds AWS refuses for a role assumed from a session.
	Warnings []string
}

// Empty reports whether there is nothing to change.
func (w *Wiring) Empty() bool { return w == nil || len(w.Changes) == 0 }

// CredentialProcessCommand is the credential_process value that runs
// "BIN credential-process PROFILE", each word quoted where it needs it (for
// botocore's shlex split and for the Go SDK's "sh -c" alike).
func CredentialProcessCommand(bin, profile string) string {
	return quoteWord(bin) + " credential-process " + quoteWord(profile)
}

// IsOwnCredentialProcess reports whether value is awsmfa serving profile
// itself: "awsmfa credential-process PROFILE", where the program may be given
// by a path ending in awsmfa (or awsmfa.exe). awsmfa treats such a profile as
// one whose key is in the vault and never runs the line, which would call
// itself.
func IsOwnCredentialProcess(value, profile string) bool {
	words, ok := SplitWords(value)
	if !ok || len(words) != 3 || words[1] != "credential-process" || words[2] != profile {
		return false
	}
	bin := words[0]
	bin = bin[strings.LastIndexAny(bin, `/\`)+1:]
	return bin == "awsmfa" || strings.EqualFold(bin, "awsmfa.exe")
}

// quoteWord quotes s for botocore's shlex split and a POSIX shell: single
// quotes when it holds anything but safe characters. On Windows, where the Go
// SDK runs the line with cmd.exe, double quotes.
func quoteWord(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.,:/@+=", r))
	}) < 0 {
		return s
	}
	if runtime.GOOS == "windows" {
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// PlanWiring computes the wiring of profile with credential_process command
// (see CredentialProcessCommand) from the files as they are now. It changes
// nothing; an error matching ErrCannotWire says why the profile cannot be
// wired.
func PlanWiring(paths Paths, profile, command string) (*Wiring, error) {
	cfgFile, credFile, err := readBoth(paths)
	if err != nil {
		return nil, err
	}
	_, w, err := planWire(paths, cfgFile, credFile, profile, command)
	return w, err
}

// Wire applies the wiring of profile under the config file's lock (see
// Update). When want is not nil it is the wiring the user approved, and the
// wiring computed under the lock must be the same, else Wire fails with
// ErrWiringChanged. A profile already wired gives an empty Wiring. The key
// profile's section is created when the config file has none; Unwire keeps
// it.
func Wire(ctx context.Context, paths Paths, profile, command string, want *Wiring) (*Wiring, error) {
	credFile, err := ReadFile(paths.Credentials)
	if err != nil {
		return nil, err
	}
	var got *Wiring
	err = Update(ctx, paths.Config, func(f *File) error {
		next, w, err := planWire(paths, f, credFile, profile, command)
		if err != nil {
			return err
		}
		if want != nil && !slices.EqualFunc(w.Changes, want.Changes, sameChange) {
			return fmt.Errorf("wiring profile %q: %w", profile, ErrWiringChanged)
		}
		*f = *next
		got = w
		return nil
	})
	return got, err
}

// Unwire undoes the wiring of profile (of every wired profile when profile is
// ""): the lines Wire added to the key profile go, and every mfa_serial line
// it moved comes back exactly as it was. A credential_process line that is no
// longer awsmfa's own is left alone, with a warning. Nothing wired gives an
// empty Wiring.
func Unwire(ctx context.Context, paths Paths, profile string) (*Wiring, error) {
	if profile != "" {
		if err := ValidateSection(profile); err != nil {
			return nil, fmt.Errorf("unwiring profile: %w", err)
		}
	}
	var got *Wiring
	err := Update(ctx, paths.Config, func(f *File) error {
		next, w, err := unwireEdit(f, profile)
		if err != nil {
			return err
		}
		*f = *next
		got = w
		return nil
	})
	return got, err
}

func readBoth(paths Paths) (cfgFile, credFile *File, err error) {
	if cfgFile, err = ReadFile(paths.Config); err != nil {
		return nil, nil, err
	}
	if credFile, err = ReadFile(paths.Credentials); err != nil {
		return nil, nil, err
	}
	return cfgFile, credFile, nil
}

func sameChange(a, b SectionChange) bool {
	return a.Section == b.Section && slices.Equal(a.Removed, b.Removed) && slices.Equal(a.Added, b.Added)
}

// roleMove is one role's mfa_serial line to move.
type roleMove struct {
	name, section string
	line          int
	serial        string
}

// planWire returns cfgFile wired for profile, and what changed.
func planWire(paths Paths, cfgFile, credFile *File, profile, command string) (*File, *Wiring, error) {
	cannot := func(format string, args ...any) error {
		return fmt.Errorf("wiring profile %q: %s: %w", profile, fmt.Sprintf(format, args...), ErrCannotWire)
	}
	if err := errors.Join(ValidateSection(profile), ValidateValue(command)); err != nil {
		return nil, nil, fmt.Errorf("wiring profile: %w", err)
	}
	if !IsOwnCredentialProcess(command, profile) {
		return nil, nil, cannot("%q is not an awsmfa credential-process line for it", command)
	}
	cfg, err := newConfig(paths, cfgFile, credFile)
	if err != nil {
		return nil, nil, err
	}
	w := &Wiring{Profile: profile}
	var keySerial string
	hasCP := false
	if key, err := cfg.Profile(profile); err == nil {
		_, web := key.Raw["web_identity_token_file"]
		switch {
		case key.RoleARN != "":
			return nil, nil, cannot("it has role_arn, and botocore ignores credential_process next to role_arn; wire the profile that holds the key")
		case key.CredentialSource != "", web, key.HasSSO, key.SSOSession != "":
			return nil, nil, cannot("it gets its credentials from another source (credential_source, web identity or SSO)")
		case key.StaticKeys:
			return nil, nil, cannot("it still has a key in plaintext, which botocore would use instead; import it first")
		case key.CredentialProcess != "" && !IsOwnCredentialProcess(key.CredentialProcess, profile):
			return nil, nil, cannot("it already has a credential_process of another program, which wiring would replace")
		}
		keySerial, hasCP = key.MFASerial, key.CredentialProcess != ""
	} else if !errors.Is(err, ErrProfileNotFound) {
		return nil, nil, err
	}
	for _, k := range []string{keyMFASerial, keyCredProcess, "role_arn"} {
		if _, ok := cfgFile.Get(defaultSection, k); ok {
			return nil, nil, cannot("[DEFAULT] in %s sets %s for every profile; remove it first", paths.Config, k)
		}
	}

	next := &File{name: cfgFile.name}
	if err := next.load(slices.Clone(cfgFile.lines)); err != nil {
		return nil, nil, err
	}
	header := next.profileSection(profile)
	var keyChange SectionChange
	keyChange.Section = header
	created := false
	if !next.HasSection(header) {
		if err := next.addSection(header); err != nil {
			return nil, nil, err
		}
		created = true
	}

	var moves []roleMove
	serials := map[string][]string{}
	for _, name := range cfg.ProfileNames() {
		p, err := cfg.Profile(name)
		if err != nil || p.RoleARN == "" || name == profile {
			continue
		}
		chain, err := cfg.SourceChain(name, func(n string) bool { return n == profile })
		if err != nil || len(chain) < 2 || chain[len(chain)-1].Name != profile {
			continue
		}
		w.Roles = append(w.Roles, name)
		if p.DurationSeconds > 3600 {
			w.Warnings = append(w.Warnings, fmt.Sprintf("profile %s asks for duration_seconds = %d, but AWS caps a role assumed from an MFA session at 3600; tools using it through the wiring will fail (awsmfa exec %s still works)", name, p.DurationSeconds, name))
		}
		if p.MFASerial == "" {
			continue
		}
		section := next.profileSection(name)
		o := next.ownOption(section, keyMFASerial)
		if o == nil {
			return nil, nil, cannot("role profile %s takes mfa_serial from the credentials file; move it to the config file first", name)
		}
		if o.first != o.last {
			return nil, nil, cannot("the mfa_serial of role profile %s spans several lines", name)
		}
		moves = append(moves, roleMove{name: name, section: section, line: o.first, serial: p.MFASerial})
		serials[p.MFASerial] = append(serials[p.MFASerial], name)
	}
	if len(serials) > 1 {
		var each []string
		for _, s := range slices.Sorted(maps.Keys(serials)) {
			each = append(each, fmt.Sprintf("%s (%s)", s, strings.Join(serials[s], ", ")))
		}
		return nil, nil, cannot("its roles name different MFA devices: %s; make them name one", strings.Join(each, "; "))
	}
	addSerial := ""
	for s, roles := range serials {
		switch {
		case keySerial == "":
			addSerial = s
		case keySerial != s:
			return nil, nil, cannot("it names mfa_serial %s but role profile %s names %s; make them name one", keySerial, roles[0], s)
		}
	}

	// The moved lines become comments in place; line numbers do not shift.
	lines := next.lines
	var roleChanges []SectionChange
	for _, m := range moves {
		orig := lines[m.line].text
		lines[m.line].text = wiredMovedPrefix + strconv.Quote(profile) + ": " + orig
		roleChanges = append(roleChanges, SectionChange{Section: m.section, Removed: []string{orig}, Added: []string{lines[m.line].text}})
	}

	var added []string
	if !hasCP {
		added = append(added, keyCredProcess)
	}
	if addSerial != "" {
		added = append(added, keyMFASerial)
	}
	if len(added) > 0 {
		var s *span
		for _, sp := range next.spans {
			if sp.name == header {
				s = sp
			}
		}
		at := s.lastOwned()
		lead := insertLead(lines, s, at)
		block := []string{lead + wiredAddedPrefix + strings.Join(added, ", ") + "; undo: awsmfa unwire " + quoteWord(profile)}
		for _, k := range added {
			v := command
			if k == keyMFASerial {
				v = addSerial
			}
			block = append(block, lead+k+" = "+v)
		}
		eol := lines[at].eol
		if eol == "" {
			lines[at].eol = next.eol()
		}
		ins := make([]line, len(block))
		for i, t := range block {
			ins[i] = line{text: t, eol: next.eol()}
		}
		ins[len(ins)-1].eol = eol
		lines = slices.Insert(lines, at+1, ins...)
		keyChange.Added = block
	}
	if created {
		keyChange.Added = append([]string{"[" + header + "]"}, keyChange.Added...)
	}
	if len(keyChange.Added) > 0 {
		w.Changes = append(w.Changes, keyChange)
	}
	w.Changes = append(w.Changes, roleChanges...)
	if w.Empty() {
		return cfgFile, w, nil
	}

	result := &File{name: cfgFile.name}
	if err := result.load(lines); err != nil {
		return nil, nil, fmt.Errorf("wiring profile %q in %q: %w", profile, cfgFile.name, errUnsafeEdit)
	}
	want := map[string]func(before map[string]string) map[string]string{
		header: func(before map[string]string) map[string]string {
			m := mapsClone(before)
			for _, k := range added {
				m[k] = command
				if k == keyMFASerial {
					m[k] = addSerial
				}
			}
			return m
		},
	}
	for _, m := range moves {
		want[m.section] = func(before map[string]string) map[string]string {
			m := mapsClone(before)
			delete(m, keyMFASerial)
			return m
		}
	}
	if !editIsExact(cfgFile.snapshot(), result.snapshot(), want) {
		return nil, nil, fmt.Errorf("wiring profile %q in %q: %w", profile, cfgFile.name, errUnsafeEdit)
	}
	return result, w, nil
}

// unwireEdit returns f with the wiring of profile (of all when "") undone.
func unwireEdit(f *File, profile string) (*File, *Wiring, error) {
	w := &Wiring{Profile: profile}
	lines := slices.Clone(f.lines)
	drop := map[int]bool{}
	want := map[string]func(map[string]string) map[string]string{}
	for _, s := range f.spans {
		name, isProfile := profileOfSection(s.name)
		if !isProfile {
			continue
		}
		var ch SectionChange
		ch.Section = s.name
		var restored, removed []string
		for i := s.header + 1; i < s.end; i++ {
			if lines[i].kind != kindComment {
				continue
			}
			text := lines[i].text
			if rest, ok := strings.CutPrefix(text, wiredMovedPrefix); ok {
				key, orig, ok := parseMoved(rest)
				if !ok || (profile != "" && key != profile) {
					continue
				}
				lines[i].text = orig
				ch.Removed = append(ch.Removed, text)
				ch.Added = append(ch.Added, orig)
				restored = append(restored, keyMFASerial)
				if !slices.Contains(w.Roles, name) {
					w.Roles = append(w.Roles, name)
				}
				continue
			}
			rest, ok := strings.CutPrefix(strings.TrimLeftFunc(text, isPySpace), wiredAddedPrefix)
			if !ok || (profile != "" && name != profile) {
				continue
			}
			keys, _, _ := strings.Cut(rest, ";")
			drop[i] = true
			ch.Removed = append(ch.Removed, text)
			for k := range strings.SplitSeq(keys, ",") {
				k = strings.TrimSpace(k)
				if k != keyCredProcess && k != keyMFASerial {
					continue
				}
				o := s.option(k)
				if o == nil {
					continue
				}
				if k == keyCredProcess && !IsOwnCredentialProcess(o.raw(), name) {
					w.Warnings = append(w.Warnings, fmt.Sprintf("profile %s: credential_process is no longer awsmfa's own line and stays", name))
					continue
				}
				for j := o.first; j <= o.last; j++ {
					drop[j] = true
					ch.Removed = append(ch.Removed, lines[j].text)
				}
				removed = append(removed, k)
			}
		}
		if len(ch.Removed) == 0 {
			continue
		}
		w.Changes = append(w.Changes, ch)
		want[s.name] = func(before map[string]string) map[string]string {
			m := mapsClone(before)
			for _, k := range removed {
				delete(m, k)
			}
			if len(restored) > 0 {
				m[keyMFASerial] = "" // any value: checked below to be present
			}
			return m
		}
	}
	if w.Empty() {
		return f, w, nil
	}
	lastNoEOL := len(lines) > 0 && drop[len(lines)-1] && lines[len(lines)-1].eol == ""
	for i := len(lines) - 1; i >= 0; i-- {
		if drop[i] {
			lines = slices.Delete(lines, i, i+1)
		}
	}
	if lastNoEOL && len(lines) > 0 {
		// Wire gave the line it inserted after a line ending; take it back.
		lines[len(lines)-1].eol = ""
	}
	result := &File{name: f.name}
	if err := result.load(lines); err != nil {
		return nil, nil, fmt.Errorf("unwiring in %q: %w", f.name, errUnsafeEdit)
	}
	after := result.snapshot()
	// A restored mfa_serial's value is whatever the line said; copy it
	// into the expectation before comparing everything else exactly.
	for sec, fn := range want {
		want[sec] = func(before map[string]string) map[string]string {
			m := fn(before)
			if _, ok := m[keyMFASerial]; ok {
				if v, ok := after[sec][keyMFASerial]; ok {
					m[keyMFASerial] = v
				}
			}
			return m
		}
	}
	if !editIsExact(f.snapshot(), after, want) {
		return nil, nil, fmt.Errorf("unwiring in %q: %w", f.name, errUnsafeEdit)
	}
	return result, w, nil
}

// parseMoved reads `"NAME": ORIGINAL` after wiredMovedPrefix.
func parseMoved(rest string) (profile, orig string, ok bool) {
	q, err := strconv.QuotedPrefix(rest)
	if err != nil {
		return "", "", false
	}
	profile, err = strconv.Unquote(q)
	if err != nil {
		return "", "", false
	}
	orig, ok = strings.CutPrefix(rest[len(q):], ": ")
	return profile, orig, ok
}

// profileOfSection names the profile a config-file section defines.
func profileOfSection(header string) (string, bool) {
	if header == "default" {
		return "default", true
	}
	if strings.HasPrefix(header, "profile") {
		return secondWord(header)
	}
	return "", false
}

// ownOption is the option key that section itself defines (the last
// definition when the section repeats).
func (f *File) ownOption(section, key string) *option {
	var found *option
	for _, s := range f.spans {
		if s.name == section {
			if o := s.option(key); o != nil {
				found = o
			}
		}
	}
	return found
}

// insertLead is the indentation for lines inserted after line at of s: that
// of the section's last key, else that of the next significant line, so that
// neither the inserted lines nor the next one turn into continuations.
func insertLead(lines []line, s *span, at int) string {
	indent := func(t string) string { return t[:len(t)-len(strings.TrimLeftFunc(t, isPySpace))] }
	if n := len(s.options); n > 0 {
		return indent(lines[s.options[n-1].first].text)
	}
	for i := at + 1; i < len(lines); i++ {
		if k := lines[i].kind; k != kindBlank && k != kindComment {
			return indent(lines[i].text)
		}
	}
	return ""
}

// editIsExact reports whether after differs from before only as want says:
// for each section named in want, want(before's keys) must be after's keys
// (the section may be new); every other section must be present in both or
// neither, with the same keys and values.
func editIsExact(before, after map[string]map[string]string, want map[string]func(map[string]string) map[string]string) bool {
	for name := range mapsUnion(before, after) {
		b, inBefore := before[name]
		a, inAfter := after[name]
		if fn, ok := want[name]; ok {
			if !inAfter {
				return false
			}
			b = fn(b)
		} else if inBefore != inAfter {
			return false
		}
		if !maps.Equal(a, b) {
			return false
		}
	}
	return true
}

func mapsClone(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// WiredProfiles names the profiles the config file at path has wired (a
// marker of added lines in their section), in file order.
func WiredProfiles(path string) ([]string, error) {
	f, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range f.spans {
		name, ok := profileOfSection(s.name)
		if !ok {
			continue
		}
		for i := s.header + 1; i < s.end; i++ {
			text := strings.TrimLeftFunc(f.lines[i].text, isPySpace)
			if f.lines[i].kind == kindComment && strings.HasPrefix(text, wiredAddedPrefix) && !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	return out, nil
}
