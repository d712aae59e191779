package mfapolicy

import (
	"bytes"
	"fmt"
	"strings"
)

// Terraform variable names for the template parameters.
func tfVar(id string) string {
	switch id {
	case paramUser:
		return "user_name"
	case paramAccount:
		return "account_id"
	case paramRole:
		return "role_name"
	case paramPartition:
		return "partition"
	case paramMaxAge:
		return "max_mfa_age"
	}
	return id
}

// hclLine is one line of HCL. Lines that assign a whole expression (assign)
// have their "=" aligned with their neighbours', as `terraform fmt` does.
type hclLine struct {
	indent int
	text   string // the whole line, when !assign
	name   string
	rhs    string
	assign bool
}

type hclWriter struct{ lines []hclLine }

func (w *hclWriter) raw(indent int, text string) {
	w.lines = append(w.lines, hclLine{indent: indent, text: text})
}

func (w *hclWriter) blank() { w.lines = append(w.lines, hclLine{}) }

func (w *hclWriter) attr(indent int, name, rhs string) {
	w.lines = append(w.lines, hclLine{indent: indent, name: name, rhs: rhs, assign: true})
}

// value writes n as an HCL expression: open is what comes before it on its
// first line ("name = jsonencode(" or ""), close what follows it on its last.
func (w *hclWriter) value(indent int, name, open string, n *node, close string) {
	lead := open
	if name != "" {
		lead = name + " = " + open
	}
	switch n.kind {
	case nodeObject:
		w.raw(indent, lead+"{")
		for i, k := range n.keys {
			w.value(indent+1, hclKey(k), "", n.items[i], "")
		}
		w.raw(indent, "}"+close)
	case nodeArray:
		w.raw(indent, lead+"[")
		for _, v := range n.items {
			w.value(indent+1, "", "", v, ",")
		}
		w.raw(indent, "]"+close)
	default:
		rhs := open + hclScalar(n) + close
		if name != "" {
			w.attr(indent, name, rhs)
		} else {
			w.raw(indent, rhs)
		}
	}
}

func (w *hclWriter) bytes() []byte {
	var b bytes.Buffer
	for i := 0; i < len(w.lines); {
		if !w.lines[i].assign {
			l := w.lines[i]
			if l.text != "" {
				b.WriteString(strings.Repeat("  ", l.indent) + l.text)
			}
			b.WriteByte('\n')
			i++
			continue
		}
		j, width := i, 0
		for ; j < len(w.lines) && w.lines[j].assign; j++ {
			width = max(width, 2*w.lines[j].indent+len(w.lines[j].name))
		}
		for _, l := range w.lines[i:j] {
			pad := width - 2*l.indent - len(l.name)
			fmt.Fprintf(&b, "%s%s%s = %s\n", strings.Repeat("  ", l.indent), l.name, strings.Repeat(" ", pad), l.rhs)
		}
		i = j
	}
	return b.Bytes()
}

// hclKey writes an object key bare when it is an identifier, else quoted.
func hclKey(k string) string {
	ident := k != ""
	for i, r := range k {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && (r == '-' || r >= '0' && r <= '9')) {
			ident = false
			break
		}
	}
	if ident {
		return k
	}
	return hclQuote(k)
}

