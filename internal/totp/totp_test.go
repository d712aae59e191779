package totp

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

// rfcSeed is the SHA1 key of RFC 4226 appendix D and RFC 6238 appendix B.
var rfcSeed = []byte("12345678901234567890")

func TestHOTPRFC4226(t *testing.T) {
	// RFC 4226 appendix D, HOTP values for counters 0..9.
	want := []string{
		"755224", "287082", "359152", "969429", "338314",
		"254676", "287922", "162583", "399871", "520489",
	}
	for counter, w := range want {
		if got := CodeAt(rfcSeed, int64(counter)); got != w {
			t.Errorf("CodeAt(rfc, %d) = %q, want %q", counter, got, w)
		}
	}
}

func TestTOTPRFC6238(t *testing.T) {
	// RFC 6238 appendix B, SHA1 column (8 digits).
	tests := []struct {
		unix  int64
		step  int64
		code8 string
	}{
		{59, 0x1, "94287082"},
		{1111111109, 0x23523EC, "07081804"},
		{1111111111, 0x23523ED, "14050471"},
		{1234567890, 0x273EF07, "89005924"},
		{2000000000, 0x3F940AA, "69279037"},
		{20000000000, 0x27BC86AA, "65353130"},
	}
	for _, tt := range tests {
		at := time.Unix(tt.unix, 0)
		if got := Step(at); got != tt.step {
			t.Errorf("Step(%d) = %#x, want %#x", tt.unix, got, tt.step)
		}
		if got := hotp(rfcSeed, uint64(tt.step), 8); got != tt.code8 {
			t.Errorf("8-digit code at %d = %q, want %q", tt.unix, got, tt.code8)
		}
		// Truncating to 6 digits keeps the low-order decimal digits.
		want6 := tt.code8[len(tt.code8)-Digits:]
		if got := Code(rfcSeed, at); got != want6 {
			t.Errorf("Code(rfc, %d) = %q, want %q", tt.unix, got, want6)
		}
	}
}

func TestStepBoundaries(t *testing.T) {
	tests := []struct {
		unix int64
		want int64
	}{
		{0, 0},
		{29, 0},
		{30, 1},
		{-1, -1},
		{-30, -1},
		{-31, -2},
	}
	for _, tt := range tests {
		if got := Step(time.Unix(tt.unix, 0)); got != tt.want {
			t.Errorf("Step(%d) = %d, want %d", tt.unix, got, tt.want)
		}
	}
}

func TestCodeIsZeroPadded(t *testing.T) {
	// RFC 6238's 1111111109 vector has a leading zero in its 8-digit form;
	// find steps whose 6-digit code starts with 0 to check padding directly.
	found := 0
	for s := int64(0); s < 200 && found < 3; s++ {
		c := CodeAt(rfcSeed, s)
		if len(c) != Digits {
			t.Fatalf("CodeAt(rfc, %d) = %q, want %d digits", s, c, Digits)
		}
		if c[0] == '0' {
			found++
		}
	}
	if found == 0 {
		t.Fatal("no code with a leading zero in 200 steps; padding untested")
	}
}

func TestValidate(t *testing.T) {
	seed := []byte("another seed of twenty+ bytes")
	now := time.Unix(1700000000, 0)
	cur := Step(now)
	tests := []struct {
		name     string
		code     string
		skew     int
		wantOK   bool
		wantStep int64
	}{
		{"current", CodeAt(seed, cur), 1, true, cur},
		{"previous within skew", CodeAt(seed, cur-1), 1, true, cur - 1},
		{"next within skew", CodeAt(seed, cur+1), 1, true, cur + 1},
		{"previous without skew", CodeAt(seed, cur-1), 0, false, 0},
		{"two back with skew 1", CodeAt(seed, cur-2), 1, false, 0},
		{"two back with skew 2", CodeAt(seed, cur-2), 2, true, cur - 2},
		{"negative skew means zero", CodeAt(seed, cur), -3, true, cur},
		{"short", CodeAt(seed, cur)[:5], 1, false, 0},
		{"long", CodeAt(seed, cur) + "0", 1, false, 0},
		{"empty", "", 1, false, 0},
		{"letters", "abcdef", 1, false, 0},
		{"other seed", CodeAt([]byte("different seed bytes"), cur), 0, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A code can collide with a neighbour step by chance; skip such
			// negative cases rather than assert something false.
			if !tt.wantOK && tt.code == CodeAt(seed, cur) {
				t.Skip("code collides with the current step")
			}
			step, ok := Validate(seed, tt.code, now, tt.skew)
			if ok != tt.wantOK || step != tt.wantStep {
				t.Errorf("Validate = (%d, %v), want (%d, %v)", step, ok, tt.wantStep, tt.wantOK)
			}
		})
	}
}

