package session

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/awsmfa/awsmfa/internal/awsconfig"
	"github.com/awsmfa/awsmfa/internal/vault"
)

// session returns the MFA session of p's key with at least need left,
// from the cache or from one GetSessionToken shared by every caller that
// needs it. noCache (--no-session on an IAM-user profile) neither uses nor
// fills the cache.
func (b *Broker) session(ctx context.Context, p *plan, asker Asker, need time.Duration, noCache bool) (outcome, error) {
	key := p.sessionKey()
	if !noCache {
		if c, ok := b.cached(key, need); ok {
			return outcome{creds: c}, nil
		}
	} else {
		key += "no-cache"
	}
	return b.do(ctx, key, asker, func(ctx context.Context, f *flight) (outcome, error) {
		epoch := b.keyEpoch(p)
		if p.sessDur < need {
			return outcome{}, &Error{Kind: KindDurationLimit,
				Msg:  fmt.Sprintf("an MFA session of %s (%s) is shorter than the %s the credentials must last", p.sessDur, p.sessDurAt, need),
				Hint: fmt.Sprintf("raise %s", p.sessDurAt)}
		}
		lt, serial, serialAt, notices, err := b.keyAndDevice(ctx, f, p)
		if err != nil {
			return outcome{}, err
		}
		c := callInfo{op: "GetSessionToken", endpoint: p.ep.sts, profile: p.base.Name, keyProf: p.base.Name,
			serial: serial, serialAt: serialAt, durAt: p.sessDurAt, code: true}
		var creds Credentials
		err = b.withCode(ctx, f, p, serial, "", func(code string) error {
			b.logf("GetSessionToken for profile %s with MFA device %s for %s", p.base.Name, serial, p.sessDur)
			return b.call(ctx, c, func(ctx context.Context) error {
				out, err := b.stsClient(p.ep, lt, true).GetSessionToken(ctx, &sts.GetSessionTokenInput{
					DurationSeconds: aws.Int32(int32(p.sessDur / time.Second)),
					SerialNumber:    aws.String(serial),
					TokenCode:       aws.String(code),
				})
				if err != nil {
					return err
				}
				creds, err = fromSTS(out.Credentials, c)
				return err
			})
		})
		if err != nil {
			return outcome{}, err
		}
		if !noCache {
			b.store(p.sessionKey(), &entry{info: SessionInfo{Profile: p.base.Name, Kind: "mfa-session", Expiration: creds.Expiration},
				creds: creds, deps: []string{p.base.Name}, vault: vaultKey(p.req), base: p.base.Name, epoch: epoch})
		}
		return outcome{creds: creds, notices: notices}, nil
	})
}

// role returns credentials for role profile p.chain[i].
//
// A role whose source is the key profile is assumed with the cached MFA
// session's credentials: no code is asked while the session lives. That is
// role chaining, which AWS caps at one hour, so a role asked for longer (or
// with --no-session) is assumed directly with the long-term key and a code.
// When AWS denies the role to the MFA session (a trust policy that limits
// aws:MultiFactorAuthAge), one fresh code is asked and the role is assumed
// directly, once. A role sourced from another role is assumed with that
// role's credentials.
func (b *Broker) role(ctx context.Context, p *plan, i int, asker Asker, need time.Duration) (outcome, error) {
	key := p.roleKey(i)
	noSession := p.req.NoSession
	if noSession {
		key += "\x00no-session"
	} else if c, ok := b.cached(key, need); ok {
		return outcome{creds: c}, nil
	}
	return b.do(ctx, key, asker, func(ctx context.Context, f *flight) (outcome, error) {
		epoch := b.keyEpoch(p)
		prof := p.chain[i]
		dur, durAt := p.roleDuration(i)
		if dur < minSessionDuration {
			return outcome{}, &Error{Kind: KindDurationLimit, Msg: fmt.Sprintf("role credentials last at least 15 minutes, and %s asks for %s", durAt, dur),
				Hint: fmt.Sprintf("raise %s", durAt)}
		}
		if dur < need {
			return outcome{}, &Error{Kind: KindDurationLimit,
				Msg:  fmt.Sprintf("role credentials of %s (%s) are shorter than the %s they must last", dur, durAt, need),
				Hint: fmt.Sprintf("raise %s", durAt)}
		}
		var (
			out outcome
			err error
		)
		fromKey := i == len(p.chain)-2
		switch {
		case fromKey && (noSession || dur > DefaultRoleDuration):
			if !noSession {
				b.logf("profile %s asks for %s, more than role chaining allows: assuming the role directly with MFA", prof.Name, dur)
			}
			out, err = b.assumeDirect(ctx, f, p, i, dur, "")
		case fromKey:
			out, err = b.assumeFromSession(ctx, f, p, i, dur)
		default:
			var src outcome
			src, err = b.role(ctx, p, i+1, poolAsker{f}, sessionUseMargin)
			if err != nil {
				return outcome{}, err
			}
			out, err = b.assume(ctx, p, i, dur, durAt, src.creds, "", "", "")
			out.notices = slices.Concat(src.notices, out.notices)
		}
		if err != nil {
			return outcome{}, err
		}
		if !noSession {
			deps := make([]string, 0, len(p.chain)-i)
			for _, pr := range p.chain[i:] {
				deps = append(deps, pr.Name)
			}
			b.store(p.roleKey(i), &entry{info: SessionInfo{Profile: prof.Name, Kind: "role", Expiration: out.creds.Expiration},
				creds: out.creds, deps: deps, vault: vaultKey(p.req), base: p.base.Name, epoch: epoch})
		}
		return out, nil
	})
}

