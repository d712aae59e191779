package compat

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// awsCLI drives the AWS CLI (v1 or v2) as a driver.
type awsCLI struct {
	bin      string
	endpoint string
	// flagEndpoint passes --endpoint-url on every call, for a CLI v2 older
	// than 2.13, which ignores AWS_ENDPOINT_URL.
	flagEndpoint bool
	// env is added to every run's environment.
	env []string
}

// newAWSCLIv2 configures the CLI v2 at bin, whose version is ver, for tg.
func newAWSCLIv2(t *testing.T, bin string, ver [3]int, tg *target) *awsCLI {
	c := &awsCLI{bin: bin, endpoint: tg.endpoint}
	if !atLeast(ver, 2, 13) && tg.endpoint != "" {
		// Endpoints from the environment and config came in 2.13.0. Before
		// that, --endpoint-url reaches only the command's own client; the STS
		// client of the assume-role provider is pointed at tg by an STS
		// endpoint ruleset of its own, found through AWS_DATA_PATH.
		c.flagEndpoint = true
		c.env = []string{"AWS_DATA_PATH=" + stsRulesetDir(t, tg.endpoint)}
	}
	return c
}

// stsRulesetDir writes, for AWS_DATA_PATH, an STS endpoint ruleset that
// sends every STS call to endpoint, and returns its directory. botocore
// reads a service's ruleset from AWS_DATA_PATH before its own data: this
// is how a CLI v2 before 2.13 (which reads no endpoint from the
// environment or config) reaches a local STS with every client it makes,
// the assume-role provider's included.
func stsRulesetDir(t *testing.T, endpoint string) string {
	t.Helper()
	dir := t.TempDir()
	param := func(builtIn, typ string, def any) map[string]any {
		p := map[string]any{"builtIn": builtIn, "required": def != nil, "documentation": builtIn, "type": typ}
		if def != nil {
			p["default"] = def
		}
		return p
	}
	ruleset := map[string]any{
		"version": "1.0",
		// The parameters botocore fills for STS; the one rule ignores them.
		"parameters": map[string]any{
			"Region":            param("AWS::Region", "String", nil),
			"UseDualStack":      param("AWS::UseDualStack", "Boolean", false),
			"UseFIPS":           param("AWS::UseFIPS", "Boolean", false),
			"Endpoint":          param("SDK::Endpoint", "String", nil),
			"UseGlobalEndpoint": param("AWS::STS::UseGlobalEndpoint", "Boolean", false),
		},
		"rules": []any{map[string]any{
			"conditions": []any{},
			"endpoint":   map[string]any{"url": endpoint, "properties": map[string]any{}, "headers": map[string]any{}},
			"type":       "endpoint",
		}},
	}
	data, err := json.Marshal(ruleset)
	if err != nil {
		t.Fatal(err)
	}
	sts := filepath.Join(dir, "sts", "2011-06-15")
	if err := os.MkdirAll(sts, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sts, "endpoint-rule-set-1.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func (c *awsCLI) run(t *testing.T, h *awsHome, what, stdin string, args ...string) string {
	t.Helper()
	if c.flagEndpoint {
		args = append([]string{"--endpoint-url", c.endpoint}, args...)
	}
	return mustRun(t, what, child{env: h.env(c.endpoint, c.env...), dir: h.dir, stdin: stdin, name: c.bin, args: append(args, "--output", "json")})
}

func (c *awsCLI) identity(t *testing.T, h *awsHome, profile string) string {
	t.Helper()
	var out struct{ Arn string }
	decodeJSON(t, "aws sts get-caller-identity", c.run(t, h, "aws sts get-caller-identity", "", "sts", "get-caller-identity", "--profile", profile), &out)
	return out.Arn
}

func (c *awsCLI) sessionToken(t *testing.T, h *awsHome, profile, serial, code string) sessionCreds {
	t.Helper()
	var out struct{ Credentials sessionCreds }
	stdout := c.run(t, h, "aws sts get-session-token", "", "sts", "get-session-token", "--profile", profile, "--serial-number", serial, "--token-code", code)
	decodeJSON(t, "aws sts get-session-token", stdout, &out)
	return out.Credentials
}

func (c *awsCLI) roleProfile(t *testing.T, h *awsHome, profile, code string) string {
	t.Helper()
	var out struct{ Arn string }
	stdout := c.run(t, h, "aws sts get-caller-identity (role profile)", code+"\n", "sts", "get-caller-identity", "--profile", profile)
	decodeJSON(t, "aws sts get-caller-identity (role profile)", stdout, &out)
	return out.Arn
}

func (c *awsCLI) iam(t *testing.T, h *awsHome, profile, user, newUser, device, qrFile string) iamResult {
	t.Helper()
	var r iamResult
	var created struct{ User struct{ Arn string } }
	decodeJSON(t, "aws iam create-user", c.run(t, h, "aws iam create-user", "", "iam", "create-user", "--profile", profile, "--user-name", newUser), &created)
	r.CreatedARN = created.User.Arn

	var keys struct {
		AccessKeyMetadata []struct{ AccessKeyId, Status string }
	}
	decodeJSON(t, "aws iam list-access-keys", c.run(t, h, "aws iam list-access-keys", "", "iam", "list-access-keys", "--profile", profile, "--user-name", user), &keys)
	for _, k := range keys.AccessKeyMetadata {
		if k.Status == "Active" {
			r.KeyIDs = append(r.KeyIDs, k.AccessKeyId)
		}
	}

	var virt struct{ VirtualMFADevice struct{ SerialNumber string } }
	decodeJSON(t, "aws iam create-virtual-mfa-device", c.run(t, h, "aws iam create-virtual-mfa-device", "",
		"iam", "create-virtual-mfa-device", "--profile", profile, "--virtual-mfa-device-name", device,
		"--outfile", qrFile, "--bootstrap-method", "QRCodePNG"), &virt)
	r.VirtualSerial = virt.VirtualMFADevice.SerialNumber

	var devs struct {
		MFADevices []struct{ SerialNumber string }
	}
	decodeJSON(t, "aws iam list-mfa-devices", c.run(t, h, "aws iam list-mfa-devices", "", "iam", "list-mfa-devices", "--profile", profile, "--user-name", user), &devs)
	for _, d := range devs.MFADevices {
		r.Serials = append(r.Serials, d.SerialNumber)
	}
	return r
}

// roleProfileUnsupported: every CLI runs the role profile flow (a CLI v2
// before 2.13 through AWS_DATA_PATH, see newAWSCLIv2).
func (c *awsCLI) roleProfileUnsupported() string { return "" }
