package mfapolicy

import (
	"fmt"
	"slices"
)

// The MFA condition keys. AWS omits both from requests signed with a
// long-term access key.
const (
	KeyMFAPresent = "aws:MultiFactorAuthPresent"
	KeyMFAAge     = "aws:MultiFactorAuthAge"
)

// enrollActions are what enrolling and managing one's own virtual MFA device
// through the API or the CLI needs before the user has signed in with MFA:
// create a virtual device, enable it with two codes, read, list and resync
// its own devices. setup's enrollment calls exactly CreateVirtualMFADevice,
// EnableMFADevice and ListMFADevices.
//
// This deviates from AWS's self-manage-MFA example, which also lets a key
// without MFA call iam:ListUsers and iam:ListVirtualMFADevices:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_iam_mfa-selfmanage.html
// Those two list every user and every virtual MFA device of the account
// (names, ARNs, serials): the console's user and device pages need them, the
// API enrollment does not. A stolen key alone must not map the account, so
// awsmfa allows them only with MFA (listActions, SidAllowListActions).
func enrollActions() []string {
	return []string{
		"iam:CreateVirtualMFADevice",
		"iam:EnableMFADevice",
		"iam:GetMFADevice",
		"iam:ListMFADevices",
		"iam:ResyncMFADevice",
	}
}

// listActions are the account-wide listings of AWS's example that awsmfa
// allows only with MFA (see enrollActions).
func listActions() []string {
	return []string{"iam:ListUsers", "iam:ListVirtualMFADevices"}
}

// NoMFAActions lists, sorted, every action awsmfa's documents leave to a key
// without MFA: enrolling and managing its own MFA device (AWS's
// self-manage-MFA example, without its account-wide listings iam:ListUsers
// and iam:ListVirtualMFADevices), sts:GetCallerIdentity (who am I) and
// sts:GetSessionToken (trading the key and a code for an MFA session). Both
// deny statements exempt exactly these.
//
// AWS's example leaves iam:GetMFADevice out of its deny's NotAction although
// it allows it; awsmfa exempts it, so the key alone can do exactly what the
// allows grant it.
func NoMFAActions() []string {
	return append(enrollActions(), "sts:GetCallerIdentity", "sts:GetSessionToken")
}

// AccessKeyActions are what managing one's own access keys needs (a later
// `awsmfa rotate`); the user policy allows them with MFA only.
func AccessKeyActions() []string {
	return []string{
		"iam:CreateAccessKey",
		"iam:DeleteAccessKey",
		"iam:GetAccessKeyLastUsed",
		"iam:ListAccessKeys",
		"iam:UpdateAccessKey",
	}
}

// Statement ids. Audit and setup find awsmfa's statements by them.
const (
	SidAllowListActions     = "AllowListActionsOnlyWithMFA"
	SidAllowCreateMFADevice = "AllowUserToCreateVirtualMFADevice"
	SidAllowManageOwnMFA    = "AllowUserToManageTheirOwnMFA"
	SidAllowDeactivateMFA   = "AllowUserToDeactivateTheirOwnMFAOnlyWhenUsingMFA"
	SidAllowMFASession      = "AllowIdentityAndMFASession"
	SidAllowAssumeRole      = "AllowAssumeRoleOnlyWithMFA"
	SidAllowOwnAccessKeys   = "AllowUserToManageTheirOwnAccessKeysOnlyWithMFA"
	SidBlockWithoutMFA      = "BlockMostAccessUnlessSignedInWithMFA"
	SidTrustUserWithMFA     = "AllowUserOnlyWithRecentMFA"
	SidDenyWithoutMFA       = "DenyAllExceptListedIfNoMFA"
)

// values are what the document builders fill in: literal text for JSON, or
// the renderers' markers that become Terraform variables and CloudFormation
// parameters.
type values struct {
	partition string
	userARN   string
	userPath  string
	roleARNs  []string
	maxAge    string
}

func literalValues(p Params) values {
	v := values{
		partition: p.partition(),
		userARN:   p.UserARN(),
		userPath:  p.userPath(),
		maxAge:    seconds(p.maxMFAAge()),
	}
	for _, r := range p.roles() {
		v.roleARNs = append(v.roleARNs, p.RoleARN(r))
	}
	return v
}

func mfaIs(op, value string) Conditions {
	return Conditions{op: {KeyMFAPresent: {value}}}
}

// UserPolicy is the role strategy's policy for the user, which replaces the
// user's own permissions. Without MFA the key may only enroll and manage its
// own MFA device, ask who it is, and get an MFA session; with MFA it may
// also list the account's users and virtual MFA devices (AWS's example
// allows those without MFA: see enrollActions), assume p's roles and manage
// its own access keys. Allows that need MFA use
// Bool true, which a long-term key never satisfies; the deny uses
// BoolIfExists false, which a long-term key always does.
func UserPolicy(p Params) (*Document, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return userPolicy(literalValues(p)), nil
}

