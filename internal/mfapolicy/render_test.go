package mfapolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var alice = Params{Account: "123456789012", User: "alice"}

// goldenCases are every kind in every format it exists in, with the
// parameters given, plus the placeholder (--offline) variants.
func goldenCases() []struct {
	name string
	kind Kind
	f    Format
	p    Params
	o    RenderOptions
} {
	type c = struct {
		name string
		kind Kind
		f    Format
		p    Params
		o    RenderOptions
	}
	var out []c
	for _, k := range Kinds() {
		for _, f := range []Format{FormatJSON, FormatTerraform, FormatCloudFormation} {
			if k == KindAll && f == FormatJSON {
				continue
			}
			out = append(out, c{string(k) + "." + string(f), k, f, alice, RenderOptions{}})
		}
	}
	offline := RenderOptions{Placeholders: true}
	out = append(out,
		c{"trust.offline.json", KindTrust, FormatJSON, Params{}, offline},
		c{"user.offline.json", KindUser, FormatJSON, Params{Roles: []string{"admin"}}, offline},
		c{"all.offline.terraform", KindAll, FormatTerraform, Params{}, offline},
		c{"all.offline.cloudformation", KindAll, FormatCloudFormation, Params{}, offline},
		c{"trust.path-cn-age.json", KindTrust, FormatJSON,
			Params{Partition: "aws-cn", Account: "123456789012", User: "bob", UserPath: "/team/", MaxMFAAge: time.Hour}, RenderOptions{}},
	)
	return out
}

func goldenPath(name string) string {
	ext := map[string]string{"json": ".json", "terraform": ".tf", "cloudformation": ".cfn.json"}
	i := strings.LastIndex(name, ".")
	return filepath.Join("testdata", name[:i]+ext[name[i+1:]])
}

func TestRenderGolden(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Render(tc.kind, tc.f, tc.p, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			path := goldenPath(tc.name)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Render(%s, %s) differs from %s:\n%s", tc.kind, tc.f, path, got)
			}
		})
	}
}

// TestJSONDocumentsParse: every JSON document is one IAM accepts in shape,
// and reads back to the same document.
func TestJSONDocumentsParse(t *testing.T) {
	for _, k := range []Kind{KindUser, KindTrust, KindDenyWithoutMFA} {
		d, err := Build(k, alice)
		if err != nil {
			t.Fatal(err)
		}
		out, err := d.JSON()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("%s: Parse: %v", k, err)
		}
		again, _ := back.JSON()
		if !bytes.Equal(out, again) {
			t.Errorf("%s: round trip differs:\n%s\n%s", k, out, again)
		}
		if strings.Contains(string(out), `\u00`) {
			t.Errorf("%s: escaped characters in %s", k, out)
		}
		// Placeholders print as they are, not HTML-escaped.
		if k != KindDenyWithoutMFA {
			ph, err := Render(k, FormatJSON, Params{}, RenderOptions{Placeholders: true})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(ph), PlaceholderAccount) || strings.Contains(string(ph), `\u00`) {
				t.Errorf("%s: placeholders escaped or missing in %s", k, ph)
			}
		}
	}
}

