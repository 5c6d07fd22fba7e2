package memfs

import (
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/wasmvisor/wasmvisor/internal/fs"
)

// DefaultMaxBytes is the limit used when Options.MaxBytes is zero.
const DefaultMaxBytes = 1 << 30

// nodeCost is what every directory entry is charged on top of its name
// and contents, so that millions of empty files also reach the limit:
// what a node, its slot in its directory's map and a directory's own map
// take on the heap (measured by TestFS_MemoryBound), with room for the
// record a layer above keeps of the entry (an overlay's index node).
const nodeCost = 640

// pageSize is the unit in which file contents are stored. Contents live
// in fixed pages, never in one growing slice: growing a slice copies it,
// leaving the old array for the garbage collector, which let a file of
// 1 GiB take several GiB of host memory on its way there. Pages that are
// freed are kept for reuse, so that the pages ever allocated never
// exceed the limit either.
const pageSize = 4096

// page is one page of a file's contents.
type page [pageSize]byte

// devCounter gives each FS its own device number.
var devCounter atomic.Uint64

// Options configures New.
type Options struct {
	// MaxBytes bounds file contents, link targets, names and per-entry
	// overhead together; writes beyond it fail with ENOSPC.
	MaxBytes int64
}

// FS is an in-memory file system. It implements fs.FS.
type FS struct {
	mu      sync.RWMutex // guards everything below and every node
	dev     uint64
	root    *node
	nextIno uint64
	used    int64
	limit   int64
	free    []*page // pages freed, for reuse; not charged
}

type node struct {
	ino                 uint64
	typ                 fs.Type
	perm                uint32
	nlink               uint64
	atime, mtime, ctime int64
	size                int64            // regular file size
	pages               map[int64]*page  // regular file contents by page number; holes have none
	target              string           // symbolic link target
	entries             map[string]*node // directory entries
	peakEntries         int              // see fs.DeleteEntry
	opens               int              // open Files; contents are freed when this and nlink are 0
}

// New returns an empty file system whose root directory has mode 0o755.
func New(opts Options) *FS {
	limit := opts.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	f := &FS{dev: 0x6d656d0000 + devCounter.Add(1), limit: limit}
	f.root = f.newNode(fs.TypeDir, 0o755)
	f.root.nlink = 2
	return f
}

func (f *FS) newNode(t fs.Type, perm uint32) *node {
	f.nextIno++
	now := fs.Now()
	n := &node{ino: f.nextIno, typ: t, perm: perm & 0o7777, nlink: 1, atime: now, mtime: now, ctime: now}
	if t == fs.TypeDir {
		n.entries = map[string]*node{}
		n.nlink = 2
	}
	return n
}

// Available implements fs.Capacity: the bytes that can still be stored.
func (f *FS) Available() (int64, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.limit - f.used, nil
}

// Reserve charges n bytes that a layer above holds on the heap for this
// file system (an overlay's whiteouts) against the same limit as what
// it stores itself, failing with ENOSPC past it, so that one limit
// bounds both.
func (f *FS) Reserve(n int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.charge(n)
}

// Release returns n bytes that Reserve charged.
func (f *FS) Release(n int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.charge(-n)
}

// pageAt returns n's page number i, allocating and charging for it if
// the file has none there yet.
func (f *FS) pageAt(n *node, i int64) (*page, error) {
	if p := n.pages[i]; p != nil {
		return p, nil
	}
	if err := f.charge(pageSize); err != nil {
		return nil, err
	}
	var p *page
	if k := len(f.free); k > 0 {
		p, f.free = f.free[k-1], f.free[:k-1]
		clear(p[:])
	} else {
		p = new(page)
	}
	if n.pages == nil {
		n.pages = map[int64]*page{}
	}
	n.pages[i] = p
	return p, nil
}

// freePages frees n's pages from page number first on.
func (f *FS) freePages(n *node, first int64) {
	for i, p := range n.pages {
		if i >= first {
			delete(n.pages, i)
			f.free = append(f.free, p)
			f.charge(-pageSize)
		}
	}
	if len(n.pages) == 0 {
		n.pages = nil
	}
}

// charge accounts for delta more bytes, failing with ENOSPC past the limit.
func (f *FS) charge(delta int64) error {
	if delta > 0 && f.used+delta > f.limit {
		return syscall.ENOSPC
	}
	f.used += delta
	return nil
}

// lookup walks name. Every component but the last must be a directory;
// a symbolic link there gives ELOOP, since the namespace resolves links.
func (f *FS) lookup(name string) (*node, error) {
	if !fs.ValidName(name) {
		return nil, syscall.EINVAL
	}
	n := f.root
	if name == "." {
		return n, nil
	}
	for c := range strings.SplitSeq(name, "/") {
		switch {
		case n.typ == fs.TypeSymlink:
			return nil, syscall.ELOOP
		case n.typ != fs.TypeDir:
			return nil, syscall.ENOTDIR
		}
		next, ok := n.entries[c]
		if !ok {
			return nil, syscall.ENOENT
		}
		n = next
	}
	return n, nil
}

