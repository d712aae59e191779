package vault

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		line    string
		want    []string
		wantErr string
	}{
		{line: "pass show aws", want: []string{"pass", "show", "aws"}},
		{line: "  pass\tshow   aws  ", want: []string{"pass", "show", "aws"}},
		{line: `op read 'op://my vault/aws/pass'`, want: []string{"op", "read", "op://my vault/aws/pass"}},
		{line: `cmd "a b" c`, want: []string{"cmd", "a b", "c"}},
		{line: `cmd "it's"`, want: []string{"cmd", "it's"}},
		{line: `cmd 'say "hi"'`, want: []string{"cmd", `say "hi"`}},
		{line: `cmd pre"mid dle"post`, want: []string{"cmd", "premid dlepost"}},
		{line: `cmd ""`, want: []string{"cmd", ""}},
		{line: `C:\Tools\get-pass.exe --name aws`, want: []string{`C:\Tools\get-pass.exe`, "--name", "aws"}},
		{line: `echo $HOME *`, want: []string{"echo", "$HOME", "*"}},
		{line: "", wantErr: "empty command"},
		{line: "   ", wantErr: "empty command"},
		{line: `cmd 'open`, wantErr: "unterminated ' quote"},
		{line: `cmd "open`, wantErr: `unterminated " quote`},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			got, err := splitCommand(tt.line)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got (%q, %v), want error %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// fakePrompter answers ReadSecret from a list and records the prompts.
type fakePrompter struct {
	answers []string
	prompts []string
}

func (p *fakePrompter) ReadSecret(prompt string) (string, error) {
	p.prompts = append(p.prompts, prompt)
	if len(p.answers) == 0 {
		return "", errors.New("fake prompter: no more answers")
	}
	a := p.answers[0]
	p.answers = p.answers[1:]
	return a, nil
}

func TestPassphrasePrecedence(t *testing.T) {
	dir := t.TempDir()
	writeFile := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fileLF := writeFile("lf", "from-file\n")
	fileCRLF := writeFile("crlf", "from-file\r\n")
	fileTwoLF := writeFile("twolf", "from-file\n\n")
	fileEmpty := writeFile("empty", "\n")
	cmd := helperCommand(t, "print", "from-command")

	tests := []struct {
		name       string
		env        []string
		prompter   []string // nil: no prompter
		creating   bool
		want       string
		wantErr    error
		wantErrMsg string
		wantAsked  int
	}{
		{name: "file wins", env: []string{envPassphraseFile, fileLF, envPassphraseCommand, cmd, envPassphrase, "from-env"}, prompter: []string{"p"}, want: "from-file"},
		{name: "file crlf", env: []string{envPassphraseFile, fileCRLF}, want: "from-file"},
		{name: "file strips one newline only", env: []string{envPassphraseFile, fileTwoLF}, want: "from-file\n"},
		{name: "file missing is an error, not a fallback", env: []string{envPassphraseFile, filepath.Join(dir, "nope"), envPassphrase, "from-env"}, wantErr: os.ErrNotExist},
		{name: "file empty", env: []string{envPassphraseFile, fileEmpty}, wantErrMsg: "empty passphrase is not accepted"},
		{name: "command beats env", env: []string{envPassphraseCommand, cmd, envPassphrase, "from-env"}, prompter: []string{"p"}, want: "from-command"},
		{name: "env beats prompter", env: []string{envPassphrase, "from-env"}, prompter: []string{"p"}, want: "from-env"},
		{name: "prompter", prompter: []string{"typed"}, want: "typed", wantAsked: 1},
		{name: "prompter new asks twice", prompter: []string{"typed", "typed"}, creating: true, want: "typed", wantAsked: 2},
		{name: "prompter new mismatch", prompter: []string{"typed", "typo"}, creating: true, wantErr: ErrPassphraseMismatch, wantAsked: 2},
		{name: "prompter empty", prompter: []string{""}, wantErrMsg: "empty passphrase is not accepted", wantAsked: 1},
		{name: "prompter new empty not repeated", prompter: []string{"", ""}, creating: true, wantErrMsg: "empty passphrase is not accepted", wantAsked: 1},
		{name: "nothing", wantErr: ErrNoPassphrase},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Prompter
			var fp *fakePrompter
			if tt.prompter != nil {
				fp = &fakePrompter{answers: tt.prompter}
				p = fp
			}
			got, _, err := obtainPassphrase(context.Background(), envOf(tt.env...), p, tt.creating)
			if fp != nil && len(fp.prompts) != tt.wantAsked {
				t.Errorf("asked %d times (%q), want %d", len(fp.prompts), fp.prompts, tt.wantAsked)
			}
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got (%q, %v), want %v", got, err, tt.wantErr)
				}
			case tt.wantErrMsg != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErrMsg) {
					t.Fatalf("got (%q, %v), want error %q", got, err, tt.wantErrMsg)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if got != tt.want {
					t.Fatalf("got %q, want %q", got, tt.want)
				}
			}
		})
	}
}

