package awsemu

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
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
	return s.CodeAhead(serial, 0)
}

// CodeAhead returns the code that device serial shows steps 30-second windows
// from now (0 is the current code), as an authenticator app would show it
// after waiting; it lets a script enable a device with two consecutive codes
// without waiting for the second.
func (s *Server) CodeAhead(serial string, steps int) (string, error) {
	if steps < 0 || steps > 10 {
		return "", fmt.Errorf("computing code for %q: %d steps ahead is outside 0 to 10", serial, steps)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.st.MFA[serial]
	if d == nil {
		return "", fmt.Errorf("computing code for %q: %w", serial, ErrNotFound)
	}
	return totp.CodeAt(d.Seed, totp.Step(s.clock.Now())+int64(steps)), nil
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

// Group is an IAM group.
type Group struct {
	Name string
	ARN  string
}

// CreateGroup creates an IAM group with the given members.
func (s *Server) CreateGroup(name string, members ...string) (Group, error) {
	if name == "" || len(name) > 128 || !validNameChars(name) {
		return Group{}, fmt.Errorf("creating group %q: invalid name", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.Groups[name] != nil {
		return Group{}, fmt.Errorf("creating group %q: %w", name, ErrExists)
	}
	for _, m := range members {
		if s.st.Users[m] == nil {
			return Group{}, fmt.Errorf("adding user %q to group %q: %w", m, name, ErrNotFound)
		}
	}
	g, err := s.createGroupLocked(name, "/")
	if err != nil {
		return Group{}, fmt.Errorf("creating group %q: %w", name, err)
	}
	for _, m := range members {
		if !slices.Contains(g.Members, m) {
			g.Members = append(g.Members, m)
		}
	}
	slices.Sort(g.Members)
	return Group{Name: g.Name, ARN: g.ARN}, s.saveLocked()
}

// PutGroupPolicy sets the group's inline policy called name.
func (s *Server) PutGroupPolicy(groupName, name, doc string) error {
	if _, err := policy.Parse(doc); err != nil {
		return fmt.Errorf("putting policy %q on group %q: %w", name, groupName, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.st.Groups[groupName]
	if g == nil {
		return fmt.Errorf("putting policy %q on group %q: %w", name, groupName, ErrNotFound)
	}
	g.Inline[name] = doc
	return s.saveLocked()
}

// CreatePolicy creates a customer managed policy and returns its ARN.
func (s *Server) CreatePolicy(name, doc string) (string, error) {
	if name == "" || len(name) > 128 || !validNameChars(name) {
		return "", fmt.Errorf("creating policy %q: invalid name", name)
	}
	if _, err := policy.Parse(doc); err != nil {
		return "", fmt.Errorf("creating policy %q: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	arn := "arn:aws:iam::" + s.st.Account + ":policy/" + name
	if s.st.Policies[arn] != nil {
		return "", fmt.Errorf("creating policy %q: %w", name, ErrExists)
	}
	id, err := s.st.newID("ANPA")
	if err != nil {
		return "", fmt.Errorf("creating policy %q: %w", name, err)
	}
	s.st.Policies[arn] = &managedPolicy{Name: name, ID: id, ARN: arn, Path: "/", Document: doc, Created: s.clock.Now()}
	return arn, s.saveLocked()
}

// AttachPolicy attaches the managed policy policyARN (customer or AWS
// managed, such as arn:aws:iam::aws:policy/ReadOnlyAccess) to the user,
// group or role name; kind is "user", "group" or "role".
func (s *Server) AttachPolicy(kind, name, policyARN string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.policyLocked(policyARN) == nil {
		return fmt.Errorf("attaching policy %q: %w", policyARN, ErrNotFound)
	}
	var list *[]string
	switch kind {
	case "user":
		if u := s.st.Users[name]; u != nil {
			list = &u.Attached
		}
	case "group":
		if g := s.st.Groups[name]; g != nil {
			list = &g.Attached
		}
	case "role":
		if r := s.st.Roles[name]; r != nil {
			list = &r.Attached
		}
	default:
		return fmt.Errorf("attaching policy to %s %q: kind must be user, group or role", kind, name)
	}
	if list == nil {
		return fmt.Errorf("attaching policy to %s %q: %w", kind, name, ErrNotFound)
	}
	if slices.Contains(*list, policyARN) {
		return nil
	}
	if len(*list) >= maxAttachedPolicies {
		return fmt.Errorf("attaching policy to %s %q: %w", kind, name, ErrLimit)
	}
	*list = append(*list, policyARN)
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
	strs := func(k string) []string {
		var out []string
		if vs, ok := in[k].([]any); ok {
			for _, v := range vs {
				if str, ok := v.(string); ok {
					out = append(out, str)
				}
			}
			return out
		}
		return r.URL.Query()[k]
	}
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
		code, err := s.CodeAhead(str("serial"), num("ahead"))
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
		f.After = max(num("after"), 0)
		n := num("n")
		if n <= 0 {
			n = 1
		}
		s.InjectFault(str("action"), f, n)
		writeJSON(w, http.StatusOK, map[string]any{"action": str("action"), "kind": kind.String(), "n": n, "after": f.After})
	case route == "calls" && !post:
		action := str("action")
		type callJSON struct {
			Time        time.Time `json:"time"`
			Action      string    `json:"action"`
			AccessKeyID string    `json:"accessKeyId,omitempty"`
			ErrorCode   string    `json:"errorCode,omitempty"`
			Mutating    bool      `json:"mutating"`
		}
		var list []callJSON
		mutating := 0
		for _, c := range s.CallLog() {
			if c.Mutating() {
				mutating++
			}
			if action == "" || c.Action == action {
				list = append(list, callJSON{Time: c.Time, Action: c.Action, AccessKeyID: c.AccessKeyID, ErrorCode: c.ErrorCode, Mutating: c.Mutating()})
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"count": s.Calls(action), "mutatingCount": mutating, "calls": list})
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
		case "group":
			err = s.PutGroupPolicy(str("name"), str("policyName"), str("document"))
		default:
			err = errors.New(`kind must be "user", "group" or "role"`)
		}
		if err != nil {
			fail(err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"kind": str("kind"), "name": str("name"), "policyName": str("policyName")})
	case route == "groups" && post:
		g, err := s.CreateGroup(str("name"), strs("members")...)
		if err != nil {
			fail(err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"name": g.Name, "arn": g.ARN})
	case route == "managed-policies" && post:
		arn, err := s.CreatePolicy(str("name"), str("document"))
		if err != nil {
			fail(err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"name": str("name"), "arn": arn})
	case route == "attachments" && post:
		if err := s.AttachPolicy(str("kind"), str("name"), str("policyArn")); err != nil {
			fail(err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"kind": str("kind"), "name": str("name"), "policyArn": str("policyArn")})
	default:
		controlFail(w, http.StatusNotFound, "no control endpoint %s %s", r.Method, clip(r.URL.Path, 64))
	}
}

// AccessKey describes one access key of a user, without its secret.
type AccessKey struct {
	ID      string
	Status  string
	Created time.Time
}

// AccessKeys lists user's access keys, sorted by id.
func (s *Server) AccessKeys(userName string) ([]AccessKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.Users[userName] == nil {
		return nil, fmt.Errorf("listing access keys of %q: %w", userName, ErrNotFound)
	}
	var out []AccessKey
	for _, k := range s.st.userKeys(userName) {
		out = append(out, AccessKey{ID: k.ID, Status: k.Status, Created: k.Created})
	}
	return out, nil
}
