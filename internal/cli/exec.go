package cli

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/awsmfa/awsmfa/internal/session"
	"github.com/spf13/cobra"
)

type execOptions struct {
	credentialOptions
	profile string
	region  string
	argv    []string
}

func newExecCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &execOptions{}
	cmd := &cobra.Command{
		Use:   "exec PROFILE [flags] [-- CMD [ARGS...]]",
		Short: "Run a command with short-lived credentials for PROFILE",
		Long: `Run CMD (default: $SHELL) with short-lived credentials for PROFILE in its
environment. Every inherited AWS_* credential or profile variable and every
AWSMFA_PASSPHRASE* variable is removed; AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION,
AWS_REGION, AWS_DEFAULT_REGION and AWSMFA_PROFILE are set.

On Linux and macOS CMD replaces awsmfa (execve): it keeps awsmfa's pid, gets
every signal directly, and its exit status is awsmfa's. On Windows CMD runs
as a child; Ctrl-C reaches it, and its exit status is passed through.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() > 1 || (cmd.ArgsLenAtDash() < 0 && len(args) > 1) {
				return usageErrorf("put the command after --: awsmfa exec %s -- %s", shellQuote(args[0]), shellQuote(args[1]))
			}
			o.profile, o.argv = args[0], args[1:]
			return runExec(cmd.Context(), env, g, o)
		},
	}
	addCredentialFlags(cmd.Flags(), &o.credentialOptions)
	cmd.Flags().StringVar(&o.region, "region", "", "the region to set (default: the profile's)")
	return cmd
}

func runExec(ctx context.Context, env *Env, g *globalOptions, o *execOptions) error {
	argv := o.argv
	if len(argv) == 0 {
		sh := env.Getenv("SHELL")
		if sh == "" {
			sh = "/bin/sh"
		}
		argv = []string{sh}
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return usageErrorf("cannot run %q: %v", argv[0], err)
	}
	res, err := env.credentials(ctx, g, o.profile, &o.credentialOptions, 0)
	if err != nil {
		return err
	}
	env.printNotices(res)
	region := o.region
	if region == "" {
		region = res.Region
	}
	childEnv := childEnv(env.Environ(), o.profile, region, res.Credentials)
	if env.ReplaceProcess != nil {
		err := env.ReplaceProcess(path, argv, childEnv)
		return fmt.Errorf("running %q: %w", argv[0], err)
	}
	c := exec.Command(path, argv[1:]...)
	c.Args[0] = argv[0]
	c.Stdin, c.Stdout, c.Stderr = env.Stdin, env.Stdout, env.Stderr
	c.Env = childEnv
	return runChild(ctx, c)
}

// childEnv is the environment exec hands on: the caller's, scrubbed, plus the
// credentials and the region. Each variable appears once: execve, unlike
// os/exec, does not drop duplicates, and programs differ in which one they read.
func childEnv(parent []string, profile, region string, cr session.Credentials) []string {
	set := map[string]string{
		"AWS_ACCESS_KEY_ID":         cr.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":     cr.SecretAccessKey,
		"AWS_SESSION_TOKEN":         cr.SessionToken,
		"AWS_CREDENTIAL_EXPIRATION": cr.Expiration.UTC().Format(time.RFC3339),
		"AWSMFA_PROFILE":            profile,
	}
	if region != "" {
		set["AWS_REGION"], set["AWS_DEFAULT_REGION"] = region, region
	}
	env := make([]string, 0, len(parent)+len(set))
	for _, kv := range scrubEnv(parent) {
		k, _, _ := strings.Cut(kv, "=")
		if _, ours := set[k]; !ours {
			env = append(env, kv)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(set)) {
		env = append(env, k+"="+set[k])
	}
	return env
}

// runChild starts c, forwards signals to it, waits, and turns its exit
// status into an exitStatusError so that Main passes it through.
func runChild(ctx context.Context, c *exec.Cmd) error {
	signals := catchSignals()
	defer signals.stop()
	if err := c.Start(); err != nil {
		return fmt.Errorf("starting %q: %w", c.Args[0], err)
	}
	signals.forwardTo(c.Process)
	err := c.Wait()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &exitErr):
		return &exitStatusError{code: exitStatus(exitErr.ProcessState)}
	default:
		return fmt.Errorf("running %q: %w", c.Args[0], err)
	}
}

// exitStatus is the status a shell would report: the exit code, or 128 plus
// the signal that killed the process.
func exitStatus(ps *os.ProcessState) int {
	if sig, ok := signaled(ps); ok {
		return 128 + sig
	}
	return ps.ExitCode()
}
