package mfapolicy

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	ok := Params{Account: "123456789012", User: "alice"}
	tests := []struct {
		name    string
		edit    func(p *Params)
		wantErr string // "" for valid
	}{
		{"minimal", func(p *Params) {}, ""},
		{"every IAM name character", func(p *Params) { p.User = "a+b=c,d.e@f_g-h9" }, ""},
		{"64 characters", func(p *Params) { p.User = strings.Repeat("u", 64) }, ""},
		{"65 characters", func(p *Params) { p.User = strings.Repeat("u", 65) }, "user name"},
		{"a slash in the user name", func(p *Params) { p.User = "team/alice" }, "user name"},
		{"a space in the user name", func(p *Params) { p.User = "al ice" }, "user name"},
		{"a non-ASCII letter", func(p *Params) { p.User = "alicé" }, "user name"},
		{"no user", func(p *Params) { p.User = "" }, "no user name"},
		{"no account", func(p *Params) { p.Account = "" }, "no account id"},
		{"11 digits", func(p *Params) { p.Account = "12345678901" }, "account id"},
		{"letters in the account", func(p *Params) { p.Account = "12345678901a" }, "account id"},
		{"a bad role", func(p *Params) { p.Roles = []string{"ok", "no*"} }, "role name"},
		{"an empty role", func(p *Params) { p.Roles = []string{""} }, "role name"},
		{"aws-cn", func(p *Params) { p.Partition = "aws-cn" }, ""},
		{"aws-us-gov", func(p *Params) { p.Partition = "aws-us-gov" }, ""},
		{"an unknown partition", func(p *Params) { p.Partition = "aws-iso" }, "partition"},
		{"a path", func(p *Params) { p.UserPath = "/team/dev/" }, ""},
		{"a path without its final slash", func(p *Params) { p.UserPath = "/team" }, "user path"},
		{"the least MFA age", func(p *Params) { p.MaxMFAAge = 900 * time.Second }, ""},
		{"the most MFA age", func(p *Params) { p.MaxMFAAge = 36 * time.Hour }, ""},
		{"too short an MFA age", func(p *Params) { p.MaxMFAAge = 899 * time.Second }, "max MFA age"},
		{"too long an MFA age", func(p *Params) { p.MaxMFAAge = 36*time.Hour + time.Second }, "max MFA age"},
		{"a fractional MFA age", func(p *Params) { p.MaxMFAAge = time.Hour + time.Millisecond }, "max MFA age"},
		{"a negative MFA age", func(p *Params) { p.MaxMFAAge = -time.Hour }, "max MFA age"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := ok
			tc.edit(&p)
			err := p.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Validate = %v", err)
			case tc.wantErr != "" && err == nil:
				t.Fatalf("Validate accepted %+v", p)
			case tc.wantErr != "":
				if !errors.Is(err, ErrInvalidParam) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("Validate = %v, want ErrInvalidParam about %q", err, tc.wantErr)
				}
			}
		})
	}
}

func TestUserFromARN(t *testing.T) {
	tests := []struct {
		arn     string
		want    Params
		wantErr error
	}{
		{"arn:aws:iam::123456789012:user/alice", Params{Partition: "aws", Account: "123456789012", UserPath: "/", User: "alice"}, nil},
		{"arn:aws-cn:iam::123456789012:user/team/dev/bob", Params{Partition: "aws-cn", Account: "123456789012", UserPath: "/team/dev/", User: "bob"}, nil},
		{"arn:aws:iam::123456789012:root", Params{}, ErrNotAUser},
		{"arn:aws:sts::123456789012:assumed-role/admin/alice", Params{}, ErrNotAUser},
		{"arn:aws:sts::123456789012:federated-user/fed", Params{}, ErrNotAUser},
		{"arn:aws:iam::123456789012:role/admin", Params{}, ErrNotAUser},
		{"not an arn", Params{}, ErrInvalidParam},
		{"arn:aws:iam::12345:user/alice", Params{}, ErrInvalidParam},
	}
	for _, tc := range tests {
		got, err := UserFromARN(tc.arn)
		if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
			t.Errorf("UserFromARN(%q) error = %v, want %v", tc.arn, err, tc.wantErr)
			continue
		}
		if got.Partition != tc.want.Partition || got.Account != tc.want.Account || got.UserPath != tc.want.UserPath || got.User != tc.want.User {
			t.Errorf("UserFromARN(%q) = %+v, want %+v", tc.arn, got, tc.want)
		}
		if tc.wantErr == nil && got.UserARN() != tc.arn {
			t.Errorf("UserARN() = %q, want %q", got.UserARN(), tc.arn)
		}
	}
}
