package awsemu

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/awsmfa/awsmfa/internal/awsemu/policy"
	"github.com/awsmfa/awsmfa/internal/totp"
)

// ErrExists is returned by the control API when the entity already exists.
var ErrExists = errors.New("entity already exists")

// ErrNotFound is returned by the control API when a named entity is missing.
var ErrNotFound = errors.New("entity not found")

// ErrLimit is returned by the control API when an AWS quota would be exceeded.
var ErrLimit = errors.New("limit exceeded")

// CreateUser creates an IAM user without keys or policies.
func (s *Server) CreateUser(name string) (User, error) {
	if name == "" || len(name) > 64 || !validNameChars(name) {
		return User{}, fmt.Errorf("creating user %q: invalid name", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.Users[name] != nil {
		return User{}, fmt.Errorf("creating user %q: %w", name, ErrExists)
	}
	u, err := s.createUserLocked(name, "/")
	if err != nil {
		return User{}, fmt.Errorf("creating user %q: %w", name, err)
	}
	return User{Name: u.Name, ARN: u.ARN, ID: u.ID}, s.saveLocked()
}

// CreateAccessKey creates an active access key for user (at most two per user, as in AWS).
func (s *Server) CreateAccessKey(userName string) (Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.Users[userName] == nil {
		return Key{}, fmt.Errorf("creating access key for %q: %w", userName, ErrNotFound)
	}
	if len(s.st.userKeys(userName)) >= maxKeysPerUser {
		return Key{}, fmt.Errorf("creating access key for %q: %w", userName, ErrLimit)
	}
	k, err := s.createAccessKeyLocked(userName)
	if err != nil {
		return Key{}, fmt.Errorf("creating access key for %q: %w", userName, err)
	}
	return Key{ID: k.ID, Secret: k.Secret}, s.saveLocked()
}

// CreateMFADevice creates the virtual MFA device arn:aws:iam::ACCT:mfa/name
// and enables it for user, skipping the two-code dance of EnableMFADevice.
func (s *Server) CreateMFADevice(userName, name string) (MFADevice, error) {
	if name == "" || len(name) > 226 || !validNameChars(name) {
		return MFADevice{}, fmt.Errorf("creating MFA device %q: invalid name", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.Users[userName] == nil {
		return MFADevice{}, fmt.Errorf("creating MFA device for %q: %w", userName, ErrNotFound)
	}
	if s.st.MFA["arn:aws:iam::"+s.st.Account+":mfa/"+name] != nil {
		return MFADevice{}, fmt.Errorf("creating MFA device %q: %w", name, ErrExists)
	}
	d, err := s.createVirtualMFALocked(name, "/")
	if err != nil {
		return MFADevice{}, fmt.Errorf("creating MFA device %q: %w", name, err)
	}
	d.User, d.Enabled = userName, s.clock.Now()
	return MFADevice{Serial: d.Serial, Seed: append([]byte(nil), d.Seed...)}, s.saveLocked()
}

// Code returns the device's TOTP code at the emulator's clock.
func (s *Server) Code(serial string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.st.MFA[serial]
	if d == nil {
		return "", fmt.Errorf("computing code for %q: %w", serial, ErrNotFound)
	}
	return totp.Code(d.Seed, s.clock.Now()), nil
}

// CreateRole creates a role with the given trust policy. maxSession 0 means
// AWS's default of one hour; otherwise it must be 1 to 12 hours.
func (s *Server) CreateRole(name, trustPolicy string, maxSession time.Duration) (Role, error) {
	if name == "" || len(name) > 64 || !validNameChars(name) {
		return Role{}, fmt.Errorf("creating role %q: invalid name", name)
	}
	if maxSession == 0 {
		maxSession = time.Hour
	}
	if maxSession < time.Hour || maxSession > 12*time.Hour {
		return Role{}, fmt.Errorf("creating role %q: max session duration %v is not between 1h and 12h", name, maxSession)
	}
	if _, err := policy.Parse(trustPolicy); err != nil {
		return Role{}, fmt.Errorf("creating role %q: trust policy: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.Roles[name] != nil {
		return Role{}, fmt.Errorf("creating role %q: %w", name, ErrExists)
	}
	r, err := s.createRoleLocked(name, "/", trustPolicy, int(maxSession/time.Second))
	if err != nil {
		return Role{}, fmt.Errorf("creating role %q: %w", name, err)
	}
	return Role{Name: r.Name, ARN: r.ARN}, s.saveLocked()
}

// PutUserPolicy sets the user's inline policy called name.
func (s *Server) PutUserPolicy(userName, name, doc string) error {
	if _, err := policy.Parse(doc); err != nil {
		return fmt.Errorf("putting policy %q on user %q: %w", name, userName, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.Users[userName]
	if u == nil {
		return fmt.Errorf("putting policy %q on user %q: %w", name, userName, ErrNotFound)
	}
	u.Inline[name] = doc
	return s.saveLocked()
}

// PutRolePolicy sets the role's inline policy called name.
func (s *Server) PutRolePolicy(roleName, name, doc string) error {
	if _, err := policy.Parse(doc); err != nil {
		return fmt.Errorf("putting policy %q on role %q: %w", name, roleName, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.st.Roles[roleName]
	if r == nil {
		return fmt.Errorf("putting policy %q on role %q: %w", name, roleName, ErrNotFound)
	}
	r.Inline[name] = doc
	return s.saveLocked()
}

// ---- the same controls over HTTP ----

// controlPrefix is where the control API lives; AWS's query APIs only use "/".
const controlPrefix = "/_awsemu/"

// ControlTokenHeader carries the control token (also accepted as
// "Authorization: Bearer TOKEN").
const ControlTokenHeader = "X-Awsemu-Token"

type controlError struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func controlFail(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, controlError{Error: fmt.Sprintf(format, args...)})
}

// controlAllowed applies the local-server defences: no browser-borne
// requests (Origin or Referer present), a Host that is an IP literal or
// localhost (defeats DNS rebinding), and the control token, compared in
// constant time.
func (s *Server) controlAllowed(r *http.Request) (int, string) {
	if r.Header.Get("Origin") != "" || r.Header.Get("Referer") != "" {
		return http.StatusForbidden, "browser requests are refused"
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host != "localhost" && net.ParseIP(strings.Trim(host, "[]")) == nil {
		return http.StatusForbidden, "unexpected Host"
	}
	tok := r.Header.Get(ControlTokenHeader)
	if tok == "" {
		tok, _ = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	if subtle.ConstantTimeCompare([]byte(tok), []byte(s.token)) != 1 {
		return http.StatusUnauthorized, "missing or wrong control token"
	}
	return 0, ""
}

func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	if status, msg := s.controlAllowed(r); status != 0 {
		controlFail(w, status, "%s", msg)
		return
	}
	var in map[string]any
	if r.Method == http.MethodPost {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			controlFail(w, http.StatusBadRequest, "reading request body failed")
			return
		}
		if len(body) > 0 {
			if err := json.Unmarshal(body, &in); err != nil {
				controlFail(w, http.StatusBadRequest, "request body is not a JSON object")
				return
			}
		}
	} else if r.Method != http.MethodGet {
		controlFail(w, http.StatusMethodNotAllowed, "use GET or POST")
		return
	}
	str := func(k string) string {
		if v, ok := in[k].(string); ok {
			return v
		}
		return r.URL.Query().Get(k)
	}
	num := func(k string) int {
		if v, ok := in[k].(float64); ok {
			return int(v)
		}
		n, _ := strconv.Atoi(r.URL.Query().Get(k))
		return n
	}
	route := strings.TrimPrefix(r.URL.Path, controlPrefix)
	post := r.Method == http.MethodPost
	fail := func(err error) {
		status := http.StatusBadRequest
		switch {
		case errors.Is(err, ErrNotFound):
			status = http.StatusNotFound
		case errors.Is(err, ErrExists), errors.Is(err, ErrLimit):
			status = http.StatusConflict
		}
		controlFail(w, status, "%v", err)
	}
	switch {
	case route == "info" && !post:
		s.mu.Lock()
		acct, admin := s.st.Account, s.admin
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]string{"url": s.url, "account": acct, "adminAccessKeyId": admin.ID, "adminSecretAccessKey": admin.Secret})
	case route == "users" && post:
		u, err := s.CreateUser(str("name"))
		if err != nil {
			fail(err)
			return
		}
		k, err := s.CreateAccessKey(u.Name)
		if err != nil {
			fail(err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"name": u.Name, "arn": u.ARN, "id": u.ID, "accessKeyId": k.ID, "secretAccessKey": k.Secret})
	case route == "keys" && post:
		k, err := s.CreateAccessKey(str("user"))
		if err != nil {
			fail(err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"accessKeyId": k.ID, "secretAccessKey": k.Secret})
	case route == "mfa" && post:
		d, err := s.CreateMFADevice(str("user"), str("name"))
		if err != nil {
			fail(err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"serial": d.Serial, "seed": totp.EncodeSeed(d.Seed)})
	case route == "code" && !post:
		code, err := s.Code(str("serial"))
		if err != nil {
			fail(err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"code": code})
	case route == "clock":
		if post {
			if adv := str("advance"); adv != "" {
				d, err := time.ParseDuration(adv)
				if err != nil {
					controlFail(w, http.StatusBadRequest, "advance: not a duration")
					return
				}
				s.clock.Advance(d)
			}
			if set := str("set"); set != "" {
				t, err := time.Parse(time.RFC3339, set)
				if err != nil {
					controlFail(w, http.StatusBadRequest, "set: not an RFC 3339 time")
					return
				}
				s.clock.Set(t)
			}
		}
		writeJSON(w, http.StatusOK, map[string]string{"now": s.clock.Now().Format(time.RFC3339Nano)})
	case route == "fault" && post:
		kind, err := ParseFaultKind(str("kind"))
		if err != nil {
			fail(err)
			return
		}
		f := Fault{Kind: kind}
		if st := str("stall"); st != "" {
			d, err := time.ParseDuration(st)
			if err != nil {
				controlFail(w, http.StatusBadRequest, "stall: not a duration")
				return
			}
			f.Stall = d
		}
		n := num("n")
		if n <= 0 {
			n = 1
		}
		s.InjectFault(str("action"), f, n)
		writeJSON(w, http.StatusOK, map[string]any{"action": str("action"), "kind": kind.String(), "n": n})
	case route == "calls" && !post:
		action := str("action")
		type callJSON struct {
			Time        time.Time `json:"time"`
			Action      string    `json:"action"`
			AccessKeyID string    `json:"accessKeyId,omitempty"`
			ErrorCode   string    `json:"errorCode,omitempty"`
		}
		var list []callJSON
		for _, c := range s.CallLog() {
			if action == "" || c.Action == action {
				list = append(list, callJSON(c))
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"count": s.Calls(action), "calls": list})
	case route == "roles" && post:
		ro, err := s.CreateRole(str("name"), str("trustPolicy"), time.Duration(num("maxSessionDuration"))*time.Second)
		if err != nil {
			fail(err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"name": ro.Name, "arn": ro.ARN})
	case route == "policies" && post:
		var err error
		switch str("kind") {
		case "user":
			err = s.PutUserPolicy(str("name"), str("policyName"), str("document"))
		case "role":
			err = s.PutRolePolicy(str("name"), str("policyName"), str("document"))
		default:
			err = errors.New(`kind must be "user" or "role"`)
		}
		if err != nil {
			fail(err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"kind": str("kind"), "name": str("name"), "policyName": str("policyName")})
	default:
		controlFail(w, http.StatusNotFound, "no control endpoint %s %s", r.Method, clip(r.URL.Path, 64))
	}
}
