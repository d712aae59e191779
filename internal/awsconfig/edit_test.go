package awsconfig

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
)

func TestValidation(t *testing.T) {
	tests := []struct {
		name                string
		section, key, value string
	}{
		{"value plants a key", "default", "region", "us-east-1\ncredential_process = evil"},
		{"value plants a key with CR", "default", "region", "us-east-1\rcredential_process = evil"},
		{"value plants a key with CRLF", "default", "region", "x\r\n[profile evil]"},
		{"value with NUL", "default", "region", "a\x00b"},
		{"value with vertical tab", "default", "region", "a\vb"},
		{"value with leading blank", "default", "region", " a"},
		{"value with trailing blank", "default", "region", "a\t"},
		{"section with newline", "a\n[b]", "k", "v"},
		{"section with CR", "a\rb", "k", "v"},
		{"section with NUL", "a\x00", "k", "v"},
		{"section with open bracket", "a[b", "k", "v"},
		{"section with close bracket", "a]b", "k", "v"},
		{"empty section", "", "k", "v"},
		// Issue 7 item 6: the Go SDK v2 and JS SDK v3 end a header at '#'
		// or ';', so "[dev #sess]" would read as [dev] there.
		{"section with hash", "dev #sess", "k", "v"},
		{"section with semicolon", "dev;sess", "k", "v"},
		{"section starting with hash", "#dev", "k", "v"},
		{"profile section with hash", "profile a#b", "k", "v"},
		// Issue 7 item 1: configparser's default section, inherited by
		// every other section; only this exact spelling.
		{"DEFAULT section", "DEFAULT", "k", "v"},
		{"section with outer blanks", " a", "k", "v"},
		{"key with equals", "a", "k=x", "v"},
		{"key with colon", "a", "k:x", "v"},
		{"key with leading blank", "a", " k", "v"},
		{"key with trailing blank", "a", "k ", "v"},
		{"key with newline", "a", "k\nx", "v"},
		{"key with CR", "a", "k\rx", "v"},
		{"key with NUL", "a", "k\x00", "v"},
		{"key with bracket", "a", "[k", "v"},
		{"key starting with hash", "a", "#k", "v"},
		{"key starting with semicolon", "a", ";k", "v"},
		{"empty key", "a", "", "v"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const orig = "[default]\nregion = eu-west-1\n"
			f, err := Parse("cfg", []byte(orig))
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Set(tt.section, tt.key, tt.value); !errors.Is(err, ErrInvalidInput) {
				t.Errorf("Set = %v, want ErrInvalidInput", err)
			}
			if got := string(f.Bytes()); got != orig {
				t.Errorf("file changed to %q", got)
			}
		})
	}
	// The same checks guard removal and the convenience functions.
	f, err := Parse("cfg", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Remove("a", "k\nb"); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("Remove = %v", err)
	}
	if err := f.Remove("", "k"); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("Remove = %v", err)
	}
	if err := f.RemoveSection(""); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("RemoveSection = %v", err)
	}
	paths := Paths{Config: t.TempDir() + "/config", Credentials: t.TempDir() + "/credentials"}
	if err := SetProfileKey(t.Context(), paths, "evil]\n[x", "region", "a"); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("SetProfileKey = %v", err)
	}
	if err := SetProfileKey(t.Context(), paths, "p", "region", "a\ncredential_process = evil"); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("SetProfileKey = %v", err)
	}
	for _, name := range []string{"DEFAULT", "dev #sess", "dev;x"} {
		if err := SetProfileKey(t.Context(), paths, name, "aws_access_key_id", "AKIA"); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("SetProfileKey(%q) = %v", name, err)
		}
		if err := AddProfile(t.Context(), paths, name); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("AddProfile(%q) = %v", name, err)
		}
	}
	if _, err := os.Stat(paths.Credentials); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused edit created the credentials file: %v", err)
	}
	// Names that differ from DEFAULT only in case are ordinary sections.
	for _, name := range []string{"default", "Default", "DEFAULTS"} {
		if err := ValidateSection(name); err != nil {
			t.Errorf("ValidateSection(%q) = %v", name, err)
		}
	}
}

