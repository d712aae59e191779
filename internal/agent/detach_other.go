//go:build !unix

package agent

// StartDetached reports ErrUnsupported: the agent does not run on this system.
func StartDetached(exe, argv0 string, args, env []string) (int, error) {
	return 0, ErrUnsupported
}