// parent returns the directory that holds name, and name's last element.
func (f *FS) parent(name string) (*node, string, error) {
	if name == "." {
		return nil, "", syscall.EBUSY
	}
	if !fs.ValidName(name) {
		return nil, "", syscall.EINVAL
	}
	dir, elem := fs.Split(name)
	if len(elem) > fs.MaxName {
		return nil, "", syscall.ENAMETOOLONG
	}
	d, err := f.lookup(dir)
	if err != nil {
		return nil, "", err
	}
	switch d.typ {
	case fs.TypeDir:
		return d, elem, nil
	case fs.TypeSymlink:
		return nil, "", syscall.ELOOP
	}
	return nil, "", syscall.ENOTDIR
}

func (f *FS) stat(n *node) fs.Stat {
	st := fs.Stat{Dev: f.dev, Ino: n.ino, Type: n.typ, Perm: n.perm, Nlink: n.nlink,
		Atime: n.atime, Mtime: n.mtime, Ctime: n.ctime}
	switch n.typ {
	case fs.TypeRegular:
		st.Size = uint64(n.size)
	case fs.TypeSymlink:
		st.Size = uint64(len(n.target))
	}
	return st
}

// Lstat implements fs.FS.
func (f *FS) Lstat(name string) (fs.Stat, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	n, err := f.lookup(name)
	if err != nil {
		return fs.Stat{}, err
	}
	return f.stat(n), nil
}

// Open implements fs.FS.
func (f *FS) Open(name string, flags fs.OpenFlag, perm uint32) (fs.File, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n *node
	if flags&fs.OpenCreate != 0 && name != "." {
		d, elem, err := f.parent(name)
		if err != nil {
			return nil, err
		}
		if n = d.entries[elem]; n == nil {
			if err := f.charge(nodeCost + int64(len(elem))); err != nil {
				return nil, err
			}
			n = f.newNode(fs.TypeRegular, perm)
			f.link(d, elem, n)
		} else if flags&fs.OpenExclusive != 0 {
			return nil, syscall.EEXIST
		}
	} else {
		var err error
		if n, err = f.lookup(name); err != nil {
			return nil, err
		}
	}
	switch n.typ {
	case fs.TypeDir:
		return nil, syscall.EISDIR
	case fs.TypeSymlink:
		return nil, syscall.ELOOP
	}
	if flags&fs.OpenTruncate != 0 && n.size > 0 {
		f.freePages(n, 0)
		n.size = 0
		n.mtime = fs.Now()
		n.ctime = n.mtime
	}
	n.opens++
	return &file{fs: f, n: n, read: flags&fs.OpenRead != 0, write: flags&fs.OpenWrite != 0}, nil
}

// link enters n into directory d as elem.
func (f *FS) link(d *node, elem string, n *node) {
	// A copy: elem is a piece of the whole path, which the map would
	// otherwise keep alive as its key, beyond what is charged for it.
	d.entries[strings.Clone(elem)] = n
	if n.typ == fs.TypeDir {
		d.nlink++
	}
	d.mtime = fs.Now()
	d.ctime = d.mtime
}

// unlink removes elem, which holds n, from directory d, and frees n's
// contents when nothing refers to it any more.
func (f *FS) unlink(d *node, elem string, n *node) {
	fs.DeleteEntry(&d.entries, &d.peakEntries, elem)
	f.charge(-(nodeCost + int64(len(elem))))
	if n.typ == fs.TypeDir {
		d.nlink--
		n.nlink = 0
	} else {
		n.nlink--
	}
	now := fs.Now()
	d.mtime, d.ctime, n.ctime = now, now, now
	f.release(n)
}

func (f *FS) release(n *node) {
	if n.nlink == 0 && n.opens == 0 {
		f.charge(-int64(len(n.target)))
		f.freePages(n, 0)
		n.size = 0
	}
}

