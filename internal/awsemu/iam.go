package awsemu

import (
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"rsc.io/qr"

	"github.com/awsmfa/awsmfa/internal/awsemu/policy"
	"github.com/awsmfa/awsmfa/internal/totp"
)

// AWS's IAM limits that the emulator enforces.
const (
	maxKeysPerUser       = 2
	maxMFADevicesPerUser = 8
	// maxAttachedPolicies is the default quota of managed policies
	// attached to one user, group or role.
	maxAttachedPolicies = 10
	mfaIssuer           = "Amazon Web Services"
)

// XML shapes of IAM results.
type iamUser struct {
	Path       string `xml:"Path"`
	UserName   string `xml:"UserName"`
	UserID     string `xml:"UserId"`
	Arn        string `xml:"Arn"`
	CreateDate string `xml:"CreateDate"`
}

type userResult struct {
	User iamUser `xml:"User"`
}

type listUsersResult struct {
	Users       []iamUser `xml:"Users>member"`
	IsTruncated bool      `xml:"IsTruncated"`
}

type iamAccessKey struct {
	UserName        string `xml:"UserName"`
	AccessKeyID     string `xml:"AccessKeyId"`
	Status          string `xml:"Status"`
	SecretAccessKey string `xml:"SecretAccessKey,omitempty"`
	CreateDate      string `xml:"CreateDate"`
}

type createAccessKeyResult struct {
	AccessKey iamAccessKey `xml:"AccessKey"`
}

type listAccessKeysResult struct {
	UserName          string         `xml:"UserName"`
	AccessKeyMetadata []iamAccessKey `xml:"AccessKeyMetadata>member"`
	IsTruncated       bool           `xml:"IsTruncated"`
}

type accessKeyLastUsed struct {
	LastUsedDate string `xml:"LastUsedDate,omitempty"`
	ServiceName  string `xml:"ServiceName"`
	Region       string `xml:"Region"`
}

type accessKeyLastUsedResult struct {
	UserName          string            `xml:"UserName"`
	AccessKeyLastUsed accessKeyLastUsed `xml:"AccessKeyLastUsed"`
}

type iamVirtualMFADevice struct {
	SerialNumber     string   `xml:"SerialNumber"`
	Base32StringSeed string   `xml:"Base32StringSeed,omitempty"`
	QRCodePNG        string   `xml:"QRCodePNG,omitempty"`
	User             *iamUser `xml:"User,omitempty"`
	EnableDate       string   `xml:"EnableDate,omitempty"`
}

type createVirtualMFAResult struct {
	VirtualMFADevice iamVirtualMFADevice `xml:"VirtualMFADevice"`
}

type listVirtualMFAResult struct {
	VirtualMFADevices []iamVirtualMFADevice `xml:"VirtualMFADevices>member"`
	IsTruncated       bool                  `xml:"IsTruncated"`
}

type iamMFADevice struct {
	UserName     string `xml:"UserName"`
	SerialNumber string `xml:"SerialNumber"`
	EnableDate   string `xml:"EnableDate"`
}

type listMFADevicesResult struct {
	MFADevices  []iamMFADevice `xml:"MFADevices>member"`
	IsTruncated bool           `xml:"IsTruncated"`
}

type iamRole struct {
	Path                     string `xml:"Path"`
	RoleName                 string `xml:"RoleName"`
	RoleID                   string `xml:"RoleId"`
	Arn                      string `xml:"Arn"`
	CreateDate               string `xml:"CreateDate"`
	AssumeRolePolicyDocument string `xml:"AssumeRolePolicyDocument"`
	Description              string `xml:"Description,omitempty"`
	MaxSessionDuration       int    `xml:"MaxSessionDuration"`
}

type roleResult struct {
	Role iamRole `xml:"Role"`
}

type listRolesResult struct {
	Roles       []iamRole `xml:"Roles>member"`
	IsTruncated bool      `xml:"IsTruncated"`
}

