package compat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/awsmfa/awsmfa/internal/awsemu"
)

// mfaCodeHelper is the first argument that makes the test binary an
// mfa_process: it prints the current code of an emulator device.
const mfaCodeHelper = "compat-mfacode"

// mfaCodeSpec is the file mfaCodeMain reads: where the emulator's control API
// is, which device, and the file that counts how often a code was asked for.
type mfaCodeSpec struct {
	URL    string `json:"url"`
	Token  string `json:"token"`
	Serial string `json:"serial"`
	Log    string `json:"log"`
}

// mfaCodeMain is an mfa_process: `TESTBINARY compat-mfacode SPECFILE` prints
// the device's current code from the emulator's control API and appends one
// line to the spec's log, so that tests can count the codes asked for.
func mfaCodeMain(args []string, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintf(stderr, "compat-mfacode: error: %v\n", err)
		return 1
	}
	if len(args) != 1 {
		return fail(errors.New("usage: compat-mfacode SPECFILE"))
	}
	data, err := os.ReadFile(args[0])
	if err != nil {
		return fail(err)
	}
	var spec mfaCodeSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		return fail(fmt.Errorf("reading %s: %w", args[0], err))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, spec.URL+"/_awsemu/code?serial="+url.QueryEscape(spec.Serial), nil)
	if err != nil {
		return fail(err)
	}
	req.Header.Set(awsemu.ControlTokenHeader, spec.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fail(err)
	}
	defer resp.Body.Close()
	var out struct{ Code, Error string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		return fail(fmt.Errorf("asking the emulator for a code: %s %v %s", resp.Status, err, out.Error))
	}
	f, err := os.OpenFile(spec.Log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fail(err)
	}
	_, werr := fmt.Fprintln(f, "code asked")
	if err := errors.Join(werr, f.Close()); err != nil {
		return fail(err)
	}
	fmt.Fprintln(stdout, out.Code)
	return 0
}

// awsmfaSetup is awsmfa installed for one test: a real binary, a HOME with
// the file vault, the agent's runtime directory and the emulator.
type awsmfaSetup struct {
	bin   string
	self  string
	tg    *target
	home  *awsHome
	extra []string
}

// buildAWSMFA builds cmd/awsmfa and cmd/awsmfa/awsmfa-full (which awsmfa
// runs for every command it does not serve from the agent's cache) into a
// temporary directory, as the README's install line does, and returns
// awsmfa's path.
func buildAWSMFA(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("building awsmfa: go is not on PATH: %v", err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "awsmfa")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, gobin, "build", "-o", dir+string(filepath.Separator),
		"github.com/awsmfa/awsmfa/cmd/awsmfa", "github.com/awsmfa/awsmfa/cmd/awsmfa/awsmfa-full")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building awsmfa: %v\n%s", err, out)
	}
	return bin
}

