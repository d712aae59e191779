//go:build !unix

package agent

// CloseInherited reports ErrUnsupported: the agent does not run on this
// system.
func CloseInherited() error { return ErrUnsupported }
