package mfapolicy

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Severity ranks a Finding. Its values are audit's JSON severities.
type Severity string

// Severities, from harmless to urgent.
const (
	SeverityOK       Severity = "ok"
	SeverityWarning  Severity = "warning"
	SeverityCritical Severity = "critical"
)

// Finding IDs: stable names for audit's JSON and for tests.
const (
	// Trust policies.
	FindingTrustRequiresMFA   = "trust-requires-mfa"       // ok: only MFA credentials can assume the role
	FindingTrustNoMFA         = "trust-no-mfa"             // critical: no MFA condition
	FindingTrustBoolIfExists  = "trust-boolifexists"       // critical: BoolIfExists true, which a long-term key passes
	FindingTrustPrincipalUser = "trust-principal-user"     // ok: the principal is named users or roles
	FindingTrustPrincipalAcct = "trust-principal-account"  // warning: the account root: any principal of the account allowed sts:AssumeRole
	FindingTrustPrincipalAll  = "trust-principal-everyone" // critical: "*"
	FindingTrustMFAAgeShort   = "trust-mfa-age-short"      // warning: the age limit is shorter than awsmfa's MFA session
	FindingTrustMFAAgeOK      = "trust-mfa-age"            // ok: the age limit covers awsmfa's MFA session

	// Identity policies.
	FindingDenyBoolNeverFires = "deny-bool-never-fires" // critical: Bool false in a deny, which never fires for a long-term key
	FindingAllowBoolIfExists  = "allow-boolifexists"    // critical: BoolIfExists true in an allow, which a long-term key passes
	FindingAllowWithoutMFA    = "allow-without-mfa"     // critical: an allow without MFA condition that no deny covers
	FindingKeyLocked          = "key-locked"            // ok: none of the probed actions is open to the key alone
)

// Finding is one judgement of a document.
type Finding struct {
	ID       string
	Severity Severity
	// Doc is the index of the document among those judged; Statement the
	// statement's index in it (-1 for the whole set), Sid its Sid.
	Doc       int
	Statement int
	Sid       string
	// Actions are the probed actions a finding is about (allow-without-mfa).
	Actions []string
	Message string
}

func (f Finding) String() string { return string(f.Severity) + " " + f.ID + ": " + f.Message }

// TrustExpectation is what CheckTrust judges a trust policy against.
type TrustExpectation struct {
	// SessionLength is how long awsmfa's MFA sessions last (an age limit
	// shorter than it makes later role calls ask for a new code); zero means
	// DefaultMaxMFAAge.
	SessionLength time.Duration
}

// mfaUse is what a statement's conditions say about MFA.
type mfaUse struct {
	requires     bool   // a long-term key cannot satisfy them (Bool true, or an age limit without IfExists)
	boolIfExists bool   // BoolIfExists aws:MultiFactorAuthPresent true: a long-term key passes
	maxAge       int64  // seconds, from NumericLessThan(Equals) aws:MultiFactorAuthAge; 0 when none
	ageOp        string // the operator that set maxAge
}

func mfaOf(c Conditions) mfaUse {
	var u mfaUse
	for op, keys := range c {
		base := strings.ToLower(op)
		ifExists := strings.HasSuffix(base, "ifexists")
		base = strings.TrimSuffix(base, "ifexists")
		for key, vals := range keys {
			switch {
			case strings.EqualFold(key, KeyMFAPresent) && base == "bool":
				if !allEqualFold(vals, "true") {
					continue
				}
				if ifExists {
					u.boolIfExists = true
				} else {
					u.requires = true
				}
			case strings.EqualFold(key, KeyMFAAge) && (base == "numericlessthan" || base == "numericlessthanequals"):
				if len(vals) != 1 {
					continue
				}
				n, err := strconv.ParseFloat(vals[0], 64)
				if err != nil {
					continue
				}
				if !ifExists {
					// The age is present only in MFA credentials.
					u.requires = true
				}
				u.maxAge, u.ageOp = int64(n), op
				if base == "numericlessthanequals" {
					u.maxAge++
				}
			}
		}
	}
	return u
}

