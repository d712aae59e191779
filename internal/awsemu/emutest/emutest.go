// Package emutest drives the awsemu emulator from testscript scripts.
//
// Register Commands in testscript.Params.Cmds and scripts get one command,
// awsemu, with these subcommands (a leading ! expects failure):
//
//	awsemu start [-account ID] [-state FILE]
//	    Start an emulator in-process, stopped when the script ends. Sets
//	    AWS_ENDPOINT_URL, AWSEMU_URL, AWSEMU_TOKEN (control API),
//	    AWSEMU_ACCOUNT, AWSEMU_ADMIN_KEY_ID, AWSEMU_ADMIN_SECRET,
//	    AWS_REGION and AWS_DEFAULT_REGION (us-east-1).
//	awsemu user NAME
//	    Create IAM user NAME with an access key. Sets AWSEMU_KEY_ID_<N>,
//	    AWSEMU_SECRET_<N> and AWSEMU_USER_ARN_<N>, where <N> is NAME in upper
//	    case with every character outside [A-Z0-9] replaced by '_'.
//	awsemu mfa USER DEVICE
//	    Create virtual MFA device DEVICE, enabled for USER. Sets
//	    AWSEMU_MFA_SERIAL_<D> and AWSEMU_MFA_SEED_<D> (base32).
//	awsemu code SERIAL [VAR]
//	    Print the device's current code (and set $VAR to it when given).
//	awsemu advance DURATION
//	    Move the emulator's clock, e.g. 31s or -5m.
//	awsemu freeze
//	    Stop the emulator's clock (advance still moves it), so that codes
//	    computed now stay the current ones.
//	awsemu next-seed
//	    Choose the TOTP seed of the next virtual MFA device created (by the
//	    program under test) and set AWSEMU_NEXT_SEED to it (base32).
//	awsemu totp SEED VAR [OFFSET]
//	    Set $VAR to the code of SEED (base32) at the emulator's clock plus
//	    OFFSET (a duration such as 30s or -30s): the codes a person would
//	    read from an authenticator app.
//	awsemu role NAME TRUSTFILE [MAX]
//	    Create role NAME with the trust policy in TRUSTFILE ($VAR references
//	    expanded; policy variables such as ${aws:username} kept) and maximum
//	    session MAX (a duration, default 1h). Sets AWSEMU_ROLE_ARN_<N>.
//	awsemu policy user|group|role NAME FILE
//	    Put the policy in FILE (expanded likewise) as an inline policy of the
//	    user, group or role, named after FILE's base name.
//	awsemu group NAME [USER...]
//	    Create IAM group NAME with the given members. Sets
//	    AWSEMU_GROUP_ARN_<N>.
//	awsemu managed NAME FILE
//	    Create the customer managed policy NAME from FILE (expanded
//	    likewise). Sets AWSEMU_POLICY_ARN_<N>.
//	awsemu attach user|group|role NAME POLICYARN
//	    Attach a managed policy, customer or AWS managed (for example
//	    arn:aws:iam::aws:policy/ReadOnlyAccess).
//	awsemu calls ACTION N
//	    Assert that ACTION ("" or * = all) was called exactly N times.
//	awsemu mutations N
//	    Assert that exactly N calls were of mutating actions (everything but
//	    Get*, List*, Describe* and Simulate*; see awsemu.ReadOnly), failed
//	    ones included. "awsemu mutations 0" proves a dry run.
//	awsemu log
//	    Print the call log, one "ACTION [ERRORCODE]" line per call.
//	awsemu keys USER [VAR]
//	    Print USER's access keys, one "ID STATUS" line each, and set $VAR
//	    to the id of the newest one when given.
//	awsemu signer ACTION [VAR]
//	    Print the access key id that signed the latest call of ACTION (for
//	    federation calls, the session's key id), and set $VAR to it when
//	    given. Fails when ACTION was never called.
//	awsemu logins
//	    Print the console logins through the federation endpoint, one
//	    "SESSIONKEYID DURATION DESTINATION ISSUER" line each.
//	awsemu fault [-after K] ACTION KIND N [STALL]
//	    Make N calls of ACTION (* = any) fail, after letting K through: KIND
//	    is throttle, server-error, stall (for STALL, a duration), reset,
//	    access-denied (AccessDenied, which SDKs do not retry) or
//	    invalid-token (InvalidClientTokenId, as for a key STS does not know
//	    yet).
//	awsemu query [-export] ACTION [NAME=VALUE...]
//	    Make a SigV4-signed query-protocol call with AWS_ACCESS_KEY_ID,
//	    AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN from the script's
//	    environment and print the XML response to stdout. Fails on a non-200
//	    answer. -export sets those three variables from the answer's
//	    Credentials. DescribeRegions goes to EC2; ListBuckets is S3's REST
//	    GET / (the seeds' probes, as "aws ec2 describe-regions" and
//	    "aws s3 ls" send them).
package emutest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/awsmfa/awsmfa/internal/awsemu"
	"github.com/awsmfa/awsmfa/internal/totp"
)

