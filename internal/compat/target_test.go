package compat

import (
	"context"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/awsmfa/awsmfa/internal/awsemu"
)

// fixture is what one flow needs on a target: an IAM user with an access
// key, an enabled virtual MFA device and a role whose trust policy admits the
// account's principals only with MFA. Every flow gets its own fixture,
// because the emulator, like AWS, accepts each MFA code once per device.
type fixture struct {
	user, userARN string
	key           awsemu.Key
	serial        string
	role, roleARN string
}

// assumedRoleARN is the caller ARN of a session of f's role named session.
func (f fixture) assumedRoleARN(account, session string) string {
	return "arn:aws:sts::" + account + ":assumed-role/" + f.role + "/" + session
}

// target is an STS/IAM endpoint the clients are pointed at.
type target struct {
	name     string
	endpoint string
	account  string
	// emu is the emulator, nil for moto_server.
	emu *awsemu.Server
	// newFixture creates fixture NAME (user NAME, device NAME-mfa, role
	// NAME-role).
	newFixture func(t *testing.T, name string) fixture
	// code returns an MFA code the target accepts now for serial.
	code func(t *testing.T, serial string) string
}

// sessionARNOK reports whether arn is right for GetCallerIdentity called with
// f's GetSessionToken credentials. AWS answers with the user's own ARN, and
// so does the emulator; moto_server answers every session with one constant
// identity of its own, so there only its shape is checked.
func (tg *target) sessionARNOK(f fixture, arn string) bool {
	if tg.emu != nil {
		return arn == f.userARN
	}
	return regexp.MustCompile(`^arn:aws:(iam|sts)::` + tg.account + `:user/[\w+=,.@-]+$`).MatchString(arn)
}

// mfaTrustPolicy admits the account's principals with MFA only.
func mfaTrustPolicy(account string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
		`"Principal":{"AWS":"arn:aws:iam::` + account + `:root"},"Action":"sts:AssumeRole",` +
		`"Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`
}

// allowAll is the users' identity policy: these tests are about the wire,
// not about identity policies (the emulator's own tests cover those).
const allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

// startEmulator starts the project's emulator in-process for t.
func startEmulator(t *testing.T) *target {
	t.Helper()
	s, err := awsemu.Start(t.Context(), awsemu.Options{})
	if err != nil {
		t.Fatalf("starting the emulator: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("closing the emulator: %v", err)
		}
	})
	tg := &target{name: "awsemu", endpoint: s.URL(), account: s.AccountID(), emu: s}
	tg.newFixture = func(t *testing.T, name string) fixture {
		t.Helper()
		u, err := s.CreateUser(name)
		if err != nil {
			t.Fatal(err)
		}
		k, err := s.CreateAccessKey(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.PutUserPolicy(name, "all", allowAll); err != nil {
			t.Fatal(err)
		}
		d, err := s.CreateMFADevice(name, name+"-mfa")
		if err != nil {
			t.Fatal(err)
		}
		r, err := s.CreateRole(name+"-role", mfaTrustPolicy(tg.account), 0)
		if err != nil {
			t.Fatal(err)
		}
		return fixture{user: u.Name, userARN: u.ARN, key: k, serial: d.Serial, role: r.Name, roleARN: r.ARN}
	}
	tg.code = func(t *testing.T, serial string) string {
		t.Helper()
		c, err := s.Code(serial)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	return tg
}

// startMoto starts moto_server on a free loopback port for t and waits until
// it answers. The process group is killed when t ends.
func startMoto(t *testing.T) *target {
	t.Helper()
	bin := motoServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	out := &lockedBuffer{}
	_, exited := background(t, child{
		env:  baseEnv(t.TempDir()),
		name: bin,
		args: []string{"-H", "127.0.0.1", "-p", strconv.Itoa(port)},
	}, out)
	endpoint := "http://127.0.0.1:" + strconv.Itoa(port)
	waitHTTP(t, endpoint, exited, out)

	// moto checks neither signatures nor MFA codes: any key and code do.
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""),
		BaseEndpoint: aws.String(endpoint),
	}
	client := iam.NewFromConfig(cfg)
	tg := &target{name: "moto", endpoint: endpoint, account: "123456789012"}
	tg.newFixture = func(t *testing.T, name string) fixture {
		t.Helper()
		ctx := t.Context()
		u, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
		if err != nil {
			t.Fatalf("moto: creating user: %v", err)
		}
		k, err := client.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
		if err != nil {
			t.Fatalf("moto: creating access key: %v", err)
		}
		d, err := client.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(name + "-mfa")})
		if err != nil {
			t.Fatalf("moto: creating MFA device: %v", err)
		}
		if _, err := client.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{
			UserName: aws.String(name), SerialNumber: d.VirtualMFADevice.SerialNumber,
			AuthenticationCode1: aws.String("123456"), AuthenticationCode2: aws.String("654321"),
		}); err != nil {
			t.Fatalf("moto: enabling MFA device: %v", err)
		}
		r, err := client.CreateRole(ctx, &iam.CreateRoleInput{
			RoleName: aws.String(name + "-role"), AssumeRolePolicyDocument: aws.String(mfaTrustPolicy(tg.account)),
		})
		if err != nil {
			t.Fatalf("moto: creating role: %v", err)
		}
		return fixture{
			user: name, userARN: aws.ToString(u.User.Arn),
			key:    awsemu.Key{ID: aws.ToString(k.AccessKey.AccessKeyId), Secret: aws.ToString(k.AccessKey.SecretAccessKey)},
			serial: aws.ToString(d.VirtualMFADevice.SerialNumber),
			role:   aws.ToString(r.Role.RoleName), roleARN: aws.ToString(r.Role.Arn),
		}
	}
	tg.code = func(*testing.T, string) string { return "123456" }
	return tg
}

// waitHTTP waits until endpoint answers HTTP at all, failing the test if the
// server process exits first or does not answer within toolTimeout.
func waitHTTP(t *testing.T, endpoint string, exited <-chan struct{}, out *lockedBuffer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), toolTimeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			return
		}
		select {
		case <-exited:
			t.Fatalf("%s exited before answering:\n%s", endpoint, clip(out.String()))
		case <-ctx.Done():
			t.Fatalf("%s did not answer: %v\n%s", endpoint, ctx.Err(), clip(out.String()))
		case <-tick.C:
		}
	}
}

// fixtureName makes a per-flow name unique on a target shared by subtests.
func fixtureName(parts ...string) string {
	return strings.ToLower(strings.Join(parts, "-"))
}
