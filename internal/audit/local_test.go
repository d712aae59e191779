package audit

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/awsmfa/awsmfa/internal/awsconfig"
)

// Test keys: AWS's documentation example, never a real key.
const (
	testKeyID  = "AKIAIOSFODNN7EXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

var testNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// home builds a home directory from files (path → content; a path ending in
// / is a directory) with private modes, and returns Options for it.
func home(t *testing.T, files map[string]string, env map[string]string) Options {
	t.Helper()
	h := t.TempDir()
	if err := os.Chmod(h, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		p := filepath.Join(h, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o700); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if env == nil {
		env = map[string]string{}
	}
	o := Options{Home: h, Getenv: func(k string) string { return env[k] }, GOOS: runtime.GOOS, UID: os.Getuid(), Now: testNow}
	cfg, err := awsconfig.Load(awsconfig.DefaultPaths(o.Getenv, h))
	if err != nil {
		t.Fatal(err)
	}
	o.Config = cfg
	return o
}

// summary is "severity id profile resource" per finding, sorted.
func summary(fs []Finding) []string {
	var out []string
	for _, f := range NewReport(fs).Findings {
		out = append(out, strings.Join([]string{string(f.Severity), f.ID, f.Profile, f.Resource}, " "))
	}
	return out
}

func has(t *testing.T, fs []Finding, want ...string) {
	t.Helper()
	got := summary(fs)
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("missing finding %q; got:\n%s", w, strings.Join(got, "\n"))
		}
	}
}

func hasNo(t *testing.T, fs []Finding, prefix string) {
	t.Helper()
	for _, s := range summary(fs) {
		if strings.HasPrefix(s, prefix) {
			t.Errorf("unexpected finding %q", s)
		}
	}
}

func noSecret(t *testing.T, fs []Finding, secrets ...string) {
	t.Helper()
	for _, f := range fs {
		for _, s := range secrets {
			if strings.Contains(f.Message+f.Resource+f.Fix, s) {
				t.Errorf("finding %s shows a secret", f.ID)
			}
		}
	}
}

func TestPlaintextProfiles(t *testing.T) {
	o := home(t, map[string]string{
		".aws/credentials": "[dev]\naws_access_key_id = " + testKeyID + "\naws_secret_access_key = " + testSecret + "\n\n" +
			"[mfa]\naws_access_key_id = ASIAIOSFODNN7EXAMPLE\naws_secret_access_key = x\naws_session_token = tok-secret-value\nexpiration = 2031-01-01T00:00:00Z\n\n" +
			"[old]\naws_access_key_id = ASIAIOSFODNN7EXAMPL2\naws_secret_access_key = x\naws_session_token = tok\nx_security_token_expires = 2029-01-01T00:00:00Z\n\n" +
			"[mine]\naws_access_key_id = ASIAIOSFODNN7EXAMPL3\naws_secret_access_key = x\naws_session_token = tok\nawsmfa_profile = dev\nawsmfa_expiration = 2030-01-02T04:00:00Z\n\n" +
			"[noexp]\naws_access_key_id = ASIAIOSFODNN7EXAMPL4\naws_secret_access_key = x\naws_session_token = tok\n",
		".aws/config": "[profile cfgkey]\naws_access_key_id = AKIAIOSFODNN7EXAMPL5\naws_secret_access_key = " + testSecret + "\n",
	}, nil)
	fs := plaintextProfiles(o)
	has(t, fs,
		"critical plaintext-key dev ~/.aws/credentials",
		"critical plaintext-key cfgkey ~/.aws/config",
		"warning plaintext-session mfa ~/.aws/credentials",
		"warning plaintext-session mine ~/.aws/credentials",
		"warning plaintext-session noexp ~/.aws/credentials",
	)
	hasNo(t, fs, "warning plaintext-session old ")
	hasNo(t, fs, "ok plaintext-key")
	noSecret(t, fs, testSecret, "tok-secret-value")
	for _, f := range fs {
		switch f.Profile {
		case "dev":
			if f.Fix != "awsmfa import dev" || !strings.Contains(f.Message, "AKIA…MPLE") {
				t.Errorf("dev: %+v", f)
			}
		case "mine":
			if f.Fix != "awsmfa clear dev" || !strings.Contains(f.Message, "2030-01-02T04:00:00Z") {
				t.Errorf("mine: %+v", f)
			}
		case "mfa":
			if !strings.Contains(f.Message, "until 2031-01-01T00:00:00Z (expiration)") {
				t.Errorf("mfa: %+v", f)
			}
		}
	}

	clean := home(t, map[string]string{".aws/config": "[profile dev]\nregion = eu-west-1\n"}, nil)
	has(t, plaintextProfiles(clean), "ok plaintext-key  ~/.aws/credentials")
}

func TestPermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("modes do not apply")
	}
	files := map[string]string{
		".aws/config":      "[profile dev]\nregion = eu-west-1\n",
		".aws/credentials": "[dev]\naws_access_key_id = " + testKeyID + "\naws_secret_access_key = " + testSecret + "\n",
	}
	o := home(t, files, nil)
	has(t, permissions(o), "ok permissions  ~/.aws", "ok permissions  ~/.aws/config", "ok permissions  ~/.aws/credentials")

	chmod := func(name string, mode os.FileMode) {
		t.Helper()
		if err := os.Chmod(filepath.Join(o.Home, name), mode); err != nil {
			t.Fatal(err)
		}
	}
	chmod(".aws", 0o755)
	chmod(".aws/credentials", 0o644)
	chmod(".aws/config", 0o644)
	fs := permissions(o)
	has(t, fs, "warning permissions  ~/.aws", "critical permissions  ~/.aws/credentials", "warning permissions  ~/.aws/config")
	for _, f := range fs {
		if f.Resource == "~/.aws" && f.Fix != "chmod 700 ~/.aws" {
			t.Errorf("fix %q", f.Fix)
		}
		if f.Resource == "~/.aws/credentials" && f.Fix != "chmod 600 ~/.aws/credentials" {
			t.Errorf("fix %q", f.Fix)
		}
	}
	chmod(".aws/config", 0o666)
	has(t, permissions(o), "critical permissions  ~/.aws/config")

	// Another owner: the check compares with the uid it is given.
	o.UID = os.Getuid() + 1
	has(t, permissions(o), "critical permissions  ~/.aws")

	// The vault file and the agent's directory, where they exist.
	v := home(t, map[string]string{".local/share/awsmfa/vault.age": "x", ".local/share/awsmfa/run-" + strconv.Itoa(os.Getuid()) + "/": ""}, nil)
	if err := os.Chmod(filepath.Join(v.Home, ".local/share/awsmfa/vault.age"), 0o644); err != nil {
		t.Fatal(err)
	}
	has(t, permissions(v), "warning permissions  ~/.local/share/awsmfa/vault.age",
		"ok permissions  ~/.local/share/awsmfa/run-"+strconv.Itoa(os.Getuid()))
}

