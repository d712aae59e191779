// Command credserver measures the credential server's cached path: how many
// requests per second `awsmfa serve` answers, and at what latency, to a Go
// load client holding keep-alive connections, the way SDKs in a busy job
// would ask. It builds awsmfa, starts the project's STS/IAM emulator
// in-process, stores a key, runs `awsmfa serve --no-agent` for an MFA role
// profile as a child process (stopped by its pid when done), and prints
// requests/s and latency percentiles.
//
//	go run ./bench/credserver [-c 8] [-d 10s] [-warm 2s]
//
// GOMAXPROCS of the server is left to Go (all cores); the load client runs
// in this process on the same cores, so the figures are what one machine
// does with both sides on it.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/awsmfa/awsmfa/internal/awsemu"
)

func main() {
	conns := flag.Int("c", 8, "concurrent keep-alive connections")
	dur := flag.Duration("d", 10*time.Second, "measured duration")
	warm := flag.Duration("warm", 2*time.Second, "warm-up before measuring")
	flag.Parse()
	if err := run(*conns, *dur, *warm); err != nil {
		fmt.Fprintln(os.Stderr, "credserver bench:", err)
		os.Exit(1)
	}
}

func run(conns int, dur, warm time.Duration) error {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "acb")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "awsmfa")
	build := exec.Command("go", "build", "-o", tmp+string(filepath.Separator), "./cmd/awsmfa", "./cmd/awsmfa/awsmfa-full")
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
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + emu.AccountID() +
		`:user/alice"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`
	role, err := emu.CreateRole("admin", trust, time.Hour)
	if err != nil {
		return err
	}
	home := filepath.Join(tmp, "home")
	if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
		return err
	}
	cfg := fmt.Sprintf("[profile dev]\nmfa_serial = %s\n\n[profile admin]\nrole_arn = %s\nsource_profile = dev\n", dev.Serial, role.ARN)
	if err := os.WriteFile(filepath.Join(home, ".aws", "config"), []byte(cfg), 0o600); err != nil {
		return err
	}
	passFile := filepath.Join(tmp, "pass")
	if err := os.WriteFile(passFile, []byte("bench-passphrase\n"), 0o600); err != nil {
		return err
	}
	env := []string{
		"HOME=" + home, "PATH=" + os.Getenv("PATH"),
		"AWS_ENDPOINT_URL=" + emu.URL(), "AWS_REGION=us-east-1",
		"AWSMFA_BACKEND=file", "AWSMFA_PASSPHRASE_FILE=" + passFile,
	}
	add := exec.Command(bin, "add", "dev", "--env")
	add.Env = append(slices.Clone(env), "AWS_ACCESS_KEY_ID="+key.ID, "AWS_SECRET_ACCESS_KEY="+key.Secret)
	if out, err := add.CombinedOutput(); err != nil {
		return fmt.Errorf("awsmfa add: %v: %s", err, out)
	}
	code, err := emu.Code(dev.Serial)
	if err != nil {
		return err
	}
	serve := exec.Command(bin, "serve", "admin", "--no-agent", "--mfa-token", code)
	serve.Env = env
	serve.Stderr = os.Stderr
	out, err := serve.StdoutPipe()
	if err != nil {
		return err
	}
	if err := serve.Start(); err != nil {
		return err
	}
	defer func() {
		_ = serve.Process.Signal(os.Interrupt)
		_ = serve.Wait()
	}()
	vars := map[string]string{}
	rd := bufio.NewReader(out)
	for range 2 {
		line, err := rd.ReadString('\n')
		if err != nil {
			return fmt.Errorf("reading serve's output: %w", err)
		}
		k, v, _ := strings.Cut(strings.TrimSpace(line), "=")
		vars[k] = v
	}
	uri, token := vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"], vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
	if uri == "" || token == "" {
		return errors.New("serve printed no endpoint")
	}

	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	defer tr.CloseIdleConnections()
	get := func() error {
		req, err := http.NewRequest(http.MethodGet, uri, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", token)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %s", resp.Status)
		}
		return nil
	}
	if err := get(); err != nil {
		return err
	}
	load := func(d time.Duration, record bool) ([]time.Duration, error) {
		var mu sync.Mutex
		var all []time.Duration
		var firstErr error
		var wg sync.WaitGroup
		end := time.Now().Add(d)
		for range conns {
			wg.Go(func() {
				lat := make([]time.Duration, 0, 1<<16)
				for time.Now().Before(end) {
					t0 := time.Now()
					if err := get(); err != nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = err
						}
						mu.Unlock()
						return
					}
					if record {
						lat = append(lat, time.Since(t0))
					}
				}
				mu.Lock()
				all = append(all, lat...)
				mu.Unlock()
			})
		}
		wg.Wait()
		return all, firstErr
	}
	if _, err := load(warm, false); err != nil {
		return err
	}
	start := time.Now()
	lat, err := load(dur, true)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(float64(len(lat))*p))] }
	fmt.Printf("cores %d, %d keep-alive connections, %s measured\n", runtime.NumCPU(), conns, elapsed.Round(time.Millisecond))
	fmt.Printf("requests %d  rate %.0f/s  p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n",
		len(lat), float64(len(lat))/elapsed.Seconds(), ms(pct(0.50)), ms(pct(0.90)), ms(pct(0.99)), ms(pct(0.999)), ms(lat[len(lat)-1]))
	if n := emu.Calls("AssumeRole"); n != 1 {
		return fmt.Errorf("AssumeRole was called %d times; the cached path should call it once", n)
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3fms", float64(d.Microseconds())/1000) }
