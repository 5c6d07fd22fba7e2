package aot

import (
	"cmp"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// DefaultMaxBytes bounds a cache's entries when Options sets no bound.
const DefaultMaxBytes = 2 << 30

// Cache is a directory of compiled code, safe for concurrent use by any
// number of goroutines and processes. Each entry is one file, written
// to a temporary name and renamed into place, so that a reader sees a
// whole entry or none; one whose HMAC does not verify (a truncated,
// damaged or altered file) is removed and reported as a miss.
type Cache struct {
	dir      string
	secret   []byte
	maxBytes int64

	trimMu sync.Mutex // one trim at a time in this process
	stats  struct{ hits, misses, damaged, stores atomic.Int64 }
}

// Options configures Open.
type Options struct {
	// MaxBytes bounds the size of the entries: past it, storing an entry
	// removes the least recently used ones. Zero means DefaultMaxBytes.
	MaxBytes int64
}

// Stats counts what a Cache did since Open.
type Stats struct {
	Hits, Misses int64
	// Damaged counts entries found truncated, damaged or altered (and
	// removed); each is also a miss.
	Damaged int64
	// Stores counts entries written.
	Stores int64
}

// DefaultDir is the cache directory of the user: "wasmvisor" in
// os.UserCacheDir.
func DefaultDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory: %w", err)
	}
	return filepath.Join(d, "wasmvisor"), nil
}

const (
	secretName  = "secret"
	entriesName = "code"
	entryMagic  = "wvcache2"
	// entryOverhead is the HMAC, the length and the magic, which follow
	// the payload: the payload starts the file, so that a page-aligned
	// offset in it is one in the file too, and its code can be mapped.
	entryOverhead = sha256.Size + 8 + len(entryMagic)
)

// Open opens the cache in dir, creating the directory (readable by the
// user only) and its secret if they do not exist.
func Open(dir string, o Options) (*Cache, error) {
	if dir == "" {
		return nil, errors.New("cache directory: empty path")
	}
	if err := os.MkdirAll(filepath.Join(dir, entriesName), 0o700); err != nil {
		return nil, fmt.Errorf("cache directory: %w", err)
	}
	secret, err := loadSecret(dir)
	if err != nil {
		return nil, fmt.Errorf("cache directory %s: %w", dir, err)
	}
	return &Cache{dir: dir, secret: secret, maxBytes: cmp.Or(o.MaxBytes, DefaultMaxBytes)}, nil
}

