package awsconfig

import (
	"errors"
	"strings"
	"testing"
)

func names(chain []*Profile) string {
	var n []string
	for _, p := range chain {
		n = append(n, p.Name)
	}
	return strings.Join(n, ",")
}

func TestSourceChain(t *testing.T) {
	const config = `[profile base]
mfa_serial = arn:aws:iam::1:mfa/base
[profile role]
role_arn = arn:aws:iam::1:role/r
source_profile = base
[profile role2]
role_arn = arn:aws:iam::1:role/r2
source_profile = role
mfa_serial = arn:aws:iam::1:mfa/own
[profile deep]
role_arn = arn:aws:iam::1:role/deep
source_profile = role2
[profile keyed-role]
role_arn = arn:aws:iam::1:role/k
source_profile = base
[profile via-keyed]
role_arn = arn:aws:iam::1:role/v
source_profile = keyed-role
[profile self]
role_arn = arn:aws:iam::1:role/self
source_profile = self
[profile self-nokey]
role_arn = arn:aws:iam::1:role/self
source_profile = self-nokey
[profile x]
role_arn = arn:aws:iam::1:role/x
source_profile = y
[profile y]
role_arn = arn:aws:iam::1:role/y
source_profile = z
[profile z]
role_arn = arn:aws:iam::1:role/z
source_profile = y
[profile missing-src]
role_arn = arn:aws:iam::1:role/m
source_profile = nowhere
[profile both]
role_arn = arn:aws:iam::1:role/b
source_profile = base
credential_source = Environment
[profile neither]
role_arn = arn:aws:iam::1:role/n
[profile ec2]
role_arn = arn:aws:iam::1:role/e
credential_source = Ec2InstanceMetadata
[profile web]
role_arn = arn:aws:iam::1:role/w
web_identity_token_file = /tmp/t
[profile vault-self]
role_arn = arn:aws:iam::1:role/vs
source_profile = vault-self
`
	const credentials = "[self]\naws_access_key_id = AKIA1\naws_secret_access_key = s\n" +
		"[keyed-role]\naws_access_key_id = AKIA2\naws_secret_access_key = s\n"
	c := loadStrings(t, config, credentials)
	vault := func(name string) bool { return name == "vault-self" }
	tests := []struct {
		profile   string
		holdsKey  func(string) bool
		want      string
		wantMFA   string
		wantErr   error
		errSubstr string
	}{
		{profile: "base", want: "base", wantMFA: "arn:aws:iam::1:mfa/base"},
		{profile: "role", want: "role,base", wantMFA: "arn:aws:iam::1:mfa/base"},
		{profile: "role2", want: "role2,role,base", wantMFA: "arn:aws:iam::1:mfa/own"},
		{profile: "deep", want: "deep,role2,role,base", wantMFA: "arn:aws:iam::1:mfa/own"},
		{profile: "via-keyed", want: "via-keyed,keyed-role"},
		{profile: "keyed-role", want: "keyed-role,base", wantMFA: "arn:aws:iam::1:mfa/base"},
		{profile: "self", want: "self"},
		{profile: "self-nokey", wantErr: ErrSourceCycle, errSubstr: "self-nokey -> self-nokey"},
		{profile: "vault-self", holdsKey: vault, want: "vault-self"},
		{profile: "x", wantErr: ErrSourceCycle, errSubstr: "y -> z -> y"},
		{profile: "missing-src", wantErr: ErrProfileNotFound, errSubstr: `"nowhere"`},
		{profile: "both", errSubstr: "both source_profile and credential_source"},
		{profile: "neither", errSubstr: "neither source_profile nor credential_source"},
		{profile: "ec2", want: "ec2"},
		{profile: "web", want: "web"},
		{profile: "ghost", wantErr: ErrProfileNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.profile, func(t *testing.T) {
			chain, err := c.SourceChain(tt.profile, tt.holdsKey)
			if tt.wantErr != nil || tt.errSubstr != "" {
				if err == nil {
					t.Fatalf("got chain %s, want an error", names(chain))
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("error %v is not %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.errSubstr) {
					t.Errorf("error %q lacks %q", err, tt.errSubstr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := names(chain); got != tt.want {
				t.Errorf("chain %s, want %s", got, tt.want)
			}
			if got := ChainMFASerial(chain); got != tt.wantMFA {
				t.Errorf("mfa serial %q, want %q", got, tt.wantMFA)
			}
		})
	}
}
