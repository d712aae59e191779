// Command latency measures what a cached credential costs a caller: the
// median wall time of `awsmfa credential-process` and `awsmfa exec -- true`
// against a warm agent, next to `awsmfa version` (the binary's own start-up)
// in the same run. It builds awsmfa, starts the project's STS/IAM emulator
// in-process, stores a key, primes the agent once, and prints a table.
//
//	go run ./bench/latency [-n 200]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/awsmfa/awsmfa/internal/awsemu"
)

func main() {
	n := flag.Int("n", 200, "runs per command")
	flag.Parse()
	if err := run(*n); err != nil {
		fmt.Fprintln(os.Stderr, "latency:", err)
		os.Exit(1)
	}
}

func run(n int) error {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "amb")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "awsmfa")
	build := exec.Command("go", "build", "-o", bin, "./cmd/awsmfa")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building awsmfa: %w", err)
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
	run := filepath.Join(tmp, "run")
	env := []string{
		"HOME=" + home, "PATH=" + os.Getenv("PATH"),
		"AWS_ENDPOINT_URL=" + emu.URL(), "AWS_REGION=us-east-1",
		"AWSMFA_BACKEND=file", "AWSMFA_PASSPHRASE_FILE=" + passFile, "AWSMFA_RUNTIME_DIR=" + run,
	}
	awsmfa := func(extraEnv []string, args ...string) *exec.Cmd {
		c := exec.Command(bin, args...)
		c.Env = append(slices.Clone(env), extraEnv...)
		return c
	}
	defer func() {
		_ = awsmfa(nil, "agent", "stop").Run()
	}()
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

	cases := []struct {
		name string
		args []string
	}{
		{"version", []string{"version"}},
		{"credential-process (cached)", []string{"credential-process", "dev"}},
		{"exec -- true (cached)", []string{"exec", "dev", "--", "true"}},
	}
	medians := map[string]time.Duration{}
	fmt.Printf("%-30s %10s %10s %10s   (n=%d)\n", "command", "median", "p90", "min", n)
	for _, c := range cases {
		// Interleaving would be fairer to noise; warm-up plus medians is enough
		// to compare start-up costs of the same binary.
		for range 5 {
			_ = awsmfa(nil, c.args...).Run()
		}
		times := make([]time.Duration, 0, n)
		for range n {
			cmd := awsmfa(nil, c.args...)
			start := time.Now()
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("awsmfa %s: %v: %s", strings.Join(c.args, " "), err, out)
			}
			times = append(times, time.Since(start))
		}
		slices.Sort(times)
		med := times[len(times)/2]
		medians[c.name] = med
		fmt.Printf("%-30s %10s %10s %10s\n", c.name, ms(med), ms(times[len(times)*9/10]), ms(times[0]))
	}
	// For scale: what starting the child alone costs, without awsmfa.
	truePath, err := exec.LookPath("true")
	if err != nil {
		return err
	}
	trueTimes := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		if err := exec.Command(truePath).Run(); err != nil {
			return err
		}
		trueTimes = append(trueTimes, time.Since(start))
	}
	slices.Sort(trueTimes)
	fmt.Printf("%-30s %10s %10s %10s\n", "true (alone, for scale)", ms(trueTimes[n/2]), ms(trueTimes[n*9/10]), ms(trueTimes[0]))

	base := medians["version"]
	for _, c := range cases[1:] {
		fmt.Printf("%-30s %+10s over version\n", c.name, ms(medians[c.name]-base))
	}
	if calls := emu.Calls("GetSessionToken"); calls != 1 {
		return fmt.Errorf("GetSessionToken was called %d times; the cached path should call it once", calls)
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }
