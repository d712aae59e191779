//go:build !windows

package tty

const (
	inputPath  = "/dev/tty"
	outputPath = "/dev/tty"
)
