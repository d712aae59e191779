package compat

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// sessionCreds are temporary credentials a client got from STS.
type sessionCreds struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string
	SessionToken    string
	Expiration      string
}

// iamResult is what the IAM flow observed.
type iamResult struct {
	// CreatedARN is the ARN CreateUser returned for the new user.
	CreatedARN string
	// KeyIDs are the access key ids ListAccessKeys returned for the user.
	KeyIDs []string
	// VirtualSerial is the serial CreateVirtualMFADevice returned.
	VirtualSerial string
	// Serials are the serials ListMFADevices returned for the user.
	Serials []string
}

// driver runs the flows of issue 3 with one real client. Every method runs
// the client as a child process with h's files and environment.
type driver interface {
	// identity calls GetCallerIdentity with profile and returns the ARN.
	identity(t *testing.T, h *awsHome, profile string) string
	// sessionToken calls GetSessionToken with profile's long-term key and
	// the MFA device serial with code.
	sessionToken(t *testing.T, h *awsHome, profile, serial, code string) sessionCreds
	// roleProfile calls GetCallerIdentity through profile, a role profile
	// with mfa_serial, answering the client's MFA prompt with code.
	roleProfile(t *testing.T, h *awsHome, profile, code string) string
	// iam creates user newUser and virtual MFA device device (its QR code PNG
	// saved to qrFile), and lists user's access keys and MFA devices.
	iam(t *testing.T, h *awsHome, profile, user, newUser, device, qrFile string) iamResult
	// roleProfileUnsupported says why the client cannot run the role
	// profile flow against a local endpoint, or "" if it can.
	roleProfileUnsupported() string
}

