package vault

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

const testWorkFactor = 2

func testFileStore(dir string, getenv func(string) string, p Prompter) *fileStore {
	return newFileStore(Options{DataDir: dir, Getenv: getenv, Prompter: p, TestOnlyScryptWorkFactor: testWorkFactor})
}

func TestFileWrongPassphrase(t *testing.T) {
	dir := t.TempDir()
	mustPut(t, testFileStore(dir, envOf(envPassphrase, "right"), nil), "dev", testEntry(1))

	ctx := context.Background()
	wrong := testFileStore(dir, envOf(envPassphrase, "wrong"), nil)
	if _, err := wrong.Get(ctx, "dev"); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("Get: %v, want ErrWrongPassphrase", err)
	}
	if _, err := wrong.List(ctx); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("List: %v, want ErrWrongPassphrase", err)
	}
	if err := wrong.Put(ctx, "x", testEntry(2)); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("Put: %v, want ErrWrongPassphrase", err)
	}
	if err := wrong.Delete(ctx, "dev"); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("Delete: %v, want ErrWrongPassphrase", err)
	}
	right := testFileStore(dir, envOf(envPassphrase, "right"), nil)
	mustList(t, right, "dev")
}

func TestFileNoPassphrase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := testFileStore(dir, envOf(), nil)
	if err := s.Put(ctx, "dev", testEntry(1)); !errors.Is(err, ErrNoPassphrase) {
		t.Fatalf("Put on a new vault: %v, want ErrNoPassphrase", err)
	}
	if _, err := os.Stat(filepath.Join(dir, vaultFileName)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("vault file created without a passphrase (%v)", err)
	}

	mustPut(t, testFileStore(dir, envOf(envPassphrase, "pw"), nil), "dev", testEntry(1))
	_, err := s.Get(ctx, "dev")
	if !errors.Is(err, ErrNoPassphrase) {
		t.Fatalf("Get: %v, want ErrNoPassphrase", err)
	}
	for _, src := range []string{"AWSMFA_PASSPHRASE_FILE", "AWSMFA_PASSPHRASE_COMMAND", "AWSMFA_PASSPHRASE,", "terminal"} {
		if !strings.Contains(err.Error(), src) {
			t.Errorf("error %q does not name %s", err, src)
		}
	}
}

func TestFileMissingVaultNeedsNothing(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	p := &fakePrompter{}
	s := testFileStore(dir, envOf(), p)
	mustList(t, s)
	if _, err := s.Get(ctx, "dev"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "dev"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete: %v, want ErrNotFound", err)
	}
	if len(p.prompts) != 0 {
		t.Fatalf("prompted %q for a vault that does not exist", p.prompts)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("reading created the data directory (%v)", err)
	}
}

func TestFilePrompting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()

	p := &fakePrompter{answers: []string{"typed", "typed"}}
	s := testFileStore(dir, envOf(), p)
	mustPut(t, s, "dev", testEntry(1))
	mustPut(t, s, "prod", testEntry(2))
	mustGet(t, s, "dev", testEntry(1))
	if err := s.Delete(ctx, "prod"); err != nil {
		t.Fatal(err)
	}
	if want := []string{"New vault passphrase: ", "Repeat the vault passphrase: "}; !slices.Equal(p.prompts, want) {
		t.Fatalf("prompts %q, want %q", p.prompts, want)
	}

	// Another store on the existing vault asks once, however many operations.
	p2 := &fakePrompter{answers: []string{"typed"}}
	s2 := testFileStore(dir, envOf(), p2)
	mustList(t, s2, "dev")
	mustPut(t, s2, "stage", testEntry(3))
	mustGet(t, s2, "stage", testEntry(3))
	mustGet(t, s, "stage", testEntry(3)) // s re-reads the changed file with its cached passphrase
	if len(p2.prompts) != 1 || p2.prompts[0] != "Vault passphrase: " {
		t.Fatalf("prompts %q, want one", p2.prompts)
	}
	if len(p.prompts) != 2 {
		t.Fatalf("first store prompted again: %q", p.prompts)
	}
}

func TestFilePromptMismatchCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	s := testFileStore(dir, envOf(), &fakePrompter{answers: []string{"one", "two"}})
	if err := s.Put(context.Background(), "dev", testEntry(1)); !errors.Is(err, ErrPassphraseMismatch) {
		t.Fatalf("got %v, want ErrPassphraseMismatch", err)
	}
	if _, err := os.Stat(filepath.Join(dir, vaultFileName)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("vault file exists after a mismatch (%v)", err)
	}
}

func TestFilePassphraseSourcesInterchangeable(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("same words\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustPut(t, testFileStore(dir, envOf(envPassphraseFile, pwFile), nil), "dev", testEntry(1))
	mustGet(t, testFileStore(dir, envOf(envPassphrase, "same words"), nil), "dev", testEntry(1))
	cmd := helperCommand(t, "print", "same words")
	mustGet(t, testFileStore(dir, envOf(envPassphraseCommand, cmd), nil), "dev", testEntry(1))
	mustGet(t, testFileStore(dir, envOf(), &fakePrompter{answers: []string{"same words"}}), "dev", testEntry(1))
}

func TestFileTwoStoresNoLostUpdate(t *testing.T) {
	dir := t.TempDir()
	env := envOf(envPassphrase, "pw")
	a, b := testFileStore(dir, env, nil), testFileStore(dir, env, nil)
	const n = 12
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() { errs <- s.Put(context.Background(), "p"+strconv.Itoa(i), testEntry(i)) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	for i := range n {
		want = append(want, "p"+strconv.Itoa(i))
	}
	slices.Sort(want)
	mustList(t, a, want...)
	mustList(t, b, want...)
	mustList(t, testFileStore(dir, env, nil), want...)
}

func TestFileHidesContent(t *testing.T) {
	dir := t.TempDir()
	const profile = "production-account"
	e := testEntry(7)
	mustPut(t, testFileStore(dir, envOf(envPassphrase, "pw"), nil), profile, e)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range entries {
		b, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{profile, e.AccessKeyID, e.SecretAccessKey} {
			if strings.Contains(de.Name(), v) {
				t.Errorf("file name %q contains %q", de.Name(), v)
			}
			for _, enc := range encodings(v) {
				if bytes.Contains(b, []byte(enc)) {
					t.Errorf("%s contains %q (encoding of %q)", de.Name(), enc, v)
				}
			}
		}
	}
}

// encodings returns v raw, hex and base64 encoded (in the common alphabets,
// padded or not, and from each of the three byte alignments, since base64 of
// a substring depends on its offset).
func encodings(v string) []string {
	out := []string{v, hex.EncodeToString([]byte(v)), strings.ToUpper(hex.EncodeToString([]byte(v)))}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		for shift := range 3 {
			s := enc.EncodeToString(append(make([]byte, shift), v...))
			// Drop the characters touched by the padding bytes and by the end.
			s = strings.TrimRight(s, "=")
			start := (shift*8 + 5) / 6
			if len(s) > start+2 {
				out = append(out, s[start:len(s)-2])
			}
		}
	}
	return out
}

// TestEncodingsFindEmbeddedValues checks the detector TestFileHidesContent
// relies on.
func TestEncodingsFindEmbeddedValues(t *testing.T) {
	const v = "AKIAIOSFODNN7EXAMPLE"
	for prefix := range 4 {
		doc := append([]byte(strings.Repeat("x", prefix)), v...)
		doc = append(doc, "tail"...)
		for name, enc := range map[string]string{
			"std": base64.StdEncoding.EncodeToString(doc), "url": base64.RawURLEncoding.EncodeToString(doc),
			"hex": hex.EncodeToString(doc), "raw": string(doc),
		} {
			found := false
			for _, e := range encodings(v) {
				found = found || strings.Contains(enc, e)
			}
			if !found {
				t.Errorf("%s encoding with %d leading bytes not detected", name, prefix)
			}
		}
	}
}

func TestFileModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no unix permission bits on windows")
	}
	dir := filepath.Join(t.TempDir(), "a", "data")
	s := testFileStore(dir, envOf(envPassphrase, "pw"), nil)
	mustPut(t, s, "dev", testEntry(1))
	for path, want := range map[string]fs.FileMode{
		dir:                               0o700,
		filepath.Dir(dir):                 0o700,
		filepath.Join(dir, vaultFileName): 0o600,
		filepath.Join(dir, vaultFileName+".lock"): 0o600,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %04o, want %04o", path, got, want)
		}
	}

	vaultPath := filepath.Join(dir, vaultFileName)
	for _, mode := range []fs.FileMode{0o640, 0o604, 0o660} {
		if err := os.Chmod(vaultPath, mode); err != nil {
			t.Fatal(err)
		}
		_, err := testFileStore(dir, envOf(envPassphrase, "pw"), nil).List(context.Background())
		if err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("mode %04o: got %v, want a refusal naming chmod 600", mode, err)
		}
	}
}