func TestNoPassphraseNamesEverySource(t *testing.T) {
	for _, s := range []string{"AWSMFA_PASSPHRASE_FILE", "AWSMFA_PASSPHRASE_COMMAND", "AWSMFA_PASSPHRASE,", "terminal"} {
		if !strings.Contains(ErrNoPassphrase.Error(), s) {
			t.Errorf("ErrNoPassphrase %q does not name %q", ErrNoPassphrase, s)
		}
	}
}

func TestPassphraseCommandEnvironment(t *testing.T) {
	envFile := filepath.Join(t.TempDir(), "env")
	cmd := helperCommand(t, "environ", "from-command")
	t.Setenv(helperEnvFile, envFile)
	t.Setenv("AWSMFA_PASSPHRASE", "leak-env")
	t.Setenv("AWSMFA_PASSPHRASE_FILE", "/leak/file")
	t.Setenv("AWSMFA_PASSPHRASE_COMMAND", cmd)
	t.Setenv("AWSMFA_VAULTTEST_MARK", "inherited")
	// add --env reads the key from the environment (issue 7 item 9).
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "leak-secret-key")
	t.Setenv("AWS_SESSION_TOKEN", "leak-token")

	// The command is configured through getenv; the process environment,
	// which the command inherits, holds every passphrase variable.
	got, _, err := obtainPassphrase(context.Background(), envOf(envPassphraseCommand, cmd), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if got != "from-command" {
		t.Fatalf("got %q", got)
	}
	b, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	var sawMark bool
	for _, kv := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(strings.ToUpper(kv), "AWSMFA_PASSPHRASE") || strings.Contains(kv, "leak") || strings.HasPrefix(kv, "AWS_ACCESS_KEY_ID=") {
			t.Errorf("passphrase command saw %q", kv)
		}
		sawMark = sawMark || kv == "AWSMFA_VAULTTEST_MARK=inherited"
	}
	if !sawMark {
		t.Fatalf("the command did not get the rest of the environment: %q", b)
	}
}

func TestPassphraseCommandFailures(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		needSh  bool
		wantErr string
	}{
		{name: "missing program", line: filepath.Join(t.TempDir(), "no-such-program") + " arg-secret", wantErr: "running AWSMFA_PASSPHRASE_COMMAND"},
		{name: "unterminated quote", line: "get 'secret", wantErr: "unterminated"},
		{name: "non-zero exit", line: `sh -c 'echo out-secret; exit 3'`, needSh: true, wantErr: "exit status 3"},
		{name: "empty output", line: `sh -c 'echo'`, needSh: true, wantErr: "empty passphrase is not accepted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.needSh {
				if _, err := exec.LookPath("sh"); err != nil {
					t.Skip("no sh here")
				}
			}
			_, _, err := obtainPassphrase(context.Background(), envOf(envPassphraseCommand, tt.line), nil, false)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want error %q", err, tt.wantErr)
			}
			if containsAny(err.Error(), "secret") {
				t.Fatalf("error quotes the command or its output: %v", err)
			}
		})
	}
}
