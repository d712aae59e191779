package awsemu_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/awsmfa/awsmfa/internal/awsemu"
)

func control(t *testing.T, s *awsemu.Server, method, path, body string, hdr map[string]string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("%s %s: answer %q is not JSON: %v", method, path, data, err)
	}
	return resp.StatusCode, out
}

func TestControlAPIDefences(t *testing.T) {
	s := start(t)
	tok := s.ControlToken()
	tests := []struct {
		name   string
		hdr    map[string]string
		status int
	}{
		{"no token", nil, http.StatusUnauthorized},
		{"wrong token", map[string]string{awsemu.ControlTokenHeader: tok + "x"}, http.StatusUnauthorized},
		{"origin", map[string]string{awsemu.ControlTokenHeader: tok, "Origin": "http://evil.example"}, http.StatusForbidden},
		{"referer", map[string]string{awsemu.ControlTokenHeader: tok, "Referer": "http://evil.example/"}, http.StatusForbidden},
		{"rebound host", map[string]string{awsemu.ControlTokenHeader: tok, "Host": "evil.example"}, http.StatusForbidden},
		{"token header", map[string]string{awsemu.ControlTokenHeader: tok}, http.StatusOK},
		{"bearer", map[string]string{"Authorization": "Bearer " + tok}, http.StatusOK},
		{"localhost", map[string]string{awsemu.ControlTokenHeader: tok, "Host": "localhost"}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := control(t, s, "GET", "/_awsemu/info", "", tt.hdr)
			if status != tt.status {
				t.Fatalf("status %d (%v), want %d", status, out, tt.status)
			}
			if status == http.StatusOK && out["adminAccessKeyId"] != s.AdminKey().ID {
				t.Errorf("info %v", out)
			}
		})
	}
}

func TestControlAPI(t *testing.T) {
	s := start(t)
	h := map[string]string{awsemu.ControlTokenHeader: s.ControlToken()}
	status, u := control(t, s, "POST", "/_awsemu/users", `{"name":"dave"}`, h)
	if status != 200 || u["arn"] != "arn:aws:iam::123456789012:user/dave" || !strings.HasPrefix(u["accessKeyId"].(string), "AKIA") {
		t.Fatalf("create user: %d %v", status, u)
	}
	if status, _ := control(t, s, "POST", "/_awsemu/users", `{"name":"dave"}`, h); status != http.StatusConflict {
		t.Errorf("duplicate user: %d", status)
	}
	status, m := control(t, s, "POST", "/_awsemu/mfa", `{"user":"dave","name":"dave"}`, h)
	if status != 200 || m["serial"] != "arn:aws:iam::123456789012:mfa/dave" {
		t.Fatalf("create mfa: %d %v", status, m)
	}
	status, c := control(t, s, "GET", "/_awsemu/code?serial=arn:aws:iam::123456789012:mfa/dave", "", h)
	want, _ := s.Code("arn:aws:iam::123456789012:mfa/dave")
	if status != 200 || c["code"] != want {
		t.Errorf("code: %d %v, want %s", status, c, want)
	}
	before := s.Clock().Now()
	if status, _ := control(t, s, "POST", "/_awsemu/clock", `{"advance":"1h"}`, h); status != 200 {
		t.Errorf("clock: %d", status)
	}
	if d := s.Clock().Now().Sub(before); d < time.Hour || d > time.Hour+time.Minute {
		t.Errorf("clock moved %v, want 1h", d)
	}
	trust := `{"Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}}`
	body, _ := json.Marshal(map[string]any{"name": "R", "trustPolicy": trust, "maxSessionDuration": 7200})
	if status, r := control(t, s, "POST", "/_awsemu/roles", string(body), h); status != 200 || r["arn"] != "arn:aws:iam::123456789012:role/R" {
		t.Errorf("role: %d %v", status, r)
	}
	body, _ = json.Marshal(map[string]any{"kind": "role", "name": "R", "policyName": "p", "document": allowAll})
	if status, r := control(t, s, "POST", "/_awsemu/policies", string(body), h); status != 200 {
		t.Errorf("policy: %d %v", status, r)
	}
	body, _ = json.Marshal(map[string]any{"kind": "role", "name": "R", "policyName": "p", "document": "{"})
	if status, _ := control(t, s, "POST", "/_awsemu/policies", string(body), h); status != http.StatusBadRequest {
		t.Errorf("malformed policy: %d", status)
	}
	if status, _ := control(t, s, "POST", "/_awsemu/fault", `{"action":"GetCallerIdentity","kind":"throttle","n":3}`, h); status != 200 {
		t.Errorf("fault: %d", status)
	}
	if status, _ := control(t, s, "POST", "/_awsemu/fault", `{"kind":"nope"}`, h); status != http.StatusBadRequest {
		t.Errorf("bad fault: %d", status)
	}
	for range 3 {
		_, err := stsClient(s, keyCreds(s.AdminKey()), noRetries).GetCallerIdentity(t.Context(), nil)
		wantAPIError(t, err, "Throttling", "Rate exceeded")
	}
	status, calls := control(t, s, "GET", "/_awsemu/calls?action=GetCallerIdentity", "", h)
	if status != 200 || calls["count"] != float64(3) {
		t.Errorf("calls: %d %v", status, calls)
	}
	if status, _ := control(t, s, "GET", "/_awsemu/nothing", "", h); status != http.StatusNotFound {
		t.Errorf("unknown endpoint: %d", status)
	}
}

func TestStateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "emu.json")
	s1, err := awsemu.Start(t.Context(), awsemu.Options{StateFile: path, AccountID: "111122223333"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s1.CreateUser("erin"); err != nil {
		t.Fatal(err)
	}
	d, err := s1.CreateMFADevice("erin", "erin")
	if err != nil {
		t.Fatal(err)
	}
	admin := s1.AdminKey()
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("state file mode %v, want 0600", fi.Mode().Perm())
		}
	}

	s2, err := awsemu.Start(t.Context(), awsemu.Options{StateFile: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if s2.AdminKey() != admin || s2.AccountID() != "111122223333" {
		t.Errorf("reloaded admin key or account differ")
	}
	if _, err := s2.CreateUser("erin"); !errors.Is(err, awsemu.ErrExists) {
		t.Errorf("reloaded state lost user erin: %v", err)
	}
	if _, err := s2.Code(d.Serial); err != nil {
		t.Errorf("reloaded state lost the MFA device: %v", err)
	}
	if _, err := stsClient(s2, keyCreds(admin)).GetCallerIdentity(t.Context(), nil); err != nil {
		t.Errorf("reloaded admin key: %v", err)
	}

	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"account": "AKIASECRET`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = awsemu.Start(t.Context(), awsemu.Options{StateFile: bad})
	if err == nil || strings.Contains(err.Error(), "AKIASECRET") {
		t.Errorf("corrupt state: %v", err)
	}
}
