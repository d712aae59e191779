//go:build !unix

package agent

// Harden reports ErrUnsupported: the agent does not run on this system.
func Harden() error { return ErrUnsupported }
