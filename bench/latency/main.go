// Command latency measures what a cached credential costs a caller, as
// ratios to a Go hello-world process built and run in the same run, and
// what the agent costs while serving it (issue 11).
//
//	go run ./bench/latency [-n 200] [-d 3s]
//
// It builds awsmfa and awsmfa-full the way the README's install line does
// (CGO_ENABLED=0), starts the project's STS/IAM emulator in-process, stores a
// key in a file vault, primes the agent once, and prints:
//   - one interleaved table: the hello-world floor, version,
//     credential-process, exec -- true and export, each with median, p90
//     and the ratio of its median to the floor's; with AWSMFA_BENCH_PEERS
//     (space-separated paths of aws-vault binaries), each peer's cached
//     "export --format=json" and "exec -- true" for the profile
//     AWSMFA_BENCH_PEER_PROFILE, run in the caller's own environment;
//   - the agent's RSS around an unlock of the file vault (sampled from
//     /proc every 5 ms: peak, the high-water mark, and how long after the
//     unlock it is back under 30 MB);
//   - the agent's CPU per cached request (from /proc/PID/stat);
//   - cached requests/s with 1, 4 and 8 concurrent callers.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/awsmfa/awsmfa/internal/awsemu"
)

func main() {
	n := flag.Int("n", 200, "interleaved runs per command")
	d := flag.Duration("d", 3*time.Second, "how long each throughput level runs")
	flag.Parse()
	if err := run(*n, *d); err != nil {
		fmt.Fprintln(os.Stderr, "latency:", err)
		os.Exit(1)
	}
}

const helloWorld = `package main

import "os"

func main() { os.Stdout.WriteString("hello, world\n") }
`

// build runs go build with CGO_ENABLED=0 in dir.
func build(dir string, args ...string) error {
	c := exec.Command("go", append([]string{"build"}, args...)...)
	c.Dir = dir
	c.Env = append(os.Environ(), "CGO_ENABLED=0")
	c.Stdout, c.Stderr = os.Stderr, os.Stderr
	return c.Run()
}

