package setup

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"rsc.io/qr"

	"github.com/awsmfa/awsmfa/internal/mfa"
	"github.com/awsmfa/awsmfa/internal/totp"
)

// maxAttempts bounds the codes (pairs of codes, when enrolling) asked for.
const maxAttempts = 3

// ErrNeedsTerminal is matched when a code must be typed and there is no
// terminal; nothing was changed.
var ErrNeedsTerminal = errors.New("a terminal is needed")

// enroll creates the virtual device, puts its secret on the terminal as a
// QR code (or on a YubiKey), enables it with two consecutive codes and, if
// anything fails, deletes it again: AWS's self-manage policy cannot delete
// an orphaned device later. The secret is in memory only, and wiped after.
func (r *runner) enroll(ctx context.Context, c Change) (err error) {
	api := r.env.AWS.IAM(r.env.Key)
	out, err := api.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(c.Device)})
	if apiCode(err) == "EntityAlreadyExists" {
		if err = r.removeOrphan(ctx, c); err != nil {
			return err
		}
		out, err = api.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(c.Device)})
	}
	if err != nil {
		return call("enrolling an MFA device", "iam:CreateVirtualMFADevice", err)
	}
	dev := out.VirtualMFADevice
	serial := aws.ToString(dev.SerialNumber)
	seedText := dev.Base32StringSeed
	defer func() {
		clear(seedText)
		clear(dev.QRCodePNG)
		if err != nil {
			if derr := r.deleteDevice(context.WithoutCancel(ctx), c.User, serial, false); derr != nil {
				err = fmt.Errorf("%w; deleting the new device %s failed too (%v): an administrator can run: aws iam delete-virtual-mfa-device --serial-number %s",
					err, serial, derr, serial)
			} else {
				r.say("deleted the new MFA device %s", serial)
			}
		}
	}()
	seed, err := totp.DecodeSeed(string(seedText))
	if err != nil {
		return fmt.Errorf("enrolling an MFA device: AWS's seed: %w", err)
	}
	defer clear(seed)
	if r.o.YubiKey {
		return r.enrollYubiKey(ctx, serial, seed)
	}
	if err := r.showSecret(seed, seedText); err != nil {
		return err
	}
	return r.enable(ctx, serial, func(attempt int) (string, string, error) {
		t := r.env.Terminal
		c1, err := readCode(t, "First MFA code from the app: ")
		if err != nil {
			return "", "", err
		}
		c2, err := readCode(t, "Wait for the code to change, then the next MFA code: ")
		return c1, c2, err
	})
}

// enable calls EnableMFADevice with pairs of codes until AWS accepts one.
func (r *runner) enable(ctx context.Context, serial string, codes func(attempt int) (string, string, error)) error {
	api := r.env.AWS.IAM(r.env.Key)
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		c1, c2, err := codes(attempt)
		if err != nil {
			return err
		}
		_, err = api.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{
			UserName: aws.String(r.who.User), SerialNumber: aws.String(serial),
			AuthenticationCode1: aws.String(c1), AuthenticationCode2: aws.String(c2),
		})
		if err == nil {
			r.out("enabled MFA device %s", serial)
			return nil
		}
		if apiCode(err) != "InvalidAuthenticationCode" {
			return call("enabling the MFA device", "iam:EnableMFADevice", err)
		}
		r.say("AWS did not accept the codes (attempt %d of %d): they must be two consecutive codes", attempt, maxAttempts)
	}
	return fmt.Errorf("enabling MFA device %s: AWS did not accept the codes in %d attempts: %w", serial, maxAttempts, ErrInput)
}

// showSecret puts the QR code (and, with ShowSecret, the secret as text) on
// the terminal, never anywhere else.
func (r *runner) showSecret(seed, seedText []byte) error {
	t := r.env.Terminal
	if t == nil {
		return fmt.Errorf("enrolling an MFA device: %w to show its QR code", ErrNeedsTerminal)
	}
	uri := totp.URI("AWS", r.who.User+"@"+r.who.Account, seed)
	art, err := qrText(uri)
	if err != nil {
		return fmt.Errorf("enrolling an MFA device: drawing the QR code: %w", err)
	}
	if err := t.Say("Scan this QR code with your authenticator app:\n%s", art); err != nil {
		return err
	}
	if r.o.ShowSecret {
		if err := t.Say("Or type this secret key into it: %s\n", seedText); err != nil {
			return err
		}
	}
	return nil
}

