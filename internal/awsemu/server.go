// Package awsemu is an in-process emulator of the AWS STS and IAM query APIs
// with AWS's MFA semantics: SigV4 verification against each key's secret,
// RFC 6238 codes accepted once per device, role trust policies and identity
// policies (a user's own, its groups', customer and AWS managed) evaluated
// with the MFA condition keys, AWS's duration limits and AWS's exact error
// codes and messages. It also answers the seed articles' two "test it out"
// probes, S3 ListBuckets and EC2 DescribeRegions, with static data behind
// the same identity-policy evaluation and those services' own errors.
//
// It exists because no AWS account is reachable from tests and moto_server
// accepts any MFA code. Tests drive it through the Go API of Server, through
// the JSON control endpoints under /_awsemu/ (cmd/awsemu), or through the
// testscript commands of package emutest. The call log (CallLog,
// MutatingCalls) and injected faults (InjectFault) let tests count and break
// calls one action at a time.
package awsemu

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DefaultAccountID is the account the emulator serves unless told otherwise.
const DefaultAccountID = "123456789012"

// AdminUserName is the bootstrap user, holding an Allow * * policy and a key.
const AdminUserName = "admin"

// maxBody bounds request bodies; AWS's query APIs never need more.
const maxBody = 1 << 20

// Options configure Start. The zero value serves account DefaultAccountID on
// a random loopback port, with the real time and no persistence.
type Options struct {
	// Addr is the listen address, default "127.0.0.1:0".
	Addr string
	// AccountID is the 12-digit account, default DefaultAccountID. Ignored
	// when StateFile already holds a state.
	AccountID string
	// Clock is the emulator's time source, default the real time.
	Clock *Clock
	// StateFile, when set, is loaded at start (if it exists) and rewritten
	// (0600, atomically) after every change and at Close.
	StateFile string
	// Logf, when set, receives one line per request (never a secret).
	Logf func(format string, args ...any)
}

// Key is an access key pair.
type Key struct {
	ID     string
	Secret string
}

// User is an IAM user.
type User struct {
	Name string
	ARN  string
	ID   string
}

// MFADevice is an enabled virtual MFA device and its TOTP seed.
type MFADevice struct {
	Serial string
	Seed   []byte
}

// Role is an IAM role.
type Role struct {
	Name string
	ARN  string
}

// Call is one request the emulator answered (or failed on purpose).
type Call struct {
	Time        time.Time
	Action      string
	AccessKeyID string
	// ErrorCode is the AWS error code answered, empty on success.
	ErrorCode string
}

// FaultKind selects how an injected fault breaks a call.
type FaultKind int

// Fault kinds.
const (
	// Throttle answers 400 Throttling "Rate exceeded".
	Throttle FaultKind = iota + 1
	// ServerError answers 500 ServiceFailure.
	ServerError
	// Stall waits Fault.Stall (or until the client or server gives up), then
	// answers normally.
	Stall
	// Reset closes the TCP connection abruptly (RST) without answering.
	Reset
	// AccessDeniedFault answers AccessDenied (403) in AWS's phrasing for
	// the caller and action, as if a policy denied it: not retryable, so a
	// client fails on the first attempt. EC2 and S3 answer their own codes.
	AccessDeniedFault
	// InvalidTokenFault answers InvalidClientTokenId (403), as AWS does for
	// a key IAM has created but STS does not know yet (IAM is eventually
	// consistent): the first calls with a brand-new key fail this way.
	InvalidTokenFault
)