func hclScalar(n *node) string {
	if n.kind != nodeString {
		return n.text
	}
	segs := splitMarkers(n.text)
	if len(segs) == 1 && segs[0].param != "" {
		if segs[0].param == paramMaxAge {
			return "tostring(var." + tfVar(paramMaxAge) + ")"
		}
		return "var." + tfVar(segs[0].param)
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, s := range segs {
		if s.param != "" {
			b.WriteString("${var." + tfVar(s.param) + "}")
			continue
		}
		b.WriteString(hclEscape(s.lit))
	}
	b.WriteByte('"')
	return b.String()
}

func hclQuote(s string) string { return `"` + hclEscape(s) + `"` }

// hclEscape escapes s for a quoted HCL template: policy variables such as
// ${aws:username} must reach IAM as they are, not be interpolated.
func hclEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`, "${", "$${", "%{", "%%{")
	return r.Replace(s)
}

// terraform writes t as one Terraform module.
func (t *template) terraform() ([]byte, error) {
	w := &hclWriter{}
	w.raw(0, "# Written by `awsmfa policy "+string(t.kind)+" --format terraform`.")
	w.raw(0, "# "+t.describe()+".")
	t.tfVariables(w)
	if t.withRole {
		if err := t.tfRole(w); err != nil {
			return nil, err
		}
	}
	if t.withUser {
		if err := t.tfPolicy(w, "awsmfa_user", "awsmfa-user-", "awsmfa: without MFA, only MFA enrollment and an MFA session; with MFA, the role and the user's own access keys", t.userPolicy); err != nil {
			return nil, err
		}
	}
	if t.withDeny {
		if err := t.tfPolicy(w, "awsmfa_deny_without_mfa", "awsmfa-deny-without-mfa-", "awsmfa: without MFA, everything but MFA enrollment and an MFA session is denied", t.deny); err != nil {
			return nil, err
		}
	}
	if t.withRole {
		w.blank()
		w.raw(0, `output "role_arn" {`)
		w.attr(1, "description", hclQuote("The role to name as role_arn in the AWS config, with the user's key profile as source_profile."))
		w.attr(1, "value", "aws_iam_role.awsmfa.arn")
		w.raw(0, "}")
	}
	return w.bytes(), nil
}

func (t *template) tfVariables(w *hclWriter) {
	type variable struct {
		id, description, typ, def, condition, message string
	}
	quoteIf := func(s string) string {
		if s == "" {
			return ""
		}
		return hclQuote(s)
	}
	nameRule := `can(regex("^[\\w+=,.@-]{1,64}$", var.%s))`
	vars := []variable{
		{paramUser, "The IAM user whose access key awsmfa locks.", "string", quoteIf(t.user),
			fmt.Sprintf(nameRule, tfVar(paramUser)), "The user name must be 1 to 64 letters, digits and +=,.@_-."},
		{paramAccount, "The AWS account id of the user and the role.", "string", quoteIf(t.account),
			`can(regex("^[0-9]{12}$", var.account_id))`, "The account id must be 12 digits."},
		{paramRole, "The role the user assumes with MFA.", "string", quoteIf(t.role),
			fmt.Sprintf(nameRule, tfVar(paramRole)), "The role name must be 1 to 64 letters, digits and +=,.@_-."},
		{paramPartition, "The AWS partition of the account.", "string", quoteIf(t.partition),
			`contains(["aws", "aws-cn", "aws-us-gov"], var.partition)`, "The partition must be aws, aws-cn or aws-us-gov."},
		{paramMaxAge, "How many seconds after signing in with MFA the role may still be assumed (awsmfa's MFA session lasts 8 hours).", "number", t.maxAge,
			"var.max_mfa_age >= 900 && var.max_mfa_age <= 129600 && floor(var.max_mfa_age) == var.max_mfa_age",
			"The MFA age must be whole seconds from 900 to 129600."},
	}
	for _, v := range vars {
		if !t.uses(v.id) {
			continue
		}
		w.blank()
		w.raw(0, fmt.Sprintf("variable %q {", tfVar(v.id)))
		w.attr(1, "description", hclQuote(v.description))
		w.attr(1, "type", v.typ)
		if v.def != "" {
			w.attr(1, "default", v.def)
		}
		w.blank()
		w.raw(1, "validation {")
		w.attr(2, "condition", v.condition)
		w.attr(2, "error_message", hclQuote(v.message))
		w.raw(1, "}")
		w.raw(0, "}")
	}
	if t.withRole {
		w.blank()
		w.raw(0, `variable "role_policy_arns" {`)
		w.attr(1, "description", hclQuote("The managed policies that give the role its permissions, such as arn:aws:iam::aws:policy/PowerUserAccess."))
		w.attr(1, "type", "list(string)")
		w.attr(1, "default", "[]")
		w.raw(0, "}")
	}
}

func (t *template) tfRole(w *hclWriter) error {
	tree, err := docTree(t.trust)
	if err != nil {
		return err
	}
	w.blank()
	w.raw(0, `resource "aws_iam_role" "awsmfa" {`)
	w.attr(1, "name", "var.role_name")
	w.attr(1, "description", hclQuote("awsmfa: only the user, with MFA, may assume this role"))
	w.value(1, "assume_role_policy", "jsonencode(", tree, ")")
	w.raw(0, "}")
	w.blank()
	w.raw(0, `resource "aws_iam_role_policy_attachment" "awsmfa" {`)
	w.attr(1, "for_each", "toset(var.role_policy_arns)")
	w.attr(1, "role", "aws_iam_role.awsmfa.name")
	w.attr(1, "policy_arn", "each.value")
	w.raw(0, "}")
	return nil
}

func (t *template) tfPolicy(w *hclWriter, label, namePrefix, description string, d *Document) error {
	tree, err := docTree(d)
	if err != nil {
		return err
	}
	w.blank()
	w.raw(0, fmt.Sprintf("resource \"aws_iam_policy\" %q {", label))
	w.attr(1, "name", `"`+hclEscape(namePrefix)+`${var.user_name}"`)
	w.attr(1, "description", hclQuote(description))
	w.value(1, "policy", "jsonencode(", tree, ")")
	w.raw(0, "}")
	w.blank()
	w.raw(0, fmt.Sprintf("resource \"aws_iam_user_policy_attachment\" %q {", label))
	w.attr(1, "user", "var.user_name")
	w.attr(1, "policy_arn", "aws_iam_policy."+label+".arn")
	w.raw(0, "}")
	return nil
}
