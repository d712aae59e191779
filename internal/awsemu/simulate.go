package awsemu

import (
	"strconv"
	"strings"

	"github.com/awsmfa/awsmfa/internal/awsemu/policy"
)

// maxListMembers bounds how many .member.N entries one list parameter may
// carry, so a hostile request cannot make the emulator loop for long.
const maxListMembers = 1000

type matchedStatement struct {
	SourcePolicyID   string `xml:"SourcePolicyId"`
	SourcePolicyType string `xml:"SourcePolicyType"`
}

type evaluationResult struct {
	EvalActionName       string             `xml:"EvalActionName"`
	EvalResourceName     string             `xml:"EvalResourceName"`
	EvalDecision         string             `xml:"EvalDecision"`
	MatchedStatements    []matchedStatement `xml:"MatchedStatements>member"`
	MissingContextValues []string           `xml:"MissingContextValues>member"`
}

type simulateResult struct {
	EvaluationResults []evaluationResult `xml:"EvaluationResults>member"`
	IsTruncated       bool               `xml:"IsTruncated"`
}

// memberList reads the query protocol's list encoding NAME.member.1, .2, …
func (c *call) memberList(name string) []string {
	var out []string
	for i := 1; i <= maxListMembers; i++ {
		vs, ok := c.params[name+".member."+strconv.Itoa(i)]
		if !ok || len(vs) == 0 {
			break
		}
		out = append(out, vs[0])
	}
	return out
}

func simulatePrincipalPolicy(c *call) (any, *apiError) {
	src, aerr := c.required("PolicySourceArn", "policySourceArn")
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.authorize(src); aerr != nil {
		return nil, aerr
	}
	st := c.s.st
	var sources []policySource
	// Policy variables of a user source resolve to that user, unless the
	// caller's ContextEntries say otherwise.
	implied := map[string][]string{}
	found := false
	for _, u := range st.Users {
		if u.ARN == src {
			sources, found = c.s.userPoliciesLocked(u), true
			implied["aws:username"], implied["aws:userid"] = []string{u.Name}, []string{u.ID}
		}
	}
	for _, g := range st.Groups {
		if g.ARN == src {
			sources, found = c.s.identityPoliciesLocked(g.Inline, g.Attached, "group"), true
		}
	}
	if r := st.roleByARN(src); r != nil {
		sources, found = c.s.identityPoliciesLocked(r.Inline, r.Attached, "role"), true
	}
	if !found {
		return nil, noSuchEntity("The entity %s cannot be found.", clip(src, 2048))
	}
	principalARN := src
	actions := c.memberList("ActionNames")
	if len(actions) == 0 {
		return nil, validationError("1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null")
	}
	resources := c.memberList("ResourceArns")
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	ctx := map[string][]string{}
	for i := 1; i <= maxListMembers; i++ {
		prefix := "ContextEntries.member." + strconv.Itoa(i) + "."
		key := c.params.Get(prefix + "ContextKeyName")
		if key == "" {
			break
		}
		ctx[key] = append(ctx[key], c.memberList(prefix+"ContextKeyValues")...)
	}
	for k, v := range implied {
		given := false
		for ck := range ctx {
			given = given || strings.EqualFold(ck, k)
		}
		if !given {
			ctx[k] = v
		}
	}
	var docs []*policy.Document
	var docSources []policySource
	for _, s := range sources {
		d, err := policy.Parse(s.Doc)
		if err != nil {
			continue
		}
		docs = append(docs, d)
		docSources = append(docSources, s)
	}
	res := simulateResult{EvaluationResults: []evaluationResult{}}
	for _, action := range actions {
		for _, resource := range resources {
			r := policy.EvaluateIdentity(docs, policy.Request{Principal: principalARN, Action: action, Resource: resource, Context: ctx})
			er := evaluationResult{EvalActionName: action, EvalResourceName: resource, EvalDecision: r.Decision.String(),
				MatchedStatements: []matchedStatement{}, MissingContextValues: append([]string{}, r.Missing...)}
			for _, m := range r.Matched {
				if m.Doc >= 0 && m.Doc < len(docSources) {
					er.MatchedStatements = append(er.MatchedStatements, matchedStatement{SourcePolicyID: docSources[m.Doc].ID, SourcePolicyType: docSources[m.Doc].Type})
				}
			}
			res.EvaluationResults = append(res.EvaluationResults, er)
		}
	}
	return res, nil
}
