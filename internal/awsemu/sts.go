package awsemu

import (
	"strconv"
	"strings"
	"time"

	"github.com/awsmfa/awsmfa/internal/awsemu/policy"
	"github.com/awsmfa/awsmfa/internal/totp"
)

// AWS's STS duration limits.
const (
	minSessionSeconds        = 900
	maxSessionTokenSeconds   = 129600
	defaultSessionTokenSecs  = 43200
	defaultAssumeRoleSeconds = 3600
	maxRoleSessionSeconds    = 43200
	chainedRoleMaxSeconds    = 3600
)

const (
	mfaInvalidCode = "MultiFactorAuthentication failed with invalid MFA one time pass code."
	mfaUnknown     = "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user."
)

// validNameChars reports whether s uses only AWS's name characters [\w+=,.@-].
func validNameChars(s string) bool {
	for _, c := range s {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.ContainsRune("_+=,.@-", c)
		if !ok {
			return false
		}
	}
	return true
}

type stsCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type callerIdentityResult struct {
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
	Arn     string `xml:"Arn"`
}

type sessionTokenResult struct {
	Credentials stsCredentials `xml:"Credentials"`
}

type assumedRoleUser struct {
	AssumedRoleID string `xml:"AssumedRoleId"`
	Arn           string `xml:"Arn"`
}

type assumeRoleResult struct {
	Credentials     stsCredentials  `xml:"Credentials"`
	AssumedRoleUser assumedRoleUser `xml:"AssumedRoleUser"`
}

type federatedUser struct {
	FederatedUserID string `xml:"FederatedUserId"`
	Arn             string `xml:"Arn"`
}

type federationTokenResult struct {
	Credentials   stsCredentials `xml:"Credentials"`
	FederatedUser federatedUser  `xml:"FederatedUser"`
}

func getCallerIdentity(c *call) (any, *apiError) {
	p := c.caller
	return callerIdentityResult{UserID: p.UserID, Account: c.s.st.Account, Arn: p.ARN}, nil
}

// durationParam reads DurationSeconds with AWS's validation messages.
func (c *call) durationParam(def, minimum, maximum int) (int, *apiError) {
	raw := c.params.Get("DurationSeconds")
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		return 0, validationError("1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must be a number", clip(raw, 32))
	}
	if n < minimum {
		return 0, validationError("1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to %d", n, minimum)
	}
	if n > maximum {
		return 0, validationError("1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to %d", n, maximum)
	}
	return n, nil
}

// checkMFA validates a SerialNumber/TokenCode pair for u and consumes the
// code: AWS accepts each code (TOTP step) once per device, so a step at or
// below the last accepted one is refused like a wrong code.
func (c *call) checkMFA(u *user, serial, code string) *apiError {
	dev := c.s.st.MFA[serial]
	if u == nil || dev == nil || dev.User != u.Name {
		return accessDenied("%s", mfaUnknown)
	}
	if len(code) != 6 {
		return validationError("1 validation error detected: Value at 'tokenCode' failed to satisfy constraint: Member must have length 6")
	}
	step, ok := totp.Validate(dev.Seed, code, c.now, 1)
	if !ok || step <= dev.LastStep {
		return accessDenied("%s", mfaInvalidCode)
	}
	dev.LastStep = step
	c.dirty = true
	return nil
}

// newSession creates temporary credentials valid for d for the caller.
func (c *call) newSession(kind string, d time.Duration) (*session, *apiError) {
	st := c.s.st
	id, err := st.newID("ASIA")
	if err != nil {
		return nil, serviceFailure()
	}
	secret, err := newSecret()
	if err != nil {
		return nil, serviceFailure()
	}
	token, err := newSessionToken()
	if err != nil {
		return nil, serviceFailure()
	}
	sess := &session{KeyID: id, Secret: secret, Token: token, Kind: kind, Created: c.now, Expires: c.now.Add(d), SourceID: c.caller.KeyID}
	if c.caller.User != nil {
		sess.User = c.caller.User.Name
	}
	st.Sessions[id] = sess
	c.dirty = true
	return sess, nil
}

func (sess *session) credentials() stsCredentials {
	return stsCredentials{AccessKeyID: sess.KeyID, SecretAccessKey: sess.Secret, SessionToken: sess.Token, Expiration: awsTime(sess.Expires)}
}

func getSessionToken(c *call) (any, *apiError) {
	if aerr := c.authorize("*"); aerr != nil {
		return nil, aerr
	}
	secs, aerr := c.durationParam(defaultSessionTokenSecs, minSessionSeconds, maxSessionTokenSeconds)
	if aerr != nil {
		return nil, aerr
	}
	serial, code := c.params.Get("SerialNumber"), c.params.Get("TokenCode")
	mfa := serial != "" || code != ""
	if mfa {
		if aerr := c.checkMFA(c.caller.User, serial, code); aerr != nil {
			return nil, aerr
		}
	}
	sess, aerr := c.newSession(kindSessionToken, time.Duration(secs)*time.Second)
	if aerr != nil {
		return nil, aerr
	}
	if mfa {
		sess.MFA, sess.MFATime = true, c.now
	}
	return sessionTokenResult{Credentials: sess.credentials()}, nil
}

// roleByARN finds a role by its ARN.
func (st *state) roleByARN(arn string) *role {
	for _, r := range st.Roles {
		if r.ARN == arn {
			return r
		}
	}
	return nil
}

