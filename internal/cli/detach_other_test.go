//go:build !unix

package cli

func detachTerminal() error { return nil }
