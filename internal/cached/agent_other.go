//go:build !linux

package cached

import "os"

// Outside linux cmd/awsmfa runs the full command line, and the cached path
// never serves.
func ask(string, string, *request, <-chan os.Signal) (*result, bool) { return nil, false }
