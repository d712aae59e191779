package cli

import (
	"os"
	"os/signal"
	"runtime"

	"github.com/awsmfa/awsmfa/internal/cached"
)

// cachedMain runs env's command line the way the awsmfa binary does on
// linux: the cached path, falling back to full (the full command line). When
// AWSMFA_TEST_SERVED_FILE is set, it records which one ran: "cached" or
// "full".
func cachedMain(env *Env, full func() int) int {
	served := func(by string) {
		if f := os.Getenv("AWSMFA_TEST_SERVED_FILE"); f != "" {
			_ = os.WriteFile(f, []byte(by+"\n"), 0o600)
		}
	}
	if runtime.GOOS != "linux" {
		served("full")
		return full()
	}
	intr := make(chan os.Signal, 1)
	signal.Notify(intr, os.Interrupt)
	served("cached")
	return cached.Main(&cached.Env{
		Args:    env.Args,
		Stdout:  env.Stdout,
		Stderr:  env.Stderr,
		Getenv:  env.Getenv,
		Environ: env.Environ,
		HomeDir: env.HomeDir,
		Getwd:   env.Getwd,
		AgentVersion: func() (string, error) {
			exe, err := env.Executable()
			if err != nil {
				return "", err
			}
			return agentVersion(exe), nil
		},
		ReplaceProcess: env.ReplaceProcess,
		Fallback: func() int {
			signal.Stop(intr)
			served("full")
			return full()
		},
		Interrupt: intr,
	})
}
