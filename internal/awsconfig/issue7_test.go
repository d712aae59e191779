package awsconfig

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/awsmfa/awsmfa/internal/fsutil"
)

// Issue 7 item 15a: every write+clear cycle added a blank line. Appending a
// section and removing it again must give back the file byte for byte, also
// when several sections were appended and are removed in any order.
func TestAppendThenRemoveSectionIsIdentity(t *testing.T) {
	inputs := map[string]string{
		"empty":               "",
		"ends with newline":   "[ci]\naws_access_key_id = AKIAEXAMPLE\n",
		"ends with blank":     "[ci]\naws_access_key_id = AKIAEXAMPLE\n\n",
		"ends with two blank": "[ci]\nk = v\n\n\n",
		"ends with comment":   "[ci]\nk = v\n# trailing note\n",
		"comment only":        "# nothing yet\n",
		"crlf":                "[ci]\r\nk = v\r\n",
		"crlf blank":          "[ci]\r\nk = v\r\n\r\n",
		"continuation last":   "[ci]\nk = v\n  more\n",
	}
	orders := [][]string{{"dev"}, {"dev", "dev-session"}, {"dev-session", "dev"}}
	for name, in := range inputs {
		for _, removeOrder := range orders {
			t.Run(name+"/"+strings.Join(removeOrder, ","), func(t *testing.T) {
				f, err := Parse("credentials", []byte(in))
				if err != nil {
					t.Fatal(err)
				}
				added := slices.Sorted(slices.Values(removeOrder))
				for _, s := range added {
					for _, k := range []string{"aws_access_key_id", "aws_session_token", "awsmfa_profile"} {
						if err := f.Set(s, k, "v-"+s); err != nil {
							t.Fatal(err)
						}
					}
				}
				for _, s := range removeOrder {
					if err := f.RemoveSection(s); err != nil {
						t.Fatal(err)
					}
				}
				if got := string(f.Bytes()); got != in {
					t.Errorf("after append and remove:\n%q\nwant:\n%q", got, in)
				}
			})
		}
	}
}

// A file without a final line break gets one with the first appended
// section; from then on cycles leave it as it is.
func TestAppendRemoveCyclesDoNotGrow(t *testing.T) {
	f, err := Parse("credentials", []byte("[ci]\nk = v"))
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for range 3 {
		if err := f.Set("dev", "k", "v"); err != nil {
			t.Fatal(err)
		}
		if err := f.RemoveSection("dev"); err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(f.Bytes()))
	}
	if got := string(f.Bytes()); got != "[ci]\nk = v\n" || sizes[0] != sizes[2] {
		t.Errorf("after cycles: %q (sizes %v)", got, sizes)
	}
}

