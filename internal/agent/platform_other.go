//go:build !unix

package agent

import (
	"io/fs"
	"net"
)

const supported = false

func checkDir(string) error { return ErrUnsupported }

func connUID(net.Conn) (int, error) { return -1, ErrUnsupported }

func sameFile(string, fs.FileInfo) bool { return false }
