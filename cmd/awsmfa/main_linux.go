// Command awsmfa protects AWS access keys with MFA. See the README.
//
// On linux this binary serves the cached commands (credential-process,
// export, exec, version) from the agent without linking the AWS SDK, and
// hands everything else to awsmfa-full, installed next to it.
package main

import (
	"os"

	"github.com/awsmfa/awsmfa/internal/cached"
)

func main() { os.Exit(cached.Main(cached.System(os.Args))) }
