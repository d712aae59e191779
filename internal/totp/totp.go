// Package totp implements RFC 6238 time-based one-time passwords with the
// parameters AWS virtual MFA devices use: HMAC-SHA1, 6 digits, 30-second steps.
//
// Seeds are secrets. Nothing in this package puts a seed or a code into an
// error message.
package totp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

const (
	// Digits is the length of a code.
	Digits = 6
	// Period is the length of one time step.
	Period = 30 * time.Second
	// SeedSize is the length in bytes of seeds made by NewSeed; AWS's virtual
	// MFA seeds have the same size (64 base32 characters).
	SeedSize = 40
)

// ErrEmptySeed is returned by DecodeSeed for an empty (or all-blank) seed.
var ErrEmptySeed = errors.New("empty seed")

// seedEncoding is base32 with the standard alphabet and no padding, the form
// of AWS's Base32StringSeed and of the otpauth "secret" parameter.
func seedEncoding() *base32.Encoding {
	return base32.StdEncoding.WithPadding(base32.NoPadding)
}

// Step returns the RFC 6238 time step containing t: floor(unix seconds / 30).
func Step(t time.Time) int64 {
	period := int64(Period / time.Second)
	s := t.Unix()
	q := s / period
	if s%period != 0 && s < 0 {
		q--
	}
	return q
}

// Code returns the code for the time step containing t.
func Code(seed []byte, t time.Time) string {
	return CodeAt(seed, Step(t))
}

// CodeAt returns the code for time step step. The step is used as the RFC 4226
// counter, so CodeAt(seed, n) is also the HOTP value for counter n.
func CodeAt(seed []byte, step int64) string {
	return hotp(seed, uint64(step), Digits)
}

// hotp computes RFC 4226 HOTP with the given number of digits (at most 9 fit
// the 31-bit truncated value meaningfully; callers use 6 or 8).
func hotp(seed []byte, counter uint64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac := hmac.New(sha1.New, seed)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}

// Validate reports whether code is the code of one of the steps
// Step(t)-skew .. Step(t)+skew, and which step matched. Every step in the
// window is computed and compared in constant time, so the time taken does not
// depend on where (or whether) the code matched. A negative skew counts as 0.
// Callers that must refuse reuse (AWS accepts a code once) record the returned
// step and reject codes whose step is not after the last accepted one.
func Validate(seed []byte, code string, t time.Time, skew int) (step int64, ok bool) {
	if len(code) != Digits {
		return 0, false
	}
	skew = max(skew, 0)
	now := Step(t)
	found := 0
	var matched int64
	for s := now - int64(skew); s <= now+int64(skew); s++ {
		eq := subtle.ConstantTimeCompare([]byte(CodeAt(seed, s)), []byte(code))
		// Keep the first matching step without branching on the secret.
		take := eq & (found ^ 1)
		matched = int64(subtle.ConstantTimeSelect(take, int(s), int(matched)))
		found |= eq
	}
	if found == 0 {
		return 0, false
	}
	return matched, true
}

// NewSeed returns a fresh random seed of SeedSize bytes.
func NewSeed() ([]byte, error) {
	seed := make([]byte, SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, fmt.Errorf("generating totp seed: %w", err)
	}
	return seed, nil
}

// EncodeSeed returns seed as unpadded standard base32, the form of AWS's
// Base32StringSeed.
func EncodeSeed(seed []byte) string {
	return seedEncoding().EncodeToString(seed)
}

// DecodeSeed parses a base32 seed as users paste it: case is ignored, and so
// are spaces, dashes and trailing '=' padding.
func DecodeSeed(s string) ([]byte, error) {
	clean := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '-', '=':
			return -1
		}
		return r
	}, strings.ToUpper(s))
	if clean == "" {
		return nil, ErrEmptySeed
	}
	seed, err := seedEncoding().DecodeString(clean)
	if err != nil {
		// base32.CorruptInputError carries only an offset, never input.
		return nil, fmt.Errorf("decoding base32 seed: %w", err)
	}
	if len(seed) == 0 {
		// A lone trailing character carries no whole byte.
		return nil, errors.New("decoding base32 seed: too short")
	}
	return seed, nil
}

// URI returns the otpauth:// key URI (the de-facto Google Authenticator
// format) that authenticator apps read from QR codes. The result contains the
// seed and must be treated as a secret. An empty issuer is left out.
func URI(issuer, account string, seed []byte) string {
	label := escape(account)
	if issuer != "" {
		label = escape(issuer) + ":" + label
	}
	var b strings.Builder
	b.WriteString("otpauth://totp/")
	b.WriteString(label)
	b.WriteString("?secret=")
	b.WriteString(EncodeSeed(seed))
	if issuer != "" {
		b.WriteString("&issuer=")
		b.WriteString(escape(issuer))
	}
	fmt.Fprintf(&b, "&algorithm=SHA1&digits=%d&period=%d", Digits, int(Period/time.Second))
	return b.String()
}

// escape percent-encodes s for both the label and a query value. Spaces become
// %20 rather than '+', which some authenticator apps show literally; ':' is
// escaped so it cannot be mistaken for the issuer separator.
func escape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
