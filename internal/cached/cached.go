// Package cached serves the commands a warm agent answers from its cache —
// credential-process, export, exec, and version — in a process that links
// neither the AWS SDK, nor the vault, nor net/http, so that a cached
// credential costs little more than starting a process.
//
// The path is: parse the arguments, connect to the agent's socket, send one
// request, print. Whatever it does not serve exactly as the full command line
// would — an unknown flag, no agent, an agent of another build, a question
// for the user (MFA code, passphrase), any error — it hands to the full
// command line (Env.Fallback) before it has written anything, and the full
// command line then does all the work. So every behaviour stays the full
// command line's; this package only makes the common case fast.
package cached

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/awsmfa/awsmfa/internal/awsconfig"
	"github.com/awsmfa/awsmfa/internal/buildid"
	"github.com/awsmfa/awsmfa/internal/fsutil"
	"github.com/awsmfa/awsmfa/internal/userdirs"
)

// credentialProcessMinRemaining is the least validity credential-process
// hands out (the full command line's rule: more than botocore's 15 minutes).
const credentialProcessMinRemaining = 20 * time.Minute

// Exit codes the cached path itself returns (the README's table).
const (
	exitOK          = 0
	exitFailure     = 1
	exitInterrupted = 130
)

// Env is everything the cached path takes from the operating system.
type Env struct {
	Args           []string // without the program name
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Environ        func() []string
	HomeDir        func() (string, error)
	Getwd          func() (string, error)
	// AgentVersion is the build identity the agent must report: the one
	// of the binary that runs the agent (the full command line's).
	AgentVersion func() (string, error)
	// ReplaceProcess runs exec's command in place of awsmfa (execve).
	ReplaceProcess func(path string, argv, env []string) error
	// Fallback runs the full command line with the same arguments and
	// returns its exit status.
	Fallback func() int
	// Interrupt, when it delivers, ends a request in progress: Ctrl-C.
	Interrupt <-chan os.Signal
}

// Main runs the command line and returns the exit status.
func Main(env *Env) int {
	code, served := run(env)
	if !served {
		return env.Fallback()
	}
	return code
}

