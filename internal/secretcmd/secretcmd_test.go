package secretcmd

import (
	"slices"
	"testing"
)

func TestScrubEnv(t *testing.T) {
	in := []string{
		"PATH=/bin", "AWSMFA_PASSPHRASE=x", "AWSMFA_PASSPHRASE_FILE=/f", "awsmfa_passphrase_command=c",
		"AWSMFA_PASSPHRASEX=y", "AWSMFA_BACKEND=file", "HOME=/h",
		"AWS_ACCESS_KEY_ID=AKIA", "AWS_SECRET_ACCESS_KEY=s", "aws_session_token=t", "AWS_PROFILE=p",
		"AWS_REGION=eu-west-1", "AWS_CONFIG_FILE=/c", "NOEQUALS",
	}
	want := []string{"PATH=/bin", "AWSMFA_BACKEND=file", "HOME=/h", "AWS_REGION=eu-west-1", "AWS_CONFIG_FILE=/c", "NOEQUALS"}
	if got := ScrubEnv(in); !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}
