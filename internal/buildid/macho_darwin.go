package buildid

import (
	"debug/macho"
	"io"
	"os"
)

// machoID reads the build ID at the start of a Mach-O file's __text
// section; ok is false for a file that is not Mach-O.
func machoID(f *os.File) (id string, ok bool) {
	mf, err := macho.NewFile(f)
	if err != nil {
		return "", false
	}
	if s := mf.Section("__text"); s != nil {
		id = searchID(io.LimitReader(s.Open(), buildIDSearch))
	}
	return id, true
}
