package cli

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Run as awsmfa-full (started by the awsmfa next to it), the
// credential_process line still names awsmfa: the binary users run, and the
// one that serves it fast (issue 11).
func TestSelfCommandNamesAwsmfaNotFull(t *testing.T) {
	dir := t.TempDir()
	ext := ""
	if runtime.GOOS == "windows" {
		ext = ".exe"
	}
	full, lean := filepath.Join(dir, "awsmfa-full"+ext), filepath.Join(dir, "awsmfa"+ext)
	for _, p := range []string{full, lean} {
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		path, want string
	}{
		{dir, "awsmfa"},
		{"", lean},
	} {
		e := &Env{
			GOOS:       runtime.GOOS,
			Executable: func() (string, error) { return full, nil },
			Getenv: func(k string) string {
				if k == "PATH" {
					return tc.path
				}
				return ""
			},
		}
		if got := e.selfCommand(); got != tc.want {
			t.Errorf("PATH=%q: selfCommand = %q, want %q", tc.path, got, tc.want)
		}
	}
}