func TestFileWorkFactor(t *testing.T) {
	stanza := regexp.MustCompile(`(?m)^-> scrypt \S+ (\d+)$`)
	tests := []struct {
		name string
		hook int
		want string
	}{
		{name: "production", hook: 0, want: "18"},
		{name: "test hook", hook: 3, want: "3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.hook == 0 && testing.Short() {
				t.Skip("a production-cost encryption takes seconds under -race")
			}
			dir := t.TempDir()
			s := newFileStore(Options{DataDir: dir, Getenv: envOf(envPassphrase, "pw"), TestOnlyScryptWorkFactor: tt.hook})
			// One encryption at the tested cost; no decryption happens.
			mustPut(t, s, "dev", testEntry(1))
			b, err := os.ReadFile(filepath.Join(dir, vaultFileName))
			if err != nil {
				t.Fatal(err)
			}
			m := stanza.FindSubmatch(b)
			if m == nil {
				t.Fatalf("no scrypt stanza in the header: %q", b[:min(len(b), 200)])
			}
			if string(m[1]) != tt.want {
				t.Fatalf("work factor %s, want %s", m[1], tt.want)
			}
		})
	}
}

func TestFileWorkFactorHookOnlyLowers(t *testing.T) {
	for hook, want := range map[int]int{-1: 18, 0: 18, 1: 1, 17: 17, 18: 18, 19: 18, 31: 18} {
		if got := newFileStore(Options{DataDir: "/x", TestOnlyScryptWorkFactor: hook}).workFactor; got != want {
			t.Errorf("hook %d: work factor %d, want %d", hook, got, want)
		}
	}
}

func TestFileRefusesExcessiveWorkFactor(t *testing.T) {
	dir := t.TempDir()
	mustPut(t, testFileStore(dir, envOf(envPassphrase, "pw"), nil), "dev", testEntry(1))
	path := filepath.Join(dir, vaultFileName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	stanza := regexp.MustCompile(`(?m)^(-> scrypt \S+ )` + strconv.Itoa(testWorkFactor) + `$`)
	planted := stanza.ReplaceAll(b, []byte("${1}"+strconv.Itoa(maxScryptWorkFactor+1)))
	if bytes.Equal(planted, b) {
		t.Fatal("could not find the scrypt stanza to modify")
	}
	if err := os.WriteFile(path, planted, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = testFileStore(dir, envOf(envPassphrase, "pw"), nil).List(context.Background())
	if err == nil || !strings.Contains(err.Error(), "work factor") {
		t.Fatalf("got %v, want a refusal of the work factor", err)
	}
}

func TestFileDamaged(t *testing.T) {
	dir := t.TempDir()
	mustPut(t, testFileStore(dir, envOf(envPassphrase, "pw"), nil), "dev", testEntry(1))
	path := filepath.Join(dir, vaultFileName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 1 // inside the payload's authentication tag
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = testFileStore(dir, envOf(envPassphrase, "pw"), nil).List(context.Background())
	if err == nil || errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("got %v, want a damage error distinct from a wrong passphrase", err)
	}
}
