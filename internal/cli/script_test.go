package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/awsmfa/awsmfa/internal/awsemu/emutest"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary stand in for the awsmfa binary inside
// testscript scripts. The KDF cost is lowered through the explicit test hook.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"awsmfa": func() {
			// Leave the terminal of whoever runs "go test": a script reaches a
			// terminal only through ttyin, whose pty is then the controlling
			// terminal (Setsid fails there, as the process already leads
			// its session).
			_ = detachTerminal()
			env := System(os.Args[1:])
			if len(env.Args) >= 2 && env.Args[0] == "agent" && env.Args[1] == "run" {
				// Should a test binary die before its scripts' cleanup runs,
				// the agents it started still end soon.
				env.Args = append(env.Args, "--lifetime", "10m")
			}
			env.testOnlyScryptWorkFactor = 10
			testOnlyLoginRotate(env)
			testOnlySetupClock(env)
			exitFile := os.Getenv("AWSMFA_TEST_EXIT_FILE")
			if exitFile != "" {
				// A command that replaces the process (exec) leaves no status.
				_ = os.Remove(exitFile)
			}
			// Every spec runs through the cached path first, as the awsmfa
			// binary does on linux; whatever it does not serve, the full
			// command line runs, in this process.
			code := cachedMain(env, func() int { return Main(context.Background(), env) })
			// Record the status for the "exit" script command (not the
			// agent's, which ends whenever the script kills it).
			if exitFile != "" && (len(os.Args) < 2 || os.Args[1] != "agent") {
				_ = os.WriteFile(exitFile, []byte(strconv.Itoa(code)), 0o600)
			}
			os.Exit(code)
		},
		"emucode":  emucodeMain,
		"ykman":    ykmanMain,
		"whoami":   whoamiMain,
		"envdump":  envdumpMain,
		"passhang": passhangMain,
		"whoami-profile": func() {
			whoami(config.WithSharedConfigProfile(os.Getenv("AWS_PROFILE")))
		},
	})
}

// passhangMain is a passphrase command that hangs: passhang PIDFILE FIFO
// writes its pid to PIDFILE, tells FIFO's reader that it runs, and never
// prints a passphrase.
func passhangMain() {
	if len(os.Args) != 3 {
		os.Exit(2)
	}
	if err := os.WriteFile(os.Args[1], []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		os.Exit(1)
	}
	if f, err := os.OpenFile(os.Args[2], os.O_WRONLY, 0); err == nil {
		_, _ = f.Write([]byte("running\n"))
		f.Close()
	}
	time.Sleep(time.Hour) // killed long before
	os.Exit(1)
}

// TestScript runs the end-to-end specs in testdata/script: one script per
// behaviour, each with HOME inside its own $WORK.
func TestScript(t *testing.T) {
	testscript.Run(t, scriptParams(filepath.Join("..", "..", "testdata", "script")))
}

func scriptParams(dir string) testscript.Params {
	return testscript.Params{
		Dir:                 dir,
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			home := filepath.Join(e.WorkDir, "home")
			if err := os.MkdirAll(home, 0o700); err != nil {
				return err
			}
			e.Setenv("HOME", home)
			e.Setenv("USERPROFILE", home)
			e.Setenv("XDG_DATA_HOME", "")
			e.Setenv("XDG_CONFIG_HOME", "")
			e.Setenv("XDG_RUNTIME_DIR", "")
			e.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
			e.Setenv("AWSMFA_TEST_EXIT_FILE", filepath.Join(e.WorkDir, ".exit"))
			// The agent a script starts lives in $WORK/run and is killed by
			// its pid when the script ends, whatever happened.
			run := filepath.Join(e.WorkDir, "run")
			e.Setenv("AWSMFA_RUNTIME_DIR", run)
			e.Defer(func() { killAgent(run) })
			return nil
		},
		Cmds:      scriptCmds(),
		Condition: scriptCondition,
	}
}

// scriptCondition answers the scripts' own conditions:
//
//	[awscli]  the AWS CLI ("aws") is on PATH. Lines that need it are skipped
//	          without it, except in CI (CI=true), where its absence fails
//	          the script: there the real client is mandatory.
func scriptCondition(cond string) (bool, error) {
	switch cond {
	case "awscli":
		if _, err := exec.LookPath("aws"); err != nil {
			if os.Getenv("CI") == "true" {
				return false, fmt.Errorf("the AWS CLI (aws) is not on PATH, and CI=true makes it mandatory: %w", err)
			}
			return false, nil
		}
		return true, nil
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}

func scriptCmds() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	cmds := map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"no-secret-in-files": cmdNoSecretInFiles,
		"mode":               cmdMode,
		"exit":               cmdExit,
		"is-symlink":         cmdIsSymlink,
		"lines":              cmdLines,
		"canary":             cmdCanary,
		"capture-creds":      cmdCaptureCreds,
		"login-redirect":     cmdLoginRedirect,
		"process-gone":       cmdProcessGone,
		"mask-key":           cmdMaskKey,
	}
	maps.Copy(cmds, emutest.Commands())
	return cmds
}

