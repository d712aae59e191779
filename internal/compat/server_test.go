package compat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/awsmfa/awsmfa/internal/awsemu"
	"github.com/awsmfa/awsmfa/internal/cli"
)

// The credential server's compatibility tests (issue 10, acceptance 1) run
// awsmfa as this test binary, started under the name "awsmfa" (a link), so
// that its clock can be moved: the test-only hook is clockFileVar, read
// here and nowhere in the awsmfa binary. The agent awsmfa starts is this
// binary too (it is started with awsmfa's argv[0]), on the same clock.
const (
	awsmfaArgv0     = "awsmfa"
	containerHelper = "compat-container"
	// clockFileVar names a file holding whole seconds that awsmfa (here),
	// botocore (testdata/clockshim) and the container helper add to the
	// real time; the emulator's clock is moved by the same amount.
	clockFileVar = "COMPAT_CLOCK_FILE"
)

// awsmfaMain is awsmfa's main with the clock hook.
func awsmfaMain(args []string) int {
	env := cli.System(args)
	if f := os.Getenv(clockFileVar); f != "" {
		env.Now = func() time.Time { return time.Now().Add(clockOffset(f)) }
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return cli.Main(ctx, env)
}

// clockOffset reads the clock file; a missing or empty file is no shift.
func clockOffset(path string) time.Duration {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	sec, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	return time.Duration(sec) * time.Second
}

// advanceClocks moves the emulator's clock (through its control API at
// AWSEMU_URL) and then the clock file by d.
func advanceClocks(ctx context.Context, d time.Duration) error {
	u := os.Getenv("AWSEMU_URL") + "/_awsemu/clock?advance=" + url.QueryEscape(d.String())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set(awsemu.ControlTokenHeader, os.Getenv("AWSEMU_TOKEN"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("advancing the emulator's clock: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("advancing the emulator's clock: %s", resp.Status)
	}
	path := os.Getenv(clockFileVar)
	sec := int(clockOffset(path)/time.Second) + int(d/time.Second)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(sec)), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// containerMain is a Go SDK v2 client of the container endpoint, run as the
// command of `awsmfa exec --server`:
//
//	identity          GetCallerIdentity through the default chain; prints
//	                  {"Arn","Source"}
//	burst N D...      fetch once; then for each duration D move the clocks
//	                  D on and make N concurrent fetches through N container
//	                  providers; prints the key ids of each round
//	                  ([[first], [N keys], ...])
func containerMain(args []string, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	out, err := containerFlow(ctx, args)
	if err == nil {
		err = json.NewEncoder(stdout).Encode(out)
	}
	if err != nil {
		fmt.Fprintf(stderr, "compat-container: error: %v\n", err)
		return 1
	}
	return 0
}

func containerFlow(ctx context.Context, args []string) (any, error) {
	uri, token := os.Getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI"), os.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")
	if uri == "" || token == "" {
		return nil, errors.New("the container endpoint's variables are not set")
	}
	switch {
	case len(args) == 1 && args[0] == "identity":
		cfg, err := config.LoadDefaultConfig(ctx, config.WithBaseEndpoint(os.Getenv("AWS_ENDPOINT_URL")))
		if err != nil {
			return nil, err
		}
		creds, err := cfg.Credentials.Retrieve(ctx)
		if err != nil {
			return nil, err
		}
		id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return nil, err
		}
		return map[string]string{"Arn": aws.ToString(id.Arn), "Source": creds.Source}, nil
	case len(args) >= 3 && args[0] == "burst":
		n, err := strconv.Atoi(args[1])
		if err != nil {
			return nil, err
		}
		fetch := func() (string, error) {
			p := endpointcreds.New(uri, func(o *endpointcreds.Options) { o.AuthorizationToken = token })
			c, err := p.Retrieve(ctx)
			return c.AccessKeyID, err
		}
		first, err := fetch()
		if err != nil {
			return nil, err
		}
		rounds := [][]string{{first}}
		for _, a := range args[2:] {
			d, err := time.ParseDuration(a)
			if err != nil {
				return nil, err
			}
			if err := advanceClocks(ctx, d); err != nil {
				return nil, err
			}
			keys := make([]string, n)
			errs := make([]error, n)
			var start, wg sync.WaitGroup
			start.Add(1)
			for i := range n {
				wg.Go(func() {
					start.Wait()
					keys[i], errs[i] = fetch()
				})
			}
			start.Done()
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				return nil, err
			}
			rounds = append(rounds, keys)
		}
		return rounds, nil
	}
	return nil, errors.New("usage: compat-container identity | burst N D...")
}

