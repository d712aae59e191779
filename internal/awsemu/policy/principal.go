package policy

import (
	"encoding/json"
	"strings"
)

// principalSet is a parsed Principal or NotPrincipal element.
type principalSet struct {
	everyone  bool // "*" or {"AWS": "*"}
	aws       []awsPrincipal
	service   []string
	federated []string
	canonical []string
}

type principalKind uint8

const (
	// principalAccount names an account (ID or its root ARN): any principal
	// of that account matches.
	principalAccount principalKind = iota
	// principalExact names a user, assumed-role session or federated user.
	principalExact
	// principalRole names a role: its sessions match.
	principalRole
)

type awsPrincipal struct {
	kind      principalKind
	partition string // "" for a bare account ID: any partition
	account   string
	arn       string // principalExact
	role      string // principalRole: the role name without its path
}

func parsePrincipal(raw json.RawMessage, what string) (*principalSet, error) {
	if s, ok := jsonString(raw); ok {
		if s != "*" {
			return nil, parseErrorf("%s: a string principal must be \"*\"", what)
		}
		return &principalSet{everyone: true}, nil
	}
	members, err := objectMembers(raw, what)
	if err != nil {
		return nil, err
	}
	if len(members) == 0 {
		return nil, parseErrorf("%s must not be empty", what)
	}
	p := &principalSet{}
	for _, m := range members {
		list, err := stringList(m.value, what+": "+m.name)
		if err != nil {
			return nil, err
		}
		for _, v := range list {
			if v == "" {
				return nil, parseErrorf("%s: empty principal", what)
			}
		}
		switch m.name {
		case "AWS":
			for _, v := range list {
				if v == "*" {
					p.everyone = true
					continue
				}
				ap, ok := parseAWSPrincipal(v)
				if !ok {
					return nil, parseErrorf("%s: invalid principal %s", what, quote(v))
				}
				p.aws = append(p.aws, ap)
			}
		case "Service":
			p.service = append(p.service, list...)
		case "Federated":
			p.federated = append(p.federated, list...)
		case "CanonicalUser":
			p.canonical = append(p.canonical, list...)
		default:
			return nil, parseErrorf("%s: unknown principal type %s", what, quote(m.name))
		}
	}
	return p, nil
}

// parseAWSPrincipal accepts what IAM accepts in an "AWS" principal: an account
// ID, or the ARN of an account root, user, role, assumed-role session or
// federated user. IAM does not allow wildcards inside a principal ARN.
func parseAWSPrincipal(v string) (awsPrincipal, bool) {
	if isAccountID(v) {
		return awsPrincipal{kind: principalAccount, account: v}, true
	}
	if strings.ContainsAny(v, "*?") {
		return awsPrincipal{}, false
	}
	a, ok := splitARN(v)
	if !ok || a.region != "" || !isAccountID(a.account) {
		return awsPrincipal{}, false
	}
	switch a.service {
	case "iam":
		switch {
		case a.resource == "root":
			return awsPrincipal{kind: principalAccount, partition: a.partition, account: a.account}, true
		case strings.HasPrefix(a.resource, "user/") && pathNameOK(a.resource[len("user/"):]):
			return awsPrincipal{kind: principalExact, arn: v}, true
		case strings.HasPrefix(a.resource, "role/") && pathNameOK(a.resource[len("role/"):]):
			name := a.resource[strings.LastIndexByte(a.resource, '/')+1:]
			return awsPrincipal{kind: principalRole, partition: a.partition, account: a.account, role: name}, true
		}
	case "sts":
		if role, session, ok := assumedRole(a.resource); ok && role != "" && session != "" {
			return awsPrincipal{kind: principalExact, arn: v}, true
		}
		if name, ok := strings.CutPrefix(a.resource, "federated-user/"); ok && name != "" && !strings.Contains(name, "/") {
			return awsPrincipal{kind: principalExact, arn: v}, true
		}
	}
	return awsPrincipal{}, false
}

// pathNameOK checks "[path/]name": a non-empty last segment and no empty
// segment before it.
func pathNameOK(s string) bool {
	for _, seg := range strings.Split(s, "/") {
		if seg == "" {
			return false
		}
	}
	return true
}

func assumedRole(resource string) (role, session string, ok bool) {
	rest, ok := strings.CutPrefix(resource, "assumed-role/")
	if !ok {
		return "", "", false
	}
	role, session, ok = strings.Cut(rest, "/")
	if !ok || strings.Contains(session, "/") {
		return "", "", false
	}
	return role, session, true
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

type arnParts struct {
	partition, service, region, account, resource string
}

// splitARN splits "arn:partition:service:region:account:resource"; the
// resource may itself contain ':'.
func splitARN(s string) (arnParts, bool) {
	f := strings.SplitN(s, ":", 6)
	if len(f) != 6 || f[0] != "arn" || f[1] == "" || f[2] == "" || f[5] == "" {
		return arnParts{}, false
	}
	return arnParts{partition: f[1], service: f[2], region: f[3], account: f[4], resource: f[5]}, true
}

// match reports whether caller (a Request.Principal ARN) is in the set, and
// whether it is only so because its account is named (viaAccount); a match
// by "*" or by the caller's own ARN (or its role's) is direct. Service,
// Federated and CanonicalUser principals never match: emulator callers are
// always IAM or STS principals.
func (p *principalSet) match(caller string) (matched, viaAccount bool) {
	if p.everyone {
		return true, false
	}
	c, isARN := splitARN(caller)
	for _, ap := range p.aws {
		switch ap.kind {
		case principalExact:
			if caller == ap.arn {
				return true, false
			}
		case principalRole:
			if isARN && c.service == "sts" && c.partition == ap.partition && c.account == ap.account {
				if role, session, ok := assumedRole(c.resource); ok && role == ap.role && session != "" {
					return true, false
				}
			}
		case principalAccount:
			if isARN && c.account == ap.account && (ap.partition == "" || ap.partition == c.partition) {
				viaAccount = true
			}
		}
	}
	return viaAccount, viaAccount
}