func run(n int, dur time.Duration) error {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "amb")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	binDir := filepath.Join(tmp, "bin")
	if err := build(wd, "-o", binDir+"/", "./cmd/awsmfa", "./cmd/awsmfa/awsmfa-full"); err != nil {
		return fmt.Errorf("building awsmfa: %w", err)
	}
	bin := filepath.Join(binDir, "awsmfa")
	helloDir := filepath.Join(tmp, "hello")
	if err := os.MkdirAll(helloDir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(helloDir, "go.mod"), []byte("module hello\n\ngo 1.26\n"), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(helloDir, "main.go"), []byte(helloWorld), 0o600); err != nil {
		return err
	}
	hello := filepath.Join(binDir, "hello")
	if err := build(helloDir, "-o", hello, "."); err != nil {
		return fmt.Errorf("building hello-world: %w", err)
	}

	emu, err := awsemu.Start(ctx, awsemu.Options{})
	if err != nil {
		return err
	}
	defer emu.Close()
	if _, err := emu.CreateUser("alice"); err != nil {
		return err
	}
	key, err := emu.CreateAccessKey("alice")
	if err != nil {
		return err
	}
	dev, err := emu.CreateMFADevice("alice", "phone")
	if err != nil {
		return err
	}

	home := filepath.Join(tmp, "home")
	if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
		return err
	}
	cfg := fmt.Sprintf("[profile dev]\nmfa_serial = %s\n", dev.Serial)
	if err := os.WriteFile(filepath.Join(home, ".aws", "config"), []byte(cfg), 0o600); err != nil {
		return err
	}
	passFile := filepath.Join(tmp, "pass")
	if err := os.WriteFile(passFile, []byte("bench-passphrase\n"), 0o600); err != nil {
		return err
	}
	runDir := filepath.Join(tmp, "run")
	env := []string{
		"HOME=" + home, "PATH=" + os.Getenv("PATH"),
		"AWS_ENDPOINT_URL=" + emu.URL(), "AWS_REGION=us-east-1",
		"AWSMFA_BACKEND=file", "AWSMFA_PASSPHRASE_FILE=" + passFile, "AWSMFA_RUNTIME_DIR=" + runDir,
	}
	awsmfa := func(extraEnv []string, args ...string) *exec.Cmd {
		c := exec.Command(bin, args...)
		c.Env = append(slices.Clone(env), extraEnv...)
		return c
	}
	defer func() { _ = awsmfa(nil, "agent", "stop").Run() }()
	add := awsmfa([]string{"AWS_ACCESS_KEY_ID=" + key.ID, "AWS_SECRET_ACCESS_KEY=" + key.Secret}, "add", "dev", "--env")
	if out, err := add.CombinedOutput(); err != nil {
		return fmt.Errorf("awsmfa add: %v: %s", err, out)
	}
	code, err := emu.Code(dev.Serial)
	if err != nil {
		return err
	}
	if out, err := awsmfa(nil, "credential-process", "dev", "--mfa-token", code).CombinedOutput(); err != nil {
		return fmt.Errorf("priming the agent: %v: %s", err, out)
	}

	type row struct {
		name string
		cmd  func() *exec.Cmd
	}
	rows := []row{
		{"hello-world (floor)", func() *exec.Cmd { return exec.Command(hello) }},
		{"awsmfa version", func() *exec.Cmd { return awsmfa(nil, "version") }},
		{"awsmfa credential-process", func() *exec.Cmd { return awsmfa(nil, "credential-process", "dev") }},
		{"awsmfa exec -- true", func() *exec.Cmd { return awsmfa(nil, "exec", "dev", "--", "true") }},
		{"awsmfa export", func() *exec.Cmd { return awsmfa(nil, "export", "dev") }},
	}
	if peers := strings.Fields(os.Getenv("AWSMFA_BENCH_PEERS")); len(peers) > 0 {
		profile := os.Getenv("AWSMFA_BENCH_PEER_PROFILE")
		if profile == "" {
			return fmt.Errorf("AWSMFA_BENCH_PEERS needs AWSMFA_BENCH_PEER_PROFILE, a profile the peers have cached")
		}
		for _, p := range peers {
			rows = append(rows,
				row{filepath.Base(p) + " export --format=json", func() *exec.Cmd { return exec.Command(p, "export", "--format=json", profile) }},
				row{filepath.Base(p) + " exec -- true", func() *exec.Cmd { return exec.Command(p, "exec", profile, "--", "true") }},
			)
		}
	}
	for _, r := range rows { // warm-up, and a check that each works
		for range 3 {
			if out, err := r.cmd().CombinedOutput(); err != nil {
				return fmt.Errorf("%s: %v: %s", r.name, err, out)
			}
		}
	}
	times := make([][]time.Duration, len(rows))
	for range n {
		for i, r := range rows {
			c := r.cmd()
			start := time.Now()
			if out, err := c.CombinedOutput(); err != nil {
				return fmt.Errorf("%s: %v: %s", r.name, err, out)
			}
			times[i] = append(times[i], time.Since(start))
		}
	}
	fmt.Printf("interleaved, n=%d, load average %s\n", n, loadavg())
	fmt.Printf("%-38s %9s %9s %8s\n", "command", "median", "p90", "ratio")
	var floor time.Duration
	for i, r := range rows {
		slices.Sort(times[i])
		med, p90 := times[i][n/2], times[i][n*9/10]
		if i == 0 {
			floor = med
		}
		fmt.Printf("%-38s %9s %9s %7.2fx\n", r.name, ms(med), ms(p90), float64(med)/float64(floor))
	}

	pid, err := agentPID(runDir)
	if err != nil {
		return err
	}
	// CPU per cached request: the agent's user+system time over many
	// sequential requests.
	const cpuRuns = 1000
	before, err := cpuTime(pid)
	if err != nil {
		return err
	}
	for range cpuRuns {
		if out, err := awsmfa(nil, "credential-process", "dev").CombinedOutput(); err != nil {
			return fmt.Errorf("credential-process: %v: %s", err, out)
		}
	}
	after, err := cpuTime(pid)
	if err != nil {
		return err
	}
	fmt.Printf("\nagent CPU per cached request: %.3f ms (%d sequential requests)\n", float64((after-before).Nanoseconds())/1e6/cpuRuns, cpuRuns)

	fmt.Printf("cached requests/s:")
	for _, callers := range []int{1, 4, 8} {
		rate, err := throughput(callers, dur, func() *exec.Cmd { return awsmfa(nil, "credential-process", "dev") })
		if err != nil {
			return err
		}
		fmt.Printf("  %d callers: %.0f/s", callers, rate)
	}
	fmt.Println()

	// RSS around an unlock: a fresh agent has no session, so a request
	// makes it unlock the file vault (scrypt 2^18, the passphrase from the
	// client's AWSMFA_PASSPHRASE_FILE) and then ask for an MFA code, which
	// this caller without a terminal cannot give: the command fails, after
	// the unlock, and the agent stays up.
	if out, err := awsmfa(nil, "agent", "stop").CombinedOutput(); err != nil {
		return fmt.Errorf("awsmfa agent stop: %v: %s", err, out)
	}
	var (
		peak, rssBefore atomic.Int64
		agent           atomic.Int64
		unlocked        atomic.Int64 // unix nanos when the unlocking command ended
		backAt          atomic.Int64 // first sample under 30 MB after that
		stop            = make(chan struct{})
		sampled         sync.WaitGroup
	)
	sampled.Add(1)
	go func() {
		defer sampled.Done()
		tk := time.NewTicker(5 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
			}
			if agent.Load() == 0 {
				p, err := agentPID(runDir)
				if err != nil {
					continue
				}
				agent.Store(int64(p))
			}
			kb, err := status(int(agent.Load()), "VmRSS")
			if err != nil {
				continue
			}
			rssBefore.CompareAndSwap(0, kb)
			if kb > peak.Load() {
				peak.Store(kb)
			}
			if u := unlocked.Load(); u != 0 && kb < 30*1024 && backAt.Load() == 0 {
				backAt.Store(time.Now().UnixNano())
			}
		}
	}()
	_ = awsmfa(nil, "credential-process", "dev").Run() // fails at the MFA code, after the unlock
	unlocked.Store(time.Now().UnixNano())
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	sampled.Wait()
	pid = int(agent.Load())
	if pid == 0 {
		return fmt.Errorf("no agent started for the unlock")
	}
	hwm, _ := status(pid, "VmHWM")
	rssAfter, _ := status(pid, "VmRSS")
	back := "not within 1.5 s"
	if b := backAt.Load(); b != 0 {
		back = fmt.Sprintf("%.0f ms", float64(b-unlocked.Load())/1e6)
	}
	fmt.Printf("agent RSS: %.1f MB before unlock, peak %.1f MB (high-water %.1f MB) during the KDF, under 30 MB %s after the unlock ended, %.1f MB at +1.5 s\n",
		mb(rssBefore.Load()), mb(peak.Load()), mb(hwm), back, mb(rssAfter))

	if calls := emu.Calls("GetSessionToken"); calls != 1 {
		return fmt.Errorf("GetSessionToken was called %d times; the cached path should call it once", calls)
	}
	return nil
}

