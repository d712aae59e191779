// Package secretcmd runs the small commands that hand awsmfa a secret: a
// profile's mfa_process (an MFA code) and AWSMFA_PASSPHRASE_COMMAND (the vault
// passphrase). Both get the same treatment:
//
//   - no shell: the caller splits the command line into words;
//   - an environment without secrets (see ScrubEnv);
//   - a time limit, after which the command is killed;
//   - a bounded read of standard output: memory stays within MaxOutput bytes
//     however much the command prints;
//   - a process group of its own (unix), killed whole when the run ends, so
//     that nothing the command started outlives it. On windows only the
//     command itself is killed.
//
// Errors never quote the command line or its output: either may hold the
// secret.
package secretcmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// DefaultTimeout bounds a run when Command.Timeout is zero. The Go SDK kills
// a credential_process after a minute; a command that waits for a person (a
// push notification, a hardware key touch, a pinentry) must finish well
// before that.
const DefaultTimeout = 30 * time.Second

// exitGrace is how long output may still take to arrive after the command
// itself exited: a child it left running may hold standard output open.
// After that the group is killed, which ends the output.
const exitGrace = time.Second

// defaultMaxOutput is MaxOutput when the caller gives none.
const defaultMaxOutput = 4 << 10

// Output says how much of standard output is the answer.
type Output int

const (
	// FirstLine: the answer is the first line, without its line ending. The
	// run ends as soon as it is read, whatever the command does next; only
	// when no line break comes is the output read to its end.
	FirstLine Output = iota
	// WholeOutput: the answer is everything printed until standard output is
	// closed, and the command must exit with status 0.
	WholeOutput
)

// Command is one run of a secret-producing command.
type Command struct {
	// Argv is the program and its arguments.
	Argv []string
	// Env is the command's whole environment; nil means an empty one. Pass
	// it through ScrubEnv.
	Env []string
	// Stderr receives the command's standard error; nil discards it. An
	// *os.File is handed to the command as it is.
	Stderr io.Writer
	// Timeout bounds the run; zero means DefaultTimeout.
	Timeout time.Duration
	// MaxOutput bounds what is kept of standard output; more is an error
	// matching ErrTooMuchOutput. Zero means 4 KiB.
	MaxOutput int
	// Output says which part of standard output is the answer.
	Output Output
}

var (
	// ErrTimeout is matched by the error of a run that hit its time limit.
	ErrTimeout = errors.New("did not finish in time")
	// ErrTooMuchOutput is matched by the error of a run whose answer is
	// longer than Command.MaxOutput.
	ErrTooMuchOutput = errors.New("printed too much")
)

