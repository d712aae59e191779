package awsconfig

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	serialA = "arn:aws:iam::123456789012:mfa/alice"
	serialB = "arn:aws:iam::123456789012:mfa/bob"
	cmdDev  = "awsmfa credential-process dev"
)

func wirePaths(t *testing.T, config, credentials string) Paths {
	t.Helper()
	dir := t.TempDir()
	p := Paths{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")}
	if config != "" {
		writeFile(t, p.Config, config, 0o600)
	}
	if credentials != "" {
		writeFile(t, p.Credentials, credentials, 0o600)
	}
	return p
}

// TestWireUnwireRoundTrip wires dev, compares with the expected file, and
// unwires it: the file must be byte-identical to the original (issue 7 #22).
func TestWireUnwireRoundTrip(t *testing.T) {
	tests := []struct {
		name, before, wired string
		roles               []string
	}{
		{
			name: "serial moves from the role to the key",
			before: "[profile dev]\nregion = eu-west-1\n\n[profile prod]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = dev\n" +
				"mfa_serial = " + serialA + "\n",
			wired: "[profile dev]\nregion = eu-west-1\n" +
				"# awsmfa-wired: added credential_process, mfa_serial; undo: awsmfa unwire dev\n" +
				"credential_process = " + cmdDev + "\nmfa_serial = " + serialA + "\n\n" +
				"[profile prod]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = dev\n" +
				"# awsmfa-wired: moved to profile \"dev\": mfa_serial = " + serialA + "\n",
			roles: []string{"prod"},
		},
		{
			name: "key already names the serial; odd spacing and chained roles",
			before: "[profile dev]\nmfa_serial=" + serialA + "\n# trailing note\n\n[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = dev\nmfa_serial  :  " + serialA + "\n\n" +
				"[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\nmfa_serial = " + serialA,
			wired: "[profile dev]\nmfa_serial=" + serialA + "\n# awsmfa-wired: added credential_process; undo: awsmfa unwire dev\ncredential_process = " + cmdDev + "\n# trailing note\n\n" +
				"[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = dev\n# awsmfa-wired: moved to profile \"dev\": mfa_serial  :  " + serialA + "\n\n" +
				"[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n# awsmfa-wired: moved to profile \"dev\": mfa_serial = " + serialA,
			roles: []string{"a", "b"},
		},
		{
			name:   "CRLF, no newline at the end, empty key section last",
			before: "[profile prod]\r\nrole_arn = arn:aws:iam::1:role/p\r\nsource_profile = dev\r\n\r\n[profile dev]",
			wired: "[profile prod]\r\nrole_arn = arn:aws:iam::1:role/p\r\nsource_profile = dev\r\n\r\n[profile dev]\r\n" +
				"# awsmfa-wired: added credential_process; undo: awsmfa unwire dev\r\ncredential_process = " + cmdDev,
			roles: []string{"prod"},
		},
		{
			name:   "an indented role section",
			before: "[profile dev]\n[profile a]\n  role_arn = arn:aws:iam::1:role/a\n  source_profile = dev\n\tmfa_serial = " + serialA + "\n",
			wired: "[profile dev]\n# awsmfa-wired: added credential_process, mfa_serial; undo: awsmfa unwire dev\ncredential_process = " + cmdDev + "\nmfa_serial = " + serialA + "\n" +
				"[profile a]\n  role_arn = arn:aws:iam::1:role/a\n  source_profile = dev\n# awsmfa-wired: moved to profile \"dev\": \tmfa_serial = " + serialA + "\n",
			roles: []string{"a"},
		},
		{
			name:   "indented keys keep their indentation",
			before: "[profile dev]\n  region = x\n[profile other]\nregion = y\n",
			wired:  "[profile dev]\n  region = x\n  # awsmfa-wired: added credential_process; undo: awsmfa unwire dev\n  credential_process = " + cmdDev + "\n[profile other]\nregion = y\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			paths := wirePaths(t, tt.before, "")
			plan, err := PlanWiring(paths, "dev", cmdDev)
			if err != nil {
				t.Fatal(err)
			}
			if got := readString(t, paths.Config); got != tt.before {
				t.Fatalf("PlanWiring changed the file: %q", got)
			}
			w, err := Wire(t.Context(), paths, "dev", cmdDev, plan)
			if err != nil {
				t.Fatal(err)
			}
			if got := readString(t, paths.Config); got != tt.wired {
				t.Errorf("wired config\n%q\nwant\n%q", got, tt.wired)
			}
			if strings.Join(w.Roles, ",") != strings.Join(tt.roles, ",") {
				t.Errorf("roles = %v, want %v", w.Roles, tt.roles)
			}
			cfg, err := Load(paths)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range tt.roles {
				p, _ := cfg.Profile(r)
				if p.MFASerial != "" || p.RoleARN == "" || p.SourceProfile == "" {
					t.Errorf("wired role %s: mfa_serial %q, role_arn %q, source_profile %q", r, p.MFASerial, p.RoleARN, p.SourceProfile)
				}
			}
			dev, _ := cfg.Profile("dev")
			if !IsOwnCredentialProcess(dev.CredentialProcess, "dev") {
				t.Errorf("dev's credential_process = %q", dev.CredentialProcess)
			}

			// Wiring again changes nothing.
			if again, err := Wire(t.Context(), paths, "dev", cmdDev, nil); err != nil || !again.Empty() {
				t.Errorf("second Wire = %+v, %v; want nothing to do", again, err)
			}
			u, err := Unwire(t.Context(), paths, "dev")
			if err != nil {
				t.Fatal(err)
			}
			if u.Empty() {
				t.Fatal("Unwire found nothing to undo")
			}
			if got := readString(t, paths.Config); got != tt.before {
				t.Errorf("unwired config\n%q\nwant the original\n%q", got, tt.before)
			}
			if u, err := Unwire(t.Context(), paths, "dev"); err != nil || !u.Empty() {
				t.Errorf("second Unwire = %+v, %v; want nothing to do", u, err)
			}
		})
	}
}

