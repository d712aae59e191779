package session

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/awsmfa/awsmfa/internal/awsconfig"
)

// plan is a Request resolved against the caller's config files: which
// profiles to walk, which key and device to use, where to send the calls.
// Building it touches no network and no vault.
type plan struct {
	req          Request
	paths        awsconfig.Paths
	chain        []*awsconfig.Profile // chain[0] is the profile asked for; the last holds the key
	base         *awsconfig.Profile   // the key profile: chain[len-1]
	serial       string               // "" when to be discovered
	serialAt     string               // the profile that names serial
	process      string               // mfa_process along the chain
	ep           endpoints
	resultRegion string
	sessDur      time.Duration
	sessDurAt    string
	scope        string // cache scope: files, backend, configured endpoint or partition; never the region
}

func (p *plan) name() string { return p.chain[0].Name }

// resolve loads the caller's config (from req.Env only: the agent serves
// callers with different homes and files) and checks that awsmfa can serve
// the profile.
func (b *Broker) resolve(req Request) (*plan, error) {
	getenv := func(k string) string { return req.Env[k] }
	home := nonEmpty(getenv("HOME"), getenv("USERPROFILE"))
	if home == "" && (getenv("AWS_CONFIG_FILE") == "" || getenv("AWS_SHARED_CREDENTIALS_FILE") == "") {
		return nil, &Error{Kind: KindConfig, Msg: "the request names no home directory (HOME) to find ~/.aws in"}
	}
	paths := awsconfig.DefaultPaths(getenv, home)
	cfg, err := b.configs.Load(paths)
	if err != nil {
		return nil, &Error{Kind: KindConfig, Msg: fmt.Sprintf("cannot read the AWS config: %v", err), Err: err}
	}
	name := req.Profile
	if name == "" {
		name = awsconfig.SelectProfile("", getenv)
	}
	chain, err := cfg.SourceChain(name, nil)
	if err != nil {
		if errors.Is(err, awsconfig.ErrProfileNotFound) {
			return nil, &Error{Kind: KindNotFound, Msg: fmt.Sprintf("profile %s is not in %s or %s", name, paths.Config, paths.Credentials), Err: err}
		}
		return nil, &Error{Kind: KindConfig, Msg: err.Error(), Err: err}
	}
	p := &plan{req: req, paths: paths, chain: chain, base: chain[len(chain)-1]}
	if err := checkServable(p); err != nil {
		return nil, err
	}
	for _, prof := range chain {
		if p.serial == "" && prof.MFASerial != "" {
			p.serial, p.serialAt = prof.MFASerial, prof.Name
		}
		if p.process == "" && prof.Raw["mfa_process"] != "" {
			p.process = prof.Raw["mfa_process"]
		}
	}
	region := awsconfig.Region(getenv, chain[0])
	p.resultRegion = region
	if region == "" {
		region = "us-east-1"
	}
	p.ep.region = region
	stsURL, err := awsconfig.STSEndpoint(getenv, cfg, chain[0])
	if err != nil {
		return nil, &Error{Kind: KindConfig, Msg: err.Error(), Err: err}
	}
	iamURL, err := awsconfig.ServiceEndpoint(getenv, cfg, chain[0], "IAM")
	if err != nil {
		return nil, &Error{Kind: KindConfig, Msg: err.Error(), Err: err}
	}
	p.ep.sts, p.ep.iam, p.ep.iamRegion = defaultEndpoints(region, stsURL, iamURL)
	if err := p.sessionDuration(); err != nil {
		return nil, err
	}
	// The region stays out of the cache scope: STS's regional endpoints hand
	// out sessions valid in every region, so one MFA session (one code)
	// serves them all; the region only picks the endpoint. A configured
	// endpoint stays in, since it may be another STS altogether. The vault's
	// identity (which vault the key came from) is added by sessionKey and
	// roleKey.
	p.scope = strings.Join([]string{paths.Config, paths.Credentials, req.Backend, getenv("AWSMFA_BACKEND"), nonEmpty(stsURL, partition(region))}, "\x00")
	return p, nil
}

// defaultEndpoints fills in AWS's own endpoints where none is configured. They
// are always passed explicitly: the Go SDK's internal STS client ignores
// AWS_ENDPOINT_URL in some paths (aws-sdk-go-v2 #2802).
func defaultEndpoints(region, stsURL, iamURL string) (sts, iam, iamRegion string) {
	suffix, iamRegion := ".amazonaws.com", "us-east-1"
	switch {
	case strings.HasPrefix(region, "cn-"):
		suffix, iamRegion = ".amazonaws.com.cn", "cn-north-1"
	case strings.HasPrefix(region, "us-gov-"):
		iamRegion = "us-gov-west-1"
	}
	if stsURL == "" {
		stsURL = "https://sts." + region + suffix
	}
	if iamURL == "" {
		switch iamRegion {
		case "us-east-1":
			iamURL = "https://iam.amazonaws.com"
		default:
			iamURL = "https://iam." + iamRegion + suffix
		}
	}
	return stsURL, iamURL, iamRegion
}

// partition names the AWS partition of region, whose endpoints share
// sessions.
func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// WrittenProfileKey marks a credentials-file section written by "awsmfa
// write"; its value is the profile the session belongs to.
const WrittenProfileKey = "awsmfa_profile"

