package credserver

import (
	"errors"
	"net"
	"net/netip"
	"os"
)

// errNoPeerCheck is socketOwner's answer where the platform offers no way to
// find a TCP peer's uid; the check is then skipped.
var errNoPeerCheck = errors.New("no peer uid lookup on this platform")

// peerListener accepts only connections whose client socket belongs to the
// Server's uid. A refused connection is closed at once and never reaches the
// HTTP server; Accept goes on to the next one.
type peerListener struct {
	net.Listener
	s *Server
}

func (l *peerListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if reason := l.s.checkPeer(c); reason != "" {
			// Counted, not delayed: a delay here would hold up every
			// other connection, and this peer never gets to guess.
			l.s.refused(c.RemoteAddr().String(), reason)
			c.Close()
			continue
		}
		return c, nil
	}
}

// checkPeer returns why c's peer is refused, or "". A peer that cannot be
// found in the socket table is refused: the check fails closed.
func (s *Server) checkPeer(c net.Conn) string {
	local, lok := addrPort(c.LocalAddr())
	remote, rok := addrPort(c.RemoteAddr())
	if !lok || !rok {
		return "not a TCP connection"
	}
	if !remote.Addr().IsLoopback() {
		return "not from loopback"
	}
	uid, err := s.o.peerUID(local, remote)
	switch {
	case errors.Is(err, errNoPeerCheck):
		return ""
	case err != nil:
		return "the peer's socket owner is unknown: " + err.Error()
	case uid != s.o.uid:
		return "the peer's socket belongs to another user"
	}
	return ""
}

func addrPort(a net.Addr) (netip.AddrPort, bool) {
	t, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.AddrPort{}, false
	}
	ap := t.AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
}

func currentUID() int { return os.Getuid() }
