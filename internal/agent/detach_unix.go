//go:build unix

package agent

import (
	"fmt"
	"os/exec"
	"syscall"
)

// StartDetached starts exe with argv[0] = argv0 followed by args, in a new
// session (setsid, so no controlling terminal and no signals from the
// caller's terminal), with stdin, stdout and stderr on /dev/null, working
// directory "/" and exactly the environment env. It returns the child's pid
// without waiting for it.
//
// The standard streams matter: a credential_process caller such as the AWS
// CLI reads its child's stdout until EOF, so an agent that inherited that
// pipe would hang it for the agent's whole lifetime. No other descriptor is
// inherited either (Go opens every file close-on-exec).
//
// The caller scrubs env (AWSMFA_PASSPHRASE*, AWS_* credentials). argv0 is
// separate from exe because under testscript the binary is a test binary
// that dispatches on argv[0]. A caller that outlives the child and wants no
// zombie must reap it; awsmfa's CLI exits first and leaves that to init.
func StartDetached(exe, argv0 string, args, env []string) (int, error) {
	cmd := &exec.Cmd{
		Path: exe,
		Args: append([]string{argv0}, args...),
		Env:  append([]string{}, env...),
		Dir:  "/",
		// nil streams are connected to os.DevNull by os/exec.
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("starting agent %q: %w", exe, err)
	}
	pid := cmd.Process.Pid
	if err := cmd.Process.Release(); err != nil {
		return pid, fmt.Errorf("releasing agent process %d: %w", pid, err)
	}
	return pid, nil
}