// testFlows runs the flows of issue 3 (acceptance 2) with d against tg:
// GetCallerIdentity for a user, a GetSessionToken session made with MFA and
// a role assumed through an mfa_serial profile, plus the IAM calls setup
// needs. Each flow has its own fixture and HOME.
func testFlows(t *testing.T, tg *target, client string, d driver) {
	// userProfile writes credentials for f's key as profile "user" and the
	// role profile "role" (role_arn + source_profile + mfa_serial).
	userProfile := func(t *testing.T, f fixture, session string) *awsHome {
		h := newAWSHome(t)
		h.writeProfiles(t,
			[]profile{
				{name: "user", keys: [][2]string{{"region", "us-east-1"}, {"output", "json"}}},
				{name: "role", keys: [][2]string{
					{"role_arn", f.roleARN}, {"source_profile", "user"}, {"mfa_serial", f.serial},
					{"role_session_name", session}, {"region", "us-east-1"}, {"output", "json"},
				}},
			},
			[]profile{{name: "user", keys: [][2]string{{"aws_access_key_id", f.key.ID}, {"aws_secret_access_key", f.key.Secret}}}},
		)
		return h
	}

	t.Run("caller-identity", func(t *testing.T) {
		f := tg.newFixture(t, fixtureName(client, "ident"))
		h := userProfile(t, f, "unused")
		if got := d.identity(t, h, "user"); got != f.userARN {
			t.Errorf("GetCallerIdentity ARN = %q, want %q", got, f.userARN)
		}
	})

	t.Run("get-session-token", func(t *testing.T) {
		f := tg.newFixture(t, fixtureName(client, "gst"))
		h := userProfile(t, f, "unused")
		before := tg.calls("GetSessionToken", f.key.ID)
		c := d.sessionToken(t, h, "user", f.serial, tg.code(t, f.serial))
		if c.AccessKeyID == "" || c.SecretAccessKey == "" || c.SessionToken == "" {
			t.Fatalf("GetSessionToken returned incomplete credentials (key id %q)", c.AccessKeyID)
		}
		if tg.emu != nil && !strings.HasPrefix(c.AccessKeyID, "ASIA") {
			t.Errorf("session key id %q does not start with ASIA", c.AccessKeyID)
		}
		exp, err := time.Parse(time.RFC3339, c.Expiration)
		if err != nil {
			t.Errorf("Expiration %q is not RFC 3339: %v", c.Expiration, err)
		} else if until := time.Until(exp); until < 11*time.Hour || until > 13*time.Hour {
			t.Errorf("Expiration %s is %v away, want about 12h (GetSessionToken's default)", c.Expiration, until)
		}
		if tg.emu != nil {
			if got := tg.calls("GetSessionToken", f.key.ID) - before; got != 1 {
				t.Errorf("emulator answered %d GetSessionToken calls with the user's key, want 1", got)
			}
		}
		// The session's own identity, through a profile holding it.
		h.writeProfiles(t,
			[]profile{{name: "session", keys: [][2]string{{"region", "us-east-1"}, {"output", "json"}}}},
			[]profile{{name: "session", keys: [][2]string{
				{"aws_access_key_id", c.AccessKeyID}, {"aws_secret_access_key", c.SecretAccessKey}, {"aws_session_token", c.SessionToken},
			}}},
		)
		if got := d.identity(t, h, "session"); !tg.sessionARNOK(f, got) {
			t.Errorf("GetCallerIdentity ARN with the session = %q, want %q's", got, f.userARN)
		}
	})

	t.Run("mfa-role-profile", func(t *testing.T) {
		if why := d.roleProfileUnsupported(); why != "" {
			t.Skip(why)
		}
		f := tg.newFixture(t, fixtureName(client, "role"))
		session := fixtureName("compat", client)
		h := userProfile(t, f, session)
		got := d.roleProfile(t, h, "role", tg.code(t, f.serial))
		if want := f.assumedRoleARN(tg.account, session); got != want {
			t.Errorf("GetCallerIdentity ARN through the role profile = %q, want %q", got, want)
		}
	})

	t.Run("iam", func(t *testing.T) {
		f := tg.newFixture(t, fixtureName(client, "iam"))
		h := userProfile(t, f, "unused")
		newUser, device := f.user+"-new", f.user+"-virtual"
		qr := filepath.Join(t.TempDir(), "qr.png")
		r := d.iam(t, h, "user", f.user, newUser, device, qr)
		if want := "arn:aws:iam::" + tg.account + ":user/" + newUser; r.CreatedARN != want {
			t.Errorf("CreateUser ARN = %q, want %q", r.CreatedARN, want)
		}
		if !slices.Contains(r.KeyIDs, f.key.ID) {
			t.Errorf("ListAccessKeys = %q, want it to hold %q", r.KeyIDs, f.key.ID)
		}
		if want := "arn:aws:iam::" + tg.account + ":mfa/" + device; r.VirtualSerial != want {
			t.Errorf("CreateVirtualMFADevice serial = %q, want %q", r.VirtualSerial, want)
		}
		if !slices.Contains(r.Serials, f.serial) {
			t.Errorf("ListMFADevices = %q, want it to hold %q", r.Serials, f.serial)
		}
		png, err := os.ReadFile(qr)
		switch {
		case err != nil:
			t.Errorf("reading the QR code: %v", err)
		case tg.emu != nil && !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")):
			t.Errorf("the QR code (%d bytes) is not a PNG", len(png))
		case len(png) == 0: // moto hands out random bytes, not a PNG
			t.Errorf("the QR code is empty")
		}
	})
}

// calls counts the emulator's answered calls of action signed with keyID
// (0 on moto_server, which keeps no such log).
func (tg *target) calls(action, keyID string) int {
	if tg.emu == nil {
		return 0
	}
	n := 0
	for _, c := range tg.emu.CallLog() {
		if c.Action == action && c.AccessKeyID == keyID && c.ErrorCode == "" {
			n++
		}
	}
	return n
}

// decodeJSON decodes a client's stdout into v. The output may hold
// credentials, so a failure names only the what, never the text.
func decodeJSON(t *testing.T, what, stdout string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(stdout), v); err != nil {
		t.Fatalf("%s: output (%d bytes) is not the expected JSON: %v", what, len(stdout), err)
	}
}
