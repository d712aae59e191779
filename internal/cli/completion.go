package cli

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/awsmfa/awsmfa/internal/vault"
	"github.com/spf13/cobra"
)

func newCompletionCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script",
		Long: `Print a completion script for the given shell. It completes commands, flags,
profile names (read from the AWS config and credentials files) and the values
of --format and --backend. For example:

  bash:        source <(awsmfa completion bash)
  zsh:         awsmfa completion zsh > "${fpath[1]}/_awsmfa"
  fish:        awsmfa completion fish > ~/.config/fish/completions/awsmfa.fish
  powershell:  awsmfa completion powershell | Out-String | Invoke-Expression

The bash script works in a plain bash, and uses the bash-completion package
when it is loaded.`,
		Args:      cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			switch args[0] {
			case "bash":
				return genBashCompletion(root, env.Stdout)
			case "zsh":
				return root.GenZshCompletion(env.Stdout)
			case "fish":
				return root.GenFishCompletion(env.Stdout, true)
			default:
				return root.GenPowerShellCompletionWithDesc(env.Stdout)
			}
		},
	}
}

// genBashCompletion writes cobra's bash script, followed by a stand-in for
// the one bash-completion function it needs to split the command line
// (_get_comp_words_by_ref), defined only where bash-completion is not
// loaded. The rest of the script needs bash-completion only for file
// filters, which awsmfa does not use; plain file names come from
// "complete -o default".
func genBashCompletion(root *cobra.Command, w io.Writer) error {
	var buf bytes.Buffer
	if err := root.GenBashCompletionV2(&buf, true); err != nil {
		return err
	}
	fmt.Fprintf(&buf, bashWordsFallback, root.Name())
	_, err := w.Write(buf.Bytes())
	return err
}

// bashWordsFallback replaces __NAME_init_completion when bash-completion is
// absent. Like bash-completion's "_get_comp_words_by_ref -n =: cur prev
// words cword", it sets words and cword from the line up to the cursor, with
// the words bash split at "=" and ":" (COMP_WORDBREAKS) joined again, so
// that --format=env and profile names with a colon stay one word.
const bashWordsFallback = `
# Without the bash-completion package, bash has no _get_comp_words_by_ref,
# which __%[1]s_init_completion above calls: this stand-in does its work.
if ! declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
__%[1]s_init_completion()
{
    COMPREPLY=()
    local line=${COMP_LINE:0:COMP_POINT} word i n=-1 glued
    words=()
    for ((i = 0; i <= COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]-}
        glued=1
        if [[ $line == [[:space:]]* ]]; then
            glued=0
            line=${line#"${line%%%%[![:space:]]*}"}
        fi
        # The word under the cursor ends at the cursor.
        if ((i == COMP_CWORD)); then
            word=$line
        fi
        if ((n >= 0 && glued)) && [[ $word == [=:]* || ${words[n]} == *[=:] ]]; then
            words[n]+=$word
        else
            words[++n]=$word
        fi
        line=${line:${#word}}
    done
    cword=$n
    cur=${words[cword]}
    prev=
    if ((cword > 0)); then
        prev=${words[cword-1]}
    fi
}
fi
`

// addCompletions completes profile names for every command whose usage line
// names a PROFILE argument (unless the command brings its own completion),
// and the values of --backend and of export's --format.
func addCompletions(root *cobra.Command, env *Env) {
	_ = root.RegisterFlagCompletionFunc("backend", cobra.FixedCompletions(
		[]string{vault.BackendKeyring, vault.BackendFile}, cobra.ShellCompDirectiveNoFileComp))
	for _, c := range root.Commands() {
		if c.ValidArgsFunction == nil && len(c.ValidArgs) == 0 {
			if takes, many := profileArgs(c.Use); takes {
				c.ValidArgsFunction = env.completeProfiles(many)
			}
		}
		if c.Name() == "export" && c.Flags().Lookup("format") != nil {
			if _, ok := c.GetFlagCompletionFunc("format"); !ok {
				_ = c.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(exportFormats, cobra.ShellCompDirectiveNoFileComp))
			}
		}
	}
}

// profileArgs reads a usage line: whether the first positional argument is
// a PROFILE, and whether more may follow ("PROFILE ..." or "PROFILE...").
func profileArgs(use string) (takes, many bool) {
	_, rest, _ := strings.Cut(use, " ")
	i := strings.Index(rest, "PROFILE")
	if i < 0 {
		return false, false
	}
	after := strings.TrimLeft(rest[i+len("PROFILE"):], " ")
	return true, strings.HasPrefix(after, "...")
}

// completeProfiles completes the first argument (every argument, with many)
// with the profiles of the AWS files. Completion only reads them: no vault
// is opened (a passphrase may be needed), no agent started.
func (e *Env) completeProfiles(many bool) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 && !many {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		names, err := e.profileNames()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		out := make([]cobra.Completion, 0, len(names))
		for _, n := range names {
			if strings.HasPrefix(n, toComplete) && !slices.Contains(args, n) {
				out = append(out, n)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
