package cli

import "github.com/awsmfa/awsmfa/internal/cached"

// requestEnviron returns the variables of requestEnv that are set, with
// paths made absolute against the working directory, and HOME defaulting to
// home (see cached.RequestEnviron).
func (e *Env) requestEnviron(home string) (map[string]string, error) {
	return cached.RequestEnviron(e.Getenv, e.Getwd, home)
}