// checkServable refuses the profile types awsmfa does not serve, before any
// vault access.
func checkServable(p *plan) error {
	base := p.base
	if len(p.chain) > 1 && base.RoleARN != "" && base.CredentialSource != "" {
		return &Error{Kind: KindUnsupported,
			Msg: fmt.Sprintf("profile %s takes its credentials from credential_source = %s, which awsmfa does not serve; use the AWS CLI or SDK directly", base.Name, base.CredentialSource)}
	}
	if len(p.chain) == 1 && base.RoleARN != "" {
		if base.CredentialSource != "" {
			return &Error{Kind: KindUnsupported,
				Msg: fmt.Sprintf("profile %s takes its credentials from credential_source = %s, which awsmfa does not serve; use the AWS CLI or SDK directly", base.Name, base.CredentialSource)}
		}
		if base.WebIdentityTokenFile != "" {
			return &Error{Kind: KindUnsupported, Msg: fmt.Sprintf("profile %s uses web identity federation, which awsmfa does not serve; use the AWS CLI or SDK directly", base.Name)}
		}
	}
	switch {
	// awsmfa's own line (a profile wired by import) marks a key in the
	// vault: it is never run, which would call awsmfa again.
	case base.CredentialProcess != "" && !base.StaticKeys && !awsconfig.IsOwnCredentialProcess(base.CredentialProcess, base.Name):
		return &Error{Kind: KindUnsupported,
			Msg: fmt.Sprintf("profile %s gets its credentials from credential_process, which awsmfa does not wrap; use it with the AWS CLI or SDK directly", base.Name)}
	case base.HasSSO || base.SSOSession != "":
		return &Error{Kind: KindUnsupported,
			Msg: fmt.Sprintf("profile %s uses IAM Identity Center (SSO), which awsmfa does not serve yet; use aws sso login", base.Name)}
	}
	// A section "awsmfa write" wrote (marked awsmfa_profile) holds a copy of
	// a session for other tools; awsmfa itself goes on using the vault.
	if sc, ok := base.StaticCredentials(); ok && sc.SessionToken != "" && base.Raw[WrittenProfileKey] == "" {
		return &Error{Kind: KindUnsupported,
			Msg: fmt.Sprintf("profile %s holds temporary session keys, not a long-term key awsmfa can keep", base.Name)}
	}
	return nil
}

// sessionDuration picks the MFA session's length: Request.SessionDuration,
// else awsmfa_session_duration from the key profile (then the others along
// the chain), else DefaultSessionDuration. The value is a Go duration ("8h")
// or whole seconds, and must be within GetSessionToken's 15 minutes to 36
// hours.
func (p *plan) sessionDuration() error {
	p.sessDur, p.sessDurAt = DefaultSessionDuration, "--session-duration"
	if p.req.SessionDuration != 0 {
		p.sessDur = p.req.SessionDuration
	} else {
		for i := len(p.chain) - 1; i >= 0; i-- {
			raw, ok := p.chain[i].Raw["awsmfa_session_duration"]
			if !ok {
				continue
			}
			p.sessDurAt = fmt.Sprintf("awsmfa_session_duration in profile %s", p.chain[i].Name)
			d, err := parseDuration(raw)
			if err != nil {
				return &Error{Kind: KindConfig, Msg: fmt.Sprintf("%s is not a duration like 8h or a number of seconds", p.sessDurAt)}
			}
			p.sessDur = d
			break
		}
	}
	if p.sessDur < minSessionDuration || p.sessDur > maxSessionDuration {
		return &Error{Kind: KindDurationLimit,
			Msg:  fmt.Sprintf("an MFA session lasts 15m to 36h, and %s asks for %s", p.sessDurAt, p.sessDur),
			Hint: fmt.Sprintf("change %s", p.sessDurAt)}
	}
	return nil
}

func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	return time.ParseDuration(s)
}

// roleDuration is how long role chain[i] is asked for, and where that comes
// from (for hints): the Request's Duration for the profile asked for, else
// the profile's duration_seconds, else an hour.
func (p *plan) roleDuration(i int) (time.Duration, string) {
	prof := p.chain[i]
	if i == 0 && p.req.Duration != 0 {
		return p.req.Duration, "--duration"
	}
	at := fmt.Sprintf("duration_seconds in profile %s", prof.Name)
	if prof.DurationSeconds > 0 {
		return time.Duration(prof.DurationSeconds) * time.Second, at
	}
	return DefaultRoleDuration, at
}

// sessionName is role_session_name, else "awsmfa-<who>-<unix time>" where
// who is the MFA device's name (virtual devices are usually named after their
// user) or the key profile's name, cut to AWS's 64 characters.
func (p *plan) sessionName(i int, serial string, now time.Time) string {
	if n := p.chain[i].RoleSessionName; n != "" {
		return n
	}
	who := p.base.Name
	if _, dev, ok := strings.Cut(serial, ":mfa/"); ok {
		who = dev[strings.LastIndex(dev, "/")+1:]
	}
	who = strings.Map(func(r rune) rune {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("_+=,.@-", r)) {
			return r
		}
		return '-'
	}, who)
	suffix := "-" + strconv.FormatInt(now.Unix(), 10)
	const prefix = "awsmfa-"
	if room := 64 - len(prefix) - len(suffix); len(who) > room {
		who = who[:room]
	}
	return prefix + who + suffix
}

// sessionKey names the MFA session of the plan's key in the cache and among
// flights: every role sourced from the same key shares it. It is one per key
// (and scope), whatever the device: saving a discovered mfa_serial with
// --save must not cost a new code.
func (p *plan) sessionKey() string {
	return strings.Join([]string{"mfa", p.scope, vaultKey(p.req), p.base.Name}, "\x00") + "\x00"
}

// roleKey names role chain[i]'s credentials.
func (p *plan) roleKey(i int) string {
	parts := []string{"role", p.scope, vaultKey(p.req)}
	for _, prof := range p.chain[i:] {
		parts = append(parts, prof.Name)
	}
	d, _ := p.roleDuration(i)
	prof := p.chain[i]
	parts = append(parts, prof.RoleARN, prof.ExternalID, prof.RoleSessionName, d.String(), p.serial)
	return strings.Join(parts, "\x00")
}
