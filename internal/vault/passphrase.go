package vault

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/awsmfa/awsmfa/internal/secretcmd"
)

// Passphrase sources, consulted in this order; the first one that is set is
// the only one used (a failing source is an error, not a reason to try the
// next):
//
//  1. AWSMFA_PASSPHRASE_FILE: the file's content, without one trailing
//     newline ("\n" or "\r\n").
//  2. AWSMFA_PASSPHRASE_COMMAND: a command run without a shell (see
//     splitCommand); its standard output without one trailing newline. It is
//     run by secretcmd: its environment is awsmfa's scrubbed by
//     secretcmd.ScrubEnv (no AWSMFA_PASSPHRASE*, no AWS credentials), its
//     standard error is awsmfa's, it must finish within
//     PassphraseCommandTimeout, and its process group is killed afterwards.
//  3. AWSMFA_PASSPHRASE: the value itself. The least safe source: the
//     environment is visible to the user's other processes on some systems and
//     inherited by every child. awsmfa's callers that start children (exec)
//     must remove every AWSMFA_PASSPHRASE* variable from the child's
//     environment.
//  4. the Prompter, asking twice when a new vault is being created.
const (
	envPassphraseFile    = "AWSMFA_PASSPHRASE_FILE"
	envPassphraseCommand = "AWSMFA_PASSPHRASE_COMMAND"
	envPassphrase        = "AWSMFA_PASSPHRASE"
)

// PassphraseCommandTimeout bounds an AWSMFA_PASSPHRASE_COMMAND run: a hung
// command must not keep the agent's vault, and every client waiting for it,
// locked (see secretcmd.DefaultTimeout).
const PassphraseCommandTimeout = secretcmd.DefaultTimeout

// maxPassphraseOutput bounds what is read from a passphrase file or command.
const maxPassphraseOutput = 64 << 10

// obtainPassphrase returns the passphrase from the first configured source and
// that source's name. creating tells the prompter to ask for a new passphrase
// twice.
func obtainPassphrase(ctx context.Context, getenv func(string) string, p Prompter, creating bool) (pass, source string, err error) {
	switch {
	case getenv(envPassphraseFile) != "":
		source = "the passphrase from " + envPassphraseFile
		name := getenv(envPassphraseFile)
		b, err := readLimited(name)
		if err != nil {
			return "", source, fmt.Errorf("reading passphrase file %q (%s): %w", name, envPassphraseFile, err)
		}
		pass = trimNewline(string(b))
	case getenv(envPassphraseCommand) != "":
		source = "the passphrase from " + envPassphraseCommand
		out, err := runPassphraseCommand(ctx, getenv(envPassphraseCommand), PassphraseCommandTimeout)
		if err != nil {
			return "", source, err
		}
		pass = trimNewline(out)
	case getenv(envPassphrase) != "":
		source = "the passphrase from " + envPassphrase
		pass = getenv(envPassphrase)
	case p != nil:
		source = "the passphrase from the terminal"
		if creating {
			pass, err = promptNew(p)
		} else {
			pass, err = p.ReadSecret("Vault passphrase: ")
		}
		if err != nil {
			return "", source, err
		}
	default:
		return "", "", ErrNoPassphrase
	}
	if pass == "" {
		return "", source, fmt.Errorf("%s is empty; an empty passphrase is not accepted", source)
	}
	return pass, source, nil
}

// ReadPassphrase returns the passphrase from the first configured source, in
// the order above; creating asks the terminal for a new passphrase twice. With
// no source it fails with ErrNoPassphrase.
func ReadPassphrase(ctx context.Context, getenv func(string) string, p Prompter, creating bool) (string, error) {
	pass, _, err := obtainPassphrase(ctx, getenv, p, creating)
	return pass, err
}

func promptNew(p Prompter) (string, error) {
	first, err := p.ReadSecret("New vault passphrase: ")
	if err != nil {
		return "", err
	}
	if first == "" {
		return "", errors.New("the passphrase from the terminal is empty; an empty passphrase is not accepted")
	}
	second, err := p.ReadSecret("Repeat the vault passphrase: ")
	if err != nil {
		return "", err
	}
	if first != second {
		return "", ErrPassphraseMismatch
	}
	return first, nil
}

func readLimited(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPassphraseOutput+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxPassphraseOutput {
		return nil, fmt.Errorf("longer than %d bytes", maxPassphraseOutput)
	}
	return b, nil
}

func trimNewline(s string) string {
	if t, ok := strings.CutSuffix(s, "\r\n"); ok {
		return t
	}
	return strings.TrimSuffix(s, "\n")
}

// runPassphraseCommand runs the AWSMFA_PASSPHRASE_COMMAND line through
// secretcmd, within timeout, and returns its whole standard output. Errors
// never quote the command line or its output: either may hold the secret.
func runPassphraseCommand(ctx context.Context, line string, timeout time.Duration) (string, error) {
	argv, err := splitCommand(line)
	if err != nil {
		return "", fmt.Errorf("parsing %s: %w", envPassphraseCommand, err)
	}
	out, err := secretcmd.Run(ctx, secretcmd.Command{
		Argv:      argv,
		Env:       secretcmd.ScrubEnv(os.Environ()),
		Stderr:    os.Stderr,
		Timeout:   timeout,
		MaxOutput: maxPassphraseOutput,
		Output:    secretcmd.WholeOutput,
	})
	if err != nil {
		return "", fmt.Errorf("running %s: %w", envPassphraseCommand, err)
	}
	return out, nil
}

// splitCommand splits a command line into words, without a shell. Words are
// separated by spaces and tabs. A part of a word between single quotes or
// between double quotes is taken literally, spaces included, and the quotes
// are removed: 'my vault' and "my vault" are both one word. There are no
// escape characters (so windows paths need no doubling), no variables and no
// globbing. An unterminated quote or an empty line is an error.
func splitCommand(line string) ([]string, error) {
	var (
		words  []string
		cur    strings.Builder
		inWord bool
		quote  rune
	)
	for _, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote = r
			inWord = true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote", quote)
	}
	if inWord {
		words = append(words, cur.String())
	}
	if len(words) == 0 {
		return nil, errors.New("empty command")
	}
	return words, nil
}
