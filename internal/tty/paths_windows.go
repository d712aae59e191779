//go:build windows

package tty

const (
	inputPath  = "CONIN$"
	outputPath = "CONOUT$"
)
