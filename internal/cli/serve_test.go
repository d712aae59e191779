package cli

import (
	"slices"
	"strings"
	"testing"
)

// TestChildEnvServer: a child given the credential endpoint sees neither
// keys nor a profile variable (the SDKs would prefer them to the endpoint),
// nor an inherited endpoint or token file, and each variable once.
func TestChildEnvServer(t *testing.T) {
	parent := []string{
		"PATH=/bin",
		"AWS_ACCESS_KEY_ID=AKIAPARENT", "AWS_SECRET_ACCESS_KEY=parent-secret", "AWS_SESSION_TOKEN=parent-token",
		"AWS_SECURITY_TOKEN=old", "AWS_CREDENTIAL_EXPIRATION=2020-01-01T00:00:00Z",
		"AWS_PROFILE=other", "AWS_DEFAULT_PROFILE=other", "aws_profile=lower",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:1/old", "AWS_CONTAINER_AUTHORIZATION_TOKEN=old",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=/tmp/tok", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/x",
		"AWS_WEB_IDENTITY_TOKEN_FILE=/tmp/w", "AWS_ROLE_ARN=arn:aws:iam::1:role/r",
		"AWSMFA_PASSPHRASE=p", "AWS_REGION=us-west-2",
	}
	vars := map[string]string{
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:4242/awsmfa/abc",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN":  "tok",
	}
	got := childEnv(parent, "dev", "eu-west-1", vars)
	want := []string{"PATH=/bin", "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:4242/awsmfa/abc",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN=tok", "AWSMFA_PROFILE=dev", "AWS_REGION=eu-west-1", "AWS_DEFAULT_REGION=eu-west-1"}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("missing %q in %q", w, got)
		}
	}
	seen := map[string]bool{}
	for _, kv := range got {
		k, _, _ := strings.Cut(kv, "=")
		if seen[k] {
			t.Errorf("%s twice in %q", k, got)
		}
		seen[k] = true
		switch strings.ToUpper(k) {
		case "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_CREDENTIAL_EXPIRATION",
			"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
			"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWSMFA_PASSPHRASE":
			t.Errorf("%s handed on: %q", k, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %q, want exactly %q", got, want)
	}
}