// TestTerraformParses: each module parses as HCL, is already in `terraform
// fmt` form, has the expected aws_iam_* resources and variables, and its
// policies are jsonencode() of objects in which ${aws:username} is escaped.
func TestTerraformParses(t *testing.T) {
	wantResources := map[Kind][]string{
		KindUser:           {"aws_iam_policy.awsmfa_user", "aws_iam_user_policy_attachment.awsmfa_user"},
		KindTrust:          {"aws_iam_role.awsmfa", "aws_iam_role_policy_attachment.awsmfa"},
		KindDenyWithoutMFA: {"aws_iam_policy.awsmfa_deny_without_mfa", "aws_iam_user_policy_attachment.awsmfa_deny_without_mfa"},
	}
	wantResources[KindAll] = slices.Concat(wantResources[KindTrust], wantResources[KindUser], wantResources[KindDenyWithoutMFA])
	wantVars := map[Kind][]string{
		KindUser:           {"user_name", "account_id", "role_name", "partition"},
		KindTrust:          {"user_name", "account_id", "role_name", "partition", "max_mfa_age", "role_policy_arns"},
		KindDenyWithoutMFA: {"user_name"},
		KindAll:            {"user_name", "account_id", "role_name", "partition", "max_mfa_age", "role_policy_arns"},
	}
	for _, k := range Kinds() {
		for _, o := range []RenderOptions{{}, {Placeholders: true}} {
			p := alice
			if o.Placeholders {
				p = Params{}
			}
			src, err := Render(k, FormatTerraform, p, o)
			if err != nil {
				t.Fatal(err)
			}
			if got := hclwrite.Format(src); !bytes.Equal(got, src) {
				t.Errorf("%s: not in terraform fmt form; formatted:\n%s", k, got)
			}
			f, diags := hclparse.NewParser().ParseHCL(src, string(k)+".tf")
			if diags.HasErrors() {
				t.Fatalf("%s: %v", k, diags)
			}
			body := f.Body.(*hclsyntax.Body)
			var resources, vars []string
			for _, b := range body.Blocks {
				switch b.Type {
				case "resource":
					resources = append(resources, b.Labels[0]+"."+b.Labels[1])
					if b.Labels[0] == "aws_iam_policy" || b.Labels[0] == "aws_iam_role" {
						attr := "policy"
						if b.Labels[0] == "aws_iam_role" {
							attr = "assume_role_policy"
						}
						checkJSONEncode(t, k, b.Body.Attributes[attr])
					}
				case "variable":
					vars = append(vars, b.Labels[0])
					_, ok := b.Body.Attributes["default"]
					if o.Placeholders && ok && b.Labels[0] != "role_name" && b.Labels[0] != "partition" &&
						b.Labels[0] != "max_mfa_age" && b.Labels[0] != "role_policy_arns" {
						t.Errorf("%s: offline variable %s has a default", k, b.Labels[0])
					}
					if !o.Placeholders && !ok {
						t.Errorf("%s: variable %s has no default", k, b.Labels[0])
					}
				}
			}
			if !slices.Equal(resources, wantResources[k]) {
				t.Errorf("%s: resources %v, want %v", k, resources, wantResources[k])
			}
			if !slices.Equal(vars, wantVars[k]) {
				t.Errorf("%s: variables %v, want %v", k, vars, wantVars[k])
			}
		}
	}
}

// checkJSONEncode evaluates a policy attribute, jsonencode({...}), with the
// variables bound to alice's values and compares the result with the JSON
// document: the HCL and JSON forms say the same thing.
func checkJSONEncode(t *testing.T, k Kind, attr *hclsyntax.Attribute) {
	t.Helper()
	if attr == nil {
		t.Errorf("%s: policy attribute missing", k)
		return
	}
	call, ok := attr.Expr.(*hclsyntax.FunctionCallExpr)
	if !ok || call.Name != "jsonencode" || len(call.Args) != 1 {
		t.Errorf("%s: policy is not jsonencode(...)", k)
		return
	}
	obj, ok := call.Args[0].(*hclsyntax.ObjectConsExpr)
	if !ok {
		t.Errorf("%s: jsonencode's argument is not an object", k)
		return
	}
	got, err := evalHCL(obj)
	if err != nil {
		t.Errorf("%s: %v", k, err)
		return
	}
	gotJSON, _ := json.Marshal(got)
	var kind Kind
	switch {
	case strings.Contains(string(gotJSON), SidTrustUserWithMFA):
		kind = KindTrust
	case strings.Contains(string(gotJSON), SidDenyWithoutMFA):
		kind = KindDenyWithoutMFA
	default:
		kind = KindUser
	}
	d, err := Build(kind, alice)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := d.Compact()
	var wantV any
	_ = json.Unmarshal([]byte(want), &wantV)
	wantJSON, _ := json.Marshal(wantV)
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Errorf("%s: %s policy in HCL evaluates to\n%s\nwant\n%s", k, kind, gotJSON, wantJSON)
	}
}

