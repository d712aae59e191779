package awsconfig

import (
	"fmt"
	"strings"
)

// SelectProfile returns the profile to use: the flag, else AWS_PROFILE, else
// AWS_DEFAULT_PROFILE, else "default" (the AWS CLI v2 and Go SDK order).
func SelectProfile(flag string, getenv func(string) string) string {
	for _, v := range []string{flag, getenv("AWS_PROFILE"), getenv("AWS_DEFAULT_PROFILE")} {
		if v != "" {
			return v
		}
	}
	return "default"
}

// Region returns AWS_REGION, else AWS_DEFAULT_REGION, else the profile's own
// region. A source profile's region is never inherited, as in both SDKs.
// profile may be nil.
func Region(getenv func(string) string, profile *Profile) string {
	if v := getenv("AWS_REGION"); v != "" {
		return v
	}
	if v := getenv("AWS_DEFAULT_REGION"); v != "" {
		return v
	}
	if profile != nil {
		return profile.Region
	}
	return ""
}

// ServiceEndpoint returns the endpoint URL configured for a service, or ""
// when none is, in botocore's order: AWS_ENDPOINT_URL_<SERVICE>,
// AWS_ENDPOINT_URL, the service's endpoint_url in the profile's [services
// NAME] section, the profile's endpoint_url. service is the service ID ("STS",
// "Secrets Manager"); spaces and dashes become underscores, upper-cased for the
// variable and lower-cased for the config key.
//
// When AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is "true" (any case), or it is unset
// and the profile's ignore_configured_endpoint_urls is, nothing is returned.
// A profile naming a [services] section that does not exist is an error, as
// in botocore. cfg and profile may be nil.
func ServiceEndpoint(getenv func(string) string, cfg *Config, profile *Profile, service string) (string, error) {
	ignore := getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
	if ignore == "" && profile != nil {
		ignore = profile.Raw["ignore_configured_endpoint_urls"]
	}
	if strings.EqualFold(ignore, "true") {
		return "", nil
	}
	id := strings.NewReplacer(" ", "_", "-", "_").Replace(service)
	if v := getenv("AWS_ENDPOINT_URL_" + strings.ToUpper(id)); v != "" {
		return v, nil
	}
	if v := getenv("AWS_ENDPOINT_URL"); v != "" {
		return v, nil
	}
	if profile == nil {
		return "", nil
	}
	if name, ok := profile.Raw["services"]; ok {
		var sec Section
		found := false
		if cfg != nil {
			sec, found = cfg.Services[name]
		}
		if !found || (len(sec.Values) == 0 && len(sec.Nested) == 0) {
			return "", fmt.Errorf("profile %q uses services section %q, which does not exist", profile.Name, name)
		}
		if v := sec.Nested[strings.ToLower(id)]["endpoint_url"]; v != "" {
			return v, nil
		}
	}
	return profile.EndpointURL, nil
}

// STSEndpoint is ServiceEndpoint for STS.
func STSEndpoint(getenv func(string) string, cfg *Config, profile *Profile) (string, error) {
	return ServiceEndpoint(getenv, cfg, profile, "STS")
}
