//go:build unix

package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/awsmfa/awsmfa/internal/awsemu"
	"github.com/awsmfa/awsmfa/internal/tty"
)

// serverWorld is an emulator with user alice (key in a file vault), her
// MFA device and role admin, and a HOME whose config has profiles dev and
// admin.
type serverWorld struct {
	emu    *awsemu.Server
	home   string
	serial string
	vars   map[string]string
}

func newServerWorld(t *testing.T) *serverWorld {
	t.Helper()
	emu, err := awsemu.Start(t.Context(), awsemu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	if _, err := emu.CreateUser("alice"); err != nil {
		t.Fatal(err)
	}
	key, err := emu.CreateAccessKey("alice")
	if err != nil {
		t.Fatal(err)
	}
	dev, err := emu.CreateMFADevice("alice", "phone")
	if err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + emu.AccountID() +
		`:user/alice"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`
	role, err := emu.CreateRole("admin", trust, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("[profile dev]\nregion = us-east-1\nmfa_serial = %s\n\n[profile admin]\nrole_arn = %s\nsource_profile = dev\n", dev.Serial, role.ARN)
	if err := os.WriteFile(filepath.Join(home, ".aws", "config"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	w := &serverWorld{emu: emu, home: home, serial: dev.Serial, vars: map[string]string{
		"HOME": home, "AWSMFA_BACKEND": "file", "AWSMFA_PASSPHRASE": "s3cret-passphrase",
		"AWS_ENDPOINT_URL": emu.URL(), "AWSMFA_NO_AGENT": "1", "PATH": os.Getenv("PATH"),
	}}
	add := w.env(t, []string{"add", "dev", "--env"}, nil, io.Discard, io.Discard)
	add.Getenv = func(k string) string {
		switch k {
		case "AWS_ACCESS_KEY_ID":
			return key.ID
		case "AWS_SECRET_ACCESS_KEY":
			return key.Secret
		}
		return w.vars[k]
	}
	if code := Main(t.Context(), add); code != 0 {
		t.Fatalf("awsmfa add: exit %d", code)
	}
	return w
}

// env is an Env for args in w, without a terminal; exec must not execve.
func (w *serverWorld) env(t *testing.T, args []string, stdin io.Reader, stdout, stderr io.Writer) *Env {
	e := &Env{
		Argv0:      "awsmfa",
		Executable: os.Executable,
		Args:       args,
		Stdin:      stdin,
		Stdout:     stdout,
		Stderr:     stderr,
		Getenv:     func(k string) string { return w.vars[k] },
		Environ: func() []string {
			var out []string
			for k, v := range w.vars {
				out = append(out, k+"="+v)
			}
			return out
		},
		HomeDir:        func() (string, error) { return w.home, nil },
		Getwd:          func() (string, error) { return w.home, nil },
		GOOS:           runtime.GOOS,
		Now:            time.Now,
		OpenTTY:        func() (*tty.Terminal, error) { return nil, tty.ErrNoTTY },
		ReplaceProcess: func(string, []string, []string) error { t.Error("exec replaced the process"); return nil },
	}
	e.testOnlyScryptWorkFactor = 10
	return e
}

func (w *serverWorld) code(t *testing.T) string {
	t.Helper()
	c, err := w.emu.Code(w.serial)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// syncBuffer is a Writer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServe: serve prints the two variables on stdout (the token nowhere
// else), answers an SDK's request with the role's credentials until
// cancelled (Ctrl-C), exits 0, and the endpoint is gone after.
func TestServe(t *testing.T) {
	w := newServerWorld(t)
	outR, outW := io.Pipe()
	stderr := &syncBuffer{}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, w.env(t, []string{"serve", "admin", "--mfa-token", w.code(t)}, nil, outW, stderr))
		outW.Close()
	}()
	rd := bufio.NewReader(outR)
	vars := map[string]string{}
	for range 2 {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("reading serve's output: %v (stderr: %s)", err, stderr.String())
		}
		k, v, _ := strings.Cut(strings.TrimSpace(line), "=")
		vars[k] = v
	}
	uri, token := vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"], vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
	if !strings.HasPrefix(uri, "http://127.0.0.1:") || len(token) != 64 {
		t.Fatalf("serve printed %q", vars)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, uri, nil)
	req.Header.Set("Authorization", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var c struct{ AccessKeyId, SecretAccessKey, Token, Expiration string }
	err = json.NewDecoder(resp.Body).Decode(&c)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(c.AccessKeyId, "ASIA") || c.Token == "" {
		t.Fatalf("GET: %d %v %s", resp.StatusCode, err, c.AccessKeyId)
	}
	if exp, err := time.Parse(time.RFC3339, c.Expiration); err != nil || time.Until(exp) < 15*time.Minute {
		t.Errorf("Expiration %q: want at least 15 minutes left", c.Expiration)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve exited %d after Ctrl-C, want 0", code)
	}
	_, _ = io.Copy(io.Discard, outR)
	u, _ := url.Parse(uri)
	if conn, err := net.Dial("tcp", u.Host); err == nil {
		conn.Close()
		t.Errorf("the endpoint still answers after serve ended")
	}
	if s := stderr.String(); strings.Contains(s, token) || strings.Contains(s, c.SecretAccessKey) || !strings.Contains(s, "serving profile admin") {
		t.Errorf("stderr: %q", s)
	}
}

// TestExecServerEndsWithChild: exec --server runs the command as its child
// (no execve), and the endpoint is gone once the command exits.
func TestExecServerEndsWithChild(t *testing.T) {
	w := newServerWorld(t)
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	code := Main(t.Context(), w.env(t, []string{"exec", "--server", "--mfa-token", w.code(t), "admin", "--",
		"sh", "-c", `printf '%s\n' "$AWS_CONTAINER_CREDENTIALS_FULL_URI"; exit 7`}, nil, stdout, stderr))
	if code != 7 {
		t.Fatalf("exit %d, want the child's 7 (stderr: %s)", code, stderr.String())
	}
	u, err := url.Parse(strings.TrimSpace(stdout.String()))
	if err != nil || u.Host == "" {
		t.Fatalf("child printed %q", stdout.String())
	}
	if conn, err := net.Dial("tcp", u.Host); err == nil {
		conn.Close()
		t.Errorf("the endpoint outlived the child")
	}
}

// TestServeUsage: a bad port and a missing profile are refused before
// anything listens.
func TestServeUsage(t *testing.T) {
	w := newServerWorld(t)
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"serve", "--port", "70000", "admin"}, ExitUsage},
		{[]string{"serve"}, ExitUsage},
		{[]string{"serve", "nosuch"}, ExitNotFound},
	} {
		stderr := &syncBuffer{}
		if code := Main(t.Context(), w.env(t, tc.args, nil, io.Discard, stderr)); code != tc.want {
			t.Errorf("%q: exit %d, want %d (%s)", tc.args, code, tc.want, stderr.String())
		}
	}
}