// registry maps each running script to its emulator.
type registry struct {
	mu      sync.Mutex
	servers map[*testscript.TestScript]*awsemu.Server
}

// Commands returns the awsemu command for testscript.Params.Cmds.
func Commands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	reg := &registry{servers: map[*testscript.TestScript]*awsemu.Server{}}
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"awsemu": reg.command,
	}
}

// EnvName turns an entity name into the suffix of the variables the
// commands set: upper case, characters outside [A-Z0-9] replaced by '_'.
func EnvName(name string) string {
	b := []byte(strings.ToUpper(name))
	for i, c := range b {
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			b[i] = '_'
		}
	}
	return string(b)
}

func (reg *registry) server(ts *testscript.TestScript) *awsemu.Server {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	s := reg.servers[ts]
	if s == nil {
		ts.Fatalf("awsemu: no emulator running; use 'awsemu start' first")
	}
	return s
}

func (reg *registry) command(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: awsemu start|user|mfa|code|advance|role|policy|group|managed|attach|calls|mutations|log|keys|signer|logins|fault|query ...")
	}
	sub, rest := args[0], args[1:]
	var err error
	switch sub {
	case "start":
		err = reg.start(ts, rest)
	case "calls", "mutations":
		if sub == "calls" {
			err = reg.calls(ts, neg, rest)
		} else {
			err = reg.mutations(ts, neg, rest)
		}
		if err != nil {
			ts.Fatalf("awsemu %s: %v", sub, err)
		}
		return
	default:
		run, ok := map[string]func(*testscript.TestScript, *awsemu.Server, []string) error{
			"user": cmdUser, "mfa": cmdMFA, "code": cmdCode, "advance": cmdAdvance, "role": cmdRole,
			"policy": cmdPolicy, "fault": cmdFault, "query": cmdQuery, "group": cmdGroup, "managed": cmdManaged,
			"attach": cmdAttach, "log": cmdLog, "freeze": cmdFreeze, "next-seed": cmdNextSeed, "totp": cmdTOTP,
			"keys": cmdKeys, "signer": cmdSigner, "logins": cmdLogins,
		}[sub]
		if !ok {
			ts.Fatalf("awsemu: unknown subcommand %q", sub)
		}
		err = run(ts, reg.server(ts), rest)
	}
	switch {
	case err != nil && !neg:
		ts.Fatalf("awsemu %s: %v", sub, err)
	case err == nil && neg:
		ts.Fatalf("awsemu %s: unexpected success", sub)
	case err != nil:
		ts.Logf("awsemu %s: %v (expected)", sub, err)
	}
}

func (reg *registry) start(ts *testscript.TestScript, args []string) error {
	var o awsemu.Options
	for len(args) > 0 {
		if len(args) < 2 {
			return fmt.Errorf("usage: awsemu start [-account ID] [-state FILE]")
		}
		switch args[0] {
		case "-account":
			o.AccountID = args[1]
		case "-state":
			o.StateFile = ts.MkAbs(args[1])
		default:
			return fmt.Errorf("unknown flag %q", args[0])
		}
		args = args[2:]
	}
	reg.mu.Lock()
	running := reg.servers[ts] != nil
	reg.mu.Unlock()
	if running {
		return errors.New("an emulator is already running in this script")
	}
	s, err := awsemu.Start(context.Background(), o)
	if err != nil {
		return err
	}
	reg.mu.Lock()
	reg.servers[ts] = s
	reg.mu.Unlock()
	ts.Defer(func() {
		reg.mu.Lock()
		delete(reg.servers, ts)
		reg.mu.Unlock()
		if err := s.Close(); err != nil {
			ts.Logf("awsemu: closing: %v", err)
		}
	})
	admin := s.AdminKey()
	ts.Setenv("AWS_ENDPOINT_URL", s.URL())
	ts.Setenv("AWSEMU_URL", s.URL())
	ts.Setenv("AWSEMU_TOKEN", s.ControlToken())
	ts.Setenv("AWSEMU_ACCOUNT", s.AccountID())
	ts.Setenv("AWSEMU_ADMIN_KEY_ID", admin.ID)
	ts.Setenv("AWSEMU_ADMIN_SECRET", admin.Secret)
	ts.Setenv("AWS_REGION", "us-east-1")
	ts.Setenv("AWS_DEFAULT_REGION", "us-east-1")
	return nil
}

