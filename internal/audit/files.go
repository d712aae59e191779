package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/awsmfa/awsmfa/internal/fsutil"
)

// maxFileSize bounds what the audit reads of one file, and maxCacheFiles how
// many files of one cache directory it opens.
const (
	maxFileSize   = 1 << 20
	maxCacheFiles = 1000
)

// cacheDir is a directory where a tool keeps credentials in plaintext JSON.
type cacheDir struct {
	path  string
	tool  string
	depth int // how deep below path to look
}

// cacheDirs are the plaintext credential caches of the AWS CLI, the SDKs and
// the common wrappers:
//   - ~/.aws/cli/cache: assume-role credentials (AWS CLI, botocore);
//   - ~/.aws/sso/cache: IAM Identity Center tokens, with refresh tokens;
//   - ~/.aws/login/cache (AWS_LOGIN_CACHE_DIRECTORY): aws login (AWS CLI ≥
//     2.32) credentials, refresh token and DPoP key;
//   - ~/.awsume/cache: awsume's session and role credentials;
//   - ~/.granted: granted's files (its credentials normally live in the OS
//     keychain; anything found here in plaintext is reported).
func (o Options) cacheDirs() []cacheDir {
	login := o.getenv("AWS_LOGIN_CACHE_DIRECTORY")
	if login == "" {
		login = filepath.Join(o.Home, ".aws", "login", "cache")
	}
	return []cacheDir{
		{path: filepath.Join(o.Home, ".aws", "cli", "cache"), tool: "the AWS CLI's assume-role cache"},
		{path: filepath.Join(o.Home, ".aws", "sso", "cache"), tool: "the AWS CLI's IAM Identity Center cache"},
		{path: login, tool: "the AWS CLI's aws login cache"},
		{path: filepath.Join(o.Home, ".awsume", "cache"), tool: "awsume's cache"},
		{path: filepath.Join(o.Home, ".granted"), tool: "granted's directory", depth: 2},
	}
}

// sessionCaches reports cache files that hold credentials still valid (or
// renewable with a refresh token), by path and expiry.
func sessionCaches(o Options) []Finding {
	var out []Finding
	for _, d := range o.cacheDirs() {
		for _, path := range listFiles(d.path, d.depth) {
			f, ok := judgeCacheFile(o, path, d.tool)
			if ok {
				out = append(out, f)
			}
		}
	}
	if len(out) == 0 {
		out = append(out, Finding{ID: IDPlaintextSession, Severity: OK,
			Message: "no unexpired session credentials in the AWS CLI's, awsume's or granted's caches"})
	}
	return out
}

// listFiles lists the regular files under dir, depth levels of
// subdirectories deep, without following links to directories.
func listFiles(dir string, depth int) []string {
	var out []string
	var walk func(d string, level int)
	walk = func(d string, level int) {
		entries, err := os.ReadDir(d)
		if err != nil {
			return
		}
		for _, e := range entries {
			if len(out) >= maxCacheFiles {
				return
			}
			p := filepath.Join(d, e.Name())
			switch {
			case e.Type().IsRegular():
				out = append(out, p)
			case e.IsDir() && level < depth:
				walk(p, level+1)
			}
		}
	}
	walk(dir, 0)
	return out
}

// readSmall reads a regular file of at most maxFileSize bytes.
func readSmall(path string) ([]byte, error) {
	fh, err := fsutil.OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("larger than %d bytes", maxFileSize)
	}
	return data, nil
}

// cacheFacts is what a cache file's JSON says about the credentials in it.
type cacheFacts struct {
	secret  bool      // a secret key, session token or access token
	refresh bool      // a refresh token: renewable past expiry
	expiry  time.Time // the latest expiry found
}

func judgeCacheFile(o Options, path, tool string) (Finding, bool) {
	data, err := readSmall(path)
	if err != nil {
		return Finding{}, false
	}
	var doc any
	if json.Unmarshal(data, &doc) != nil {
		return Finding{}, false // not a JSON cache (granted's encrypted keyring files, for example)
	}
	var facts cacheFacts
	facts.walk(doc)
	if !facts.secret && !facts.refresh {
		return Finding{}, false
	}
	shown := o.show(path)
	f := Finding{ID: IDPlaintextSession, Severity: Warning, Resource: shown, Fix: "rm " + shellWord(shown)}
	switch {
	case facts.refresh:
		until := ""
		if !facts.expiry.IsZero() {
			until = fmt.Sprintf(" (its access token expires %s)", facts.expiry.UTC().Format(time.RFC3339))
		}
		f.Message = fmt.Sprintf("%s holds a refresh token in plaintext, which renews the credentials past their expiry%s", tool, until)
	case facts.expiry.IsZero():
		f.Message = fmt.Sprintf("%s holds credentials in plaintext, with no expiry awsmfa can read", tool)
	case !facts.expiry.After(o.Now):
		return Finding{}, false // expired: harmless
	default:
		f.Message = fmt.Sprintf("%s holds session credentials in plaintext until %s", tool, facts.expiry.UTC().Format(time.RFC3339))
	}
	return f, true
}

