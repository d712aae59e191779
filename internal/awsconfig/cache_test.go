package awsconfig

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// cacheFiles writes a config and a credentials file and returns their paths.
func cacheFiles(t *testing.T, cfg string) Paths {
	t.Helper()
	dir := t.TempDir()
	p := Paths{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")}
	if err := os.WriteFile(p.Config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func region(t *testing.T, c *Cache, p Paths) (*Config, string) {
	t.Helper()
	cfg, err := c.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	prof, err := cfg.Profile("dev")
	if err != nil {
		t.Fatal(err)
	}
	return cfg, prof.Raw["region"]
}

// An unchanged pair of files is parsed once, also while the files are
// recent (their content is compared then).
func TestCacheParsesOnce(t *testing.T) {
	p := cacheFiles(t, "[profile dev]\nregion = eu-west-1\n")
	for _, tc := range []struct {
		name string
		now  func() time.Time
	}{
		{"recent", time.Now},
		{"old", func() time.Time { return time.Now().Add(time.Hour) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Cache{Now: tc.now}
			first, _ := region(t, c, p)
			for range 3 {
				if again, _ := region(t, c, p); again != first {
					t.Fatal("an unchanged config was parsed again")
				}
			}
		})
	}
}

// A rewrite that keeps the size and lands within the same second is seen,
// with the real file system's times, both with the new file replacing the
// old one and with the old file rewritten in place.
func TestCacheSeesSameSizeSameSecondChange(t *testing.T) {
	for _, replace := range []bool{false, true} {
		p := cacheFiles(t, "[profile dev]\nregion = eu-west-1\n")
		c := &Cache{}
		before, err := os.Stat(p.Config)
		if err != nil {
			t.Fatal(err)
		}
		if _, r := region(t, c, p); r != "eu-west-1" {
			t.Fatalf("region %q", r)
		}
		next := []byte("[profile dev]\nregion = eu-west-2\n")
		if replace {
			tmp := p.Config + ".new"
			if err := os.WriteFile(tmp, next, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, p.Config); err != nil {
				t.Fatal(err)
			}
		} else if err := os.WriteFile(p.Config, next, 0o600); err != nil {
			t.Fatal(err)
		}
		// Same size, and the old modification time, to the second or to
		// the nanosecond: only the inode, the change time or the content
		// tell.
		if err := os.Chtimes(p.Config, before.ModTime(), before.ModTime()); err != nil {
			t.Fatal(err)
		}
		if _, r := region(t, c, p); r != "eu-west-2" {
			t.Fatalf("replace=%v: region %q after the change, want eu-west-2", replace, r)
		}
	}
}

// While a file's modification time is within 2 s of now, a change that
// leaves every field of its identity alone (a file system with coarse
// times) is seen by its content; an older file is trusted by identity.
func TestCacheContentCheckWhileRecent(t *testing.T) {
	p := cacheFiles(t, "[profile dev]\nregion = eu-west-1\n")
	fi, err := os.Stat(p.Config)
	if err != nil {
		t.Fatal(err)
	}
	frozen := idOf(fi)
	stat := func(path string) (fileID, error) {
		if path == p.Config {
			return frozen, nil
		}
		return statID(path)
	}
	for _, tc := range []struct {
		name string
		now  time.Time
		want string
	}{
		{"within 2s", fi.ModTime().Add(1500 * time.Millisecond), "eu-west-2"},
		{"older", fi.ModTime().Add(3 * time.Second), "eu-west-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(p.Config, []byte("[profile dev]\nregion = eu-west-1\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			c := &Cache{Now: func() time.Time { return tc.now }, stat: stat}
			// The first load records the frozen identity: read now, the
			// file's own identity, so make the entry's match the frozen one.
			if _, r := region(t, c, p); r != "eu-west-1" {
				t.Fatalf("region %q", r)
			}
			c.entries[p].files[0].id = frozen
			if err := os.WriteFile(p.Config, []byte("[profile dev]\nregion = eu-west-2\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, r := region(t, c, p); r != tc.want {
				t.Fatalf("region %q, want %q", r, tc.want)
			}
		})
	}
}

// A file that appears or goes away is seen.
func TestCacheSeesCreatedAndRemovedFiles(t *testing.T) {
	p := cacheFiles(t, "[profile dev]\nregion = eu-west-1\n")
	c := &Cache{}
	cfg, err := c.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HasProfile("other") {
		t.Fatal("profile other before it was written")
	}
	if err := os.WriteFile(p.Credentials, []byte("[other]\naws_access_key_id = AKIAEXAMPLE\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if cfg, err = c.Load(p); err != nil || !cfg.HasProfile("other") {
		t.Fatalf("created credentials file not seen: %v", err)
	}
	if err := os.Remove(p.Credentials); err != nil {
		t.Fatal(err)
	}
	if cfg, err = c.Load(p); err != nil || cfg.HasProfile("other") {
		t.Fatalf("removed credentials file still seen: %v", err)
	}
}
