// Package mfa obtains MFA codes on the client side, from the first source
// that can give one: the --mfa-token flag, the profile's mfa_process, or a
// prompt on the controlling terminal. Prompts go to the terminal only, never
// to stdout or stderr, which SDKs capture or hide (see package tty).
//
// A Source implements the MFACode part of session.Asker.
package mfa

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/awsmfa/awsmfa/internal/awsconfig"
	"github.com/awsmfa/awsmfa/internal/secretcmd"
	"github.com/awsmfa/awsmfa/internal/session"
	"github.com/awsmfa/awsmfa/internal/tty"
)

// MaxTerminalAttempts is how many codes a terminal user may type for one
// device before the Source gives up: AWS refuses each wrong code with the same
// message, and a user who got it wrong three times needs to look at the device.
const MaxTerminalAttempts = 3

// ProcessTimeout bounds an mfa_process run (see secretcmd.DefaultTimeout).
const ProcessTimeout = secretcmd.DefaultTimeout

// maxProcessOutput bounds what is read from an mfa_process's stdout: a line
// longer than this is not a code.
const maxProcessOutput = 4 << 10

// ValidateCode reports whether code is exactly six ASCII digits, the only
// form AWS accepts as a TOTP code. The error is a *session.Error of kind
// KindBadCode and never repeats the code.
func ValidateCode(code string) error {
	if len(code) == 6 {
		ok := true
		for i := 0; i < len(code); i++ {
			if code[i] < '0' || code[i] > '9' {
				ok = false
			}
		}
		if ok {
			return nil
		}
	}
	return &session.Error{Kind: session.KindBadCode, Msg: "an MFA code is exactly 6 digits"}
}

// ErrUnbalanced is matched by SplitCommand's error for an unclosed quote or a
// trailing backslash.
var ErrUnbalanced = errors.New("unclosed quote or trailing backslash")

// SplitCommand splits an mfa_process command line into a program and its
// arguments. The command is run without a shell, so the only syntax is this
// quoting rule (POSIX shell words without expansions):
//
//   - spaces, tabs and line breaks separate words;
//   - inside '…' every character is literal;
//   - inside "…" every character is literal except that a backslash makes
//     the following '"' or '\' literal (before any other character the
//     backslash is kept);
//   - outside quotes a backslash makes the following character literal;
//   - quoted parts join the word they touch: a'b c'd is one word "ab cd", and
//     a pair of quotes with nothing between them is an empty word.
//
// An unclosed quote or a trailing backslash is an error matching
// ErrUnbalanced, as is an empty command. The error never repeats the
// command, which may hold a secret.
func SplitCommand(cmd string) ([]string, error) {
	words, ok := awsconfig.SplitWords(cmd)
	if !ok {
		return nil, fmt.Errorf("splitting mfa_process command: %w", ErrUnbalanced)
	}
	if len(words) == 0 {
		return nil, errors.New("splitting mfa_process command: the command is empty")
	}
	return words, nil
}

// Terminal is the controlling terminal as Source uses it; *tty.Terminal
// satisfies it. ReadLine must return once Close is called from another
// goroutine, or when the user answers.
type Terminal interface {
	ReadLine(prompt string) (string, error)
	Say(format string, args ...any) error
	Close() error
}

// Source gives MFA codes for one client. A Source is safe for concurrent use.
type Source struct {
	// Token is the code from --mfa-token. It is used at most once, and only
	// for a first attempt: a rejected code must not be sent again.
	Token string
	// OpenTTY opens the terminal for a prompt; nil means there is none.
	OpenTTY func() (Terminal, error)
	// Env is the environment of mfa_process. The caller removes secrets
	// from it with secretcmd.ScrubEnv.
	Env []string
	// Stderr receives mfa_process's standard error; nil discards it.
	Stderr io.Writer
	// ProcessTimeout bounds an mfa_process run; zero means ProcessTimeout.
	ProcessTimeout time.Duration

	mu        sync.Mutex
	tokenUsed bool
}

