package credserver

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// sampleTable is /proc/net/tcp as a little-endian kernel prints it: a
// listener on 127.0.0.1:8080 (uid 1000), the client end of a connection from
// 127.0.0.1:40000 to it (uid 1001), and the server end (uid 1000).
const sampleTable = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 11111 1 0000000000000000 100 0 0 10 0
   1: 0100007F:9C40 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1001        0 22222 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:1F90 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 33333 1 0000000000000000 20 4 30 10 -1
`

// sampleTable6 is /proc/net/tcp6 with the client end of the same connection
// made from an IPv6 socket (v4-mapped), uid 1002.
const sampleTable6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0000000000000000FFFF00000100007F:9C41 0000000000000000FFFF00000100007F:1F90 01 00000000:00000000 00:00000000 00000000  1002        0 44444 1 0000000000000000 20 4 30 10 -1
   1: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 55555 1 0000000000000000 100 0 0 10 0
`

func TestFindSocketOwner(t *testing.T) {
	var probe [4]byte
	binary.NativeEndian.PutUint32(probe[:], 1)
	if probe[0] != 1 {
		t.Skip("the sample tables are as a little-endian kernel prints them")
	}
	srv := netip.MustParseAddrPort("127.0.0.1:8080")
	for _, tc := range []struct {
		table          string
		local, remote  string
		wantUID        int
		wantNotInTable bool
	}{
		{sampleTable, "127.0.0.1:40000", "127.0.0.1:8080", 1001, false},
		{sampleTable, "127.0.0.1:8080", "127.0.0.1:40000", 1000, false},
		{sampleTable, "127.0.0.1:40001", "127.0.0.1:8080", -1, true},
		{sampleTable6, "127.0.0.1:40001", "127.0.0.1:8080", 1002, false},
		{sampleTable6, "[::1]:22", "[::]:0", 0, false},
		{"header only\n", "127.0.0.1:40000", srv.String(), -1, true},
	} {
		uid, err := findSocketOwner(strings.NewReader(tc.table), netip.MustParseAddrPort(tc.local), netip.MustParseAddrPort(tc.remote))
		if tc.wantNotInTable {
			if !errors.Is(err, errNotInTable) {
				t.Errorf("%s→%s: uid %d, err %v, want not in table", tc.local, tc.remote, uid, err)
			}
			continue
		}
		if err != nil || uid != tc.wantUID {
			t.Errorf("%s→%s: uid %d, err %v, want %d", tc.local, tc.remote, uid, err, tc.wantUID)
		}
	}
}

// TestSocketOwnerOfRealConnection looks up a real loopback connection in
// the kernel's table: its client end is this process's.
func TestSocketOwnerOfRealConnection(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	local, _ := addrPort(s.LocalAddr())
	remote, _ := addrPort(s.RemoteAddr())
	uid, err := socketOwner(local, remote)
	if err != nil || uid != os.Getuid() {
		t.Errorf("socketOwner = %d, %v; want %d", uid, err, os.Getuid())
	}
	if _, err := socketOwner(local, netip.AddrPortFrom(remote.Addr(), remote.Port()+1)); !errors.Is(err, errNotInTable) {
		t.Errorf("a connection that does not exist: %v, want not in table", err)
	}
}

// TestRefusesAnotherUser connects with curl running as another user (needs
// root to switch users): the kernel's table names that user, and the
// connection is closed unanswered. The same curl as this user gets the
// credentials, so the refusal is the uid's doing.
func TestRefusesAnotherUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("switching to another uid needs root; TestPeerOfAnotherUID covers the refusal with a fake table")
	}
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed")
	}
	f := start(t, nil)
	run := func(uid uint32) (string, error) {
		// The token goes in curl's config on stdin, not on its command line.
		cmd := exec.CommandContext(t.Context(), curl, "-sS", "-K", "-", "-o", "/dev/null", "-w", "%{http_code}", f.s.URL())
		cmd.Stdin = strings.NewReader(`header = "Authorization: ` + f.s.Token() + "\"\n")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
		cmd.Dir = "/"
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run(0); err != nil || out != "200" {
		t.Fatalf("curl as root: %v %s", err, out)
	}
	out, err := run(65534)
	if err == nil || strings.HasPrefix(out, "200") {
		t.Errorf("curl as uid 65534 got %q (err %v), want the connection closed", out, err)
	}
	if !strings.Contains(f.log.String(), "belongs to another user") {
		t.Errorf("log: %q", f.log.String())
	}
	if n := f.src.callCount(); n != 1 {
		t.Errorf("source called %d times", n)
	}
}