func userPolicy(v values) *Document {
	self := "arn:" + v.partition + ":iam::*:user" + v.userPath + "${aws:username}"
	return &Document{Version: Version, Statement: []Statement{
		{Sid: SidAllowListActions, Effect: Allow,
			Action:    listActions(),
			Resource:  Strings{"*"},
			Condition: mfaIs("Bool", "true")},
		{Sid: SidAllowCreateMFADevice, Effect: Allow,
			Action:   Strings{"iam:CreateVirtualMFADevice"},
			Resource: Strings{"arn:" + v.partition + ":iam::*:mfa/*"}},
		{Sid: SidAllowManageOwnMFA, Effect: Allow,
			Action:   Strings{"iam:EnableMFADevice", "iam:GetMFADevice", "iam:ListMFADevices", "iam:ResyncMFADevice"},
			Resource: Strings{self}},
		{Sid: SidAllowDeactivateMFA, Effect: Allow,
			Action:    Strings{"iam:DeactivateMFADevice"},
			Resource:  Strings{self},
			Condition: mfaIs("Bool", "true")},
		{Sid: SidAllowMFASession, Effect: Allow,
			Action:   Strings{"sts:GetCallerIdentity", "sts:GetSessionToken"},
			Resource: Strings{"*"}},
		{Sid: SidAllowAssumeRole, Effect: Allow,
			Action:    Strings{"sts:AssumeRole"},
			Resource:  slices.Clone(v.roleARNs),
			Condition: mfaIs("Bool", "true")},
		{Sid: SidAllowOwnAccessKeys, Effect: Allow,
			Action:    AccessKeyActions(),
			Resource:  Strings{self},
			Condition: mfaIs("Bool", "true")},
		{Sid: SidBlockWithoutMFA, Effect: Deny,
			NotAction: NoMFAActions(),
			Resource:  Strings{"*"},
			Condition: mfaIs("BoolIfExists", "false")},
	}}
}

// TrustPolicy is the role's trust policy: only p's user (not the account
// root, which would let any principal of the account that may call
// sts:AssumeRole in), only with MFA (Bool true: a long-term key cannot pass)
// and only within p.MaxMFAAge of signing in with MFA.
func TrustPolicy(p Params) (*Document, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return trustPolicy(literalValues(p)), nil
}

func trustPolicy(v values) *Document {
	return &Document{Version: Version, Statement: []Statement{{
		Sid:       SidTrustUserWithMFA,
		Effect:    Allow,
		Principal: &Principal{AWS: Strings{v.userARN}},
		Action:    Strings{"sts:AssumeRole"},
		Condition: Conditions{
			"Bool":            {KeyMFAPresent: {"true"}},
			"NumericLessThan": {KeyMFAAge: {v.maxAge}},
		},
	}}}
}

// DenyWithoutMFA is the session strategy's policy, in the shape of AWS's
// DenyAllExceptListedIfNoMFA: the user keeps its permissions, but without MFA
// everything except NoMFAActions is explicitly denied, whatever else (a
// group, a managed policy) allows it.
func DenyWithoutMFA() *Document {
	return denyWithoutMFA()
}

func denyWithoutMFA() *Document {
	return &Document{Version: Version, Statement: []Statement{{
		Sid:       SidDenyWithoutMFA,
		Effect:    Deny,
		NotAction: NoMFAActions(),
		Resource:  Strings{"*"},
		Condition: mfaIs("BoolIfExists", "false"),
	}}}
}

// Kind names a document, or all of them.
type Kind string

// The kinds `awsmfa policy` prints.
const (
	KindUser           Kind = "user"
	KindTrust          Kind = "trust"
	KindDenyWithoutMFA Kind = "deny-without-mfa"
	KindAll            Kind = "all"
)

// Kinds lists the kinds in the order they are documented.
func Kinds() []Kind { return []Kind{KindUser, KindTrust, KindDenyWithoutMFA, KindAll} }

// ParseKind checks a kind's name.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds() {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown policy kind %q: want user, trust, deny-without-mfa or all", s)
}

// Build returns the document of kind k (not KindAll) for p.
func Build(k Kind, p Params) (*Document, error) {
	switch k {
	case KindUser:
		return UserPolicy(p)
	case KindTrust:
		return TrustPolicy(p)
	case KindDenyWithoutMFA:
		if err := p.validateOptional(); err != nil {
			return nil, err
		}
		return DenyWithoutMFA(), nil
	}
	return nil, fmt.Errorf("policy kind %q is not one document", k)
}