// Code returns a code for ask, implementing session.Asker's MFACode:
//
//  1. Token, on attempt 1 only and once;
//  2. ask.Process, on attempt 1 only (a process cannot be asked again
//     meaningfully), run without a shell (see SplitCommand) by secretcmd
//     within ProcessTimeout, in a process group killed whole afterwards; the
//     first line it prints, trimmed, must be a valid code;
//  3. a prompt on the terminal naming the profile and the device, for
//     attempts 1 to MaxTerminalAttempts, preceded by ask.Reason.
//
// When no source is left it returns a *session.Error of kind
// KindNoCodeSource wrapping session.ErrCannotAsk, so that a Broker moves on to
// another client.
func (s *Source) Code(ctx context.Context, ask session.MFAAsk) (string, error) {
	attempt := max(ask.Attempt, 1)
	if attempt == 1 {
		if code, ok := s.takeToken(); ok {
			if err := ValidateCode(code); err != nil {
				return "", &session.Error{Kind: session.KindBadCode, Msg: "the code given with --mfa-token is not 6 digits", Err: err}
			}
			return code, nil
		}
		if ask.Process != "" {
			return s.runProcess(ctx, ask.Process)
		}
	}
	if s.OpenTTY == nil {
		return "", noSource(attempt)
	}
	if attempt > MaxTerminalAttempts {
		return "", &session.Error{Kind: session.KindNoCodeSource,
			Msg: fmt.Sprintf("gave up after %d MFA codes", MaxTerminalAttempts), Err: session.ErrCannotAsk}
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	t, err := s.OpenTTY()
	if err != nil {
		e := noSource(attempt)
		if errors.Is(err, tty.ErrBackground) {
			// Another client in the foreground may still be asked.
			e.Msg = "the MFA prompt needs the terminal, and this awsmfa runs in a background job"
			e.Hint = "bring the job to the foreground with fg, or pass --mfa-token"
		}
		e.Err = fmt.Errorf("%w: %w", session.ErrCannotAsk, err)
		return "", e
	}
	return prompt(ctx, t, ask)
}

func (s *Source) takeToken() (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Token == "" || s.tokenUsed {
		return "", false
	}
	s.tokenUsed = true
	return s.Token, true
}

func noSource(attempt int) *session.Error {
	msg := "no way to get an MFA code: pass --mfa-token, set mfa_process in the profile, or run on a terminal"
	if attempt > 1 {
		msg = "no way to ask for another MFA code: run on a terminal to type one"
	}
	return &session.Error{Kind: session.KindNoCodeSource, Msg: msg,
		Hint: "with --mfa-token, pass a fresh code", Err: session.ErrCannotAsk}
}

// prompt asks on t, closing it afterwards. When ctx ends first, t is closed
// to unblock the read and ctx's error is returned; the reading goroutine ends
// when ReadLine returns.
func prompt(ctx context.Context, t Terminal, ask session.MFAAsk) (string, error) {
	type answer struct {
		code string
		err  error
	}
	ch := make(chan answer, 1)
	go func() {
		code, err := promptLoop(t, ask)
		ch <- answer{code, err}
	}()
	select {
	case a := <-ch:
		if err := t.Close(); err != nil && a.err == nil {
			return "", fmt.Errorf("closing terminal: %w", err)
		}
		return a.code, a.err
	case <-ctx.Done():
		_ = t.Close() // unblocks ReadLine; its result is no longer wanted
		return "", ctx.Err()
	}
}

// promptLoop asks until a well-formed code is typed, counting malformed
// answers against the attempts left.
func promptLoop(t Terminal, ask session.MFAAsk) (string, error) {
	reason := ask.Reason
	for attempt := max(ask.Attempt, 1); attempt <= MaxTerminalAttempts; attempt++ {
		if reason != "" {
			if err := t.Say("%s\n", reason); err != nil {
				return "", err
			}
		}
		line, err := t.ReadLine(fmt.Sprintf("MFA code for profile %s (%s): ", ask.Profile, ask.Serial))
		if err != nil {
			return "", fmt.Errorf("reading MFA code: %w", err)
		}
		code := strings.TrimSpace(line)
		if ValidateCode(code) == nil {
			return code, nil
		}
		reason = "An MFA code is exactly 6 digits."
	}
	return "", &session.Error{Kind: session.KindBadCode,
		Msg: fmt.Sprintf("no valid MFA code after %d attempts", MaxTerminalAttempts)}
}

// runProcess runs an mfa_process and returns the code it printed: the first
// line of its output is enough (see secretcmd).
func (s *Source) runProcess(ctx context.Context, command string) (string, error) {
	argv, err := SplitCommand(command)
	if err != nil {
		return "", &session.Error{Kind: session.KindConfig, Msg: "the profile's mfa_process is not a valid command line", Err: err}
	}
	line, err := secretcmd.Run(ctx, secretcmd.Command{
		Argv:      argv,
		Env:       s.Env,
		Stderr:    s.Stderr,
		Timeout:   s.ProcessTimeout,
		MaxOutput: maxProcessOutput,
		Output:    secretcmd.FirstLine,
	})
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return "", ctx.Err()
	case errors.Is(err, secretcmd.ErrTimeout):
		return "", &session.Error{Kind: session.KindNoCodeSource,
			Msg: fmt.Sprintf("mfa_process %s did not print a code in time: %v", argv[0], err), Err: err}
	case errors.Is(err, secretcmd.ErrTooMuchOutput):
		return "", &session.Error{Kind: session.KindBadCode,
			Msg: fmt.Sprintf("mfa_process %s printed %d bytes without a line break; it must print one 6-digit code", argv[0], maxProcessOutput), Err: err}
	default:
		return "", &session.Error{Kind: session.KindNoCodeSource,
			Msg: fmt.Sprintf("mfa_process %s failed: %v", argv[0], err), Err: err}
	}
	code := strings.TrimSpace(line)
	if err := ValidateCode(code); err != nil {
		return "", &session.Error{Kind: session.KindBadCode,
			Msg: fmt.Sprintf("mfa_process %s did not print a 6-digit code", argv[0]), Err: err}
	}
	return code, nil
}
