package awsconfig

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/awsmfa/awsmfa/internal/fsutil"
)

// recentWindow is how close to now a file's modification time must be for
// its identity alone not to prove it unchanged: file systems keep times at a
// granularity of up to 2 s (FAT), so a second write within that tick can
// keep the size and every time the first one left.
const recentWindow = 2 * time.Second

// Cache keeps the parsed Config of each pair of paths and parses the files
// again only when they change. A file counts as unchanged when its device,
// inode, size, modification and change times are the same as when it was
// read, and, while its modification time is within 2 s of now, its content
// hashes the same too. The Configs it returns are shared: callers only read
// them (as every Config user does). It is safe for concurrent use.
type Cache struct {
	// Now is the clock that decides what "recent" means; nil is time.Now.
	Now func() time.Time

	mu      sync.Mutex
	entries map[Paths]*cacheEntry
	// seed keys the content hashes. A 64-bit keyed hash, not SHA-256:
	// nobody who cannot write the files can aim at a collision, and
	// crypto's package init would cost every lean client.
	seed maphash.Seed
	// stat replaces os.Stat's identity (tests).
	stat func(path string) (fileID, error)
}

type cacheEntry struct {
	cfg   *Config
	seed  maphash.Seed
	files [2]cachedFile // config, credentials
}

// cachedFile is what a file was when it was read.
type cachedFile struct {
	id  fileID
	sum uint64
}

// fileID identifies a file's state; the zero fileID is a missing file.
type fileID struct {
	exists       bool
	dev, ino     uint64
	size         int64
	mtime, ctime time.Time
}

// Load returns the Config of paths, parsed again only if either file changed
// since it was last parsed. Errors are Load's, and are not cached. A nil
// Cache caches nothing: it is Load.
func (c *Cache) Load(paths Paths) (*Config, error) {
	if c == nil {
		return Load(paths)
	}
	c.mu.Lock()
	e := c.entries[paths]
	c.mu.Unlock()
	if e != nil && c.unchanged(paths, e) {
		return e.cfg, nil
	}
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[Paths]*cacheEntry{}
		c.seed = maphash.MakeSeed()
	}
	seed := c.seed
	c.mu.Unlock()
	cfgFile, cfgState, err := readFileState(paths.Config, seed)
	if err != nil {
		return nil, err
	}
	credFile, credState, err := readFileState(paths.Credentials, seed)
	if err != nil {
		return nil, err
	}
	cfg, err := newConfig(paths, cfgFile, credFile)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[paths] = &cacheEntry{cfg: cfg, seed: seed, files: [2]cachedFile{cfgState, credState}}
	return cfg, nil
}

// unchanged reports whether both files are still what e was parsed from.
func (c *Cache) unchanged(paths Paths, e *cacheEntry) bool {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	stat := statID
	if c.stat != nil {
		stat = c.stat
	}
	for i, path := range []string{paths.Config, paths.Credentials} {
		id, err := stat(path)
		if err != nil || id != e.files[i].id {
			return false
		}
		if !id.exists || now().Sub(id.mtime) >= recentWindow {
			continue
		}
		data, exists, err := readRegular(path)
		if err != nil || !exists || maphash.Bytes(e.seed, data) != e.files[i].sum {
			return false
		}
	}
	return true
}

// readFileState reads and parses path like ReadFile, and returns the state
// the content was read in: the identity of the open file, taken before
// reading, and the content's hash.
func readFileState(path string, seed maphash.Seed) (*File, cachedFile, error) {
	fh, err := fsutil.OpenRegular(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{name: path}, cachedFile{}, nil
	}
	if err != nil {
		return nil, cachedFile{}, fmt.Errorf("reading %q: %w", path, err)
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return nil, cachedFile{}, fmt.Errorf("reading %q: %w", path, err)
	}
	data, err := io.ReadAll(fh)
	if err != nil {
		return nil, cachedFile{}, fmt.Errorf("reading %q: %w", path, err)
	}
	f, err := Parse(path, data)
	if err != nil {
		return nil, cachedFile{}, err
	}
	return f, cachedFile{id: idOf(fi), sum: maphash.Bytes(seed, data)}, nil
}

// readRegular returns path's content; a missing file is not an error.
func readRegular(path string) ([]byte, bool, error) {
	fh, err := fsutil.OpenRegular(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer fh.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(fh)
	return b.Bytes(), true, err
}

// statID is path's identity; a missing file is the zero fileID.
func statID(path string) (fileID, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fileID{}, nil
	}
	if err != nil {
		return fileID{}, err
	}
	return idOf(fi), nil
}
