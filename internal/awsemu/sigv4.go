package awsemu

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	sigAlgorithm = "AWS4-HMAC-SHA256"
	amzDateFmt   = "20060102T150405Z"
	// maxSkew is how far a request's signing time may be from the emulator's
	// clock, as in AWS.
	maxSkew = 15 * time.Minute
)

// signedRequest is what a SigV4 signature claims: who signed, for which scope,
// over which headers, and when.
type signedRequest struct {
	KeyID         string
	Date          string // YYYYMMDD of the credential scope
	Region        string
	Service       string
	SignedHeaders []string
	Signature     string
	AmzDate       string
	Time          time.Time
	Token         string
	Presigned     bool
	Expires       time.Duration // presigned only
}

func missingAuth() *apiError {
	return errorf(http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token")
}

func incompleteSignature(msg string) *apiError {
	return errorf(http.StatusBadRequest, "IncompleteSignature", "%s", msg)
}

// parseSignature extracts the SigV4 claims from the Authorization header or,
// failing that, from presigned query parameters.
func parseSignature(r *http.Request) (*signedRequest, *apiError) {
	q := r.URL.Query()
	auth := r.Header.Get("Authorization")
	sr := &signedRequest{}
	var credential string
	switch {
	case auth != "":
		rest, ok := strings.CutPrefix(auth, sigAlgorithm+" ")
		if !ok {
			return nil, incompleteSignature("Unsupported authorization type; only " + sigAlgorithm + " is accepted")
		}
		for part := range strings.SplitSeq(rest, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok {
				continue
			}
			switch k {
			case "Credential":
				credential = v
			case "SignedHeaders":
				sr.SignedHeaders = strings.Split(v, ";")
			case "Signature":
				sr.Signature = v
			}
		}
		sr.AmzDate = r.Header.Get("X-Amz-Date")
		if sr.AmzDate == "" {
			if d, err := http.ParseTime(r.Header.Get("Date")); err == nil {
				sr.AmzDate = d.UTC().Format(amzDateFmt)
			}
		}
		sr.Token = r.Header.Get("X-Amz-Security-Token")
	case q.Get("X-Amz-Algorithm") != "":
		if q.Get("X-Amz-Algorithm") != sigAlgorithm {
			return nil, incompleteSignature("Unsupported X-Amz-Algorithm; only " + sigAlgorithm + " is accepted")
		}
		sr.Presigned = true
		credential = q.Get("X-Amz-Credential")
		sr.SignedHeaders = strings.Split(q.Get("X-Amz-SignedHeaders"), ";")
		sr.Signature = q.Get("X-Amz-Signature")
		sr.AmzDate = q.Get("X-Amz-Date")
		sr.Token = q.Get("X-Amz-Security-Token")
		// Without X-Amz-Expires (the SDKs' STS presigner) the URL is
		// good for the usual 15 minutes.
		secs, err := 900, error(nil)
		if e := q.Get("X-Amz-Expires"); e != "" {
			secs, err = strconv.Atoi(e)
		}
		if err != nil || secs < 1 || secs > 604800 {
			return nil, incompleteSignature("X-Amz-Expires must be a number of seconds between 1 and 604800")
		}
		sr.Expires = time.Duration(secs) * time.Second
	default:
		return nil, missingAuth()
	}
	scope := strings.Split(credential, "/")
	if len(scope) != 5 || scope[0] == "" || scope[4] != "aws4_request" {
		return nil, incompleteSignature("Authorization header requires a well-formed 'Credential' parameter: KEYID/DATE/REGION/SERVICE/aws4_request")
	}
	sr.KeyID, sr.Date, sr.Region, sr.Service = scope[0], scope[1], scope[2], scope[3]
	if len(sr.SignedHeaders) == 0 || sr.SignedHeaders[0] == "" {
		return nil, incompleteSignature("Authorization header requires 'SignedHeaders' parameter")
	}
	if sr.Signature == "" {
		return nil, incompleteSignature("Authorization header requires 'Signature' parameter")
	}
	t, err := time.Parse(amzDateFmt, sr.AmzDate)
	if err != nil {
		return nil, incompleteSignature("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header")
	}
	sr.Time = t
	return sr, nil
}

// checkTime applies AWS's 15-minute window to the signing time and, for
// presigned requests, their expiry.
func (sr *signedRequest) checkTime(now time.Time) *apiError {
	if sr.Presigned {
		if now.After(sr.Time.Add(sr.Expires)) {
			return accessDenied("Request has expired")
		}
		if sr.Time.After(now.Add(maxSkew)) {
			return signatureDoesNotMatch("Signature not yet current: " + sr.AmzDate + " is still later than " +
				now.Add(maxSkew).Format(amzDateFmt) + " (" + now.Format(amzDateFmt) + " + 15 min.)")
		}
		return nil
	}
	if sr.Time.Before(now.Add(-maxSkew)) {
		return signatureDoesNotMatch("Signature expired: " + sr.AmzDate + " is now earlier than " +
			now.Add(-maxSkew).Format(amzDateFmt) + " (" + now.Format(amzDateFmt) + " - 15 min.)")
	}
	if sr.Time.After(now.Add(maxSkew)) {
		return signatureDoesNotMatch("Signature not yet current: " + sr.AmzDate + " is still later than " +
			now.Add(maxSkew).Format(amzDateFmt) + " (" + now.Format(amzDateFmt) + " + 15 min.)")
	}
	return nil
}

// verify recomputes the signature over r and body with secret and compares
// it in constant time. Both the singly and the doubly escaped path are tried:
// clients disagree on whether the query services double-escape.
func (sr *signedRequest) verify(r *http.Request, body []byte, secret string) bool {
	if sr.Date != sr.AmzDate[:8] {
		return false
	}
	payload := sha256Hex(body)
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && !sr.Presigned {
		if h != payload && h != "UNSIGNED-PAYLOAD" {
			return false
		}
		payload = h
	}
	if sr.Presigned && len(body) == 0 && r.Method == http.MethodGet {
		payload = sha256Hex(nil)
	}
	want, err := hex.DecodeString(sr.Signature)
	if err != nil {
		return false
	}
	key := signingKey(secret, sr.Date, sr.Region, sr.Service)
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	paths := []string{path}
	if double := awsEscapePath(path); double != path {
		paths = append(paths, double)
	}
	ok := false
	for _, p := range paths {
		cr := sr.canonicalRequest(r, p, payload)
		sts := sigAlgorithm + "\n" + sr.AmzDate + "\n" + sr.Date + "/" + sr.Region + "/" + sr.Service + "/aws4_request\n" + sha256Hex([]byte(cr))
		got := hmacSHA256(key, []byte(sts))
		if hmac.Equal(got, want) {
			ok = true
		}
	}
	return ok
}

func (sr *signedRequest) canonicalRequest(r *http.Request, path, payload string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(path)
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.RawQuery, sr.Presigned))
	b.WriteByte('\n')
	for _, name := range sr.SignedHeaders {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(canonicalHeaderValue(r, name))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(sr.SignedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(payload)
	return b.String()
}

func canonicalHeaderValue(r *http.Request, name string) string {
	var vals []string
	switch name {
	case "host":
		vals = []string{r.Host}
	case "content-length":
		vals = r.Header.Values(name)
		if len(vals) == 0 && r.ContentLength >= 0 {
			vals = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	default:
		vals = r.Header.Values(name)
	}
	for i, v := range vals {
		vals[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(vals, ",")
}

func canonicalQuery(raw string, presigned bool) string {
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return ""
	}
	type kv struct{ k, v string }
	var pairs []kv
	for k, vs := range vals {
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		for _, v := range vs {
			pairs = append(pairs, kv{awsEscape(k), awsEscape(v)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p.k + "=" + p.v
	}
	return strings.Join(parts, "&")
}

// awsEscape percent-encodes everything but RFC 3986 unreserved characters.
func awsEscape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func awsEscapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = awsEscape(s)
	}
	return strings.Join(segs, "/")
}

func signingKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), []byte(date))
	k = hmacSHA256(k, []byte(region))
	k = hmacSHA256(k, []byte(service))
	return hmacSHA256(k, []byte("aws4_request"))
}

func hmacSHA256(key, data []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(data)
	return m.Sum(nil)
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
