package cli

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/awsmfa/awsmfa/internal/session"
)

func TestChildEnv(t *testing.T) {
	cr := session.Credentials{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "s", SessionToken: "t",
		Expiration: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))}
	tests := []struct {
		name         string
		parent       []string
		region       string
		want, absent []string
	}{
		{
			name:   "set and scrubbed",
			parent: []string{"PATH=/bin", "AWS_PROFILE=old", "AWS_ACCESS_KEY_ID=AKIAOLD", "AWSMFA_PASSPHRASE=p", "AWSMFA_PASSPHRASE_FILE=f", "aws_session_token=lower"},
			region: "eu-west-1",
			want: []string{"PATH=/bin", "AWS_ACCESS_KEY_ID=ASIAEXAMPLE", "AWS_SECRET_ACCESS_KEY=s", "AWS_SESSION_TOKEN=t",
				"AWS_CREDENTIAL_EXPIRATION=2026-01-02T02:04:05Z", "AWSMFA_PROFILE=p1", "AWS_REGION=eu-west-1", "AWS_DEFAULT_REGION=eu-west-1"},
			absent: []string{"AWS_PROFILE", "AWSMFA_PASSPHRASE", "AWSMFA_PASSPHRASE_FILE", "aws_session_token"},
		},
		{
			name:   "inherited region replaced once",
			parent: []string{"AWS_REGION=", "AWS_DEFAULT_REGION=us-east-1"},
			region: "ap-south-1",
			want:   []string{"AWS_REGION=ap-south-1", "AWS_DEFAULT_REGION=ap-south-1"},
		},
		{
			name:   "no region keeps the caller's",
			parent: []string{"AWS_REGION=us-west-2"},
			want:   []string{"AWS_REGION=us-west-2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := childEnv(tt.parent, "p1", tt.region, cr)
			seen := map[string]bool{}
			for _, kv := range got {
				k, _, _ := strings.Cut(kv, "=")
				if seen[k] {
					t.Errorf("%s appears twice in %q", k, got)
				}
				seen[k] = true
			}
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("missing %q in %q", w, got)
				}
			}
			for _, k := range tt.absent {
				if seen[k] {
					t.Errorf("%s should have been removed: %q", k, got)
				}
			}
		})
	}
}
