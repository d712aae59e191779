package awsconfig

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// loadStrings builds a Config from in-memory file contents.
func loadStrings(t *testing.T, config, credentials string) *Config {
	t.Helper()
	dir := t.TempDir()
	paths := Paths{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")}
	for path, data := range map[string]string{paths.Config: config, paths.Credentials: credentials} {
		if data == "" {
			continue
		}
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c, err := Load(paths)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDefaultPaths(t *testing.T) {
	home := filepath.Join(string(filepath.Separator)+"home", "u")
	tests := []struct {
		env        map[string]string
		cfg, creds string
	}{
		{nil, filepath.Join(home, ".aws", "config"), filepath.Join(home, ".aws", "credentials")},
		{map[string]string{"AWS_CONFIG_FILE": "/etc/c", "AWS_SHARED_CREDENTIALS_FILE": "/etc/k"}, "/etc/c", "/etc/k"},
		{map[string]string{"AWS_CONFIG_FILE": "~/x/c", "AWS_SHARED_CREDENTIALS_FILE": "~"}, filepath.Join(home, "x", "c"), home},
		{map[string]string{"AWS_CONFIG_FILE": "~other/c"}, "~other/c", filepath.Join(home, ".aws", "credentials")},
	}
	for _, tt := range tests {
		got := DefaultPaths(envOf(tt.env), home)
		if got.Config != tt.cfg || got.Credentials != tt.creds {
			t.Errorf("DefaultPaths(%v) = %+v, want %q, %q", tt.env, got, tt.cfg, tt.creds)
		}
	}
}

func TestLoadTestdata(t *testing.T) {
	c, err := Load(Paths{Config: filepath.Join("testdata", "config.ini"), Credentials: filepath.Join("testdata", "credentials.ini")})
	if err != nil {
		t.Fatal(err)
	}
	names := c.ProfileNames()
	slices.Sort(names)
	want := []string{"a", "a.b", "b", "c", "default", "dev-1", "my prof"}
	if !slices.Equal(names, want) {
		t.Errorf("profiles = %q, want %q", names, want)
	}
	// [profile default] comes after [default], so it wins, as in botocore.
	def, err := c.Profile("default")
	if err != nil {
		t.Fatal(err)
	}
	if def.Region != "eu-west-1" || def.Raw["output"] != "" {
		t.Errorf("default: region %q output %q; want the later [profile default] section only", def.Region, def.Raw["output"])
	}
	if !def.StaticKeys || !def.InConfig || !def.InCredentials {
		t.Errorf("default: StaticKeys %v InConfig %v InCredentials %v", def.StaticKeys, def.InConfig, def.InCredentials)
	}
	ab, err := c.Profile("a.b")
	if err != nil {
		t.Fatal(err)
	}
	if ab.RoleARN != "arn:aws:iam::111122223333:role/ab" || ab.SourceProfile != "a" || ab.DurationSeconds != 3600 || ab.Raw["mfa_process"] != "awsmfa code a" {
		t.Errorf("a.b = %+v", ab)
	}
	mine, err := c.Profile("my prof")
	if err != nil {
		t.Fatal(err)
	}
	if mine.Raw["awsmfa_session_duration"] != "12h" {
		t.Errorf("my prof raw = %v", mine.Raw)
	}
	if _, ok := c.SSOSessions["corp"]; !ok {
		t.Error("sso-session corp missing")
	}
	if c.HasProfile("corp") || c.HasProfile("local") {
		t.Error("non-profile sections taken as profiles")
	}
	if got := c.Services["local"].Nested["sts"]["endpoint_url"]; got != "http://127.0.0.1:4566" {
		t.Errorf("services local sts endpoint = %q", got)
	}
	// The credentials file's keys merge over the config file's.
	cp, err := c.Profile("c")
	if err != nil {
		t.Fatal(err)
	}
	if cp.Region != "sa-east-1" || cp.InConfig || !cp.InCredentials {
		t.Errorf("c = %+v", cp)
	}
}

func TestSecretsStayHidden(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	const token = "FwoGZXIvYXdzEXAMPLETOKEN"
	c := loadStrings(t, "", "[p]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = "+secret+"\naws_session_token = "+token+"\n")
	p, err := c.Profile("p")
	if err != nil {
		t.Fatal(err)
	}
	creds, ok := p.StaticCredentials()
	if !ok || creds.SecretAccessKey != secret || creds.SessionToken != token || creds.AccessKeyID != "AKIAEXAMPLE" {
		t.Fatalf("StaticCredentials() = %v, %v", creds, ok)
	}
	f, err := ReadFile(c.Paths.Credentials)
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%q"} {
		for _, v := range []any{p, *p, creds, c, f, struct{ P Profile }{*p}} {
			out := fmt.Sprintf(format, v)
			if strings.Contains(out, secret) || strings.Contains(out, token) {
				t.Errorf("Sprintf(%q, %T) reveals a secret: %s", format, v, out)
			}
		}
	}
	if _, ok := p.Raw[keySecretAccessKey]; ok {
		t.Error("Raw holds the secret access key")
	}
}

func TestProfileErrors(t *testing.T) {
	c := loadStrings(t, "[profile bad]\nduration_seconds = 1h\n[profile neg]\nduration_seconds = -5\n", "")
	for _, name := range []string{"bad", "neg"} {
		if _, err := c.Profile(name); err == nil || strings.Contains(err.Error(), "1h") {
			t.Errorf("Profile(%q) error = %v; want an error without the value", name, err)
		}
	}
	if _, err := c.Profile("missing"); !errors.Is(err, ErrProfileNotFound) {
		t.Errorf("Profile(missing) = %v, want ErrProfileNotFound", err)
	}
}

func TestProfileNaming(t *testing.T) {
	tests := []struct {
		name, config string
		want, not    []string
	}{
		{"quoted and dotted", "[profile \"my prof\"]\n[profile  x.y ]\n[profile 'q r']\n", []string{"my prof", "x.y", "q r"}, nil},
		{"prefix without a blank still splits", "[profilesfoo bar]\n", []string{"bar"}, []string{"profilesfoo bar"}},
		{"three words ignored", "[profile a b]\n", nil, []string{"a", "a b", "b"}},
		{"unclosed quote ignored", "[profile \"a]\n", nil, []string{"a", "\"a"}},
		{"spaced default is not default", "[ default ]\nk=1\n", nil, []string{"default", " default "}},
		{"plain section is not a profile in config", "[work]\nk=1\n", nil, []string{"work"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := loadStrings(t, tt.config, "")
			for _, n := range tt.want {
				if !c.HasProfile(n) {
					t.Errorf("profile %q missing; have %q", n, c.ProfileNames())
				}
			}
			for _, n := range tt.not {
				if c.HasProfile(n) {
					t.Errorf("profile %q present", n)
				}
			}
		})
	}
}

func TestDefaultPrecedence(t *testing.T) {
	for _, tt := range []struct{ config, want string }{
		{"[default]\nregion = a\n[profile default]\nregion = b\n", "b"},
		{"[profile default]\nregion = b\n[default]\nregion = a\n", "a"},
	} {
		c := loadStrings(t, tt.config, "")
		p, err := c.Profile("default")
		if err != nil {
			t.Fatal(err)
		}
		if p.Region != tt.want {
			t.Errorf("%q: region %q, want %q", tt.config, p.Region, tt.want)
		}
	}
}

func TestReadCreatesNothing(t *testing.T) {
	home := t.TempDir()
	paths := DefaultPaths(envOf(nil), home)
	c, err := Load(paths)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.ProfileNames()) != 0 {
		t.Errorf("profiles from missing files: %q", c.ProfileNames())
	}
	if _, err := os.Lstat(filepath.Join(home, ".aws")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("~/.aws after reading: %v", err)
	}
	// An edit that changes nothing on a missing file creates nothing either.
	if err := RemoveCredentials(t.Context(), paths, "default"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(home, ".aws")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("~/.aws after a no-op edit: %v", err)
	}
}

func TestUnreadableFile(t *testing.T) {
	dir := t.TempDir()
	// A directory where the file should be cannot be read on any system.
	_, err := Load(Paths{Config: dir, Credentials: filepath.Join(dir, "none")})
	if err == nil || !strings.Contains(err.Error(), "reading") {
		t.Errorf("Load of a directory = %v, want a reading error", err)
	}
}
