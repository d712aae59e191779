package awsemu

import "strings"

// ReadOnly reports whether an action only reads: its name starts with Get,
// List, Describe or Simulate (GetCallerIdentity, GetSessionToken,
// ListMFADevices, DescribeRegions, SimulatePrincipalPolicy, …). Every other
// action counts as mutating, AssumeRole included: it changes no IAM state,
// but a dry run has no reason to make it. The empty action (a request too
// broken to name one) changed nothing and counts as read-only.
func ReadOnly(action string) bool {
	for _, p := range []string{"Get", "List", "Describe", "Simulate"} {
		if strings.HasPrefix(action, p) {
			return true
		}
	}
	return action == ""
}

// Mutating reports whether the call was of an action that changes state
// (see ReadOnly), whether or not it succeeded.
func (c Call) Mutating() bool { return !ReadOnly(c.Action) }

// MutatingCalls returns the calls of mutating actions so far, oldest first,
// failed and faulted ones included: "--dry-run makes no mutating call" is
// len(MutatingCalls()) == 0.
func (s *Server) MutatingCalls() []Call {
	var out []Call
	for _, c := range s.CallLog() {
		if c.Mutating() {
			out = append(out, c)
		}
	}
	return out
}
