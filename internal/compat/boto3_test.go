package compat

import (
	"path/filepath"
	"testing"
)

// boto3Client drives boto3 through testdata/boto3_flows.py.
type boto3Client struct {
	python   string
	script   string
	endpoint string
}

func newBoto3(t *testing.T, python, endpoint string) *boto3Client {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("testdata", "boto3_flows.py"))
	if err != nil {
		t.Fatal(err)
	}
	return &boto3Client{python: python, script: script, endpoint: endpoint}
}

func (b *boto3Client) run(t *testing.T, h *awsHome, stdin string, v any, args ...string) {
	t.Helper()
	what := "boto3 " + args[0]
	stdout := mustRun(t, what, child{env: h.env(b.endpoint), dir: h.dir, stdin: stdin, name: b.python, args: append([]string{b.script}, args...)})
	decodeJSON(t, what, stdout, v)
}

func (b *boto3Client) identity(t *testing.T, h *awsHome, profile string) string {
	t.Helper()
	var out struct{ Arn string }
	b.run(t, h, "", &out, "identity", profile)
	return out.Arn
}

func (b *boto3Client) sessionToken(t *testing.T, h *awsHome, profile, serial, code string) sessionCreds {
	t.Helper()
	var out sessionCreds
	b.run(t, h, "", &out, "session", profile, serial, code)
	return out
}

func (b *boto3Client) roleProfile(t *testing.T, h *awsHome, profile, code string) string {
	t.Helper()
	var out struct{ Arn string }
	b.run(t, h, code+"\n", &out, "role-profile", profile)
	return out.Arn
}

func (b *boto3Client) iam(t *testing.T, h *awsHome, profile, user, newUser, device, qrFile string) iamResult {
	t.Helper()
	var out iamResult
	b.run(t, h, "", &out, "iam", profile, user, newUser, device, qrFile)
	return out
}

func (b *boto3Client) roleProfileUnsupported() string { return "" }
