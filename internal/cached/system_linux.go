package cached

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/awsmfa/awsmfa/internal/buildid"
)

// FullName is the binary that holds the full command line and runs the
// agent. It is installed next to awsmfa.
const FullName = "awsmfa-full"

// System returns the Env of the running process: argv is os.Args. The full
// command line is FullName in awsmfa's own directory, started in awsmfa's
// place (execve) with the same arguments and environment.
func System(argv []string) *Env {
	full := func() (string, error) {
		exe, err := os.Executable()
		if err != nil {
			return "", err
		}
		return filepath.Join(filepath.Dir(exe), FullName), nil
	}
	intr := make(chan os.Signal, 1)
	signal.Notify(intr, os.Interrupt)
	return &Env{
		Args:    argv[1:],
		Stdout:  os.Stdout,
		Stderr:  os.Stderr,
		Getenv:  os.Getenv,
		Environ: os.Environ,
		HomeDir: os.UserHomeDir,
		Getwd:   os.Getwd,
		AgentVersion: func() (string, error) {
			path, err := full()
			if err != nil {
				return "", err
			}
			return buildid.Identity(buildid.Version(), path, path), nil
		},
		ReplaceProcess: func(path string, argv, env []string) error { return syscall.Exec(path, argv, env) },
		Fallback: func() int {
			signal.Stop(intr)
			path, err := full()
			if err == nil {
				err = syscall.Exec(path, argv, os.Environ())
			}
			fmt.Fprintf(os.Stderr, "awsmfa: error: running %s, which holds every command but the cached ones: %v\n", FullName, err)
			fmt.Fprintf(os.Stderr, "awsmfa: hint: install both binaries: CGO_ENABLED=0 go install github.com/awsmfa/awsmfa/cmd/awsmfa/...@latest\n")
			return exitFailure
		},
		Interrupt: intr,
	}
}