func TestWireRefusals(t *testing.T) {
	role := func(name, src, serial string) string {
		s := "[profile " + name + "]\nrole_arn = arn:aws:iam::1:role/" + name + "\nsource_profile = " + src + "\n"
		if serial != "" {
			s += "mfa_serial = " + serial + "\n"
		}
		return s
	}
	tests := []struct{ name, config, credentials, want string }{
		{"two devices", "[profile dev]\n" + role("a", "dev", serialA) + role("b", "dev", serialB), "", "different MFA devices"},
		{"key names another device", "[profile dev]\nmfa_serial = " + serialB + "\n" + role("a", "dev", serialA), "", "names mfa_serial"},
		{"key is a role", "[profile dev]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = dev\n", "[dev]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n", "role_arn"},
		{"plaintext key left", "[profile dev]\n", "[dev]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n", "plaintext"},
		{"foreign credential_process", "[profile dev]\ncredential_process = other-tool dev\n", "", "another program"},
		{"someone else's awsmfa line", "[profile dev]\ncredential_process = awsmfa credential-process prod\n", "", "another program"},
		{"DEFAULT serial", "[DEFAULT]\nmfa_serial = " + serialA + "\n[profile dev]\n", "", "[DEFAULT]"},
		{"SSO", "[profile dev]\nsso_session = x\n", "", "another source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			paths := wirePaths(t, tt.config, tt.credentials)
			_, err := Wire(t.Context(), paths, "dev", cmdDev, nil)
			if !errors.Is(err, ErrCannotWire) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Wire error = %v, want ErrCannotWire mentioning %q", err, tt.want)
			}
			if got := readString(t, paths.Config); got != tt.config {
				t.Errorf("refused Wire changed the file: %q", got)
			}
		})
	}
}

// TestWireApprovedPlanMustHold: a wiring shown to the user is applied only
// if the file still gives the same one.
func TestWireApprovedPlanMustHold(t *testing.T) {
	paths := wirePaths(t, "[profile dev]\n[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = dev\nmfa_serial = "+serialA+"\n", "")
	plan, err := PlanWiring(paths, "dev", cmdDev)
	if err != nil {
		t.Fatal(err)
	}
	changed := readString(t, paths.Config) + "[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = dev\nmfa_serial = " + serialA + "\n"
	writeFile(t, paths.Config, changed, 0o600)
	if _, err := Wire(t.Context(), paths, "dev", cmdDev, plan); !errors.Is(err, ErrWiringChanged) {
		t.Fatalf("Wire = %v, want ErrWiringChanged", err)
	}
	if got := readString(t, paths.Config); got != changed {
		t.Errorf("file changed: %q", got)
	}
}

