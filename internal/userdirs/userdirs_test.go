package userdirs

import (
	"errors"
	"strings"
	"testing"
)

func envOf(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestDataDir(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		home    string
		goos    string
		want    string
		wantErr string
	}{
		{name: "linux default", home: "/home/u", goos: "linux", want: "/home/u/.local/share/awsmfa"},
		{name: "linux xdg", env: []string{"XDG_DATA_HOME", "/x/data"}, home: "/home/u", goos: "linux", want: "/x/data/awsmfa"},
		{name: "linux relative xdg ignored", env: []string{"XDG_DATA_HOME", "rel/data"}, home: "/home/u", goos: "linux", want: "/home/u/.local/share/awsmfa"},
		{name: "freebsd xdg", env: []string{"XDG_DATA_HOME", "/d/"}, home: "/usr/home/u", goos: "freebsd", want: "/d/awsmfa"},
		{name: "override wins", env: []string{"AWSMFA_DATA_DIR", "/srv/a", "XDG_DATA_HOME", "/x"}, home: "/home/u", goos: "linux", want: "/srv/a"},
		{name: "override without home", env: []string{"AWSMFA_DATA_DIR", "/srv/a"}, goos: "linux", want: "/srv/a"},
		{name: "override relative", env: []string{"AWSMFA_DATA_DIR", "a/b"}, home: "/home/u", goos: "linux", wantErr: "not an absolute path"},
		{name: "darwin", home: "/Users/u", goos: "darwin", want: "/Users/u/Library/Application Support/awsmfa"},
		{name: "darwin ignores xdg", env: []string{"XDG_DATA_HOME", "/x"}, home: "/Users/u", goos: "darwin", want: "/Users/u/Library/Application Support/awsmfa"},
		{name: "windows localappdata", env: []string{"LOCALAPPDATA", `C:\Users\u\AppData\Local`}, home: `C:\Users\u`, goos: "windows", want: `C:\Users\u\AppData\Local\awsmfa`},
		{name: "windows localappdata trailing sep", env: []string{"LOCALAPPDATA", `D:\L\`}, home: `C:\Users\u`, goos: "windows", want: `D:\L\awsmfa`},
		{name: "windows fallback", home: `C:\Users\u`, goos: "windows", want: `C:\Users\u\AppData\Local\awsmfa`},
		{name: "windows relative localappdata ignored", env: []string{"LOCALAPPDATA", `Local`}, home: `C:\Users\u`, goos: "windows", want: `C:\Users\u\AppData\Local\awsmfa`},
		{name: "windows override unc", env: []string{"AWSMFA_DATA_DIR", `\\srv\share\a`}, goos: "windows", want: `\\srv\share\a`},
		{name: "windows override unix style rejected", env: []string{"AWSMFA_DATA_DIR", `/a`}, goos: "windows", wantErr: "not an absolute path"},
		{name: "no home", goos: "linux", wantErr: ErrNoHome.Error()},
		{name: "relative home", home: "home/u", goos: "linux", wantErr: ErrNoHome.Error()},
		{name: "windows no home", goos: "windows", wantErr: ErrNoHome.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DataDir(envOf(tt.env...), tt.home, tt.goos)
			checkResult(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestRuntimeDir(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		home    string
		goos    string
		uid     int
		want    string
		wantErr string
	}{
		{name: "linux xdg", env: []string{"XDG_RUNTIME_DIR", "/run/user/1000"}, home: "/home/u", goos: "linux", uid: 1000, want: "/run/user/1000/awsmfa"},
		{name: "linux fallback", home: "/home/u", goos: "linux", uid: 1000, want: "/home/u/.local/share/awsmfa/run-1000"},
		{name: "linux relative xdg ignored", env: []string{"XDG_RUNTIME_DIR", "run"}, home: "/home/u", goos: "linux", uid: 7, want: "/home/u/.local/share/awsmfa/run-7"},
		{name: "fallback under data override", env: []string{"AWSMFA_DATA_DIR", "/d"}, goos: "linux", uid: 0, want: "/d/run-0"},
		{name: "override", env: []string{"AWSMFA_RUNTIME_DIR", "/r", "XDG_RUNTIME_DIR", "/run/user/1"}, goos: "linux", uid: 1, want: "/r"},
		{name: "override relative", env: []string{"AWSMFA_RUNTIME_DIR", "r"}, goos: "linux", uid: 1, wantErr: "not an absolute path"},
		{name: "darwin fallback", home: "/Users/u", goos: "darwin", uid: 501, want: "/Users/u/Library/Application Support/awsmfa/run-501"},
		{name: "windows ignores xdg", env: []string{"XDG_RUNTIME_DIR", `C:\r`, "LOCALAPPDATA", `C:\L`}, goos: "windows", uid: -1, want: `C:\L\awsmfa\run`},
		{name: "no home", goos: "linux", uid: 1, wantErr: ErrNoHome.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RuntimeDir(envOf(tt.env...), tt.home, tt.goos, tt.uid)
			checkResult(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func checkResult(t *testing.T, got string, err error, want, wantErr string) {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("got (%q, %v), want error containing %q", got, err, wantErr)
		}
		if wantErr == ErrNoHome.Error() && !errors.Is(err, ErrNoHome) {
			t.Fatalf("error %v does not wrap ErrNoHome", err)
		}
		return
	}
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
