package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/awsmfa/awsmfa/internal/rotate"
	"github.com/rogpeppe/go-internal/testscript"
)

// testOnlyLoginRotate sets the test hooks of login and rotate in the test
// binary standing in for awsmfa:
//
//   - the browser is AWSMFA_TEST_BROWSER_DIR: opening a page copies it to
//     DIR/page.html after checking that it is private (0600 in a 0700
//     directory) and that only its path, never the URL, was handed over;
//     without the variable, opening a browser fails;
//   - the sign-in page is removed as soon as the browser has it;
//   - AWSMFA_TEST_KILL_AT=STEP kills the process (SIGKILL, no cleanup) when
//     rotate reaches STEP;
//   - rotate's wait for a new key retries without sleeping.
func testOnlyLoginRotate(env *Env) {
	env.testOnlyBrowserPageLifetime = time.Nanosecond
	env.testOnlyRotateNoWait = true
	dir := os.Getenv("AWSMFA_TEST_BROWSER_DIR")
	env.OpenBrowser = func(_ context.Context, target string) error {
		if dir == "" {
			return errors.New("no browser in tests: set AWSMFA_TEST_BROWSER_DIR")
		}
		if strings.Contains(target, "SigninToken") || strings.Contains(target, "://") {
			return fmt.Errorf("the browser was handed a URL, not a page: %s", target)
		}
		fi, err := os.Stat(target)
		if err != nil {
			return err
		}
		di, err := os.Stat(filepath.Dir(target))
		if err != nil {
			return err
		}
		if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
			return fmt.Errorf("the sign-in page is %v in a %v directory, want 0600 in 0700", fi.Mode().Perm(), di.Mode().Perm())
		}
		data, err := os.ReadFile(target)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, "page.html"), data, 0o600)
	}
	if step := os.Getenv("AWSMFA_TEST_KILL_AT"); step != "" {
		env.testOnlyRotateStep = func(s rotate.Step) {
			if string(s) != step {
				return
			}
			p, err := os.FindProcess(os.Getpid())
			if err == nil {
				_ = p.Kill()
			}
			select {} // the kill arrives
		}
	}
}

// cmdLoginRedirect follows a console sign-in URL (the first line of FILE)
// one hop, without following the redirect, and prints the status and the
// Location it answers.
//
//	login-redirect FILE
func cmdLoginRedirect(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: login-redirect FILE")
	}
	u, _, _ := strings.Cut(ts.ReadFile(args[0]), "\n")
	u = strings.TrimSpace(u)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(u)
	ts.Check(err)
	resp.Body.Close()
	fmt.Fprintf(ts.Stdout(), "%d %s\n", resp.StatusCode, resp.Header.Get("Location"))
}