// ReadDir implements fs.FS. Entries come sorted by name.
func (f *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	n, err := f.lookup(name)
	if err != nil {
		return nil, err
	}
	if n.typ != fs.TypeDir {
		return nil, syscall.ENOTDIR
	}
	out := make([]fs.DirEntry, 0, len(n.entries))
	for elem, c := range n.entries {
		out = append(out, fs.DirEntry{Name: elem, Type: c.typ, Ino: c.ino})
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Readlink implements fs.FS.
func (f *FS) Readlink(name string) (string, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	n, err := f.lookup(name)
	if err != nil {
		return "", err
	}
	if n.typ != fs.TypeSymlink {
		return "", syscall.EINVAL
	}
	return n.target, nil
}

// newEntry returns the directory and last element where name is to be
// created, having charged for a node, the name and extra bytes: EEXIST
// if something is there already (the root included).
func (f *FS) newEntry(name string, extra int) (*node, string, error) {
	d, elem, err := f.parent(name)
	if err != nil {
		if err == syscall.EBUSY {
			return nil, "", syscall.EEXIST
		}
		return nil, "", err
	}
	if _, ok := d.entries[elem]; ok {
		return nil, "", syscall.EEXIST
	}
	if err := f.charge(nodeCost + int64(len(elem)+extra)); err != nil {
		return nil, "", err
	}
	return d, elem, nil
}

// Mkdir implements fs.FS.
func (f *FS) Mkdir(name string, perm uint32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, elem, err := f.newEntry(name, 0)
	if err != nil {
		return err
	}
	f.link(d, elem, f.newNode(fs.TypeDir, perm))
	return nil
}

// Rmdir implements fs.FS.
func (f *FS) Rmdir(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, elem, err := f.parent(name)
	if err != nil {
		return err
	}
	n, ok := d.entries[elem]
	switch {
	case !ok:
		return syscall.ENOENT
	case n.typ != fs.TypeDir:
		return syscall.ENOTDIR
	case len(n.entries) > 0:
		return syscall.ENOTEMPTY
	}
	f.unlink(d, elem, n)
	return nil
}

// Unlink implements fs.FS.
func (f *FS) Unlink(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, elem, err := f.parent(name)
	if err != nil {
		if err == syscall.EBUSY {
			return syscall.EISDIR
		}
		return err
	}
	n, ok := d.entries[elem]
	switch {
	case !ok:
		return syscall.ENOENT
	case n.typ == fs.TypeDir:
		return syscall.EISDIR
	}
	f.unlink(d, elem, n)
	return nil
}

// Rename implements fs.FS.
func (f *FS) Rename(oldname, newname string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	od, oelem, err := f.parent(oldname)
	if err != nil {
		return err
	}
	nd, nelem, err := f.parent(newname)
	if err != nil {
		return err
	}
	src, ok := od.entries[oelem]
	if !ok {
		return syscall.ENOENT
	}
	dst, exists := nd.entries[nelem]
	if exists && dst == src {
		return nil // POSIX: renaming a file onto a link to itself does nothing
	}
	if src.typ == fs.TypeDir && strings.HasPrefix(newname+"/", oldname+"/") {
		return syscall.EINVAL
	}
	if exists {
		switch {
		case src.typ == fs.TypeDir && dst.typ != fs.TypeDir:
			return syscall.ENOTDIR
		case src.typ != fs.TypeDir && dst.typ == fs.TypeDir:
			return syscall.EISDIR
		case dst.typ == fs.TypeDir && len(dst.entries) > 0:
			return syscall.ENOTEMPTY
		}
		// Replacing dst frees at least its entry, which pays for the
		// longer name src may take over.
		f.unlink(nd, nelem, dst)
	}
	if err := f.charge(int64(len(nelem)) - int64(len(oelem))); err != nil {
		return err
	}
	fs.DeleteEntry(&od.entries, &od.peakEntries, oelem)
	if src.typ == fs.TypeDir {
		od.nlink--
	}
	f.link(nd, nelem, src)
	now := fs.Now()
	od.mtime, od.ctime, src.ctime = now, now, now
	return nil
}

// Link implements fs.FS.
func (f *FS) Link(oldname, newname string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	src, err := f.lookup(oldname)
	if err != nil {
		return err
	}
	if src.typ == fs.TypeDir {
		return syscall.EPERM
	}
	d, elem, err := f.newEntry(newname, 0)
	if err != nil {
		return err
	}
	src.nlink++
	src.ctime = fs.Now()
	f.link(d, elem, src)
	return nil
}

// Symlink implements fs.FS.
func (f *FS) Symlink(target, newname string) error {
	if len(target) > fs.MaxPath {
		return syscall.ENAMETOOLONG
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	d, elem, err := f.newEntry(newname, len(target))
	if err != nil {
		return err
	}
	n := f.newNode(fs.TypeSymlink, 0o777)
	n.target = target
	f.link(d, elem, n)
	return nil
}

// SetTimes implements fs.FS.
func (f *FS) SetTimes(name string, atime, mtime fs.SetTime) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.lookup(name)
	if err != nil {
		return err
	}
	setTimes(n, atime, mtime)
	return nil
}

func setTimes(n *node, atime, mtime fs.SetTime) {
	now := fs.Now()
	if t, ok := atime.Resolve(now); ok {
		n.atime = t
	}
	if t, ok := mtime.Resolve(now); ok {
		n.mtime = t
	}
	n.ctime = now
}

// file is an open regular file.
type file struct {
	fs          *FS
	n           *node
	read, write bool
	closed      bool // guarded by fs.mu
}

func (h *file) check(write bool) error {
	switch {
	case h.closed:
		return syscall.EBADF
	case write && !h.write:
		return syscall.EBADF
	}
	return nil
}

func (h *file) ReadAt(p []byte, off int64) (int, error) {
	h.fs.mu.RLock()
	defer h.fs.mu.RUnlock()
	if err := h.check(false); err != nil {
		return 0, err
	}
	if !h.read {
		return 0, syscall.EBADF
	}
	if off < 0 {
		return 0, syscall.EINVAL
	}
	if off >= h.n.size {
		return 0, io.EOF
	}
	var eof error
	if int64(len(p)) > h.n.size-off {
		p, eof = p[:h.n.size-off], io.EOF
	}
	for done := 0; done < len(p); {
		pos := off + int64(done)
		b := p[done:min(len(p), done+pageSize-int(pos%pageSize))]
		if pg := h.n.pages[pos/pageSize]; pg != nil {
			copy(b, pg[pos%pageSize:])
		} else {
			clear(b)
		}
		done += len(b)
	}
	return len(p), eof
}

func (h *file) WriteAt(p []byte, off int64) (int, error) {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if err := h.check(true); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, syscall.EINVAL
	}
	if len(p) == 0 {
		return 0, nil
	}
	end := off + int64(len(p))
	if end < off {
		return 0, syscall.EFBIG
	}
	// No file outgrows the file system: past its size a write is EFBIG,
	// and one that crosses it writes what fits (where a full file system
	// usually stops it first, with ENOSPC).
	if off >= h.fs.limit {
		return 0, syscall.EFBIG
	}
	if end > h.fs.limit {
		p = p[:h.fs.limit-off]
	}
	done := 0
	for done < len(p) {
		pos := off + int64(done)
		pg, err := h.fs.pageAt(h.n, pos/pageSize)
		if err != nil {
			// Keep what fits, as a write to a full disk does.
			if done == 0 {
				return 0, err
			}
			break
		}
		done += copy(pg[pos%pageSize:], p[done:])
		h.n.size = max(h.n.size, off+int64(done))
	}
	h.n.mtime = fs.Now()
	h.n.ctime = h.n.mtime
	return done, nil
}

// resize makes the file size bytes long; with growOnly it never shrinks.
// Growing stores nothing: the new bytes are a hole.
func (h *file) resize(size int64, growOnly bool) error {
	n := h.n
	if size == n.size || (growOnly && size < n.size) {
		return nil
	}
	if size > h.fs.limit {
		return syscall.EFBIG
	}
	if size < n.size {
		h.fs.freePages(n, (size+pageSize-1)/pageSize)
		if pg := n.pages[size/pageSize]; pg != nil {
			clear(pg[size%pageSize:])
		}
	}
	n.size = size
	return nil
}

func (h *file) Close() error {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if h.closed {
		return syscall.EBADF
	}
	h.closed = true
	h.n.opens--
	h.fs.release(h.n)
	return nil
}

func (h *file) Stat() (fs.Stat, error) {
	h.fs.mu.RLock()
	defer h.fs.mu.RUnlock()
	if err := h.check(false); err != nil {
		return fs.Stat{}, err
	}
	return h.fs.stat(h.n), nil
}

func (h *file) Truncate(size int64) error {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if err := h.check(true); err != nil {
		return err
	}
	if size < 0 {
		return syscall.EINVAL
	}
	if err := h.resize(size, false); err != nil {
		return err
	}
	h.n.mtime = fs.Now()
	h.n.ctime = h.n.mtime
	return nil
}

func (h *file) Allocate(off, n int64) error {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if err := h.check(true); err != nil {
		return err
	}
	if off < 0 || n <= 0 || off+n < off {
		return syscall.EINVAL
	}
	if err := h.resize(off+n, true); err != nil {
		return err
	}
	// Allocated bytes are stored, so that writing them cannot fail.
	for i := off / pageSize; i <= (off+n-1)/pageSize; i++ {
		if _, err := h.fs.pageAt(h.n, i); err != nil {
			return err
		}
	}
	return nil
}

func (h *file) Sync() error {
	h.fs.mu.RLock()
	defer h.fs.mu.RUnlock()
	return h.check(false)
}

func (h *file) SetTimes(atime, mtime fs.SetTime) error {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if err := h.check(false); err != nil {
		return err
	}
	setTimes(h.n, atime, mtime)
	return nil
}