// String returns the kind's name as used by the control API.
func (k FaultKind) String() string {
	switch k {
	case Throttle:
		return "throttle"
	case ServerError:
		return "server-error"
	case Stall:
		return "stall"
	case Reset:
		return "reset"
	case AccessDeniedFault:
		return "access-denied"
	case InvalidTokenFault:
		return "invalid-token"
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// ParseFaultKind is the inverse of FaultKind.String.
func ParseFaultKind(s string) (FaultKind, error) {
	for k := Throttle; k <= InvalidTokenFault; k++ {
		if strings.EqualFold(s, k.String()) {
			return k, nil
		}
	}
	return 0, fmt.Errorf("unknown fault kind %q (want throttle, server-error, stall, reset, access-denied or invalid-token)", s)
}

// Fault is an injected failure.
type Fault struct {
	Kind  FaultKind
	Stall time.Duration
	// After lets that many matching calls through before the fault
	// applies: After 2 with n 1 breaks the third call of the action.
	After int
}

type faultRule struct {
	action string
	fault  Fault
	skip   int
	left   int
}

// Server is a running emulator. All methods are safe for concurrent use.
type Server struct {
	opts  Options
	clock *Clock
	// nextSeed, when set, is the seed of the next virtual MFA device
	// created (see SetNextSeed).
	nextSeed []byte
	ln       net.Listener
	http     *http.Server
	url      string
	token    string
	ctx      context.Context
	cancel   context.CancelFunc
	served   chan struct{}
	// awsPolicies are the AWS managed policies, keyed by ARN; read-only.
	awsPolicies map[string]*managedPolicy

	mu     sync.Mutex // guards everything below
	st     *state
	admin  Key
	calls  map[string]int
	log    []Call
	faults []faultRule
	closed bool
	// signin and logins are the federation endpoint's sign-in tokens and
	// successful console logins; not part of the saved state.
	signin map[string]signinGrant
	logins []ConsoleLogin
}

// Start listens on o.Addr and serves the emulator until Close. ctx bounds
// only the start-up (loading the state file).
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.AccountID == "" {
		o.AccountID = DefaultAccountID
	}
	if !validAccountID(o.AccountID) {
		return nil, fmt.Errorf("starting emulator: account id %q is not 12 digits", o.AccountID)
	}
	clock := o.Clock
	if clock == nil {
		clock = realClock()
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("starting emulator: %w", err)
	}
	s := &Server{opts: o, clock: clock, calls: map[string]int{}, awsPolicies: awsManagedPolicies()}
	if o.StateFile != "" {
		st, err := loadState(o.StateFile)
		if err != nil {
			return nil, err
		}
		s.st = st
	}
	if s.st == nil {
		s.st = newState(o.AccountID)
	}
	if err := s.bootstrap(); err != nil {
		return nil, err
	}
	tok, err := randomString(secretAlphabet[:62], 32)
	if err != nil {
		return nil, err
	}
	s.token = tok
	if err := s.saveLocked(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %q: %w", o.Addr, err)
	}
	s.ln = ln
	s.url = "http://" + ln.Addr().String()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return s.ctx },
	}
	s.served = make(chan struct{})
	go func() {
		defer close(s.served)
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logf("awsemu: serving: %v", err)
		}
	}()
	return s, nil
}

// bootstrap creates the admin user, its Allow * * policy and a key, unless a
// loaded state has them; it records the admin key either way.
func (s *Server) bootstrap() error {
	st := s.st
	if st.Admin == "" {
		st.Admin = AdminUserName
	}
	u := st.Users[st.Admin]
	if u == nil {
		var err error
		u, err = s.createUserLocked(st.Admin, "/")
		if err != nil {
			return err
		}
		u.Inline["AdministratorAccess"] = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	}
	for _, id := range sortedKeys(st.Keys) {
		if k := st.Keys[id]; k.User == u.Name && k.Status == "Active" {
			s.admin = Key{ID: k.ID, Secret: k.Secret}
			return nil
		}
	}
	k, err := s.createAccessKeyLocked(u.Name)
	if err != nil {
		return err
	}
	s.admin = Key{ID: k.ID, Secret: k.Secret}
	return nil
}

// URL is the endpoint to give clients (AWS_ENDPOINT_URL), without a trailing slash.
func (s *Server) URL() string { return s.url }

// ControlToken is the secret the /_awsemu/ control endpoints require.
func (s *Server) ControlToken() string { return s.token }

// AdminKey is the bootstrap admin's access key.
func (s *Server) AdminKey() Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.admin
}

// AccountID is the emulated account.
func (s *Server) AccountID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.Account
}

// SetNextSeed makes seed the TOTP seed of the next virtual MFA device
// created, by CreateVirtualMFADevice or CreateMFADevice, so that a test knows
// the codes of a device a program under test enrolls.
func (s *Server) SetNextSeed(seed []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextSeed = append([]byte(nil), seed...)
}

// Clock is the emulator's clock; advancing it ages sessions and MFA codes.
func (s *Server) Clock() *Clock { return s.clock }

// Close stops the listener, ends stalled and in-flight requests, waits for the
// serving goroutines and writes the state file a last time.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.http.Shutdown(ctx)
	if err != nil {
		err = s.http.Close()
	}
	<-s.served
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(err, s.saveLocked())
}