// assumeFromSession assumes p.chain[i] with the MFA session's credentials,
// falling back once to the direct path when AWS denies it.
func (b *Broker) assumeFromSession(ctx context.Context, f *flight, p *plan, i int, dur time.Duration) (outcome, error) {
	_, durAt := p.roleDuration(i)
	for retried := false; ; retried = true {
		sess, err := b.session(ctx, p, poolAsker{f}, sessionUseMargin, false)
		if err != nil {
			return outcome{}, err
		}
		out, err := b.assume(ctx, p, i, dur, durAt, sess.creds, "", "", "")
		out.notices = slices.Concat(sess.notices, out.notices)
		switch {
		case err == nil:
			return out, nil
		case isKind(err, KindExpired) && !retried:
			// The session died before its time (revoked, or the clocks
			// disagree): drop it and get a new one, once.
			b.logf("the MFA session of profile %s was refused as expired; getting a new one", p.base.Name)
			b.drop(p.sessionKey())
			continue
		case isKind(err, KindDenied):
			b.logf("role %s denied to the MFA session of profile %s; asking for a fresh code", p.chain[i].RoleARN, p.base.Name)
			reason := fmt.Sprintf("Role %s wants a fresh MFA code.", p.chain[i].RoleARN)
			direct, derr := b.assumeDirect(ctx, f, p, i, dur, reason)
			direct.notices = slices.Concat(sess.notices, direct.notices)
			return direct, derr
		}
		return out, err
	}
}

// keyAndDevice reads the key profile's long-term key and finds its MFA
// device (configured or discovered), with the notices either produced.
func (b *Broker) keyAndDevice(ctx context.Context, f *flight, p *plan) (lt aws.Credentials, serial, serialAt string, notices []string, err error) {
	lt, notices, err = b.longTermKey(ctx, p)
	if err != nil {
		return aws.Credentials{}, "", "", nil, err
	}
	serial, serialAt, more, err := b.device(ctx, f, p, lt)
	return lt, serial, serialAt, append(notices, more...), err
}

// assumeDirect assumes p.chain[i] (whose source is the key profile) with the
// long-term key and an MFA code.
func (b *Broker) assumeDirect(ctx context.Context, f *flight, p *plan, i int, dur time.Duration, reason string) (outcome, error) {
	_, durAt := p.roleDuration(i)
	lt, serial, serialAt, notices, err := b.keyAndDevice(ctx, f, p)
	if err != nil {
		return outcome{}, err
	}
	var out outcome
	err = b.withCode(ctx, f, p, serial, reason, func(code string) error {
		var err error
		out, err = b.assume(ctx, p, i, dur, durAt, credsOf(lt), serial, serialAt, code)
		return err
	})
	out.notices = slices.Concat(notices, out.notices)
	return out, err
}

