package cli

import (
	"fmt"
	"path/filepath"
	"strings"
)

// pathEnv are the request variables that hold paths. The agent runs in "/",
// so a relative path means what the client's working directory makes of it
// only once made absolute here. AWSMFA_DATA_DIR, XDG_DATA_HOME and
// LOCALAPPDATA are not among them: a relative value of those is refused or
// ignored (see userdirs.DataDir) wherever it is read.
var pathEnv = []string{"HOME", "USERPROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"}

// requestEnviron returns the variables of requestEnv that are set, with
// paths made absolute against the working directory, and HOME defaulting to
// home.
func (e *Env) requestEnviron(home string) (map[string]string, error) {
	env := map[string]string{}
	for _, k := range requestEnv {
		if v := e.Getenv(k); v != "" {
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
			if wd, err = e.Getwd(); err != nil {
				return nil, fmt.Errorf("finding the working directory to resolve %s %q: %w", k, v, err)
			}
		}
		env[k] = filepath.Join(wd, v)
	}
	return env, nil
}
