package awsconfig

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/awsmfa/awsmfa/internal/fsutil"
)

// ErrReadOnly is matched when the file to update is marked read-only: the
// owner asked for it not to be changed, and an atomic rename would otherwise
// replace it regardless of its mode. It matches ErrEditRefused too.
var ErrReadOnly error = refusal("file is read-only")

// Update edits the file at path: it takes fsutil.Lock on path, reads the file
// afresh under the lock, runs edit, and writes the result atomically with mode
// 0600 (creating the parent directory 0700) unless the content is unchanged.
// When edit returns an error nothing is written. A path that does not exist
// and that edit leaves empty is neither locked nor created: to find that out,
// edit first runs on an empty File, so it may be called twice and must act
// only on the File it is given. A file whose mode lacks the owner write bit
// is refused with ErrReadOnly, and a path that is not a regular file (a
// device, a FIFO, a directory) with fsutil.ErrNotRegular, before anything is
// locked, created or opened.
func Update(ctx context.Context, path string, edit func(*File) error) (err error) {
	if err := fsutil.CheckRegular(path); err != nil {
		return fmt.Errorf("updating %q: %w", path, err)
	}
	if _, statErr := os.Lstat(path); errors.Is(statErr, fs.ErrNotExist) {
		probe := &File{name: path}
		if err := edit(probe); err != nil {
			return err
		}
		if len(probe.lines) == 0 {
			return nil
		}
	}
	unlock, err := fsutil.Lock(ctx, path)
	if err != nil {
		return fmt.Errorf("updating %q: %w", path, err)
	}
	defer func() {
		if uerr := unlock(); uerr != nil && err == nil {
			err = fmt.Errorf("updating %q: releasing lock: %w", path, uerr)
		}
	}()
	f, err := ReadFile(path)
	if err != nil {
		return err
	}
	before := f.Bytes()
	if err := edit(f); err != nil {
		return err
	}
	after := f.Bytes()
	if bytes.Equal(before, after) {
		return nil
	}
	if err := checkWritable(path); err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(path, after, fsutil.FileMode); err != nil {
		return fmt.Errorf("updating %q: %w", path, err)
	}
	return nil
}

// checkWritable refuses a file (or the target of a link) whose mode has no
// owner write bit.
func checkWritable(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("updating %q: %w", path, err)
	}
	if fi.Mode().Perm()&0o200 == 0 {
		return fmt.Errorf("updating %q: %w", path, ErrReadOnly)
	}
	return nil
}

// credentialKeys live in the credentials file; every other key belongs in
// the config file.
var credentialKeys = []string{keyAccessKeyID, keySecretAccessKey, keySessionToken}

func isCredentialKey(key string) bool {
	return slices.Contains(credentialKeys, strings.ToLower(key))
}

// SetProfileKey sets key for profile in the file it belongs to: the
// credentials file's [NAME] for aws_access_key_id, aws_secret_access_key and
// aws_session_token, else the config file's section for the profile. That is
// the section botocore reads for it (the last of [default] and
// [profile default] for "default"), or a new [default] or [profile NAME],
// NAME quoted when it holds blanks, quotes or backslashes.
func SetProfileKey(ctx context.Context, paths Paths, profile, key, value string) error {
	if err := ValidateSection(profile); err != nil {
		return fmt.Errorf("setting %q for profile: %w", key, err)
	}
	if isCredentialKey(key) {
		return Update(ctx, paths.Credentials, func(f *File) error {
			return f.Set(profile, key, value)
		})
	}
	return Update(ctx, paths.Config, func(f *File) error {
		return f.Set(f.profileSection(profile), key, value)
	})
}

// RemoveCredentials removes keys (by default aws_access_key_id,
// aws_secret_access_key and aws_session_token) from the profile in both
// files: [NAME] in the credentials file and the profile's section in the
// config file. A section left with no keys is removed too (see removeIfEmpty
// for the comments around it).
func RemoveCredentials(ctx context.Context, paths Paths, profile string, keys ...string) error {
	if err := ValidateSection(profile); err != nil {
		return fmt.Errorf("removing credentials of profile: %w", err)
	}
	if len(keys) == 0 {
		keys = credentialKeys
	}
	remove := func(section func(*File) string) func(*File) error {
		return func(f *File) error {
			name := section(f)
			if !f.HasSection(name) {
				return nil
			}
			for _, k := range keys {
				if err := f.Remove(name, k); err != nil {
					return err
				}
			}
			return f.removeIfEmpty(name)
		}
	}
	if err := Update(ctx, paths.Credentials, remove(func(*File) string { return profile })); err != nil {
		return err
	}
	return Update(ctx, paths.Config, remove(func(f *File) string { return f.profileSection(profile) }))
}

// profileSection returns the config-file header botocore reads profile
// from: the last section naming it, else the header a new one should have.
func (f *File) profileSection(profile string) string {
	found := ""
	for _, s := range f.spans {
		switch {
		case s.name == defaultSection:
		case strings.HasPrefix(s.name, "profile"):
			if n, ok := secondWord(s.name); ok && n == profile {
				found = s.name
			}
		case s.name == "default" && profile == "default":
			found = s.name
		}
	}
	if found == "" {
		return profileHeader(profile)
	}
	return found
}

// removeIfEmpty removes a section that has no keys left. Blank lines go with
// it. Comment lines decide by where they stand: a comment right under the
// header is the section's own note, and keeps the section; comments separated
// from the header by a blank line introduce the next section, and stay while
// the header goes.
func (f *File) removeIfEmpty(section string) error {
	type cut struct{ from, to int }
	var cuts []cut
	for _, s := range f.spans {
		if s.name != section {
			continue
		}
		if len(s.options) > 0 {
			return nil
		}
		i := s.header + 1
		for i < s.end && f.lines[i].kind == kindBlank {
			i++
		}
		if i == s.end {
			cuts = append(cuts, cut{s.header, s.end})
			continue
		}
		if i == s.header+1 {
			return nil // a comment directly under the header
		}
		for j := i; j < s.end; j++ {
			if k := f.lines[j].kind; k != kindBlank && k != kindComment {
				return nil
			}
		}
		to := i
		if s.header > 0 && f.lines[s.header-1].kind != kindBlank {
			to-- // keep one blank line between the text above and the comments
		}
		cuts = append(cuts, cut{s.header, to})
	}
	if len(cuts) == 0 {
		return nil
	}
	return f.apply(section, "", false, func(lines []line) []line {
		for i := len(cuts) - 1; i >= 0; i-- {
			lines = slices.Delete(lines, cuts[i].from, cuts[i].to)
		}
		return lines
	}, "")
}
