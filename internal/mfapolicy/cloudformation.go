package mfapolicy

import (
	"bytes"
	"strings"
)

// CloudFormation parameter names for the template parameters; the partition
// is CloudFormation's own pseudo parameter.
func cfnParam(id string) string {
	switch id {
	case paramUser:
		return "UserName"
	case paramAccount:
		return "AccountId"
	case paramRole:
		return "RoleName"
	case paramPartition:
		return "AWS::Partition"
	case paramMaxAge:
		return "MaxMFAAge"
	}
	return id
}

// cfnTree replaces the strings of n that hold markers with Ref (a whole
// parameter) or Fn::Sub (parameters inside text, where a literal "${", as in
// ${aws:username}, is written "${!").
func cfnTree(n *node) *node {
	switch n.kind {
	case nodeObject:
		out := &node{kind: nodeObject, keys: n.keys}
		for _, v := range n.items {
			out.items = append(out.items, cfnTree(v))
		}
		return out
	case nodeArray:
		out := &node{kind: nodeArray}
		for _, v := range n.items {
			out.items = append(out.items, cfnTree(v))
		}
		return out
	case nodeString:
		segs := splitMarkers(n.text)
		if len(segs) == 1 && segs[0].param != "" {
			return obj("Ref", str(cfnParam(segs[0].param)))
		}
		sub := false
		for _, s := range segs {
			sub = sub || s.param != ""
		}
		if !sub {
			return n
		}
		var esc strings.Builder
		for _, s := range segs {
			if s.param != "" {
				esc.WriteString("${" + cfnParam(s.param) + "}")
				continue
			}
			esc.WriteString(strings.ReplaceAll(s.lit, "${", "${!"))
		}
		return obj("Fn::Sub", str(esc.String()))
	}
	return n
}

// cloudFormation writes t as one CloudFormation template (JSON).
func (t *template) cloudFormation() ([]byte, error) {
	params := &node{kind: nodeObject}
	nameParam := func(description, def string) *node {
		p := obj("Type", str("String"), "Description", str(description),
			"AllowedPattern", str(`^[\w+=,.@-]{1,64}$`),
			"ConstraintDescription", str("1 to 64 letters, digits and +=,.@_-"))
		if def != "" {
			p.set("Default", str(def))
		}
		return p
	}
	params.set(cfnParam(paramUser), nameParam("The IAM user whose access key awsmfa locks.", t.user))
	if t.uses(paramAccount) {
		p := obj("Type", str("String"), "Description", str("The AWS account id of the user and the role."),
			"AllowedPattern", str(`^[0-9]{12}$`), "ConstraintDescription", str("12 digits"))
		if t.account != "" {
			p.set("Default", str(t.account))
		}
		params.set(cfnParam(paramAccount), p)
	}
	if t.uses(paramRole) {
		params.set(cfnParam(paramRole), nameParam("The role the user assumes with MFA.", t.role))
	}
	if t.uses(paramMaxAge) {
		params.set(cfnParam(paramMaxAge), obj("Type", str("Number"),
			"Description", str("How many seconds after signing in with MFA the role may still be assumed (awsmfa's MFA session lasts 8 hours)."),
			"MinValue", num("900"), "MaxValue", num("129600"), "Default", str(t.maxAge)))
	}
	if t.withRole {
		params.set("RolePolicyArn", obj("Type", str("String"),
			"Description", str("A managed policy that gives the role its permissions, such as arn:aws:iam::aws:policy/PowerUserAccess; empty for none."),
			"Default", str("")))
	}

	root := obj("AWSTemplateFormatVersion", str("2010-09-09"),
		"Description", str("Written by `awsmfa policy "+string(t.kind)+" --format cloudformation`: "+t.describe()+"."),
		"Parameters", params)
	resources := &node{kind: nodeObject}
	if t.withRole {
		root.set("Conditions", obj("HasRolePolicyArn",
			obj("Fn::Not", arr(obj("Fn::Equals", arr(obj("Ref", str("RolePolicyArn")), str("")))))))
		doc, err := docTree(t.trust)
		if err != nil {
			return nil, err
		}
		resources.set("Role", obj("Type", str("AWS::IAM::Role"), "Properties", obj(
			"RoleName", obj("Ref", str(cfnParam(paramRole))),
			"Description", str("awsmfa: only the user, with MFA, may assume this role"),
			"AssumeRolePolicyDocument", cfnTree(doc),
			"ManagedPolicyArns", obj("Fn::If", arr(str("HasRolePolicyArn"),
				arr(obj("Ref", str("RolePolicyArn"))), obj("Ref", str("AWS::NoValue")))),
		)))
	}
	policy := func(logical, namePrefix, description string, d *Document) error {
		doc, err := docTree(d)
		if err != nil {
			return err
		}
		resources.set(logical, obj("Type", str("AWS::IAM::ManagedPolicy"), "Properties", obj(
			"ManagedPolicyName", obj("Fn::Sub", str(namePrefix+"${"+cfnParam(paramUser)+"}")),
			"Description", str(description),
			"Users", arr(obj("Ref", str(cfnParam(paramUser)))),
			"PolicyDocument", cfnTree(doc),
		)))
		return nil
	}
	if t.withUser {
		if err := policy("UserPolicy", "awsmfa-user-", "awsmfa: without MFA, only MFA enrollment and an MFA session; with MFA, the role and the user's own access keys", t.userPolicy); err != nil {
			return nil, err
		}
	}
	if t.withDeny {
		if err := policy("DenyWithoutMFA", "awsmfa-deny-without-mfa-", "awsmfa: without MFA, everything but MFA enrollment and an MFA session is denied", t.deny); err != nil {
			return nil, err
		}
	}
	root.set("Resources", resources)
	if t.withRole {
		root.set("Outputs", obj("RoleArn", obj(
			"Description", str("The role to name as role_arn in the AWS config, with the user's key profile as source_profile."),
			"Value", obj("Fn::GetAtt", arr(str("Role"), str("Arn"))))))
	}
	var b bytes.Buffer
	writeJSON(&b, root, "")
	b.WriteByte('\n')
	return b.Bytes(), nil
}
