package cli

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/awsmfa/awsmfa/internal/session"
	"github.com/awsmfa/awsmfa/internal/tty"
	"github.com/awsmfa/awsmfa/internal/vault"
)

// Issue 7 items 18 and 25: Ctrl-C at a prompt is 130 whatever the prompt was
// for; a prompt refused to a background job is 2, like no terminal.
func TestExitCodeOfPrompts(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{name: "interrupted mfa prompt", err: fmt.Errorf("reading MFA code: %w", tty.ErrInterrupted), want: ExitInterrupted},
		{name: "interrupted passphrase prompt inside a vault error",
			err: &session.Error{Kind: session.KindVaultLocked, Msg: "cannot read the key", Err: fmt.Errorf("opening vault: %w", tty.ErrInterrupted)}, want: ExitInterrupted},
		{name: "cancelled", err: fmt.Errorf("x: %w", context.Canceled), want: ExitInterrupted},
		{name: "background", err: fmt.Errorf("opening terminal: %w", tty.ErrBackground), want: ExitUsage},
		{name: "no terminal", err: fmt.Errorf("opening terminal: %w", tty.ErrNoTTY), want: ExitUsage},
		{name: "wrong passphrase", err: vault.ErrWrongPassphrase, want: ExitVaultLocked},
		{name: "other", err: errors.New("x"), want: ExitFailure},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, got, tc.want)
		}
	}
}
