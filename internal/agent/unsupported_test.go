//go:build !unix

package agent

import (
	"context"
	"errors"
	"testing"
)

func TestUnsupported(t *testing.T) {
	if err := NewServer(nil, `C:\run`, "v1").Run(context.Background()); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Run = %v, want ErrUnsupported", err)
	}
	if _, err := Connect(context.Background(), ConnectOptions{Dir: `C:\run`}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Connect = %v, want ErrUnsupported", err)
	}
	if err := Harden(); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Harden = %v, want ErrUnsupported", err)
	}
	if _, err := StartDetached(`C:\awsmfa.exe`, "awsmfa", nil, nil); !errors.Is(err, ErrUnsupported) {
		t.Errorf("StartDetached = %v, want ErrUnsupported", err)
	}
}