type inlinePolicyResult struct {
	UserName       string `xml:"UserName,omitempty"`
	GroupName      string `xml:"GroupName,omitempty"`
	RoleName       string `xml:"RoleName,omitempty"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

type policyNamesResult struct {
	PolicyNames []string `xml:"PolicyNames>member"`
	IsTruncated bool     `xml:"IsTruncated"`
}

type iamPolicy struct {
	PolicyName       string `xml:"PolicyName"`
	PolicyID         string `xml:"PolicyId"`
	Arn              string `xml:"Arn"`
	Path             string `xml:"Path"`
	DefaultVersionID string `xml:"DefaultVersionId"`
	AttachmentCount  int    `xml:"AttachmentCount"`
	IsAttachable     bool   `xml:"IsAttachable"`
	CreateDate       string `xml:"CreateDate"`
	UpdateDate       string `xml:"UpdateDate"`
}

type policyResult struct {
	Policy iamPolicy `xml:"Policy"`
}

type listPoliciesResult struct {
	Policies    []iamPolicy `xml:"Policies>member"`
	IsTruncated bool        `xml:"IsTruncated"`
}

type policyVersion struct {
	Document         string `xml:"Document"`
	VersionID        string `xml:"VersionId"`
	IsDefaultVersion bool   `xml:"IsDefaultVersion"`
	CreateDate       string `xml:"CreateDate"`
}

type policyVersionResult struct {
	PolicyVersion policyVersion `xml:"PolicyVersion"`
}

type attachedPolicy struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

type attachedPoliciesResult struct {
	AttachedPolicies []attachedPolicy `xml:"AttachedPolicies>member"`
	IsTruncated      bool             `xml:"IsTruncated"`
}

func deleteConflict(format string, args ...any) *apiError {
	return errorf(http.StatusConflict, "DeleteConflict", format, args...)
}

func (u *user) xml() iamUser {
	return iamUser{Path: u.Path, UserName: u.Name, UserID: u.ID, Arn: u.ARN, CreateDate: awsTime(u.Created)}
}

func (r *role) xml() iamRole {
	return iamRole{Path: r.Path, RoleName: r.Name, RoleID: r.ID, Arn: r.ARN, CreateDate: awsTime(r.Created),
		AssumeRolePolicyDocument: awsEscape(r.Trust), Description: r.Description, MaxSessionDuration: r.MaxSession}
}

func (st *state) policyXML(mp *managedPolicy) iamPolicy {
	return iamPolicy{PolicyName: mp.Name, PolicyID: mp.ID, Arn: mp.ARN, Path: mp.Path, DefaultVersionID: mp.versionID(),
		AttachmentCount: st.attachmentCount(mp.ARN), IsAttachable: true, CreateDate: awsTime(mp.Created), UpdateDate: awsTime(mp.Created)}
}

func (st *state) attachmentCount(arn string) int {
	n := 0
	for _, u := range st.Users {
		if slices.Contains(u.Attached, arn) {
			n++
		}
	}
	for _, r := range st.Roles {
		if slices.Contains(r.Attached, arn) {
			n++
		}
	}
	for _, g := range st.Groups {
		if slices.Contains(g.Attached, arn) {
			n++
		}
	}
	return n
}

// ---- parameter helpers ----

// entityName validates a user/role/policy name parameter.
func (c *call) entityName(param, field string, maxLen int) (string, *apiError) {
	v := c.params.Get(param)
	if v == "" {
		return "", validationError("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", field)
	}
	if len(v) > maxLen {
		return "", validationError("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", clip(v, maxLen), field, maxLen)
	}
	if !validNameChars(v) {
		return "", validationError("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+", clip(v, maxLen), field)
	}
	return v, nil
}

func (c *call) required(param, field string) (string, *apiError) {
	v := c.params.Get(param)
	if v == "" {
		return "", validationError("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", field)
	}
	return v, nil
}

func (c *call) pathParam() (string, *apiError) {
	p := c.params.Get("Path")
	if p == "" {
		return "/", nil
	}
	if !strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/") || len(p) > 512 {
		return "", validationError("The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
	}
	return p, nil
}

// targetUser resolves the optional UserName parameter: absent means the
// caller, which must then be an IAM user (or its GetSessionToken session).
func (c *call) targetUser() (*user, *apiError) {
	name := c.params.Get("UserName")
	if name == "" {
		if c.caller.User == nil || (c.caller.Kind != kindUser && c.caller.Kind != kindSessionToken) {
			return nil, validationError("Must specify userName when calling with non-User credentials")
		}
		return c.caller.User, nil
	}
	u := c.s.st.Users[name]
	if u == nil {
		return nil, noSuchEntity("The user with name %s cannot be found.", clip(name, 64))
	}
	return u, nil
}

func (c *call) userParam() (*user, *apiError) {
	name, aerr := c.entityName("UserName", "userName", 64)
	if aerr != nil {
		return nil, aerr
	}
	u := c.s.st.Users[name]
	if u == nil {
		return nil, noSuchEntity("The user with name %s cannot be found.", name)
	}
	return u, nil
}

func (c *call) roleParam() (*role, *apiError) {
	name, aerr := c.entityName("RoleName", "roleName", 64)
	if aerr != nil {
		return nil, aerr
	}
	r := c.s.st.Roles[name]
	if r == nil {
		return nil, noSuchEntity("The role with name %s cannot be found.", name)
	}
	return r, nil
}

// authorizedUser is userParam for a caller whose identity policies allow the
// action on that user.
func (c *call) authorizedUser() (*user, *apiError) {
	u, aerr := c.userParam()
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.authorize(u.ARN); aerr != nil {
		return nil, aerr
	}
	return u, nil
}

// authorizedRole is roleParam for a caller whose identity policies allow the
// action on that role.
func (c *call) authorizedRole() (*role, *apiError) {
	r, aerr := c.roleParam()
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.authorize(r.ARN); aerr != nil {
		return nil, aerr
	}
	return r, nil
}

// policyDocParam reads a policy document parameter and checks it with IAM's
// rules for its kind: parse is policy.ParseIdentity for permission policies
// (no Principal, a Resource in every statement) or policy.ParseTrust for
// role trust policies (a Principal, no Resource).
func (c *call) policyDocParam(param, field string, parse func(string) (*policy.Document, error)) (string, *apiError) {
	doc, aerr := c.required(param, field)
	if aerr != nil {
		return "", aerr
	}
	if _, err := parse(doc); err != nil {
		return "", malformedPolicy("%s", policyErrorMessage(err))
	}
	return doc, nil
}

func (c *call) managedPolicyParam() (*managedPolicy, *apiError) {
	arn, aerr := c.required("PolicyArn", "policyArn")
	if aerr != nil {
		return nil, aerr
	}
	mp := c.s.policyLocked(arn)
	if mp == nil {
		return nil, noSuchEntity("Policy %s does not exist or is not attachable.", clip(arn, 2048))
	}
	return mp, nil
}

func (c *call) arn(kind, name string) string {
	return "arn:aws:iam::" + c.s.st.Account + ":" + kind + "/" + name
}

// ---- state operations shared with the Go control API ----

func (s *Server) createUserLocked(name, path string) (*user, error) {
	st := s.st
	id, err := st.newID("AIDA")
	if err != nil {
		return nil, err
	}
	u := &user{Name: name, ID: id, Path: path, ARN: "arn:aws:iam::" + st.Account + ":user" + path + name,
		Created: s.clock.Now(), Inline: map[string]string{}}
	st.Users[name] = u
	return u, nil
}

func (s *Server) createAccessKeyLocked(userName string) (*accessKey, error) {
	st := s.st
	id, err := st.newID("AKIA")
	if err != nil {
		return nil, err
	}
	secret, err := newSecret()
	if err != nil {
		return nil, err
	}
	k := &accessKey{ID: id, Secret: secret, User: userName, Status: "Active", Created: s.clock.Now()}
	st.Keys[id] = k
	return k, nil
}

func (st *state) userKeys(name string) []*accessKey {
	var out []*accessKey
	for _, id := range sortedKeys(st.Keys) {
		if k := st.Keys[id]; k.User == name {
			out = append(out, k)
		}
	}
	return out
}

func (st *state) userDevices(name string) []*mfaDevice {
	var out []*mfaDevice
	for _, serial := range sortedKeys(st.MFA) {
		if d := st.MFA[serial]; d.User == name {
			out = append(out, d)
		}
	}
	return out
}

func (s *Server) createVirtualMFALocked(name, path string) (*mfaDevice, error) {
	seed, err := totp.NewSeed()
	if err != nil {
		return nil, err
	}
	if s.nextSeed != nil {
		seed, s.nextSeed = s.nextSeed, nil
	}
	d := &mfaDevice{Serial: "arn:aws:iam::" + s.st.Account + ":mfa" + path + name, Seed: seed, Created: s.clock.Now()}
	s.st.MFA[d.Serial] = d
	return d, nil
}

// ---- users ----

func createUser(c *call) (any, *apiError) {
	name, aerr := c.entityName("UserName", "userName", 64)
	if aerr != nil {
		return nil, aerr
	}
	path, aerr := c.pathParam()
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.authorize(c.arn("user"+path[:len(path)-1], name)); aerr != nil {
		return nil, aerr
	}
	if c.s.st.Users[name] != nil {
		return nil, alreadyExists("User with name %s already exists.", name)
	}
	u, err := c.s.createUserLocked(name, path)
	if err != nil {
		return nil, serviceFailure()
	}
	c.dirty = true
	return userResult{User: u.xml()}, nil
}

func getUser(c *call) (any, *apiError) {
	u, aerr := c.targetUser()
	if aerr != nil {
		if c.params.Get("UserName") != "" {
			if a := c.authorize(c.arn("user", c.params.Get("UserName"))); a != nil {
				return nil, a
			}
		}
		return nil, aerr
	}
	if aerr := c.authorize(u.ARN); aerr != nil {
		return nil, aerr
	}
	return userResult{User: u.xml()}, nil
}

func listUsers(c *call) (any, *apiError) {
	if aerr := c.authorize(c.arn("user", "")); aerr != nil {
		return nil, aerr
	}
	res := listUsersResult{Users: []iamUser{}}
	prefix := c.params.Get("PathPrefix")
	for _, name := range sortedKeys(c.s.st.Users) {
		if u := c.s.st.Users[name]; strings.HasPrefix(u.Path, prefix) {
			res.Users = append(res.Users, u.xml())
		}
	}
	return res, nil
}

func deleteUser(c *call) (any, *apiError) {
	u, aerr := c.authorizedUser()
	if aerr != nil {
		return nil, aerr
	}
	st := c.s.st
	switch {
	case len(st.userKeys(u.Name)) > 0:
		return nil, deleteConflict("Cannot delete entity, must delete access keys first.")
	case len(st.userDevices(u.Name)) > 0:
		return nil, deleteConflict("Cannot delete entity, must delete MFA device first.")
	case len(st.userGroups(u.Name)) > 0:
		return nil, deleteConflict("Cannot delete entity, must remove user from all groups first.")
	case len(u.Inline) > 0:
		return nil, deleteConflict("Cannot delete entity, must delete policies first.")
	case len(u.Attached) > 0:
		return nil, deleteConflict("Cannot delete entity, must detach all policies first.")
	}
	delete(st.Users, u.Name)
	c.dirty = true
	return nil, nil
}

// ---- access keys ----

func createAccessKey(c *call) (any, *apiError) {
	u, aerr := c.targetUser()
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.authorize(u.ARN); aerr != nil {
		return nil, aerr
	}
	if len(c.s.st.userKeys(u.Name)) >= maxKeysPerUser {
		return nil, limitExceeded("Cannot exceed quota for AccessKeysPerUser: %d", maxKeysPerUser)
	}
	k, err := c.s.createAccessKeyLocked(u.Name)
	if err != nil {
		return nil, serviceFailure()
	}
	c.dirty = true
	return createAccessKeyResult{AccessKey: iamAccessKey{UserName: u.Name, AccessKeyID: k.ID, Status: k.Status,
		SecretAccessKey: k.Secret, CreateDate: awsTime(k.Created)}}, nil
}

func listAccessKeys(c *call) (any, *apiError) {
	u, aerr := c.targetUser()
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.authorize(u.ARN); aerr != nil {
		return nil, aerr
	}
	res := listAccessKeysResult{UserName: u.Name, AccessKeyMetadata: []iamAccessKey{}}
	for _, k := range c.s.st.userKeys(u.Name) {
		res.AccessKeyMetadata = append(res.AccessKeyMetadata, iamAccessKey{UserName: u.Name, AccessKeyID: k.ID, Status: k.Status, CreateDate: awsTime(k.Created)})
	}
	return res, nil
}

func (c *call) keyParam(u *user) (*accessKey, *apiError) {
	id, aerr := c.required("AccessKeyId", "accessKeyId")
	if aerr != nil {
		return nil, aerr
	}
	k := c.s.st.Keys[id]
	if k == nil || k.User != u.Name {
		return nil, noSuchEntity("The Access Key with id %s cannot be found.", clip(id, 128))
	}
	return k, nil
}

func updateAccessKey(c *call) (any, *apiError) {
	u, aerr := c.targetUser()
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.authorize(u.ARN); aerr != nil {
		return nil, aerr
	}
	k, aerr := c.keyParam(u)
	if aerr != nil {
		return nil, aerr
	}
	status := c.params.Get("Status")
	if status != "Active" && status != "Inactive" {
		return nil, validationError("1 validation error detected: Value '%s' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]", clip(status, 32))
	}
	k.Status = status
	c.dirty = true
	return nil, nil
}

func deleteAccessKey(c *call) (any, *apiError) {
	u, aerr := c.targetUser()
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.authorize(u.ARN); aerr != nil {
		return nil, aerr
	}
	k, aerr := c.keyParam(u)
	if aerr != nil {
		return nil, aerr
	}
	delete(c.s.st.Keys, k.ID)
	c.dirty = true
	return nil, nil
}

func getAccessKeyLastUsed(c *call) (any, *apiError) {
	id, aerr := c.required("AccessKeyId", "accessKeyId")
	if aerr != nil {
		return nil, aerr
	}
	k := c.s.st.Keys[id]
	if k == nil {
		if a := c.authorize("*"); a != nil {
			return nil, a
		}
		return nil, accessDenied("The Access Key with id %s cannot be found.", clip(id, 128))
	}
	u := c.s.st.Users[k.User]
	if aerr := c.authorize(u.ARN); aerr != nil {
		return nil, aerr
	}
	res := accessKeyLastUsedResult{UserName: u.Name, AccessKeyLastUsed: accessKeyLastUsed{ServiceName: "N/A", Region: "N/A"}}
	if !k.LastUsed.IsZero() {
		res.AccessKeyLastUsed = accessKeyLastUsed{LastUsedDate: awsTime(k.LastUsed), ServiceName: k.LastService, Region: k.LastRegion}
	}
	return res, nil
}

// ---- MFA devices ----

func createVirtualMFADevice(c *call) (any, *apiError) {
	name, aerr := c.entityName("VirtualMFADeviceName", "virtualMFADeviceName", 226)
	if aerr != nil {
		return nil, aerr
	}
	path, aerr := c.pathParam()
	if aerr != nil {
		return nil, aerr
	}
	serial := c.arn("mfa"+path[:len(path)-1], name)
	if aerr := c.authorize(serial); aerr != nil {
		return nil, aerr
	}
	if c.s.st.MFA[serial] != nil {
		return nil, alreadyExists("MFADevice entity at the same path and name already exists.")
	}
	d, err := c.s.createVirtualMFALocked(name, path)
	if err != nil {
		return nil, serviceFailure()
	}
	c.dirty = true
	png, err := qrPNG(totp.URI(mfaIssuer, name+"@"+c.s.st.Account, d.Seed))
	if err != nil {
		return nil, serviceFailure()
	}
	// Both blobs travel base64-encoded, as in AWS's query protocol; the seed
	// blob is the base32 text authenticator apps take.
	return createVirtualMFAResult{VirtualMFADevice: iamVirtualMFADevice{
		SerialNumber:     d.Serial,
		Base32StringSeed: base64.StdEncoding.EncodeToString([]byte(totp.EncodeSeed(d.Seed))),
		QRCodePNG:        base64.StdEncoding.EncodeToString(png),
	}}, nil
}

// qrPNG renders text as a QR code PNG at 4 pixels per module.
func qrPNG(text string) ([]byte, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return nil, err
	}
	code.Scale = 4
	return code.PNG(), nil
}

func authCodeInvalid() *apiError {
	return errorf(http.StatusForbidden, "InvalidAuthenticationCode", "Authentication code for device is not valid.")
}

// How far from the current TOTP step EnableMFADevice and ResyncMFADevice
// look for the two codes. IAM-FACTS.md ("EnableMFADevice with late codes")
// quotes the API reference: codes submitted too long after they were
// generated still associate the device, which is then out of sync; the
// window is undocumented. The emulator accepts a pair whose first code is up
// to 20 steps (10 minutes) old, generous for a person typing codes or a
// program waiting for the next window, and refuses older pairs. Resync
// looks 20 steps both ways, for devices whose clock runs ahead. The
// emulator does not model clock drift: after a late enable the device keeps
// working with current codes.
const (
	enableLateSteps = 20
	resyncSteps     = 20
)

// consecutiveCodes finds the step n with code1 at n and code2 at n+1, for n
// from cur-back to cur+ahead where cur is the step of now. Every candidate
// is compared (in constant time) so the time taken does not depend on
// which step matched; the latest matching step wins.
func consecutiveCodes(seed []byte, code1, code2 string, now time.Time, back, ahead int64) (int64, bool) {
	cur := totp.Step(now)
	found, step := false, int64(0)
	for n := cur - back; n <= cur+ahead; n++ {
		a := subtle.ConstantTimeCompare([]byte(totp.CodeAt(seed, n)), []byte(code1))
		b := subtle.ConstantTimeCompare([]byte(totp.CodeAt(seed, n+1)), []byte(code2))
		if a&b == 1 {
			found, step = true, n
		}
	}
	return step, found
}

// serialAndCodes reads the device and the two consecutive codes that
// EnableMFADevice and ResyncMFADevice take.
func (c *call) serialAndCodes() (serial, code1, code2 string, aerr *apiError) {
	if serial, aerr = c.required("SerialNumber", "serialNumber"); aerr != nil {
		return
	}
	if code1, aerr = c.required("AuthenticationCode1", "authenticationCode1"); aerr != nil {
		return
	}
	code2, aerr = c.required("AuthenticationCode2", "authenticationCode2")
	return
}

func enableMFADevice(c *call) (any, *apiError) {
	u, aerr := c.authorizedUser()
	if aerr != nil {
		return nil, aerr
	}
	serial, code1, code2, aerr := c.serialAndCodes()
	if aerr != nil {
		return nil, aerr
	}
	d := c.s.st.MFA[serial]
	if d == nil {
		return nil, noSuchEntity("VirtualMFADevice with serial number %s doesn't exist.", clip(serial, 256))
	}
	if d.User != "" {
		return nil, alreadyExists("MFA Device is already in use.")
	}
	if len(c.s.st.userDevices(u.Name)) >= maxMFADevicesPerUser {
		return nil, limitExceeded("Cannot exceed quota for MFADevicesPerUser: %d", maxMFADevicesPerUser)
	}
	step, ok := consecutiveCodes(d.Seed, code1, code2, c.now, enableLateSteps, 0)
	if !ok {
		return nil, authCodeInvalid()
	}
	d.User, d.Enabled, d.LastStep = u.Name, c.now, step+1
	c.dirty = true
	return nil, nil
}

func resyncMFADevice(c *call) (any, *apiError) {
	u, aerr := c.authorizedUser()
	if aerr != nil {
		return nil, aerr
	}
	serial, code1, code2, aerr := c.serialAndCodes()
	if aerr != nil {
		return nil, aerr
	}
	d := c.s.st.MFA[serial]
	if d == nil || d.User != u.Name {
		return nil, noSuchEntity("MFA Device with serial number %s does not exist.", clip(serial, 256))
	}
	step, ok := consecutiveCodes(d.Seed, code1, code2, c.now, resyncSteps, resyncSteps)
	if !ok || step+1 <= d.LastStep {
		return nil, authCodeInvalid()
	}
	// The pair's codes are used up. Codes from a device running ahead are
	// not marked beyond the previous step, so the current code still works.
	d.LastStep = max(d.LastStep, min(step+1, totp.Step(c.now)-1))
	c.dirty = true
	return nil, nil
}

func listMFADevices(c *call) (any, *apiError) {
	u, aerr := c.targetUser()
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.authorize(u.ARN); aerr != nil {
		return nil, aerr
	}
	res := listMFADevicesResult{MFADevices: []iamMFADevice{}}
	for _, d := range c.s.st.userDevices(u.Name) {
		res.MFADevices = append(res.MFADevices, iamMFADevice{UserName: u.Name, SerialNumber: d.Serial, EnableDate: awsTime(d.Enabled)})
	}
	return res, nil
}

func listVirtualMFADevices(c *call) (any, *apiError) {
	if aerr := c.authorize(c.arn("mfa", "")); aerr != nil {
		return nil, aerr
	}
	status := c.params.Get("AssignmentStatus")
	if status == "" {
		status = "Any"
	}
	if status != "Any" && status != "Assigned" && status != "Unassigned" {
		return nil, validationError("1 validation error detected: Value '%s' at 'assignmentStatus' failed to satisfy constraint: Member must satisfy enum value set: [Any, Assigned, Unassigned]", clip(status, 32))
	}
	st := c.s.st
	res := listVirtualMFAResult{VirtualMFADevices: []iamVirtualMFADevice{}}
	for _, serial := range sortedKeys(st.MFA) {
		d := st.MFA[serial]
		assigned := d.User != ""
		if status == "Assigned" && !assigned || status == "Unassigned" && assigned {
			continue
		}
		v := iamVirtualMFADevice{SerialNumber: d.Serial}
		if u := st.Users[d.User]; assigned && u != nil {
			x := u.xml()
			v.User, v.EnableDate = &x, awsTime(d.Enabled)
		}
		res.VirtualMFADevices = append(res.VirtualMFADevices, v)
	}
	return res, nil
}

func deactivateMFADevice(c *call) (any, *apiError) {
	u, aerr := c.targetUser()
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.authorize(u.ARN); aerr != nil {
		return nil, aerr
	}
	serial, aerr := c.required("SerialNumber", "serialNumber")
	if aerr != nil {
		return nil, aerr
	}
	d := c.s.st.MFA[serial]
	if d == nil || d.User != u.Name {
		return nil, noSuchEntity("MFA Device with serial number %s does not exist.", clip(serial, 256))
	}
	d.User, d.Enabled = "", time.Time{}
	c.dirty = true
	return nil, nil
}

func deleteVirtualMFADevice(c *call) (any, *apiError) {
	serial, aerr := c.required("SerialNumber", "serialNumber")
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.authorize(serial); aerr != nil {
		return nil, aerr
	}
	d := c.s.st.MFA[serial]
	if d == nil {
		return nil, noSuchEntity("VirtualMFADevice with serial number %s doesn't exist.", clip(serial, 256))
	}
	if d.User != "" {
		return nil, deleteConflict("MFA Device is still in use.")
	}
	delete(c.s.st.MFA, serial)
	c.dirty = true
	return nil, nil
}

// ---- roles ----

func (c *call) maxSessionParam(def int) (int, *apiError) {
	raw := c.params.Get("MaxSessionDuration")
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 3600 || n > maxRoleSessionSeconds {
		return 0, validationError("1 validation error detected: Value '%s' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200", clip(raw, 32))
	}
	return n, nil
}

func createRole(c *call) (any, *apiError) {
	name, aerr := c.entityName("RoleName", "roleName", 64)
	if aerr != nil {
		return nil, aerr
	}
	path, aerr := c.pathParam()
	if aerr != nil {
		return nil, aerr
	}
	arn := c.arn("role"+path[:len(path)-1], name)
	if aerr := c.authorize(arn); aerr != nil {
		return nil, aerr
	}
	trust, aerr := c.policyDocParam("AssumeRolePolicyDocument", "assumeRolePolicyDocument", policy.ParseTrust)
	if aerr != nil {
		return nil, aerr
	}
	maxSession, aerr := c.maxSessionParam(defaultAssumeRoleSeconds)
	if aerr != nil {
		return nil, aerr
	}
	if c.s.st.Roles[name] != nil {
		return nil, alreadyExists("Role with name %s already exists.", name)
	}
	r, err := c.s.createRoleLocked(name, path, trust, maxSession)
	if err != nil {
		return nil, serviceFailure()
	}
	r.Description = clip(c.params.Get("Description"), 1000)
	c.dirty = true
	return roleResult{Role: r.xml()}, nil
}

func (s *Server) createRoleLocked(name, path, trust string, maxSession int) (*role, error) {
	id, err := s.st.newID("AROA")
	if err != nil {
		return nil, err
	}
	r := &role{Name: name, ID: id, Path: path, ARN: "arn:aws:iam::" + s.st.Account + ":role" + path + name,
		Trust: trust, MaxSession: maxSession, Created: s.clock.Now(), Inline: map[string]string{}}
	s.st.Roles[name] = r
	return r, nil
}

func getRole(c *call) (any, *apiError) {
	r, aerr := c.authorizedRole()
	if aerr != nil {
		return nil, aerr
	}
	return roleResult{Role: r.xml()}, nil
}

func listRoles(c *call) (any, *apiError) {
	if aerr := c.authorize(c.arn("role", "")); aerr != nil {
		return nil, aerr
	}
	res := listRolesResult{Roles: []iamRole{}}
	prefix := c.params.Get("PathPrefix")
	for _, name := range sortedKeys(c.s.st.Roles) {
		if r := c.s.st.Roles[name]; strings.HasPrefix(r.Path, prefix) {
			res.Roles = append(res.Roles, r.xml())
		}
	}
	return res, nil
}

func updateAssumeRolePolicy(c *call) (any, *apiError) {
	r, aerr := c.authorizedRole()
	if aerr != nil {
		return nil, aerr
	}
	doc, aerr := c.policyDocParam("PolicyDocument", "policyDocument", policy.ParseTrust)
	if aerr != nil {
		return nil, aerr
	}
	r.Trust = doc
	c.dirty = true
	return nil, nil
}

func updateRole(c *call) (any, *apiError) {
	r, aerr := c.authorizedRole()
	if aerr != nil {
		return nil, aerr
	}
	maxSession, aerr := c.maxSessionParam(r.MaxSession)
	if aerr != nil {
		return nil, aerr
	}
	r.MaxSession = maxSession
	if d, ok := c.params["Description"]; ok && len(d) > 0 {
		r.Description = clip(d[0], 1000)
	}
	c.dirty = true
	return struct{}{}, nil
}

func deleteRole(c *call) (any, *apiError) {
	r, aerr := c.authorizedRole()
	if aerr != nil {
		return nil, aerr
	}
	if len(r.Inline) > 0 {
		return nil, deleteConflict("Cannot delete entity, must delete policies first.")
	}
	if len(r.Attached) > 0 {
		return nil, deleteConflict("Cannot delete entity, must detach all policies first.")
	}
	delete(c.s.st.Roles, r.Name)
	c.dirty = true
	return nil, nil
}

// ---- inline policies ----

// inlineTarget resolves the user, group or role an inline-policy action names.
func (c *call) inlineTarget(kind string) (owner string, arn string, policies map[string]string, aerr *apiError) {
	switch kind {
	case "user":
		u, aerr := c.userParam()
		if aerr != nil {
			return "", "", nil, aerr
		}
		return u.Name, u.ARN, u.Inline, nil
	case "group":
		g, aerr := c.groupParam()
		if aerr != nil {
			return "", "", nil, aerr
		}
		return g.Name, g.ARN, g.Inline, nil
	}
	r, aerr := c.roleParam()
	if aerr != nil {
		return "", "", nil, aerr
	}
	return r.Name, r.ARN, r.Inline, nil
}

// inlinePolicyQuota is IAM's quota on the aggregate size of an entity's
// inline policies, in characters not counting white space.
func inlinePolicyQuota(kind string) int {
	switch kind {
	case "user":
		return 2048
	case "group":
		return 5120
	}
	return 10240
}

// maxManagedPolicySize is IAM's quota on a managed policy document.
const maxManagedPolicySize = 6144

// policySize is a document's size as IAM counts it: white space excluded.
func policySize(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

func putInlinePolicy(kind string) func(c *call) (any, *apiError) {
	return func(c *call) (any, *apiError) {
		owner, arn, policies, aerr := c.inlineTarget(kind)
		if aerr != nil {
			return nil, aerr
		}
		if aerr := c.authorize(arn); aerr != nil {
			return nil, aerr
		}
		name, aerr := c.entityName("PolicyName", "policyName", 128)
		if aerr != nil {
			return nil, aerr
		}
		doc, aerr := c.policyDocParam("PolicyDocument", "policyDocument", policy.ParseIdentity)
		if aerr != nil {
			return nil, aerr
		}
		total := policySize(doc)
		for n, d := range policies {
			if n != name {
				total += policySize(d)
			}
		}
		if limit := inlinePolicyQuota(kind); total > limit {
			return nil, limitExceeded("Maximum policy size of %d bytes exceeded for %s %s", limit, kind, owner)
		}
		policies[name] = doc
		c.dirty = true
		return nil, nil
	}
}

func getInlinePolicy(kind string) func(c *call) (any, *apiError) {
	return func(c *call) (any, *apiError) {
		owner, arn, policies, aerr := c.inlineTarget(kind)
		if aerr != nil {
			return nil, aerr
		}
		if aerr := c.authorize(arn); aerr != nil {
			return nil, aerr
		}
		name, aerr := c.entityName("PolicyName", "policyName", 128)
		if aerr != nil {
			return nil, aerr
		}
		doc, ok := policies[name]
		if !ok {
			return nil, noSuchEntity("The %s policy with name %s cannot be found.", kind, name)
		}
		res := inlinePolicyResult{PolicyName: name, PolicyDocument: awsEscape(doc)}
		switch kind {
		case "user":
			res.UserName = owner
		case "group":
			res.GroupName = owner
		default:
			res.RoleName = owner
		}
		return res, nil
	}
}

func listInlinePolicies(kind string) func(c *call) (any, *apiError) {
	return func(c *call) (any, *apiError) {
		_, arn, policies, aerr := c.inlineTarget(kind)
		if aerr != nil {
			return nil, aerr
		}
		if aerr := c.authorize(arn); aerr != nil {
			return nil, aerr
		}
		return policyNamesResult{PolicyNames: append([]string{}, sortedKeys(policies)...)}, nil
	}
}

func deleteInlinePolicy(kind string) func(c *call) (any, *apiError) {
	return func(c *call) (any, *apiError) {
		_, arn, policies, aerr := c.inlineTarget(kind)
		if aerr != nil {
			return nil, aerr
		}
		if aerr := c.authorize(arn); aerr != nil {
			return nil, aerr
		}
		name, aerr := c.entityName("PolicyName", "policyName", 128)
		if aerr != nil {
			return nil, aerr
		}
		if _, ok := policies[name]; !ok {
			return nil, noSuchEntity("The %s policy with name %s cannot be found.", kind, name)
		}
		delete(policies, name)
		c.dirty = true
		return nil, nil
	}
}

// ---- managed policies ----

func createPolicy(c *call) (any, *apiError) {
	name, aerr := c.entityName("PolicyName", "policyName", 128)
	if aerr != nil {
		return nil, aerr
	}
	path, aerr := c.pathParam()
	if aerr != nil {
		return nil, aerr
	}
	arn := c.arn("policy"+path[:len(path)-1], name)
	if aerr := c.authorize(arn); aerr != nil {
		return nil, aerr
	}
	doc, aerr := c.policyDocParam("PolicyDocument", "policyDocument", policy.ParseIdentity)
	if aerr != nil {
		return nil, aerr
	}
	if policySize(doc) > maxManagedPolicySize {
		return nil, limitExceeded("Cannot exceed quota for PolicySize: %d", maxManagedPolicySize)
	}
	st := c.s.st
	for _, mp := range st.Policies {
		if mp.Name == name {
			return nil, alreadyExists("A policy called %s already exists. Duplicate names are not allowed.", name)
		}
	}
	id, err := st.newID("ANPA")
	if err != nil {
		return nil, serviceFailure()
	}
	mp := &managedPolicy{Name: name, ID: id, ARN: arn, Path: path, Document: doc, Created: c.now}
	st.Policies[arn] = mp
	c.dirty = true
	return policyResult{Policy: st.policyXML(mp)}, nil
}

func getPolicy(c *call) (any, *apiError) {
	mp, aerr := c.managedPolicyParam()
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.authorize(mp.ARN); aerr != nil {
		return nil, aerr
	}
	return policyResult{Policy: c.s.st.policyXML(mp)}, nil
}

func getPolicyVersion(c *call) (any, *apiError) {
	mp, aerr := c.managedPolicyParam()
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.authorize(mp.ARN); aerr != nil {
		return nil, aerr
	}
	if v := c.params.Get("VersionId"); v != mp.versionID() {
		return nil, noSuchEntity("Policy %s version %s does not exist or is not attachable.", mp.ARN, clip(v, 32))
	}
	return policyVersionResult{PolicyVersion: policyVersion{Document: awsEscape(mp.Document), VersionID: mp.versionID(), IsDefaultVersion: true, CreateDate: awsTime(mp.Created)}}, nil
}

func listPolicies(c *call) (any, *apiError) {
	if aerr := c.authorize(c.arn("policy", "")); aerr != nil {
		return nil, aerr
	}
	st := c.s.st
	res := listPoliciesResult{Policies: []iamPolicy{}}
	onlyAttached := c.params.Get("OnlyAttached") == "true"
	prefix := c.params.Get("PathPrefix")
	var sources []map[string]*managedPolicy
	switch scope := c.params.Get("Scope"); scope {
	case "", "All":
		sources = append(sources, c.s.awsPolicies, st.Policies)
	case "AWS":
		sources = append(sources, c.s.awsPolicies)
	case "Local":
		sources = append(sources, st.Policies)
	default:
		return nil, validationError("1 validation error detected: Value '%s' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]", clip(scope, 32))
	}
	for _, m := range sources {
		for _, arn := range sortedKeys(m) {
			mp := m[arn]
			if onlyAttached && st.attachmentCount(arn) == 0 || !strings.HasPrefix(mp.Path, prefix) {
				continue
			}
			res.Policies = append(res.Policies, st.policyXML(mp))
		}
	}
	return res, nil
}

func deletePolicy(c *call) (any, *apiError) {
	mp, aerr := c.managedPolicyParam()
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.authorize(mp.ARN); aerr != nil {
		return nil, aerr
	}
	if mp.AWS {
		return nil, c.denied("iam:DeletePolicy", mp.ARN, "")
	}
	if c.s.st.attachmentCount(mp.ARN) > 0 {
		return nil, deleteConflict("Cannot delete a policy attached to entities.")
	}
	delete(c.s.st.Policies, mp.ARN)
	c.dirty = true
	return nil, nil
}

// attachTarget resolves the attachment list of the user, group or role an
// action names.
func (c *call) attachTarget(kind string) (arn string, list *[]string, aerr *apiError) {
	switch kind {
	case "user":
		u, aerr := c.userParam()
		if aerr != nil {
			return "", nil, aerr
		}
		return u.ARN, &u.Attached, nil
	case "group":
		g, aerr := c.groupParam()
		if aerr != nil {
			return "", nil, aerr
		}
		return g.ARN, &g.Attached, nil
	}
	r, aerr := c.roleParam()
	if aerr != nil {
		return "", nil, aerr
	}
	return r.ARN, &r.Attached, nil
}

func attachPolicy(kind string) func(c *call) (any, *apiError) {
	return func(c *call) (any, *apiError) {
		arn, list, aerr := c.attachTarget(kind)
		if aerr != nil {
			return nil, aerr
		}
		if aerr := c.authorize(arn); aerr != nil {
			return nil, aerr
		}
		mp, aerr := c.managedPolicyParam()
		if aerr != nil {
			return nil, aerr
		}
		if !slices.Contains(*list, mp.ARN) {
			if len(*list) >= maxAttachedPolicies {
				return nil, limitExceeded("Cannot exceed quota for PoliciesPer%s: %d", strings.ToUpper(kind[:1])+kind[1:], maxAttachedPolicies)
			}
			*list = append(*list, mp.ARN)
			c.dirty = true
		}
		return nil, nil
	}
}

func detachPolicy(kind string) func(c *call) (any, *apiError) {
	return func(c *call) (any, *apiError) {
		arn, list, aerr := c.attachTarget(kind)
		if aerr != nil {
			return nil, aerr
		}
		if aerr := c.authorize(arn); aerr != nil {
			return nil, aerr
		}
		parn, aerr := c.required("PolicyArn", "policyArn")
		if aerr != nil {
			return nil, aerr
		}
		i := slices.Index(*list, parn)
		if i < 0 {
			return nil, noSuchEntity("Policy %s was not found.", clip(parn, 2048))
		}
		*list = slices.Delete(*list, i, i+1)
		c.dirty = true
		return nil, nil
	}
}

func listAttachedPolicies(kind string) func(c *call) (any, *apiError) {
	return func(c *call) (any, *apiError) {
		arn, list, aerr := c.attachTarget(kind)
		if aerr != nil {
			return nil, aerr
		}
		if aerr := c.authorize(arn); aerr != nil {
			return nil, aerr
		}
		res := attachedPoliciesResult{AttachedPolicies: []attachedPolicy{}}
		for _, parn := range *list {
			if mp := c.s.policyLocked(parn); mp != nil {
				res.AttachedPolicies = append(res.AttachedPolicies, attachedPolicy{PolicyName: mp.Name, PolicyArn: mp.ARN})
			}
		}
		return res, nil
	}
}
