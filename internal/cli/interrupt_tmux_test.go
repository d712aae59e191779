//go:build unix

package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tmuxSession is a bash in a tmux session of a private tmux server: what a
// person sees at awsmfa's prompts, keys sent and the screen read back.
type tmuxSession struct {
	t    *testing.T
	sock string
}

// newTmuxSession starts an interactive bash, with job control, in a new tmux
// server with an empty configuration and the environment env.
func newTmuxSession(t *testing.T, dir string, env []string) *tmuxSession {
	t.Helper()
	for _, tool := range []string{"tmux", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	// A unix socket path is limited to about 107 bytes; t.TempDir() can be
	// deeper than that.
	sockDir, err := os.MkdirTemp("", "amt")
	if err != nil {
		t.Fatal(err)
	}
	s := &tmuxSession{t: t, sock: filepath.Join(sockDir, "s")}
	args := []string{"new-session", "-d", "-x", "150", "-y", "40", "-c", dir, "--", "env", "-i"}
	args = append(args, env...)
	args = append(args, "PS1=READY> ", "TERM=xterm", "bash", "--norc", "--noprofile", "-i")
	if out, err := s.cmd(args...).CombinedOutput(); err != nil {
		os.RemoveAll(sockDir)
		t.Fatalf("starting tmux: %v: %s", err, out)
	}
	t.Cleanup(func() {
		_ = s.cmd("kill-server").Run()
		os.RemoveAll(sockDir)
	})
	s.waitFor(regexp.MustCompile(`READY>$`))
	return s
}

func (s *tmuxSession) cmd(args ...string) *exec.Cmd {
	return exec.Command("tmux", append([]string{"-S", s.sock, "-f", "/dev/null"}, args...)...)
}

// send types keys (tmux key names, such as Enter or C-c).
func (s *tmuxSession) send(keys ...string) {
	s.t.Helper()
	if out, err := s.cmd(append([]string{"send-keys", "-t", "0"}, keys...)...).CombinedOutput(); err != nil {
		s.t.Fatalf("tmux send-keys: %v: %s", err, out)
	}
}

// screen is the pane's text, lines trimmed on the right.
func (s *tmuxSession) screen() string {
	s.t.Helper()
	out, err := s.cmd("capture-pane", "-p", "-t", "0").Output()
	if err != nil {
		s.t.Fatalf("tmux capture-pane: %v", err)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// waitFor polls the screen until re matches it, failing after a generous
// bound; it returns the screen.
func (s *tmuxSession) waitFor(re *regexp.Regexp) string {
	s.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		sc := s.screen()
		if re.MatchString(sc) {
			return sc
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the screen never matched %s:\n%s", re, sc)
		}
		<-time.After(20 * time.Millisecond) // between two looks at the screen
	}
}

// TestTerminalPrompts drives the awsmfa binary at its prompts through tmux,
// as a person would: bash starts it, keys are typed, the screen is read.
func TestTerminalPrompts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds awsmfa")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed")
	}
	bin := buildBinary(t)
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
		t.Fatal(err)
	}
	config := "[profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/phone\nregion = us-east-1\n"
	if err := os.WriteFile(filepath.Join(home, ".aws", "config"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	run, err := os.MkdirTemp("", "ama")
	if err != nil {
		t.Fatal(err)
	}
	base := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "AWSMFA_BACKEND=file", "AWSMFA_RUNTIME_DIR=" + run}
	t.Cleanup(func() { stopAgent(t, bin, base, run) })
	add := exec.Command(bin, "add", "dev", "--env")
	add.Env = append(base, "AWSMFA_PASSPHRASE=tmux-test-passphrase",
		"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("awsmfa add: %v: %s", err, out)
	}
	t.Run("ctrl-c", func(t *testing.T) { testCtrlCAtPrompts(t, bin, base) })
	t.Run("background job", func(t *testing.T) { testBackgroundJobDoesNotPrompt(t, bin, base) })
}