// assume calls AssumeRole for p.chain[i] with src, adding the MFA device and
// code when code is set.
func (b *Broker) assume(ctx context.Context, p *plan, i int, dur time.Duration, durAt string, src Credentials, serial, serialAt, code string) (outcome, error) {
	prof := p.chain[i]
	in := &sts.AssumeRoleInput{
		RoleArn:         aws.String(prof.RoleARN),
		RoleSessionName: aws.String(p.sessionName(i, nonEmpty(serial, p.serial), b.now())),
		DurationSeconds: aws.Int32(int32(dur / time.Second)),
	}
	if prof.ExternalID != "" {
		in.ExternalId = aws.String(prof.ExternalID)
	}
	if code != "" {
		in.SerialNumber, in.TokenCode = aws.String(serial), aws.String(code)
	}
	c := callInfo{op: "AssumeRole", endpoint: p.ep.sts, profile: prof.Name, keyProf: p.base.Name,
		serial: serial, serialAt: serialAt, role: prof.RoleARN, durAt: durAt, code: code != ""}
	var creds Credentials
	b.logf("AssumeRole %s for profile %s for %s (with MFA code: %t)", prof.RoleARN, prof.Name, dur, code != "")
	err := b.call(ctx, c, func(ctx context.Context) error {
		out, err := b.stsClient(p.ep, awsCreds(src), code != "").AssumeRole(ctx, in)
		if err != nil {
			return err
		}
		creds, err = fromSTS(out.Credentials, c)
		return err
	})
	return outcome{creds: creds}, err
}

// withCode asks for codes for serial and runs call with each until AWS
// accepts one. A code is checked for form before any call, and a code already
// sent for the device is refused locally (AWS accepts a code once). Rejected
// and refused codes are asked again with the attempt number raised; the
// Askers decide how often they can ask.
func (b *Broker) withCode(ctx context.Context, f *flight, p *plan, serial, reason string, call func(code string) error) error {
	var last error
	call = b.noteRejection(serial, call)
	for attempt := 1; attempt <= maxCodeAttempts; attempt++ {
		code, err := poolAsker{f}.MFACode(ctx, MFAAsk{Profile: p.name(), Serial: serial, Process: p.process, Attempt: attempt, Reason: reason})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if last != nil && errors.Is(err, ErrCannotAsk) {
				return last
			}
			if errors.Is(err, ErrCannotAsk) && KindOf(err) == "" {
				return &Error{Kind: KindNoCodeSource, Msg: "no way to get an MFA code: pass --mfa-token, set mfa_process in the profile, or run on a terminal", Err: err}
			}
			return err
		}
		if !validCode(code) {
			last = &Error{Kind: KindBadCode, Msg: "an MFA code is exactly 6 digits"}
			reason = "An MFA code is exactly 6 digits."
			continue
		}
		if refusal, again := b.useCode(serial, code); again != nil {
			last, reason = again, refusal
			continue
		}
		err = call(code)
		switch {
		case isKind(err, KindMFARejected):
			reason = "The previous code was rejected."
		case errors.Is(err, errCodeMaybeUsed):
			// The code is remembered as used (useCode): a person is asked for
			// the next one; an Asker that cannot ask ends the loop with err.
			b.logf("the connection was lost after the MFA code for %s was sent; asking for the next code", serial)
			reason = "The connection to AWS was lost after the code was sent, and AWS may have used it. Wait for the next code."
		default:
			return err
		}
		last = err
	}
	return last
}

