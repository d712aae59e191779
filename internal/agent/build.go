package agent

import (
	"os"
	"runtime"

	"github.com/awsmfa/awsmfa/internal/buildid"
)

// BuildIdentity returns the identity of the running build (see
// buildid.Identity). On linux the running image is read through
// /proc/self/exe, so that a binary replaced on disk after start does not
// lend its identity. exe is used elsewhere, and when /proc is not mounted.
func BuildIdentity(version, exe string) string {
	path := exe
	if runtime.GOOS == "linux" {
		if _, err := os.Stat("/proc/self/exe"); err == nil {
			path = "/proc/self/exe"
		}
	}
	return buildid.Identity(version, path, exe)
}