// newAWSMFASetup prepares a HOME, a file-vault passphrase and an agent
// runtime directory for the awsmfa binary bin. Cleanup stops the agent with `awsmfa agent stop` and
// then kills the pid in agent.pid if it still runs.
func newAWSMFASetup(t *testing.T, tg *target, bin string) *awsmfaSetup {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	s := &awsmfaSetup{bin: bin, self: self, tg: tg, home: newAWSHome(t)}
	// A unix socket path is limited to about 107 bytes: t.TempDir() can be
	// too deep, so the runtime directory is a short one in os.TempDir().
	run, err := os.MkdirTemp("", "amc")
	if err != nil {
		t.Fatal(err)
	}
	pass := filepath.Join(t.TempDir(), "passphrase")
	if err := os.WriteFile(pass, []byte("compat-test-passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.extra = []string{"AWSMFA_BACKEND=file", "AWSMFA_PASSPHRASE_FILE=" + pass, "AWSMFA_RUNTIME_DIR=" + run}
	t.Cleanup(func() {
		r := runInCleanup(child{env: s.env(), dir: s.home.dir, name: s.bin, args: []string{"agent", "stop"}})
		if r.err != nil {
			t.Logf("awsmfa agent stop: %v: %s", r.err, clip(r.stderr))
		}
		killPIDFile(t, filepath.Join(run, "agent.pid"), s.bin)
		if err := os.RemoveAll(run); err != nil {
			t.Errorf("removing %s: %v", run, err)
		}
	})
	return s
}

// runInCleanup is run for cleanups, where t.Context() is already done.
func runInCleanup(c child) result {
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.name, c.args...)
	cmd.Env, cmd.Dir = c.env, c.dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	detach(cmd)
	err := cmd.Run()
	return result{stderr: stderr.String(), err: err}
}

// killPIDFile kills the process whose pid the file holds if it still runs
// and, where /proc tells, is the awsmfa binary bin (a stale pid file must not
// get an unrelated process killed).
func killPIDFile(t *testing.T, path, bin string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		return // no agent ran, or it removed its pid file when it stopped
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		t.Errorf("%s holds no pid", path)
		return
	}
	proc := filepath.Join("/proc", strconv.Itoa(pid))
	if _, err := os.Stat("/proc/self"); err == nil {
		exe, err := os.Readlink(filepath.Join(proc, "exe"))
		if err != nil || exe != bin {
			return // gone, a zombie (no exe link), or not ours
		}
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return
	}
	if err := p.Signal(syscall.Signal(0)); err == nil {
		t.Logf("the agent (pid %d) outlived agent stop; killing it", pid)
		_ = p.Kill()
	}
}

// env is the environment of awsmfa and of the clients that run it.
func (s *awsmfaSetup) env() []string { return s.home.env(s.tg.endpoint, s.extra...) }

// userProfiles are the config sections of one client's user: NAME (the vault
// key, its mfa_serial and an mfa_process counting codes in log), NAME-role
// (role_arn + source_profile) and NAME-cp (credential_process of NAME-role).
type userProfiles struct {
	f        fixture
	log      string
	sections []profile
}

// userProfiles returns f's sections; its mfa_process asks the emulator for
// f's current code.
func (s *awsmfaSetup) userProfiles(t *testing.T, f fixture) userProfiles {
	t.Helper()
	spec := mfaCodeSpec{URL: s.tg.endpoint, Token: s.tg.emu.ControlToken(), Serial: f.serial, Log: filepath.Join(t.TempDir(), "codes")}
	data, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	specFile := filepath.Join(t.TempDir(), "mfacode.json")
	if err := os.WriteFile(specFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return userProfiles{f: f, log: spec.Log, sections: []profile{
		{name: f.user, keys: [][2]string{{"region", "us-east-1"}, {"mfa_serial", f.serial}, {"mfa_process", s.self + " " + mfaCodeHelper + " " + specFile}}},
		{name: f.user + "-role", keys: [][2]string{{"role_arn", f.roleARN}, {"source_profile", f.user}, {"region", "us-east-1"}}},
		{name: f.user + "-cp", keys: [][2]string{{"credential_process", s.bin + " credential-process " + f.user + "-role"}, {"region", "us-east-1"}}},
	}}
}

// codesAsked counts the mfa_process runs logged for u.
func (u userProfiles) codesAsked(t *testing.T) int {
	t.Helper()
	data, err := os.ReadFile(u.log)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(data), "\n")
}

