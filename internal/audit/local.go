package audit

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/awsmfa/awsmfa/internal/awsconfig"
	"github.com/awsmfa/awsmfa/internal/userdirs"
)

// Check IDs of the local checks. Each check's severity depends on what it
// found; an ok finding says what was checked.
const (
	IDPlaintextKey     = "plaintext-key"     // a long-term key in the config or credentials file
	IDPlaintextSession = "plaintext-session" // unexpired session credentials in a file
	IDPermissions      = "permissions"       // modes and owner of ~/.aws, the AWS files, the vault, the agent's directory
	IDShellKey         = "shell-key"         // an access key and a secret in a shell startup file
	IDEnvCredentials   = "env-credentials"   // credentials in the audit's own environment
	IDRoleMFASerial    = "role-mfa-serial"   // a role profile with no mfa_serial along its chain
)

// Options are what the local checks look at. Nothing is read from the
// process: the caller passes its environment, home and clock.
type Options struct {
	// Home is the user's home directory.
	Home string
	// Getenv reads the environment the audit runs in.
	Getenv func(string) string
	// GOOS is the system whose conventions apply ("windows" skips the mode
	// and owner checks, which do not map to Windows ACLs).
	GOOS string
	// UID is the user's id, the owner every checked path must have; -1
	// skips the owner check.
	UID int
	// Now is the time expiries are compared with.
	Now time.Time
	// Config is the loaded AWS config and credentials files.
	Config *awsconfig.Config
}

func (o Options) getenv(k string) string {
	if o.Getenv == nil {
		return ""
	}
	return o.Getenv(k)
}

func (o Options) show(path string) string { return display(o.Home, path) }

// Local runs every check that needs no network and no vault: plaintext keys,
// file modes, session credentials other tools left on disk, keys in shell
// startup files, credentials in the environment, and role profiles without
// MFA. It reads files only; it never writes or creates any.
func Local(o Options) []Finding {
	var out []Finding
	out = append(out, plaintextProfiles(o)...)
	out = append(out, permissions(o)...)
	out = append(out, sessionCaches(o)...)
	out = append(out, shellFiles(o)...)
	out = append(out, environment(o)...)
	out = append(out, roleSerials(o)...)
	return out
}

// expiryKeys are the keys tools use for a credentials-file section's expiry:
// awsmfa write, aws-mfa (expiration), gimme-aws-creds and saml2aws
// (x_security_token_expires), and the SDKs' own spellings.
var expiryKeys = []string{
	"awsmfa_expiration", "expiration", "aws_expiration", "aws_session_expiration",
	"aws_credential_expiration", "x_security_token_expires", "expiry", "expires",
}

// plaintextProfiles reports the keys the config and credentials files hold:
// long-term keys (critical) and session keys other tools wrote, by expiry.
func plaintextProfiles(o Options) []Finding {
	cfg := o.Config
	if cfg == nil {
		return nil
	}
	var out []Finding
	longTerm := 0
	for _, name := range cfg.ProfileNames() {
		p, err := cfg.Profile(name)
		if err != nil || !p.StaticKeys {
			continue
		}
		file := cfg.Paths.Credentials
		if !p.InCredentials {
			file = cfg.Paths.Config
		}
		sc, _ := p.StaticCredentials()
		isSession := strings.HasPrefix(sc.AccessKeyID, "ASIA") || (sc.SessionToken != "" && !strings.HasPrefix(sc.AccessKeyID, "AKIA"))
		if !isSession {
			longTerm++
			f := Finding{ID: IDPlaintextKey, Severity: Critical, Profile: name, Resource: o.show(file),
				Message: fmt.Sprintf("profile %s has a long-term access key (%s) in plaintext: whoever copies the file has the key", name, keyIDOrUnknown(sc.AccessKeyID)),
				Fix:     "awsmfa import " + shellWord(name)}
			if !p.InCredentials {
				f.Fix = fmt.Sprintf("awsmfa add %s, then delete aws_access_key_id and aws_secret_access_key from [profile %s] in %s", shellWord(name), name, o.show(file))
			}
			out = append(out, f)
			continue
		}
		exp, key, known := sectionExpiry(p)
		if known && !exp.After(o.Now) {
			continue // expired: harmless
		}
		f := Finding{ID: IDPlaintextSession, Severity: Warning, Profile: name, Resource: o.show(file)}
		if known {
			f.Message = fmt.Sprintf("profile %s holds session credentials in plaintext until %s (%s)", name, exp.UTC().Format(time.RFC3339), key)
		} else {
			f.Message = fmt.Sprintf("profile %s holds session credentials in plaintext, with no expiry awsmfa can read", name)
		}
		if p.Raw["awsmfa_profile"] != "" {
			f.Fix = "awsmfa clear " + shellWord(p.Raw["awsmfa_profile"])
		} else {
			f.Fix = fmt.Sprintf("delete section [%s] from %s", name, o.show(file))
		}
		out = append(out, f)
	}
	if longTerm == 0 {
		out = append(out, Finding{ID: IDPlaintextKey, Severity: OK, Resource: o.show(cfg.Paths.Credentials),
			Message: "no long-term access key in plaintext in the config or credentials file"})
	}
	return out
}

