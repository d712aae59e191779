package cli

import (
	"fmt"
	"runtime"

	"github.com/awsmfa/awsmfa/internal/buildid"
	"github.com/spf13/cobra"
)

func newVersionCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of awsmfa",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(env.Stdout, "awsmfa %s (%s %s/%s)\n", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		},
	}
}

// version is the module version stamped by "go install …@vX", or "devel"
// with the VCS revision when built from a checkout.
func version() string { return buildid.Version() }
