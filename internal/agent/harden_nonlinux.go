//go:build unix && !linux

package agent

// Harden disables core dumps (RLIMIT_CORE 0) for the calling process. The
// agent calls it first thing, before any secret is in memory.
func Harden() error { return disableCoreDumps() }
