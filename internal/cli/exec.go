package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"

	"github.com/awsmfa/awsmfa/internal/cached"
	"github.com/awsmfa/awsmfa/internal/session"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

type execOptions struct {
	credentialOptions
	profile string
	// profileVar names the variable the profile came from, or "" when it
	// was given on the command line.
	profileVar string
	region     string
	argv       []string
	// server serves the credentials from a local endpoint (--server);
	// serverSet says the flag was given.
	server    bool
	serverSet bool
}

func newExecCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &execOptions{}
	cmd := &cobra.Command{
		Use:   "exec [flags] [PROFILE] [--] [CMD [ARGS...]]",
		Short: "Run a command with short-lived credentials for PROFILE",
		Long: `Run CMD (default: $SHELL) with short-lived credentials for PROFILE in its
environment. Every inherited AWS_* credential or profile variable and every
AWSMFA_PASSPHRASE* variable is removed; AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION,
AWS_REGION, AWS_DEFAULT_REGION and AWSMFA_PROFILE are set.

Everything from CMD on belongs to CMD, flags included:

  awsmfa exec prod aws sts get-caller-identity --query Arn

awsmfa's own flags go before PROFILE, or between PROFILE and "--":

  awsmfa exec --region eu-west-1 prod -- aws s3 ls
  awsmfa exec prod --region eu-west-1 -- aws s3 ls

Without PROFILE ("awsmfa exec -- CMD"), the profile is $AWS_PROFILE (else
$AWS_DEFAULT_PROFILE).

On Linux and macOS CMD replaces awsmfa (execve): it keeps awsmfa's pid, gets
every signal directly, and its exit status is awsmfa's. On Windows CMD runs
as a child; Ctrl-C reaches it, and its exit status is passed through.

With --server (or AWSMFA_EXEC_SERVER=1, or awsmfa_server = true in the
profile) CMD gets no keys: awsmfa stays as its parent and serves credentials
on a local endpoint, AWS_CONTAINER_CREDENTIALS_FULL_URI with the token in
AWS_CONTAINER_AUTHORIZATION_TOKEN, renewing role credentials from the MFA
session for as long as CMD runs. awsmfa forwards signals to CMD, exits with
its status, and the endpoint ends with it.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			o.profile, o.profileVar, o.argv, err = parseExecArgs(cmd.Flags(), args, cmd.ArgsLenAtDash(), env.Getenv)
			if err != nil {
				return err
			}
			if help, _ := cmd.Flags().GetBool("help"); help {
				return cmd.Help()
			}
			o.serverSet = cmd.Flags().Changed("server")
			return runExec(cmd.Context(), env, g, o)
		},
	}
	// The profile is completed, then the command and its arguments as
	// files; after "--" the command comes at once. (Cobra's completion
	// parses the flags twice, so ArgsLenAtDash cannot tell whether the
	// line has a "--": the line itself does.)
	profiles := env.completeProfiles(false)
	cmd.ValidArgsFunction = func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		typed := env.Args[:max(len(env.Args)-1, 0)]
		if len(args) > 0 || slices.Contains(typed, "--") {
			return nil, cobra.ShellCompDirectiveDefault
		}
		return profiles(cmd, args, toComplete)
	}
	addCredentialFlags(cmd.Flags(), &o.credentialOptions)
	cmd.Flags().StringVar(&o.region, "region", "", "the region to set (default: the profile's)")
	cmd.Flags().BoolVar(&o.server, "server", false, "serve renewing credentials to CMD from a local endpoint instead of setting keys (also AWSMFA_EXEC_SERVER=1, or awsmfa_server = true in the profile)")
	// The first word after PROFILE that is not one of awsmfa's flags starts
	// the command; its flags are its own.
	cmd.Flags().SetInterspersed(false)
	return cmd
}

// parseExecArgs splits what cobra left after the flags before PROFILE (args,
// with "--" at dashAt, or -1) into the profile and the command. Flags
// between PROFILE and the command are parsed into fs: a command's name never
// starts with "-", so a word that does is one of awsmfa's flags, up to the
// first "--" or the first other word.
func parseExecArgs(fs *pflag.FlagSet, args []string, dashAt int, getenv func(string) string) (profile, profileVar string, argv []string, err error) {
	if dashAt == 0 || len(args) == 0 {
		// "awsmfa exec -- CMD" or plain "awsmfa exec": the profile the AWS
		// CLI would pick from the environment, and never a silent "default".
		profile, profileVar = profileFromEnv(getenv)
		if profile == "" {
			return "", "", nil, withHint(usageErrorf("exec needs a PROFILE, or AWS_PROFILE set"),
				"awsmfa exec PROFILE%s (awsmfa list shows every profile)", commandSuffix(args))
		}
		return profile, profileVar, args, nil
	}
	profile, rest := args[0], args[1:]
	switch {
	case len(rest) == 0:
		return profile, "", nil, nil
	case rest[0] == "--":
		return profile, "", rest[1:], nil
	case strings.HasPrefix(rest[0], "-"):
		if err := fs.Parse(rest); err != nil {
			return "", "", nil, withHint(usageErrorf("%v", err),
				"awsmfa's flags go before the command, everything from the command on is its own: awsmfa exec [flags] %s [--] CMD [ARGS...]", shellQuote(profile))
		}
		return profile, "", fs.Args(), nil
	default:
		return profile, "", rest, nil
	}
}

// execProfileHint says where a profile that does not exist came from, and
// when AWS_PROFILE is set but a command was taken for the profile (it is a
// program on PATH), how to run that command with AWS_PROFILE's profile.
func execProfileHint(err error, getenv func(string) string, o *execOptions) error {
	if o.profileVar != "" {
		return withHint(err, "the profile is $%s; unset it or name a profile: awsmfa exec PROFILE%s", o.profileVar, commandSuffix(o.argv))
	}
	if _, lerr := exec.LookPath(o.profile); lerr != nil {
		return err
	}
	if envProfile, v := profileFromEnv(getenv); envProfile != "" {
		return withHint(err, "to run the command with $%s (%s): awsmfa exec%s", v, envProfile, commandSuffix(append([]string{o.profile}, o.argv...)))
	}
	return err
}

// profileFromEnv is the profile AWS_PROFILE, else AWS_DEFAULT_PROFILE,
// names, and which variable named it; "" when neither is set.
func profileFromEnv(getenv func(string) string) (profile, variable string) {
	for _, v := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE"} {
		if p := getenv(v); p != "" {
			return p, v
		}
	}
	return "", ""
}

// commandSuffix renders argv as it follows the profile on exec's command
// line, " -- CMD ARGS...", or "" for none.
func commandSuffix(argv []string) string {
	if len(argv) == 0 {
		return ""
	}
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = shellQuote(a)
	}
	return " -- " + strings.Join(quoted, " ")
}

func runExec(ctx context.Context, env *Env, g *globalOptions, o *execOptions) error {
	// A profile that does not exist is reported before the command is
	// looked up: "AWS_PROFILE=dev awsmfa exec aws s3 ls" is missing a "--",
	// not the command "s3".
	if err := env.checkProfile(o.profile); err != nil {
		return execProfileHint(err, env.Getenv, o)
	}
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
	server, err := env.useServer(o.serverSet, o.server, o.profile)
	if err != nil {
		return err
	}
	if server {
		return runExecServer(ctx, env, g, o, path, argv)
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
	childEnv := childEnv(env.Environ(), o.profile, region, keyVars(res.Credentials))
	if env.ReplaceProcess != nil {
		err := env.ReplaceProcess(path, argv, childEnv)
		return fmt.Errorf("running %q: %w", argv[0], err)
	}
	return runChild(ctx, childCmd(env, path, argv, childEnv))
}

// childCmd is CMD as awsmfa's child, on awsmfa's streams.
func childCmd(env *Env, path string, argv, childEnv []string) *exec.Cmd {
	c := exec.Command(path, argv[1:]...)
	c.Args[0] = argv[0]
	c.Stdin, c.Stdout, c.Stderr = env.Stdin, env.Stdout, env.Stderr
	c.Env = childEnv
	return c
}

// runExecServer runs CMD as awsmfa's child with the credential server's
// two variables instead of keys, and stops the server when CMD exits. The
// server does not stop on Ctrl-C: the keyboard's signal reaches CMD too, and
// a CMD cleaning up (terraform releasing its lock) still needs credentials.
func runExecServer(ctx context.Context, env *Env, g *globalOptions, o *execOptions, path string, argv []string) error {
	srv, res, err := env.startCredentialServer(ctx, g, o.profile, &o.credentialOptions, 0)
	if err != nil {
		return err
	}
	defer srv.Close()
	if cfg, err := env.loadConfig(); err == nil {
		if what := defaultProfileShadows(cfg); what != "" {
			fmt.Fprintf(env.Stderr, "awsmfa: warning: profile default has %s, which SDKs in %s use before the credential server\n", what, argv[0])
		}
	}
	region := o.region
	if region == "" {
		region = res.Region
	}
	vars := map[string]string{}
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	return runChild(context.WithoutCancel(ctx), childCmd(env, path, argv, childEnv(env.Environ(), o.profile, region, vars)))
}

// keyVars are the variables that hand cr to a child.
func keyVars(cr session.Credentials) map[string]string {
	return cached.KeyVars(cached.Credentials{
		AccessKeyID: cr.AccessKeyID, SecretAccessKey: cr.SecretAccessKey,
		SessionToken: cr.SessionToken, Expiration: cr.Expiration,
	})
}

// childEnv is the environment exec hands on (see cached.ChildEnv).
func childEnv(parent []string, profile, region string, creds map[string]string) []string {
	return cached.ChildEnv(parent, profile, region, creds)
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
