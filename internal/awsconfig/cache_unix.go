//go:build unix

package awsconfig

import (
	"io/fs"
	"syscall"
)

func idOf(fi fs.FileInfo) fileID {
	id := fileID{exists: true, size: fi.Size(), mtime: fi.ModTime()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id.dev, id.ino = uint64(st.Dev), uint64(st.Ino)
		id.ctime = changeTime(st)
	}
	return id
}