func validCode(code string) bool {
	if len(code) != 6 {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

// sentCode is what is known of a code sent for a device.
type sentCode struct {
	forget   time.Time // when to stop remembering it
	rejected bool      // AWS refused it; otherwise it was used, or may have been
}

// useCode records code as sent for serial. For a code sent before, it
// returns the reason to give when asking again and the error, which say what
// came of it: AWS rejected it, or it was used (AWS accepts a code once).
func (b *Broker) useCode(serial, code string) (reason string, again error) {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.usedCode[serial]
	if m == nil {
		m = map[string]sentCode{}
		b.usedCode[serial] = m
	}
	for c, s := range m {
		if now.After(s.forget) {
			delete(m, c)
		}
	}
	if s, sent := m[code]; sent {
		if s.rejected {
			return "AWS rejected that code; type the code the device shows now.",
				&Error{Kind: KindMFARejected, Msg: fmt.Sprintf("AWS already rejected that MFA code for %s", serial),
					Hint: "type the code the device shows now"}
		}
		return "That code was already used; wait for the next one.",
			&Error{Kind: KindMFARejected, Msg: fmt.Sprintf("that MFA code for %s was already used; AWS accepts each code once", serial),
				Hint: "wait for the next code"}
	}
	m[code] = sentCode{forget: now.Add(codeMemory)}
	return "", nil
}

// noteRejection wraps call so that a code AWS rejects is remembered as
// rejected rather than used.
func (b *Broker) noteRejection(serial string, call func(code string) error) func(code string) error {
	return func(code string) error {
		err := call(code)
		if isKind(err, KindMFARejected) {
			b.mu.Lock()
			if s, ok := b.usedCode[serial][code]; ok {
				s.rejected = true
				b.usedCode[serial][code] = s
			}
			b.mu.Unlock()
		}
		return err
	}
}

// vaultKey names an open vault: the backend and what locates its data.
func vaultKey(req Request) string {
	return strings.Join([]string{req.Backend, req.Env["AWSMFA_BACKEND"], req.Env["HOME"], req.Env["XDG_DATA_HOME"], req.Env["AWSMFA_DATA_DIR"]}, "\x00")
}

// openVault returns the vault for req, opening it on first use. Its
// operations let every caller waiting on the vault supply its passphrase
// (see vaultPassphrase).
func (b *Broker) openVault(ctx context.Context, req Request) (vault.Store, error) {
	key := vaultKey(req)
	b.mu.Lock()
	s := b.vaults[key]
	b.mu.Unlock()
	if s != nil {
		return s, nil
	}
	if b.o.OpenVault == nil {
		return nil, errors.New("opening vault: no vault configured")
	}
	inner, err := b.o.OpenVault(ctx, req.Backend, req.Env, func(ctx context.Context, creating bool) (string, error) {
		return b.vaultPassphrase(ctx, key, creating)
	})
	if err != nil {
		return nil, err
	}
	s = &sharedVault{Store: inner, b: b, key: key}
	b.mu.Lock()
	defer b.mu.Unlock()
	if prev := b.vaults[key]; prev != nil {
		return prev, nil
	}
	b.vaults[key] = s
	return s, nil
}

// longTermKey reads the key profile's long-term key from the vault.
func (b *Broker) longTermKey(ctx context.Context, p *plan) (aws.Credentials, []string, error) {
	name := p.base.Name
	s, err := b.openVault(ctx, p.req)
	if err != nil {
		return aws.Credentials{}, nil, &Error{Kind: KindVaultLocked, Msg: fmt.Sprintf("cannot open the vault: %v", err), Err: err}
	}
	e, err := s.Get(ctx, name)
	switch {
	case err == nil:
	case errors.Is(err, vault.ErrNotFound) && p.base.StaticKeys:
		return aws.Credentials{}, nil, &Error{Kind: KindNotFound,
			Msg:  fmt.Sprintf("the key of profile %s is in plaintext in %s, not in the vault", name, p.paths.Credentials),
			Hint: fmt.Sprintf("awsmfa import %s", name), Err: err}
	case errors.Is(err, vault.ErrNotFound):
		return aws.Credentials{}, nil, &Error{Kind: KindNotFound, Msg: fmt.Sprintf("the vault holds no key for profile %s", name),
			Hint: fmt.Sprintf("awsmfa add %s", name), Err: err}
	case errors.Is(err, vault.ErrWrongPassphrase):
		return aws.Credentials{}, nil, &Error{Kind: KindVaultLocked, Msg: "wrong vault passphrase", Err: err}
	case errors.Is(err, vault.ErrNoPassphrase) || errors.Is(err, ErrCannotAsk):
		return aws.Credentials{}, nil, &Error{Kind: KindVaultLocked, Msg: "the vault is locked and there is no way to ask for its passphrase",
			Hint: "run on a terminal, or set AWSMFA_PASSPHRASE_FILE or AWSMFA_PASSPHRASE_COMMAND", Err: err}
	default:
		if ctx.Err() != nil {
			return aws.Credentials{}, nil, ctx.Err()
		}
		return aws.Credentials{}, nil, &Error{Kind: KindVaultLocked, Msg: fmt.Sprintf("cannot read the key of profile %s from the vault: %v", name, err), Err: err}
	}
	b.noteKey(vaultKey(p.req), name, e.AccessKeyID)
	var notices []string
	if p.base.StaticKeys {
		notices = append(notices, fmt.Sprintf("profile %s still has a key in plaintext in %s; the vault's key is used", name, p.paths.Credentials))
	}
	return aws.Credentials{AccessKeyID: e.AccessKeyID, SecretAccessKey: e.SecretAccessKey, Source: "awsmfa vault"}, notices, nil
}

// device returns the MFA device to use and the profile naming it ("" when
// discovered). Without an mfa_serial along the chain, the key's IAM user's
// devices are listed (GetCallerIdentity, then ListMFADevices with the user
// name, which some implementations require).
func (b *Broker) device(ctx context.Context, f *flight, p *plan, lt aws.Credentials) (serial, at string, notices []string, err error) {
	if p.serial != "" {
		return p.serial, p.serialAt, nil, nil
	}
	key := p.sessionKey()
	if known := b.discovered(p); known != "" && b.o.Cache {
		return known, "", nil, nil
	}
	c := callInfo{op: "GetCallerIdentity", endpoint: p.ep.sts, profile: p.base.Name, keyProf: p.base.Name}
	var arn string
	err = b.call(ctx, c, func(ctx context.Context) error {
		out, err := b.stsClient(p.ep, lt, false).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err == nil {
			arn = aws.ToString(out.Arn)
		}
		return err
	})
	if err != nil {
		return "", "", nil, err
	}
	user, ok := userFromARN(arn)
	if !ok {
		return "", "", nil, &Error{Kind: KindUnsupported, Msg: fmt.Sprintf("the key of profile %s belongs to %s, not an IAM user", p.base.Name, arn)}
	}
	c = callInfo{op: "ListMFADevices", endpoint: p.ep.iam, profile: p.base.Name, keyProf: p.base.Name}
	var serials []string
	err = b.call(ctx, c, func(ctx context.Context) error {
		in := &iam.ListMFADevicesInput{}
		if user != "" {
			in.UserName = aws.String(user)
		}
		pages := iam.NewListMFADevicesPaginator(b.iamClient(p.ep, lt), in)
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, d := range page.MFADevices {
				serials = append(serials, aws.ToString(d.SerialNumber))
			}
		}
		return nil
	})
	section := p.keySection()
	if isKind(err, KindDenied) {
		return "", "", nil, discoveryDenied(err, p, arn, user, section)
	}
	if err != nil {
		return "", "", nil, err
	}
	switch len(serials) {
	case 0:
		return "", "", nil, &Error{Kind: KindNoMFADevice,
			Msg:  fmt.Sprintf("IAM user %s (profile %s) has no MFA device", nonEmpty(user, "root"), p.base.Name),
			Hint: "assign a virtual MFA device to the user in IAM, then try again"}
	case 1:
		serial = serials[0]
		notices = append(notices, fmt.Sprintf("profile %s names no mfa_serial; using %s, the only MFA device of %s", p.base.Name, serial, nonEmpty(user, "root")))
	default:
		slices.Sort(serials)
		serial, err = poolAsker{f}.ChooseDevice(ctx, p.base.Name, serials)
		if err != nil {
			if ctx.Err() != nil {
				return "", "", nil, ctx.Err()
			}
			if !errors.Is(err, ErrCannotAsk) {
				return "", "", nil, err
			}
			return "", "", nil, &Error{Kind: KindManyDevices,
				Msg: fmt.Sprintf("IAM user %s (profile %s) has %d MFA devices and the profile names none of them: %s",
					nonEmpty(user, "root"), p.base.Name, len(serials), strings.Join(serials, ", ")),
				Hint: fmt.Sprintf("add the line `mfa_serial = %s` (or another of the devices) to [%s] in %s", serials[0], section, p.paths.Config),
				Err:  err}
		}
		if !slices.Contains(serials, serial) {
			return "", "", nil, &Error{Kind: KindMFASerial, Msg: fmt.Sprintf("%s is not one of the MFA devices of %s", serial, nonEmpty(user, "root"))}
		}
	}
	if !p.req.SaveSerial && len(serials) == 1 {
		notices = append(notices, fmt.Sprintf("to make this permanent, add `mfa_serial = %s` to [%s] in %s, or pass --save", serial, section, p.paths.Config))
	}
	// Remembered even without a cache, for saveSerial.
	b.mu.Lock()
	b.serials[key] = serial
	b.mu.Unlock()
	return serial, "", notices, nil
}

// discovered is the MFA device found for p's key by an earlier discovery,
// or "".
func (b *Broker) discovered(p *plan) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.serials[p.sessionKey()]
}