// loadSecret reads the cache's secret, creating it first if it does not
// exist. A new secret is written under a temporary name and linked into
// place, so that of processes racing to create it one wins and all use
// its secret.
func loadSecret(dir string) ([]byte, error) {
	path := filepath.Join(dir, secretName)
	for range 2 {
		b, err := os.ReadFile(path)
		if err == nil {
			if len(b) != 32 {
				return nil, fmt.Errorf("%s: %d bytes, want 32 (remove it to start a new cache)", path, len(b))
			}
			return b, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		f, err := os.CreateTemp(dir, ".secret-*")
		if err != nil {
			return nil, err
		}
		secret := make([]byte, 32)
		rand.Read(secret)
		_, err = f.Write(secret)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Link(f.Name(), path)
		}
		os.Remove(f.Name())
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("%s: could not be created", path)
}

// Dir returns the cache's directory.
func (c *Cache) Dir() string { return c.dir }

// Stats returns what the cache did so far.
func (c *Cache) Stats() Stats {
	return Stats{Hits: c.stats.hits.Load(), Misses: c.stats.misses.Load(), Damaged: c.stats.damaged.Load(), Stores: c.stats.stores.Load()}
}

func (c *Cache) path(key string) string {
	h := sha256.Sum256([]byte(key))
	return filepath.Join(c.dir, entriesName, hex.EncodeToString(h[:]))
}

// mac authenticates an entry's payload under its key: an entry renamed
// to another key's file does not verify either. The payload is the n
// bytes r reads from 0, of which the HMAC covers the SHA-256 of each
// piece (pieceDigests), so that it is computed on every CPU.
func (c *Cache) mac(key string, r io.ReaderAt, n int64) ([]byte, error) {
	digests, err := pieceDigests(r, 0, n)
	if err != nil {
		return nil, err
	}
	var length [8]byte
	binary.LittleEndian.PutUint64(length[:], uint64(n))
	m := hmac.New(sha256.New, c.secret)
	m.Write([]byte(key))
	m.Write([]byte{0})
	m.Write(length[:])
	m.Write(digests)
	return m.Sum(nil), nil
}

// partsReader reads the concatenation of its parts.
type partsReader [][]byte

func (ps partsReader) ReadAt(b []byte, off int64) (int, error) {
	n := 0
	for _, p := range ps {
		if off >= int64(len(p)) {
			off -= int64(len(p))
			continue
		}
		k := copy(b[n:], p[off:])
		n, off = n+k, 0
		if n == len(b) {
			return n, nil
		}
	}
	return n, io.EOF
}

// verifyChunk is the unit in which a file is read to check it.
const verifyChunk = 1 << 20

// Get opens the entry stored under key, if there is one, and checks it
// whole before it returns it: a truncated, damaged or altered entry is
// removed and reported as a miss. The HMAC is computed by reading the
// file through small buffers, on every CPU, so checking a large entry
// puts none of it on the Go heap or in the process's resident memory.
// The caller closes the entry.
func (c *Cache) Get(key string) (*Entry, bool) {
	path := c.path(key)
	f, err := os.Open(path)
	if err != nil {
		c.stats.misses.Add(1)
		return nil, false
	}
	e := &Entry{c: c, f: f, path: path}
	size, ok := c.verify(f, key)
	if !ok {
		e.damaged()
		f.Close()
		return nil, false
	}
	e.size = size
	// The modification time orders entries for trimming: a hit makes
	// an entry recently used.
	now := time.Now()
	os.Chtimes(path, now, now)
	c.stats.hits.Add(1)
	return e, true
}

// verify reports whether f is a whole entry for key, and its payload's
// length. Only the owner may be able to write it: the code of an entry
// is mapped from its file once checked (see Entry.File), so a file that
// someone unable to read the secret could change after the check is not
// used.
func (c *Cache) verify(f *os.File, key string) (int64, bool) {
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o022 != 0 || !ownedByUs(fi) {
		return 0, false
	}
	var tail [entryOverhead]byte
	size := fi.Size() - int64(entryOverhead)
	if size < 0 {
		return 0, false
	}
	if _, err := f.ReadAt(tail[:], size); err != nil {
		return 0, false
	}
	sum, length, magic := tail[:sha256.Size], tail[sha256.Size:sha256.Size+8], tail[sha256.Size+8:]
	if string(magic) != entryMagic || binary.LittleEndian.Uint64(length) != uint64(size) {
		return 0, false
	}
	want, err := c.mac(key, f, size)
	if err != nil {
		return 0, false
	}
	return size, hmac.Equal(sum, want)
}

// ownedByUs reports whether the file fi describes belongs to this
// process's effective user.
func ownedByUs(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}

// Entry is a cache entry whose HMAC verified (see Cache.Get).
type Entry struct {
	c    *Cache
	f    *os.File
	path string
	size int64
	off  int64 // where Read reads next
}

// Size returns the payload's length.
func (e *Entry) Size() int64 { return e.size }

// Read reads the payload, which starts at the beginning of the file.
func (e *Entry) Read(p []byte) (int, error) {
	if e.off >= e.size {
		return 0, io.EOF
	}
	if int64(len(p)) > e.size-e.off {
		p = p[:e.size-e.off]
	}
	n, err := e.f.ReadAt(p, e.off)
	e.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil // the file holds more past the payload
	}
	return n, err
}

// File returns the entry's open file and the offset of the payload in
// it (0), so that a page-aligned part of the payload can be mapped from
// the file instead of read. The file was checked when the entry was
// opened, and only its owner, who can read the secret, can change it.
func (e *Entry) File() (*os.File, int64) { return e.f, 0 }

// damaged removes the entry, whose file nothing may be used of, so that
// the code compiled instead takes its place.
func (e *Entry) damaged() {
	os.Remove(e.path)
	e.c.stats.damaged.Add(1)
	e.c.stats.misses.Add(1)
}

// Close closes the entry's file; mappings made of it stay valid.
func (e *Entry) Close() error { return e.f.Close() }

// Put stores the payload made of parts, one after the other, under key,
// replacing any entry there, then removes the least recently used
// entries while the cache holds more than its bound. Taking the payload
// in parts spares joining a large one.
//
// The entry is not synced to disk: after a crash it may be lost or
// damaged, and a damaged entry is a miss, so the cost of a sync on every
// compile buys nothing.
func (c *Cache) Put(key string, parts ...[]byte) error {
	var n int64
	for _, p := range parts {
		n += int64(len(p))
	}
	if n > c.maxBytes {
		return fmt.Errorf("cache entry of %d bytes exceeds the cache's bound of %d", n, c.maxBytes)
	}
	var length [8]byte
	binary.LittleEndian.PutUint64(length[:], uint64(n))
	sum, err := c.mac(key, partsReader(parts), n)
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	file := append(parts[:len(parts):len(parts)], sum, length[:], []byte(entryMagic))
	if err := WriteFile(c.path(key), 0o600, false, file...); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	c.stats.stores.Add(1)
	return c.trim()
}

