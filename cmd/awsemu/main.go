// Command awsemu serves the project's STS/IAM emulator (package
// internal/awsemu) on a loopback port, for offline try-outs and for tests
// that drive real AWS clients.
//
//	awsemu [--addr 127.0.0.1:0] [--state FILE] [--account ID] [--verbose]
//	awsemu code [--next] SERIAL
//
// It prints shell export lines (see envLines), then serves until SIGINT or
// SIGTERM. "awsemu code" stands in for an authenticator app: it prints the
// current code of a running emulator's MFA device (with --next, the code of
// the next 30-second window), found through AWSEMU_URL and AWSEMU_TOKEN.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/awsmfa/awsmfa/internal/awsemu"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var err error
	if len(os.Args) > 1 && os.Args[1] == "code" {
		err = runCode(ctx, os.Args[2:], os.Getenv, os.Stdout, os.Stderr)
	} else {
		err = run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	}
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "awsemu: error: %v\n", err)
		os.Exit(1)
	}
}

// run parses args, starts the emulator, prints how to reach it and serves
// until ctx is done.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("awsemu", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o awsemu.Options
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:0", "listen address")
	fs.StringVar(&o.StateFile, "state", "", "load state from and save it to this JSON file (0600)")
	fs.StringVar(&o.AccountID, "account", awsemu.DefaultAccountID, "12-digit account id of a new state")
	verbose := fs.Bool("verbose", false, "log each request to stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *verbose {
		o.Logf = func(format string, a ...any) { fmt.Fprintf(stderr, format+"\n", a...) }
	}
	s, err := awsemu.Start(ctx, o)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(stdout, envLines(s.URL(), s.ControlToken(), s.AdminKey())); err != nil {
		s.Close()
		return fmt.Errorf("printing the environment: %w", err)
	}
	if f, ok := stdout.(*os.File); ok {
		f.Sync()
	}
	<-ctx.Done()
	fmt.Fprintln(stderr, "awsemu: shutting down")
	return s.Close()
}

// envLines is what awsemu prints, in one write so that a reader of the file
// it goes to never sees half of it: the endpoint URL first, the control API's
// URL and token, the bootstrap admin key, and the region. The admin key goes
// under names that no AWS tool reads: exported as AWS_ACCESS_KEY_ID, every
// client (and "awsmfa add --env") would quietly use the admin key.
func envLines(url, token string, admin awsemu.Key) string {
	return fmt.Sprintf(`export AWS_ENDPOINT_URL=%[1]s
export AWSEMU_URL=%[1]s
export AWSEMU_TOKEN=%[2]s
export AWSEMU_ADMIN_ACCESS_KEY_ID=%[3]s
export AWSEMU_ADMIN_SECRET_ACCESS_KEY=%[4]s
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
`, url, token, admin.ID, admin.Secret)
}

// runCode prints a device's code, asked of the running emulator's control
// API.
func runCode(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("awsemu code", flag.ContinueOnError)
	fs.SetOutput(stderr)
	next := fs.Bool("next", false, "print the code of the next 30-second window")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: awsemu code [--next] SERIAL")
	}
	base, token := getenv("AWSEMU_URL"), getenv("AWSEMU_TOKEN")
	if base == "" || token == "" {
		return errors.New("AWSEMU_URL and AWSEMU_TOKEN are not set: source the lines awsemu printed")
	}
	ahead := 0
	if *next {
		ahead = 1
	}
	q := url.Values{"serial": {fs.Arg(0)}, "ahead": {strconv.Itoa(ahead)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(base, "/")+"/_awsemu/code?"+q.Encode(), nil)
	if err != nil {
		return fmt.Errorf("asking for a code: %w", err)
	}
	req.Header.Set(awsemu.ControlTokenHeader, token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("asking for a code: %w", err)
	}
	defer resp.Body.Close()
	var body struct {
		Code  string `json:"code"`
		Error string `json:"error"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&body); err != nil {
		return fmt.Errorf("asking for a code: reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("asking for a code: %s", body.Error)
	}
	_, err = fmt.Fprintln(stdout, body.Code)
	return err
}
