package awsconfig

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

func writeFile(t *testing.T, path, data string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
}

func readString(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestUpdateCreatesPrivateFiles(t *testing.T) {
	home := t.TempDir()
	paths := DefaultPaths(envOf(nil), home)
	if err := SetProfileKey(t.Context(), paths, "work", "mfa_serial", "arn:aws:iam::1:mfa/w"); err != nil {
		t.Fatal(err)
	}
	if err := SetProfileKey(t.Context(), paths, "work", "aws_access_key_id", "AKIAEXAMPLE"); err != nil {
		t.Fatal(err)
	}
	if got, want := readString(t, paths.Config), "[profile work]\nmfa_serial = arn:aws:iam::1:mfa/w\n"; got != want {
		t.Errorf("config = %q, want %q", got, want)
	}
	if got, want := readString(t, paths.Credentials), "[work]\naws_access_key_id = AKIAEXAMPLE\n"; got != want {
		t.Errorf("credentials = %q, want %q", got, want)
	}
	if runtime.GOOS == "windows" {
		return
	}
	for path, want := range map[string]os.FileMode{paths.Config: 0o600, paths.Credentials: 0o600, filepath.Dir(paths.Config): 0o700} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s mode %v, want %v", path, fi.Mode().Perm(), want)
		}
	}
}

func TestUpdateNoChangeNoWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	writeFile(t, path, "[default]\nregion = a\n", 0o644)
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	err = Update(t.Context(), path, func(f *File) error { return f.Set("default", "region", "a") })
	if err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	// A rewrite would replace the file (new inode, mode 0600).
	if !os.SameFile(before, after) || after.Mode() != before.Mode() {
		t.Error("unchanged content was rewritten")
	}
}

func TestUpdateEditErrorWritesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	const orig = "[default]\nregion = a\n"
	writeFile(t, path, orig, 0o600)
	boom := errors.New("boom")
	err := Update(t.Context(), path, func(f *File) error {
		if err := f.Set("default", "region", "b"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want boom", err)
	}
	if got := readString(t, path); got != orig {
		t.Errorf("file = %q, want it unchanged", got)
	}
}

func TestUpdateParseErrorWritesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	const orig = "[default]\nbroken line\n"
	writeFile(t, path, orig, 0o600)
	err := Update(t.Context(), path, func(f *File) error { return f.Set("default", "k", "v") })
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 2 {
		t.Fatalf("Update = %v, want a ParseError on line 2", err)
	}
	if got := readString(t, path); got != orig {
		t.Errorf("file = %q, want it unchanged", got)
	}
}

func TestUpdateThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "dotfiles", "aws-config")
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, target, "[default]\nregion = a\n", 0o600)
	link := filepath.Join(dir, "config")
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("symbolic links unavailable: %v", err)
	}
	if err := Update(t.Context(), link, func(f *File) error { return f.Set("default", "region", "b") }); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(link)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the link was replaced by a regular file")
	}
	if got, want := readString(t, target), "[default]\nregion = b\n"; got != want {
		t.Errorf("target = %q, want %q", got, want)
	}
}

func TestUpdateReadOnlyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	const orig = "[default]\nregion = a\n"
	writeFile(t, path, orig, 0o400)
	err := Update(t.Context(), path, func(f *File) error { return f.Set("default", "region", "b") })
	if !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Update = %v, want ErrReadOnly", err)
	}
	if got := readString(t, path); got != orig {
		t.Errorf("file = %q, want it unchanged", got)
	}
}

func TestUpdateUnwritableDirectory(t *testing.T) {
	t.Run("parent is a regular file", func(t *testing.T) {
		// Fails for every user, root included.
		blocker := filepath.Join(t.TempDir(), "aws")
		writeFile(t, blocker, "not a directory", 0o600)
		path := filepath.Join(blocker, "config")
		err := Update(t.Context(), path, func(f *File) error { return f.Set("default", "region", "b") })
		if err == nil {
			t.Fatal("Update succeeded")
		}
		if got := readString(t, blocker); got != "not a directory" {
			t.Errorf("blocker changed to %q", got)
		}
	})
	t.Run("read-only directory", func(t *testing.T) {
		if runtime.GOOS == "windows" || os.Geteuid() == 0 {
			t.Skip("directory permissions are not enforced for root or on Windows; covered by the case above")
		}
		dir := filepath.Join(t.TempDir(), "aws")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "config")
		const orig = "[default]\nregion = a\n"
		writeFile(t, path, orig, 0o600)
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
		err := Update(t.Context(), path, func(f *File) error { return f.Set("default", "region", "b") })
		if err == nil {
			t.Fatal("Update succeeded")
		}
		if got := readString(t, path); got != orig {
			t.Errorf("file = %q, want it unchanged", got)
		}
	})
}

func TestUpdateConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	writeFile(t, path, "[default]\nregion = a\n", 0o600)
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- Update(t.Context(), path, func(f *File) error {
				return f.Set("default", fmt.Sprintf("key%d", i), fmt.Sprint(i))
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	f, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if got, ok := f.Get("default", fmt.Sprintf("key%d", i)); !ok || got != fmt.Sprint(i) {
			t.Errorf("key%d = %q, %v", i, got, ok)
		}
	}
	if got, _ := f.Get("default", "region"); got != "a" {
		t.Errorf("region = %q", got)
	}
}

func TestRemoveCredentials(t *testing.T) {
	dir := t.TempDir()
	paths := Paths{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")}
	writeFile(t, paths.Credentials, string(readTestdata(t, "credentials.ini")), 0o600)
	writeFile(t, paths.Config, "[profile c]\naws_access_key_id = AKIAINCONFIG\nregion = x\n", 0o600)
	for _, p := range []string{"a", "b", "c"} {
		if err := RemoveCredentials(t.Context(), paths, p); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := readString(t, paths.Credentials), string(readTestdata(t, "credentials.remove-keys.golden")); got != want {
		t.Errorf("credentials = %q\nwant %q", got, want)
	}
	if got, want := readString(t, paths.Config), "[profile c]\nregion = x\n"; got != want {
		t.Errorf("config = %q, want %q", got, want)
	}
	// Only the named keys go when keys are given.
	if err := RemoveCredentials(t.Context(), paths, "default", "aws_secret_access_key"); err != nil {
		t.Fatal(err)
	}
	c, err := Load(paths)
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Profile("default")
	if err != nil {
		t.Fatal(err)
	}
	if p.AccessKeyID != "AKIAEXAMPLEDEFAULT" {
		t.Errorf("access key id = %q, want it kept", p.AccessKeyID)
	}
	if creds, _ := p.StaticCredentials(); creds.SecretAccessKey != "" {
		t.Error("secret access key kept")
	}
}
