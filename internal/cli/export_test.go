package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/awsmfa/awsmfa/internal/session"
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
