package awsconfig

import (
	"errors"
	"fmt"
	"strings"
)

// ErrSourceCycle is matched by a source_profile chain that loops.
var ErrSourceCycle = errors.New("source_profile cycle")

// SourceChain returns the profiles botocore walks to get credentials for
// name, from name itself down to the profile that holds (or should hold) the
// long-term key, following botocore's assume-role provider:
//
//   - the named profile is a role when it has role_arn (and no
//     web_identity_token_file); otherwise the chain is just that profile;
//   - a role needs exactly one of source_profile and credential_source; with
//     credential_source the chain ends at the role;
//   - a source profile that has static keys ends the chain even if it also has
//     role_arn; one without role_arn ends it too;
//   - a role naming itself as source_profile is allowed only when it has
//     static keys (it then uses its own keys); any other revisit is a cycle,
//     reported as "a -> b -> a".
//
// holdsKey, when not nil, counts a profile as having static keys even though
// the files do not (for example because awsmfa keeps its key elsewhere).
func (c *Config) SourceChain(name string, holdsKey func(profile string) bool) ([]*Profile, error) {
	hasKeys := func(p *Profile) bool {
		return p.StaticKeys || (holdsKey != nil && holdsKey(p.Name))
	}
	isRole := func(p *Profile) bool {
		_, web := p.Raw["web_identity_token_file"]
		return p.RoleARN != "" && !web
	}
	p, err := c.Profile(name)
	if err != nil {
		return nil, err
	}
	chain := []*Profile{p}
	visited := map[string]bool{name: true}
	for cur := p; ; {
		if !isRole(cur) || (len(chain) > 1 && hasKeys(cur)) {
			return chain, nil
		}
		src, hasSrc := cur.Raw["source_profile"]
		_, hasCS := cur.Raw["credential_source"]
		switch {
		case hasSrc && hasCS:
			return nil, fmt.Errorf("resolving profile %q: profile %q has both source_profile and credential_source", name, cur.Name)
		case hasCS:
			return chain, nil
		case !hasSrc:
			return nil, fmt.Errorf("resolving profile %q: role profile %q has neither source_profile nor credential_source", name, cur.Name)
		}
		if !c.HasProfile(src) {
			return nil, fmt.Errorf("resolving profile %q: source_profile %q of profile %q: %w", name, src, cur.Name, ErrProfileNotFound)
		}
		if visited[src] {
			if src == cur.Name && hasKeys(cur) {
				return chain, nil
			}
			return nil, fmt.Errorf("resolving profile %q: %w: %s", name, ErrSourceCycle, cycleText(chain, src))
		}
		next, err := c.Profile(src)
		if err != nil {
			return nil, fmt.Errorf("resolving profile %q: %w", name, err)
		}
		visited[src] = true
		chain = append(chain, next)
		cur = next
	}
}

// cycleText names the loop: the profiles from the first visit of back to
// the end of the chain, then back again.
func cycleText(chain []*Profile, back string) string {
	var names []string
	start := false
	for _, p := range chain {
		if p.Name == back {
			start = true
		}
		if start {
			names = append(names, p.Name)
		}
	}
	return strings.Join(append(names, back), " -> ")
}

// ChainMFASerial returns the mfa_serial of the first profile in chain that
// sets one: the role profile's own, else the nearest source profile's.
func ChainMFASerial(chain []*Profile) string {
	for _, p := range chain {
		if p.MFASerial != "" {
			return p.MFASerial
		}
	}
	return ""
}
