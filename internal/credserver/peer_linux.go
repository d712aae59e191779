package credserver

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
)

// errNotInTable means no socket in the tables matched the connection.
var errNotInTable = errors.New("not in the kernel's socket table")

// socketOwner returns the uid owning the client end of the connection
// accepted at local from remote: the socket whose local address is remote
// and whose remote address is local.
func socketOwner(local, remote netip.AddrPort) (int, error) {
	// A client connecting to 127.0.0.1 from an IPv6 socket shows up in tcp6
	// with a v4-mapped address.
	for _, path := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(path)
		if errors.Is(err, os.ErrNotExist) {
			continue // no IPv6 in this kernel
		}
		if err != nil {
			return -1, fmt.Errorf("reading the socket table: %w", err)
		}
		uid, err := findSocketOwner(f, remote, local)
		f.Close()
		if !errors.Is(err, errNotInTable) {
			return uid, err
		}
	}
	return -1, errNotInTable
}

// findSocketOwner scans a /proc/net/tcp{,6} table for the socket bound to
// local and connected to remote and returns its uid column.
func findSocketOwner(r io.Reader, local, remote netip.AddrPort) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	first := true
	for sc.Scan() {
		if first { // the header line
			first = false
			continue
		}
		// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid ...
		fields := bytes.Fields(sc.Bytes())
		if len(fields) < 8 {
			continue
		}
		l, err := parseSocketAddr(fields[1])
		if err != nil || l != local {
			continue
		}
		rem, err := parseSocketAddr(fields[2])
		if err != nil || rem != remote {
			continue
		}
		uid, err := strconv.Atoi(string(fields[7]))
		if err != nil {
			return -1, fmt.Errorf("reading the socket table: uid %q: %w", fields[7], err)
		}
		return uid, nil
	}
	if err := sc.Err(); err != nil {
		return -1, fmt.Errorf("reading the socket table: %w", err)
	}
	return -1, errNotInTable
}

// parseSocketAddr reads ADDR:PORT as the kernel prints it: the address as
// 32-bit words in hex, each in host byte order (one word for IPv4, four for
// IPv6), the port in hex. A v4-mapped IPv6 address is returned as IPv4.
func parseSocketAddr(b []byte) (netip.AddrPort, error) {
	i := bytes.IndexByte(b, ':')
	if i < 0 {
		return netip.AddrPort{}, errors.New("no port")
	}
	hexAddr, hexPort := b[:i], b[i+1:]
	port, err := strconv.ParseUint(string(hexPort), 16, 16)
	if err != nil {
		return netip.AddrPort{}, err
	}
	raw := make([]byte, hex.DecodedLen(len(hexAddr)))
	if _, err := hex.Decode(raw, hexAddr); err != nil {
		return netip.AddrPort{}, err
	}
	if len(raw) != 4 && len(raw) != 16 {
		return netip.AddrPort{}, errors.New("address of unknown length")
	}
	// hex.Decode read each word big-endian; the kernel printed it in host
	// order.
	ip := make([]byte, len(raw))
	for w := 0; w < len(raw); w += 4 {
		binary.NativeEndian.PutUint32(ip[w:], binary.BigEndian.Uint32(raw[w:]))
	}
	addr, _ := netip.AddrFromSlice(ip)
	return netip.AddrPortFrom(addr.Unmap(), uint16(port)), nil
}
