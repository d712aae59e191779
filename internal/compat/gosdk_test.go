package compat

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// goSDKHelper is the first argument that makes the test binary run one Go SDK
// flow (goSDKMain) instead of the tests. The flows run in a child process,
// like every other client, so that the SDK sees only the environment and
// files the test built for it.
const goSDKHelper = "compat-gosdk"

// goSDKClient drives aws-sdk-go-v2 through the test binary's helper mode.
type goSDKClient struct {
	self     string
	endpoint string
}

func newGoSDK(t *testing.T, endpoint string) *goSDKClient {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatalf("locating the test binary: %v", err)
	}
	return &goSDKClient{self: self, endpoint: endpoint}
}

func (g *goSDKClient) run(t *testing.T, h *awsHome, stdin string, v any, args ...string) {
	t.Helper()
	what := "aws-sdk-go-v2 " + args[0]
	stdout := mustRun(t, what, child{env: h.env(g.endpoint), dir: h.dir, stdin: stdin, name: g.self, args: append([]string{goSDKHelper}, args...)})
	decodeJSON(t, what, stdout, v)
}

func (g *goSDKClient) identity(t *testing.T, h *awsHome, profile string) string {
	t.Helper()
	var out struct{ Arn string }
	g.run(t, h, "", &out, "identity", profile)
	return out.Arn
}

func (g *goSDKClient) sessionToken(t *testing.T, h *awsHome, profile, serial, code string) sessionCreds {
	t.Helper()
	var out sessionCreds
	g.run(t, h, "", &out, "session", profile, serial, code)
	return out
}

func (g *goSDKClient) roleProfile(t *testing.T, h *awsHome, profile, code string) string {
	t.Helper()
	var out struct{ Arn string }
	g.run(t, h, code+"\n", &out, "role-profile", profile)
	return out.Arn
}

func (g *goSDKClient) iam(t *testing.T, h *awsHome, profile, user, newUser, device, qrFile string) iamResult {
	t.Helper()
	var out iamResult
	g.run(t, h, "", &out, "iam", profile, user, newUser, device, qrFile)
	return out
}

func (g *goSDKClient) roleProfileUnsupported() string { return "" }

// goSDKMain runs one flow with the Go SDK, prints its result as JSON on
// stdout and returns the exit status. Usage as in boto3_flows.py:
//
//	identity PROFILE
//	session PROFILE SERIAL CODE
//	role-profile PROFILE        (the MFA code is one line on stdin)
//	iam PROFILE USER NEW_USER DEVICE QR_FILE
func goSDKMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	out, err := goSDKFlow(ctx, args, stdin)
	if err == nil {
		err = json.NewEncoder(stdout).Encode(out)
	}
	if err != nil {
		fmt.Fprintf(stderr, "compat-gosdk: error: %v\n", err)
		return 1
	}
	return 0
}

func goSDKFlow(ctx context.Context, args []string, stdin io.Reader) (any, error) {
	want := map[string]int{"identity": 2, "session": 4, "role-profile": 2, "iam": 6}
	if len(args) == 0 || want[args[0]] != len(args) {
		return nil, errors.New("usage: compat-gosdk identity|session|role-profile|iam ARGS...")
	}
	// The token provider is the SDK's hook for role profiles with
	// mfa_serial; it answers with the line the test wrote to stdin.
	token := func() (string, error) {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil {
			return "", fmt.Errorf("reading the MFA code from stdin: %w", err)
		}
		return strings.TrimSpace(line), nil
	}
	// BaseEndpoint is passed explicitly besides AWS_ENDPOINT_URL(_STS): the
	// STS client built for role_arn profiles is the trap of aws-sdk-go-v2
	// #2802.
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithSharedConfigProfile(args[1]),
		config.WithBaseEndpoint(os.Getenv("AWS_ENDPOINT_URL")),
		config.WithAssumeRoleCredentialOptions(func(o *stscreds.AssumeRoleOptions) { o.TokenProvider = token }),
	)
	if err != nil {
		return nil, fmt.Errorf("loading the config: %w", err)
	}
	stsc := sts.NewFromConfig(cfg)
	switch args[0] {
	case "identity", "role-profile":
		id, err := stsc.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return nil, err
		}
		return map[string]string{"Arn": aws.ToString(id.Arn)}, nil
	case "session":
		st, err := stsc.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String(args[2]), TokenCode: aws.String(args[3])})
		if err != nil {
			return nil, err
		}
		c := st.Credentials
		return sessionCreds{
			AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey),
			SessionToken: aws.ToString(c.SessionToken), Expiration: aws.ToTime(c.Expiration).UTC().Format(time.RFC3339),
		}, nil
	}
	iamc := iam.NewFromConfig(cfg)
	user, newUser, device, qrFile := args[2], args[3], args[4], args[5]
	var r iamResult
	created, err := iamc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(newUser)})
	if err != nil {
		return nil, err
	}
	r.CreatedARN = aws.ToString(created.User.Arn)
	keys, err := iamc.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(user)})
	if err != nil {
		return nil, err
	}
	for _, k := range keys.AccessKeyMetadata {
		if k.Status == "Active" {
			r.KeyIDs = append(r.KeyIDs, aws.ToString(k.AccessKeyId))
		}
	}
	virt, err := iamc.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(device)})
	if err != nil {
		return nil, err
	}
	r.VirtualSerial = aws.ToString(virt.VirtualMFADevice.SerialNumber)
	// The SDK hands the PNG over already base64-decoded.
	if err := os.WriteFile(qrFile, virt.VirtualMFADevice.QRCodePNG, 0o600); err != nil {
		return nil, err
	}
	devs, err := iamc.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String(user)})
	if err != nil {
		return nil, err
	}
	for _, d := range devs.MFADevices {
		r.Serials = append(r.Serials, aws.ToString(d.SerialNumber))
	}
	return r, nil
}
