package cached

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// ExportFormats are the AWS CLI's `configure export-credentials` formats,
// plus ini.
var ExportFormats = []string{"env", "env-no-export", "powershell", "windows-cmd", "fish", "process", "ini"}

// WrittenExpirationKey is the key that carries the expiration in an ini
// profile awsmfa writes.
const WrittenExpirationKey = "awsmfa_expiration"

// Credentials are short-lived AWS credentials, as the agent sends them.
type Credentials struct {
	AccessKeyID     string    `json:"access_key_id"`
	SecretAccessKey string    `json:"secret_access_key"`
	SessionToken    string    `json:"session_token"`
	Expiration      time.Time `json:"expiration"`
}

// ProcessOutput is the credential_process JSON, Version 1.
type ProcessOutput struct {
	Version         int    `json:"Version"`
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	SessionToken    string `json:"SessionToken"`
	Expiration      string `json:"Expiration"`
}

// WriteCredentials prints cr (and region, when not empty) in format. The values were checked against
// their character sets where they came from STS (session.fromSTS in the agent); each
// format quotes them once more for its own reader, as defense in depth, and
// the formats that have no safe quoting (windows-cmd, ini) refuse any value
// outside a plain set. Nothing is printed unless every line is safe, so that
// an eval'd output never runs half.
func WriteCredentials(w io.Writer, format, profile string, cr Credentials, region string) error {
	exp := cr.Expiration.UTC().Format(time.RFC3339)
	if format == "process" {
		return json.NewEncoder(w).Encode(ProcessOutput{
			Version: 1, AccessKeyID: cr.AccessKeyID, SecretAccessKey: cr.SecretAccessKey,
			SessionToken: cr.SessionToken, Expiration: exp,
		})
	}
	var out bytes.Buffer
	if format == "ini" {
		if !plainINISection(profile) {
			return fmt.Errorf("printing credentials as ini: profile name %q cannot be an ini section name", profile)
		}
		fmt.Fprintf(&out, "[%s]\n", profile)
		for _, kv := range [][2]string{
			{"aws_access_key_id", cr.AccessKeyID},
			{"aws_secret_access_key", cr.SecretAccessKey},
			{"aws_session_token", cr.SessionToken},
			{WrittenExpirationKey, exp},
		} {
			if !plainValue(kv[1]) {
				return fmt.Errorf("printing credentials as ini: the value of %s holds characters an ini file cannot carry safely", kv[0])
			}
			fmt.Fprintf(&out, "%s = %s\n", kv[0], kv[1])
		}
		_, err := w.Write(out.Bytes())
		return err
	}
	vars := [][2]string{
		{"AWS_ACCESS_KEY_ID", cr.AccessKeyID},
		{"AWS_SECRET_ACCESS_KEY", cr.SecretAccessKey},
		{"AWS_SESSION_TOKEN", cr.SessionToken},
		{"AWS_CREDENTIAL_EXPIRATION", exp},
	}
	if region != "" {
		vars = append(vars, [2]string{"AWS_REGION", region}, [2]string{"AWS_DEFAULT_REGION", region})
	}
	for _, kv := range vars {
		switch format {
		case "env":
			fmt.Fprintf(&out, "export %s=%s\n", kv[0], QuotePOSIX(kv[1]))
		case "env-no-export":
			fmt.Fprintf(&out, "%s=%s\n", kv[0], QuotePOSIX(kv[1]))
		case "powershell":
			fmt.Fprintf(&out, "$Env:%s=%s\n", kv[0], QuotePowerShell(kv[1]))
		case "windows-cmd":
			// cmd.exe has no quoting that stops %VAR% (and !VAR!) expansion.
			if !plainValue(kv[1]) {
				return fmt.Errorf("printing credentials for cmd.exe: the value of %s holds characters cmd.exe would interpret", kv[0])
			}
			fmt.Fprintf(&out, "set %s=%s\n", kv[0], kv[1])
		case "fish":
			fmt.Fprintf(&out, "set -gx %s %s\n", kv[0], QuoteFish(kv[1]))
		default:
			return fmt.Errorf("printing credentials: unknown format %q", format)
		}
	}
	_, err := w.Write(out.Bytes())
	return err
}

// QuotePOSIX single-quotes s for sh, bash and zsh: inside single quotes
// nothing is special but the quote itself, which is closed, escaped and
// reopened.
func QuotePOSIX(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// QuotePowerShell single-quotes s for PowerShell, where a quote inside is
// doubled. PowerShell also takes the typographic single quotes as quotes.
func QuotePowerShell(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case '\'', '\u2018', '\u2019', '\u201a', '\u201b':
			b.WriteRune(r)
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String()
}

// QuoteFish single-quotes s for fish, where only \\ and \' are escapes
// inside single quotes.
func QuoteFish(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// plainValue reports whether s is made only of characters that no shell,
// cmd.exe or ini reader treats specially: the alphabet of access keys,
// base64 secrets and tokens, RFC 3339 times and region names.
func plainValue(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') && (c < '0' || c > '9') && !strings.ContainsRune("/+=:._-", rune(c)) {
			return false
		}
	}
	return s != ""
}

// plainINISection reports whether name can be written as [name] and read
// back as the same section by every SDK's ini reader.
func plainINISection(name string) bool {
	if name == "" || strings.TrimSpace(name) != name {
		return false
	}
	for _, r := range name {
		if r < ' ' || r == 0x7f || strings.ContainsRune("[]#;", r) {
			return false
		}
	}
	return true
}
