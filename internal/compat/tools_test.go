package compat

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// toolTimeout bounds every child process. It is a safety net against a hung
// client, not a performance assertion.
const toolTimeout = 90 * time.Second

// requireTool is the one place that decides what a missing tool means: a
// failure when CI=true (the compatibility tests are mandatory there), a skip
// with the reason and the fix elsewhere.
func requireTool(t *testing.T, missing error) {
	t.Helper()
	if missing == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("compat: %v (mandatory with CI=true)", missing)
	}
	t.Skipf("compat: skipped: %v", missing)
}

// versionOf runs BIN --version in a clean environment and returns its output
// (the AWS CLI v1 prints it on stderr, v2 on stdout).
func versionOf(t *testing.T, bin string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), toolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--version")
	cmd.Env = baseEnv(t.TempDir())
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// awsCLIv1 returns the AWS CLI v1 on PATH (pyenv's awscli here).
func awsCLIv1(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("aws")
	if err != nil {
		requireTool(t, errors.New("the AWS CLI v1 (aws) is not on PATH (pip install awscli)"))
		return ""
	}
	v, err := versionOf(t, bin)
	if err != nil || !strings.HasPrefix(v, "aws-cli/1.") {
		requireTool(t, errors.New("aws on PATH is not the AWS CLI v1 (aws --version: "+clip(v)+")"))
	}
	return bin
}

// awsCLIv2Path is where Debian's awscli package installs the CLI v2; it is
// not first on PATH here, so it is called by its full path.
const awsCLIv2Path = "/usr/bin/aws"

// awsCLIv2 returns the AWS CLI v2 and its version as [major, minor, patch].
func awsCLIv2(t *testing.T) (string, [3]int) {
	t.Helper()
	if _, err := os.Stat(awsCLIv2Path); err != nil {
		requireTool(t, errors.New("the AWS CLI v2 is not installed at "+awsCLIv2Path+" (apt-get install awscli)"))
		return "", [3]int{}
	}
	v, err := versionOf(t, awsCLIv2Path)
	ver, ok := parseCLIVersion(v)
	if err != nil || !ok || ver[0] != 2 {
		requireTool(t, errors.New(awsCLIv2Path+" is not the AWS CLI v2 (--version: "+clip(v)+")"))
	}
	return awsCLIv2Path, ver
}

// parseCLIVersion reads "aws-cli/2.9.19 Python/…" into [2, 9, 19].
func parseCLIVersion(s string) ([3]int, bool) {
	m := regexp.MustCompile(`^aws-cli/(\d+)\.(\d+)\.(\d+)`).FindStringSubmatch(s)
	if m == nil {
		return [3]int{}, false
	}
	var v [3]int
	for i := range v {
		n, err := strconv.Atoi(m[i+1])
		if err != nil {
			return [3]int{}, false
		}
		v[i] = n
	}
	return v, true
}

// atLeast reports whether version v is at least major.minor.
func atLeast(v [3]int, major, minor int) bool {
	return v[0] > major || v[0] == major && v[1] >= minor
}

// python3Boto3 returns a python3 that can import boto3.
func python3Boto3(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("python3")
	if err != nil {
		requireTool(t, errors.New("python3 is not on PATH"))
		return ""
	}
	ctx, cancel := context.WithTimeout(t.Context(), toolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-c", "import boto3")
	cmd.Env = baseEnv(t.TempDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		requireTool(t, errors.New("python3 cannot import boto3 (pip install boto3): "+lastLine(string(out))))
	}
	return bin
}

// motoServer returns moto_server from PATH.
func motoServer(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		requireTool(t, errors.New("moto_server is not on PATH (pip install 'moto[server]')"))
	}
	return bin
}

// nodeSDK returns node and the directory holding the JS SDK v3 project
// (internal/compat/js), whose node_modules npm ci must have filled.
func nodeSDK(t *testing.T) (string, string) {
	t.Helper()
	bin, err := exec.LookPath("node")
	if err != nil {
		requireTool(t, errors.New("node is not on PATH (apt-get install nodejs npm; the JS SDK v3 needs node >= 20)"))
		return "", ""
	}
	dir, err := filepath.Abs("js")
	if err != nil {
		t.Fatalf("locating js: %v", err)
	}
	for _, pkg := range []string{"@aws-sdk/client-sts", "@aws-sdk/credential-providers"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
			requireTool(t, errors.New(pkg+" is not installed (run: npm ci --prefix internal/compat/js)"))
		}
	}
	return bin, dir
}

// lastLine is the last non-empty line of a tool's output, where Python puts
// the exception.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return clip(lines[len(lines)-1])
}

// clip shortens tool output quoted in a message.
func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
