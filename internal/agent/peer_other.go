//go:build unix && !linux && !darwin && !freebsd

package agent

// peerUID fails where no peer-credential call is wired up, so that the agent
// refuses every connection rather than trusting an unchecked one.
func peerUID(int) (int, error) { return -1, ErrUnsupported }