func TestEditsKeepOtherSections(t *testing.T) {
	const orig = "[profile a]\nregion = r-a\nmfa_serial = m-a\n\n[profile a.b]\nregion = r-ab\n"
	tests := []struct {
		name string
		edit func(*File) error
		want string
	}{
		{"set in a.b", func(f *File) error { return f.Set("profile a.b", "region", "x") },
			"[profile a]\nregion = r-a\nmfa_serial = m-a\n\n[profile a.b]\nregion = x\n"},
		{"set in a", func(f *File) error { return f.Set("profile a", "region", "x") },
			"[profile a]\nregion = x\nmfa_serial = m-a\n\n[profile a.b]\nregion = r-ab\n"},
		{"new key in a goes before the blank line", func(f *File) error { return f.Set("profile a", "output", "json") },
			"[profile a]\nregion = r-a\nmfa_serial = m-a\noutput = json\n\n[profile a.b]\nregion = r-ab\n"},
		{"remove from a", func(f *File) error { return f.Remove("profile a", "region") },
			"[profile a]\nmfa_serial = m-a\n\n[profile a.b]\nregion = r-ab\n"},
		{"remove section a", func(f *File) error { return f.RemoveSection("profile a") },
			"\n[profile a.b]\nregion = r-ab\n"},
		{"key matched regardless of case", func(f *File) error { return f.Set("profile a", "REGION", "x") },
			"[profile a]\nregion = x\nmfa_serial = m-a\n\n[profile a.b]\nregion = r-ab\n"},
		{"same value changes nothing", func(f *File) error { return f.Set("profile a", "region", "r-a") }, orig},
		{"missing key removal changes nothing", func(f *File) error { return f.Remove("profile a", "nope") }, orig},
		{"missing section removal changes nothing", func(f *File) error { return f.RemoveSection("profile nope") }, orig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("cfg", []byte(orig))
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.edit(f); err != nil {
				t.Fatal(err)
			}
			if got := string(f.Bytes()); got != tt.want {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestEditStyle(t *testing.T) {
	tests := []struct {
		name, in            string
		section, key, value string
		want                string
	}{
		{"keeps indentation and tight equals", "[a]\n  k=v\n", "a", "k", "w", "[a]\n  k=w\n"},
		{"keeps colon style", "[a]\nk: v\n", "a", "k", "w", "[a]\nk: w\n"},
		{"keeps spelling of key", "[a]\nRegion = v\n", "a", "region", "w", "[a]\nRegion = w\n"},
		{"new key copies indentation and style", "[a]\n  k=v\n", "a", "j", "w", "[a]\n  k=v\n  j=w\n"},
		{"new key after continuation lines", "[a]\nk = v\n  more\n", "a", "j", "w", "[a]\nk = v\n  more\nj = w\n"},
		{"empty value written without trailing blank", "[a]\nk = v\n", "a", "k", "", "[a]\nk =\n"},
		{"continuation value replaced by one line", "[a]\nk = v\n\n  more\n# after\n", "a", "k", "w", "[a]\nk = w\n# after\n"},
		{"new section in empty file has no blank line", "", "a", "k", "v", "[a]\nk = v\n"},
		{"new section after trailing blank line", "[b]\nk = v\n\n", "a", "k", "v", "[b]\nk = v\n\n\n[a]\nk = v\n"},
		{"key into header-only section before indented header",
			"[a]\n  [b]\n  k = 1\n", "a", "j", "2", "[a]\n  j = 2\n  [b]\n  k = 1\n"},
		{"value with hash and brackets is kept literally", "[a]\n", "a", "k", "x # [b] ; y", "[a]\nk = x # [b] ; y\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("cfg", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Set(tt.section, tt.key, tt.value); err != nil {
				t.Fatal(err)
			}
			if got := string(f.Bytes()); got != tt.want {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
			if got, ok := f.Get(tt.section, tt.key); !ok || got != tt.value {
				t.Errorf("Get = %q, %v; want %q", got, ok, tt.value)
			}
		})
	}
}

// Removing [b] would turn the indented [c] into a continuation of k: the
// editor must refuse rather than silently change [c].
func TestUnsafeEditRefused(t *testing.T) {
	const orig = "[a]\nk = 1\n[b]\n    m = 2\n    [c]\n    n = 3\n"
	f, err := Parse("cfg", []byte(orig))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.RemoveSection("b"); !errors.Is(err, errUnsafeEdit) {
		t.Errorf("RemoveSection = %v, want errUnsafeEdit", err)
	}
	if got := string(f.Bytes()); got != orig {
		t.Errorf("file changed to %q", got)
	}
}

func TestRemoveSectionKeepsTrailingComments(t *testing.T) {
	const orig = "[a]\nk = 1\n# inside\nj = 2\n\n# about b\n[b]\nk = 2\n"
	f, err := Parse("cfg", []byte(orig))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.RemoveSection("a"); err != nil {
		t.Fatal(err)
	}
	if got, want := string(f.Bytes()), "\n# about b\n[b]\nk = 2\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if strings.Contains(string(f.Bytes()), "inside") {
		t.Error("comment inside the section survived")
	}
}

func TestProfileSection(t *testing.T) {
	tests := []struct {
		in, profile, want string
	}{
		{"", "default", "default"},
		{"", "a", "profile a"},
		{"", "my prof", `profile "my prof"`},
		{"[profile default]\n", "default", "profile default"},
		{"[default]\n[profile default]\n", "default", "profile default"},
		{"[profile default]\n[default]\n", "default", "default"},
		{"[profile \"a\"]\n", "a", `profile "a"`},
		{"[profile  a ]\n[profile a.b]\n", "a", "profile  a "},
		{"[a]\n", "a", "profile a"},
	}
	for _, tt := range tests {
		f, err := Parse("cfg", []byte(tt.in))
		if err != nil {
			t.Fatal(err)
		}
		if got := f.profileSection(tt.profile); got != tt.want {
			t.Errorf("profileSection(%q) in %q = %q, want %q", tt.profile, tt.in, got, tt.want)
		}
	}
}
