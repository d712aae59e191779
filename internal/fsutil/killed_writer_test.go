package fsutil

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Environment of the writer process TestKilledWritersLeaveNoTempFile starts.
const (
	writerPathEnv  = "FSUTIL_TEST_WRITER_PATH"
	writerModeEnv  = "FSUTIL_TEST_WRITER_MODE" // "hold" or "run"
	writerRoundEnv = "FSUTIL_TEST_WRITER_ROUND"
	writerSize     = 1 << 20
)

// roundData is what the writer of round n writes: a full file, so that a
// torn write would show.
func roundData(n int) []byte {
	return bytes.Repeat([]byte{byte('a' + n%26)}, writerSize)
}

// TestWriterProcess is the writer process of TestKilledWritersLeaveNoTempFile,
// not a test of its own: it edits the file under the lock, over and over,
// printing "locked" once it holds the lock. In "hold" mode it prints "temp"
// once its temporary file is complete and then waits on stdin for ever, so
// that the kill is sure to find the temporary file.
func TestWriterProcess(t *testing.T) {
	path := os.Getenv(writerPathEnv)
	if path == "" {
		t.Skip("started only by TestKilledWritersLeaveNoTempFile")
	}
	round, err := strconv.Atoi(os.Getenv(writerRoundEnv))
	if err != nil {
		t.Fatal(err)
	}
	var hook func()
	if os.Getenv(writerModeEnv) == "hold" {
		hook = func() {
			fmt.Println("temp")
			_, _ = io.Copy(io.Discard, os.Stdin)
		}
	}
	data := roundData(round)
	for {
		unlock, err := Lock(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println("locked")
		if err := writeFileAtomic(path, data, FileMode, hook); err != nil {
			t.Fatal(err)
		}
		if err := unlock(); err != nil {
			t.Fatal(err)
		}
	}
}

// countTemps counts the temporary files WriteFileAtomic leaves for path.
func countTemps(t *testing.T, path string) int {
	t.Helper()
	n := 0
	for _, name := range dirNames(t, filepath.Dir(path)) {
		if strings.HasPrefix(name, tempPrefix(path)) {
			n++
		}
	}
	return n
}

// Issue 7 item 3: writers killed in the middle of edits left full plaintext
// copies (".credentials.tmp*") that nothing removed. Writer processes are
// killed at varying points of their edits; every other one is killed while
// its temporary file is certain to exist. One more edit must leave no
// temporary file, and the file must always hold one writer's full content.
func TestKilledWritersLeaveNoTempFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "credentials")
	const rounds = 8
	for round := range rounds {
		mode, kills := "run", 1+round%3 // the run writer dies after its 1st to 3rd lock
		if round%2 == 1 {
			mode, kills = "hold", 1
		}
		killWriter(t, path, round, mode, kills)
		if data, err := os.ReadFile(path); err == nil {
			if !isRoundData(data) {
				t.Fatalf("round %d: the file holds a torn write (%d bytes)", round, len(data))
			}
		} else if round > 1 {
			t.Fatalf("round %d: %v", round, err)
		}
	}
	if n := countTemps(t, path); n == 0 {
		t.Fatal("the kills left no temporary file, so this test proves nothing")
	}

	unlock, err := Lock(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(path, []byte("final"), FileMode); err != nil {
		t.Fatal(err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	if n := countTemps(t, path); n != 0 {
		t.Errorf("%d temporary files outlived the next edit: %q", n, dirNames(t, dir))
	}
	checkContent(t, path, "final")
}

func isRoundData(data []byte) bool {
	return len(data) == writerSize && bytes.Count(data, data[:1]) == writerSize
}

// killWriter starts a writer process and kills it once it has printed
// "temp" (hold mode) or its kills-th "locked" (run mode).
func killWriter(t *testing.T, path string, round int, mode string, kills int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestWriterProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), writerPathEnv+"="+path, writerModeEnv+"="+mode, writerRoundEnv+"="+strconv.Itoa(round))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	want, seen := "locked", 0
	if mode == "hold" {
		want, kills = "temp", 1
	}
	sc := bufio.NewScanner(stdout)
	for seen < kills && sc.Scan() {
		if sc.Text() == want {
			seen++
		}
	}
	if seen < kills {
		_ = cmd.Wait()
		t.Fatalf("round %d: the writer ended before it was killed: %s", round, stderr.Bytes())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
}