func TestNewSeed(t *testing.T) {
	a, err := NewSeed()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewSeed()
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != SeedSize || len(b) != SeedSize {
		t.Fatalf("seed sizes %d, %d, want %d", len(a), len(b), SeedSize)
	}
	if bytes.Equal(a, b) {
		t.Fatal("two seeds are equal")
	}
	if enc := EncodeSeed(a); len(enc) != 64 {
		t.Errorf("encoded seed has %d chars, want 64 like AWS", len(enc))
	}
}

func TestSeedRoundTrip(t *testing.T) {
	for n := range 45 {
		seed := bytes.Repeat([]byte{byte(n*7 + 1)}, n+1)
		enc := EncodeSeed(seed)
		if strings.ContainsRune(enc, '=') {
			t.Fatalf("EncodeSeed(%d bytes) has padding: %q", n+1, enc)
		}
		dec, err := DecodeSeed(enc)
		if err != nil {
			t.Fatalf("DecodeSeed(EncodeSeed(%d bytes)): %v", n+1, err)
		}
		if !bytes.Equal(dec, seed) {
			t.Fatalf("round trip of %d bytes changed the seed", n+1)
		}
	}
}

func TestDecodeSeed(t *testing.T) {
	// "12345678901234567890" in base32.
	const canonical = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	tests := []struct {
		name    string
		in      string
		want    []byte
		wantErr error
	}{
		{"canonical", canonical, rfcSeed, nil},
		{"lower case", strings.ToLower(canonical), rfcSeed, nil},
		{"grouped", "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ", rfcSeed, nil},
		{"dashes", "GEZD-GNBV-GY3T-QOJQ-GEZD-GNBV-GY3T-QOJQ", rfcSeed, nil},
		{"padded", "MZXW6===", []byte("foo"), nil},
		{"empty", "", nil, ErrEmptySeed},
		{"blank", "  = ", nil, ErrEmptySeed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeSeed(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("DecodeSeed(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestDecodeSeedInvalidKeepsInputOut(t *testing.T) {
	for _, in := range []string{"GEZDGNBV1", "not*base32!", "A"} {
		_, err := DecodeSeed(in)
		if err == nil {
			t.Errorf("DecodeSeed(%q) succeeded", in)
			continue
		}
		if strings.Contains(err.Error(), in) || strings.Contains(err.Error(), strings.ToUpper(in)) {
			t.Errorf("error %q contains the input", err)
		}
	}
}

func TestURI(t *testing.T) {
	tests := []struct {
		issuer, account string
		wantPath        string
		wantIssuer      string
	}{
		{"awsmfa", "alice@123456789012", "/awsmfa:alice@123456789012", "awsmfa"},
		{"My Corp", "bob smith", "/My Corp:bob smith", "My Corp"},
		{"a:b&c", "x:y", "/a:b&c:x:y", "a:b&c"},
		{"", "carol", "/carol", ""},
	}
	for _, tt := range tests {
		raw := URI(tt.issuer, tt.account, rfcSeed)
		if strings.Contains(raw, "+") || strings.Contains(raw, " ") {
			t.Errorf("URI %q encodes a space as '+' or leaves it raw", raw)
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("URI %q does not parse: %v", raw, err)
		}
		if u.Scheme != "otpauth" || u.Host != "totp" {
			t.Errorf("URI %q: scheme/host = %q/%q", raw, u.Scheme, u.Host)
		}
		if u.Path != tt.wantPath {
			t.Errorf("URI %q: label = %q, want %q", raw, u.Path, tt.wantPath)
		}
		if tt.issuer != "" && strings.Count(u.EscapedPath(), ":") != 1 {
			t.Errorf("URI %q: label must have exactly one unescaped ':'", raw)
		}
		q := u.Query()
		if got, _ := DecodeSeed(q.Get("secret")); !bytes.Equal(got, rfcSeed) {
			t.Errorf("URI %q: secret does not decode to the seed", raw)
		}
		if q.Get("issuer") != tt.wantIssuer || q.Has("issuer") != (tt.issuer != "") {
			t.Errorf("URI %q: issuer = %q, want %q", raw, q.Get("issuer"), tt.wantIssuer)
		}
		if q.Get("digits") != "6" || q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
			t.Errorf("URI %q: wrong parameters", raw)
		}
	}
}
