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
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
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
	entryMagic  = "wvcache1"
	// entryOverhead is the magic, the length and the HMAC.
	entryOverhead = len(entryMagic) + 8 + sha256.Size
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
// to another key's file does not verify either.
func (c *Cache) mac(key string, length []byte, payload ...[]byte) []byte {
	m := c.newMAC(key, length)
	for _, p := range payload {
		m.Write(p)
	}
	return m.Sum(nil)
}

// newMAC starts the HMAC of the entry under key whose payload is length
// bytes (little-endian).
func (c *Cache) newMAC(key string, length []byte) hash.Hash {
	m := hmac.New(sha256.New, c.secret)
	m.Write([]byte(key))
	m.Write([]byte{0})
	m.Write(length)
	return m
}

// ErrDamaged is what an Entry's Read returns at its end, instead of
// io.EOF, when the entry is truncated, damaged or altered.
var ErrDamaged = errors.New("cache entry is damaged")

// Get opens the entry stored under key, if there is one that could be
// whole. The entry's payload is read from the file as it is used, so
// that a large one is never held twice; its HMAC is checked as it is
// read, so what was read may be used only once Read returned io.EOF.
// The caller closes the entry.
func (c *Cache) Get(key string) (*Entry, bool) {
	path := c.path(key)
	f, err := os.Open(path)
	if err != nil {
		c.stats.misses.Add(1)
		return nil, false
	}
	e := &Entry{c: c, f: f, path: path}
	var head [len(entryMagic) + 8]byte
	fi, err := f.Stat()
	if err == nil {
		_, err = io.ReadFull(f, head[:])
	}
	n := binary.LittleEndian.Uint64(head[len(entryMagic):])
	if err != nil || string(head[:len(entryMagic)]) != entryMagic || n != uint64(fi.Size())-uint64(entryOverhead) {
		e.damaged()
		return nil, false
	}
	e.size, e.left = int64(n), int64(n)
	e.mac = c.newMAC(key, head[len(entryMagic):])
	return e, true
}

// Entry is a cache entry being read (see Cache.Get).
type Entry struct {
	c          *Cache
	f          *os.File
	path       string
	mac        hash.Hash
	size, left int64
	done       bool // io.EOF or ErrDamaged returned
}

// Size returns the payload's length.
func (e *Entry) Size() int64 { return e.size }

// Read reads the payload. At its end it returns io.EOF if the entry's
// HMAC verifies, and ErrDamaged (having removed the entry) if not.
func (e *Entry) Read(p []byte) (int, error) {
	if e.left == 0 {
		return 0, e.finish()
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.f.Read(p)
	e.mac.Write(p[:n])
	e.left -= int64(n)
	if err == io.EOF {
		err = e.finish() // cut short
	}
	return n, err
}

func (e *Entry) finish() error {
	if e.done {
		return io.EOF
	}
	e.done = true
	var sum [sha256.Size]byte
	if e.left != 0 {
		e.damaged()
		return ErrDamaged
	}
	if _, err := io.ReadFull(e.f, sum[:]); err != nil || !hmac.Equal(sum[:], e.mac.Sum(nil)) {
		e.damaged()
		return ErrDamaged
	}
	if n, _ := e.f.Read(sum[:1]); n != 0 {
		e.damaged() // longer than its framing says
		return ErrDamaged
	}
	// The modification time orders entries for trimming: a hit makes
	// an entry recently used.
	now := time.Now()
	os.Chtimes(e.path, now, now)
	e.c.stats.hits.Add(1)
	return io.EOF
}

// damaged removes the entry, whose file nothing may be used of, so that
// the code compiled instead takes its place.
func (e *Entry) damaged() {
	e.done = true
	os.Remove(e.path)
	e.c.stats.damaged.Add(1)
	e.c.stats.misses.Add(1)
}

// Close closes the entry's file. An entry closed before its end was
// read counts as neither a hit nor a miss.
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
	file := append([][]byte{[]byte(entryMagic), length[:]}, parts...)
	file = append(file, c.mac(key, length[:], parts...))
	if err := WriteFile(c.path(key), 0o600, false, file...); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	c.stats.stores.Add(1)
	return c.trim()
}

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