func assumeRole(c *call) (any, *apiError) {
	st := c.s.st
	p := c.caller
	roleARN := c.params.Get("RoleArn")
	name := c.params.Get("RoleSessionName")
	if roleARN == "" {
		return nil, validationError("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	}
	if len(roleARN) < 20 || len(roleARN) > 2048 {
		return nil, validationError("1 validation error detected: Value at 'roleArn' failed to satisfy constraint: Member must have length between 20 and 2048")
	}
	if aerr := validSessionName(name, "roleSessionName", 64); aerr != nil {
		return nil, aerr
	}
	if p.Sess != nil && p.Kind != kindSessionToken && p.Kind != kindAssumedRole {
		return nil, c.denied("sts:AssumeRole", roleARN, "")
	}
	notAuthorized := accessDenied("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", p.ARN, clip(roleARN, 2048))
	r := st.roleByARN(roleARN)
	if r == nil {
		return nil, notAuthorized
	}

	extra := map[string][]string{"sts:RoleSessionName": {name}}
	serial, code := c.params.Get("SerialNumber"), c.params.Get("TokenCode")
	ownMFA := serial != "" || code != ""
	if ownMFA {
		if aerr := c.checkMFA(p.User, serial, code); aerr != nil {
			return nil, aerr
		}
		extra["aws:MultiFactorAuthPresent"] = []string{"true"}
		extra["aws:MultiFactorAuthAge"] = []string{"0"}
	}
	if ext := c.params.Get("ExternalId"); ext != "" {
		extra["sts:ExternalId"] = []string{ext}
	}
	ctx := c.s.requestContext(p, c.now)
	for k, v := range extra {
		ctx[k] = v
	}
	req := policy.Request{Principal: p.ARN, Action: "sts:AssumeRole", Resource: r.ARN, Context: ctx}
	trust, err := policy.Parse(r.Trust)
	if err != nil {
		return nil, notAuthorized
	}
	tres := policy.EvaluateTrust(trust, req)
	if tres.Decision != policy.Allowed {
		return nil, notAuthorized
	}
	// Identity policies: an explicit deny always wins; a trust policy that
	// names only the account delegates the decision to them, so they must
	// then allow too. A trust naming the caller itself needs nothing more.
	ires := policy.EvaluateIdentity(parseSources(c.s.principalPoliciesLocked(p)), req)
	if ires.Decision == policy.ExplicitDeny {
		return nil, c.denied("sts:AssumeRole", r.ARN, " with an explicit deny in an identity-based policy")
	}
	if tres.ViaAccount && ires.Decision != policy.Allowed {
		return nil, c.denied("sts:AssumeRole", r.ARN, " because no identity-based policy allows the sts:AssumeRole action")
	}

	chained := p.Sess != nil
	secs, aerr := c.durationParam(defaultAssumeRoleSeconds, minSessionSeconds, maxRoleSessionSeconds)
	if aerr != nil {
		return nil, aerr
	}
	if chained && secs > chainedRoleMaxSeconds {
		return nil, validationError("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	if secs > r.MaxSession {
		return nil, validationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	if pol := c.params.Get("Policy"); pol != "" {
		if _, err := policy.Parse(pol); err != nil {
			return nil, malformedPolicy("%s", policyErrorMessage(err))
		}
	}
	sess, aerr := c.newSession(kindAssumedRole, time.Duration(secs)*time.Second)
	if aerr != nil {
		return nil, aerr
	}
	sess.Role, sess.Name, sess.Chained = r.Name, name, chained
	switch {
	case ownMFA:
		sess.MFA, sess.MFATime = true, c.now
	case p.Sess != nil && p.Sess.MFA:
		sess.MFA, sess.MFATime = true, p.Sess.MFATime
	}
	return assumeRoleResult{
		Credentials: sess.credentials(),
		AssumedRoleUser: assumedRoleUser{
			AssumedRoleID: r.ID + ":" + name,
			Arn:           "arn:aws:sts::" + st.Account + ":assumed-role/" + r.Name + "/" + name,
		},
	}, nil
}

func validSessionName(name, field string, maxLen int) *apiError {
	if name == "" {
		return validationError("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", field)
	}
	if len(name) < 2 || len(name) > maxLen {
		return validationError("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length between 2 and %d", clip(name, maxLen), field, maxLen)
	}
	if !validNameChars(name) {
		return validationError("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", clip(name, maxLen), field)
	}
	return nil
}

func getFederationToken(c *call) (any, *apiError) {
	st := c.s.st
	name := c.params.Get("Name")
	if aerr := validSessionName(name, "name", 32); aerr != nil {
		return nil, aerr
	}
	arn := "arn:aws:sts::" + st.Account + ":federated-user/" + name
	if aerr := c.authorize(arn); aerr != nil {
		return nil, aerr
	}
	secs, aerr := c.durationParam(defaultSessionTokenSecs, minSessionSeconds, maxSessionTokenSeconds)
	if aerr != nil {
		return nil, aerr
	}
	pol := c.params.Get("Policy")
	if pol != "" {
		if _, err := policy.Parse(pol); err != nil {
			return nil, malformedPolicy("%s", policyErrorMessage(err))
		}
	}
	sess, aerr := c.newSession(kindFederated, time.Duration(secs)*time.Second)
	if aerr != nil {
		return nil, aerr
	}
	sess.Name, sess.Policy = name, pol
	return federationTokenResult{
		Credentials:   sess.credentials(),
		FederatedUser: federatedUser{FederatedUserID: st.Account + ":" + name, Arn: arn},
	}, nil
}

// policyErrorMessage is the client-facing text of a policy parse failure.
// Only the policy package's own message is used; it never quotes the input.
func policyErrorMessage(err error) string {
	msg := err.Error()
	if msg == "" {
		return "Syntax errors in policy."
	}
	return strings.TrimSpace(clip(msg, 256))
}
