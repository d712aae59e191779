package policy

import (
	"maps"
	"slices"
	"strings"
)

// Request is what a policy is evaluated against.
type Request struct {
	// Principal is the caller's ARN: arn:aws:iam::ACCT:user/NAME,
	// arn:aws:sts::ACCT:assumed-role/ROLE/SESSION, arn:aws:iam::ACCT:root or
	// arn:aws:sts::ACCT:federated-user/NAME.
	Principal string
	// Action is "service:Action"; matched case-insensitively.
	Action string
	// Resource is the target ARN; wildcards apply on the policy side only.
	Resource string
	// Context maps condition keys (case-insensitive) to their values. A key
	// that is missing or has no values is absent: AWS omits
	// aws:MultiFactorAuthPresent and aws:MultiFactorAuthAge entirely for
	// requests signed with long-term keys.
	Context map[string][]string
}

// Decision is the outcome of an evaluation.
type Decision int

// The three outcomes, as SimulatePrincipalPolicy names them.
const (
	ImplicitDeny Decision = iota
	Allowed
	ExplicitDeny
)

// String returns the EvalDecision spelling used by SimulatePrincipalPolicy.
func (d Decision) String() string {
	switch d {
	case Allowed:
		return "allowed"
	case ExplicitDeny:
		return "explicitDeny"
	}
	return "implicitDeny"
}

// Match identifies a statement that decided a result: Doc indexes the docs
// given to EvaluateIdentity (always 0 for EvaluateTrust), Statement the
// statement within it.
type Match struct {
	Doc       int
	Statement int
	Sid       string
	Effect    string
}

// Result is a decision and the statements behind it: the matching Deny
// statements for ExplicitDeny, the matching Allow statements for Allowed,
// none for ImplicitDeny.
type Result struct {
	Decision Decision
	Matched  []Match
	// ViaAccount is set by EvaluateTrust when the result is Allowed only
	// because an Allow statement names the caller's account (its ID or root
	// ARN) rather than the caller (its user ARN, its role's ARN, its session
	// ARN, or "*"). AWS then also requires the caller's identity policies to
	// allow sts:AssumeRole. Independently of this flag, a caller from another
	// account always needs that identity-policy allow.
	ViaAccount bool
	// Missing lists, sorted and without repeats, the condition keys that
	// statements matching the action and resource test but that the request
	// does not carry: SimulatePrincipalPolicy's MissingContextValues. Set by
	// EvaluateIdentity only.
	Missing []string
}

// requestContext is Request.Context indexed by lower-cased key.
type requestContext struct {
	keys map[string][]string
}

func newRequestContext(m map[string][]string) *requestContext {
	c := &requestContext{keys: make(map[string][]string, len(m))}
	for k, v := range m {
		lk := strings.ToLower(k)
		c.keys[lk] = append(c.keys[lk], v...)
	}
	return c
}

func (c *requestContext) values(lowerKey string) []string { return c.keys[lowerKey] }

// EvaluateIdentity evaluates identity-based policies: an explicit Deny in any
// document wins, else any Allow, else the implicit deny. Statements with a
// Principal or NotPrincipal element (invalid in identity policies; rejected by
// ParseIdentity) never apply; a statement without Resource or NotResource
// (also rejected by ParseIdentity) is not limited by resource. Nil documents
// are skipped.
func EvaluateIdentity(docs []*Document, req Request) Result {
	ctx := newRequestContext(req.Context)
	var e evaluation
	missing := map[string]string{}
	for i, d := range docs {
		if d == nil {
			continue
		}
		for j := range d.statements {
			s := &d.statements[j]
			if s.principal != nil {
				continue
			}
			s.missingKeys(req, ctx, missing)
			if !s.applies(req, ctx) {
				continue
			}
			e.add(Match{Doc: i, Statement: j, Sid: s.sid, Effect: string(s.effect)}, false)
		}
	}
	r := e.result()
	for _, k := range slices.Sorted(maps.Keys(missing)) {
		r.Missing = append(r.Missing, missing[k])
	}
	return r
}

// missingKeys adds to into (lower-cased key → key as written) the condition
// keys the statement tests that ctx lacks, when its Action and Resource
// match the request.
func (s *statement) missingKeys(req Request, ctx *requestContext, into map[string]string) {
	if len(s.conditions) == 0 || s.matchAction(req.Action) == s.notAction {
		return
	}
	if s.resources != nil {
		matched, ok := s.matchResource(req.Resource, ctx)
		if ok && matched == s.notResource {
			return
		}
	}
	for i := range s.conditions {
		c := &s.conditions[i]
		if len(ctx.values(c.key)) == 0 {
			if _, seen := into[c.key]; !seen {
				into[c.key] = c.name
			}
		}
	}
}

// EvaluateTrust evaluates a role trust policy for a caller that wants to
// assume the role: a statement applies only if its Principal names the
// caller (or its NotPrincipal does not). Statements without either element
// never apply. A statement's Resource, if any, is matched against
// req.Resource. A nil document allows nothing.
func EvaluateTrust(doc *Document, req Request) Result {
	var e evaluation
	if doc == nil {
		return e.result()
	}
	ctx := newRequestContext(req.Context)
	for j := range doc.statements {
		s := &doc.statements[j]
		if s.principal == nil {
			continue
		}
		matched, via := s.principal.match(req.Principal)
		if s.notPrincipal {
			matched, via = !matched, false
		}
		if !matched || !s.applies(req, ctx) {
			continue
		}
		e.add(Match{Doc: 0, Statement: j, Sid: s.sid, Effect: string(s.effect)}, via)
	}
	return e.result()
}

// evaluation collects matching statements.
type evaluation struct {
	allows, denies []Match
	directAllow    bool // some allow matched the caller directly
}

func (e *evaluation) add(m Match, viaAccount bool) {
	if m.Effect == string(Deny) {
		e.denies = append(e.denies, m)
		return
	}
	e.allows = append(e.allows, m)
	if !viaAccount {
		e.directAllow = true
	}
}

func (e *evaluation) result() Result {
	switch {
	case len(e.denies) > 0:
		return Result{Decision: ExplicitDeny, Matched: e.denies}
	case len(e.allows) > 0:
		return Result{Decision: Allowed, Matched: e.allows, ViaAccount: !e.directAllow}
	}
	return Result{Decision: ImplicitDeny}
}

// applies reports whether the statement's Action, Resource and Condition
// elements all match the request (Principal is the caller's concern).
func (s *statement) applies(req Request, ctx *requestContext) bool {
	if s.matchAction(req.Action) == s.notAction {
		return false
	}
	if s.resources != nil {
		matched, ok := s.matchResource(req.Resource, ctx)
		if !ok || matched == s.notResource {
			return false
		}
	}
	for i := range s.conditions {
		holds, ok := s.conditions[i].holds(ctx)
		if !ok || !holds {
			return false
		}
	}
	return true
}

func (s *statement) matchAction(action string) bool {
	for _, a := range s.actions {
		p, _ := a.resolve(nil, true) // actions have no variables
		if matchPattern(p, action, false, true) {
			return true
		}
	}
	return false
}

// matchResource reports whether resource matches any Resource entry; ok is
// false when an entry has a variable that cannot be resolved.
func (s *statement) matchResource(resource string, ctx *requestContext) (matched, ok bool) {
	for _, r := range s.resources {
		if r.isStar() {
			matched = true
			continue
		}
		p, resolved := r.resolve(ctx, false)
		if !resolved {
			return false, false
		}
		if matchPattern(p, resource, true, false) {
			matched = true
		}
	}
	return matched, true
}