// killAgent stops the agent whose pid file is in dir, if it still runs.
func killAgent(dir string) {
	data, err := os.ReadFile(filepath.Join(dir, "agent.pid"))
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return
	}
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
		_, _ = p.Wait()
	}
}

// cmdProcessGone checks, without waiting, that the process whose pid is in
// FILE has ended: it no longer exists, or is a zombie (its memory already
// released) waiting for its parent to reap it.
//
//	process-gone FILE
func cmdProcessGone(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: process-gone FILE")
	}
	pid, err := strconv.Atoi(strings.TrimSpace(ts.ReadFile(args[0])))
	if err != nil || pid <= 0 {
		ts.Fatalf("%s holds no pid", args[0])
	}
	gone := true
	if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		// The state follows the parenthesised command name.
		rest := string(stat[bytes.LastIndexByte(stat, ')')+1:])
		gone = strings.HasPrefix(strings.TrimSpace(rest), "Z")
	} else if !errors.Is(err, fs.ErrNotExist) {
		ts.Fatalf("%v", err)
	}
	if gone == neg {
		ts.Fatalf("process %d: gone = %v", pid, gone)
	}
}

// cmdNoSecretInFiles fails if any file under $HOME or $TMPDIR holds the
// secret, raw or base64- or hex-encoded.
//
//	no-secret-in-files SECRET
func cmdNoSecretInFiles(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 || args[0] == "" {
		ts.Fatalf("usage: no-secret-in-files SECRET")
	}
	ts.Check(noSecretInFiles(ts, args[0]))
}

// secretForms are the spellings of a secret a leak would show.
func secretForms(s string) [][]byte {
	secret := []byte(s)
	return [][]byte{
		secret,
		[]byte(base64.StdEncoding.EncodeToString(secret)),
		[]byte(base64.RawStdEncoding.EncodeToString(secret)),
		[]byte(base64.URLEncoding.EncodeToString(secret)),
		[]byte(hex.EncodeToString(secret)),
		[]byte(strings.ToUpper(hex.EncodeToString(secret))),
	}
}

func noSecretInFiles(ts *testscript.TestScript, secret string) error {
	forms := secretForms(secret)
	for _, root := range []string{ts.Getenv("HOME"), ts.Getenv("TMPDIR")} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, f := range forms {
				if bytes.Contains(data, f) {
					return fmt.Errorf("%s holds the secret (%d bytes matched)", path, len(f))
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// cmdCanary fails if any SECRET (raw, base64 or hex) shows up where it must
// never be: a file under $HOME or $TMPDIR, the command line of any process
// on the machine (linux), or the stderr of the last command. An argument
// @FILE stands for the content of FILE, so that a secret can be checked
// without being in the environment of the commands under test.
//
//	canary SECRET|@FILE...
func cmdCanary(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: canary SECRET|@FILE...")
	}
	for i, a := range args {
		if f, ok := strings.CutPrefix(a, "@"); ok {
			args[i] = strings.TrimSpace(ts.ReadFile(f))
		}
	}
	stderr := []byte(ts.ReadFile("stderr"))
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for i, secret := range args {
		if len(secret) < 16 {
			ts.Fatalf("canary %d is too short to be a secret", i+1)
		}
		ts.Check(noSecretInFiles(ts, secret))
		for _, f := range secretForms(secret) {
			if bytes.Contains(stderr, f) {
				ts.Fatalf("stderr holds canary %d", i+1)
			}
			for _, c := range cmdlines {
				if data, err := os.ReadFile(c); err == nil && bytes.Contains(data, f) {
					ts.Fatalf("%s holds canary %d", c, i+1)
				}
			}
		}
	}
}

// cmdCaptureCreds reads credential_process JSON from the last command's
// stdout into $CREDS_KEY_ID, $CREDS_SECRET and $CREDS_TOKEN.
//
//	capture-creds
func cmdCaptureCreds(ts *testscript.TestScript, neg bool, args []string) {
	var out processOutput
	if err := json.Unmarshal([]byte(ts.ReadFile("stdout")), &out); err != nil {
		ts.Fatalf("stdout is not credential_process JSON: %v", err)
	}
	ts.Setenv("CREDS_KEY_ID", out.AccessKeyID)
	ts.Setenv("CREDS_SECRET", out.SecretAccessKey)
	ts.Setenv("CREDS_TOKEN", out.SessionToken)
}

// cmdMode checks a file's permission bits.
//
//	mode PERM PATH    e.g. mode 0600 $HOME/.aws/credentials
func cmdMode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: mode PERM PATH")
	}
	fi, err := os.Stat(ts.MkAbs(args[1]))
	ts.Check(err)
	got := fmt.Sprintf("%04o", fi.Mode().Perm())
	if (got == args[0]) == neg {
		ts.Fatalf("%s has mode %s, want %s%s", args[1], got, map[bool]string{true: "not ", false: ""}[neg], args[0])
	}
}

