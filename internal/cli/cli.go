// Package cli implements the awsmfa command line. Each subcommand lives in its
// own file: a constructor that turns flags into an options struct, and a run
// function that does the work with everything it touches (streams, environment,
// terminal, clock) taken from Env, never from globals.
//
// Output rules: results go to stdout; diagnostics go to stderr, one line each,
// prefixed "awsmfa: ", lowercase, without a final period; anything interactive
// (prompts, secrets being typed) goes to the controlling terminal only.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/awsmfa/awsmfa/internal/tty"
	"github.com/spf13/cobra"
)

// Env is everything a command may take from the operating system.
type Env struct {
	// Argv0 is the name the program was started as, and Executable finds its
	// binary; both are used to start the agent.
	Argv0      string
	Executable func() (string, error)
	Args       []string
	Stdin      io.Reader
	Stdout     io.Writer
	Stderr     io.Writer

	// Getenv and Environ read the process environment.
	Getenv  func(string) string
	Environ func() []string
	// HomeDir returns the user's home directory.
	HomeDir func() (string, error)
	// Getwd returns the working directory, against which relative paths in
	// the environment are resolved before they are sent to the agent.
	Getwd func() (string, error)
	// GOOS is the operating system whose conventions apply (paths, keyring).
	GOOS string
	// Now is the clock.
	Now func() time.Time
	// OpenTTY opens the controlling terminal for prompts.
	OpenTTY func() (*tty.Terminal, error)
	// ReplaceProcess, when set, runs exec's command in place of awsmfa
	// (execve); when nil, exec starts it as a child and waits.
	ReplaceProcess func(path string, argv, env []string) error

	// testOnlyScryptWorkFactor lowers the file vault's KDF cost; zero means
	// production cost. Only tests set it.
	testOnlyScryptWorkFactor int
}

// System returns the Env of the running process.
func System(args []string) *Env {
	return &Env{
		Argv0:          os.Args[0],
		Executable:     os.Executable,
		Args:           args,
		Stdin:          os.Stdin,
		Stdout:         os.Stdout,
		Stderr:         os.Stderr,
		Getenv:         os.Getenv,
		Environ:        os.Environ,
		HomeDir:        os.UserHomeDir,
		Getwd:          os.Getwd,
		GOOS:           runtime.GOOS,
		Now:            time.Now,
		OpenTTY:        tty.Open,
		ReplaceProcess: replaceProcess,
	}
}

// Main runs the command line in env and returns the process exit code.
func Main(ctx context.Context, env *Env) int {
	root := newRootCmd(env)
	root.SetArgs(env.Args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var exit *exitStatusError
	if errors.As(err, &exit) {
		// The child already spoke for itself; pass its status through.
		return exit.code
	}
	report(env.Stderr, err)
	return exitCode(err)
}

// report prints err as one "awsmfa: error:" line followed by any hints.
func report(w io.Writer, err error) {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	fmt.Fprintf(w, "awsmfa: error: %s\n", msg)
	hs := hints(err)
	if len(hs) == 0 {
		hs = defaultHints(err)
	}
	for _, h := range hs {
		fmt.Fprintf(w, "awsmfa: hint: %s\n", h)
	}
}

// globalOptions are the flags every command accepts.
type globalOptions struct {
	backend string
}

func newRootCmd(env *Env) *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:   "awsmfa",
		Short: "Protect AWS access keys with MFA",
		Long: `awsmfa keeps long-term AWS access keys encrypted at rest and trades them,
with an MFA code, for short-lived STS credentials.`,
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unknown command %q for \"awsmfa\"", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErrorf("%v", err) })
	root.PersistentFlags().StringVar(&g.backend, "backend", "",
		"vault backend: keyring or file (default: $AWSMFA_BACKEND, else keyring where usable, else file)")

	root.AddCommand(
		newAddCmd(env, g),
		newImportCmd(env, g),
		newUnwireCmd(env),
		newListCmd(env, g),
		newRemoveCmd(env, g),
		newExecCmd(env, g),
		newServeCmd(env, g),
		newExportCmd(env, g),
		newCredentialProcessCmd(env, g),
		newWriteCmd(env, g),
		newClearCmd(env, g),
		newPolicyCmd(env, g),
		newLockCmd(env),
		newAgentCmd(env),
		newVersionCmd(env),
		newCompletionCmd(env),
	)
	for _, c := range root.Commands() {
		wrapArgs(c)
	}
	addCompletions(root, env)
	return root
}

// wrapArgs makes cobra's positional-argument errors usage errors, so that they
// map to the usage exit code.
func wrapArgs(c *cobra.Command) {
	if c.Args == nil {
		return
	}
	check := c.Args
	c.Args = func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageErrorf("%v", err)
		}
		return nil
	}
}