// TestWireCreatesKeySection: a key profile known only from the vault gets
// a section; Unwire takes back the lines but keeps the section.
func TestWireCreatesKeySection(t *testing.T) {
	paths := wirePaths(t, "", "")
	if _, err := Wire(t.Context(), paths, "my prof", CredentialProcessCommand("/opt/a b/awsmfa", "my prof"), nil); err != nil {
		t.Fatal(err)
	}
	want := "[profile \"my prof\"]\n# awsmfa-wired: added credential_process; undo: awsmfa unwire 'my prof'\ncredential_process = '/opt/a b/awsmfa' credential-process 'my prof'\n"
	if got := readString(t, paths.Config); got != want {
		t.Errorf("config\n%q\nwant\n%q", got, want)
	}
	if _, err := Unwire(t.Context(), paths, ""); err != nil {
		t.Fatal(err)
	}
	if got := readString(t, paths.Config); got != "[profile \"my prof\"]\n" {
		t.Errorf("after Unwire: %q", got)
	}
}

func TestIsOwnCredentialProcess(t *testing.T) {
	tests := []struct {
		value, profile string
		want           bool
	}{
		{"awsmfa credential-process dev", "dev", true},
		{"/usr/local/bin/awsmfa credential-process dev", "dev", true},
		{"'/opt/my tools/awsmfa' credential-process 'my prof'", "my prof", true},
		{`"C:\Program Files\awsmfa\awsmfa.exe" credential-process dev`, "dev", true},
		{"awsmfa credential-process prod", "dev", false},
		{"awsmfa credential-process dev --no-agent", "dev", false},
		{"awsmfa export dev", "dev", false},
		{"notawsmfa credential-process dev", "dev", false},
		{"awsmfa credential-process 'dev", "dev", false},
	}
	for _, tt := range tests {
		if got := IsOwnCredentialProcess(tt.value, tt.profile); got != tt.want {
			t.Errorf("IsOwnCredentialProcess(%q, %q) = %v, want %v", tt.value, tt.profile, got, tt.want)
		}
	}
}

// TestTakeStaticKeys removes a key only while it is the one read (issue 7
// #4), and keeps the config section (issue 7 #17).
func TestTakeStaticKeys(t *testing.T) {
	const (
		id     = "AKIAIOSFODNN7EXAMPLE"
		secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
		keys   = "aws_access_key_id = " + id + "\naws_secret_access_key = " + secret + "\n"
	)
	want := StaticCredentials{AccessKeyID: id, SecretAccessKey: secret}
	tests := []struct {
		name                  string
		config, credentials   string
		wantConfig, wantCreds string
		changed               bool
	}{
		{name: "credentials file", config: "[profile dev]\n", credentials: "[dev]\n" + keys + "\n[b]\nk = v\n",
			wantConfig: "[profile dev]\n", wantCreds: "[b]\nk = v\n"},
		{name: "config file keeps its section", config: "[profile dev]\n" + keys, wantConfig: "[profile dev]\n"},
		{name: "rotated secret", config: "[profile dev]\n", credentials: "[dev]\naws_access_key_id = " + id + "\naws_secret_access_key = " + strings.Repeat("x", 40) + "\n", changed: true},
		{name: "rotated id", credentials: "[dev]\naws_access_key_id = AKIAIOSFODNN7EXAMPL2\naws_secret_access_key = " + secret + "\n", changed: true},
		{name: "gone", credentials: "[other]\n" + keys, changed: true},
		{name: "shadowed different key in config stays", config: "[profile dev]\naws_access_key_id = AKIAOTHER\n", credentials: "[dev]\n" + keys,
			wantConfig: "[profile dev]\naws_access_key_id = AKIAOTHER\n", wantCreds: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			paths := wirePaths(t, tt.config, tt.credentials)
			err := TakeStaticKeys(t.Context(), paths, "dev", want)
			read := func(p string) string {
				data, err := os.ReadFile(p)
				if errors.Is(err, os.ErrNotExist) {
					return ""
				}
				if err != nil {
					t.Fatal(err)
				}
				return string(data)
			}
			if tt.changed {
				if !errors.Is(err, ErrKeyChanged) {
					t.Fatalf("err = %v, want ErrKeyChanged", err)
				}
				if read(paths.Config) != tt.config || read(paths.Credentials) != tt.credentials {
					t.Error("a refused TakeStaticKeys changed a file")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := read(paths.Config); got != tt.wantConfig {
				t.Errorf("config = %q, want %q", got, tt.wantConfig)
			}
			if got := read(paths.Credentials); got != tt.wantCreds {
				t.Errorf("credentials = %q, want %q", got, tt.wantCreds)
			}
		})
	}
}