// serverSetup is awsmfa (this test binary) with one user's profiles, the
// clock file, and what the children need to move the clocks.
type serverSetup struct {
	*awsmfaSetup
	u     userProfiles
	clock string
}

// newServerSetup installs the test binary as awsmfa (a hard link named
// awsmfa, or a symbolic one across file systems) and adds a user with its
// key in the vault.
func newServerSetup(t *testing.T, tg *target, name string) *serverSetup {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), awsmfaArgv0)
	if err := os.Link(self, bin); err != nil {
		if err := os.Symlink(self, bin); err != nil {
			t.Fatal(err)
		}
	}
	s := newAWSMFASetup(t, tg, bin)
	clock := filepath.Join(t.TempDir(), "clock")
	if err := os.WriteFile(clock, []byte("0"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.extra = append(s.extra, clockFileVar+"="+clock, "AWSEMU_URL="+tg.endpoint, "AWSEMU_TOKEN="+tg.emu.ControlToken())
	u := s.userProfiles(t, tg.newFixture(t, fixtureName("srv", name)))
	s.home.writeProfiles(t, u.sections, nil)
	mustRun(t, "awsmfa add", child{env: s.env(), dir: s.home.dir, name: s.bin, stdin: u.f.key.ID + "\n" + u.f.key.Secret + "\n",
		args: []string{"add", u.f.user, "--stdin"}})
	return &serverSetup{awsmfaSetup: s, u: u, clock: clock}
}

// exec runs CMD inside `awsmfa exec --server` for the user's role profile.
func (s *serverSetup) exec(t *testing.T, what string, extraEnv []string, cmd ...string) string {
	t.Helper()
	args := append([]string{"exec", "--server", s.u.f.user + "-role", "--"}, cmd...)
	return mustRun(t, what, child{env: append(s.env(), extraEnv...), dir: s.home.dir, name: s.bin, args: args})
}

// successfulCalls counts the emulator's successful calls of action.
func successfulCalls(tg *target, action string) int {
	n := 0
	for _, c := range tg.emu.CallLog() {
		if c.Action == action && c.ErrorCode == "" {
			n++
		}
	}
	return n
}

// TestServerLongJob is the simulated 3-hour job: inside one `awsmfa exec
// --server`, a boto3 session and the AWS CLI v1 call GetCallerIdentity every
// 20 minutes for 200 minutes of moved clocks. Role credentials last an hour,
// so they are renewed at least 3 times; every call succeeds as the role, and
// one MFA code (one GetSessionToken) serves the whole job.
func TestServerLongJob(t *testing.T) {
	py := python3Boto3(t)
	awsBin := awsCLIv1(t)
	tg := startEmulator(t)
	s := newServerSetup(t, tg, "job")
	script, err := filepath.Abs(filepath.Join("testdata", "server_job.py"))
	if err != nil {
		t.Fatal(err)
	}
	shim, err := filepath.Abs(filepath.Join("testdata", "clockshim"))
	if err != nil {
		t.Fatal(err)
	}
	const steps, step = 10, 20 * time.Minute
	out := s.exec(t, "the long job", []string{"PYTHONPATH=" + shim, "COMPAT_AWS_CLI=" + awsBin},
		py, script, strconv.Itoa(steps), strconv.Itoa(int(step/time.Second)))
	var records []struct {
		Step        int
		Minutes     int
		Boto3Arn    string `json:"boto3_arn"`
		Boto3Key    string `json:"boto3_key"`
		Boto3Method string `json:"boto3_method"`
		Boto3Error  string `json:"boto3_error"`
		CLIArn      string `json:"cli_arn"`
		CLIError    string `json:"cli_error"`
	}
	decodeJSON(t, "the long job", out, &records)
	if len(records) != steps+1 {
		t.Fatalf("%d records, want %d", len(records), steps+1)
	}
	want := "arn:aws:sts::" + tg.account + ":assumed-role/" + s.u.f.role + "/"
	keys := map[string]bool{}
	for _, r := range records {
		if r.Boto3Error != "" || !strings.HasPrefix(r.Boto3Arn, want) {
			t.Errorf("minute %d: boto3 got %q (error %q), want %s…", r.Minutes, r.Boto3Arn, r.Boto3Error, want)
		}
		if r.Boto3Method != "container-role" {
			t.Errorf("minute %d: boto3's credentials came from %q, want container-role", r.Minutes, r.Boto3Method)
		}
		if r.CLIError != "" || !strings.HasPrefix(r.CLIArn, want) {
			t.Errorf("minute %d: the AWS CLI v1 got %q (error %q), want %s…", r.Minutes, r.CLIArn, r.CLIError, want)
		}
		keys[r.Boto3Key] = true
	}
	t.Logf("%d minutes: boto3 saw %d credential sets; %d AssumeRole, %d GetSessionToken, %d MFA codes",
		steps*int(step/time.Minute), len(keys), successfulCalls(tg, "AssumeRole"), successfulCalls(tg, "GetSessionToken"), s.u.codesAsked(t))
	if len(keys) < 4 {
		t.Errorf("boto3 saw %d credential sets over %d minutes, want at least 4 (3 refreshes)", len(keys), steps*int(step/time.Minute))
	}
	if got := successfulCalls(tg, "AssumeRole"); got < 4 || got > 5 {
		t.Errorf("%d AssumeRole calls over %d minutes of 1-hour credentials, want 4 or 5", got, steps*int(step/time.Minute))
	}
	if got := s.u.codesAsked(t); got != 1 {
		t.Errorf("%d MFA codes asked for the whole job, want 1", got)
	}
	if got := tg.calls("GetSessionToken", s.u.f.key.ID); got != 1 {
		t.Errorf("%d GetSessionToken calls, want 1", got)
	}
}

// TestServerConcurrentAtExpiry: 32 Go SDK container providers fetching at
// once, the moment the role credentials expire, cause one AssumeRole and
// no code; at the moment the MFA session (8 h) ends, 32 fetches cause one
// MFA code, one GetSessionToken and one AssumeRole. Every fetch of a round
// gets the same new set.
func TestServerConcurrentAtExpiry(t *testing.T) {
	tg := startEmulator(t)
	s := newServerSetup(t, tg, "burst")
	const n = 32
	var rounds [][]string
	decodeJSON(t, "the bursts", s.exec(t, "the bursts", nil, s.self, containerHelper, "burst", strconv.Itoa(n), "1h", "8h"), &rounds)
	if len(rounds) != 3 {
		t.Fatalf("%d rounds, want 3", len(rounds))
	}
	for r := 1; r < len(rounds); r++ {
		if len(rounds[r]) != n {
			t.Fatalf("round %d: %d fetches answered, want %d", r, len(rounds[r]), n)
		}
		for i, k := range rounds[r] {
			if k == rounds[r-1][0] || k != rounds[r][0] {
				t.Errorf("round %d, fetch %d got %s; want one new set for all (before: %s, first: %s)", r, i, k, rounds[r-1][0], rounds[r][0])
			}
		}
	}
	if got := successfulCalls(tg, "AssumeRole"); got != 3 {
		t.Errorf("%d AssumeRole calls, want 3 (the first set, then 1 for each round of %d concurrent fetches)", got, n)
	}
	if got := tg.calls("GetSessionToken", s.u.f.key.ID); got != 2 {
		t.Errorf("%d GetSessionToken calls, want 2 (the first, then 1 when the MFA session ended)", got)
	}
	if got := s.u.codesAsked(t); got != 2 {
		t.Errorf("%d MFA codes asked, want 2 (the first, then 1 for %d fetches when the MFA session ended)", got, n)
	}
}

// TestServerSDKContainerProviders: the Go SDK v2 and the JS SDK v3 get the
// role's credentials through their container providers (the default chain
// for both, and the JS SDK's fromContainerMetadata) inside `exec --server`.
func TestServerSDKContainerProviders(t *testing.T) {
	tg := startEmulator(t)
	t.Run("go-sdk-v2", func(t *testing.T) {
		s := newServerSetup(t, tg, "gosdk")
		var out struct{ Arn, Source string }
		decodeJSON(t, "Go SDK v2", s.exec(t, "Go SDK v2", nil, s.self, containerHelper, "identity"), &out)
		if want := "arn:aws:sts::" + tg.account + ":assumed-role/" + s.u.f.role + "/"; !strings.HasPrefix(out.Arn, want) {
			t.Errorf("ARN %q, want %s…", out.Arn, want)
		}
		if out.Source != endpointcreds.ProviderName {
			t.Errorf("credentials from %q, want %q", out.Source, endpointcreds.ProviderName)
		}
	})
	for _, provider := range []string{"container", "chain"} {
		t.Run("js-sdk-v3-"+provider, func(t *testing.T) {
			node, dir := nodeSDK(t)
			s := newServerSetup(t, tg, "js"+provider)
			var out struct{ Arn string }
			decodeJSON(t, "JS SDK v3", s.exec(t, "JS SDK v3", nil, node, filepath.Join(dir, "identity.mjs"), provider), &out)
			if want := "arn:aws:sts::" + tg.account + ":assumed-role/" + s.u.f.role + "/"; !strings.HasPrefix(out.Arn, want) {
				t.Errorf("ARN %q, want %s…", out.Arn, want)
			}
		})
	}
}
