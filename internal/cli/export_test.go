package cli

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/awsmfa/awsmfa/internal/session"
	"github.com/awsmfa/awsmfa/internal/tty"
)

// hostileValues are what a hostile STS endpoint (or a hostile region in a
// config file) could slip into export's output. session.fromSTS refuses such
// credentials; export's quoting is the second line of defense (issue 7 item 7).
var hostileValues = []string{
	"$(touch PWNED)",
	"`touch PWNED`",
	"'; touch PWNED; '",
	`"; touch PWNED; "`,
	"a\ncredential_process = touch PWNED",
	`back\slash\'quote`,
	"${HOME}%PATH%!x!",
	"’; touch PWNED; ‘",
	"",
}

func hostileResult(v string) session.Result {
	return session.Result{Credentials: session.Credentials{AccessKeyID: "ASIAZZZZZZZZZZZZZZZZ", SecretAccessKey: v,
		SessionToken: v, Expiration: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}, Region: v}
}

// TestExportQuotingPOSIX evaluates env and env-no-export output in every
// POSIX shell on the machine: each variable must come back byte for byte, and
// nothing in it may run.
func TestExportQuotingPOSIX(t *testing.T) {
	var shells []string
	for _, sh := range []string{"sh", "bash", "dash", "zsh"} {
		if p, err := exec.LookPath(sh); err == nil {
			shells = append(shells, p)
		}
	}
	if len(shells) == 0 {
		t.Skip("no POSIX shell")
	}
	for _, format := range []string{"env", "env-no-export"} {
		for _, v := range hostileValues {
			var out bytes.Buffer
			if err := writeCredentials(&out, format, "p", hostileResult(v)); err != nil {
				t.Fatalf("%s %q: %v", format, v, err)
			}
			for _, sh := range shells {
				dir := t.TempDir()
				script := out.String() + `printf '%s\000%s\000%s' "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" "$AWS_REGION"`
				cmd := exec.Command(sh, "-c", script)
				cmd.Dir = dir
				cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
				got, err := cmd.Output()
				if err != nil {
					t.Fatalf("%s: %s output %q: %v", filepath.Base(sh), format, out.String(), err)
				}
				if want := v + "\x00" + v + "\x00" + v; string(got) != want {
					t.Errorf("%s: %s of %q read back as %q", filepath.Base(sh), format, v, got)
				}
				if _, err := os.Stat(filepath.Join(dir, "PWNED")); err == nil {
					t.Errorf("%s: %s of %q ran a command", filepath.Base(sh), format, v)
				}
			}
		}
	}
}

func TestExportQuoting(t *testing.T) {
	for _, tc := range []struct {
		in, fish, powershell string
	}{
		{in: "ASIAZZZZ", fish: "'ASIAZZZZ'", powershell: "'ASIAZZZZ'"},
		{in: "a'b", fish: `'a\'b'`, powershell: "'a''b'"},
		{in: `a\b`, fish: `'a\\b'`, powershell: `'a\b'`},
		{in: "$(x)`y`", fish: "'$(x)`y`'", powershell: "'$(x)`y`'"},
		{in: "a’b‘c‚d‛e", fish: "'a’b‘c‚d‛e'", powershell: "'a’’b‘‘c‚‚d‛‛e'"},
	} {
		if got := quoteFish(tc.in); got != tc.fish {
			t.Errorf("quoteFish(%q) = %q, want %q", tc.in, got, tc.fish)
		}
		if got := quotePowerShell(tc.in); got != tc.powershell {
			t.Errorf("quotePowerShell(%q) = %q, want %q", tc.in, got, tc.powershell)
		}
	}
}

// TestExportRefusesUnsafe: cmd.exe and ini have no safe quoting, so a value
// outside the plain set is refused and nothing at all is printed.
func TestExportRefusesUnsafe(t *testing.T) {
	for _, format := range []string{"windows-cmd", "ini"} {
		for _, v := range hostileValues {
			var out bytes.Buffer
			err := writeCredentials(&out, format, "p", hostileResult(v))
			if err == nil {
				t.Errorf("%s accepted %q:\n%s", format, v, out.String())
				continue
			}
			if out.Len() != 0 {
				t.Errorf("%s printed %q before refusing %q", format, out.String(), v)
			}
			if v != "" && strings.Contains(err.Error(), v) {
				t.Errorf("%s: the error %q quotes the value", format, err)
			}
		}
	}
	for _, name := range []string{"a]b", "a\nb", "dev #x", "dev;x", " dev", ""} {
		var out bytes.Buffer
		if err := writeCredentials(&out, "ini", name, hostileResult("ABC")); err == nil || out.Len() != 0 {
			t.Errorf("ini accepted section %q: %v\n%s", name, err, out.String())
		}
	}
	var out bytes.Buffer
	if err := writeCredentials(&out, "windows-cmd", "p", hostileResult("wJalrXUtnFEMI/K7MDENG+bPxRfiCY=")); err != nil {
		t.Fatalf("windows-cmd refused a plain value: %v", err)
	}
	if !strings.Contains(out.String(), "set AWS_SESSION_TOKEN=wJalrXUtnFEMI/K7MDENG+bPxRfiCY=\n") {
		t.Errorf("windows-cmd output:\n%s", out.String())
	}
}