// walk collects facts from any JSON value, at any depth.
func (c *cacheFacts) walk(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, val := range v {
			switch strings.ToLower(k) {
			case "secretaccesskey", "secret_access_key", "sessiontoken", "session_token", "accesstoken", "access_token":
				if nonEmpty(val) {
					c.secret = true
				}
			case "refreshtoken", "refresh_token":
				if nonEmpty(val) {
					c.refresh = true
				}
			case "expiration", "expiresat", "expires_at", "expiry":
				if t, ok := jsonTime(val); ok && t.After(c.expiry) {
					c.expiry = t
				}
			}
			c.walk(val)
		}
	case []any:
		for _, e := range v {
			c.walk(e)
		}
	}
}

func nonEmpty(v any) bool {
	switch v := v.(type) {
	case string:
		return v != ""
	case map[string]any:
		return len(v) > 0
	}
	return false
}

// jsonTime reads a time as a string (see parseTime) or as seconds or
// milliseconds since 1970.
func jsonTime(v any) (time.Time, bool) {
	switch v := v.(type) {
	case string:
		if t, ok := parseTime(v); ok {
			return t, true
		}
		if n, err := strconv.ParseFloat(v, 64); err == nil {
			return epoch(n), true
		}
	case float64:
		return epoch(v), true
	}
	return time.Time{}, false
}

func epoch(n float64) time.Time {
	if n > 1e12 {
		return time.UnixMilli(int64(n))
	}
	return time.Unix(int64(n), 0)
}

// shellStartupFiles are the files shells read at startup, and direnv's
// .envrc in HOME.
func (o Options) shellStartupFiles() []string {
	fishDir := filepath.Join(o.Home, ".config", "fish")
	if x := o.getenv("XDG_CONFIG_HOME"); filepath.IsAbs(x) {
		fishDir = filepath.Join(x, "fish")
	}
	files := []string{}
	for _, n := range []string{".bashrc", ".bash_profile", ".bash_login", ".profile", ".zshrc", ".zshenv", ".zprofile", ".zlogin", ".envrc"} {
		files = append(files, filepath.Join(o.Home, n))
	}
	files = append(files, filepath.Join(fishDir, "config.fish"))
	if more, err := filepath.Glob(filepath.Join(fishDir, "conf.d", "*.fish")); err == nil {
		files = append(files, more...)
	}
	return files
}

var (
	keyIDPattern = regexp.MustCompile(`\b(AKIA|ASIA)[A-Z0-9]{16}\b`)
	// secretPattern is 40 characters of a secret access key's alphabet,
	// not part of a longer such run.
	secretPattern = regexp.MustCompile(`(?:^|[^A-Za-z0-9/+])([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+]|$)`)
)

// nearbyLines is how far from a key id a secret may be and still count as
// its own.
const nearbyLines = 3

// shellFiles reports access key ids with a secret nearby in shell startup
// files. The lines themselves are never shown.
func shellFiles(o Options) []Finding {
	var out []Finding
	for _, path := range o.shellStartupFiles() {
		data, err := readSmall(path)
		if errors.Is(err, fs.ErrNotExist) || err != nil {
			continue
		}
		var lines []string
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 64*1024), maxFileSize)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		for i, line := range lines {
			for _, id := range keyIDPattern.FindAllString(line, -1) {
				j, ok := secretNear(lines, i)
				if !ok {
					continue
				}
				shown := o.show(path)
				where := fmt.Sprintf("line %d", i+1)
				if j != i {
					where = fmt.Sprintf("lines %d and %d", min(i, j)+1, max(i, j)+1)
				}
				f := Finding{ID: IDShellKey, Severity: Critical, Resource: fmt.Sprintf("%s:%d", shown, i+1),
					Message: fmt.Sprintf("%s holds access key %s and its secret (%s): every shell, and whoever reads the file, has the key", shown, maskKey(id), where),
					Fix:     fmt.Sprintf("awsmfa add PROFILE, then delete %s of %s", where, shown)}
				if strings.HasPrefix(id, "ASIA") {
					f.Severity = Warning
					f.Message = fmt.Sprintf("%s holds session key %s and its secret (%s)", shown, maskKey(id), where)
					f.Fix = fmt.Sprintf("delete %s of %s", where, shown)
				}
				out = append(out, f)
			}
		}
	}
	if len(out) == 0 {
		out = append(out, Finding{ID: IDShellKey, Severity: OK, Message: "no access key in the shell startup files"})
	}
	return out
}

// secretNear finds a line within nearbyLines of line i that holds something
// shaped like a secret access key: 40 characters of its alphabet, with upper
// and lower case letters (which tells it from a hex digest).
func secretNear(lines []string, i int) (int, bool) {
	for d := 0; d <= nearbyLines; d++ {
		for _, j := range []int{i + d, i - d} {
			if j < 0 || j >= len(lines) || (d == 0 && j != i) {
				continue
			}
			for _, m := range secretPattern.FindAllStringSubmatch(lines[j], -1) {
				s := m[1]
				if strings.ContainsAny(s, "abcdefghijklmnopqrstuvwxyz") && strings.ContainsAny(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
					return j, true
				}
			}
		}
	}
	return 0, false
}
