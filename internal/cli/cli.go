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
	"sync"
	"time"

	"github.com/awsmfa/awsmfa/internal/rotate"
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

	// OpenBrowser opens a local page in the user's browser (login); nil
	// means the platform's opener (xdg-open, open, the URL handler).
	OpenBrowser func(ctx context.Context, target string) error

	// testOnlyBrowserPageLifetime replaces how long login keeps its
	// sign-in page on disk after opening it; zero means the default.
	testOnlyBrowserPageLifetime time.Duration
	// testOnlyRotateStep is told each step rotate reaches (tests kill the
	// process there); testOnlyRotateNoWait makes rotate's wait for a new
	// key retry without sleeping.
	testOnlyRotateStep   func(rotate.Step)
	testOnlyRotateNoWait bool
	// testOnlyScryptWorkFactor lowers the file vault's KDF cost; zero means
	// production cost. Only tests set it.
	testOnlyScryptWorkFactor int
	// testOnlySetupNow and testOnlySetupSleep replace setup's clock and its
	// waits (for the YubiKey's next code window, for IAM to settle), so that
	// tests can run them on the emulator's clock; nil means the real ones.
	testOnlySetupNow   func() time.Time
	testOnlySetupSleep func(ctx context.Context, d time.Duration) error
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
	// A prompt may still be under way in a goroutine the command stopped
	// waiting for (Ctrl-C ends the wait at once): closing every terminal
	// opened ends it and puts the terminal's modes back before the process
	// exits.
	var terms openTerminals
	defer terms.closeAll()
	if env.OpenTTY != nil {
		e := *env
		e.OpenTTY = terms.track(env.OpenTTY)
		env = &e
	}
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
	code := exitCode(err)
	if code == ExitInterrupted {
		// The user pressed Ctrl-C: what it cut short is no news.
		err = errors.New("interrupted")
	}
	report(env.Stderr, err)
	return code
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
		newLoginCmd(env, g),
		newRotateCmd(env, g),
		newPolicyCmd(env, g),
		newSetupCmd(env, g),
		newAuditCmd(env, g),
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

// openTerminals remembers the terminals a command opened.
type openTerminals struct {
	mu     sync.Mutex
	terms  []*tty.Terminal
	closed bool // the command is over: no more prompts
}

func (o *openTerminals) track(open func() (*tty.Terminal, error)) func() (*tty.Terminal, error) {
	return func() (*tty.Terminal, error) {
		o.mu.Lock()
		defer o.mu.Unlock()
		if o.closed {
			return nil, fmt.Errorf("opening terminal: %w: the command is over", tty.ErrNoTTY)
		}
		t, err := open()
		if err == nil {
			o.terms = append(o.terms, t)
		}
		return t, err
	}
}

// closeAll closes every terminal again; Close waits for a prompt in progress
// to end and restore the terminal. Errors are those of handles closed before.
func (o *openTerminals) closeAll() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.closed = true
	for _, t := range o.terms {
		_ = t.Close()
	}
}
