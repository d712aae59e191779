package docs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestWalkthroughParse(t *testing.T) {
	readme := strings.Join([]string{
		"intro",
		"```sh",
		"not in the walk-through",
		"```",
		walkBegin,
		"text",
		"```sh",
		"# a comment",
		"echo one",
		"",
		"false   # exits 1",
		"aws iam create-role --role-name x \\",
		"    --path /",
		"cat > f.json <<'EOF'",
		"{\"a\": 1}",
		"EOF",
		"```",
		"```ini",
		"[profile x]",
		"```",
		"```sh",
		"echo two",
		"```",
		walkEnd,
		"```sh",
		"echo after",
		"```",
	}, "\n")
	got, err := Walkthrough(readme)
	if err != nil {
		t.Fatal(err)
	}
	want := []Command{
		{Text: "echo one", Line: 9},
		{Text: "false   # exits 1", Line: 11, Exit: 1},
		{Text: "aws iam create-role --role-name x \\\n    --path /", Line: 12},
		{Text: "cat > f.json <<'EOF'\n{\"a\": 1}\nEOF", Line: 14},
		{Text: "echo two", Line: 22},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	for _, bad := range []string{
		"no markers",
		walkBegin + "\n```sh\necho x\n```\n",
		walkBegin + "\n" + walkEnd,
		walkBegin + "\n```sh\necho \\\n```\n" + walkEnd,
		walkBegin + "\n```sh\necho x\n```\n" + walkEnd + "\n" + walkBegin + "\n" + walkEnd,
	} {
		if _, err := Walkthrough(bad); err == nil {
			t.Errorf("Walkthrough(%q) succeeded", bad)
		}
	}
}

// TestReadmeWalkthrough types every command of the README's walk-through
// into a real shell in a real terminal (tmux), as a new user would, with a
// fresh HOME, the awsmfa and awsemu built from this tree and the AWS CLI.
// It answers the prompts a person would answer: the vault passphrase, and
// MFA codes, which it reads from the emulator as an authenticator app would
// show them. Each command must end with the exit status the README promises.
func TestReadmeWalkthrough(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the walk-through is driven in tmux on linux")
	}
	ci := os.Getenv("CI") == "true"
	need := func(tool string) string {
		p, err := exec.LookPath(tool)
		if err != nil {
			if ci {
				t.Fatalf("%s is needed for the README walk-through (.ci/install.sh installs it)", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
		return p
	}
	tmuxBin := need("tmux")
	need("aws")
	need("curl")
	need("go")

	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	cmds, err := Walkthrough(string(readme))
	if err != nil {
		t.Fatal(err)
	}

	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	home := filepath.Join(work, "home")
	bin := filepath.Join(work, "bin")
	for _, d := range []string{home, bin} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	build := exec.Command("go", "build", "-o", bin+string(os.PathSeparator), "./cmd/awsmfa", "./cmd/awsmfa/awsmfa-full", "./cmd/awsemu")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building awsmfa and awsemu: %v\n%s", err, out)
	}

	// Every process the walk-through starts carries this mark in its
	// environment, so that cleanup finds and kills each one by pid.
	mark := "AWSMFA_WALKTHROUGH=" + strconv.FormatInt(time.Now().UnixNano(), 36)
	sock := filepath.Join(work, "tmux.sock")
	env := []string{
		"HOME=" + home,
		"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"TERM=xterm-256color",
		"LANG=C.UTF-8",
		"SHELL=/bin/bash",
		"PS1=[walk:$?]$ ",
		"TMUX_TMPDIR=" + work,
		"TMPDIR=" + work,
		mark,
	}
	start := exec.Command(tmuxBin, "-S", sock, "-f", "/dev/null", "new-session", "-d", "-x", "250", "-y", "50",
		"env", "-i")
	start.Args = append(start.Args, env...)
	start.Args = append(start.Args, "bash", "--norc", "--noprofile")
	start.Env = env
	if out, err := start.CombinedOutput(); err != nil {
		t.Fatalf("starting tmux: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		_ = exec.Command(tmuxBin, "-S", sock, "kill-server").Run()
		killMarked(t, mark)
	})
	tm := &terminal{t: t, tmux: tmuxBin, sock: sock, home: home, codes: map[string]int{}}
	tm.waitPrompts(1, time.Minute)

	for i, c := range cmds {
		t.Logf("README:%d: %s", c.Line, c.Text)
		tm.run(i+2, c)
	}
	t.Logf("the terminal at the end:\n%s", tm.screen())
	// The README promises one MFA code per key for the whole working session
	// (setup's own codes, which enroll the device and prove the lock, aside).
	if len(tm.codes) == 0 {
		t.Errorf("the walk-through asked for no MFA code")
	}
	for p, n := range tm.codes {
		if n != 1 {
			t.Errorf("the walk-through asked for %d MFA codes for profile %s, the README promises one", n, p)
		}
	}
	// And the vault's passphrase typed twice, when import creates the vault,
	// then never again: the agent keeps the vault open (issue 7 item 19).
	if tm.passphrases != 2 {
		t.Errorf("the walk-through asked for the vault passphrase %d times, the README promises twice (a new vault's, repeated), then never again", tm.passphrases)
	}
}

// terminal drives the shell in tmux.
type terminal struct {
	t           *testing.T
	tmux, sock  string
	home        string
	codes       map[string]int // MFA codes typed at "MFA code for profile P" prompts, by P
	passphrases int            // vault passphrases typed so far
}

func (tm *terminal) tmuxCmd(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command(tm.tmux, append([]string{"-S", tm.sock}, args...)...).Output()
	if err != nil {
		tm.t.Fatalf("tmux %s: %v", strings.Join(args, " "), err)
	}
	return string(out)
}

// screen is the whole scrollback of the pane.
func (tm *terminal) screen() string {
	return tm.tmuxCmd("capture-pane", "-p", "-J", "-S", "-", "-E", "-")
}

var shellPrompt = regexp.MustCompile(`(?m)^\[walk:(\d+)\]\$ `)

// waitPrompts waits until the shell has printed its prompt n times, and
// returns the screen.
func (tm *terminal) waitPrompts(n int, limit time.Duration) string {
	tm.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		s := tm.screen()
		if len(shellPrompt.FindAllString(s, -1)) >= n {
			return s
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("the shell did not come back within %v; the screen:\n%s", limit, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var (
	passphrasePrompt = regexp.MustCompile(`(?i)passphrase: $`)
	mfaPrompt        = regexp.MustCompile(`MFA code for profile (\S+) \((arn:[^)]+)\): $`)
	// awsmfa setup's prompts: the two codes that enable a new device, and
	// the code that proves the lock.
	enrollFirst  = regexp.MustCompile(`First MFA code from the app: $`)
	enrollSecond = regexp.MustCompile(`then the next MFA code: $`)
	proofPrompt  = regexp.MustCompile(`MFA code to prove the lock \((arn:[^;]+);[^)]*\): $`)
	anyPrompt    = regexp.MustCompile(`(?i)passphrase: |MFA code for profile \S+ \(arn:[^)]+\): |First MFA code from the app: |then the next MFA code: |MFA code to prove the lock \(`)
	// Where setup's plan names the device it creates, and the user.
	planDevice = regexp.MustCompile(`create virtual MFA device (\S+) for user`)
	planUser   = regexp.MustCompile(`\(arn:(aws[\w-]*):iam::(\d{12}):user/`)
)

// walkPassphrase is what the person types at the vault's passphrase prompts.
const walkPassphrase = "correct horse battery staple"

// run types c and answers its prompts until the shell's nth prompt shows,
// then checks the exit status the prompt reports.
func (tm *terminal) run(n int, c Command) {
	tm.t.Helper()
	tm.tmuxCmd("send-keys", "-l", c.Text)
	tm.tmuxCmd("send-keys", "Enter")
	deadline := time.Now().Add(3 * time.Minute)
	answered := 0
	for {
		s := tm.screen()
		if prompts := shellPrompt.FindAllStringSubmatchIndex(s, -1); len(prompts) >= n {
			last := prompts[len(prompts)-1]
			status, _ := strconv.Atoi(s[last[2]:last[3]])
			if status != c.Exit {
				tm.t.Fatalf("README line %d exited %d, the README says %d; the screen:\n%s", c.Line, status, c.Exit, s)
			}
			return
		}
		// The output of this command so far: after the last shell prompt.
		all := shellPrompt.FindAllStringIndex(s, -1)
		out := strings.TrimRight(s[all[len(all)-1][1]:], "\n")
		lines := strings.Split(out, "\n")
		lastLine := lines[len(lines)-1]
		if asked := len(anyPrompt.FindAllString(out, -1)); asked > answered {
			switch {
			case passphrasePrompt.MatchString(lastLine):
				answered = asked
				tm.passphrases++
				tm.type_(walkPassphrase)
			case mfaPrompt.MatchString(lastLine):
				answered = asked
				m := mfaPrompt.FindStringSubmatch(lastLine)
				tm.codes[m[1]]++
				tm.type_(tm.code(m[2], true, 0))
			case enrollFirst.MatchString(lastLine), enrollSecond.MatchString(lastLine):
				// An app shows the device's code, and after it changes the
				// next one: two consecutive codes.
				answered = asked
				dev, user := planDevice.FindStringSubmatch(out), planUser.FindStringSubmatch(out)
				if dev == nil || user == nil {
					tm.t.Fatalf("README line %d: setup asks to enroll a device its plan did not name:\n%s", c.Line, out)
				}
				serial := "arn:" + user[1] + ":iam::" + user[2] + ":mfa/" + dev[1]
				if enrollFirst.MatchString(lastLine) {
					tm.type_(tm.code(serial, true, 0))
				} else {
					tm.type_(tm.code(serial, false, 1))
				}
			case proofPrompt.MatchString(lastLine):
				answered = asked
				tm.type_(tm.code(proofPrompt.FindStringSubmatch(lastLine)[1], true, 0))
			}
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("README line %d did not finish; the screen:\n%s", c.Line, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// type_ types s and Enter.
func (tm *terminal) type_(s string) {
	tm.t.Helper()
	tm.tmuxCmd("send-keys", "-l", s)
	tm.tmuxCmd("send-keys", "Enter")
}

// code is what a person reads off the authenticator app: with wait, a fresh
// code (the emulator's clock is first moved on two 30 s windows, past any
// code the walk-through used before, as a person waits for a code not yet
// used); ahead steps later, the code the app shows after that many changes.
func (tm *terminal) code(serial string, wait bool, ahead int) string {
	tm.t.Helper()
	vars := tm.emulatorEnv()
	base, token := vars["AWSEMU_URL"], vars["AWSEMU_TOKEN"]
	if base == "" || token == "" {
		tm.t.Fatalf("an MFA prompt before the emulator's env file exists")
	}
	call := func(method, path string, body []byte) []byte {
		req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
		if err != nil {
			tm.t.Fatal(err)
		}
		req.Header.Set("X-Awsemu-Token", token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			tm.t.Fatal(err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		if resp.StatusCode != http.StatusOK {
			tm.t.Fatalf("%s %s: %s %s", method, path, resp.Status, buf.String())
		}
		return buf.Bytes()
	}
	if wait {
		call(http.MethodPost, "/_awsemu/clock", []byte(`{"advance":"60s"}`))
	}
	var got struct{ Code string }
	q := "serial=" + url.QueryEscape(serial) + "&ahead=" + strconv.Itoa(ahead)
	if err := json.Unmarshal(call(http.MethodGet, "/_awsemu/code?"+q, nil), &got); err != nil {
		tm.t.Fatal(err)
	}
	return got.Code
}

// emulatorEnv reads the export lines the walk-through's awsemu wrote.
func (tm *terminal) emulatorEnv() map[string]string {
	tm.t.Helper()
	data, err := os.ReadFile(filepath.Join(tm.home, "awsemu.env"))
	if err != nil {
		tm.t.Fatalf("reading the emulator's env file: %v", err)
	}
	vars := map[string]string{}
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimPrefix(strings.TrimSpace(l), "export ")
		if k, v, ok := strings.Cut(l, "="); ok {
			vars[k] = strings.Trim(v, `'"`)
		}
	}
	return vars
}

// killMarked kills, by pid, every process whose environment holds mark: the
// shell, the emulator, the agent and anything else the walk-through left.
func killMarked(t *testing.T, mark string) {
	t.Helper()
	want := []byte(mark)
	for range 3 {
		paths, _ := filepath.Glob("/proc/[0-9]*/environ")
		found := 0
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil || !bytes.Contains(data, want) {
				continue
			}
			pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			if err != nil || pid == os.Getpid() {
				continue
			}
			found++
			if p, err := os.FindProcess(pid); err == nil {
				_ = p.Kill()
			}
		}
		if found == 0 {
			return
		}
	}
}