// Calls counts the requests made for action ("" counts all), including
// failed and faulted ones.
func (s *Server) Calls(action string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if action == "" {
		return len(s.log)
	}
	return s.calls[action]
}

// CallLog returns every call so far, oldest first.
func (s *Server) CallLog() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.log...)
}

// InjectFault makes the next n calls of action ("" = any action) fail with
// f, after letting f.After of them through. Rules are consumed in the order
// they were injected; a rule still skipping lets the call through to later
// rules.
func (s *Server) InjectFault(action string, f Fault, n int) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, faultRule{action: action, fault: f, skip: max(f.After, 0), left: n})
}

func (s *Server) takeFaultLocked(action string) (Fault, bool) {
	for i := range s.faults {
		r := &s.faults[i]
		if r.left > 0 && (r.action == "" || r.action == action) {
			if r.skip > 0 {
				r.skip--
				continue
			}
			r.left--
			f := r.fault
			if r.left == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			return f, true
		}
	}
	return Fault{}, false
}

// injectedDenialLocked is the AccessDenied an AccessDeniedFault answers:
// AWS's phrasing, naming the caller the key id claims (unverified).
func (s *Server) injectedDenialLocked(keyID string, spec actionSpec, action string) *apiError {
	who := "arn:aws:iam::" + s.st.Account + ":user/unknown"
	if k := s.st.Keys[keyID]; k != nil {
		if u := s.st.Users[k.User]; u != nil {
			who = u.ARN
		}
	} else if sess := s.st.Sessions[keyID]; sess != nil {
		if p, aerr := s.sessionPrincipalLocked(sess, keyID); aerr == nil {
			who = p.ARN
		}
	}
	full := spec.service + ":" + action
	if spec.policyAction != "" {
		full = spec.policyAction
	}
	return accessDenied("User: %s is not authorized to perform: %s with an explicit deny in an identity-based policy", who, full)
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

// saveLocked writes the state file, if any. Called with s.mu held so that
// writes happen in the order of the changes they record.
func (s *Server) saveLocked() error {
	if s.opts.StateFile == "" {
		return nil
	}
	data, err := s.st.encode()
	if err != nil {
		return err
	}
	if err := writeStateFile(s.opts.StateFile, data); err != nil {
		return fmt.Errorf("saving state: %w", err)
	}
	return nil
}

func newRequestID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "00000000-0000-4000-8000-000000000000"
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ServeHTTP answers AWS requests on any path but /_awsemu/, which is the
// control API. The service named in the SigV4 credential scope picks the
// protocol, as AWS's endpoints are per service: "s3" is S3's REST protocol,
// "ec2" EC2's query dialect, anything else (and unsigned requests) the
// STS/IAM query protocol.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, controlPrefix) {
		s.serveControl(w, r)
		return
	}
	if r.URL.Path == FederationPath {
		s.serveFederation(w, r)
		return
	}
	switch scopeService(r) {
	case "s3":
		s.serve(w, r, s3Protocol{})
	case "ec2":
		s.serve(w, r, ec2Protocol{})
	default:
		s.serve(w, r, queryProtocol{})
	}
}

