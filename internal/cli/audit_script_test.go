package cli

import "github.com/rogpeppe/go-internal/testscript"

// cmdMaskKey sets VAR to access key id ID as awsmfa shows it (AKIA…WXYZ),
// so that golden files can name an emulator's random keys with cmpenv.
//
//	mask-key VAR ID
func cmdMaskKey(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 || len(args[1]) < 12 {
		ts.Fatalf("usage: mask-key VAR ID")
	}
	ts.Setenv(args[0], args[1][:4]+"…"+args[1][len(args[1])-4:])
}
