package vault

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// Environment variables of the passphrase-command helper. None starts with
// AWSMFA_PASSPHRASE, so the scrubbing under test leaves them in place.
const (
	helperModeVar = "AWSMFA_VAULTTEST_HELPER"  // "print" or "environ"
	helperOutVar  = "AWSMFA_VAULTTEST_OUT"     // what to print as the passphrase
	helperEnvFile = "AWSMFA_VAULTTEST_ENVFILE" // where "environ" writes its environment
)

// TestMain lets the test binary stand in for a passphrase command: started
// with helperModeVar set, it acts as the helper and runs no tests.
func TestMain(m *testing.M) {
	if mode := os.Getenv(helperModeVar); mode != "" {
		runHelper(mode)
		return
	}
	m.Run()
}

func runHelper(mode string) {
	if mode == "environ" {
		if err := os.WriteFile(os.Getenv(helperEnvFile), []byte(strings.Join(os.Environ(), "\n")), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			return
		}
	}
	fmt.Print(os.Getenv(helperOutVar) + "\n")
}

// helperCommand returns an AWSMFA_PASSPHRASE_COMMAND line that runs the test
// binary as the helper in mode, printing out. It sets the helper's variables in
// the process environment, which the command inherits.
func helperCommand(t *testing.T, mode, out string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(exe, `'"`) {
		t.Skipf("test binary path %q cannot be quoted for splitCommand", exe)
	}
	t.Setenv(helperModeVar, mode)
	t.Setenv(helperOutVar, out)
	return "'" + exe + "' -test.run=^$"
}