func cmdUser(ts *testscript.TestScript, s *awsemu.Server, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: awsemu user NAME")
	}
	u, err := s.CreateUser(args[0])
	if err != nil {
		return err
	}
	k, err := s.CreateAccessKey(u.Name)
	if err != nil {
		return err
	}
	n := EnvName(u.Name)
	ts.Setenv("AWSEMU_KEY_ID_"+n, k.ID)
	ts.Setenv("AWSEMU_SECRET_"+n, k.Secret)
	ts.Setenv("AWSEMU_USER_ARN_"+n, u.ARN)
	return nil
}

func cmdMFA(ts *testscript.TestScript, s *awsemu.Server, args []string) error {
	if len(args) != 2 {
		return errors.New("usage: awsemu mfa USER DEVICE")
	}
	d, err := s.CreateMFADevice(args[0], args[1])
	if err != nil {
		return err
	}
	n := EnvName(args[1])
	ts.Setenv("AWSEMU_MFA_SERIAL_"+n, d.Serial)
	ts.Setenv("AWSEMU_MFA_SEED_"+n, totp.EncodeSeed(d.Seed))
	return nil
}

func cmdCode(ts *testscript.TestScript, s *awsemu.Server, args []string) error {
	if len(args) != 1 && len(args) != 2 {
		return errors.New("usage: awsemu code SERIAL [VAR]")
	}
	c, err := s.Code(args[0])
	if err != nil {
		return err
	}
	fmt.Fprintln(ts.Stdout(), c)
	if len(args) == 2 {
		ts.Setenv(args[1], c)
	}
	return nil
}

func cmdAdvance(ts *testscript.TestScript, s *awsemu.Server, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: awsemu advance DURATION")
	}
	d, err := time.ParseDuration(args[0])
	if err != nil {
		return fmt.Errorf("parsing duration: %w", err)
	}
	s.Clock().Advance(d)
	return nil
}

func cmdFreeze(ts *testscript.TestScript, s *awsemu.Server, args []string) error {
	if len(args) != 0 {
		return errors.New("usage: awsemu freeze")
	}
	s.Clock().Freeze()
	return nil
}

func cmdNextSeed(ts *testscript.TestScript, s *awsemu.Server, args []string) error {
	if len(args) != 0 {
		return errors.New("usage: awsemu next-seed")
	}
	seed, err := totp.NewSeed()
	if err != nil {
		return err
	}
	s.SetNextSeed(seed)
	ts.Setenv("AWSEMU_NEXT_SEED", totp.EncodeSeed(seed))
	return nil
}

func cmdTOTP(ts *testscript.TestScript, s *awsemu.Server, args []string) error {
	if len(args) != 2 && len(args) != 3 {
		return errors.New("usage: awsemu totp SEED VAR [OFFSET]")
	}
	seed, err := totp.DecodeSeed(args[0])
	if err != nil {
		return err
	}
	var off time.Duration
	if len(args) == 3 {
		if off, err = time.ParseDuration(args[2]); err != nil {
			return fmt.Errorf("parsing offset: %w", err)
		}
	}
	ts.Setenv(args[1], totp.Code(seed, s.Clock().Now().Add(off)))
	return nil
}

// expandFile reads a script file and expands $VAR and ${VAR} from the
// script's environment, keeping IAM policy variables like ${aws:username}.
func expandFile(ts *testscript.TestScript, name string) (string, error) {
	data, err := os.ReadFile(ts.MkAbs(name))
	if err != nil {
		return "", err
	}
	return os.Expand(string(data), func(v string) string {
		if strings.ContainsAny(v, ":/") {
			return "${" + v + "}"
		}
		return ts.Getenv(v)
	}), nil
}

func cmdRole(ts *testscript.TestScript, s *awsemu.Server, args []string) error {
	if len(args) != 2 && len(args) != 3 {
		return errors.New("usage: awsemu role NAME TRUSTFILE [MAX]")
	}
	var maxSession time.Duration
	if len(args) == 3 {
		d, err := time.ParseDuration(args[2])
		if err != nil {
			return fmt.Errorf("parsing max session duration: %w", err)
		}
		maxSession = d
	}
	trust, err := expandFile(ts, args[1])
	if err != nil {
		return err
	}
	r, err := s.CreateRole(args[0], trust, maxSession)
	if err != nil {
		return err
	}
	ts.Setenv("AWSEMU_ROLE_ARN_"+EnvName(r.Name), r.ARN)
	return nil
}