// TestExportHostileEndpoint runs export end to end against an STS endpoint
// that answers with a token built to run a command under eval and to add a
// credential_process line to an ini file: every format prints nothing and
// fails with an error that does not quote the token (issue 7 item 7).
func TestExportHostileEndpoint(t *testing.T) {
	var token atomic.Value
	token.Store("FwoGZXIvYXdzEJr//////////wEaDJtBgYiY+example+token==")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		_ = xml.EscapeText(&b, []byte(token.Load().(string)))
		fmt.Fprintf(w, `<GetSessionTokenResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetSessionTokenResult><Credentials>
<AccessKeyId>ASIAZZZZZZZZZZZZZZZZ</AccessKeyId><SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY</SecretAccessKey>
<SessionToken>%s</SessionToken><Expiration>%s</Expiration></Credentials></GetSessionTokenResult>
<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetSessionTokenResponse>`,
			b.String(), time.Now().Add(8*time.Hour).UTC().Format(time.RFC3339))
	}))
	defer srv.Close()
	home := t.TempDir()
	vars := map[string]string{
		"HOME": home, "AWSMFA_BACKEND": "file", "AWSMFA_PASSPHRASE": "s3cret-passphrase", "AWSMFA_NO_AGENT": "1",
		"AWS_ENDPOINT_URL": srv.URL, "AWS_REGION": "us-east-1",
		"AWS_ACCESS_KEY_ID": "AKIAZZZZZZZZZZZZZZZZ", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	}
	run := func(args ...string) (code int, stdout, stderr string) {
		var out, errOut bytes.Buffer
		env := &Env{Argv0: "awsmfa", Args: args, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
			Getenv: func(k string) string { return vars[k] },
			Environ: func() []string {
				var l []string
				for k, v := range vars {
					l = append(l, k+"="+v)
				}
				return l
			},
			HomeDir:    func() (string, error) { return home, nil },
			Executable: os.Executable, Getwd: os.Getwd,
			GOOS: runtime.GOOS, Now: time.Now,
			OpenTTY:                  func() (*tty.Terminal, error) { return nil, tty.ErrNoTTY },
			testOnlyScryptWorkFactor: 10,
		}
		code = Main(t.Context(), env)
		return code, out.String(), errOut.String()
	}
	if code, _, stderr := run("add", "dev", "--env"); code != 0 {
		t.Fatalf("add: %d %s", code, stderr)
	}
	delete(vars, "AWS_ACCESS_KEY_ID")
	delete(vars, "AWS_SECRET_ACCESS_KEY")
	if err := os.WriteFile(filepath.Join(home, ".aws", "config"), []byte("[profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/dev\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A well-formed answer first, to show the setup works.
	if code, stdout, stderr := run("export", "dev", "--mfa-token", "123456"); code != 0 || !strings.Contains(stdout, "example+token") {
		t.Fatalf("well-formed answer: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	token.Store("AQoE$(touch PWNED)\ncredential_process = touch PWNED")
	for i, format := range exportFormats {
		code, stdout, stderr := run("export", "dev", "--format", format, "--mfa-token", fmt.Sprintf("%06d", 100000+i))
		if code == 0 || stdout != "" {
			t.Errorf("%s: exit %d, stdout %q", format, code, stdout)
		}
		if !strings.Contains(stderr, "awsmfa: error: AWS ("+srv.URL+") answered GetSessionToken with a session token that is not base64") {
			t.Errorf("%s: stderr %q", format, stderr)
		}
		if strings.Contains(stderr, "PWNED") {
			t.Errorf("%s: stderr quotes the token: %q", format, stderr)
		}
	}
}