// keySection is the key profile's section name in the config file.
func (p *plan) keySection() string {
	if p.base.Name == "default" {
		return "default"
	}
	return "profile " + p.base.Name
}

// discoveryDenied explains a ListMFADevices that AWS denied. The policies
// that enforce MFA deny it to a key without MFA, so the users who followed
// them are exactly those who need the config line: it is given, with the
// device name a virtual device usually has (its user's name).
func discoveryDenied(err error, p *plan, arn, user, section string) error {
	msg := fmt.Sprintf("AWS denied iam:ListMFADevices to the key of profile %s, so awsmfa cannot find its MFA device", p.base.Name)
	parts := strings.SplitN(arn, ":", 6)
	if user == "" || len(parts) != 6 {
		return &Error{Kind: KindDenied, Msg: msg, Err: err,
			Hint: fmt.Sprintf("add the line `mfa_serial = ARN-OF-THE-MFA-DEVICE` to [%s] in %s (iam:ListMFADevices, which would find it, is denied to this key without MFA)", section, p.paths.Config)}
	}
	serial := fmt.Sprintf("arn:%s:iam::%s:mfa/%s", parts[1], parts[4], user)
	return &Error{Kind: KindDenied, Msg: msg, Err: err,
		Hint: fmt.Sprintf("add the line `mfa_serial = %s` to [%s] in %s (the likely serial: a virtual MFA device is usually named after its user; iam:ListMFADevices, which would find it, is denied to a key without MFA)",
			serial, section, p.paths.Config)}
}

