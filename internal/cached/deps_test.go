package cached

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The awsmfa binary on linux links none of what the cached path does not
// use: no AWS SDK, no age or hpke, no net/http, no cobra, and none of
// awsmfa's packages that bring them (issue 11: their package init alone
// cost about a millisecond per call).
func TestAwsmfaBinaryStaysLean(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go is not on PATH: %v", err)
	}
	cmd := exec.Command(gobin, "list", "-deps", "github.com/awsmfa/awsmfa/cmd/awsmfa")
	cmd.Env = append(os.Environ(), "GOOS=linux", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	forbidden := []string{
		"github.com/aws/", "filippo.io/", "net/http", "github.com/spf13/", "github.com/zalando/",
		"github.com/godbus/", "golang.org/x/crypto/",
		"github.com/awsmfa/awsmfa/internal/session", "github.com/awsmfa/awsmfa/internal/vault",
		"github.com/awsmfa/awsmfa/internal/agent", "github.com/awsmfa/awsmfa/internal/cli",
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if pkg == f || strings.HasPrefix(pkg, f) && (strings.HasSuffix(f, "/") || pkg[len(f)] == '/') {
				t.Errorf("cmd/awsmfa imports %s", pkg)
			}
		}
	}
}