// qrText draws text as a QR code with half blocks, light modules lit, with a
// quiet zone of two modules.
func qrText(text string) (string, error) {
	code, err := qr.Encode(text, qr.L)
	if err != nil {
		return "", err
	}
	dark := func(x, y int) bool {
		return x >= 0 && y >= 0 && x < code.Size && y < code.Size && code.Black(x, y)
	}
	var b strings.Builder
	for y := -2; y < code.Size+2; y += 2 {
		for x := -2; x < code.Size+2; x++ {
			top, bottom := !dark(x, y), !dark(x, y+1)
			switch {
			case top && bottom:
				b.WriteRune('█')
			case top:
				b.WriteRune('▀')
			case bottom:
				b.WriteRune('▄')
			default:
				b.WriteByte(' ')
			}
		}
		b.WriteByte('\n')
	}
	return b.String(), nil
}

func readCode(t Terminal, prompt string) (string, error) {
	if t == nil {
		return "", fmt.Errorf("reading an MFA code: %w", ErrNeedsTerminal)
	}
	for range maxAttempts {
		s, err := t.ReadLine(prompt)
		if err != nil {
			return "", fmt.Errorf("reading an MFA code: %w", err)
		}
		s = strings.TrimSpace(s)
		if mfa.ValidateCode(s) == nil {
			return s, nil
		}
		_ = t.Say("an MFA code is 6 digits\n")
	}
	return "", fmt.Errorf("reading an MFA code: no 6-digit code in %d attempts: %w", maxAttempts, ErrInput)
}

// deleteDevice deactivates (when enabled) and deletes a virtual device.
func (r *runner) deleteDevice(ctx context.Context, user, serial string, enabled bool) error {
	api := r.env.AWS.IAM(r.env.Key)
	if enabled {
		_, err := api.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String(user), SerialNumber: aws.String(serial)})
		if err != nil && !isNoSuchEntity(err) {
			return call("removing the MFA device", "iam:DeactivateMFADevice", err)
		}
	}
	_, err := api.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)})
	if isNoSuchEntity(err) {
		err = nil
	}
	if err == nil && r.o.YubiKey && r.env.YubiKey != nil {
		// Best effort: the YubiKey's account is useless without the device.
		_, _ = r.env.YubiKey(ctx, []string{"oath", "accounts", "delete", "--force", r.ykName()}, nil)
	}
	return call("removing the MFA device", "iam:DeleteVirtualMFADevice", err)
}

// codeSource gives the codes of the proofs.
type codeSource interface {
	next(ctx context.Context, prompt string, attempt int) (string, error)
}

type terminalCodes struct{ t Terminal }

func (s terminalCodes) next(_ context.Context, prompt string, _ int) (string, error) {
	return readCode(s.t, prompt)
}

func (r *runner) codeSrc() codeSource {
	if r.code == nil {
		if r.o.YubiKey {
			r.code = &yubiCodes{r: r}
		} else {
			r.code = terminalCodes{t: r.env.Terminal}
		}
	}
	return r.code
}

// ykName is the YubiKey OATH account the secret goes to.
func (r *runner) ykName() string { return r.o.DeviceName + "@" + r.who.Account }

// ykmanCodeCommand is the mfa_process line that reads name's code.
func ykmanCodeCommand(name string) string { return "ykman oath accounts code --single " + name }

// yubiCodes reads codes with ykman, one per TOTP window: AWS takes each
// code once, so the next code waits for the next window.
type yubiCodes struct {
	r    *runner
	last int64 // the step of the last code read; 0 for none
}

func (y *yubiCodes) next(ctx context.Context, _ string, _ int) (string, error) {
	r := y.r
	if y.last != 0 {
		now := r.env.Now()
		if step := totp.Step(now); step <= y.last {
			wait := time.Unix((y.last+1)*int64(totp.Period/time.Second), 0).Sub(now) + time.Second
			r.say("waiting %s for the next code window", wait.Round(time.Second))
			if err := r.env.Sleep(ctx, wait); err != nil {
				return "", err
			}
		}
	}
	r.say("touch your YubiKey")
	out, err := r.env.YubiKey(ctx, strings.Fields(strings.TrimPrefix(ykmanCodeCommand(r.ykName()), "ykman ")), nil)
	if err != nil {
		return "", fmt.Errorf("reading a code with ykman: %w", err)
	}
	code := strings.TrimSpace(string(out))
	if err := mfa.ValidateCode(code); err != nil {
		return "", fmt.Errorf("reading a code with ykman: its answer is not a 6-digit code: %w", ErrInput)
	}
	y.last = totp.Step(r.env.Now())
	return code, nil
}