// PendingEntry is an entry being written by its caller (Cache.Create).
type PendingEntry struct {
	c    *Cache
	key  string
	f    *os.File
	path string
}

// Create starts the entry for key: a temporary file beside the entries,
// readable by the user only, into which the caller writes the payload
// from offset 0 before Commit, and which the caller closes. The payload
// never passes through the cache, so that a large one can be written as
// it is made.
func (c *Cache) Create(key string) (*PendingEntry, error) {
	path := c.path(key)
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("cache: %w", err)
	}
	return &PendingEntry{c: c, key: key, f: f, path: path}, nil
}

// File returns the file the payload goes in.
func (p *PendingEntry) File() *os.File { return p.f }

// Commit authenticates the payload, the file's first n bytes (the file
// must end there), and renames the entry into place. The HMAC is
// computed by reading the payload back through small buffers. The
// file stays open for the caller's mappings until Abort or Close; on
// error nothing is stored.
func (p *PendingEntry) Commit(n int64) error {
	err := p.finish(n)
	if err == nil {
		err = os.Rename(p.f.Name(), p.path)
	}
	if err != nil {
		os.Remove(p.f.Name())
		return fmt.Errorf("cache: %w", err)
	}
	p.c.stats.stores.Add(1)
	return p.c.trim()
}

func (p *PendingEntry) finish(n int64) error {
	if n > p.c.maxBytes {
		return fmt.Errorf("cache entry of %d bytes exceeds the cache's bound of %d", n, p.c.maxBytes)
	}
	fi, err := p.f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() != n {
		return fmt.Errorf("entry of %d bytes, %d expected", fi.Size(), n)
	}
	sum, err := p.c.mac(p.key, p.f, n)
	if err != nil {
		return err
	}
	var length [8]byte
	binary.LittleEndian.PutUint64(length[:], uint64(n))
	_, err = p.f.WriteAt(slices.Concat(sum, length[:], []byte(entryMagic)), n)
	return err
}

// Abort removes the unfinished entry and closes its file.
func (p *PendingEntry) Abort() {
	p.f.Close()
	os.Remove(p.f.Name())
}

// Close closes the entry's file, committed or not; mappings made of it
// stay valid.
func (p *PendingEntry) Close() error { return p.f.Close() }

// trimTo is the fraction of its bound a trimmed cache is brought down
// to, so that not every store trims.
const trimTo = 0.9

// trim removes the least recently used entries (and temporary files a
// crashed writer left, once they are an hour old) while the entries
// exceed the bound.
func (c *Cache) trim() error {
	c.trimMu.Lock()
	defer c.trimMu.Unlock()
	dir := filepath.Join(c.dir, entriesName)
	des, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	type entry struct {
		name string
		size int64
		used time.Time
	}
	var entries []entry
	var total int64
	for _, de := range des {
		fi, err := de.Info()
		if err != nil {
			continue // removed meanwhile
		}
		if de.Name()[0] == '.' {
			if time.Since(fi.ModTime()) > time.Hour {
				os.Remove(filepath.Join(dir, de.Name()))
			}
			continue
		}
		entries = append(entries, entry{de.Name(), fi.Size(), fi.ModTime()})
		total += fi.Size()
	}
	if total <= c.maxBytes {
		return nil
	}
	slices.SortFunc(entries, func(a, b entry) int { return a.used.Compare(b.used) })
	for _, e := range entries {
		if total <= int64(float64(c.maxBytes)*trimTo) {
			break
		}
		if err := os.Remove(filepath.Join(dir, e.name)); err == nil || errors.Is(err, fs.ErrNotExist) {
			total -= e.size
		}
	}
	return nil
}

// WriteFile writes parts, one after the other, to a temporary file
// beside path (named ".NAME.tmp-*") and renames it to path, so that
// readers, and path after a crash, see the old file or the whole new
// one, never a part. With sync the data reaches the disk before the
// rename, so that the new file also survives a power loss whole.
func WriteFile(path string, perm os.FileMode, sync bool, parts ...[]byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	for _, p := range parts {
		if err == nil {
			_, err = f.Write(p)
		}
	}
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
