//go:build windows

package cli

// replaceProcess is nil on Windows, which cannot replace a process: exec
// starts the command as a child, relays Ctrl-C and passes its status through.
var replaceProcess func(path string, argv, env []string) error
