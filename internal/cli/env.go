package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/awsmfa/awsmfa/internal/awsconfig"
	"github.com/awsmfa/awsmfa/internal/tty"
	"github.com/awsmfa/awsmfa/internal/userdirs"
	"github.com/awsmfa/awsmfa/internal/vault"
)

// home returns the user's home directory.
func (e *Env) home() (string, error) {
	h, err := e.HomeDir()
	if err != nil {
		return "", fmt.Errorf("finding home directory: %w", err)
	}
	return h, nil
}

// awsPaths returns the config and credentials files the AWS CLI would read.
func (e *Env) awsPaths() (awsconfig.Paths, error) {
	h, err := e.home()
	if err != nil {
		return awsconfig.Paths{}, err
	}
	return awsconfig.DefaultPaths(e.Getenv, h), nil
}

// loadConfig reads both AWS files; it creates nothing.
func (e *Env) loadConfig() (*awsconfig.Config, error) {
	paths, err := e.awsPaths()
	if err != nil {
		return nil, err
	}
	cfg, err := awsconfig.Load(paths)
	if err != nil {
		return nil, &configError{err}
	}
	return cfg, nil
}

// dataDir is where the file vault lives.
func (e *Env) dataDir() (string, error) {
	h, err := e.home()
	if err != nil {
		return "", err
	}
	return userdirs.DataDir(e.Getenv, h, e.GOOS)
}

// terminal opens the controlling terminal on first use and keeps it for the
// rest of the command. A missing terminal is not an error until something
// has to be asked.
type terminal struct {
	open func() (*tty.Terminal, error)
	t    *tty.Terminal
	err  error
}

func (e *Env) terminal() *terminal { return &terminal{open: e.OpenTTY} }

func (t *terminal) get() (*tty.Terminal, error) {
	if t.t == nil && t.err == nil {
		t.t, t.err = t.open()
	}
	return t.t, t.err
}

// ReadSecret lets the vault ask for its passphrase.
func (t *terminal) ReadSecret(prompt string) (string, error) {
	tt, err := t.get()
	if err != nil {
		return "", err
	}
	return tt.ReadSecret(prompt)
}

// available reports whether there is a terminal to ask.
func (t *terminal) available() bool {
	_, err := t.get()
	return err == nil
}

func (t *terminal) Close() error {
	if t.t != nil {
		return t.t.Close()
	}
	return nil
}

// openVault returns the vault chosen by --backend, AWSMFA_BACKEND or the
// automatic rule: the running agent's, when it holds that vault open (no
// passphrase then), else opened here. The passphrase of a file vault is
// asked on term only when no other source gives it, and asked again when
// typed wrong.
func (e *Env) openVault(ctx context.Context, g *globalOptions, term *terminal) (vault.Store, error) {
	dir, err := e.dataDir()
	if err != nil {
		return nil, err
	}
	var (
		p       vault.Prompter
		prompts *countingPrompter
	)
	if term != nil && term.available() {
		prompts = &countingPrompter{term: term}
		p = prompts
	}
	if s := e.agentVault(ctx, g, p); s != nil {
		return &commandStore{Store: s, prompts: prompts}, nil
	}
	s, err := vault.Open(ctx, vault.Options{
		Backend:                  g.backend,
		DataDir:                  dir,
		Getenv:                   e.Getenv,
		Prompter:                 p,
		TestOnlyScryptWorkFactor: e.testOnlyScryptWorkFactor,
	})
	if err != nil {
		return nil, err
	}
	return &commandStore{Store: s, prompts: prompts, changed: e.forgetAgentSessions}, nil
}

// selfCommand is how a credential_process line should start this awsmfa:
// "awsmfa" when that name on PATH is this very binary, else the binary's
// absolute path (tools started from a desktop may have another PATH).
//
// When this is awsmfa-full, the binary users run is the awsmfa next to it
// (see cached.FullName), and that is the one a line names.
func (e *Env) selfCommand() string {
	exe, err := e.Executable()
	if err != nil {
		return "awsmfa"
	}
	if name := filepath.Base(exe); name == "awsmfa-full" || name == "awsmfa-full.exe" {
		sibling := filepath.Join(filepath.Dir(exe), strings.Replace(name, "awsmfa-full", "awsmfa", 1))
		if fi, err := os.Stat(sibling); err == nil && fi.Mode().IsRegular() {
			exe = sibling
		}
	}
	self, err := os.Stat(exe)
	if err != nil {
		return exe
	}
	name := "awsmfa"
	if e.GOOS == "windows" {
		name += ".exe"
	}
	for _, dir := range filepath.SplitList(e.Getenv("PATH")) {
		if dir == "" || !filepath.IsAbs(dir) {
			continue
		}
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && os.SameFile(fi, self) {
			return "awsmfa"
		}
		// Only the first awsmfa on PATH is what a tool would run.
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			break
		}
	}
	return exe
}
