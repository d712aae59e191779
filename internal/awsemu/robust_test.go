package awsemu

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func startInternal(t testing.TB) *Server {
	t.Helper()
	s, err := Start(t.Context(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSignatureTimeMessages(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 30, 0, 0, time.UTC)
	tests := []struct {
		signed string
		want   string
	}{
		{"20260101T000000Z", "Signature expired: 20260101T000000Z is now earlier than 20260101T001500Z (20260101T003000Z - 15 min.)"},
		{"20260101T010000Z", "Signature not yet current: 20260101T010000Z is still later than 20260101T004500Z (20260101T003000Z + 15 min.)"},
		{"20260101T001500Z", ""},
		{"20260101T004500Z", ""},
	}
	for _, tt := range tests {
		sig, _ := time.Parse(amzDateFmt, tt.signed)
		sr := &signedRequest{AmzDate: tt.signed, Time: sig}
		got := sr.checkTime(now)
		switch {
		case tt.want == "" && got != nil:
			t.Errorf("%s: unexpected %v", tt.signed, got)
		case tt.want != "" && (got == nil || got.Code != "SignatureDoesNotMatch" || got.Message != tt.want):
			t.Errorf("%s: got %v, want SignatureDoesNotMatch %q", tt.signed, got, tt.want)
		}
	}
}

// errorEnvelope is the query protocol's error shape.
type errorEnvelope struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Type    string   `xml:"Error>Type"`
	Code    string   `xml:"Error>Code"`
	Message string   `xml:"Error>Message"`
	ReqID   string   `xml:"RequestId"`
}

func TestGarbageRequests(t *testing.T) {
	s := startInternal(t)
	huge := "Action=GetCallerIdentity&X=" + strings.Repeat("a", 2<<20)
	tests := []struct {
		name, method, ctype, body, query string
		status                           int
		code                             string
	}{
		{"empty POST", "POST", "application/x-www-form-urlencoded", "", "", 400, "InvalidAction"},
		{"missing action", "POST", "application/x-www-form-urlencoded", "Version=2011-06-15", "", 400, "InvalidAction"},
		{"unknown action", "POST", "application/x-www-form-urlencoded", "Action=LaunchMissiles", "", 400, "InvalidAction"},
		{"binary body", "POST", "application/x-www-form-urlencoded", "\x00\xff\x10%zz&&==", "", 400, "MalformedQueryString"},
		{"xml body", "POST", "text/xml", "<Action>GetCallerIdentity</Action>", "", 400, "InvalidParameterValue"},
		{"huge body", "POST", "application/x-www-form-urlencoded", huge, "", 400, "ValidationError"},
		{"bad query", "GET", "", "", "Action=%zz", 400, "MalformedQueryString"},
		{"unsigned", "POST", "application/x-www-form-urlencoded", "Action=GetCallerIdentity", "", 403, "MissingAuthenticationToken"},
		{"put", "PUT", "application/x-www-form-urlencoded", "Action=GetCallerIdentity", "", 400, "InvalidAction"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, s.URL()+"/?"+tt.query, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e errorEnvelope
			if err := xml.NewDecoder(resp.Body).Decode(&e); err != nil {
				t.Fatalf("error body is not AWS XML: %v", err)
			}
			if resp.StatusCode != tt.status || e.Code != tt.code || e.Type != "Sender" || e.ReqID == "" || e.Message == "" {
				t.Errorf("got %d %+v, want %d %s", resp.StatusCode, e, tt.status, tt.code)
			}
		})
	}
}

func TestMalformedAuthorization(t *testing.T) {
	s := startInternal(t)
	tests := []struct {
		name, auth, date string
		code             string
	}{
		{"other scheme", "Basic dXNlcjpwYXNz", "20260101T000000Z", "IncompleteSignature"},
		{"no credential", "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00", "20260101T000000Z", "IncompleteSignature"},
		{"short credential", "AWS4-HMAC-SHA256 Credential=AKIA/x, SignedHeaders=host, Signature=00", "20260101T000000Z", "IncompleteSignature"},
		{"no date", "AWS4-HMAC-SHA256 Credential=" + s.AdminKey().ID + "/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00", "", "IncompleteSignature"},
		{"unknown key", "AWS4-HMAC-SHA256 Credential=AKIAXXXXXXXXXXXXXXXX/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00", "20260101T000000Z", "InvalidClientTokenId"},
		{"non-hex signature", "AWS4-HMAC-SHA256 Credential=" + s.AdminKey().ID + "/" + time.Now().UTC().Format("20060102") + "/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=zz", time.Now().UTC().Format(amzDateFmt), "SignatureDoesNotMatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", tt.auth)
			if tt.date != "" {
				req.Header.Set("X-Amz-Date", tt.date)
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			var e errorEnvelope
			if err := xml.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code != tt.code {
				t.Errorf("got %d %q (%v), want %s", rec.Code, rec.Body.String(), err, tt.code)
			}
		})
	}
}

// FuzzRequest feeds arbitrary methods, content types, queries, headers and
// bodies to the handler: it must never panic and must always answer with a
// well-formed AWS error (or success) document.
func FuzzRequest(f *testing.F) {
	f.Add("POST", "application/x-www-form-urlencoded", "", "Action=GetCallerIdentity&Version=2011-06-15", "")
	f.Add("POST", "application/x-www-form-urlencoded", "", "Action=AssumeRole&RoleArn=arn:aws:iam::123456789012:role/x&RoleSessionName=a", "AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcd")
	f.Add("GET", "", "Action=GetSessionToken&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=A/B/C/D/aws4_request&X-Amz-Expires=99&X-Amz-SignedHeaders=host&X-Amz-Signature=00&X-Amz-Date=20260101T000000Z", "", "")
	f.Add("POST", "text/plain", "Action=ListUsers", "\x00\x01", "AWS4-HMAC-SHA256 ,,,=")
	f.Add("DELETE", "", "", "", "")
	s := startInternal(f)
	f.Fuzz(func(t *testing.T, method, ctype, query, body, auth string) {
		if !validMethod(method) {
			method = "POST"
		}
		req := httptest.NewRequest("POST", "/", bytes.NewReader([]byte(body)))
		req.Method = method
		req.URL.RawQuery = query
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
			req.Header.Set("X-Amz-Date", "20260101T000000Z")
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK {
			return
		}
		if rec.Code < 400 || rec.Code > 599 {
			t.Fatalf("status %d", rec.Code)
		}
		var e errorEnvelope
		if err := xml.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code == "" {
			t.Fatalf("answer %q is not an AWS error: %v", rec.Body.String(), err)
		}
	})
}

func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, c := range m {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}