func TestSessionCaches(t *testing.T) {
	o := home(t, map[string]string{
		".aws/cli/cache/live.json":            `{"Credentials":{"AccessKeyId":"ASIAX","SecretAccessKey":"cache-secret-value","SessionToken":"t","Expiration":"2030-01-02T05:00:00Z"}}`,
		".aws/cli/cache/expired.json":         `{"Credentials":{"AccessKeyId":"ASIAX","SecretAccessKey":"s","SessionToken":"t","Expiration":"2029-01-02T05:00:00Z"}}`,
		".aws/sso/cache/tok.json":             `{"accessToken":"a","expiresAt":"2029-01-01T00:00:00Z","refreshToken":"refresh-secret-value","clientSecret":"c"}`,
		".aws/sso/cache/client.json":          `{"clientId":"x","region":"us-east-1"}`,
		".aws/login/cache/s.json":             `{"accessToken":{"accessKeyId":"ASIAX","secretAccessKey":"s","sessionToken":"t","expiresAt":"2030-01-02T03:19:05Z"},"refreshToken":"r","dpopKey":"k"}`,
		".awsume/cache/aws-credentials-AKIAX": `{"AccessKeyId":"ASIAX","SecretAccessKey":"s","SessionToken":"t","Expiration":"2030-01-02 10:00:00"}`,
		".granted/secure-storage-aws-sso":     "eyJhbGciOiJQQkVTMi1IUzI1NitBMTI4S1ciLCJlbmMiOiJBMjU2R0NNIn0.not-json",
		".granted/config":                     "DefaultBrowser = \"STDOUT\"\n",
	}, nil)
	fs := sessionCaches(o)
	has(t, fs,
		"warning plaintext-session  ~/.aws/cli/cache/live.json",
		"warning plaintext-session  ~/.aws/sso/cache/tok.json",
		"warning plaintext-session  ~/.aws/login/cache/s.json",
		"warning plaintext-session  ~/.awsume/cache/aws-credentials-AKIAX")
	if len(fs) != 4 {
		t.Errorf("want 4 findings, got %s", summary(fs))
	}
	noSecret(t, fs, "cache-secret-value", "refresh-secret-value")
	for _, f := range fs {
		if f.Resource == "~/.aws/cli/cache/live.json" {
			if f.Fix != "rm ~/.aws/cli/cache/live.json" || !strings.Contains(f.Message, "until 2030-01-02T05:00:00Z") {
				t.Errorf("%+v", f)
			}
		}
	}

	// AWS_LOGIN_CACHE_DIRECTORY moves the login cache.
	moved := home(t, map[string]string{"logins/a.json": `{"accessToken":{"secretAccessKey":"s","expiresAt":"2030-01-02T05:00:00Z"}}`}, nil)
	dir := filepath.Join(moved.Home, "logins")
	moved.Getenv = func(k string) string {
		if k == "AWS_LOGIN_CACHE_DIRECTORY" {
			return dir
		}
		return ""
	}
	has(t, sessionCaches(moved), "warning plaintext-session  ~/logins/a.json")

	empty := home(t, nil, nil)
	has(t, sessionCaches(empty), "ok plaintext-session  ")
}

func TestShellFiles(t *testing.T) {
	o := home(t, map[string]string{
		".bashrc":                  "alias ll='ls -l'\nexport AWS_ACCESS_KEY_ID=" + testKeyID + "\nexport AWS_SECRET_ACCESS_KEY=" + testSecret + "\n",
		".zshrc":                   "export AWS_ACCESS_KEY_ID=" + testKeyID + "\n# sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709 is no secret\n",
		".envrc":                   "export AWS_ACCESS_KEY_ID=ASIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=" + testSecret + "\n",
		".config/fish/config.fish": "set -x AWS_SECRET_ACCESS_KEY " + testSecret + "\n\n\n\n\nset -x AWS_ACCESS_KEY_ID " + testKeyID + "\n",
		".profile":                 "set -x AWS_SECRET_ACCESS_KEY " + testSecret + "\n\n\nset -x AWS_ACCESS_KEY_ID " + testKeyID + "\n",
	}, nil)
	fs := shellFiles(o)
	has(t, fs, "critical shell-key  ~/.bashrc:2", "warning shell-key  ~/.envrc:1", "critical shell-key  ~/.profile:4")
	hasNo(t, fs, "critical shell-key  ~/.zshrc")
	hasNo(t, fs, "critical shell-key  ~/.config/fish") // 5 lines apart: too far
	noSecret(t, fs, testSecret)
	for _, f := range fs {
		if f.Resource == "~/.bashrc:2" && (!strings.Contains(f.Message, "lines 2 and 3") || !strings.Contains(f.Message, "AKIA…MPLE")) {
			t.Errorf("%+v", f)
		}
	}
	has(t, shellFiles(home(t, nil, nil)), "ok shell-key  ")
}