// Issue 7 item 18: Ctrl-C at a prompt ends awsmfa at once, without Enter,
// with exit status 130 and the terminal's settings as they were.
func testCtrlCAtPrompts(t *testing.T, bin string, base []string) {
	for _, tc := range []struct {
		name, command, prompt string
		env                   []string
	}{
		{name: "mfa prompt", command: bin + " credential-process dev --no-agent", prompt: `MFA code for profile dev \(`,
			env: []string{"AWSMFA_PASSPHRASE=tmux-test-passphrase"}},
		{name: "mfa prompt through the agent", command: bin + " credential-process dev", prompt: `MFA code for profile dev \(`,
			env: []string{"AWSMFA_PASSPHRASE=tmux-test-passphrase"}},
		// In this process: the agent of the case before holds the vault open,
		// and list would use it without a prompt.
		{name: "passphrase prompt", command: bin + " list", prompt: `Vault passphrase:`,
			env: []string{"AWSMFA_NO_AGENT=1"}},
		// Through the agent, which asks list for the passphrase once lock has
		// ended the agent that held the vault open.
		{name: "passphrase prompt through the agent", command: bin + " lock >/dev/null; " + bin + " list", prompt: `Vault passphrase:`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := newTmuxSession(t, dir, append(append([]string{}, base...), tc.env...))
			s.send("stty -g > before", "Enter")
			s.waitFor(regexp.MustCompile(`before\nREADY>$`))
			s.send("clear", "Enter")
			s.waitFor(regexp.MustCompile(`^READY>$`))
			s.send(tc.command, "Enter")
			s.waitFor(regexp.MustCompile(tc.prompt))
			s.send("12", "C-c") // half a code, then Ctrl-C; no Enter
			// Only once awsmfa is gone does bash print its prompt again.
			s.waitFor(regexp.MustCompile(`(?s)` + tc.prompt + `.*\nREADY>$`))
			s.send(`echo "exit=$?"; stty -g > after`, "Enter")
			sc := s.waitFor(regexp.MustCompile(`(?m)^exit=\d+$`))
			if !strings.Contains(sc, "exit=130") || !strings.Contains(sc, "awsmfa: error: interrupted\n") {
				t.Errorf("awsmfa did not say it was interrupted and exit with 130:\n%s", sc)
			}
			t.Logf("screen:\n%s", sc)
			s.waitFor(regexp.MustCompile(`exit=\d+\nREADY>$`))
			before, err1 := os.ReadFile(filepath.Join(dir, "before"))
			after, err2 := os.ReadFile(filepath.Join(dir, "after"))
			if err1 != nil || err2 != nil {
				t.Fatalf("reading stty output: %v, %v", err1, err2)
			}
			if string(before) != string(after) {
				t.Errorf("terminal settings changed:\nbefore %safter  %s", before, after)
			}
		})
	}
}

// Issue 7 item 25: a background job does not take the terminal for a prompt
// (the shell would stop it with SIGTTIN, and whoever waits for its answer
// with it); it fails at once, saying why, with exit 2 as without a terminal.
func testBackgroundJobDoesNotPrompt(t *testing.T, bin string, base []string) {
	s := newTmuxSession(t, t.TempDir(), append(append([]string{}, base...), "AWSMFA_PASSPHRASE=tmux-test-passphrase"))
	s.send(bin+` credential-process dev --no-agent & wait $!; echo "bg-exit=$?"`, "Enter")
	sc := s.waitFor(regexp.MustCompile(`(?m)^bg-exit=\d+$`))
	t.Logf("screen:\n%s", sc)
	if !strings.Contains(sc, "bg-exit=2") || !strings.Contains(sc, "background job") || strings.Contains(sc, "MFA code for profile") {
		t.Errorf("the background job prompted, or did not fail with exit 2 saying why:\n%s", sc)
	}
}

// buildBinary builds cmd/awsmfa and the awsmfa-full it runs for what it does
// not serve itself into a temporary directory, and returns awsmfa's path.
func buildBinary(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go is not on PATH: %v", err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "awsmfa")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, gobin, "build", "-o", dir+string(filepath.Separator),
		"github.com/awsmfa/awsmfa/cmd/awsmfa", "github.com/awsmfa/awsmfa/cmd/awsmfa/awsmfa-full").CombinedOutput(); err != nil {
		t.Fatalf("building awsmfa: %v\n%s", err, out)
	}
	return bin
}

// stopAgent stops an agent the test may have started in run, by asking it
// and then by the pid it recorded, and removes run.
func stopAgent(t *testing.T, bin string, env []string, run string) {
	stop := exec.Command(bin, "agent", "stop")
	stop.Env = env
	_ = stop.Run()
	if b, err := os.ReadFile(filepath.Join(run, "agent.pid")); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if err := os.RemoveAll(run); err != nil {
		t.Errorf("removing %s: %v", run, err)
	}
}
