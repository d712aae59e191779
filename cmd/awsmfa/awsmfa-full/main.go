// Command awsmfa-full is awsmfa's full command line and its agent. The
// awsmfa binary next to it serves the cached commands itself and starts this
// one for everything else (on linux; elsewhere awsmfa is this same program).
// See the README.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/awsmfa/awsmfa/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Main(ctx, cli.System(os.Args[1:]))
	stop()
	os.Exit(code)
}
