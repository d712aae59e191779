//go:build (dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd

package vault

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDialTarget(t *testing.T) {
	tests := []struct {
		addr    string
		network string
		target  string
		ok      bool
	}{
		{addr: "unix:path=/run/user/1000/bus", network: "unix", target: "/run/user/1000/bus", ok: true},
		{addr: "unix:abstract=/tmp/dbus-x,guid=abc", network: "unix", target: "@/tmp/dbus-x", ok: true},
		{addr: "unix:guid=abc,path=/a%20b", network: "unix", target: "/a b", ok: true},
		{addr: "unix:runtime=yes"},
		{addr: "tcp:host=localhost,port=1234"},
		{addr: "launchd:env=X"},
		{addr: "garbage"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			network, target, ok := dialTarget(tt.addr)
			if network != tt.network || target != tt.target || ok != tt.ok {
				t.Fatalf("got (%q, %q, %v), want (%q, %q, %v)", network, target, ok, tt.network, tt.target, tt.ok)
			}
		})
	}
}

// listenUnix starts a unix listener that accepts and closes connections until
// the test ends.
func listenUnix(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "bus") // short: socket paths are limited to ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "bus")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		os.RemoveAll(dir)
	})
	return path
}

func TestSecretServiceUsable(t *testing.T) {
	live := listenUnix(t)
	dead := filepath.Join(t.TempDir(), "nobus")
	tests := []struct {
		name    string
		env     string // DBUS_SESSION_BUS_ADDRESS given through getenv
		process string // and in the process environment
		wantErr string
	}{
		{name: "unset", wantErr: "DBUS_SESSION_BUS_ADDRESS is not set"},
		{name: "autolaunch", env: "autolaunch:", process: "autolaunch:", wantErr: "autolaunched"},
		{name: "live socket", env: "unix:path=" + live, process: "unix:path=" + live},
		{name: "dead socket", env: "unix:path=" + dead, process: "unix:path=" + dead, wantErr: "cannot connect"},
		{name: "dead then live", env: "unix:path=" + dead + ";unix:path=" + live, process: "unix:path=" + dead + ";unix:path=" + live},
		{name: "process environment differs", env: "unix:path=" + live, process: "", wantErr: "process environment"},
		{name: "unchecked transport trusted", env: "tcp:host=127.0.0.1,port=1", process: "tcp:host=127.0.0.1,port=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("DBUS_SESSION_BUS_ADDRESS", tt.process)
			err := secretServiceUsable(context.Background(), envOf("DBUS_SESSION_BUS_ADDRESS", tt.env), 5*time.Second)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrBackendUnavailable) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want ErrBackendUnavailable containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestOpenKeyringWithoutBus(t *testing.T) {
	ctx := context.Background()
	noBus := envOf()

	t.Run("explicit keyring refused", func(t *testing.T) {
		_, err := Open(ctx, Options{Backend: "keyring", DataDir: t.TempDir(), Getenv: noBus})
		if !errors.Is(err, ErrBackendUnavailable) {
			t.Fatalf("got %v, want ErrBackendUnavailable", err)
		}
	})
	t.Run("auto falls back to file", func(t *testing.T) {
		s, err := Open(ctx, Options{DataDir: t.TempDir(), Getenv: noBus})
		if err != nil {
			t.Fatal(err)
		}
		if s.Backend() != BackendFile {
			t.Fatalf("backend %q, want file", s.Backend())
		}
	})
	t.Run("auto refuses to hide keyring data", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, keyringLockName+".lock"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Open(ctx, Options{DataDir: dir, Getenv: noBus})
		if !errors.Is(err, ErrBackendUnavailable) || !strings.Contains(err.Error(), "AWSMFA_BACKEND=file") {
			t.Fatalf("got %v, want ErrBackendUnavailable with a hint", err)
		}
	})
}
