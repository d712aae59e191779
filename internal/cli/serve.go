package cli

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/awsmfa/awsmfa/internal/awsconfig"
	"github.com/awsmfa/awsmfa/internal/credserver"
	"github.com/awsmfa/awsmfa/internal/session"
	"github.com/spf13/cobra"
)

// The profile key and the variable that make exec use the credential server.
const (
	serverProfileKey = "awsmfa_server"
	serverEnvVar     = "AWSMFA_EXEC_SERVER"
)

type serveOptions struct {
	credentialOptions
	profile string
	port    int
}

func newServeCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve [flags] PROFILE",
		Short: "Serve PROFILE's credentials on a local endpoint for an IDE or a container",
		Long: `Serve PROFILE's credentials on a local container-credential endpoint
(the one AWS SDKs read through AWS_CONTAINER_CREDENTIALS_FULL_URI), in the
foreground until Ctrl-C. Role credentials are renewed from the MFA session
without asking; when the MFA session ends, the next request asks for one code.

The two variables a client needs are printed on stdout:

  AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:PORT/awsmfa/…
  AWS_CONTAINER_AUTHORIZATION_TOKEN=…

The token is a secret: it is printed there and nowhere else. The endpoint
answers only this user's processes on 127.0.0.1; see the README for Docker.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.profile = args[0]
			return runServe(cmd.Context(), env, g, o)
		},
	}
	cmd.ValidArgsFunction = env.completeProfiles(false)
	addCredentialFlags(cmd.Flags(), &o.credentialOptions)
	cmd.Flags().IntVar(&o.port, "port", 0, "the port on 127.0.0.1 to listen on (default: a random free port)")
	return cmd
}

func runServe(ctx context.Context, env *Env, g *globalOptions, o *serveOptions) error {
	if o.port < 0 || o.port > 65535 {
		return usageErrorf("--port %d is not a port number", o.port)
	}
	if err := env.checkProfile(o.profile); err != nil {
		return err
	}
	srv, _, err := env.startCredentialServer(ctx, g, o.profile, &o.credentialOptions, o.port)
	if err != nil {
		return err
	}
	defer srv.Close()
	for _, kv := range srv.Env() {
		if _, err := fmt.Fprintln(env.Stdout, kv); err != nil {
			return fmt.Errorf("printing the endpoint: %w", err)
		}
	}
	fmt.Fprintf(env.Stderr, "awsmfa: serving profile %s's credentials on 127.0.0.1:%d until Ctrl-C\n", o.profile, srv.Port())
	<-ctx.Done()
	return nil
}

// startCredentialServer gets profile's credentials once, so that a wrong
// profile, a locked vault or a refused code fails before anything starts
// and any prompt comes now, then starts the endpoint. Its refreshes use one
// Asker for the server's life: --mfa-token is spent on the first code, and
// later codes come from mfa_process or the terminal. Without the agent, one
// caching Broker lives as long as the server, so that role credentials are
// renewed from its MFA session.
func (e *Env) startCredentialServer(ctx context.Context, g *globalOptions, profile string, o *credentialOptions, port int) (*credserver.Server, session.Result, error) {
	req, err := e.credentialRequest(g, profile, o, credserver.DefaultMinRemaining)
	if err != nil {
		return nil, session.Result{}, err
	}
	asker := e.asker(o)
	var get func(ctx context.Context, req session.Request) (session.Result, error)
	if e.agentDisabled(o) {
		b := session.NewBroker(session.Options{OpenVault: e.vaultOpener(), Now: e.Now, Cache: true})
		get = func(ctx context.Context, req session.Request) (session.Result, error) {
			return b.Credentials(ctx, req, asker)
		}
	} else {
		get = func(ctx context.Context, req session.Request) (session.Result, error) {
			c, err := e.connectAgent(ctx, true)
			if err != nil {
				return session.Result{}, err
			}
			defer c.Close()
			return c.Credentials(ctx, req, asker)
		}
	}
	res, err := get(ctx, req)
	if err != nil {
		return nil, session.Result{}, e.didYouMean(err, profile)
	}
	e.printNotices(res)
	req.SaveSerial = false // saved once, by the call above
	srv, err := credserver.Start(ctx, credserver.Options{
		Port: port,
		Now:  e.Now,
		Source: func(ctx context.Context, minRemaining time.Duration) (session.Credentials, error) {
			r := req
			r.MinRemaining = minRemaining
			res, err := get(ctx, r)
			return res.Credentials, err
		},
		Logf: func(format string, args ...any) {
			fmt.Fprintf(e.Stderr, "awsmfa: "+format+"\n", args...)
		},
	})
	if err != nil {
		return nil, session.Result{}, err
	}
	return srv, res, nil
}

// useServer decides whether exec serves credentials from a local endpoint:
// the --server flag when given, else AWSMFA_EXEC_SERVER, else the profile's
// awsmfa_server key, else not.
func (e *Env) useServer(flagSet bool, flag bool, profile string) (bool, error) {
	if flagSet {
		return flag, nil
	}
	if v := e.Getenv(serverEnvVar); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return false, withHint(usageErrorf("%s=%q is not true or false", serverEnvVar, v),
				"export %s=1 (or 0)", serverEnvVar)
		}
		return on, nil
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return false, err
	}
	p, err := cfg.Profile(profile)
	if err != nil {
		return false, nil // reported by the credential lookup, with its hints
	}
	v, ok := p.Raw[serverProfileKey]
	if !ok {
		return false, nil
	}
	on, err := strconv.ParseBool(v)
	if err != nil {
		return false, withHint(&configError{fmt.Errorf("profile %s: %s = %q is not true or false", profile, serverProfileKey, v)},
			"set %s = true (or false) in profile %s", serverProfileKey, profile)
	}
	return on, nil
}

// defaultProfileShadows says why the SDKs in exec's command would take
// credentials from the [default] profile before the endpoint's, or "": the
// container provider comes after the shared files in every SDK's chain.
func defaultProfileShadows(cfg *awsconfig.Config) string {
	p, err := cfg.Profile("default")
	if err != nil {
		return ""
	}
	switch {
	case p.StaticKeys:
		return "access keys"
	case p.CredentialProcess != "":
		return "a credential_process"
	case p.RoleARN != "":
		return "a role_arn"
	case p.HasSSO:
		return "sso settings"
	case p.WebIdentityTokenFile != "":
		return "a web_identity_token_file"
	}
	return ""
}