// Removing a section keeps the blank line above it when the next section's
// comment follows directly, and drops the one of a pair of blank lines.
func TestRemoveSectionBlankLines(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"middle between blanks", "[a]\nx = 1\n\n[dev]\nk = v\n\n[b]\ny = 2\n", "[a]\nx = 1\n\n[b]\ny = 2\n"},
		{"header follows directly", "[a]\nx = 1\n\n[dev]\nk = v\n[b]\ny = 2\n", "[a]\nx = 1\n\n[b]\ny = 2\n"},
		{"comment follows", "[a]\nx = 1\n\n[dev]\nk = v\n# about b\n[b]\n", "[a]\nx = 1\n\n# about b\n[b]\n"},
		{"first section", "[dev]\nk = v\n\n[b]\n", "\n[b]\n"},
		{"no blank above", "[a]\nx = 1\n[dev]\nk = v\n", "[a]\nx = 1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("c", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if err := f.RemoveSection("dev"); err != nil {
				t.Fatal(err)
			}
			if got := string(f.Bytes()); got != tt.want {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// Issue 7 item 1: a [DEFAULT] that awsmfa wrote (before it refused to) is
// removed by name, as any other section; the sections that inherit from it
// are not touched, and none of them is seen to hold its keys.
func TestDefaultSectionRemovedAlone(t *testing.T) {
	const in = "[ci]\naws_access_key_id = AKIACIKEY\n\n[DEFAULT]\naws_access_key_id = ASIASESSION\nawsmfa_profile = dev\n"
	f, err := Parse("credentials", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := f.Get("ci", "awsmfa_profile"); ok {
		t.Errorf("[ci] reads awsmfa_profile %q from [DEFAULT]", v)
	}
	if err := f.RemoveSection("DEFAULT"); err != nil {
		t.Fatal(err)
	}
	if got, want := string(f.Bytes()), "[ci]\naws_access_key_id = AKIACIKEY\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// Botocore hands [DEFAULT]'s keys to every profile; Config does too.
func TestConfigInheritsDefault(t *testing.T) {
	c := loadStrings(t, "[DEFAULT]\nregion = eu-west-1\n[profile a]\noutput = json\n", "")
	p, err := c.Profile("a")
	if err != nil {
		t.Fatal(err)
	}
	if p.Region != "eu-west-1" {
		t.Errorf("region = %q, want the one from [DEFAULT]", p.Region)
	}
}

// Issue 7 item 5: edits replaced whatever was at the path, and reads waited
// on a FIFO. A directory, or a link to one, is refused (the unix test adds
// FIFOs and devices), before any lock file is created.
func TestNonRegularPathsRefused(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "config")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(sub, link); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	for _, p := range []string{sub, link} {
		checkNonRegularRefused(t, p)
	}
	if names, _ := os.ReadDir(dir); len(names) != 2 {
		t.Errorf("files created beside: %v", names)
	}
}

func checkNonRegularRefused(t *testing.T, path string) {
	t.Helper()
	if _, err := ReadFile(path); !errors.Is(err, fsutil.ErrNotRegular) {
		t.Errorf("ReadFile(%s) = %v, want ErrNotRegular", path, err)
	}
	if _, err := Load(Paths{Config: path, Credentials: path}); !errors.Is(err, fsutil.ErrNotRegular) {
		t.Errorf("Load(%s) = %v, want ErrNotRegular", path, err)
	}
	err := Update(t.Context(), path, func(f *File) error { return f.Set("a", "k", "v") })
	if !errors.Is(err, fsutil.ErrNotRegular) {
		t.Errorf("Update(%s) = %v, want ErrNotRegular", path, err)
	}
	if _, err := os.Lstat(path + ".lock"); err == nil {
		t.Errorf("Update(%s) created a lock file beside it", path)
	}
}

// Issue 7 item 3, through Update: a temporary copy left by a killed edit
// does not outlive the next edit of the same file.
func TestUpdateRemovesStaleTempFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "credentials")
	writeFile(t, path, "[ci]\nk = v\n", 0o600)
	stale := filepath.Join(dir, ".credentials.tmp12345")
	writeFile(t, stale, "[ci]\naws_secret_access_key = secret\n", 0o600)
	if err := Update(t.Context(), path, func(f *File) error { return f.Set("dev", "k", "v") }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(stale); err == nil {
		t.Error("the stale temporary copy outlived the edit")
	}
}

// Issue 7 item 15b: the refusals Update makes match ErrEditRefused, the one
// sentinel the CLI maps to its "edit refused" exit code.
func TestEditRefusalsMatchErrEditRefused(t *testing.T) {
	dir := t.TempDir()
	ro := filepath.Join(dir, "ro")
	writeFile(t, ro, "[a]\nk = v\n", 0o400)
	err := Update(t.Context(), ro, func(f *File) error { return f.Set("a", "k", "w") })
	if !errors.Is(err, ErrReadOnly) || !errors.Is(err, ErrEditRefused) {
		t.Errorf("read-only: %v", err)
	}
	// Without the [dev] header, the indented [b] would continue k's value:
	// the edit is unsafe.
	const in = "[a]\nk = 1\n[dev]\n  [b]\n  y = 2\n"
	f, err := Parse("c", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.RemoveSection("dev"); !errors.Is(err, ErrEditRefused) {
		t.Errorf("unsafe edit: %v, want ErrEditRefused", err)
	}
	if got := string(f.Bytes()); got != in {
		t.Errorf("refused edit changed the file to %q", got)
	}
}

// Issue 7 item 15d: no error quotes the file's text, which may be a secret.
func TestParseErrorsQuoteNoContent(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	inputs := []string{
		secret + "\n",
		"[a]\n" + secret + "\n",
		"[a]\nk = 1\nk = " + secret + "\n",
		"[a]\ns3 =\n  " + secret + "\n",
		"[a]\n[a]\n" + secret + " = 1\n",
		"[a]\nk = \xff" + secret + "\n",
	}
	for _, in := range inputs {
		path := filepath.Join(t.TempDir(), "config")
		writeFile(t, path, in, 0o600)
		_, err := Load(Paths{Config: path, Credentials: filepath.Join(t.TempDir(), "none")})
		if err == nil {
			t.Errorf("%q parsed", in)
			continue
		}
		if strings.Contains(err.Error(), secret[:8]) {
			t.Errorf("error quotes the file: %v", err)
		}
	}
}