// evalHCL evaluates the small subset of HCL expressions the modules use in
// documents: objects, tuples, templates over var.*, and tostring(var.*).
func evalHCL(e hclsyntax.Expression) (any, error) {
	vars := map[string]string{"user_name": "alice", "account_id": "123456789012", "role_name": DefaultRoleName,
		"partition": "aws", "max_mfa_age": "28800"}
	switch x := e.(type) {
	case *hclsyntax.ObjectConsExpr:
		m := map[string]any{}
		for _, it := range x.Items {
			k, err := evalHCL(it.KeyExpr)
			if err != nil {
				return nil, err
			}
			v, err := evalHCL(it.ValueExpr)
			if err != nil {
				return nil, err
			}
			m[k.(string)] = v
		}
		return m, nil
	case *hclsyntax.ObjectConsKeyExpr:
		if kw := hcl.ExprAsKeyword(x); kw != "" && !x.ForceNonLiteral {
			return kw, nil
		}
		return evalHCL(x.Wrapped)
	case *hclsyntax.TupleConsExpr:
		var out []any
		for _, it := range x.Exprs {
			v, err := evalHCL(it)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case *hclsyntax.TemplateExpr:
		var b strings.Builder
		for _, p := range x.Parts {
			v, err := evalHCL(p)
			if err != nil {
				return nil, err
			}
			b.WriteString(v.(string))
		}
		return b.String(), nil
	case *hclsyntax.TemplateWrapExpr:
		return evalHCL(x.Wrapped)
	case *hclsyntax.LiteralValueExpr:
		return x.Val.AsString(), nil
	case *hclsyntax.ScopeTraversalExpr:
		if len(x.Traversal) == 2 && x.Traversal.RootName() == "var" {
			name := x.Traversal[1].(hcl.TraverseAttr).Name
			if v, ok := vars[name]; ok {
				return v, nil
			}
		}
		return nil, errors.New("unknown reference in a document")
	case *hclsyntax.FunctionCallExpr:
		if x.Name == "tostring" && len(x.Args) == 1 {
			return evalHCL(x.Args[0])
		}
	}
	return nil, errors.New("unexpected expression in a document")
}

// TestCloudFormationParses: each template is JSON with the expected
// parameters and resource types, and its documents, with the parameters
// substituted, are the JSON documents.
func TestCloudFormationParses(t *testing.T) {
	wantTypes := map[Kind]map[string]string{
		KindUser:           {"UserPolicy": "AWS::IAM::ManagedPolicy"},
		KindTrust:          {"Role": "AWS::IAM::Role"},
		KindDenyWithoutMFA: {"DenyWithoutMFA": "AWS::IAM::ManagedPolicy"},
		KindAll:            {"Role": "AWS::IAM::Role", "UserPolicy": "AWS::IAM::ManagedPolicy", "DenyWithoutMFA": "AWS::IAM::ManagedPolicy"},
	}
	wantParams := map[Kind][]string{
		KindUser:           {"AccountId", "RoleName", "UserName"},
		KindTrust:          {"AccountId", "MaxMFAAge", "RoleName", "RolePolicyArn", "UserName"},
		KindDenyWithoutMFA: {"UserName"},
		KindAll:            {"AccountId", "MaxMFAAge", "RoleName", "RolePolicyArn", "UserName"},
	}
	for _, k := range Kinds() {
		src, err := Render(k, FormatCloudFormation, alice, RenderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var tpl struct {
			Version    string                    `json:"AWSTemplateFormatVersion"`
			Parameters map[string]map[string]any `json:"Parameters"`
			Resources  map[string]struct {
				Type       string         `json:"Type"`
				Properties map[string]any `json:"Properties"`
			} `json:"Resources"`
		}
		dec := json.NewDecoder(bytes.NewReader(src))
		dec.DisallowUnknownFields()
		if err := json.Unmarshal(src, &tpl); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if tpl.Version != "2010-09-09" {
			t.Errorf("%s: AWSTemplateFormatVersion %q", k, tpl.Version)
		}
		var params []string
		for name := range tpl.Parameters {
			params = append(params, name)
		}
		slices.Sort(params)
		if !slices.Equal(params, wantParams[k]) {
			t.Errorf("%s: parameters %v, want %v", k, params, wantParams[k])
		}
		got := map[string]string{}
		for name, r := range tpl.Resources {
			got[name] = r.Type
			docKey := "PolicyDocument"
			kind := KindUser
			switch name {
			case "Role":
				docKey, kind = "AssumeRolePolicyDocument", KindTrust
			case "DenyWithoutMFA":
				kind = KindDenyWithoutMFA
			}
			doc := substituteCFN(t, r.Properties[docKey])
			d, _ := Build(kind, alice)
			want, _ := d.Compact()
			var wantV any
			_ = json.Unmarshal([]byte(want), &wantV)
			gotJSON, _ := json.Marshal(doc)
			wantJSON, _ := json.Marshal(wantV)
			if !bytes.Equal(gotJSON, wantJSON) {
				t.Errorf("%s: %s document is\n%s\nwant\n%s", k, name, gotJSON, wantJSON)
			}
		}
		if !mapsEqual(got, wantTypes[k]) {
			t.Errorf("%s: resources %v, want %v", k, got, wantTypes[k])
		}
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// substituteCFN resolves Ref and Fn::Sub with alice's parameter values, as
// CloudFormation would.
func substituteCFN(t *testing.T, v any) any {
	t.Helper()
	params := map[string]string{"UserName": "alice", "AccountId": "123456789012", "RoleName": DefaultRoleName,
		"AWS::Partition": "aws", "MaxMFAAge": "28800"}
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["Ref"].(string); ok && len(x) == 1 {
			return params[ref]
		}
		if sub, ok := x["Fn::Sub"].(string); ok && len(x) == 1 {
			var b strings.Builder
			for {
				i := strings.Index(sub, "${")
				if i < 0 {
					b.WriteString(sub)
					break
				}
				b.WriteString(sub[:i])
				j := strings.Index(sub[i:], "}")
				name := sub[i+2 : i+j]
				if strings.HasPrefix(name, "!") {
					b.WriteString("${" + name[1:] + "}")
				} else {
					val, ok := params[name]
					if !ok {
						t.Errorf("Fn::Sub names unknown parameter %q", name)
					}
					b.WriteString(val)
				}
				sub = sub[i+j+1:]
			}
			return b.String()
		}
		out := map[string]any{}
		for k, e := range x {
			out[k] = substituteCFN(t, e)
		}
		return out
	case []any:
		var out []any
		for _, e := range x {
			out = append(out, substituteCFN(t, e))
		}
		return out
	}
	return v
}

func TestRenderRefuses(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		f    Format
		p    Params
		o    RenderOptions
		want error
	}{
		{"all as json", KindAll, FormatJSON, alice, RenderOptions{}, ErrAllNeedsTemplate},
		{"no account", KindTrust, FormatJSON, Params{User: "alice"}, RenderOptions{}, ErrInvalidParam},
		{"no user", KindUser, FormatTerraform, Params{Account: "123456789012"}, RenderOptions{}, ErrInvalidParam},
		{"bad account offline", KindTrust, FormatJSON, Params{Account: "1234"}, RenderOptions{Placeholders: true}, ErrInvalidParam},
		{"two roles in terraform", KindUser, FormatTerraform, Params{Account: "123456789012", User: "alice", Roles: []string{"a", "b"}}, RenderOptions{}, ErrInvalidParam},
		{"bad partition", KindDenyWithoutMFA, FormatJSON, Params{Partition: "aws-mars"}, RenderOptions{Placeholders: true}, ErrInvalidParam},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Render(tc.kind, tc.f, tc.p, tc.o)
			if !errors.Is(err, tc.want) {
				t.Errorf("Render = %v, want %v", err, tc.want)
			}
		})
	}
}
