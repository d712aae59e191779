package cli

import (
	"context"

	"errors"
	"fmt"
	"github.com/awsmfa/awsmfa/internal/awsconfig"
	"github.com/awsmfa/awsmfa/internal/console"
	"github.com/awsmfa/awsmfa/internal/fsutil"
	"github.com/awsmfa/awsmfa/internal/mfapolicy"
	"github.com/awsmfa/awsmfa/internal/session"
	"github.com/awsmfa/awsmfa/internal/setup"
	"github.com/awsmfa/awsmfa/internal/tty"
	"github.com/awsmfa/awsmfa/internal/vault"
)

// Exit codes. This table is documented in the README; change both together.
// audit's own codes, 10 (warnings) and 11 (critical findings), are in audit.go.
const (
	ExitOK           = 0   // success
	ExitFailure      = 1   // any error not listed below
	ExitUsage        = 2   // bad flags or arguments, or a prompt is needed and there is no terminal (or awsmfa runs in a background job)
	ExitConfig       = 3   // an AWS config or credentials file is unreadable or invalid, a file awsmfa uses is not a regular file, or an edit was refused
	ExitNotFound     = 4   // the named profile or vault entry does not exist
	ExitVaultLocked  = 5   // the vault could not be unlocked: wrong passphrase, or no passphrase source
	ExitInput        = 6   // malformed input: an access key, secret, MFA code, account id, IAM name or MFA age of the wrong shape
	ExitAWSRefused   = 7   // AWS refused: wrong MFA code or serial, access denied, a duration limit, expired credentials, clock skew
	ExitAWSUnreached = 8   // AWS could not be reached: network failure, timeout, or throttling after retries
	ExitNotLocked    = 9   // setup: the proof of the lock failed (the key alone is still allowed, or MFA is not)
	ExitIncomplete   = 12  // setup: a failed run (or undo) could not revert all its changes; the hint is the command that finishes
	ExitInterrupted  = 130 // interrupted (Ctrl-C, also at a prompt)
)

// usageError marks a mistake in how the command was called.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// configError marks a failure to read the AWS config or credentials file.
type configError struct{ err error }

func (e *configError) Error() string { return e.err.Error() }
func (e *configError) Unwrap() error { return e.err }

// hintError attaches the next command the user should run to an error.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

func withHint(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return &hintError{err: err, hint: fmt.Sprintf(format, args...)}
}

// exitStatusError carries a child process's exit status through to Main.
type exitStatusError struct{ code int }

func (e *exitStatusError) Error() string { return fmt.Sprintf("child exited with status %d", e.code) }

// hints collects every hint attached anywhere in err's chain, outermost first.
func hints(err error) []string {
	var out []string
	for err != nil {
		switch e := err.(type) {
		case *hintError:
			out = append(out, e.hint)
		case *session.Error:
			if e.Hint != "" {
				out = append(out, e.Hint)
			}
		case interface{ Hints() []string }:
			out = append(out, e.Hints()...)
		}
		err = errors.Unwrap(err)
	}
	return out
}

// defaultHints are said when nothing more specific was attached.
func defaultHints(err error) []string {
	switch {
	case errors.Is(err, vault.ErrWrongPassphrase):
		return []string{"the passphrase is the one given when the vault was created; check what AWSMFA_PASSPHRASE_FILE, AWSMFA_PASSPHRASE_COMMAND or AWSMFA_PASSPHRASE supplies"}
	case errors.Is(err, vault.ErrNoPassphrase):
		return []string{"run awsmfa in a terminal, or: export AWSMFA_PASSPHRASE_FILE=/path/to/a/0600/file"}
	case errors.Is(err, vault.ErrMalformedKey):
		return []string{"a long-term access key id is AKIA followed by 16 letters and digits 2-7; its secret is 40 characters"}
	}
	return nil
}

// exitCode is the one place that maps errors to the documented exit codes.
func exitCode(err error) int {
	var usage *usageError
	var parse *awsconfig.ParseError
	var cfgErr *configError
	// A Ctrl-C is 130 whatever it interrupted.
	if errors.Is(err, context.Canceled) || errors.Is(err, tty.ErrInterrupted) {
		return ExitInterrupted
	}
	switch session.KindOf(err) {
	case session.KindMFARejected, session.KindMFASerial, session.KindDenied, session.KindDurationLimit,
		session.KindExpired, session.KindClockSkew:
		return ExitAWSRefused
	case session.KindThrottled, session.KindNetwork:
		return ExitAWSUnreached
	case session.KindNoMFADevice, session.KindManyDevices, session.KindUnsupported, session.KindConfig:
		return ExitConfig
	case session.KindNoCodeSource:
		return ExitUsage
	case session.KindBadCode:
		return ExitInput
	case session.KindNotFound:
		return ExitNotFound
	case session.KindVaultLocked:
		return ExitVaultLocked
	}
	switch {
	case errors.Is(err, console.ErrNotFederated):
		return ExitConfig // a profile type that cannot sign in
	case errors.Is(err, console.ErrRefused):
		return ExitAWSRefused
	}
	if errors.Is(err, awsconfig.ErrKeyChanged) || errors.Is(err, awsconfig.ErrCannotWire) || errors.Is(err, awsconfig.ErrWiringChanged) {
		return ExitConfig // an edit refused
	}
	if c, ok := setupExitCode(err); ok {
		return c
	}
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &usage), errors.Is(err, tty.ErrNoTTY):
		return ExitUsage
	case errors.Is(err, vault.ErrMalformedKey), errors.Is(err, vault.ErrInvalidProfile), errors.Is(err, mfapolicy.ErrInvalidParam):
		return ExitInput
	case errors.Is(err, vault.ErrWrongPassphrase), errors.Is(err, vault.ErrNoPassphrase),
		errors.Is(err, vault.ErrPassphraseMismatch):
		return ExitVaultLocked
	case errors.Is(err, vault.ErrNotFound), errors.Is(err, awsconfig.ErrProfileNotFound):
		return ExitNotFound
	case errors.As(err, &parse), errors.As(err, &cfgErr), errors.Is(err, awsconfig.ErrInvalidInput),
		errors.Is(err, awsconfig.ErrReadOnly), errors.Is(err, awsconfig.ErrSourceCycle),
		errors.Is(err, awsconfig.ErrEditRefused), errors.Is(err, errWriteRefused), errors.Is(err, fsutil.ErrNotRegular):
		return ExitConfig
	default:
		return ExitFailure
	}
}

// setupExitCode maps setup's errors (a block of its own, so that other
// branches' edits to exitCode do not collide with it).
func setupExitCode(err error) (int, bool) {
	var perm *setup.PermissionError
	var inc *setup.IncompleteError
	switch {
	case errors.As(err, &inc):
		// Before its cause: what matters is what remains.
		return ExitIncomplete, true
	case errors.Is(err, setup.ErrNotLocked):
		return ExitNotLocked, true
	case errors.As(err, &perm):
		return ExitAWSRefused, true
	case errors.Is(err, setup.ErrInput), errors.Is(err, setup.ErrRefused):
		return ExitInput, true
	case errors.Is(err, setup.ErrNeedsConfirmation), errors.Is(err, setup.ErrNeedsTerminal):
		return ExitUsage, true
	}
	return 0, false
}
