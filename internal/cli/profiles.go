package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/awsmfa/awsmfa/internal/awsconfig"
	"github.com/awsmfa/awsmfa/internal/session"
)

// profileNames lists every profile of the AWS files, for completion and
// did-you-mean hints. It only reads: nothing is created, no vault is opened
// and no agent is started, so it needs no passphrase and may run on every
// TAB.
func (e *Env) profileNames() ([]string, error) {
	cfg, err := e.loadConfig()
	if err != nil {
		return nil, err
	}
	return cfg.ProfileNames(), nil
}

// checkProfile returns a not-found error, with a did-you-mean hint, when
// neither AWS file defines profile. It says nothing when the files cannot be
// read: the command that goes on to use them reports that.
func (e *Env) checkProfile(profile string) error {
	cfg, err := e.loadConfig()
	if err != nil || cfg.HasProfile(profile) {
		return nil
	}
	return e.didYouMean(&profileNotFoundError{
		msg: fmt.Sprintf("profile %s is not in %s or %s", profile, cfg.Paths.Config, cfg.Paths.Credentials),
	}, profile)
}

// profileNotFoundError is awsconfig.ErrProfileNotFound with the files named.
type profileNotFoundError struct{ msg string }

func (e *profileNotFoundError) Error() string { return e.msg }
func (e *profileNotFoundError) Unwrap() error { return awsconfig.ErrProfileNotFound }

// didYouMean attaches a hint naming the closest existing profiles to err
// when err says that profile does not exist. Any other error, or a profile
// that exists (its vault key or source profile is what is missing), is
// returned as is.
func (e *Env) didYouMean(err error, profile string) error {
	if err == nil || (session.KindOf(err) != session.KindNotFound && !errors.Is(err, awsconfig.ErrProfileNotFound)) {
		return err
	}
	cfg, lerr := e.loadConfig()
	if lerr != nil || cfg.HasProfile(profile) {
		return err
	}
	if hint := e.similarHint(profile, nil); hint != "" {
		return withHint(err, "%s", hint)
	}
	return err
}

// similarHint is the did-you-mean hint naming the profiles of the AWS files
// and the names in extra (a vault's, say) closest to profile; "" when none
// is close or the files cannot be read.
func (e *Env) similarHint(profile string, extra []string) string {
	cfg, err := e.loadConfig()
	if err != nil {
		return ""
	}
	names := cfg.ProfileNames()
	for _, n := range extra {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	similar := awsconfig.SimilarNames(profile, names)
	if len(similar) == 0 {
		return ""
	}
	quoted := make([]string, len(similar))
	for i, s := range similar {
		quoted[i] = shellQuote(s)
	}
	return fmt.Sprintf("did you mean %s? awsmfa list shows every profile", orList(quoted))
}

// orList joins "a", "a or b", "a, b or c".
func orList(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return fmt.Sprintf("%s or %s", strings.Join(items[:len(items)-1], ", "), items[len(items)-1])
}