// saveSerial answers --save once credentials were obtained: it writes the
// device discovered for the key as mfa_serial into the key profile, whether
// the discovery happened in this call or earlier (the agent then finds the
// session cached and discovers nothing), or says why there is nothing to save.
func (b *Broker) saveSerial(ctx context.Context, p *plan) string {
	section := p.keySection()
	if p.serial != "" {
		return fmt.Sprintf("--save: nothing to save, profile %s already names its MFA device (mfa_serial = %s)", p.serialAt, p.serial)
	}
	serial := b.discovered(p)
	if serial == "" {
		return fmt.Sprintf("--save: nothing to save, no MFA device was discovered for profile %s", p.base.Name)
	}
	if err := awsconfig.SetProfileKey(ctx, p.paths, p.base.Name, "mfa_serial", serial); err != nil {
		return fmt.Sprintf("--save: could not save mfa_serial to [%s] in %s: %v", section, p.paths.Config, err)
	}
	return fmt.Sprintf("saved mfa_serial = %s to [%s] in %s", serial, section, p.paths.Config)
}

// userFromARN returns the IAM user name in arn:PARTITION:iam::ACCOUNT:user/PATH/NAME,
// "" for the account root, and false for anything else (roles, federation).
func userFromARN(arn string) (string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[2] != "iam" {
		return "", false
	}
	res := parts[5]
	if res == "root" {
		return "", true
	}
	rest, ok := strings.CutPrefix(res, "user/")
	if !ok || rest == "" {
		return "", false
	}
	return rest[strings.LastIndex(rest, "/")+1:], true
}

func awsCreds(c Credentials) aws.Credentials {
	return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
}

func credsOf(c aws.Credentials) Credentials {
	return Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey}
}