func cmdPolicy(ts *testscript.TestScript, s *awsemu.Server, args []string) error {
	if len(args) != 3 {
		return errors.New("usage: awsemu policy user|group|role NAME FILE")
	}
	doc, err := expandFile(ts, args[2])
	if err != nil {
		return err
	}
	name := strings.TrimSuffix(filepath.Base(args[2]), filepath.Ext(args[2]))
	switch args[0] {
	case "user":
		return s.PutUserPolicy(args[1], name, doc)
	case "role":
		return s.PutRolePolicy(args[1], name, doc)
	case "group":
		return s.PutGroupPolicy(args[1], name, doc)
	}
	return fmt.Errorf("policy target %q is not user, group or role", args[0])
}

func cmdGroup(ts *testscript.TestScript, s *awsemu.Server, args []string) error {
	if len(args) < 1 {
		return errors.New("usage: awsemu group NAME [USER...]")
	}
	g, err := s.CreateGroup(args[0], args[1:]...)
	if err != nil {
		return err
	}
	ts.Setenv("AWSEMU_GROUP_ARN_"+EnvName(g.Name), g.ARN)
	return nil
}

func cmdManaged(ts *testscript.TestScript, s *awsemu.Server, args []string) error {
	if len(args) != 2 {
		return errors.New("usage: awsemu managed NAME FILE")
	}
	doc, err := expandFile(ts, args[1])
	if err != nil {
		return err
	}
	arn, err := s.CreatePolicy(args[0], doc)
	if err != nil {
		return err
	}
	ts.Setenv("AWSEMU_POLICY_ARN_"+EnvName(args[0]), arn)
	return nil
}

func cmdAttach(ts *testscript.TestScript, s *awsemu.Server, args []string) error {
	if len(args) != 3 {
		return errors.New("usage: awsemu attach user|group|role NAME POLICYARN")
	}
	return s.AttachPolicy(args[0], args[1], args[2])
}

func cmdLog(ts *testscript.TestScript, s *awsemu.Server, args []string) error {
	if len(args) != 0 {
		return errors.New("usage: awsemu log")
	}
	for _, c := range s.CallLog() {
		fmt.Fprintln(ts.Stdout(), strings.TrimSpace(c.Action+" "+c.ErrorCode))
	}
	return nil
}

func cmdKeys(ts *testscript.TestScript, s *awsemu.Server, args []string) error {
	if len(args) != 1 && len(args) != 2 {
		return errors.New("usage: awsemu keys USER [VAR]")
	}
	keys, err := s.AccessKeys(args[0])
	if err != nil {
		return err
	}
	var newest awsemu.AccessKey
	for _, k := range keys {
		fmt.Fprintf(ts.Stdout(), "%s %s\n", k.ID, k.Status)
		if !k.Created.Before(newest.Created) {
			newest = k
		}
	}
	if len(args) == 2 {
		ts.Setenv(args[1], newest.ID)
	}
	return nil
}

func cmdSigner(ts *testscript.TestScript, s *awsemu.Server, args []string) error {
	if len(args) != 1 && len(args) != 2 {
		return errors.New("usage: awsemu signer ACTION [VAR]")
	}
	log := s.CallLog()
	for i := len(log) - 1; i >= 0; i-- {
		if log[i].Action == args[0] {
			fmt.Fprintln(ts.Stdout(), log[i].AccessKeyID)
			if len(args) == 2 {
				ts.Setenv(args[1], log[i].AccessKeyID)
			}
			return nil
		}
	}
	return fmt.Errorf("%s was never called", args[0])
}

func cmdLogins(ts *testscript.TestScript, s *awsemu.Server, args []string) error {
	if len(args) != 0 {
		return errors.New("usage: awsemu logins")
	}
	for _, l := range s.ConsoleLogins() {
		fmt.Fprintf(ts.Stdout(), "%s %s %s %s\n", l.SessionKeyID, l.Duration.Round(time.Minute), l.Destination, l.Issuer)
	}
	return nil
}

func (reg *registry) mutations(ts *testscript.TestScript, neg bool, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: awsemu mutations N")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		return fmt.Errorf("parsing count: %w", err)
	}
	calls := reg.server(ts).MutatingCalls()
	if (len(calls) == want) == neg {
		var names []string
		for _, c := range calls {
			names = append(names, c.Action)
		}
		if neg {
			return fmt.Errorf("%d mutating calls (%s), want any other count", len(calls), strings.Join(names, ", "))
		}
		return fmt.Errorf("%d mutating calls (%s), want %d", len(calls), strings.Join(names, ", "), want)
	}
	return nil
}

