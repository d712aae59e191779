package compat

import (
	"fmt"
	"testing"
)

// awsCLI drives the AWS CLI (v1 or v2) as a driver.
type awsCLI struct {
	bin      string
	endpoint string
	// flagEndpoint passes --endpoint-url on every call, for a CLI v2 older
	// than 2.13, which ignores AWS_ENDPOINT_URL.
	flagEndpoint bool
	// unsupported says why the role profile flow cannot run, if it cannot.
	unsupported string
}

// newAWSCLIv2 configures the CLI v2 at bin, whose version is ver, for tg.
func newAWSCLIv2(bin string, ver [3]int, tg *target) *awsCLI {
	c := &awsCLI{bin: bin, endpoint: tg.endpoint}
	if !atLeast(ver, 2, 13) {
		// Endpoints from the environment and config came in 2.13.0. Before
		// that, --endpoint-url reaches only the command's own client; the STS
		// client of the assume-role provider always calls the real AWS.
		c.flagEndpoint = true
		c.unsupported = fmt.Sprintf("aws-cli/%d.%d.%d predates AWS_ENDPOINT_URL (2.13): its assume-role provider cannot be pointed at a local endpoint", ver[0], ver[1], ver[2])
	}
	return c
}

func (c *awsCLI) run(t *testing.T, h *awsHome, what, stdin string, args ...string) string {
	t.Helper()
	if c.flagEndpoint {
		args = append([]string{"--endpoint-url", c.endpoint}, args...)
	}
	return mustRun(t, what, child{env: h.env(c.endpoint), dir: h.dir, stdin: stdin, name: c.bin, args: append(args, "--output", "json")})
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

func (c *awsCLI) roleProfileUnsupported() string { return c.unsupported }