// protocol is how one family of AWS endpoints reads requests and writes
// answers.
type protocol interface {
	// parse reads the request body and parameters and names the action.
	// On error, action and spec may be partly known (for the log and the
	// error's shape).
	parse(w http.ResponseWriter, r *http.Request) (body []byte, params url.Values, action string, spec actionSpec, aerr *apiError)
	// translate turns an error of the emulator's common vocabulary (the
	// STS/IAM codes) into the service's own code and message.
	translate(e *apiError) *apiError
	// write answers result (aerr == nil) or the translated error, in the
	// service's shape.
	write(w http.ResponseWriter, reqID, action string, spec actionSpec, result any, aerr *apiError)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, proto protocol) {
	now := s.clock.Now()
	reqID := newRequestID()
	w.Header().Set("Date", now.Format(http.TimeFormat))
	w.Header().Set("X-Amzn-RequestId", reqID)

	body, params, action, spec, aerr := proto.parse(w, r)
	if aerr != nil {
		aerr = proto.translate(aerr)
		s.record(Call{Time: now, Action: clip(action, 64), ErrorCode: aerr.Code})
		proto.write(w, reqID, action, spec, nil, aerr)
		return
	}
	keyID := claimedKeyID(r)
	s.mu.Lock()
	s.calls[action]++
	fault, faulted := s.takeFaultLocked(action)
	var faultErr *apiError
	if faulted && fault.Kind == AccessDeniedFault {
		faultErr = s.injectedDenialLocked(keyID, spec, action)
	}
	s.mu.Unlock()
	logged := Call{Time: now, Action: action, AccessKeyID: keyID}
	if faulted {
		switch fault.Kind {
		case Throttle:
			faultErr = throttling()
		case ServerError:
			faultErr = serviceFailure()
		case InvalidTokenFault:
			faultErr = invalidClientTokenID()
		case Reset:
			logged.ErrorCode = "ConnectionReset"
			s.appendLog(logged)
			resetConnection(w)
			return
		case Stall:
			t := time.NewTimer(fault.Stall)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				logged.ErrorCode = "RequestCanceled"
				s.appendLog(logged)
				return
			}
			now = s.clock.Now()
		}
		if faultErr != nil {
			s.finish(w, proto, reqID, logged, spec, faultErr)
			return
		}
	}

	c := &call{s: s, r: r, params: params, action: action, service: spec.service, policyAction: spec.policyAction, now: now}
	result, aerr := s.run(c, body, spec)
	if aerr != nil {
		s.finish(w, proto, reqID, logged, spec, aerr)
		return
	}
	s.appendLog(logged)
	proto.write(w, reqID, action, spec, result, nil)
}

// run authenticates the caller and executes the action under the state lock.
func (s *Server) run(c *call, body []byte, spec actionSpec) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, aerr := s.authenticateLocked(c.r, body, c.now)
	if aerr != nil {
		return nil, aerr
	}
	c.caller = p
	s.st.pruneSessions(c.now)
	result, aerr := spec.fn(c)
	if aerr != nil {
		return nil, aerr
	}
	if c.dirty {
		if err := s.saveLocked(); err != nil {
			s.logf("awsemu: %v", err)
			return nil, serviceFailure()
		}
	}
	return result, nil
}

func (s *Server) finish(w http.ResponseWriter, proto protocol, reqID string, c Call, spec actionSpec, e *apiError) {
	e = proto.translate(e)
	c.ErrorCode = e.Code
	s.appendLog(c)
	proto.write(w, reqID, c.Action, spec, nil, e)
}

func (s *Server) record(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[c.Action]++
	s.log = append(s.log, c)
	s.logf("awsemu: %s %s %s", c.Action, c.AccessKeyID, c.ErrorCode)
}

func (s *Server) appendLog(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, c)
	s.logf("awsemu: %s %s %s", c.Action, c.AccessKeyID, c.ErrorCode)
}

// resetConnection closes the client's TCP connection with SO_LINGER 0, so the
// client sees a reset rather than a clean end of stream.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// readParams reads the form parameters of a query-protocol request: the URL
// query merged with a form-encoded body (POST), as AWS accepts both.
func readParams(w http.ResponseWriter, r *http.Request) ([]byte, url.Values, *apiError) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, nil, validationError("Request body is larger than %d bytes", maxBody)
		}
		return nil, nil, validationError("Request body could not be read")
	}
	params, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, nil, errorf(http.StatusBadRequest, "MalformedQueryString", "The query string is malformed")
	}
	if r.Method == http.MethodPost && len(body) > 0 {
		ct := r.Header.Get("Content-Type")
		if ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") {
			return nil, nil, errorf(http.StatusBadRequest, "InvalidParameterValue", "Unsupported content type; the query protocol takes application/x-www-form-urlencoded")
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, nil, errorf(http.StatusBadRequest, "MalformedQueryString", "The request body is not a valid form encoding")
		}
		for k, v := range form {
			params[k] = append(params[k], v...)
		}
	} else if r.Method != http.MethodPost && r.Method != http.MethodGet {
		return nil, nil, errorf(http.StatusBadRequest, "InvalidAction", "Unsupported HTTP method %s", clip(r.Method, 16))
	}
	return body, params, nil
}

// claimedKeyID is the access key id a request claims to be signed with, for
// the call log; it is not authenticated yet.
func claimedKeyID(r *http.Request) string {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if auth := r.Header.Get("Authorization"); auth != "" {
		if _, after, ok := strings.Cut(auth, "Credential="); ok {
			cred = after
		}
	}
	id, _, _ := strings.Cut(cred, "/")
	return clip(id, 32)
}

// clip shortens client-supplied text before it is echoed in an error or log.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

func validAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
