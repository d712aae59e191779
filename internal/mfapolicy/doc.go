// Package mfapolicy knows what "locked" means: the IAM policy documents that
// make a long-term access key useless without MFA, and the checks that judge
// whether a set of policies does so.
//
// Two strategies, from the articles awsmfa replaces:
//   - role: the user may, without MFA, only enroll its own MFA device and get
//     an MFA session (UserPolicy); its permissions live in a role that only it
//     may assume, and only with MFA (TrustPolicy);
//   - session: the user keeps its permissions, and an explicit deny
//     (DenyWithoutMFA) makes them need MFA.
//
// The deciding detail is the condition operator. Requests signed with a
// long-term key carry no aws:MultiFactorAuthPresent at all, so an allow must
// say Bool true (which an absent key never satisfies) and a deny must say
// BoolIfExists false (which an absent key always does). The checks flag the
// reverse, the classic mistakes that leave a key unlocked.
//
// setup and policy use this package to write documents; audit uses it to
// judge the documents it finds.
package mfapolicy
