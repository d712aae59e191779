package awsemu

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/awsmfa/awsmfa/internal/awsemu/policy"
)

// principal is the authenticated caller of one request.
type principal struct {
	ARN    string
	UserID string
	KeyID  string
	Kind   string   // "user" or one of the session kinds
	User   *user    // the IAM user behind the call, nil for role sessions
	Role   *role    // assumed-role sessions
	Sess   *session // nil for long-term keys
}

const kindUser = "user"

// call is the per-request context handed to action handlers.
type call struct {
	s       *Server
	r       *http.Request
	params  url.Values
	action  string
	service string
	// policyAction overrides service:action as the IAM action authorized.
	policyAction string
	now          time.Time
	caller       *principal
	dirty        bool // state changed; save it
}

// authenticateLocked verifies the request's SigV4 signature against the
// claimed key's secret and resolves the caller, in AWS's order: unknown key,
// clock skew, signature, session token, expiry.
func (s *Server) authenticateLocked(r *http.Request, body []byte, now time.Time) (*principal, *apiError) {
	sr, aerr := parseSignature(r)
	if aerr != nil {
		return nil, aerr
	}
	st := s.st
	var secret string
	var sess *session
	var u *user
	if k := st.Keys[sr.KeyID]; k != nil {
		if k.Status != "Active" {
			return nil, invalidClientTokenID()
		}
		u = st.Users[k.User]
		secret = k.Secret
	} else if ss := st.Sessions[sr.KeyID]; ss != nil {
		sess = ss
		secret = ss.Secret
	} else {
		return nil, invalidClientTokenID()
	}
	if aerr := sr.checkTime(now); aerr != nil {
		return nil, aerr
	}
	if !sr.verify(r, body, secret) {
		return nil, signatureDoesNotMatch(signatureMismatchMessage)
	}
	if sess == nil {
		if u == nil {
			return nil, invalidClientTokenID()
		}
		k := st.Keys[sr.KeyID]
		k.LastUsed, k.LastService, k.LastRegion = now, sr.Service, sr.Region
		return &principal{ARN: u.ARN, UserID: u.ID, KeyID: sr.KeyID, Kind: kindUser, User: u}, nil
	}
	if subtle.ConstantTimeCompare([]byte(sr.Token), []byte(sess.Token)) != 1 {
		return nil, invalidClientTokenID()
	}
	if !now.Before(sess.Expires) {
		return nil, expiredToken()
	}
	return s.sessionPrincipalLocked(sess, sr.KeyID)
}

// sessionPrincipalLocked resolves a session to its caller identity. A session
// whose user or role has since been deleted is no longer valid.
func (s *Server) sessionPrincipalLocked(sess *session, keyID string) (*principal, *apiError) {
	st := s.st
	p := &principal{KeyID: keyID, Kind: sess.Kind, Sess: sess}
	if sess.User != "" {
		p.User = st.Users[sess.User]
	}
	switch sess.Kind {
	case kindSessionToken:
		if p.User == nil {
			return nil, invalidClientTokenID()
		}
		p.ARN, p.UserID = p.User.ARN, p.User.ID
	case kindAssumedRole:
		p.Role = st.Roles[sess.Role]
		if p.Role == nil {
			return nil, invalidClientTokenID()
		}
		p.ARN = "arn:aws:sts::" + st.Account + ":assumed-role/" + p.Role.Name + "/" + sess.Name
		p.UserID = p.Role.ID + ":" + sess.Name
	case kindFederated:
		if p.User == nil {
			return nil, invalidClientTokenID()
		}
		p.ARN = "arn:aws:sts::" + st.Account + ":federated-user/" + sess.Name
		p.UserID = st.Account + ":" + sess.Name
	default:
		return nil, invalidClientTokenID()
	}
	return p, nil
}

// principalARN is the ARN policies see as aws:PrincipalArn: for role sessions
// the role, otherwise the caller.
func (p *principal) principalARN() string {
	if p.Role != nil {
		return p.Role.ARN
	}
	return p.ARN
}

// mfaContext adds the MFA condition keys as AWS sets them: absent for
// long-term keys, "false" for sessions made without MFA, "true" plus the age
// in seconds for sessions descending from an MFA authentication.
func (p *principal) mfaContext(ctx map[string][]string, now time.Time) {
	if p.Sess == nil {
		return
	}
	if !p.Sess.MFA {
		ctx["aws:MultiFactorAuthPresent"] = []string{"false"}
		return
	}
	ctx["aws:MultiFactorAuthPresent"] = []string{"true"}
	age := int64(now.Sub(p.Sess.MFATime) / time.Second)
	if age < 0 {
		age = 0
	}
	ctx["aws:MultiFactorAuthAge"] = []string{strconv.FormatInt(age, 10)}
}

// requestContext builds the global condition keys of a request by p.
func (s *Server) requestContext(p *principal, now time.Time) map[string][]string {
	ctx := map[string][]string{
		"aws:PrincipalArn":     {p.principalARN()},
		"aws:PrincipalAccount": {s.st.Account},
		"aws:userid":           {p.UserID},
		"aws:CurrentTime":      {awsTime(now)},
		"aws:EpochTime":        {strconv.FormatInt(now.Unix(), 10)},
		"aws:SecureTransport":  {"false"},
	}
	switch p.Kind {
	case kindUser, kindSessionToken:
		ctx["aws:username"] = []string{p.User.Name}
		ctx["aws:PrincipalType"] = []string{"User"}
	case kindAssumedRole:
		ctx["aws:PrincipalType"] = []string{"AssumedRole"}
	case kindFederated:
		ctx["aws:PrincipalType"] = []string{"FederatedUser"}
	}
	if p.Sess != nil {
		ctx["aws:TokenIssueTime"] = []string{awsTime(p.Sess.Created)}
	}
	p.mfaContext(ctx, now)
	return ctx
}

// policySource names one identity policy for SimulatePrincipalPolicy.
type policySource struct {
	ID   string // inline policy name or managed policy ARN
	Type string // AWS PolicySourceType: user, group, role, user-managed, aws-managed
	Doc  string
}

// identityPoliciesLocked returns the identity policies of a user, group or
// role: its inline ones (of source type inlineType), then its attached ones.
func (s *Server) identityPoliciesLocked(inline map[string]string, attached []string, inlineType string) []policySource {
	var out []policySource
	for _, name := range sortedKeys(inline) {
		out = append(out, policySource{ID: name, Type: inlineType, Doc: inline[name]})
	}
	for _, arn := range attached {
		if mp := s.policyLocked(arn); mp != nil {
			typ := "user-managed"
			if mp.AWS {
				typ = "aws-managed"
			}
			out = append(out, policySource{ID: arn, Type: typ, Doc: mp.Document})
		}
	}
	return out
}

// userPoliciesLocked returns the policies that apply to a user: its own and
// those of every group it belongs to, as AWS evaluates them.
func (s *Server) userPoliciesLocked(u *user) []policySource {
	out := s.identityPoliciesLocked(u.Inline, u.Attached, "user")
	for _, g := range s.st.userGroups(u.Name) {
		out = append(out, s.identityPoliciesLocked(g.Inline, g.Attached, "group")...)
	}
	return out
}

func (s *Server) principalPoliciesLocked(p *principal) []policySource {
	if p.Role != nil {
		return s.identityPoliciesLocked(p.Role.Inline, p.Role.Attached, "role")
	}
	if p.User != nil {
		return s.userPoliciesLocked(p.User)
	}
	return nil
}

// parseSources parses stored documents; they were validated when stored, so a
// failure (a policy package change) only drops that document.
func parseSources(srcs []policySource) []*policy.Document {
	docs := make([]*policy.Document, 0, len(srcs))
	for _, src := range srcs {
		d, err := policy.Parse(src.Doc)
		if err != nil {
			continue
		}
		docs = append(docs, d)
	}
	return docs
}

// authorize decides whether the caller may perform service:action on
// resource, applying first the restrictions AWS puts on temporary credentials
// and then the caller's identity policies.
func (c *call) authorize(resource string) *apiError {
	return c.authorizeWith(resource, nil)
}

// authorizeWith is authorize with extra condition keys (such as those of an
// MFA code presented in the call itself) overriding the request's own.
func (c *call) authorizeWith(resource string, extra map[string][]string) *apiError {
	p := c.caller
	full := c.service + ":" + c.action
	if c.policyAction != "" {
		full = c.policyAction
	}
	if c.action == "GetCallerIdentity" {
		return nil
	}
	if p.Sess != nil {
		switch c.action {
		case "GetSessionToken":
			return accessDenied("Cannot call GetSessionToken with session credentials")
		case "GetFederationToken":
			return accessDenied("Cannot call GetFederationToken with session credentials")
		}
		switch p.Kind {
		case kindSessionToken:
			if c.service == "sts" && c.action != "AssumeRole" {
				return c.denied(full, resource, "")
			}
			if c.service == "iam" && !p.Sess.MFA {
				return invalidClientTokenID()
			}
		case kindFederated:
			if c.service == "iam" {
				return c.denied(full, resource, "")
			}
			if c.service == "sts" {
				return c.denied(full, resource, "")
			}
		}
	} else if c.action == "GetSessionToken" {
		return nil
	}
	req := policy.Request{Principal: p.ARN, Action: full, Resource: resource, Context: c.s.requestContext(p, c.now)}
	for k, v := range extra {
		req.Context[k] = v
	}
	res := policy.EvaluateIdentity(parseSources(c.s.principalPoliciesLocked(p)), req)
	if res.Decision == policy.ExplicitDeny {
		return c.denied(full, resource, " with an explicit deny in an identity-based policy")
	}
	if res.Decision != policy.Allowed {
		return c.denied(full, resource, " because no identity-based policy allows the "+full+" action")
	}
	if p.Kind == kindFederated && p.Sess.Policy != "" {
		doc, err := policy.Parse(p.Sess.Policy)
		if err != nil {
			return c.denied(full, resource, "")
		}
		sres := policy.EvaluateIdentity([]*policy.Document{doc}, req)
		if sres.Decision == policy.ExplicitDeny {
			return c.denied(full, resource, " with an explicit deny in a session policy")
		}
		if sres.Decision != policy.Allowed {
			return c.denied(full, resource, " because no session policy allows the "+full+" action")
		}
	}
	return nil
}

// denied is AWS's AccessDenied phrasing for identity-policy denials. S3 and
// EC2 leave out "on resource" for actions that take no resource.
func (c *call) denied(action, resource, why string) *apiError {
	if resource == "*" && (c.service == "s3" || c.service == "ec2") {
		return accessDenied("User: %s is not authorized to perform: %s%s", c.caller.ARN, action, why)
	}
	return accessDenied("User: %s is not authorized to perform: %s on resource: %s%s", c.caller.ARN, action, resource, why)
}
