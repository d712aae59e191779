package compat

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/awsmfa/awsmfa/internal/awsconfig"
)

// TestWiredRoleProfile runs real clients with a role profile wired by
// `awsmfa import --wire` (issue 7 #22): each is given only the role's name
// (`--profile ROLE`, no awsmfa exec) and must get the assumed role, while
// awsmfa asks one MFA code in total across all of them. The clients share one
// HOME, vault and agent: the key profile's credential_process serves the
// agent's MFA session, and each client assumes the role from it itself.
func TestWiredRoleProfile(t *testing.T) {
	tg := startEmulator(t)
	s := newAWSMFASetup(t, tg, buildAWSMFA(t))
	u := s.userProfiles(t, tg.newFixture(t, fixtureName("wired")))
	key, role := u.f.user, u.f.user+"-role"

	// The setup users have before awsmfa: a plaintext key, and the
	// mfa_serial on the role, where the AWS CLI wants it.
	var keySection profile
	keySection.name = key
	for _, kv := range u.sections[0].keys {
		if kv[0] != "mfa_serial" {
			keySection.keys = append(keySection.keys, kv)
		}
	}
	roleSection := u.sections[1]
	roleSection.keys = append(roleSection.keys, [2]string{"mfa_serial", u.f.serial})
	s.home.writeProfiles(t, []profile{keySection, roleSection},
		[]profile{{name: key, keys: [][2]string{{"aws_access_key_id", u.f.key.ID}, {"aws_secret_access_key", u.f.key.Secret}}}})

	out := mustRun(t, "awsmfa import --wire", child{env: s.env(), dir: s.home.dir, name: s.bin, args: []string{"import", "--wire", key}})
	if !strings.Contains(out, "wired "+key) {
		t.Fatalf("awsmfa import --wire did not wire: %q", out)
	}
	cfg, err := awsconfig.Load(awsconfig.Paths{Config: s.home.config, Credentials: s.home.credentials})
	if err != nil {
		t.Fatal(err)
	}
	kp, _ := cfg.Profile(key)
	rp, _ := cfg.Profile(role)
	if !awsconfig.IsOwnCredentialProcess(kp.CredentialProcess, key) || kp.MFASerial != u.f.serial || kp.StaticKeys {
		t.Fatalf("key profile after wiring: credential_process %q, mfa_serial %q, plaintext key %v", kp.CredentialProcess, kp.MFASerial, kp.StaticKeys)
	}
	if rp.MFASerial != "" || rp.RoleARN != u.f.roleARN || rp.SourceProfile != key {
		t.Fatalf("role profile after wiring: mfa_serial %q, role_arn %q, source_profile %q", rp.MFASerial, rp.RoleARN, rp.SourceProfile)
	}

	type client struct {
		name string
		// prepare checks the client is installed and returns its command
		// printing GetCallerIdentity's JSON for the role profile.
		prepare func(t *testing.T) child
	}
	clients := []client{
		{"awscli-v1", func(t *testing.T) child {
			return child{name: awsCLIv1(t), args: []string{"sts", "get-caller-identity", "--profile", role, "--output", "json"}}
		}},
		{"awscli-v2", func(t *testing.T) child {
			bin, ver := awsCLIv2(t)
			c := newAWSCLIv2(t, bin, ver, tg)
			args := []string{"sts", "get-caller-identity", "--profile", role, "--output", "json"}
			if c.flagEndpoint {
				args = append([]string{"--endpoint-url", c.endpoint}, args...)
			}
			return child{name: bin, args: args, env: c.env}
		}},
		{"boto3", func(t *testing.T) child {
			script, err := filepath.Abs(filepath.Join("testdata", "boto3_flows.py"))
			if err != nil {
				t.Fatal(err)
			}
			return child{name: python3Boto3(t), args: []string{script, "identity", role}}
		}},
		{"gosdk", func(t *testing.T) child {
			return child{name: s.self, args: []string{goSDKHelper, "identity", role}}
		}},
		{"js-sdk-v3", func(t *testing.T) child {
			node, dir := nodeSDK(t)
			return child{name: node, args: []string{filepath.Join(dir, "identity.mjs"), "ini", role}}
		}},
	}
	cache := filepath.Join(s.home.dir, ".aws", "cli", "cache")
	want := "arn:aws:sts::" + tg.account + ":assumed-role/" + u.f.role + "/"
	ran := 0
	for _, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			cmd := c.prepare(t)
			cmd.env, cmd.dir = append(s.env(), cmd.env...), s.home.dir
			// The AWS CLI caches role credentials in ~/.aws/cli/cache; each
			// client must assume the role itself.
			if err := os.RemoveAll(cache); err != nil {
				t.Fatal(err)
			}
			ran++
			if got := arnOf(t, c.name+" --profile "+role, cmd); !strings.HasPrefix(got, want) {
				t.Fatalf("GetCallerIdentity ARN = %q, want the assumed role %s…", got, want)
			}
			if strings.HasPrefix(c.name, "awscli") {
				if entries, err := os.ReadDir(cache); err != nil || len(entries) == 0 {
					t.Errorf("the AWS CLI cached no role credentials in %s (%v); the README says it does", cache, err)
				}
			}
		})
	}
	if got := u.codesAsked(t); got != 1 {
		t.Errorf("mfa_process ran %d times for %d clients, want 1", got, ran)
	}
	if got := tg.calls("GetSessionToken", u.f.key.ID); got != 1 {
		t.Errorf("emulator answered %d GetSessionToken calls for %d clients, want 1", got, ran)
	}
	assumed := 0
	for _, c := range tg.emu.CallLog() {
		if c.Action == "AssumeRole" && c.ErrorCode == "" {
			assumed++
			if c.AccessKeyID == u.f.key.ID {
				t.Errorf("AssumeRole was signed with the long-term key, not the MFA session")
			}
		}
	}
	if assumed != ran {
		t.Errorf("emulator answered %d AssumeRole calls, want one per client (%d)", assumed, ran)
	}
}