func keyIDOrUnknown(id string) string {
	if id == "" {
		return "no key id"
	}
	return maskKey(id)
}

// sectionExpiry reads a session section's expiry from the first expiry key
// it has.
func sectionExpiry(p *awsconfig.Profile) (time.Time, string, bool) {
	for _, k := range expiryKeys {
		if v, ok := p.Raw[k]; ok {
			if t, ok := parseTime(v); ok {
				return t, k, true
			}
		}
	}
	return time.Time{}, "", false
}

// timeLayouts are the expiry spellings tools write.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05UTC",
}

func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// permissions checks that ~/.aws, the config and credentials files, the
// vault and the agent's directory are the user's own and closed to others.
func permissions(o Options) []Finding {
	if o.GOOS == "windows" {
		return nil
	}
	type target struct {
		path    string
		dir     bool
		secrets bool // readable by others means a secret leaks
		what    string
	}
	var ts []target
	ts = append(ts, target{path: filepath.Join(o.Home, ".aws"), dir: true, what: "the AWS directory"})
	if o.Config != nil {
		credSecrets, cfgSecrets := filesHoldSecrets(o.Config)
		for _, d := range uniqueDirs(o.Home, o.Config.Paths) {
			ts = append(ts, target{path: d, dir: true, what: "the directory of an AWS file"})
		}
		ts = append(ts,
			target{path: o.Config.Paths.Config, what: "the AWS config file", secrets: cfgSecrets},
			target{path: o.Config.Paths.Credentials, what: "the AWS credentials file", secrets: credSecrets})
	}
	if data, err := userdirs.DataDir(o.getenv, o.Home, o.GOOS); err == nil {
		ts = append(ts,
			target{path: data, dir: true, what: "awsmfa's data directory"},
			target{path: filepath.Join(data, "vault.age"), what: "the encrypted vault file"})
	}
	if run, err := userdirs.RuntimeDir(o.getenv, o.Home, o.GOOS, o.UID); err == nil {
		ts = append(ts, target{path: run, dir: true, what: "the agent's directory"})
	}
	var out []Finding
	seen := map[string]bool{}
	for _, t := range ts {
		if seen[t.path] {
			continue
		}
		seen[t.path] = true
		fi, err := os.Stat(t.path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		shown := o.show(t.path)
		if err != nil {
			out = append(out, Finding{ID: IDPermissions, Severity: Warning, Resource: shown,
				Message: fmt.Sprintf("cannot check %s: %v", t.what, errors.Unwrap(err))})
			continue
		}
		out = append(out, judgeMode(o, fi, shown, t.what, t.dir, t.secrets)...)
	}
	return out
}

// judgeMode judges one path's mode and owner.
func judgeMode(o Options, fi fs.FileInfo, shown, what string, dir, secrets bool) []Finding {
	perm := fi.Mode().Perm()
	want, chmod := fs.FileMode(0o600), "chmod 600 "
	if dir {
		want, chmod = 0o700, "chmod 700 "
	}
	var out []Finding
	if uid, ok := owner(fi); ok && o.UID >= 0 && uid != o.UID {
		out = append(out, Finding{ID: IDPermissions, Severity: Critical, Resource: shown,
			Message: fmt.Sprintf("%s is owned by uid %d, not by you (uid %d): its owner can change what awsmfa and the AWS CLI read", what, uid, o.UID),
			Fix:     "sudo chown $(id -un) " + shellWord(shown)})
	}
	switch {
	case perm&0o022 != 0:
		out = append(out, Finding{ID: IDPermissions, Severity: Critical, Resource: shown,
			Message: fmt.Sprintf("%s has mode %04o: others can write to it", what, perm), Fix: chmod + shellWord(shown)})
	case perm&0o044 != 0 && secrets:
		out = append(out, Finding{ID: IDPermissions, Severity: Critical, Resource: shown,
			Message: fmt.Sprintf("%s has mode %04o and holds credentials: others can read them", what, perm), Fix: chmod + shellWord(shown)})
	case perm&0o077 != 0:
		out = append(out, Finding{ID: IDPermissions, Severity: Warning, Resource: shown,
			Message: fmt.Sprintf("%s has mode %04o: others can read it, want %04o", what, perm, want), Fix: chmod + shellWord(shown)})
	}
	if len(out) == 0 {
		out = append(out, Finding{ID: IDPermissions, Severity: OK, Resource: shown,
			Message: fmt.Sprintf("%s has mode %04o and is yours", what, perm)})
	}
	return out
}

// filesHoldSecrets reports whether the credentials and config files hold
// keys (long-term or session).
func filesHoldSecrets(cfg *awsconfig.Config) (creds, config bool) {
	for _, n := range cfg.ProfileNames() {
		p, err := cfg.Profile(n)
		if err != nil || !p.StaticKeys {
			continue
		}
		if p.InCredentials {
			creds = true
		} else {
			config = true
		}
	}
	return creds, config
}

// uniqueDirs are the directories of the AWS files other than ~/.aws.
func uniqueDirs(home string, p awsconfig.Paths) []string {
	var out []string
	for _, f := range []string{p.Config, p.Credentials} {
		d := filepath.Dir(f)
		if d != filepath.Join(home, ".aws") && d != home && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// environment reports credentials in the audit's own environment: they
// override every profile, and every process started from this shell
// inherits them.
func environment(o Options) []Finding {
	var out []Finding
	id := o.getenv("AWS_ACCESS_KEY_ID")
	secret := o.getenv("AWS_SECRET_ACCESS_KEY") != ""
	token := o.getenv("AWS_SESSION_TOKEN") != "" || o.getenv("AWS_SECURITY_TOKEN") != ""
	switch {
	case (id != "" || secret) && !token && !strings.HasPrefix(id, "ASIA"):
		out = append(out, Finding{ID: IDEnvCredentials, Severity: Critical, Resource: "AWS_ACCESS_KEY_ID",
			Message: fmt.Sprintf("the environment holds a long-term access key (%s): it overrides every profile, needs no MFA, and every program started from this shell inherits it", keyIDOrUnknown(id)),
			Fix:     "awsmfa add PROFILE --env && unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY"})
	case id != "" && o.getenv("AWSMFA_PROFILE") != "":
		out = append(out, Finding{ID: IDEnvCredentials, Severity: OK, Resource: "AWS_ACCESS_KEY_ID",
			Message: fmt.Sprintf("the environment holds short-lived credentials from awsmfa exec %s", o.getenv("AWSMFA_PROFILE"))})
	case id != "" || secret || token:
		out = append(out, Finding{ID: IDEnvCredentials, Severity: Warning, Resource: "AWS_ACCESS_KEY_ID",
			Message: fmt.Sprintf("the environment holds session credentials (%s): they override every profile until they expire", keyIDOrUnknown(id)),
			Fix:     "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_SECURITY_TOKEN"})
	default:
		out = append(out, Finding{ID: IDEnvCredentials, Severity: OK, Resource: "AWS_ACCESS_KEY_ID",
			Message: "no AWS credentials in the environment"})
	}
	if o.getenv("AWSMFA_PASSPHRASE") != "" {
		out = append(out, Finding{ID: IDEnvCredentials, Severity: Warning, Resource: "AWSMFA_PASSPHRASE",
			Message: "the vault's passphrase is in the environment, where process listings and crash reports can show it",
			Fix:     "unset AWSMFA_PASSPHRASE # and use AWSMFA_PASSPHRASE_FILE or AWSMFA_PASSPHRASE_COMMAND"})
	}
	return out
}

// roleSerials reports role profiles whose chain names no mfa_serial: the AWS
// CLI and SDKs then assume the role without MFA, which works only if its
// trust policy does not ask for MFA.
func roleSerials(o Options) []Finding {
	cfg := o.Config
	if cfg == nil {
		return nil
	}
	var out []Finding
	roles, bad := 0, 0
	for _, name := range cfg.ProfileNames() {
		p, err := cfg.Profile(name)
		if err != nil || p.RoleARN == "" || p.WebIdentityTokenFile != "" {
			continue
		}
		chain, err := cfg.SourceChain(name, nil)
		if err != nil {
			bad++
			out = append(out, Finding{ID: IDRoleMFASerial, Severity: Warning, Profile: name, Resource: p.RoleARN,
				Message: fmt.Sprintf("cannot follow the source chain of profile %s: %v", name, err)})
			continue
		}
		base := chain[len(chain)-1]
		if base.CredentialSource != "" && base.RoleARN != "" {
			continue // an instance or container role: no person, no MFA
		}
		roles++
		if awsconfig.ChainMFASerial(chain) != "" {
			continue
		}
		bad++
		names := make([]string, len(chain))
		for i, c := range chain {
			names[i] = c.Name
		}
		out = append(out, Finding{ID: IDRoleMFASerial, Severity: Warning, Profile: name, Resource: p.RoleARN,
			Message: fmt.Sprintf("profile %s assumes its role with no mfa_serial along its chain (%s): the AWS CLI and SDKs assume it without MFA, which works only if the role's trust policy does not require MFA",
				name, strings.Join(names, " -> ")),
			Fix: fmt.Sprintf("awsmfa exec %s --save -- true", shellWord(base.Name))})
	}
	if roles > 0 && bad == 0 {
		out = append(out, Finding{ID: IDRoleMFASerial, Severity: OK,
			Message: fmt.Sprintf("every role profile (%d) names an mfa_serial along its chain", roles)})
	}
	return out
}