func TestEnvironment(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want []string
	}{
		{nil, []string{"ok env-credentials  AWS_ACCESS_KEY_ID"}},
		{map[string]string{"AWS_ACCESS_KEY_ID": testKeyID, "AWS_SECRET_ACCESS_KEY": testSecret}, []string{"critical env-credentials  AWS_ACCESS_KEY_ID"}},
		{map[string]string{"AWS_SECRET_ACCESS_KEY": testSecret}, []string{"critical env-credentials  AWS_ACCESS_KEY_ID"}},
		{map[string]string{"AWS_ACCESS_KEY_ID": "ASIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": testSecret, "AWS_SESSION_TOKEN": "t"}, []string{"warning env-credentials  AWS_ACCESS_KEY_ID"}},
		{map[string]string{"AWS_ACCESS_KEY_ID": "ASIAIOSFODNN7EXAMPLE", "AWS_SESSION_TOKEN": "t", "AWSMFA_PROFILE": "dev"}, []string{"ok env-credentials  AWS_ACCESS_KEY_ID"}},
		{map[string]string{"AWSMFA_PASSPHRASE": "pass-secret-value"}, []string{"warning env-credentials  AWSMFA_PASSPHRASE", "ok env-credentials  AWS_ACCESS_KEY_ID"}},
	} {
		fs := environment(home(t, nil, tc.env))
		if got := summary(fs); !slices.Equal(got, tc.want) {
			t.Errorf("env %v: got %q, want %q", tc.env, got, tc.want)
		}
		noSecret(t, fs, testSecret, "pass-secret-value")
	}
}

func TestRoleSerials(t *testing.T) {
	o := home(t, map[string]string{".aws/config": `[profile dev]
region = eu-west-1

[profile good]
role_arn = arn:aws:iam::123456789012:role/admin
source_profile = dev
mfa_serial = arn:aws:iam::123456789012:mfa/alice

[profile bare]
role_arn = arn:aws:iam::123456789012:role/admin
source_profile = dev

[profile instance]
role_arn = arn:aws:iam::123456789012:role/ec2
credential_source = Ec2InstanceMetadata

[profile broken]
role_arn = arn:aws:iam::123456789012:role/x
source_profile = missing
`}, nil)
	fs := roleSerials(o)
	has(t, fs, "warning role-mfa-serial bare arn:aws:iam::123456789012:role/admin", "warning role-mfa-serial broken arn:aws:iam::123456789012:role/x")
	if len(fs) != 2 {
		t.Errorf("got %q", summary(fs))
	}
	for _, f := range fs {
		if f.Profile == "bare" && f.Fix != "awsmfa exec dev --save -- true" {
			t.Errorf("fix %q", f.Fix)
		}
	}
	ok := home(t, map[string]string{".aws/config": "[profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n[profile r]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = dev\n"}, nil)
	has(t, roleSerials(ok), "ok role-mfa-serial  ")
}

func TestReportOrderAndWorst(t *testing.T) {
	r := NewReport([]Finding{
		{ID: "b", Severity: OK}, {ID: "a", Severity: Warning, Profile: "z"}, {ID: "c", Severity: Critical},
		{ID: "a", Severity: Warning, Profile: "a"},
	})
	var ids []string
	for _, f := range r.Findings {
		ids = append(ids, string(f.Severity)+":"+f.Profile+":"+f.ID)
	}
	if want := []string{"critical::c", "warning:a:a", "warning:z:a", "ok::b"}; !slices.Equal(ids, want) {
		t.Errorf("order %q, want %q", ids, want)
	}
	if r.Worst() != Critical || NewReport(nil).Worst() != OK || NewReport([]Finding{{Severity: Warning}}).Worst() != Warning {
		t.Error("Worst")
	}
	if NewReport(nil).Findings == nil {
		t.Error("findings must marshal as [] when empty")
	}
}

func TestShellWord(t *testing.T) {
	for in, want := range map[string]string{
		"dev": "dev", "~/.aws": "~/.aws", "~/my dir": "~/'my dir'", "it's": `'it'\''s'`, "": "''",
	} {
		if got := shellWord(in); got != want {
			t.Errorf("shellWord(%q) = %q, want %q", in, got, want)
		}
	}
}
