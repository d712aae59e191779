package cached

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/awsmfa/awsmfa/internal/secretcmd"
)

// RequestEnv lists the variables that shape how a profile resolves. They are
// sent to the agent with each request, since it serves callers with
// different environments. None of them holds a secret.
var RequestEnv = []string{
	"HOME", "USERPROFILE", "LOCALAPPDATA", "XDG_DATA_HOME",
	"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
	"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_IAM", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
	"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_STS_REGIONAL_ENDPOINTS",
	"AWSMFA_BACKEND", "AWSMFA_DATA_DIR",
}

// pathEnv are the request variables that hold paths. The agent runs in "/",
// so a relative path means what the client's working directory makes of it
// only once made absolute here. AWSMFA_DATA_DIR, XDG_DATA_HOME and
// LOCALAPPDATA are not among them: a relative value of those is refused or
// ignored (see userdirs.DataDir) wherever it is read.
var pathEnv = []string{"HOME", "USERPROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"}

// RequestEnviron returns the variables of RequestEnv that are set, with
// paths made absolute against the working directory, and HOME defaulting to
// home.
func RequestEnviron(getenv func(string) string, getwd func() (string, error), home string) (map[string]string, error) {
	env := map[string]string{}
	for _, k := range RequestEnv {
		if v := getenv(k); v != "" {
			env[k] = v
		}
	}
	if env["HOME"] == "" {
		env["HOME"] = home
	}
	var wd string
	for _, k := range pathEnv {
		v := env[k]
		// "~/…" is expanded against HOME where it is read, as botocore does.
		if v == "" || filepath.IsAbs(v) || v == "~" || strings.HasPrefix(v, "~/") || strings.HasPrefix(v, `~\`) {
			continue
		}
		if wd == "" {
			var err error
			if wd, err = getwd(); err != nil {
				return nil, fmt.Errorf("finding the working directory to resolve %s %q: %w", k, v, err)
			}
		}
		env[k] = filepath.Join(wd, v)
	}
	return env, nil
}

// KeyVars are the variables that hand cr to a child.
func KeyVars(cr Credentials) map[string]string {
	return map[string]string{
		"AWS_ACCESS_KEY_ID":         cr.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":     cr.SecretAccessKey,
		"AWS_SESSION_TOKEN":         cr.SessionToken,
		"AWS_CREDENTIAL_EXPIRATION": cr.Expiration.UTC().Format(time.RFC3339),
	}
}

// ChildEnv is the environment exec hands on: the caller's, scrubbed of every
// credential and profile variable, plus creds (keys, or the credential
// server's variables), AWSMFA_PROFILE and the region. Each variable appears
// once: execve, unlike os/exec, does not drop duplicates, and programs differ
// in which one they read.
func ChildEnv(parent []string, profile, region string, creds map[string]string) []string {
	set := maps.Clone(creds)
	set["AWSMFA_PROFILE"] = profile
	if region != "" {
		set["AWS_REGION"], set["AWS_DEFAULT_REGION"] = region, region
	}
	env := make([]string, 0, len(parent)+len(set))
	for _, kv := range secretcmd.ScrubEnv(parent) {
		k, _, _ := strings.Cut(kv, "=")
		if _, ours := set[k]; !ours {
			env = append(env, kv)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(set)) {
		env = append(env, k+"="+set[k])
	}
	return env
}
