// Package userdirs decides where awsmfa keeps per-user state. The functions are
// pure: they take the environment, home directory and target OS as arguments,
// touch nothing on disk and create nothing, so every platform's answer can be
// tested from any platform. Callers create the directories (0700) when they
// first write.
package userdirs

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// AppName is the directory name awsmfa uses inside the platform's base directories.
const AppName = "awsmfa"

// ErrNoHome is returned when a location depends on the home directory and none
// (or a relative one) was given.
var ErrNoHome = errors.New("home directory unknown")

// DataDir returns the directory holding awsmfa's persistent per-user data (the
// file vault, the keyring lock):
//
//   - AWSMFA_DATA_DIR when set; it must be an absolute path;
//   - darwin: ~/Library/Application Support/awsmfa;
//   - windows: %LOCALAPPDATA%\awsmfa, else ~\AppData\Local\awsmfa;
//   - every other system: $XDG_DATA_HOME/awsmfa, else ~/.local/share/awsmfa.
//
// A relative XDG_DATA_HOME or LOCALAPPDATA is ignored, as the XDG base
// directory specification requires, so a value set for another program's
// working directory never moves the vault.
func DataDir(getenv func(string) string, home, goos string) (string, error) {
	if dir := getenv("AWSMFA_DATA_DIR"); dir != "" {
		if !isAbs(goos, dir) {
			return "", fmt.Errorf("AWSMFA_DATA_DIR %q is not an absolute path", dir)
		}
		return dir, nil
	}
	switch goos {
	case "darwin", "ios":
		return underHome(goos, home, "Library", "Application Support", AppName)
	case "windows":
		if dir := getenv("LOCALAPPDATA"); dir != "" && isAbs(goos, dir) {
			return join(goos, dir, AppName), nil
		}
		return underHome(goos, home, "AppData", "Local", AppName)
	default:
		if dir := getenv("XDG_DATA_HOME"); dir != "" && isAbs(goos, dir) {
			return join(goos, dir, AppName), nil
		}
		return underHome(goos, home, ".local", "share", AppName)
	}
}

// RuntimeDir returns the directory for awsmfa's per-user runtime objects (the
// agent's socket), in this order:
//
//   - AWSMFA_RUNTIME_DIR when set; it must be an absolute path;
//   - $XDG_RUNTIME_DIR/awsmfa when XDG_RUNTIME_DIR is set and absolute (not on
//     windows);
//   - otherwise DataDir/run-<uid>.
//
// The fallback lives under the data directory rather than the shared temporary
// directory so that no other user can create it first: the data directory is
// inside the user's home. The uid is part of its name because one data
// directory can be shared by two accounts (sudo keeping AWSMFA_DATA_DIR, for
// example), and each account must get its own agent. On windows, where uid is
// meaningless (os.Getuid returns -1), the fallback is DataDir\run.
func RuntimeDir(getenv func(string) string, home, goos string, uid int) (string, error) {
	if dir := getenv("AWSMFA_RUNTIME_DIR"); dir != "" {
		if !isAbs(goos, dir) {
			return "", fmt.Errorf("AWSMFA_RUNTIME_DIR %q is not an absolute path", dir)
		}
		return dir, nil
	}
	if goos != "windows" {
		if dir := getenv("XDG_RUNTIME_DIR"); dir != "" && isAbs(goos, dir) {
			return join(goos, dir, AppName), nil
		}
	}
	data, err := DataDir(getenv, home, goos)
	if err != nil {
		return "", err
	}
	if goos == "windows" {
		return join(goos, data, "run"), nil
	}
	return join(goos, data, "run-"+strconv.Itoa(uid)), nil
}

func underHome(goos, home string, elem ...string) (string, error) {
	if home == "" || !isAbs(goos, home) {
		return "", ErrNoHome
	}
	return join(goos, append([]string{home}, elem...)...), nil
}

// isAbs reports whether p is absolute on goos, independently of the host OS.
func isAbs(goos, p string) bool {
	if goos != "windows" {
		return strings.HasPrefix(p, "/")
	}
	if strings.HasPrefix(p, `\\`) || strings.HasPrefix(p, "//") {
		return true // UNC path
	}
	return len(p) >= 3 && isLetter(p[0]) && p[1] == ':' && (p[2] == '\\' || p[2] == '/')
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// join joins path elements with goos's separator, independently of the host OS.
func join(goos string, elem ...string) string {
	if goos != "windows" {
		return path.Join(elem...)
	}
	parts := make([]string, 0, len(elem))
	for i, e := range elem {
		if i > 0 {
			e = strings.TrimLeft(e, `\/`)
		}
		if i < len(elem)-1 {
			e = strings.TrimRight(e, `\/`)
		}
		if e != "" {
			parts = append(parts, e)
		}
	}
	return strings.Join(parts, `\`)
}