// run serves the command if it can; served false means nothing was written
// and the full command line must run instead.
func run(env *Env) (code int, served bool) {
	if len(env.Args) == 0 {
		return 0, false
	}
	args := env.Args[1:]
	switch env.Args[0] {
	case "version":
		if len(args) != 0 {
			return 0, false
		}
		_, err := fmt.Fprintf(env.Stdout, "awsmfa %s (%s %s/%s)\n", buildid.Version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
		if err != nil {
			return exitFailure, true
		}
		return exitOK, true
	case "credential-process":
		return env.printCredentials(args, false)
	case "export":
		return env.printCredentials(args, true)
	case "exec":
		return env.exec(args)
	}
	return 0, false
}

// flags are the flags the cached path understands; any other sends the
// command to the full command line.
type flags struct {
	req    request
	format string
	region string
}

// flag parses the flag at args[0] ("--name", "--name=value" or "--name
// value") into f and returns how many words it took; 0 means it is not
// one the cached path serves.
func (f *flags) flag(args []string, export, exec bool) int {
	name, value, hasValue := strings.Cut(strings.TrimPrefix(args[0], "--"), "=")
	if !strings.HasPrefix(args[0], "--") || name == "" {
		return 0
	}
	used := 1
	takeValue := func() bool {
		if hasValue {
			return true
		}
		if len(args) < 2 {
			return false
		}
		value, used = args[1], 2
		return true
	}
	switch {
	case name == "no-session":
		v := true
		if hasValue {
			var err error
			if v, err = strconv.ParseBool(value); err != nil {
				return 0
			}
		}
		f.req.NoSession = v
		return used
	case name == "backend" && takeValue():
		f.req.Backend = value
	case (name == "duration" || name == "session-duration") && takeValue():
		d, err := time.ParseDuration(value)
		if err != nil {
			return 0
		}
		if name == "duration" {
			f.req.Duration = d
		} else {
			f.req.SessionDuration = d
		}
	case export && name == "format" && takeValue():
		if !contains(ExportFormats, value) {
			return 0
		}
		f.format = value
	case exec && name == "region" && takeValue():
		f.region = value
	default:
		return 0
	}
	return used
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// printCredentials serves credential-process PROFILE and export PROFILE.
func (e *Env) printCredentials(args []string, export bool) (int, bool) {
	f := &flags{format: "env"}
	var positional []string
	for i := 0; i < len(args); {
		a := args[i]
		switch {
		case a == "--":
			positional = append(positional, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "-") && a != "-":
			n := f.flag(args[i:], export, false)
			if n == 0 {
				return 0, false
			}
			i += n
		default:
			positional = append(positional, a)
			i++
		}
	}
	if len(positional) != 1 {
		return 0, false
	}
	f.req.Profile = positional[0]
	format := f.format
	if !export {
		format = "process"
		f.req.MinRemaining = credentialProcessMinRemaining
	}
	res, code, served := e.credentials(&f.req)
	if !served || res == nil {
		return code, served
	}
	var out bytes.Buffer
	if err := WriteCredentials(&out, format, f.req.Profile, res.Credentials, res.Region); err != nil {
		// Nothing is printed yet: the full command line asks again (the
		// agent answers from its cache) and reports the error as it does.
		return 0, false
	}
	e.printNotices(res)
	if _, err := e.Stdout.Write(out.Bytes()); err != nil {
		return exitFailure, true
	}
	return exitOK, true
}

// exec serves exec [flags] [PROFILE] [--] [CMD [ARGS...]] when CMD gets keys
// (not the credential server).
func (e *Env) exec(args []string) (int, bool) {
	f := &flags{}
	i := 0
	dash := false
	for i < len(args) {
		a := args[i]
		if a == "--" {
			dash, i = true, i+1
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			break
		}
		n := f.flag(args[i:], false, true)
		if n == 0 {
			return 0, false
		}
		i += n
	}
	rest := args[i:]
	var argv []string
	if dash || len(rest) == 0 {
		f.req.Profile, argv = profileFromEnv(e.Getenv), rest
	} else {
		f.req.Profile, rest = rest[0], rest[1:]
		for len(rest) > 0 && strings.HasPrefix(rest[0], "-") && rest[0] != "-" {
			if rest[0] == "--" {
				rest = rest[1:]
				break
			}
			n := f.flag(rest, false, true)
			if n == 0 {
				return 0, false
			}
			rest = rest[n:]
		}
		argv = rest
	}
	if f.req.Profile == "" || e.Getenv("AWSMFA_EXEC_SERVER") != "" {
		return 0, false
	}
	// The full command line reports a profile missing from the files
	// before it looks the command up (here the agent's refusal of such a
	// profile sends the command there), and takes awsmfa_server from the
	// profile: only files that mention it need parsing here.
	home, err := e.HomeDir()
	if err != nil {
		return 0, false
	}
	paths := awsconfig.DefaultPaths(e.Getenv, home)
	if mentionsServer(paths) {
		cfg, err := awsconfig.Load(paths)
		if err != nil || !cfg.HasProfile(f.req.Profile) {
			return 0, false
		}
		if p, err := cfg.Profile(f.req.Profile); err == nil {
			if _, ok := p.Raw["awsmfa_server"]; ok {
				return 0, false
			}
		}
	}
	if len(argv) == 0 {
		sh := e.Getenv("SHELL")
		if sh == "" {
			sh = "/bin/sh"
		}
		argv = []string{sh}
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return 0, false
	}
	res, code, served := e.credentials(&f.req)
	if !served || res == nil {
		return code, served
	}
	e.printNotices(res)
	region := f.region
	if region == "" {
		region = res.Region
	}
	childEnv := ChildEnv(e.Environ(), f.req.Profile, region, KeyVars(res.Credentials))
	err = e.ReplaceProcess(path, argv, childEnv)
	fmt.Fprintf(e.Stderr, "awsmfa: error: running %q: %v\n", argv[0], err)
	return exitFailure, true
}

// mentionsServer reports whether either AWS file may set awsmfa_server
// (keys are case-insensitive); a file that cannot be read counts as one that
// does.
func mentionsServer(paths awsconfig.Paths) bool {
	for _, p := range []string{paths.Config, paths.Credentials} {
		// Not a regular file (a FIFO, a device): never opened, never
		// waited on; awsconfig reports it.
		f, err := fsutil.OpenRegular(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return true
		}
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil || bytes.Contains(bytes.ToLower(data), []byte("awsmfa_server")) {
			return true
		}
	}
	return false
}

// profileFromEnv is the profile AWS_PROFILE, else AWS_DEFAULT_PROFILE,
// names; "" when neither is set.
func profileFromEnv(getenv func(string) string) string {
	for _, v := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE"} {
		if p := getenv(v); p != "" {
			return p
		}
	}
	return ""
}

// credentials asks the agent for req's credentials. A nil result with
// served false means the full command line must run; served true means an
// interrupt ended the request and code is the status.
func (e *Env) credentials(req *request) (res *result, code int, served bool) {
	if v, err := strconv.ParseBool(e.Getenv("AWSMFA_NO_AGENT")); err == nil && v {
		return nil, 0, false
	}
	home, err := e.HomeDir()
	if err != nil {
		return nil, 0, false
	}
	// From the cache alone: what needs an AWS call or a question is the full
	// command line's to do, once.
	req.CachedOnly = true
	if req.Env, err = RequestEnviron(e.Getenv, e.Getwd, home); err != nil {
		return nil, 0, false
	}
	dir, err := userdirs.RuntimeDir(e.Getenv, home, runtime.GOOS, os.Getuid())
	if err != nil {
		return nil, 0, false
	}
	version, err := e.AgentVersion()
	if err != nil {
		return nil, 0, false
	}
	res, interrupted := ask(dir, version, req, e.Interrupt)
	if interrupted {
		fmt.Fprintln(e.Stderr, "awsmfa: error: interrupted")
		return nil, exitInterrupted, true
	}
	return res, 0, res != nil
}

// printNotices shows the agent's notices on stderr.
func (e *Env) printNotices(r *result) {
	for _, n := range r.Notices {
		fmt.Fprintf(e.Stderr, "awsmfa: %s\n", n)
	}
}