func allEqualFold(vals []string, want string) bool {
	for _, v := range vals {
		if !strings.EqualFold(v, want) {
			return false
		}
	}
	return len(vals) > 0
}

// firesWithoutMFA reports whether a deny statement applies to every request
// of a long-term key: it has no condition, or only conditions that hold when
// aws:MultiFactorAuthPresent is absent (BoolIfExists false, Null true).
// Conditions on anything else may not hold, so such a deny is not counted on.
func firesWithoutMFA(s Statement) bool {
	for op, keys := range s.Condition {
		for key, vals := range keys {
			if !strings.EqualFold(key, KeyMFAPresent) {
				return false
			}
			switch strings.ToLower(op) {
			case "boolifexists":
				if !allEqualFold(vals, "false") {
					return false
				}
			case "null":
				if !allEqualFold(vals, "true") {
					return false
				}
			default:
				return false
			}
		}
	}
	return true
}

// neverFiresForKey reports whether a deny is written with Bool false on
// aws:MultiFactorAuthPresent, the classic mistake: the key is absent for a
// long-term key, so Bool does not match and the deny never applies to it.
func neverFiresForKey(s Statement) bool {
	for op, keys := range s.Condition {
		if !strings.EqualFold(op, "Bool") {
			continue
		}
		for key, vals := range keys {
			if strings.EqualFold(key, KeyMFAPresent) && allEqualFold(vals, "false") {
				return true
			}
		}
	}
	return false
}

// CheckTrust judges a role's trust policy: does assuming the role need MFA,
// and whom does it let in? Statements for services and federated principals
// are not judged: they are not people with access keys. A trust policy with
// no such statement yields no findings.
func CheckTrust(d *Document, want TrustExpectation) []Finding {
	session := want.SessionLength
	if session == 0 {
		session = DefaultMaxMFAAge
	}
	var out []Finding
	add := func(i int, s Statement, id string, sev Severity, format string, args ...any) {
		out = append(out, Finding{ID: id, Severity: sev, Statement: i, Sid: s.Sid, Message: fmt.Sprintf(format, args...)})
	}
	// An explicit deny in the trust policy that fires for a long-term key
	// makes the allows safe.
	denied := false
	for _, s := range d.Statement {
		if s.Effect == Deny && s.Principal != nil && matchesAny(s, "sts:AssumeRole") && firesWithoutMFA(s) && coversAllResources(s) {
			denied = true
		}
	}
	for i, s := range d.Statement {
		if s.Effect != Allow || s.Principal == nil || !matchesAny(s, "sts:AssumeRole") {
			continue
		}
		p := s.Principal
		if !p.All && len(p.AWS) == 0 {
			continue
		}
		where := statementName(i, s)
		u := mfaOf(s.Condition)
		switch {
		case u.requires || denied:
			add(i, s, FindingTrustRequiresMFA, SeverityOK, "%s lets in only credentials obtained with MFA", where)
		case u.boolIfExists:
			add(i, s, FindingTrustBoolIfExists, SeverityCritical,
				"%s lets a long-term access key assume the role without MFA: BoolIfExists aws:MultiFactorAuthPresent true holds when the key is absent, as it is for access keys; use Bool", where)
		default:
			add(i, s, FindingTrustNoMFA, SeverityCritical,
				"%s lets the role be assumed without MFA: add the condition Bool aws:MultiFactorAuthPresent true", where)
		}
		switch scope := principalScope(p); scope {
		case scopeEveryone:
			add(i, s, FindingTrustPrincipalAll, SeverityCritical, "%s trusts every AWS principal (\"*\"): name the user instead", where)
		case scopeAccount:
			add(i, s, FindingTrustPrincipalAcct, SeverityWarning,
				"%s trusts a whole account (its root): any principal there that is allowed sts:AssumeRole may assume the role; name the user instead", where)
		default:
			add(i, s, FindingTrustPrincipalUser, SeverityOK, "%s trusts named principals only", where)
		}
		if u.maxAge > 0 {
			limit := time.Duration(u.maxAge) * time.Second
			if limit < session {
				add(i, s, FindingTrustMFAAgeShort, SeverityWarning,
					"%s admits MFA credentials only for %s after signing in with MFA, less than awsmfa's MFA session (%s): later role calls ask for a new code",
					where, limit, session)
			} else {
				add(i, s, FindingTrustMFAAgeOK, SeverityOK, "%s admits MFA credentials for %s after signing in with MFA", where, limit)
			}
		}
	}
	return out
}

