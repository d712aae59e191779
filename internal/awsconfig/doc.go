// Package awsconfig reads the AWS shared config and credentials files the way
// the AWS CLI (botocore) reads them, resolves profiles, and edits the files
// line by line without disturbing anything it was not asked to change.
//
// # Reading
//
// The parser mirrors Python's configparser.RawConfigParser as botocore
// configures it, because that is what decides what the AWS CLI sees:
//
//   - Options are "key = value" or "key: value"; the first '=' or ':' on the
//     line splits. Keys are lower-cased (so "Region" and "region" are the same
//     key, and both in one section is a parse error, as is a repeated section).
//   - Lines whose first non-blank character is '#' or ';' are comments. There
//     are no inline comments: "region = us-east-1 # x" has the value
//     "us-east-1 # x". (The Go SDK strips " #" and " ;" from values; botocore
//     does not, and the AWS CLI is the reference here.)
//   - A line indented deeper than the option line above it continues that
//     option's value. A value that starts with a line break (an empty "s3 ="
//     followed by indented "k = v" lines) is a nested sub-section.
//   - A section header is '[' up to the last ']' on the line; anything after it
//     is ignored. In the config file a header starting with "profile" is split
//     like a shell word list (so [profile "my prof"] names "my prof"), and only
//     a two-word result names a profile. "sso-session" and "services" headers
//     are split the same way. [default] is the default profile; when both
//     [default] and [profile default] exist, the one later in the file wins,
//     as in botocore (the Go SDK always prefers [profile default]).
//   - [DEFAULT] (that spelling only) supplies keys to every other section of
//     the same file. Config resolves profiles with them; File.Get and every
//     edit see only a section's own keys.
//   - Credentials file sections are [NAME]. Keys from the credentials file are
//     merged over the config file's keys for the same profile, as botocore's
//     session does; awsmfa itself writes role settings only to the config file.
//   - Line breaks may be LF, CRLF or a lone CR. Text must be UTF-8.
//
// A parse error names the file and line number, never the line's text, because
// the line may hold a secret. Missing files read as empty. Anything that is
// not a regular file (a device such as /dev/null, a FIFO, a directory) is
// refused with fsutil.ErrNotRegular, without waiting on it. Reading never
// creates or changes anything on disk.
//
// # Editing
//
// File keeps every line of the original byte for byte; Set, Remove and
// RemoveSection touch only the lines they must. Update runs an edit under the
// cross-process lock of internal/fsutil, re-reading the file under the lock and
// writing it atomically (mode 0600, parent directory created 0700) only when
// the content changed.
//
// Symbolic links: when the file is a symbolic link, the write goes through to
// the link's final target, which is replaced atomically; the link itself is
// kept. This keeps dotfile managers that link ~/.aws/config working.
//
// A file marked read-only (no owner write bit) is never replaced: Update
// fails with ErrReadOnly, even though an atomic rename would succeed. That and
// an edit that would change other settings match ErrEditRefused.
//
// Names, keys and values that would let one edit plant extra lines or sections
// (line breaks, NUL, brackets in names, delimiters in keys), or that some
// reader takes differently ('#' and ';' in names, the name DEFAULT), are
// refused with an error matching ErrInvalidInput.
//
// Set appends a new section after one blank line, and RemoveSection takes that
// blank line away again, so that adding and removing a section leaves the file
// byte for byte as it was.
package awsconfig
