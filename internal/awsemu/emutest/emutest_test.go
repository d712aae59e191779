package emutest

import (
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:  "../testdata/script",
		Cmds: Commands(),
	})
}

func TestEnvName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice", "ALICE"},
		{"bob.smith@example", "BOB_SMITH_EXAMPLE"},
		{"a-b_c+1", "A_B_C_1"},
	}
	for _, tt := range tests {
		if got := EnvName(tt.in); got != tt.want {
			t.Errorf("EnvName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
