package compat

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/awsmfa/awsmfa/internal/awsconfig"
)

// ykmanHelper is the first argument that makes the test binary a fake
// ykman; a shell script named ykman on the children's PATH runs it.
const ykmanHelper = "compat-ykman"

// ykmanSpecVar names the mfaCodeSpec file the fake ykman answers from.
const ykmanSpecVar = "COMPAT_YKMAN_SPEC"

// ykmanMain answers "ykman oath accounts code --single NAME" with the current
// code of the spec's emulator device, as a YubiKey holding that device's
// secret would, and logs each code asked for. It refuses every other
// command: here the device exists before setup, which only reads codes.
func ykmanMain(args []string, stdout, stderr io.Writer) int {
	if len(args) != 5 || strings.Join(args[:4], " ") != "oath accounts code --single" {
		fmt.Fprintf(stderr, "Error: the compat ykman answers only \"oath accounts code --single NAME\", not %q\n", args)
		return 2
	}
	return mfaCodeMain([]string{os.Getenv(ykmanSpecVar)}, stdout, stderr)
}

// TestSetupProfilesRealClients (issue 8, acceptance 4): after `awsmfa setup`
// the AWS CLI v1 and boto3 use the profiles it wrote, with nothing edited by
// hand. The user starts with a plaintext admin key and a virtual MFA device
// whose codes a YubiKey gives (--yubikey, the setup that needs no terminal:
// setup writes mfa_process = ykman …, here a fake ykman answering from the
// emulator). Afterwards each client runs, by profile name alone:
//   - the key profile (credential_process = awsmfa credential-process KEY):
//     the user's MFA session;
//   - the role profile (role_arn + source_profile = KEY): the role, which the
//     client assumes itself, and "aws s3 ls" / list_buckets as the role.
//
// All of them together ask one MFA code after setup's own: the agent keeps the
// MFA session for every credential_process run.
func TestSetupProfilesRealClients(t *testing.T) {
	tg := startEmulator(t)
	awsCLI := awsCLIv1(t)
	python := python3Boto3(t)
	script, err := filepath.Abs(filepath.Join("testdata", "boto3_flows.py"))
	if err != nil {
		t.Fatal(err)
	}
	s := newAWSMFASetup(t, tg, buildAWSMFA(t))

	user := fixtureName("setup")
	u, err := tg.emu.CreateUser(user)
	if err != nil {
		t.Fatal(err)
	}
	key, err := tg.emu.CreateAccessKey(user)
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.emu.AttachPolicy("user", user, "arn:aws:iam::aws:policy/AdministratorAccess"); err != nil {
		t.Fatal(err)
	}
	dev, err := tg.emu.CreateMFADevice(user, user)
	if err != nil {
		t.Fatal(err)
	}
	s.home.writeProfiles(t,
		[]profile{{name: user, keys: [][2]string{{"region", "us-east-1"}}}},
		[]profile{{name: user, keys: [][2]string{{"aws_access_key_id", key.ID}, {"aws_secret_access_key", key.Secret}}}})

	// The fake ykman, first on the children's PATH.
	spec := mfaCodeSpec{URL: tg.endpoint, Token: tg.emu.ControlToken(), Serial: dev.Serial, Log: filepath.Join(t.TempDir(), "codes")}
	specData, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	specFile := filepath.Join(t.TempDir(), "ykman.json")
	if err := os.WriteFile(specFile, specData, 0o600); err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	wrapper := fmt.Sprintf("#!/bin/sh\nexec '%s' %s \"$@\"\n", s.self, ykmanHelper)
	if err := os.WriteFile(filepath.Join(bin, "ykman"), []byte(wrapper), 0o700); err != nil {
		t.Fatal(err)
	}
	env := append(s.env(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), ykmanSpecVar+"="+specFile)
	codes := userProfiles{log: spec.Log}

	out := mustRun(t, "awsmfa setup", child{env: env, dir: s.home.dir, name: s.bin, args: []string{"setup", user, "--yubikey", "--yes"}})
	if !strings.Contains(out, "profile "+user+" is locked with MFA") {
		t.Fatalf("awsmfa setup did not finish:\n%s", out)
	}
	if got := codes.codesAsked(t); got != 1 {
		t.Fatalf("setup asked ykman %d codes, want 1 (the proof's)", got)
	}

	// The profiles are setup's, untouched.
	cfg, err := awsconfig.Load(awsconfig.Paths{Config: s.home.config, Credentials: s.home.credentials})
	if err != nil {
		t.Fatal(err)
	}
	kp, err := cfg.Profile(user)
	if err != nil {
		t.Fatal(err)
	}
	role := user + "-role"
	rp, err := cfg.Profile(role)
	if err != nil {
		t.Fatalf("setup wrote no role profile: %v", err)
	}
	if kp.StaticKeys || !awsconfig.IsOwnCredentialProcess(kp.CredentialProcess, user) || kp.MFASerial != dev.Serial || !strings.HasPrefix(kp.Raw["mfa_process"], "ykman oath accounts code --single ") {
		t.Fatalf("key profile after setup: plaintext key %v, credential_process %q, mfa_serial %q, mfa_process %q",
			kp.StaticKeys, kp.CredentialProcess, kp.MFASerial, kp.Raw["mfa_process"])
	}
	if rp.SourceProfile != user || !strings.HasSuffix(rp.RoleARN, ":role/awsmfa-role") {
		t.Fatalf("role profile after setup: role_arn %q, source_profile %q", rp.RoleARN, rp.SourceProfile)
	}

	// The proof used this window's code; the clients' is the next one.
	tg.emu.Clock().Advance(30 * time.Second)

	wantRole := "arn:aws:sts::" + tg.account + ":assumed-role/awsmfa-role/"
	cache := filepath.Join(s.home.dir, ".aws", "cli", "cache")
	run := func(what string, c child) string {
		t.Helper()
		c.env, c.dir = env, s.home.dir
		// Each client assumes the role itself, not from the AWS CLI's cache.
		if err := os.RemoveAll(cache); err != nil {
			t.Fatal(err)
		}
		return mustRun(t, what, c)
	}
	for _, c := range []struct {
		what, want string
		cmd        child
	}{
		{"aws --profile KEY sts get-caller-identity", u.ARN,
			child{name: awsCLI, args: []string{"--profile", user, "sts", "get-caller-identity", "--output", "json"}}},
		{"aws --profile ROLE sts get-caller-identity", wantRole,
			child{name: awsCLI, args: []string{"--profile", role, "sts", "get-caller-identity", "--output", "json"}}},
		{"boto3 KEY identity", u.ARN, child{name: python, args: []string{script, "identity", user}}},
		{"boto3 ROLE identity", wantRole, child{name: python, args: []string{script, "identity", role}}},
	} {
		var got struct{ Arn string }
		decodeJSON(t, c.what, run(c.what, c.cmd), &got)
		if !strings.HasPrefix(got.Arn, c.want) {
			t.Errorf("%s: ARN %q, want %s…", c.what, got.Arn, c.want)
		}
	}

	// The seeds' probe, as the role: "aws s3 ls" and boto3's list_buckets.
	ls := run("aws --profile ROLE s3 ls", child{name: awsCLI, args: []string{"--profile", role, "s3", "ls"}})
	if !strings.Contains(ls, "awsemu-example-data") {
		t.Errorf("aws --profile %s s3 ls: %q, want the emulator's buckets", role, ls)
	}
	var buckets struct{ Buckets []string }
	decodeJSON(t, "boto3 ROLE buckets", run("boto3 ROLE buckets", child{name: python, args: []string{script, "buckets", role}}), &buckets)
	if !slices.Contains(buckets.Buckets, "awsemu-example-data") {
		t.Errorf("boto3 list_buckets as %s: %q, want the emulator's buckets", role, buckets.Buckets)
	}

	if got := codes.codesAsked(t); got != 2 {
		t.Errorf("ykman gave %d codes in all, want 2: setup's proof and one for every client after it", got)
	}
	if got := tg.calls("GetSessionToken", key.ID); got != 2 {
		t.Errorf("emulator answered %d GetSessionToken calls for the key, want 2 (setup's proof, then the agent's)", got)
	}
}
