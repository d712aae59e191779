package awsconfig

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// Set AWSCONFIG_UPDATE_GOLDEN=1 to rewrite the golden files, then review the
// diff by hand: the goldens are the specification of what an edit may touch.
func TestGoldenEdits(t *testing.T) {
	tests := []struct {
		input, golden string
		edit          func(*File) error
	}{
		{"config.ini", "config.set-existing.golden", func(f *File) error {
			return f.Set("profile a", "region", "us-east-2")
		}},
		{"config.ini", "config.set-new-key.golden", func(f *File) error {
			return f.Set("profile a.b", "mfa_serial", "arn:aws:iam::111122223333:mfa/ab")
		}},
		{"config.ini", "config.set-nested-to-scalar.golden", func(f *File) error {
			return f.Set("default", "s3", "off")
		}},
		{"config.ini", "config.set-empty-value.golden", func(f *File) error {
			return f.Set("default", "cli_pager", "less")
		}},
		{"config.ini", "config.new-section.golden", func(f *File) error {
			return f.Set(f.profileSection("new prof"), "region", "us-west-2")
		}},
		{"config.ini", "config.remove-nested.golden", func(f *File) error {
			return f.Remove("default", "s3")
		}},
		{"config.ini", "config.remove-section.golden", func(f *File) error {
			return f.RemoveSection("profile a")
		}},
		{"crlf.ini", "crlf.set-new-key.golden", func(f *File) error {
			return f.Set("profile work", "output", "json")
		}},
		{"crlf.ini", "crlf.new-section.golden", func(f *File) error {
			return f.Set("profile other", "region", "us-east-1")
		}},
		{"nonewline.ini", "nonewline.set-new-key.golden", func(f *File) error {
			return f.Set("profile y", "mfa_serial", "arn:aws:iam::1:mfa/y")
		}},
		{"nonewline.ini", "nonewline.new-section.golden", func(f *File) error {
			return f.Set("profile z", "region", "eu-north-1")
		}},
		{"credentials.ini", "credentials.remove-keys.golden", func(f *File) error {
			for _, section := range []string{"a", "b", "c"} {
				for _, k := range credentialKeys {
					if err := f.Remove(section, k); err != nil {
						return err
					}
				}
				if err := f.removeIfEmpty(section); err != nil {
					return err
				}
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			in := readTestdata(t, tt.input)
			f, err := Parse(tt.input, in)
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.edit(f); err != nil {
				t.Fatal(err)
			}
			got := f.Bytes()
			path := filepath.Join("testdata", tt.golden)
			if os.Getenv("AWSCONFIG_UPDATE_GOLDEN") == "1" {
				if err := os.WriteFile(path, got, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			want := readTestdata(t, tt.golden)
			if !bytes.Equal(got, want) {
				t.Errorf("after edit:\n%q\nwant:\n%q", got, want)
			}
			if _, err := Parse(tt.golden, got); err != nil {
				t.Errorf("edited file does not parse: %v", err)
			}
		})
	}
}

func TestRoundTripUnchanged(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 4 {
		t.Fatalf("found only %d testdata files", len(files))
	}
	for _, path := range files {
		if fi, err := os.Stat(path); err != nil || fi.IsDir() {
			continue
		}
		t.Run(filepath.Base(path), func(t *testing.T) {
			in := readTestdata(t, filepath.Base(path))
			f, err := Parse(path, in)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Bytes(); !bytes.Equal(got, in) {
				t.Errorf("round trip changed the file:\n%q\nwant:\n%q", got, in)
			}
		})
	}
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}