// enrollYubiKey stores the secret on the YubiKey (touch required), with
// the secret on ykman's stdin, never in its arguments: ykman prompts for a
// secret left off its command line and reads the answer from stdin.
func (r *runner) enrollYubiKey(ctx context.Context, serial string, seed []byte) error {
	if r.env.YubiKey == nil {
		return fmt.Errorf("enrolling on a YubiKey: %w", ErrNeedsTerminal)
	}
	secret := []byte(totp.EncodeSeed(seed) + "\n")
	defer clear(secret)
	r.say("storing the MFA secret on the YubiKey (ykman oath accounts add --touch %s)", r.ykName())
	if _, err := r.env.YubiKey(ctx, []string{"oath", "accounts", "add", "--touch", "--oath-type", "TOTP", r.ykName()}, secret); err != nil {
		return fmt.Errorf("storing the MFA secret on the YubiKey: %w", err)
	}
	return r.enable(ctx, serial, func(int) (string, string, error) {
		src := r.codeSrc()
		c1, err := src.next(ctx, "", 1)
		if err != nil {
			return "", "", err
		}
		c2, err := src.next(ctx, "", 1)
		return c1, c2, err
	})
}

// OrphanDeviceError is a virtual MFA device of the name setup would create
// that exists already and that setup could not delete. A device enabled for
// nobody is an orphan of a failed enrollment: its secret is lost, so it can
// never be enabled, and AWS's self-manage policy does not let the user
// delete it (IAM-FACTS.md, "Orphaned devices").
type OrphanDeviceError struct {
	Serial string
	// Owner is the user the device is enabled for; empty for an orphan, or
	// when the key may not tell.
	Owner string
	Err   error
}

func (e *OrphanDeviceError) Error() string {
	switch {
	case e.Owner != "":
		return fmt.Sprintf("enrolling an MFA device: %s is user %s's: choose another --device-name", e.Serial, e.Owner)
	case e.Err != nil:
		return fmt.Sprintf("enrolling an MFA device: %s exists, enabled for nobody (an earlier enrollment failed; its secret is lost, so it cannot be enabled), and deleting it failed: %v",
			e.Serial, e.Err)
	}
	return fmt.Sprintf("enrolling an MFA device: %s exists already and the key may not list the account's devices to tell whose it is", e.Serial)
}

func (e *OrphanDeviceError) Unwrap() error {
	if e.Err != nil {
		return e.Err
	}
	return ErrInput
}

// removeOrphan deletes the virtual device named c.Device, which
// CreateVirtualMFADevice says exists, if it is enabled for nobody: an orphan
// of an earlier enrollment that failed before its device was deleted. Its
// secret is lost, so it cannot be reused; deleting it and creating it anew
// is the way to enroll under its name. A device enabled for a user is never
// touched.
func (r *runner) removeOrphan(ctx context.Context, c Change) error {
	api := r.env.AWS.IAM(r.env.Key)
	orphan, owner := false, ""
	p := iam.NewListVirtualMFADevicesPaginator(api, &iam.ListVirtualMFADevicesInput{})
	for p.HasMorePages() && !orphan && owner == "" {
		page, err := p.NextPage(ctx)
		if err != nil {
			if isDenied(err) {
				return &OrphanDeviceError{Serial: c.Serial}
			}
			return call("enrolling an MFA device", "iam:ListVirtualMFADevices", err)
		}
		for _, d := range page.VirtualMFADevices {
			if aws.ToString(d.SerialNumber) != c.Serial {
				continue
			}
			if d.User == nil {
				orphan = true
			} else {
				owner = aws.ToString(d.User.UserName)
			}
		}
	}
	if owner != "" {
		return &OrphanDeviceError{Serial: c.Serial, Owner: owner}
	}
	if !orphan {
		// Gone meanwhile: creating it again will do.
		return nil
	}
	r.say("MFA device %s exists, enabled for nobody: an earlier enrollment failed, and its secret is lost; deleting it to create it anew", c.Serial)
	_, err := api.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(c.Serial)})
	if err != nil && !isNoSuchEntity(err) {
		return &OrphanDeviceError{Serial: c.Serial, Err: call("deleting the orphaned MFA device", "iam:DeleteVirtualMFADevice", err)}
	}
	return nil
}
