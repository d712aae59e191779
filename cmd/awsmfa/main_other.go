//go:build !linux

// Command awsmfa protects AWS access keys with MFA. See the README.
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
