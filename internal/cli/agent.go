package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/awsmfa/awsmfa/internal/agent"
	"github.com/awsmfa/awsmfa/internal/session"
	"github.com/spf13/cobra"
)

func newAgentCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "agent status|stop|run",
		Short: "Inspect or control the per-user agent",
		Long: `The agent holds the unlocked vault and every MFA session in memory, so that one
MFA code per working session serves every role and every process. The first
command that needs it starts it in the background. It forgets everything and
exits after 2 hours without a credentials request (--idle) or 12 hours after it
started (--lifetime); "awsmfa lock" makes it forget everything at once.`,
	}
	cmd.AddCommand(newAgentStatusCmd(env), newAgentStopCmd(env), newAgentRunCmd(env))
	return cmd
}

func newAgentStatusCmd(env *Env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status [--json]",
		Short: "Show whether the agent runs, and what it holds (never secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			c, err := env.connectAgent(ctx, false)
			if errors.Is(err, agent.ErrNotRunning) {
				if asJSON {
					_, err := fmt.Fprintln(env.Stdout, `{"running": false}`)
					return err
				}
				_, err := fmt.Fprintln(env.Stdout, "agent: not running")
				return err
			}
			if err != nil {
				return err
			}
			defer c.Close()
			st, err := c.Status(ctx)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					Running bool `json:"running"`
					agent.Status
				}{true, st})
			}
			now := env.Now()
			fmt.Fprintf(env.Stdout, "agent: running, pid %d, version %s\n", st.PID, st.Version)
			fmt.Fprintf(env.Stdout, "started: %s (forgets everything at %s, or after %s idle)\n",
				st.Started.UTC().Format(time.RFC3339), st.Started.Add(st.Lifetime).UTC().Format(time.RFC3339), st.IdleTimeout)
			fmt.Fprintf(env.Stdout, "vault: %s\n", map[bool]string{true: "unlocked", false: "locked"}[st.VaultOpen])
			for _, s := range st.Sessions {
				fmt.Fprintf(env.Stdout, "session: %s %s, %s left\n", s.Profile, s.Kind, s.Expiration.Sub(now).Round(time.Second))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newAgentStopCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "stop",
		Short: "Stop the agent; it forgets everything",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			c, err := env.connectAgent(ctx, false)
			if errors.Is(err, agent.ErrNotRunning) {
				_, err := fmt.Fprintln(env.Stdout, "agent: not running")
				return err
			}
			if err != nil {
				return err
			}
			defer c.Close()
			if err := c.Stop(ctx); err != nil {
				return err
			}
			_, err = fmt.Fprintln(env.Stdout, "agent: stopped")
			return err
		},
	}
}

type agentRunOptions struct {
	dir      string
	idle     time.Duration
	lifetime time.Duration
}

func newAgentRunCmd(env *Env) *cobra.Command {
	o := &agentRunOptions{}
	cmd := &cobra.Command{
		Use:   "run [--dir DIR] [--idle D] [--lifetime D]",
		Short: "Run the agent in the foreground (normally started on demand)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAgent(cmd.Context(), env, o)
		},
	}
	cmd.Flags().StringVar(&o.dir, "dir", "", "the runtime directory for the socket (default: $AWSMFA_RUNTIME_DIR, else $XDG_RUNTIME_DIR/awsmfa, else private)")
	cmd.Flags().DurationVar(&o.idle, "idle", agent.DefaultIdleTimeout, "forget everything and exit after this long without a credentials request")
	cmd.Flags().DurationVar(&o.lifetime, "lifetime", agent.DefaultLifetime, "forget everything and exit this long after starting")
	return cmd
}

func runAgent(ctx context.Context, env *Env, o *agentRunOptions) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if err := agent.Harden(); err != nil {
		return fmt.Errorf("hardening the agent process: %w", err)
	}
	if err := agent.CloseInherited(); err != nil {
		return err
	}
	// One P: the agent waits on sockets, and a second one only adds thread
	// wake-ups to every request (a third less CPU per cached request).
	runtime.GOMAXPROCS(1)
	dir := o.dir
	if dir == "" {
		var err error
		if dir, err = env.runtimeDir(); err != nil {
			return err
		}
	}
	exe, err := env.Executable()
	if err != nil {
		return err
	}
	logf := func(format string, args ...any) {
		fmt.Fprintf(env.Stderr, "awsmfa agent: "+format+"\n", args...)
	}
	broker := session.NewBroker(session.Options{OpenVault: env.vaultOpener(), Cache: true, Now: env.Now, Logf: logf})
	srv := agent.NewServer(broker, dir, agentVersion(exe))
	srv.IdleTimeout, srv.Lifetime, srv.Logf = o.idle, o.lifetime, logf
	err = srv.Run(ctx)
	if errors.Is(err, agent.ErrAlreadyRunning) {
		return nil
	}
	return err
}