// Run runs c and returns its answer (see Output). The command's standard
// input is the null device. When ctx ends first, the command is killed and
// ctx's error returned. Whatever happens, the command's process group is
// killed before Run returns.
func Run(ctx context.Context, c Command) (string, error) {
	if len(c.Argv) == 0 {
		return "", errors.New("the command is empty")
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	maxOut := c.MaxOutput
	if maxOut <= 0 {
		maxOut = defaultMaxOutput
	}

	cmd := exec.Command(c.Argv[0], c.Argv[1:]...)
	cmd.Env = c.Env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	ownProcessGroup(cmd)
	// Standard output is a pipe read here, not exec's copying goroutine:
	// Wait must not wait for a child that holds the pipe.
	outR, outW, err := os.Pipe()
	if err != nil {
		return "", fmt.Errorf("creating a pipe: %w", err)
	}
	defer outR.Close()
	cmd.Stdout = outW
	var errR, errW *os.File
	switch w := c.Stderr.(type) {
	case nil:
	case *os.File:
		cmd.Stderr = w
	default:
		if errR, errW, err = os.Pipe(); err != nil {
			outW.Close()
			return "", fmt.Errorf("creating a pipe: %w", err)
		}
		cmd.Stderr = errW
	}
	err = cmd.Start()
	outW.Close()
	if errW != nil {
		errW.Close()
	}
	if err != nil {
		if errR != nil {
			errR.Close()
		}
		return "", fmt.Errorf("starting the command: %w", err)
	}
	stderrDone := make(chan struct{})
	if errR != nil {
		go func() {
			defer close(stderrDone)
			_, _ = io.Copy(c.Stderr, errR)
		}()
	} else {
		close(stderrDone)
	}

	outc := make(chan answer, 1)
	go func() { outc <- readAnswer(outR, maxOut, c.Output) }()
	exitc := make(chan error, 1)
	go func() { exitc <- cmd.Wait() }()

	r := run{cmd: cmd, outR: outR, errR: errR, outc: outc, exitc: exitc, stderrDone: stderrDone}
	defer r.end()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var grace <-chan time.Time
	for {
		select {
		case a := <-outc:
			r.out = &a
			switch {
			case a.err != nil:
				return "", a.err
			case a.line:
				return string(a.data), nil // a line is enough; end is the group's end
			case r.exited:
				return r.result()
			}
		case err := <-exitc:
			r.exited, r.exitErr = true, err
			if r.out != nil {
				return r.result()
			}
			grace = time.After(exitGrace)
		case <-grace:
			// The command exited but something it started still holds
			// standard output. What it printed is in the pipe: kill the
			// rest, which ends the output.
			killGroup(cmd)
			grace = nil
		case <-timer.C:
			return "", fmt.Errorf("%w (%s)", ErrTimeout, timeout)
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

// run is the state of one Run.
type run struct {
	cmd        *exec.Cmd
	outR, errR *os.File
	outc       chan answer
	exitc      chan error
	stderrDone chan struct{}

	out     *answer
	exited  bool
	exitErr error
}

// result is the outcome once the output ended and the command exited.
func (r *run) result() (string, error) {
	if r.exitErr != nil {
		return "", fmt.Errorf("the command failed: %w", r.exitErr)
	}
	return string(r.out.data), nil
}

// end kills the process group, reaps the command and stops the goroutines
// reading its output, so that nothing of the run is left.
func (r *run) end() {
	killGroup(r.cmd)
	if !r.exited {
		<-r.exitc
		r.exited = true
	}
	// The group is dead, so the pipes are closed unless a process that left
	// the group (setsid) holds them: closing the read ends unblocks the
	// readers either way.
	if r.out == nil {
		r.outR.Close()
		<-r.outc
	}
	if r.errR != nil {
		select {
		case <-r.stderrDone:
		case <-time.After(exitGrace):
		}
		r.errR.Close()
		<-r.stderrDone
	}
}

// answer is what was read from standard output.
type answer struct {
	data []byte
	line bool // FirstLine: a line break ended data
	err  error
}

// readAnswer reads r until the answer is complete, keeping at most maxOut
// bytes: it stops reading as soon as more would be needed.
func readAnswer(r io.Reader, maxOut int, mode Output) answer {
	buf := make([]byte, 0, min(maxOut, 512))
	chunk := make([]byte, 512)
	tooMuch := answer{err: fmt.Errorf("%w: more than %d bytes", ErrTooMuchOutput, maxOut)}
	for {
		n, err := r.Read(chunk)
		if n > 0 {
			p := chunk[:n]
			if mode == FirstLine {
				if i := bytes.IndexByte(p, '\n'); i >= 0 {
					if len(buf)+i > maxOut {
						return tooMuch
					}
					buf = append(buf, p[:i]...)
					return answer{data: bytes.TrimSuffix(buf, []byte("\r")), line: true}
				}
			}
			if len(buf)+n > maxOut {
				return tooMuch
			}
			buf = append(buf, p...)
		}
		if errors.Is(err, io.EOF) {
			return answer{data: buf}
		}
		if err != nil {
			return answer{err: fmt.Errorf("reading the command's output: %w", err)}
		}
	}
}

// ScrubEnv returns env without the variables that carry secrets or select
// credentials: every AWSMFA_PASSPHRASE* variable and the AWS variables that
// hold or point to credentials or pick a profile. Names are compared
// case-insensitively, as windows does. Every child awsmfa starts gets its
// environment through here: mfa_process, the passphrase command, the agent,
// and exec's command (which then gets the session's variables added).
func ScrubEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		name = strings.ToUpper(name)
		if strings.HasPrefix(name, "AWSMFA_PASSPHRASE") || slices.Contains(credentialVars, name) {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// credentialVars are the variables that carry or select AWS credentials.
var credentialVars = []string{
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
	"AWS_CREDENTIAL_EXPIRATION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_VAULT",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
	"AWSMFA_PROFILE",
}
