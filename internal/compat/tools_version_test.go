package compat

import "testing"

// TestParseCLIVersion covers the version gate that decides whether the CLI v2
// can be pointed at a local endpoint through the environment.
func TestParseCLIVersion(t *testing.T) {
	tests := []struct {
		in       string
		want     [3]int
		ok       bool
		envReady bool // at least 2.13
	}{
		{"aws-cli/2.9.19 Python/3.11.2 Linux/6.1 source/x86_64.debian.12 prompt/off", [3]int{2, 9, 19}, true, false},
		{"aws-cli/2.13.0 Python/3.11.4", [3]int{2, 13, 0}, true, true},
		{"aws-cli/2.22.5 Python/3.12.6", [3]int{2, 22, 5}, true, true},
		{"aws-cli/1.45.11 Python/3.11.7 botocore/1.43.11", [3]int{1, 45, 11}, true, false},
		{"aws-cli/3.0.0", [3]int{3, 0, 0}, true, true},
		{"Python/3.11 aws-cli/2.15.0", [3]int{}, false, false},
		{"aws-cli/2.x.1", [3]int{}, false, false},
		{"", [3]int{}, false, false},
	}
	for _, tc := range tests {
		got, ok := parseCLIVersion(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseCLIVersion(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
		if ok && atLeast(got, 2, 13) != tc.envReady {
			t.Errorf("atLeast(%v, 2, 13) = %v, want %v", got, !tc.envReady, tc.envReady)
		}
	}
}
