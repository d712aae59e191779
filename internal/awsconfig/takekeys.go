package awsconfig

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
)

// ErrKeyChanged is matched when the key a caller read from the files is no
// longer the one there: someone rotated or removed it since. Nothing was
// changed.
var ErrKeyChanged = errors.New("the key in the file changed since it was read")

// TakeStaticKeys removes profile's aws_access_key_id, aws_secret_access_key
// and aws_session_token from both files, but only if they are still want.
//
// Both files are locked (credentials, then config) and re-read. The file
// whose key botocore uses (the credentials file when its [NAME] has a key,
// else the config file) must hold want's key id and secret, compared in
// constant time;
// otherwise TakeStaticKeys fails with ErrKeyChanged and changes nothing. A
// key the other file holds too is removed only when it equals want as well:
// a different key there is someone else's and stays.
//
// The credentials file's section goes when nothing else is left in it (see
// removeIfEmpty). The config file's section always stays, even empty, so
// that the profile still exists for every tool (and for awsmfa itself).
func TakeStaticKeys(ctx context.Context, paths Paths, profile string, want StaticCredentials) error {
	if err := ValidateSection(profile); err != nil {
		return fmt.Errorf("removing the key of profile: %w", err)
	}
	changed := fmt.Errorf("removing the key of profile %q: %w", profile, ErrKeyChanged)
	return Update(ctx, paths.Credentials, func(cf *File) error {
		credSection := profile
		credHas := cf.hasOwnKey(credSection)
		var credMatch bool
		err := Update(ctx, paths.Config, func(gf *File) error {
			cfgSection := gf.profileSection(profile)
			credMatch = credHas && cf.ownKeysEqual(credSection, want)
			cfgMatch := gf.hasOwnKey(cfgSection) && gf.ownKeysEqual(cfgSection, want)
			switch {
			case credHas && !credMatch:
				return changed
			case !credHas && !cfgMatch:
				// The key is in neither file as read (gone, or only in
				// the config file and different there).
				return changed
			}
			if !cfgMatch {
				return nil
			}
			for _, k := range credentialKeys {
				if err := gf.Remove(cfgSection, k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || !credMatch {
			return err
		}
		for _, k := range credentialKeys {
			if err := cf.Remove(credSection, k); err != nil {
				return err
			}
		}
		return cf.removeIfEmpty(credSection)
	})
}

// hasOwnKey reports whether section itself defines an access key id or a
// secret access key, botocore's test for static credentials.
func (f *File) hasOwnKey(section string) bool {
	_, id := f.Get(section, keyAccessKeyID)
	_, secret := f.Get(section, keySecretAccessKey)
	return id || secret
}

// ownKeysEqual reports, in constant time per value, whether section's own
// key id and secret are want's (a missing one counts as ""). A session token
// next to a long-term key is stale and goes with it, so it is not compared.
func (f *File) ownKeysEqual(section string, want StaticCredentials) bool {
	id, _ := f.Get(section, keyAccessKeyID)
	secret, _ := f.Get(section, keySecretAccessKey)
	eq := subtle.ConstantTimeCompare([]byte(id), []byte(want.AccessKeyID)) &
		subtle.ConstantTimeCompare([]byte(secret), []byte(want.SecretAccessKey))
	return eq == 1
}