// TestAWSMFAClients runs real clients against awsmfa (issue 4, acceptance 3):
// the AWS CLI v1 and v2, boto3 and the JS SDK v3 through a credential_process
// profile, and the AWS CLI v1 under `awsmfa exec`, all for a role whose trust
// policy demands MFA. Each client runs twice and must get the assumed role's
// identity both times, with one MFA code asked and one GetSessionToken made.
func TestAWSMFAClients(t *testing.T) {
	tg := startEmulator(t)
	type clientRun func(t *testing.T, s *awsmfaSetup, u userProfiles, i int) string
	clients := []struct {
		name string
		// prepare checks the client is installed and returns how to run it.
		prepare func(t *testing.T) clientRun
	}{
		{"awscli-v1-credential-process", func(t *testing.T) clientRun {
			bin := awsCLIv1(t)
			return func(t *testing.T, s *awsmfaSetup, u userProfiles, _ int) string {
				return arnOf(t, "aws (credential_process)", child{env: s.env(), dir: s.home.dir, name: bin,
					args: []string{"sts", "get-caller-identity", "--profile", u.f.user + "-cp", "--output", "json"}})
			}
		}},
		{"awscli-v1-exec", func(t *testing.T) clientRun {
			bin := awsCLIv1(t)
			return func(t *testing.T, s *awsmfaSetup, u userProfiles, _ int) string {
				return arnOf(t, "awsmfa exec -- aws", child{env: s.env(), dir: s.home.dir, name: s.bin,
					args: []string{"exec", u.f.user + "-role", "--", bin, "sts", "get-caller-identity", "--output", "json"}})
			}
		}},
		{"awscli-v2-credential-process", func(t *testing.T) clientRun {
			bin, _ := awsCLIv2(t)
			return func(t *testing.T, s *awsmfaSetup, u userProfiles, _ int) string {
				// --endpoint-url: a CLI v2 before 2.13 ignores AWS_ENDPOINT_URL.
				return arnOf(t, "aws v2 (credential_process)", child{env: s.env(), dir: s.home.dir, name: bin,
					args: []string{"--endpoint-url", s.tg.endpoint, "sts", "get-caller-identity", "--profile", u.f.user + "-cp", "--output", "json"}})
			}
		}},
		{"boto3-credential-process", func(t *testing.T) clientRun {
			py := python3Boto3(t)
			script, err := filepath.Abs(filepath.Join("testdata", "boto3_flows.py"))
			if err != nil {
				t.Fatal(err)
			}
			return func(t *testing.T, s *awsmfaSetup, u userProfiles, _ int) string {
				return arnOf(t, "boto3 (credential_process)", child{env: s.env(), dir: s.home.dir, name: py,
					args: []string{script, "identity", u.f.user + "-cp"}})
			}
		}},
		{"js-sdk-v3-credential-process", func(t *testing.T) clientRun {
			node, dir := nodeSDK(t)
			return func(t *testing.T, s *awsmfaSetup, u userProfiles, i int) string {
				// The first run resolves the profile with fromIni, the second
				// with fromProcess.
				provider := []string{"ini", "process"}[i%2]
				return arnOf(t, "JS SDK v3 (from"+provider+")", child{env: s.env(), dir: s.home.dir, name: node,
					args: []string{filepath.Join(dir, "identity.mjs"), provider, u.f.user + "-cp"}})
			}
		}},
	}

	// Each client gets its own HOME, vault and agent, so that its counts
	// are its own and each proves a cold start.
	bin := buildAWSMFA(t)
	for i, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			runClient := c.prepare(t)
			s := newAWSMFASetup(t, tg, bin)
			u := s.userProfiles(t, tg.newFixture(t, fixtureName("am", strconv.Itoa(i))))
			s.home.writeProfiles(t, u.sections, nil)
			mustRun(t, "awsmfa add", child{env: s.env(), dir: s.home.dir, name: s.bin, stdin: u.f.key.ID + "\n" + u.f.key.Secret + "\n",
				args: []string{"add", u.f.user, "--stdin"}})

			want := "arn:aws:sts::" + tg.account + ":assumed-role/" + u.f.role + "/"
			for run := range 2 {
				if got := runClient(t, s, u, run); !strings.HasPrefix(got, want) {
					t.Fatalf("run %d: GetCallerIdentity ARN = %q, want the assumed role %s…", run+1, got, want)
				}
			}
			if got := u.codesAsked(t); got != 1 {
				t.Errorf("mfa_process ran %d times for two runs, want 1", got)
			}
			if got := tg.calls("GetSessionToken", u.f.key.ID); got != 1 {
				t.Errorf("emulator answered %d GetSessionToken calls for two runs, want 1", got)
			}
		})
	}
}

// arnOf runs c, which prints GetCallerIdentity's JSON, and returns the ARN.
func arnOf(t *testing.T, what string, c child) string {
	t.Helper()
	var out struct{ Arn string }
	decodeJSON(t, what, mustRun(t, what, c), &out)
	return out.Arn
}
