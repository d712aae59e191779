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
			got := childEnv(tt.parent, "p1", tt.region, keyVars(cr))
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

// TestParseExecArgs checks how exec's command line splits into awsmfa's
// flags, the profile and the command, through cobra's own flag parsing.
func TestParseExecArgs(t *testing.T) {
	tests := []struct {
		name        string
		args        []string
		env         map[string]string
		wantProfile string
		wantVar     string
		wantArgv    []string
		wantRegion  string
		wantErr     string
	}{
		{name: "flags after the command are its own",
			args:        []string{"p", "aws", "sts", "get-caller-identity", "--query", "Arn"},
			wantProfile: "p", wantArgv: []string{"aws", "sts", "get-caller-identity", "--query", "Arn"}},
		{name: "dash dash after the profile",
			args:        []string{"p", "--", "aws", "--region", "x"},
			wantProfile: "p", wantArgv: []string{"aws", "--region", "x"}},
		{name: "only the first dash dash is dropped",
			args:        []string{"p", "--", "cmd", "--", "y"},
			wantProfile: "p", wantArgv: []string{"cmd", "--", "y"}},
		{name: "flags before the profile",
			args:        []string{"--region", "eu-west-1", "p", "aws", "--region", "x"},
			wantProfile: "p", wantRegion: "eu-west-1", wantArgv: []string{"aws", "--region", "x"}},
		{name: "flags between profile and dash dash",
			args:        []string{"p", "--region=ap-south-1", "--", "aws"},
			wantProfile: "p", wantRegion: "ap-south-1", wantArgv: []string{"aws"}},
		{name: "flags between profile and command",
			args:        []string{"p", "--region", "sa-east-1", "aws", "--region", "x"},
			wantProfile: "p", wantRegion: "sa-east-1", wantArgv: []string{"aws", "--region", "x"}},
		{name: "profile only",
			args:        []string{"p"},
			wantProfile: "p"},
		{name: "profile and flags only",
			args:        []string{"p", "--region", "r"},
			wantProfile: "p", wantRegion: "r"},
		{name: "unknown flag after the profile",
			args:    []string{"p", "--nope", "--", "aws"},
			wantErr: "unknown flag: --nope"},
		{name: "no profile takes AWS_PROFILE",
			args:        []string{"--", "aws", "s3", "ls"},
			env:         map[string]string{"AWS_PROFILE": "envp", "AWS_DEFAULT_PROFILE": "other"},
			wantProfile: "envp", wantVar: "AWS_PROFILE", wantArgv: []string{"aws", "s3", "ls"}},
		{name: "no profile takes AWS_DEFAULT_PROFILE",
			args:        []string{"--region", "r", "--", "aws"},
			env:         map[string]string{"AWS_DEFAULT_PROFILE": "other"},
			wantProfile: "other", wantVar: "AWS_DEFAULT_PROFILE", wantRegion: "r", wantArgv: []string{"aws"}},
		{name: "nothing at all takes AWS_PROFILE",
			args:        nil,
			env:         map[string]string{"AWS_PROFILE": "envp"},
			wantProfile: "envp", wantVar: "AWS_PROFILE"},
		{name: "no profile anywhere",
			args:    []string{"--", "aws"},
			wantErr: "exec needs a PROFILE, or AWS_PROFILE set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := &Env{Getenv: func(k string) string { return tt.env[k] }}
			cmd := newExecCmd(env, &globalOptions{})
			if err := cmd.ParseFlags(tt.args); err != nil {
				t.Fatalf("cobra: %v", err)
			}
			profile, variable, argv, err := parseExecArgs(cmd.Flags(), cmd.Flags().Args(), cmd.ArgsLenAtDash(), env.Getenv)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if exitCode(err) != ExitUsage {
					t.Errorf("exit code %d, want %d", exitCode(err), ExitUsage)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			region, _ := cmd.Flags().GetString("region")
			if profile != tt.wantProfile || variable != tt.wantVar || !slices.Equal(argv, tt.wantArgv) || region != tt.wantRegion {
				t.Errorf("got profile %q (from %q), argv %q, region %q; want %q (from %q), %q, %q",
					profile, variable, argv, region, tt.wantProfile, tt.wantVar, tt.wantArgv, tt.wantRegion)
			}
		})
	}
}
