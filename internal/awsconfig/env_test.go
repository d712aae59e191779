package awsconfig

import (
	"strings"
	"testing"
)

func TestSelectProfile(t *testing.T) {
	tests := []struct {
		flag string
		env  map[string]string
		want string
	}{
		{"", nil, "default"},
		{"", map[string]string{"AWS_DEFAULT_PROFILE": "d"}, "d"},
		{"", map[string]string{"AWS_PROFILE": "p", "AWS_DEFAULT_PROFILE": "d"}, "p"},
		{"f", map[string]string{"AWS_PROFILE": "p", "AWS_DEFAULT_PROFILE": "d"}, "f"},
	}
	for _, tt := range tests {
		if got := SelectProfile(tt.flag, envOf(tt.env)); got != tt.want {
			t.Errorf("SelectProfile(%q, %v) = %q, want %q", tt.flag, tt.env, got, tt.want)
		}
	}
}

func TestRegion(t *testing.T) {
	c := loadStrings(t, "[profile base]\nregion = eu-west-1\n[profile role]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\n", "")
	base, err := c.Profile("base")
	if err != nil {
		t.Fatal(err)
	}
	role, err := c.Profile("role")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		profile *Profile
		want    string
	}{
		{"profile region", nil, base, "eu-west-1"},
		{"no inheritance from source_profile", nil, role, ""},
		{"AWS_DEFAULT_REGION beats profile", map[string]string{"AWS_DEFAULT_REGION": "us-east-2"}, base, "us-east-2"},
		{"AWS_REGION beats AWS_DEFAULT_REGION", map[string]string{"AWS_REGION": "ap-east-1", "AWS_DEFAULT_REGION": "us-east-2"}, base, "ap-east-1"},
		{"nil profile", nil, nil, ""},
	}
	for _, tt := range tests {
		if got := Region(envOf(tt.env), tt.profile); got != tt.want {
			t.Errorf("%s: Region = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestServiceEndpoint(t *testing.T) {
	const config = `[profile plain]
endpoint_url = http://profile
[profile svc]
services = local
endpoint_url = http://profile
[profile svc-other]
services = other-only
endpoint_url = http://profile
[profile dangling]
services = nowhere
[profile ignoring]
endpoint_url = http://profile
ignore_configured_endpoint_urls = TRUE
[services local]
sts =
  endpoint_url = http://services-sts
secrets_manager =
  endpoint_url = http://services-sm
[services other-only]
iam =
  endpoint_url = http://services-iam
`
	c := loadStrings(t, config, "")
	prof := func(name string) *Profile {
		p, err := c.Profile(name)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	all := map[string]string{"AWS_ENDPOINT_URL_STS": "http://env-sts", "AWS_ENDPOINT_URL": "http://env-global"}
	tests := []struct {
		name, profile, service string
		env                    map[string]string
		want                   string
		wantErr                bool
	}{
		{"service env wins", "svc", "STS", all, "http://env-sts", false},
		{"global env next", "svc", "STS", map[string]string{"AWS_ENDPOINT_URL": "http://env-global"}, "http://env-global", false},
		{"services section next", "svc", "STS", nil, "http://services-sts", false},
		{"service id with space", "svc", "Secrets Manager", nil, "http://services-sm", false},
		{"service env var with space", "svc", "Secrets Manager", map[string]string{"AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://env-sm"}, "http://env-sm", false},
		{"profile endpoint_url last", "svc-other", "STS", nil, "http://profile", false},
		{"profile endpoint_url without services", "plain", "STS", nil, "http://profile", false},
		{"other service env ignored", "plain", "STS", map[string]string{"AWS_ENDPOINT_URL_IAM": "http://env-iam"}, "http://profile", false},
		{"env ignore switch", "svc", "STS", map[string]string{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true", "AWS_ENDPOINT_URL_STS": "http://env-sts"}, "", false},
		{"profile ignore switch", "ignoring", "STS", map[string]string{"AWS_ENDPOINT_URL": "http://env-global"}, "", false},
		{"env false overrides profile switch", "ignoring", "STS", map[string]string{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false"}, "http://profile", false},
		{"missing services section", "dangling", "STS", nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ServiceEndpoint(envOf(tt.env), c, prof(tt.profile), tt.service)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("endpoint %q, want %q", got, tt.want)
			}
		})
	}
	got, err := STSEndpoint(envOf(nil), c, prof("svc"))
	if err != nil || got != "http://services-sts" {
		t.Errorf("STSEndpoint = %q, %v", got, err)
	}
	got, err = STSEndpoint(envOf(map[string]string{"AWS_ENDPOINT_URL": "http://e"}), nil, nil)
	if err != nil || got != "http://e" {
		t.Errorf("STSEndpoint without config = %q, %v", got, err)
	}
	if _, err := ServiceEndpoint(envOf(nil), c, prof("dangling"), "STS"); err == nil || !strings.Contains(err.Error(), "nowhere") {
		t.Errorf("dangling services error = %v", err)
	}
}
