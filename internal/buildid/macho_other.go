//go:build !darwin

package buildid

import "os"

// machoID is darwin's: elsewhere awsmfa's own binary is never Mach-O.
func machoID(*os.File) (string, bool) { return "", false }