func (reg *registry) calls(ts *testscript.TestScript, neg bool, args []string) error {
	if len(args) != 2 {
		return errors.New("usage: awsemu calls ACTION N")
	}
	want, err := strconv.Atoi(args[1])
	if err != nil {
		return fmt.Errorf("parsing count: %w", err)
	}
	action := args[0]
	if action == "*" {
		action = ""
	}
	got := reg.server(ts).Calls(action)
	if (got == want) == neg {
		if neg {
			return fmt.Errorf("%s was called %d times, want any other count", args[0], got)
		}
		return fmt.Errorf("%s was called %d times, want %d", args[0], got, want)
	}
	return nil
}

func cmdFault(ts *testscript.TestScript, s *awsemu.Server, args []string) error {
	after := 0
	if len(args) >= 2 && args[0] == "-after" {
		n, err := strconv.Atoi(args[1])
		if err != nil || n < 0 {
			return fmt.Errorf("-after %q is not a count", args[1])
		}
		after, args = n, args[2:]
	}
	if len(args) != 3 && len(args) != 4 {
		return errors.New("usage: awsemu fault [-after K] ACTION KIND N [STALL]")
	}
	kind, err := awsemu.ParseFaultKind(args[1])
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(args[2])
	if err != nil || n < 1 {
		return fmt.Errorf("count %q is not a positive number", args[2])
	}
	f := awsemu.Fault{Kind: kind, After: after}
	if len(args) == 4 {
		if f.Stall, err = time.ParseDuration(args[3]); err != nil {
			return fmt.Errorf("parsing stall: %w", err)
		}
	}
	action := args[0]
	if action == "*" {
		action = ""
	}
	s.InjectFault(action, f, n)
	return nil
}

func cmdQuery(ts *testscript.TestScript, s *awsemu.Server, args []string) error {
	export := len(args) > 0 && args[0] == "-export"
	if export {
		args = args[1:]
	}
	if len(args) == 0 {
		return errors.New("usage: awsemu query [-export] ACTION [NAME=VALUE...]")
	}
	form := url.Values{"Action": {args[0]}}
	service, version := "iam", "2010-05-08"
	switch args[0] {
	case "GetCallerIdentity", "GetSessionToken", "AssumeRole", "GetFederationToken":
		service, version = "sts", "2011-06-15"
	case "DescribeRegions":
		service, version = "ec2", "2016-11-15"
	case "ListBuckets":
		service = "s3"
	}
	form.Set("Version", version)
	for _, kv := range args[1:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("parameter %q is not NAME=VALUE", kv)
		}
		form.Add(k, v)
	}
	method, body := http.MethodPost, form.Encode()
	if service == "s3" {
		method, body = http.MethodGet, ""
	}
	req, err := http.NewRequest(method, s.URL()+"/", strings.NewReader(body))
	if err != nil {
		return err
	}
	if service != "s3" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	}
	sum := sha256.Sum256([]byte(body))
	if service == "s3" {
		req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
	}
	cred := aws.Credentials{AccessKeyID: ts.Getenv("AWS_ACCESS_KEY_ID"), SecretAccessKey: ts.Getenv("AWS_SECRET_ACCESS_KEY"), SessionToken: ts.Getenv("AWS_SESSION_TOKEN")}
	// Sign with the emulator's clock, as a client that corrected its skew would.
	if err := v4.NewSigner().SignHTTP(context.Background(), cred, req, hex.EncodeToString(sum[:]), service, "us-east-1", s.Clock().Now()); err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	ts.Stdout().Write(out)
	fmt.Fprintln(ts.Stdout())
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered HTTP %d", args[0], resp.StatusCode)
	}
	if export {
		var c struct {
			ID     string `xml:"AccessKeyId"`
			Secret string `xml:"SecretAccessKey"`
			Token  string `xml:"SessionToken"`
		}
		if err := findCredentials(out, &c); err != nil {
			return err
		}
		ts.Setenv("AWS_ACCESS_KEY_ID", c.ID)
		ts.Setenv("AWS_SECRET_ACCESS_KEY", c.Secret)
		ts.Setenv("AWS_SESSION_TOKEN", c.Token)
	}
	return nil
}

// findCredentials decodes the first <Credentials> element of an answer.
func findCredentials(doc []byte, into any) error {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := dec.Token()
		if err != nil {
			return errors.New("the answer holds no Credentials")
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "Credentials" {
			return dec.DecodeElement(into, &se)
		}
	}
}
