// Package buildid names a build of awsmfa: its version, and the identity
// by which a client and an agent recognise the same build. It imports only
// the standard library, so that the cached command path can use it.
package buildid

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/fnv"
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
	// FNV-1a, not SHA-256: the identity only tells builds apart, and
	// crypto's package init would cost every lean client.
	h := fnv.New64a()
	h.Write([]byte(info.String()))
	id := version + "+bi." + hex.EncodeToString(h.Sum(nil))
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
	head := make([]byte, buildIDSearch)
	n, err := f.ReadAt(head, 0)
	if n == 0 && err != nil {
		return ""
	}
	head = head[:n]
	var id string
	if bytes.HasPrefix(head, []byte("\x7fELF")) {
		id = elfNoteID(f, head)
	} else if mid, ok := machoID(f); ok {
		id = mid
	} else {
		id = searchID(bytes.NewReader(head))
	}
	return contentPart(id)
}

// elfNoteID reads the Go note (owner "Go", type 4) from the PT_NOTE
// segments that head's program headers name, as the go command does:
// debug/elf would cost the lean client the package init of its
// decompressors and DWARF reader.
func elfNoteID(f io.ReaderAt, head []byte) string {
	if len(head) < 52 {
		return ""
	}
	var order binary.ByteOrder
	switch head[5] {
	case 1:
		order = binary.LittleEndian
	case 2:
		order = binary.BigEndian
	default:
		return ""
	}
	var phoff uint64
	var phentsize, phnum int
	is64 := head[4] == 2
	switch {
	case is64 && len(head) >= 64:
		phoff = order.Uint64(head[32:])
		phentsize, phnum = int(order.Uint16(head[54:])), int(order.Uint16(head[56:]))
	case head[4] == 1:
		phoff = uint64(order.Uint32(head[28:]))
		phentsize, phnum = int(order.Uint16(head[42:])), int(order.Uint16(head[44:]))
	default:
		return ""
	}
	for i := range phnum {
		at := phoff + uint64(i*phentsize)
		if phentsize < 32 || at+uint64(phentsize) > uint64(len(head)) {
			return ""
		}
		ph := head[at : at+uint64(phentsize)]
		if order.Uint32(ph) != 4 { // PT_NOTE
			continue
		}
		var off, size uint64
		if is64 {
			if len(ph) < 40 {
				return ""
			}
			off, size = order.Uint64(ph[8:]), order.Uint64(ph[32:])
		} else {
			off, size = uint64(order.Uint32(ph[4:])), uint64(order.Uint32(ph[16:]))
		}
		size = min(size, 4096)
		notes := make([]byte, size)
		if _, err := f.ReadAt(notes, int64(off)); err != nil {
			continue
		}
		for len(notes) >= 12 {
			namesz, descsz, typ := order.Uint32(notes), order.Uint32(notes[4:]), order.Uint32(notes[8:])
			name := 12 + uint64(namesz+3)&^3
			end := name + uint64(descsz+3)&^3
			if namesz > 4096 || descsz > 4096 || uint64(len(notes)) < name+uint64(descsz) {
				break
			}
			if namesz == 4 && typ == 4 && string(notes[12:15]) == "Go\x00" {
				return string(notes[name : name+uint64(descsz)])
			}
			if end > uint64(len(notes)) {
				break
			}
			notes = notes[end:]
		}
	}
	return ""
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
