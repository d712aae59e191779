package audit

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/awsmfa/awsmfa/internal/mfapolicy"
)

// The --json document is exactly what the README documents: a version and
// findings of six string fields, nothing more, nothing less.
func TestReportSchema(t *testing.T) {
	data, err := json.Marshal(NewReport([]Finding{{ID: IDPlaintextKey, Severity: Critical, Profile: "dev",
		Resource: "~/.aws/credentials", Message: "m", Fix: "awsmfa import dev"}, {ID: IDShellKey, Severity: OK}}))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(doc)); !slices.Equal(got, []string{"findings", "version"}) {
		t.Errorf("top-level keys %q", got)
	}
	if string(doc["version"]) != "1" {
		t.Errorf("version %s, want 1", doc["version"])
	}
	var findings []map[string]any
	if err := json.Unmarshal(doc["findings"], &findings); err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		if got := slices.Sorted(maps.Keys(f)); !slices.Equal(got, []string{"fix", "id", "message", "profile", "resource", "severity"}) {
			t.Errorf("finding keys %q", got)
		}
		for k, v := range f {
			if _, ok := v.(string); !ok {
				t.Errorf("field %s is %T, want a string (empty when unset)", k, v)
			}
		}
		if s := f["severity"].(string); !slices.Contains([]string{"ok", "warning", "critical"}, s) {
			t.Errorf("severity %q", s)
		}
	}
	empty, _ := json.Marshal(NewReport(nil))
	if string(empty) != `{"version":1,"findings":[]}` {
		t.Errorf("empty report %s", empty)
	}
}

// Every check id, the severities, the fields and the exit codes are in the
// README's section on awsmfa audit.
func TestReadmeDocumentsSchema(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	start := strings.Index(readme, "### `awsmfa audit")
	if start < 0 {
		t.Fatal("README has no awsmfa audit section")
	}
	section := readme[start:]
	section = section[:strings.Index(section[4:], "\n### ")+4]
	ids := []string{
		IDPlaintextKey, IDPlaintextSession, IDPermissions, IDShellKey, IDEnvCredentials, IDRoleMFASerial,
		IDKeyIdentity, IDProbe, IDMFADevice, IDAccessKeys, IDAccessKeyAge, IDKeyNotInVault, IDKeyAlone,
		IDAssumeRole, IDRoleMissing, IDRoleMaxSession, IDCheckSkipped,
		mfapolicy.FindingTrustRequiresMFA, mfapolicy.FindingTrustNoMFA, mfapolicy.FindingTrustBoolIfExists,
		mfapolicy.FindingTrustPrincipalUser, mfapolicy.FindingTrustPrincipalAcct, mfapolicy.FindingTrustPrincipalAll,
		mfapolicy.FindingTrustMFAAgeOK, mfapolicy.FindingTrustMFAAgeShort,
	}
	for _, w := range ids {
		if !strings.Contains(section, "`"+w+"`") {
			t.Errorf("README's audit section does not list check id %q", w)
		}
	}
	for _, w := range []string{"`id`", "`severity`", "`profile`", "`resource`", "`message`", "`fix`", `"version": 1`,
		"`critical`", "`warning`", "`ok`", "0 when nothing is above ok", "10 when", "11 when"} {
		if !strings.Contains(section, w) {
			t.Errorf("README's audit section does not document %s", w)
		}
	}
	for _, w := range []string{"| 10 | `audit`", "| 11 | `audit`"} {
		if !strings.Contains(readme, w) {
			t.Errorf("README's exit code table lacks %q", w)
		}
	}
}
