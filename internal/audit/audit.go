// Package audit answers one question: if someone copied this home directory
// today, what could they do with it? It looks for credentials lying on disk
// or in the environment (Local) and asks IAM what each long-term key in the
// vault can do without MFA (IAM). It judges policy documents with
// internal/mfapolicy, the package that knows what "locked" means.
//
// audit knows nothing of the command line: it returns Findings, and the
// caller prints them. No Finding, message or error ever holds a secret: files
// are reported by path and expiry, keys by their access key id.
package audit

import (
	"cmp"
	"path/filepath"
	"slices"
	"strings"

	"github.com/awsmfa/awsmfa/internal/mfapolicy"
)

// SchemaVersion is the version of Report's JSON form. Fields are only ever
// added within one version; a change to the meaning of one bumps it.
const SchemaVersion = 1

// Severity ranks a Finding: "ok", "warning" or "critical".
type Severity = mfapolicy.Severity

// The severities, from harmless to urgent.
const (
	OK       = mfapolicy.SeverityOK
	Warning  = mfapolicy.SeverityWarning
	Critical = mfapolicy.SeverityCritical
)

// Finding is one result of one check.
type Finding struct {
	// ID names the check (stable: scripts may match on it).
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	// Profile is the AWS profile the finding is about ("" when none).
	Profile string `json:"profile"`
	// Resource is what was looked at: a path (under HOME written ~/…), an
	// ARN, an action, an access key id, an environment variable.
	Resource string `json:"resource"`
	Message  string `json:"message"`
	// Fix is the one command that fixes it ("" for ok findings).
	Fix string `json:"fix"`
}

// Report is the JSON document `awsmfa audit --json` prints.
type Report struct {
	Version  int       `json:"version"`
	Findings []Finding `json:"findings"`
}

// NewReport sorts findings (critical first, then by profile, check and
// resource) into a Report.
func NewReport(findings []Finding) Report {
	fs := slices.Clone(findings)
	if fs == nil {
		fs = []Finding{}
	}
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(rank(b.Severity), rank(a.Severity)),
			cmp.Compare(a.Profile, b.Profile),
			cmp.Compare(a.ID, b.ID),
			cmp.Compare(a.Resource, b.Resource),
		)
	})
	return Report{Version: SchemaVersion, Findings: fs}
}

// Worst is the highest severity in the report (OK when empty).
func (r Report) Worst() Severity {
	w := OK
	for _, f := range r.Findings {
		if rank(f.Severity) > rank(w) {
			w = f.Severity
		}
	}
	return w
}

func rank(s Severity) int {
	switch s {
	case Critical:
		return 2
	case Warning:
		return 1
	}
	return 0
}

// display writes path relative to home as ~/…, so that reports read the
// same on every machine.
func display(home, path string) string {
	if home == "" {
		return path
	}
	if path == home {
		return "~"
	}
	if rel, err := filepath.Rel(home, path); err == nil && !strings.HasPrefix(rel, "..") && !filepath.IsAbs(rel) {
		return "~/" + filepath.ToSlash(rel)
	}
	return path
}

// shellWord quotes s for a POSIX shell when it needs quoting; a leading ~/
// is kept outside the quotes so that the shell still expands it.
func shellWord(s string) string {
	prefix := ""
	if rest, ok := strings.CutPrefix(s, "~/"); ok {
		prefix, s = "~/", rest
	}
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./_-") == "" {
		return prefix + s
	}
	return prefix + "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// maskKey shortens an access key id to its kind and last four characters,
// as awsmfa shows key ids everywhere (AKIA…WXYZ).
func maskKey(id string) string {
	if len(id) < 12 {
		return id
	}
	return id[:4] + "…" + id[len(id)-4:]
}
