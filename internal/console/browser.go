package console

import (
	"context"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Opener opens target (a local file path) in the user's browser.
type Opener func(ctx context.Context, target string) error

// DefaultPageLifetime is how long the redirect page stays on disk after the
// browser was told to open it: long enough for a browser to start.
const DefaultPageLifetime = 20 * time.Second

// openCommand is the program and arguments that open path in the default
// browser on goos.
func openCommand(goos, path string) []string {
	switch goos {
	case "darwin":
		return []string{"open", path}
	case "windows":
		// rundll32 takes the path as is; "cmd /c start" would parse it.
		return []string{"rundll32", "url.dll,FileProtocolHandler", path}
	}
	return []string{"xdg-open", path}
}

// SystemOpener opens files with the platform's opener: xdg-open, open, or
// the Windows URL handler. It returns once the opener has exited (xdg-open
// and open return as soon as the browser has the file).
func SystemOpener(goos string) Opener {
	return func(ctx context.Context, target string) error {
		argv := openCommand(goos, target)
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("opening the browser with %s: %w (%s)", argv[0], err, firstLine(out))
		}
		return nil
	}
}

func firstLine(b []byte) string {
	for i, c := range b {
		if c == '\n' {
			return string(b[:i])
		}
	}
	if len(b) > 200 {
		b = b[:200]
	}
	return string(b)
}

// Open hands loginURL to the browser without putting it on a command line,
// where every user of the computer could read it (/proc/PID/cmdline, ps):
// the URL goes into an HTML page that redirects to it, written 0600 in a
// new 0700 directory under dir (os.TempDir() when empty), and only that
// page's path is given to open. The page is removed once the browser has
// had lifetime to read it, or when ctx ends; a crash leaves it for at most
// the sign-in token's 15 minutes of validity.
func Open(ctx context.Context, open Opener, dir, loginURL string, lifetime time.Duration) error {
	d, err := os.MkdirTemp(dir, "awsmfa-login-")
	if err != nil {
		return fmt.Errorf("creating the sign-in page: %w", err)
	}
	defer os.RemoveAll(d)
	if err := os.Chmod(d, 0o700); err != nil {
		return fmt.Errorf("creating the sign-in page: %w", err)
	}
	page := filepath.Join(d, "signin.html")
	f, err := os.OpenFile(page, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("creating the sign-in page: %w", err)
	}
	_, werr := f.WriteString(redirectPage(loginURL))
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("writing the sign-in page: %w", werr)
	}
	if err := open(ctx, page); err != nil {
		return err
	}
	if lifetime <= 0 {
		return nil
	}
	t := time.NewTimer(lifetime)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	return nil
}

// redirectPage is an HTML page that sends the browser on to u at once,
// leaving no history entry for itself.
func redirectPage(u string) string {
	attr := html.EscapeString(u)
	return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<meta http-equiv="refresh" content="0;url=` + attr + `">
<title>AWS console sign-in</title></head>
<body><p>Signing in to the AWS console&hellip; <a href="` + attr + `" rel="noreferrer">continue</a></p>
<script>location.replace(document.querySelector("a").href)</script></body></html>
`
}
