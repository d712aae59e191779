package buildid

import (
	"bytes"
	"debug/elf"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// copyFile copies src to dst with mode 0700 and the modification time mtime.
func copyFile(t *testing.T, src, dst string, mtime time.Time) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o700)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(dst, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

// TestBuildIDSharedByCopies: two copies of one build, with different times,
// have one identity (issue 7 item 15: they kept replacing each other's
// agent).
func TestBuildIDSharedByCopies(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	copyFile(t, exe, a, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	copyFile(t, exe, b, time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC))
	idA, idB := goBuildContentID(a), goBuildContentID(b)
	if idA == "" {
		t.Fatal("no Go build ID found in the test binary")
	}
	if idA != idB {
		t.Errorf("copies differ: %q and %q", idA, idB)
	}
	if runtime.GOOS == "linux" {
		// The running image, read through /proc/self/exe, is the same build.
		if got := Identity("v1", "/proc/self/exe", "/nonexistent"); got != "v1+"+idA {
			t.Errorf("Identity = %q, want %q", got, "v1+"+idA)
		}
	}
}

func TestSearchBuildID(t *testing.T) {
	for _, tc := range []struct {
		name, data, want string
	}{
		{"embedded", "junk\xff Go build ID: \"aa/bb/cc/dd\"\n \xffmore", "dd"},
		{"one part", "\xff Go build ID: \"only\"\n \xff", "only"},
		{"none", "no id here", ""},
		{"unterminated", "\xff Go build ID: \"aa/bb", ""},
		{"hostile", "\xff Go build ID: \"a b\"\n \xff", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := contentPart(searchID(bytes.NewReader([]byte(tc.data)))); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	// A file that is neither ELF nor Mach-O is searched from its start.
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte(strings.Repeat("x", 100)+"\xff Go build ID: \"x/y\"\n \xff"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := goBuildContentID(p); got != "y" {
		t.Errorf("goBuildContentID = %q, want y", got)
	}
}

// BenchmarkIdentity measures what every client pays per command.
func BenchmarkIdentity(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if Identity("v1", exe, exe) == "" {
			b.Fatal("empty")
		}
	}
}

// The hand-rolled ELF note reader finds what debug/elf finds in the
// .note.go.buildid section.
func TestELFNoteMatchesDebugELF(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ef, err := elf.Open(exe)
	if err != nil {
		t.Skipf("the test binary is not ELF: %v", err)
	}
	defer ef.Close()
	s := ef.Section(".note.go.buildid")
	if s == nil {
		t.Fatal("no .note.go.buildid section")
	}
	data, err := s.Data()
	if err != nil || len(data) < 16 {
		t.Fatalf("reading the note: %v", err)
	}
	descsz := int(ef.ByteOrder.Uint32(data[4:]))
	want := contentPart(string(data[16 : 16+descsz]))
	if got := goBuildContentID(exe); got == "" || got != want {
		t.Errorf("goBuildContentID = %q, want %q", got, want)
	}
}
