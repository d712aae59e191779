package awsconfig

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/awsmfa/awsmfa/internal/fsutil"
)

// Paths names the two shared files.
type Paths struct {
	Config      string
	Credentials string
}

// DefaultPaths returns the files the AWS CLI reads: AWS_CONFIG_FILE and
// AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/config and ~/.aws/credentials.
// A leading "~" (alone or before a separator) in a variable is expanded to
// home, as botocore's os.path.expanduser does; "~user" is left alone.
func DefaultPaths(getenv func(string) string, home string) Paths {
	pick := func(env, def string) string {
		if v := getenv(env); v != "" {
			return expandHome(v, home)
		}
		return filepath.Join(home, ".aws", def)
	}
	return Paths{
		Config:      pick("AWS_CONFIG_FILE", "config"),
		Credentials: pick("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
	}
}

func expandHome(p, home string) string {
	if p == "~" {
		return home
	}
	if len(p) > 1 && p[0] == '~' && os.IsPathSeparator(p[1]) {
		return filepath.Join(home, p[2:])
	}
	return p
}

// ReadFile parses the file at path. A missing file is an empty File; nothing
// is created. A path that is not a regular file (a device such as /dev/null,
// a FIFO, a directory) is an error matching fsutil.ErrNotRegular, found
// without opening it or waiting on it.
func ReadFile(path string) (*File, error) {
	fh, err := fsutil.OpenRegular(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{name: path}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %q: %w", path, err)
	}
	defer fh.Close()
	data, err := io.ReadAll(fh)
	if err != nil {
		return nil, fmt.Errorf("reading %q: %w", path, err)
	}
	return Parse(path, data)
}

// Config is the combined, read-only view of both files.
type Config struct {
	Paths Paths
	// SSOSessions and Services hold [sso-session NAME] and [services NAME]
	// sections by NAME; Other holds every remaining non-profile section of
	// the config file by its header text.
	SSOSessions map[string]Section
	Services    map[string]Section
	Other       map[string]Section

	profiles map[string]*profileData
}

// Section is one non-profile section's keys (lower-cased) and nested blocks.
type Section struct {
	Values map[string]string
	Nested map[string]map[string]string
}

// profileData keeps the secret values in closures: fmt and any other
// reflection-based printer sees a function pointer, never the text.
type profileData struct {
	values        map[string]string // without the secret keys
	secret        func() string
	token         func() string
	hasSecret     bool
	nested        map[string]map[string]string
	inConfig      bool
	inCredentials bool
}

// Load reads both files. Missing files are empty; a file botocore could not
// parse is an error naming the file and line.
func Load(paths Paths) (*Config, error) {
	cfgFile, err := ReadFile(paths.Config)
	if err != nil {
		return nil, err
	}
	credFile, err := ReadFile(paths.Credentials)
	if err != nil {
		return nil, err
	}
	return newConfig(paths, cfgFile, credFile)
}

func newConfig(paths Paths, cfgFile, credFile *File) (*Config, error) {
	c := &Config{
		Paths:       paths,
		SSOSessions: map[string]Section{},
		Services:    map[string]Section{},
		Other:       map[string]Section{},
		profiles:    map[string]*profileData{},
	}
	sections, err := cfgFile.resolve()
	if err != nil {
		return nil, err
	}
	for _, s := range sections {
		sec := Section{Values: s.values, Nested: s.nested}
		switch {
		case strings.HasPrefix(s.name, "profile"):
			if name, ok := secondWord(s.name); ok {
				c.profiles[name] = newProfileData(s)
			}
		case strings.HasPrefix(s.name, "sso-session"):
			if name, ok := secondWord(s.name); ok {
				c.SSOSessions[name] = sec
			}
		case strings.HasPrefix(s.name, "services"):
			if name, ok := secondWord(s.name); ok {
				c.Services[name] = sec
			}
		case s.name == "default":
			c.profiles["default"] = newProfileData(s)
		default:
			c.Other[s.name] = sec
		}
	}
	sections, err = credFile.resolve()
	if err != nil {
		return nil, err
	}
	for _, s := range sections {
		p := c.profiles[s.name]
		if p == nil {
			p = &profileData{values: map[string]string{}, nested: map[string]map[string]string{}}
			c.profiles[s.name] = p
		}
		p.inCredentials = true
		for k, v := range s.values {
			p.values[k] = v
			delete(p.nested, k)
		}
		hideSecrets(p)
		for k, v := range s.nested {
			p.nested[k] = v
			delete(p.values, k)
		}
	}
	return c, nil
}

func newProfileData(s resolved) *profileData {
	p := &profileData{values: s.values, nested: s.nested, inConfig: true}
	hideSecrets(p)
	return p
}

// hideSecrets moves the secret access key and session token out of values
// into closures; a later file's value replaces an earlier one.
func hideSecrets(p *profileData) {
	if v, ok := p.values[keySecretAccessKey]; ok {
		p.secret = func() string { return v }
		p.hasSecret = true
		delete(p.values, keySecretAccessKey)
	}
	if v, ok := p.values[keySessionToken]; ok {
		p.token = func() string { return v }
		delete(p.values, keySessionToken)
	}
}

// secondWord mirrors botocore's _parse_section: the header split like a
// shell word list must give exactly two words; the second is the name.
func secondWord(header string) (string, bool) {
	words, ok := SplitWords(header)
	if !ok || len(words) != 2 {
		return "", false
	}
	return words[1], true
}

// ProfileNames returns every profile name, from either file, sorted.
func (c *Config) ProfileNames() []string {
	names := make([]string, 0, len(c.profiles))
	for n := range c.profiles {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// HasProfile reports whether either file defines the profile.
func (c *Config) HasProfile(name string) bool {
	_, ok := c.profiles[name]
	return ok
}

// ErrProfileNotFound is matched by lookups of a profile neither file defines.
var ErrProfileNotFound = errors.New("profile not found")

// Keys whose values are secret. They are kept out of Profile.Raw.
const (
	keyAccessKeyID     = "aws_access_key_id"
	keySecretAccessKey = "aws_secret_access_key"
	keySessionToken    = "aws_session_token"
)

// Profile is one resolved profile. It holds no secret: the secret access
// key and session token are reachable only through StaticCredentials.
type Profile struct {
	Name string

	Region               string
	MFASerial            string // this profile's own mfa_serial; see ChainMFASerial
	RoleARN              string
	SourceProfile        string
	CredentialSource     string
	CredentialProcess    string
	ExternalID           string
	RoleSessionName      string
	DurationSeconds      int // 0 when unset
	WebIdentityTokenFile string
	SSOSession           string
	HasSSO               bool // any sso_* key is present
	EndpointURL          string
	ServicesSection      string // the "services" key: a [services NAME] to use

	// StaticKeys reports that the profile (from either file) has
	// aws_access_key_id or aws_secret_access_key, botocore's test for
	// static credentials.
	StaticKeys  bool
	AccessKeyID string

	// InConfig and InCredentials tell which files define the profile.
	InConfig      bool
	InCredentials bool

	// Raw has every scalar key, lower-cased, including unknown ones such as
	// mfa_process and awsmfa_session_duration, but never the secret access
	// key or session token. Nested has the nested blocks (e.g. "s3").
	Raw    map[string]string
	Nested map[string]map[string]string

	secrets func() StaticCredentials // a closure, so that printing p cannot reach it
}

// StaticCredentials is a profile's long-term (or session) key from the
// files. It formats, with any verb, without the secret or token.
type StaticCredentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// Format prints the access key ID only.
func (s StaticCredentials) Format(st fmt.State, _ rune) {
	fmt.Fprintf(st, "{AccessKeyID:%s SecretAccessKey:<redacted> SessionToken:<redacted>}", s.AccessKeyID)
}

// StaticCredentials returns the keys the files hold for the profile, if any.
func (p *Profile) StaticCredentials() (StaticCredentials, bool) {
	if p.secrets == nil {
		return StaticCredentials{}, false
	}
	return p.secrets(), true
}

// Profile resolves one profile. A malformed duration_seconds is an error.
func (c *Config) Profile(name string) (*Profile, error) {
	d, ok := c.profiles[name]
	if !ok {
		return nil, fmt.Errorf("resolving profile %q: %w", name, ErrProfileNotFound)
	}
	v := d.values
	p := &Profile{
		Name:                 name,
		Region:               v["region"],
		MFASerial:            v["mfa_serial"],
		RoleARN:              v["role_arn"],
		SourceProfile:        v["source_profile"],
		CredentialSource:     v["credential_source"],
		CredentialProcess:    v["credential_process"],
		ExternalID:           v["external_id"],
		RoleSessionName:      v["role_session_name"],
		WebIdentityTokenFile: v["web_identity_token_file"],
		SSOSession:           v["sso_session"],
		EndpointURL:          v["endpoint_url"],
		ServicesSection:      v["services"],
		AccessKeyID:          v[keyAccessKeyID],
		InConfig:             d.inConfig,
		InCredentials:        d.inCredentials,
		Raw:                  map[string]string{},
		Nested:               map[string]map[string]string{},
	}
	for k, val := range v {
		p.Raw[k] = val
		if strings.HasPrefix(k, "sso_") {
			p.HasSSO = true
		}
	}
	for k, n := range d.nested {
		p.Nested[k] = n
		if strings.HasPrefix(k, "sso_") {
			p.HasSSO = true
		}
	}
	if _, hasID := v[keyAccessKeyID]; hasID || d.hasSecret {
		p.StaticKeys = true
		id, secret, token := v[keyAccessKeyID], d.secret, d.token
		p.secrets = func() StaticCredentials {
			s := StaticCredentials{AccessKeyID: id}
			if secret != nil {
				s.SecretAccessKey = secret()
			}
			if token != nil {
				s.SessionToken = token()
			}
			return s
		}
	}
	if s, ok := v["duration_seconds"]; ok {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("resolving profile %q: duration_seconds is not a positive whole number", name)
		}
		p.DurationSeconds = n
	}
	return p, nil
}

// SplitWords splits s into words like Python's shlex.split (POSIX mode, no
// comments), the rule botocore applies to profile headers and awsmfa to
// mfa_process: blanks separate words, single quotes keep everything, double
// quotes keep everything but let a backslash escape '"' or '\', and outside
// quotes a backslash escapes any character. ok is false where shlex raises
// (an unclosed quote or a trailing backslash).
func SplitWords(s string) (words []string, ok bool) {
	var (
		cur     strings.Builder
		inWord  bool
		quote   rune // 0, '\'' or '"'
		escaped bool
	)
	for _, r := range s {
		switch {
		case escaped:
			if quote == '"' && r != '"' && r != '\\' {
				cur.WriteRune('\\')
			}
			cur.WriteRune(r)
			escaped = false
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case quote == '"':
			switch r {
			case '"':
				quote = 0
			case '\\':
				escaped = true
			default:
				cur.WriteRune(r)
			}
		case r == ' ' || r == '\t' || r == '\r' || r == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			inWord = true
			switch r {
			case '\'', '"':
				quote = r
			case '\\':
				escaped = true
			default:
				cur.WriteRune(r)
			}
		}
	}
	if quote != 0 || escaped {
		return nil, false
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, true
}

// profileHeader is the config-file header for a new profile section:
// "default", or "profile NAME" with NAME quoted when it needs quoting to
// survive SplitWords.
func profileHeader(name string) string {
	if name == "default" {
		return "default"
	}
	if name != "" && !strings.ContainsAny(name, " \t\r\n'\"\\") {
		return "profile " + name
	}
	q := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name)
	return `profile "` + q + `"`
}
