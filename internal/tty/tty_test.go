package tty

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenWithoutTerminal(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "regular")
	if err := os.WriteFile(regular, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		in, out  string
		wantText string
	}{
		{name: "missing device", in: filepath.Join(dir, "missing"), out: filepath.Join(dir, "missing"), wantText: "no such file"},
		{name: "regular file", in: regular, out: regular, wantText: "is not a terminal"},
		{name: "regular input separate output", in: regular, out: filepath.Join(dir, "missing"), wantText: "is not a terminal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			term, err := open(tt.in, tt.out)
			if err == nil {
				term.Close()
				t.Fatal("open succeeded without a terminal")
			}
			if !errors.Is(err, ErrNoTTY) {
				t.Fatalf("error %v does not wrap ErrNoTTY", err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("error %q does not contain %q", err, tt.wantText)
			}
		})
	}
}

// pipeTerminal returns a Terminal reading input and writing to a pipe whose
// read end is returned.
func pipeTerminal(t *testing.T, input string) (*Terminal, *os.File) {
	t.Helper()
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(inW, input); err != nil {
		t.Fatal(err)
	}
	inW.Close()
	term := newTerminal(inR, outW)
	t.Cleanup(func() {
		term.Close()
		outR.Close()
	})
	return term, outR
}

func TestReadLine(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		want    []string
		wantEOF bool // after the wanted lines
	}{
		{name: "lf", input: "abc\n", want: []string{"abc"}, wantEOF: true},
		{name: "crlf", input: "abc\r\n", want: []string{"abc"}, wantEOF: true},
		{name: "no final newline", input: "abc", want: []string{"abc"}, wantEOF: true},
		{name: "empty line", input: "\n", want: []string{""}, wantEOF: true},
		{name: "two lines not over-read", input: "one\ntwo\n", want: []string{"one", "two"}, wantEOF: true},
		{name: "immediate eof", input: "", wantEOF: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			term, out := pipeTerminal(t, tt.input)
			for i, want := range tt.want {
				got, err := term.ReadLine("p> ")
				if err != nil {
					t.Fatalf("line %d: %v", i, err)
				}
				if got != want {
					t.Fatalf("line %d: got %q, want %q", i, got, want)
				}
			}
			_, err := term.ReadLine("p> ")
			if tt.wantEOF && !errors.Is(err, io.EOF) {
				t.Fatalf("after the lines: got %v, want EOF", err)
			}
			term.out.Close()
			prompts, err := io.ReadAll(out)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.Repeat("p> ", len(tt.want)+1); string(prompts) != want {
				t.Fatalf("terminal output %q, want %q", prompts, want)
			}
		})
	}
}

func TestSay(t *testing.T) {
	term, out := pipeTerminal(t, "")
	if err := term.Say("code for %s: %d\n", "dev", 42); err != nil {
		t.Fatal(err)
	}
	term.out.Close()
	got, err := io.ReadAll(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "code for dev: 42\n" {
		t.Fatalf("got %q", got)
	}
}

func TestReadSecretNeedsTerminal(t *testing.T) {
	term, _ := pipeTerminal(t, "hunter2\n")
	if got, err := term.ReadSecret("secret: "); err == nil {
		t.Fatalf("ReadSecret on a pipe returned %q without error", got)
	}
}
