// Package buildid names a build of awsmfa: its version, and the identity
// by which a client and an agent recognise the same build. It imports only
// the standard library, so that the cached command path can use it.
package buildid

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"debug/macho"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
)

// Identity returns the identity by which clients and agents recognise
// one build of awsmfa: version, then "+" and the content part of the Go
// build ID that the go command stamps into every binary it links (a hash of
// the binary's content), read from the executable at path. Two copies of
// one build agree whatever their paths and times; a rebuild with any change
// differs. It reads a few kilobytes of the executable, never the whole of
// it.
//
// Without a Go build ID (a binary linked with -buildid=) the identity falls
// back to a digest of debug.ReadBuildInfo, and to exe's size and time when
// that does not pin the build (no VCS revision, or a modified tree).
func Identity(version, path, exe string) string {
	if id := goBuildContentID(path); id != "" {
		return version + "+" + id
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return version + statIdentity(exe)
	}
	sum := sha256.Sum256([]byte(info.String()))
	id := version + "+bi." + hex.EncodeToString(sum[:8])
	if !pinned(info) {
		id += statIdentity(exe)
	}
	return id
}

// Version is the module version stamped by "go install …@vX", or "devel"
// with the VCS revision when built from a checkout.
func Version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "devel-" + s.Value[:12]
		}
	}
	return "devel"
}

// pinned reports whether build info identifies the code: a module version
// with its checksum, or a clean VCS checkout.
func pinned(info *debug.BuildInfo) bool {
	if info.Main.Sum != "" {
		return true
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	return rev != "" && modified == "false"
}

func statIdentity(exe string) string {
	fi, err := os.Stat(exe)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("+%d.%d", fi.Size(), fi.ModTime().UnixNano())
}

// Go build IDs are "actionID/.../contentID"; outside ELF notes they are
// embedded as goBuildPrefix + id + goBuildSuffix near the start of the text.
var (
	goBuildPrefix = []byte("\xff Go build ID: \"")
	goBuildSuffix = []byte("\"\n \xff")
)

// buildIDSearch bounds how much of a file or text section is searched.
const buildIDSearch = 64 << 10

// goBuildContentID returns the last part of path's Go build ID, or "".
func goBuildContentID(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	id := ""
	if ef, err := elf.NewFile(f); err == nil {
		if s := ef.Section(".note.go.buildid"); s != nil {
			id = elfNoteID(s, ef.ByteOrder)
		}
	} else if mf, err := macho.NewFile(f); err == nil {
		if s := mf.Section("__text"); s != nil {
			id = searchID(io.LimitReader(s.Open(), buildIDSearch))
		}
	} else {
		id = searchID(io.NewSectionReader(f, 0, buildIDSearch))
	}
	return contentPart(id)
}

// elfNoteID reads the Go note: namesz, descsz, type, "Go\x00\x00", desc.
func elfNoteID(s *elf.Section, order binary.ByteOrder) string {
	data, err := io.ReadAll(io.LimitReader(s.Open(), 4096))
	if err != nil || len(data) < 16 {
		return ""
	}
	namesz := int(order.Uint32(data[0:]))
	descsz := int(order.Uint32(data[4:]))
	off := 12 + (namesz+3)&^3
	if namesz != 4 || !bytes.Equal(data[12:15], []byte("Go\x00")) || off+descsz > len(data) {
		return ""
	}
	return string(data[off : off+descsz])
}

func searchID(r io.Reader) string {
	data, err := io.ReadAll(r)
	if err != nil && len(data) == 0 {
		return ""
	}
	i := bytes.Index(data, goBuildPrefix)
	if i < 0 {
		return ""
	}
	rest := data[i+len(goBuildPrefix):]
	j := bytes.Index(rest, goBuildSuffix)
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}

// contentPart returns the last slash-separated part of a build ID, if it
// looks like one.
func contentPart(id string) string {
	if id == "" || len(id) > 256 || strings.ContainsAny(id, " \n\"") {
		return ""
	}
	return id[strings.LastIndexByte(id, '/')+1:]
}