// cmdExit checks the exit code of the most recent awsmfa run against the
// documented table.
//
//	exit CODE
func cmdExit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: exit CODE")
	}
	data, err := os.ReadFile(ts.Getenv("AWSMFA_TEST_EXIT_FILE"))
	ts.Check(err)
	if got := string(data); got != args[0] {
		ts.Fatalf("awsmfa exited %s, want %s", got, args[0])
	}
}

// cmdIsSymlink checks that a path is still a symbolic link.
//
//	is-symlink PATH
func cmdIsSymlink(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: is-symlink PATH")
	}
	fi, err := os.Lstat(ts.MkAbs(args[0]))
	ts.Check(err)
	if (fi.Mode()&fs.ModeSymlink != 0) == neg {
		ts.Fatalf("%s: symlink = %v", args[0], !neg)
	}
}

// emucodeMain is an mfa_process for scripts: it prints the current code of
// the emulator's device SERIAL (from AWSEMU_URL with AWSEMU_TOKEN) and, when
// AWSMFA_TEST_CODE_LOG is set, appends a line there so that scripts can count
// how often a code was asked for.
//
//	emucode SERIAL
func emucodeMain() {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "emucode:", err)
		os.Exit(1)
	}
	if len(os.Args) != 2 {
		fail(errors.New("usage: emucode SERIAL"))
	}
	req, err := http.NewRequest("GET", os.Getenv("AWSEMU_URL")+"/_awsemu/code?serial="+url.QueryEscape(os.Args[1]), nil)
	if err != nil {
		fail(err)
	}
	req.Header.Set("X-Awsemu-Token", os.Getenv("AWSEMU_TOKEN"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fail(err)
	}
	defer resp.Body.Close()
	var out struct{ Code string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		fail(fmt.Errorf("status %d: %v", resp.StatusCode, err))
	}
	if log := os.Getenv("AWSMFA_TEST_CODE_LOG"); log != "" {
		f, err := os.OpenFile(log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			fail(err)
		}
		fmt.Fprintln(f, "asked")
		f.Close()
	}
	fmt.Println(out.Code)
}

// cmdLines checks how many lines a file has; a missing file has none.
//
//	lines FILE N
func cmdLines(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: lines FILE N")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		ts.Fatalf("%v", err)
	}
	if got := strconv.Itoa(bytes.Count(data, []byte("\n"))); got != args[1] {
		ts.Fatalf("%s has %s lines, want %s", args[0], got, args[1])
	}
}

// whoamiMain prints the ARN that GetCallerIdentity returns for the
// credentials in the environment, at AWS_ENDPOINT_URL: the way scripts check
// what exec handed to its child.
func whoamiMain() { whoami() }

// whoami is whoamiMain with more configuration, e.g. a profile from the
// shared files.
func whoami(opts ...func(*config.LoadOptions) error) {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, append(opts, config.WithRegion("us-east-1"))...)
	if err == nil {
		var out *sts.GetCallerIdentityOutput
		out, err = sts.NewFromConfig(cfg, func(o *sts.Options) {
			o.BaseEndpoint = aws.String(os.Getenv("AWS_ENDPOINT_URL"))
		}).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err == nil {
			fmt.Println(aws.ToString(out.Arn))
			os.Exit(0)
		}
	}
	fmt.Fprintln(os.Stderr, "whoami:", err)
	os.Exit(1)
}

// envdumpMain prints its environment, one variable a line, and its own
// command line, for scripts that check what exec hands on.
func envdumpMain() {
	for _, kv := range os.Environ() {
		fmt.Println(kv)
	}
	fmt.Println("ARGV=" + strings.Join(os.Args, " "))
	fmt.Printf("PPID=%d\n", os.Getppid())
	if len(os.Args) > 1 {
		if code, err := strconv.Atoi(os.Args[1]); err == nil {
			os.Exit(code)
		}
	}
}