// throughput runs callers loops of cmd for d and returns completed runs/s.
func throughput(callers int, d time.Duration, cmd func() *exec.Cmd) (float64, error) {
	var (
		count atomic.Int64
		wg    sync.WaitGroup
		errs  = make(chan error, callers)
	)
	deadline := time.Now().Add(d)
	start := time.Now()
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if out, err := cmd().CombinedOutput(); err != nil {
					errs <- fmt.Errorf("%v: %s", err, out)
					return
				}
				count.Add(1)
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return float64(count.Load()) / time.Since(start).Seconds(), nil
}

func agentPID(runDir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(runDir, "agent.pid"))
	if err != nil {
		return 0, fmt.Errorf("reading the agent's pid: %w", err)
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// cpuTime is the time the process's threads have run, from the
// nanosecond counters of /proc/PID/task/*/schedstat (the tick-based
// counters of /proc/PID/stat are too coarse for sub-millisecond costs).
func cpuTime(pid int) (time.Duration, error) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(tasks) == 0 {
		return 0, fmt.Errorf("reading the agent's threads: %v", err)
	}
	var total time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue // a thread that ended
		}
		f := strings.Fields(string(b))
		ns, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, err
		}
		total += time.Duration(ns)
	}
	return total, nil
}

// status reads a kB field of /proc/PID/status.
func status(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func mb(kb int64) float64 { return float64(kb) / 1024 }

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }
