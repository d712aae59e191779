package awsconfig

import (
	"bytes"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseEditParse checks, for any input botocore would accept, that
// parsing reproduces it byte for byte, and that an edit either is refused
// leaving the file as it was, or yields a file that parses again, shows the
// edit, and leaves every other section's keys as they were.
func FuzzParseEditParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.ini"))
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint8(0), "default", "region", "us-east-1")
		f.Add(data, uint8(0), "profile a.b", "mfa_serial", "arn:aws:iam::1:mfa/x")
		f.Add(data, uint8(0), "profile new", "k", "v")
		f.Add(data, uint8(1), "default", "s3", "")
		f.Add(data, uint8(2), "profile a", "", "")
		f.Add(data, uint8(0), "default", "region", "x\ncredential_process = evil")
	}
	f.Add([]byte("[a]\n  [b]\n  k = 1\n"), uint8(0), "a", "j", "2")
	f.Add([]byte("[a]\nk = 1\n[b]\n    m = 2\n    [c]\n"), uint8(2), "b", "", "")
	f.Fuzz(func(t *testing.T, data []byte, op uint8, section, key, value string) {
		file, err := Parse("fuzz", data)
		if err != nil {
			return
		}
		if got := file.Bytes(); !bytes.Equal(got, data) {
			t.Fatalf("round trip changed %q to %q", data, got)
		}
		before := file.snapshot()
		switch op % 3 {
		case 0:
			err = file.Set(section, key, value)
		case 1:
			err = file.Remove(section, key)
		default:
			err = file.RemoveSection(section)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidInput) && !errors.Is(err, errUnsafeEdit) {
				t.Fatalf("unexpected error: %v", err)
			}
			if got := file.Bytes(); !bytes.Equal(got, data) {
				t.Fatalf("refused edit changed the file to %q", got)
			}
			return
		}
		out := file.Bytes()
		again, err := Parse("fuzz", out)
		if err != nil {
			t.Fatalf("edited file %q does not parse: %v", out, err)
		}
		after := again.snapshot()
		for name, keys := range before {
			if name == section {
				continue
			}
			if !maps.Equal(keys, after[name]) {
				t.Fatalf("section %q changed from %v to %v in %q", name, keys, after[name], out)
			}
		}
		switch op % 3 {
		case 0:
			if got, ok := again.Get(section, key); !ok || got != value {
				t.Fatalf("Set(%q, %q, %q) reads back %q, %v from %q", section, key, value, got, ok, out)
			}
		case 1:
			if _, ok := after[section][lower(key)]; ok {
				t.Fatalf("Remove(%q, %q) left the key in %q", section, key, out)
			}
		default:
			if again.HasSection(section) {
				t.Fatalf("RemoveSection(%q) left the section in %q", section, out)
			}
		}
	})
}

func lower(s string) string {
	f, err := Parse("", []byte("[x]\n"+s+"=v\n"))
	if err != nil || len(f.spans) == 0 || len(f.spans[0].options) == 0 {
		return s
	}
	return f.spans[0].options[0].key
}