type scope int

const (
	scopeNamed scope = iota
	scopeAccount
	scopeEveryone
)

// principalScope is the widest of p's AWS principals.
func principalScope(p *Principal) scope {
	if p.All {
		return scopeEveryone
	}
	widest := scopeNamed
	for _, a := range p.AWS {
		switch {
		case a == "*":
			return scopeEveryone
		case isAccountID(a) || strings.HasSuffix(a, ":root"):
			widest = scopeAccount
		}
	}
	return widest
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func statementName(i int, s Statement) string {
	if s.Sid != "" {
		return fmt.Sprintf("statement %d (%s)", i, s.Sid)
	}
	return fmt.Sprintf("statement %d", i)
}

// ProbeActions are high-value actions that a long-term key alone must not be
// allowed: IAM writes, S3 reads and writes, compute, secrets. Audit asks
// SimulatePrincipalPolicy about them; CheckIdentity judges documents by them.
// sts:AssumeRole is not among them: whether a role can be assumed without
// MFA is its trust policy's business (CheckTrust).
func ProbeActions() []string {
	return []string{
		"iam:CreateUser",
		"iam:CreateAccessKey",
		"iam:AttachUserPolicy",
		"iam:PutUserPolicy",
		"iam:CreateRole",
		"iam:UpdateAssumeRolePolicy",
		"iam:DeactivateMFADevice",
		"iam:DeleteVirtualMFADevice",
		"s3:ListAllMyBuckets",
		"s3:GetObject",
		"s3:PutObject",
		"s3:DeleteObject",
		"ec2:DescribeRegions",
		"ec2:DescribeInstances",
		"ec2:RunInstances",
		"kms:Decrypt",
		"secretsmanager:GetSecretValue",
		"ssm:GetParameter",
		"lambda:InvokeFunction",
		"dynamodb:Scan",
		"sts:GetFederationToken",
	}
}

// Grant is one action a long-term key alone is allowed, and the statement
// that allows it.
type Grant struct {
	Action    string
	Doc       int
	Statement int
	Sid       string
}

// KeyAloneAllows judges, from the documents alone, which of actions a
// long-term key (no MFA keys in its requests) is allowed by identity policies
// docs, taken together as IAM does: an allow applies unless it needs MFA, a
// deny counts only if it fires for every request of such a key on every
// resource. Other conditions and resources are read in the key's favour,
// so the answer errs towards "allowed". Each allowed action is listed once,
// with the first statement that allows it.
func KeyAloneAllows(docs []*Document, actions []string) []Grant {
	var out []Grant
	for _, a := range actions {
		if deniedWithoutMFA(docs, a) {
			continue
		}
		if g, ok := allowedWithoutMFA(docs, a); ok {
			out = append(out, g)
		}
	}
	return out
}

func deniedWithoutMFA(docs []*Document, action string) bool {
	for _, d := range docs {
		for _, s := range d.Statement {
			if s.Effect == Deny && matchesAny(s, action) && firesWithoutMFA(s) && coversAllResources(s) {
				return true
			}
		}
	}
	return false
}

func allowedWithoutMFA(docs []*Document, action string) (Grant, bool) {
	for di, d := range docs {
		for si, s := range d.Statement {
			if s.Effect == Allow && matchesAny(s, action) && !mfaOf(s.Condition).requires {
				return Grant{Action: action, Doc: di, Statement: si, Sid: s.Sid}, true
			}
		}
	}
	return Grant{}, false
}

// coversAllResources reports whether a statement names Resource "*". Narrower
// resources, and NotResource, are not counted on to cover every request.
func coversAllResources(s Statement) bool {
	for _, r := range s.Resource {
		if r == "*" {
			return true
		}
	}
	return false
}

// matchesAny reports whether statement s's Action (or NotAction) covers
// action.
func matchesAny(s Statement, action string) bool {
	if len(s.NotAction) > 0 {
		for _, p := range s.NotAction {
			if matchAction(p, action) {
				return false
			}
		}
		return true
	}
	for _, p := range s.Action {
		if matchAction(p, action) {
			return true
		}
	}
	return false
}

// matchAction matches an IAM action pattern (case-insensitive, with * and ?)
// against an action name.
func matchAction(pattern, action string) bool {
	return glob(strings.ToLower(pattern), strings.ToLower(action))
}

func glob(p, s string) bool {
	// Iterative wildcard match with backtracking to the last star.
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// CheckIdentity judges the identity policies that apply to a user (its own,
// its groups', managed or inline) for whether they hold without MFA:
//   - a deny written with Bool aws:MultiFactorAuthPresent false never fires
//     for a long-term key;
//   - an allow written with BoolIfExists … true lets a long-term key through;
//   - an allow without an MFA condition, of any of ProbeActions (and of the
//     actions the allows name outright), that no deny stops.
//
// When none of the probed actions is open, one ok finding says so.
func CheckIdentity(docs []*Document) []Finding {
	var out []Finding
	for di, d := range docs {
		for si, s := range d.Statement {
			if s.Effect == Deny && neverFiresForKey(s) {
				out = append(out, Finding{ID: FindingDenyBoolNeverFires, Severity: SeverityCritical, Doc: di, Statement: si, Sid: s.Sid,
					Message: fmt.Sprintf("%s of policy %d never denies a long-term access key: Bool aws:MultiFactorAuthPresent false does not match when the key is absent, as it is for access keys; use BoolIfExists", statementName(si, s), di)})
			}
		}
	}
	probes := ProbeActions()
	for _, d := range docs {
		for _, s := range d.Statement {
			if s.Effect != Allow {
				continue
			}
			for _, a := range s.Action {
				if !strings.ContainsAny(a, "*?") && !containsFold(probes, a) && !containsFold(NoMFAActions(), a) && !strings.EqualFold(a, "sts:AssumeRole") {
					probes = append(probes, a)
				}
			}
		}
	}
	grants := KeyAloneAllows(docs, probes)
	type at struct{ doc, stmt int }
	var order []at
	byStmt := map[at][]string{}
	for _, g := range grants {
		k := at{g.Doc, g.Statement}
		if _, ok := byStmt[k]; !ok {
			order = append(order, k)
		}
		byStmt[k] = append(byStmt[k], g.Action)
	}
	for _, k := range order {
		s := docs[k.doc].Statement[k.stmt]
		f := Finding{ID: FindingAllowWithoutMFA, Severity: SeverityCritical, Doc: k.doc, Statement: k.stmt, Sid: s.Sid, Actions: byStmt[k]}
		if mfaOf(s.Condition).boolIfExists {
			f.ID = FindingAllowBoolIfExists
			f.Message = fmt.Sprintf("%s of policy %d allows a long-term access key %s: BoolIfExists aws:MultiFactorAuthPresent true holds when the key is absent, as it is for access keys; use Bool",
				statementName(k.stmt, s), k.doc, strings.Join(byStmt[k], ", "))
		} else {
			f.Message = fmt.Sprintf("%s of policy %d allows a long-term access key without MFA: %s",
				statementName(k.stmt, s), k.doc, strings.Join(byStmt[k], ", "))
		}
		out = append(out, f)
	}
	if len(grants) == 0 {
		out = append(out, Finding{ID: FindingKeyLocked, Severity: SeverityOK, Statement: -1,
			Message: "without MFA the key can do none of the probed actions"})
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// Worst is the highest severity among fs (SeverityOK when empty).
func Worst(fs []Finding) Severity {
	w := SeverityOK
	for _, f := range fs {
		switch {
		case f.Severity == SeverityCritical:
			return SeverityCritical
		case f.Severity == SeverityWarning:
			w = SeverityWarning
		}
	}
	return w
}
