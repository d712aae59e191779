package compat

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMain lets the test binary stand in for its helper programs: run with a
// helper's name as its first argument it runs that helper and exits; run
// under the name awsmfa it is awsmfa (see server_test.go); otherwise it runs
// the tests.
func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == awsmfaArgv0 {
		os.Exit(awsmfaMain(os.Args[1:]))
	}
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case goSDKHelper:
			os.Exit(goSDKMain(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
		case containerHelper:
			os.Exit(containerMain(os.Args[2:], os.Stdout, os.Stderr))
		case mfaCodeHelper:
			os.Exit(mfaCodeMain(os.Args[2:], os.Stdout, os.Stderr))
		case ykmanHelper:
			os.Exit(ykmanMain(os.Args[2:], os.Stdout, os.Stderr))
		}
	}
	os.Exit(m.Run())
}
