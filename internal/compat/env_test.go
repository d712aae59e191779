package compat

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// inheritedVars lists the only variables a child gets from the test process:
// what it needs to find its interpreter and to run. Everything else, every
// AWS_* and AWSMFA_* variable and every proxy setting included, is dropped,
// so that a developer's own AWS setup can neither leak in nor be touched and
// nothing leaves loopback.
func inheritedVars() []string {
	return []string{"PATH", "LANG", "LC_ALL", "TMPDIR", "PYENV_ROOT", "PYENV_VERSION", "SYSTEMROOT", "TEMP", "TMP"}
}

// baseEnv is a child's environment with HOME set to home and nothing of AWS.
func baseEnv(home string) []string {
	var env []string
	for _, k := range inheritedVars() {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	env = append(env,
		"HOME="+home,
		"AWS_EC2_METADATA_DISABLED=true",
		"NO_PROXY=*",
		"PYTHONDONTWRITEBYTECODE=1",
	)
	if runtime.GOOS == "windows" {
		env = append(env, "USERPROFILE="+home)
	}
	return env
}

// awsHome is a fresh HOME with its AWS config and credentials files.
type awsHome struct {
	dir         string
	config      string
	credentials string
}

// newAWSHome creates an empty HOME in t.TempDir() with an empty ~/.aws.
func newAWSHome(t *testing.T) *awsHome {
	t.Helper()
	dir := t.TempDir()
	aws := filepath.Join(dir, ".aws")
	if err := os.Mkdir(aws, 0o700); err != nil {
		t.Fatalf("creating %s: %v", aws, err)
	}
	return &awsHome{dir: dir, config: filepath.Join(aws, "config"), credentials: filepath.Join(aws, "credentials")}
}

// env is the children's environment for this HOME, pointing every client at
// endpoint (when not empty) and at us-east-1, followed by extra NAME=VALUE
// entries. Both region variables are set because botocore reads only
// AWS_DEFAULT_REGION; AWS_ENDPOINT_URL_STS is set as well because the STS
// client the Go SDK builds for role_arn profiles ignores AWS_ENDPOINT_URL
// alone (aws-sdk-go-v2 #2802).
func (h *awsHome) env(endpoint string, extra ...string) []string {
	env := append(baseEnv(h.dir),
		"AWS_CONFIG_FILE="+h.config,
		"AWS_SHARED_CREDENTIALS_FILE="+h.credentials,
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_PAGER=",
	)
	if endpoint != "" {
		env = append(env,
			"AWS_ENDPOINT_URL="+endpoint,
			"AWS_ENDPOINT_URL_STS="+endpoint,
			"AWS_ENDPOINT_URL_IAM="+endpoint,
		)
	}
	return append(env, extra...)
}

// profile is one section of the config or credentials file.
type profile struct {
	name string
	keys [][2]string
}

// writeProfiles writes the config file (sections "[profile NAME]") and the
// credentials file (sections "[NAME]"), replacing both.
func (h *awsHome) writeProfiles(t *testing.T, config, credentials []profile) {
	t.Helper()
	write := func(path, prefix string, ps []profile) {
		var b strings.Builder
		for _, p := range ps {
			b.WriteString("[" + prefix + p.name + "]\n")
			for _, kv := range p.keys {
				b.WriteString(kv[0] + " = " + kv[1] + "\n")
			}
			b.WriteString("\n")
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
			t.Fatalf("writing %s: %v", path, err)
		}
	}
	write(h.config, "profile ", config)
	write(h.credentials, "", credentials)
}
