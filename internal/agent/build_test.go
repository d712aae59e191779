package agent

import (
	"os"
	"runtime"
	"testing"

	"github.com/awsmfa/awsmfa/internal/buildid"
)

// On linux the identity is the running image's, whatever exe names.
func TestBuildIdentityReadsRunningImage(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc/self/exe is linux's")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := BuildIdentity("v1", "/nonexistent"), buildid.Identity("v1", exe, exe); got != want {
		t.Errorf("BuildIdentity = %q, want %q", got, want)
	}
}
