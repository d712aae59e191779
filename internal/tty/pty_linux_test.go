package tty

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY returns the controlling side of a new pseudo-terminal and the path
// of its terminal side.
func openPTY(t *testing.T) (*os.File, string) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlocking pty: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	return master, "/dev/pts/" + strconv.Itoa(n)
}

// readUntil reads from f until the data read contains sep.
func readUntil(t *testing.T, f *os.File, sep string) string {
	t.Helper()
	var buf bytes.Buffer
	b := make([]byte, 256)
	for !strings.Contains(buf.String(), sep) {
		n, err := f.Read(b)
		if err != nil {
			t.Fatalf("reading pty after %q: %v", buf.String(), err)
		}
		buf.Write(b[:n])
	}
	return buf.String()
}

func TestReadSecretOnPTY(t *testing.T) {
	master, slavePath := openPTY(t)
	term, err := open(slavePath, slavePath)
	if err != nil {
		t.Fatalf("open %s: %v", slavePath, err)
	}
	defer term.Close()

	type result struct {
		s   string
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := term.ReadSecret("Passphrase: ")
		done <- result{s, err}
	}()

	if out := readUntil(t, master, "Passphrase: "); out != "Passphrase: " {
		t.Fatalf("terminal showed %q before input", out)
	}
	// The line discipline echoes input as it arrives, so type only once echo
	// is off.
	for {
		select {
		case r := <-done:
			t.Fatalf("ReadSecret returned (%q, %v) before any input", r.s, r.err)
		default:
		}
		tio, err := unix.IoctlGetTermios(int(term.in.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		if tio.Lflag&unix.ECHO == 0 {
			break
		}
	}
	if _, err := master.WriteString("s3cret wörd\n"); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("ReadSecret: %v", r.err)
	}
	if r.s != "s3cret wörd" {
		t.Fatalf("got %q", r.s)
	}
	out := readUntil(t, master, "\n")
	if strings.Contains(out, "s3cret") {
		t.Fatalf("secret echoed: %q", out)
	}
	if out != "\r\n" {
		t.Fatalf("after the secret the terminal showed %q, want a newline", out)
	}
	tio, err := unix.IoctlGetTermios(int(term.in.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if tio.Lflag&unix.ECHO == 0 {
		t.Fatal("echo left off after ReadSecret")
	}

	if _, err := master.WriteString("visible\n"); err != nil {
		t.Fatal(err)
	}
	line, err := term.ReadLine("Name: ")
	if err != nil {
		t.Fatal(err)
	}
	if line != "visible" {
		t.Fatalf("ReadLine got %q", line)
	}
}
