package compat

import (
	"os"
	"testing"
)

// TestMain lets the test binary stand in for its helper programs: run with a
// helper's name as its first argument it runs that helper and exits;
// otherwise it runs the tests.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case goSDKHelper:
			os.Exit(goSDKMain(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
		case mfaCodeHelper:
			os.Exit(mfaCodeMain(os.Args[2:], os.Stdout, os.Stderr))
		}
	}
	os.Exit(m.Run())
}
