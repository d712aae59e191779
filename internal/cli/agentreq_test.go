package cli

import (
	"path/filepath"
	"reflect"
	"testing"
)

func TestRequestEnviron(t *testing.T) {
	wd := filepath.FromSlash("/work/dir")
	for _, tc := range []struct {
		name string
		env  map[string]string
		want map[string]string
	}{
		{"relative files", map[string]string{"AWS_CONFIG_FILE": "aws/config", "AWS_SHARED_CREDENTIALS_FILE": "creds"},
			map[string]string{"HOME": "/home/u", "AWS_CONFIG_FILE": filepath.Join(wd, "aws/config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(wd, "creds")}},
		{"absolute and tilde kept", map[string]string{"AWS_CONFIG_FILE": "/etc/aws", "AWS_SHARED_CREDENTIALS_FILE": "~/creds"},
			map[string]string{"HOME": "/home/u", "AWS_CONFIG_FILE": "/etc/aws", "AWS_SHARED_CREDENTIALS_FILE": "~/creds"}},
		{"relative home", map[string]string{"HOME": "h"}, map[string]string{"HOME": filepath.Join(wd, "h")}},
		{"data dir as given", map[string]string{"AWSMFA_DATA_DIR": "rel"}, map[string]string{"HOME": "/home/u", "AWSMFA_DATA_DIR": "rel"}},
		{"secrets never sent", map[string]string{"AWS_SECRET_ACCESS_KEY": "x", "AWSMFA_PASSPHRASE": "y"}, map[string]string{"HOME": "/home/u"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &Env{Getenv: func(k string) string { return tc.env[k] }, Getwd: func() (string, error) { return wd, nil }}
			got, err := e.requestEnviron("/home/u")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
