package overlay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/wasmvisor/wasmvisor/internal/fs"
	"github.com/wasmvisor/wasmvisor/internal/fs/hostfs"
)

// upperInoBit is set in the inode numbers of files only the upper layer
// has, so that they never collide with the lower layer's.
const upperInoBit = 1 << 63

// The permission bits upper entries get in the upper layer itself: the
// owner must always be able to change the upper layer, whatever the
// guest's bits (kept in the index) say.
const (
	upperFilePerm = 0o600
	upperDirPerm  = 0o700
)

// devCounter gives each FS its own device number.
var devCounter atomic.Uint64

// Options configures OpenDir.
type Options struct {
	// LowerID identifies the lower file system (for an ext4 image, its
	// UUID). A new overlay directory records it, and one made over
	// another file system is refused: its whiteouts and inode numbers
	// would describe another tree.
	LowerID string
}

// FS is a copy-on-write overlay. It implements fs.FS and is safe for
// concurrent use.
type FS struct {
	lower, upper fs.FS
	dev          uint64

	// mu guards ix and the names of open lower files; operations that
	// change the tree hold it exclusively, so that each sees both
	// layers and the index agree.
	mu sync.RWMutex
	ix *index
	j  *journal // nil when the index lives in memory only

	// hmu guards handles, which read-only opens change under mu's
	// read lock.
	hmu     sync.Mutex
	handles map[string][]*lowerFile // open lower files by lower name

	closeUpper func() error // for an upper layer OpenDir opened

	// budget is what the index's nodes are charged against, and
	// charged what they hold of it; guarded by mu.
	budget  budget
	charged int64

	// work, for an overlay directory, is where new upper entries that
	// take more than one host operation to make (copy-ups) are built
	// before they are renamed into upperDir, the upper layer, so that
	// a crash leaves them whole or absent. Both are nil when the upper
	// layer is in memory and does not outlive the process.
	work, upperDir *hostfs.FS
	workSeq        uint64 // names work entries; guarded by mu
}

// New returns an overlay of upper, which should be empty, over lower,
// whose inode numbers must be below 2^63. The index lives in memory:
// what upper holds is meaningful only to this FS.
func New(lower, upper fs.FS) (*FS, error) {
	o := newFS(lower, upper, newIndex())
	if err := o.init(); err != nil {
		return nil, err
	}
	return o, nil
}

func newFS(lower, upper fs.FS, ix *index) *FS {
	o := &FS{lower: lower, upper: upper, ix: ix, dev: 0x6f766c_0000 + devCounter.Add(1),
		handles: map[string][]*lowerFile{}}
	o.budget, _ = upper.(budget)
	if o.budget == nil {
		o.budget = &ownBudget{limit: int64(maxJournal / 4)}
	}
	return o
}

// budget is a limit on memory, which an upper layer in memory
// (memfs.FS) has: the index's nodes are charged against the limit that
// bounds what the upper layer stores, so that whiteouts, which it does
// not store, cannot grow without bound either.
type budget interface {
	Reserve(n int64) error // ENOSPC past the limit
	Release(n int64)
}

// ownBudget is the index's own limit over an upper layer that has none
// (a host directory). A quarter of maxJournal keeps the index in host
// memory bounded, and the journal, which holds a record per node and is
// rewritten at four times the size it was, within what opening reads.
type ownBudget struct{ limit, used int64 }

func (b *ownBudget) Reserve(n int64) error {
	if b.used+n > b.limit {
		return syscall.ENOSPC
	}
	b.used += n
	return nil
}

func (b *ownBudget) Release(n int64) { b.used -= n }

// reserve charges, before a change to the index, what the nodes it may
// add for names (and a redirect, with redirect) can cost at most, and
// fails with ENOSPC where the budget has no room for them. The caller
// holds mu exclusively and calls settle once the change is done.
func (o *FS) reserve(redirect bool, names ...string) error {
	var n int64
	for _, name := range names {
		n += int64(strings.Count(name, "/")+1)*nodeCost + int64(len(name))
	}
	if redirect {
		n += fs.MaxPath
	}
	if err := o.budget.Reserve(n); err != nil {
		return err
	}
	o.charged += n
	return nil
}

// settle makes what is charged what the index's nodes cost.
func (o *FS) settle() {
	switch d := o.ix.cost - o.charged; {
	case d < 0:
		o.budget.Release(-d)
		o.charged += d
	case d > 0:
		// The index was opened larger than its budget: what fits is
		// charged, and changes fail until it shrinks.
		if o.budget.Reserve(d) == nil {
			o.charged += d
		}
	}
}

// Names inside an overlay directory.
const (
	dirUpper   = "upper"
	dirWork    = "work"
	dirJournal = "meta"
)

// OpenDir returns an overlay of lower whose upper layer is kept in the
// host directory dir, created if missing, so that it survives the
// process: dir/upper holds the upper tree and dir/meta the index (see
// the package documentation). The directory is locked while the FS is
// open. Files changed in dir/upper while no overlay uses it are seen as
// they are; files added there are upper files with their host
// permission bits.
func OpenDir(lower fs.FS, dir string, opts Options) (*FS, error) {
	if err := os.MkdirAll(filepath.Join(dir, dirUpper), 0o700); err != nil {
		return nil, fmt.Errorf("overlay directory: %w", err)
	}
	upper, err := hostfs.New(filepath.Join(dir, dirUpper), hostfs.Options{})
	if err != nil {
		return nil, fmt.Errorf("overlay directory: %w", err)
	}
	ix := newIndex()
	j, err := openJournal(dir, dirJournal, opts.LowerID, ix, func(w witness) (bool, error) { return w.holds(upper) })
	if err != nil {
		upper.Close()
		return nil, err
	}
	// What a crash left in the work directory was never renamed into
	// the upper layer: it is garbage.
	workDir := filepath.Join(dir, dirWork)
	err = os.RemoveAll(workDir)
	if err == nil {
		err = os.Mkdir(workDir, 0o700)
	}
	var work *hostfs.FS
	if err == nil {
		work, err = hostfs.New(workDir, hostfs.Options{})
	}
	if err != nil {
		j.close()
		upper.Close()
		return nil, fmt.Errorf("overlay directory: %w", err)
	}
	o := newFS(lower, upper, ix)
	o.j, o.work, o.upperDir = j, work, upper
	o.closeUpper = func() error { return errors.Join(upper.Close(), work.Close()) }
	if err := o.init(); err != nil {
		o.Close()
		return nil, fmt.Errorf("overlay directory %s: %w", dir, err)
	}
	return o, nil
}

// Close releases the journal and an upper directory OpenDir opened. Open
// files stay usable; the FS must not be used after.
func (o *FS) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	var errs []error
	if o.j != nil {
		errs = append(errs, o.j.close())
		o.j = nil
	}
	if o.closeUpper != nil {
		errs = append(errs, o.closeUpper())
		o.closeUpper = nil
	}
	return errors.Join(errs...)
}

// init marks in the index what the upper layer holds, drops metadata of
// upper entries that are gone, gives the root the lower root's identity
// on first use, and rewrites the journal.
func (o *FS) init() error {
	root := o.ix.root
	if err := o.scanUpper(".", root); err != nil {
		return fmt.Errorf("reading the upper layer: %w", err)
	}
	root.upper, root.whiteout, root.typ = fs.TypeDir, false, fs.TypeUnknown
	tidy(root)
	o.ix.recount()
	o.settle()
	if root.ino == 0 {
		st, err := o.lower.Lstat(".")
		if err != nil {
			return fmt.Errorf("lower root: %w", err)
		}
		if err := o.upper.SetTimes(".", fs.TimeAt(st.Atime), fs.TimeAt(st.Mtime)); err != nil {
			return fmt.Errorf("upper root: %w", err)
		}
		root.ino, root.perm, root.hasPerm = st.Ino, st.Perm, true
	}
	if o.j != nil {
		return o.j.rewrite(o.ix)
	}
	return nil
}

// scanUpper records the entries of the upper directory name in n.
func (o *FS) scanUpper(name string, n *node) error {
	list, err := o.upper.ReadDir(name)
	if err != nil {
		return err
	}
	for _, e := range list {
		c := n.children[e.Name]
		if c == nil {
			c = &node{}
			if n.children == nil {
				n.children = map[string]*node{}
			}
			n.children[e.Name] = c
		}
		c.upper = e.Type
		if c.upper == fs.TypeUnknown {
			st, err := o.upper.Lstat(fs.Join(name, e.Name))
			if err != nil {
				return err
			}
			c.upper = st.Type
		}
		if c.upper == fs.TypeDir {
			if err := o.scanUpper(fs.Join(name, e.Name), c); err != nil {
				return err
			}
		}
	}
	return nil
}

// tidy makes the metadata below n agree with what the upper layer holds
// and drops nodes that record nothing. It reports whether n itself
// records nothing.
func tidy(n *node) bool {
	for name, c := range n.children {
		if tidy(c) {
			delete(n.children, name)
		}
	}
	switch {
	case n.upper == fs.TypeUnknown:
		n.meta = meta{whiteout: n.whiteout}
	case n.upper != fs.TypeDir:
		n.whiteout, n.opaque, n.redirect = false, false, ""
		if n.upper != fs.TypeRegular {
			n.typ = fs.TypeUnknown
		}
	default:
		n.whiteout, n.typ = false, fs.TypeUnknown
	}
	return n.unused()
}

// record journals the changes fn writes, after the index has them, for
// a change that only the index sees (a whiteout of a lower entry).
func (o *FS) record(fn func(w *journalWriter)) error {
	if o.j == nil {
		return nil
	}
	w := &journalWriter{}
	fn(w)
	return o.j.append(w, o.ix)
}

// change makes a change that the upper layer sees: op, one host
// operation, described in the index by the records rec writes. The
// records are journaled before op runs, as a group that counts only if
// op happens; after a crash, w tells whether it did (see the journal's
// format). The caller updates the index once change succeeds.
func (o *FS) change(w witness, rec func(w *journalWriter), op func() error) error {
	if o.j == nil {
		return op()
	}
	jw := &journalWriter{}
	rec(jw)
	if err := o.j.begin(w, jw, o.ix); err != nil {
		return err
	}
	err := op()
	o.j.finish(err == nil)
	return err
}

// create makes a new upper entry of type typ at name with op, with the
// metadata m.
func (o *FS) create(name string, typ fs.Type, m meta, op func() error) error {
	err := o.change(witness{kind: witnessPresent, path: name}, func(w *journalWriter) { w.set(name, m) }, op)
	if err != nil {
		return err
	}
	n := o.ix.ensure(name)
	o.ix.clearChildren(n)
	o.ix.setMeta(n, m)
	n.upper = typ
	return nil
}

// stage makes a new upper entry of type typ at name with build, which
// must make it at the name it is given in the file system it is given
// and give it its times, and returns the entry's stat. For an overlay
// directory it is built in the work directory and renamed into place,
// replacing an empty directory at name if need be; rec writes the
// records that describe the change. In memory it is built in place.
func (o *FS) stage(name string, typ fs.Type, rec func(w *journalWriter), build func(f fs.FS, name string) error) (fs.Stat, error) {
	if o.work == nil {
		if err := build(o.upper, name); err != nil {
			removeEntry(o.upper, name, typ)
			return fs.Stat{}, err
		}
		return o.upper.Lstat(name)
	}
	o.workSeq++
	tmp := fmt.Sprintf("new%d", o.workSeq)
	err := build(o.work, tmp)
	var st fs.Stat
	if err == nil {
		st, err = o.work.Lstat(tmp)
	}
	if err == nil {
		// The inode number is the witness: a rename keeps it, and an
		// empty directory at name that is to be replaced has another.
		err = o.change(witness{kind: witnessIno, path: name, ino: st.Ino}, rec,
			func() error { return o.upperDir.RenameFrom(o.work, tmp, name) })
	}
	if err != nil {
		removeEntry(o.work, tmp, typ)
		return fs.Stat{}, err
	}
	return o.upper.Lstat(name)
}

// removeEntry removes name, of type typ, from f.
func removeEntry(f fs.FS, name string, typ fs.Type) {
	if typ == fs.TypeDir {
		f.Rmdir(name)
	} else {
		f.Unlink(name)
	}
}

// entry is a name resolved through both layers.
type entry struct {
	name string
	node *node // the index node at name, nil if none
	// beneath is the lower name of the entry at this path beneath any
	// upper one; "" when a whiteout or an opaque directory hides it.
	// Whether it exists is known only for an entry of the lower layer.
	beneath string
	// merged is, for a directory, the lower directory whose entries
	// show in it; "" for none.
	merged string
	exists bool
	upper  bool    // the entry is the upper layer's, not the lower's
	st     fs.Stat // as the guest sees it, when exists
	rawIno uint64  // the inode number in its own layer
}

// step descends from the directory node n, merged with the lower
// directory lp ("" for none), to its entry c: the child node and the
// lower name beneath it.
func step(n *node, lp, c string) (*node, string) {
	child := n.child(c)
	if lp == "" || (child != nil && child.whiteout) {
		return child, ""
	}
	return child, fs.Join(lp, c)
}

// mergedOf returns the lower directory merged with the upper directory
// n, under which the lower name beneath lies.
func mergedOf(n *node, beneath string) string {
	switch {
	case n.redirect != "":
		return n.redirect
	case n.opaque:
		return ""
	}
	return beneath
}

// existing resolves name like resolve, and gives ENOENT if the merged
// view has nothing there.
func (o *FS) existing(name string) (entry, error) {
	e, err := o.resolve(name)
	if err == nil && !e.exists {
		err = syscall.ENOENT
	}
	return e, err
}

// resolve looks name up. A missing entry is not an error (e.exists is
// false) when the directory that would hold it exists; a missing or
// non-directory component on the way is, as are symbolic links on the
// way (ELOOP).
func (o *FS) resolve(name string) (entry, error) {
	if !fs.ValidName(name) {
		return entry{}, syscall.EINVAL
	}
	e := entry{name: name, node: o.ix.root, beneath: "."}
	parentUpper, parentLower := true, "."
	if name != "." {
		n, lp := o.ix.root, "."
		rest := name
		for {
			c, after, more := strings.Cut(rest, "/")
			child, clp := step(n, lp, c)
			if !more {
				e.node, e.beneath = child, clp
				parentUpper = n != nil && n.upper == fs.TypeDir
				parentLower = lp
				break
			}
			if child != nil && child.upper != fs.TypeUnknown {
				switch child.upper {
				case fs.TypeDir:
				case fs.TypeSymlink:
					return entry{}, syscall.ELOOP
				default:
					return entry{}, syscall.ENOTDIR
				}
				clp = mergedOf(child, clp)
			} else if clp == "" {
				return entry{}, syscall.ENOENT
			}
			n, lp, rest = child, clp, after
		}
	}
	if e.node != nil && e.node.upper != fs.TypeUnknown {
		st, err := o.upper.Lstat(name)
		if err != nil {
			return entry{}, err
		}
		e.exists, e.upper, e.rawIno, e.st = true, true, st.Ino, o.upperStat(e.node, st)
		if e.st.Type == fs.TypeDir {
			e.merged = mergedOf(e.node, e.beneath)
		}
		return e, nil
	}
	if e.beneath == "" {
		return e, nil
	}
	st, err := o.lower.Lstat(e.beneath)
	if err == nil {
		e.exists, e.rawIno, e.st = true, st.Ino, o.lowerStat(st)
		if st.Type == fs.TypeDir {
			e.merged = e.beneath
		}
		return e, nil
	}
	errno := fs.Errno(err)
	if parentUpper {
		// The directory is the upper layer's: whatever the lower one
		// has beneath it (or fails to have), the name is missing.
		if errno == syscall.ENOENT || errno == syscall.ENOTDIR || errno == syscall.ELOOP {
			e.beneath = ""
			return e, nil
		}
		return entry{}, err
	}
	if errno != syscall.ENOENT {
		return entry{}, err
	}
	// The lower layer lacks the name, or a directory on the way.
	pst, err := o.lower.Lstat(parentLower)
	switch {
	case err != nil:
		return entry{}, err
	case pst.Type != fs.TypeDir:
		return entry{}, syscall.ENOTDIR
	}
	e.beneath = ""
	return e, nil
}

// upperStat returns the guest's view of the upper entry at n.
func (o *FS) upperStat(n *node, st fs.Stat) fs.Stat {
	st.Dev = o.dev
	if n.ino != 0 {
		st.Ino = n.ino
	} else {
		st.Ino |= upperInoBit
	}
	if n.hasPerm {
		st.Perm = n.perm
	}
	if n.typ != fs.TypeUnknown {
		st.Type, st.Size = n.typ, 0
	}
	return st
}

// lowerStat returns the guest's view of a lower entry.
func (o *FS) lowerStat(st fs.Stat) fs.Stat {
	st.Dev = o.dev
	return st
}

// lowerExists reports whether the lower layer has an entry at name.
func (o *FS) lowerExists(name string) bool {
	if name == "" {
		return false
	}
	_, err := o.lower.Lstat(name)
	return err == nil
}

// copyUp copies the lower entry e, and the directories on its way, to
// the upper layer. data says whether to copy a regular file's contents
// (not when it is about to be truncated).
func (o *FS) copyUp(ctx context.Context, e *entry, data bool) error {
	if err := o.copyUpParents(e.name); err != nil {
		return err
	}
	return o.copyUpOne(ctx, e, data)
}

// copyUpParents makes sure that the directory holding name, and every
// directory on the way, are in the upper layer.
func (o *FS) copyUpParents(name string) error {
	dir, _ := fs.Split(name)
	if dir == "." {
		return nil
	}
	n, lp, prefix := o.ix.root, ".", "."
	for c := range strings.SplitSeq(dir, "/") {
		prefix = fs.Join(prefix, c)
		child, clp := step(n, lp, c)
		if child != nil && child.upper != fs.TypeUnknown {
			if child.upper != fs.TypeDir {
				return syscall.ENOTDIR
			}
			n, lp = child, mergedOf(child, clp)
			continue
		}
		if clp == "" {
			return syscall.ENOENT
		}
		st, err := o.lower.Lstat(clp)
		switch {
		case err != nil:
			return err
		case st.Type == fs.TypeSymlink:
			return syscall.ELOOP
		case st.Type != fs.TypeDir:
			return syscall.ENOTDIR
		}
		e := entry{name: prefix, beneath: clp, exists: true, st: o.lowerStat(st), rawIno: st.Ino}
		// A directory copies up in constant time: no deadline.
		if err := o.copyUpOne(context.Background(), &e, false); err != nil {
			return err
		}
		n, lp = e.node, clp
	}
	return nil
}

// copyUpOne copies the lower entry e, whose directory is in the upper
// layer, to the upper layer, and updates e to describe the copy.
func (o *FS) copyUpOne(ctx context.Context, e *entry, data bool) error {
	lst := e.st
	m := meta{ino: lst.Ino, perm: lst.Perm, hasPerm: true}
	upperType := lst.Type
	switch lst.Type {
	case fs.TypeDir, fs.TypeRegular, fs.TypeSymlink:
	default:
		// A device file or FIFO: the upper layer cannot hold one
		// without privilege, so an empty file stands in for it.
		m.typ, upperType = lst.Type, fs.TypeRegular
	}
	// A copy-up is not a change the guest made to the directory: its
	// times are put back afterwards, as overlayfs does.
	dir, _ := fs.Split(e.name)
	dirSt, err := o.upper.Lstat(dir)
	if err != nil {
		return fmt.Errorf("copying up %s: %w", e.name, err)
	}
	defer o.upper.SetTimes(dir, fs.TimeAt(dirSt.Atime), fs.TimeAt(dirSt.Mtime))
	st, err := o.stage(e.name, upperType, func(w *journalWriter) { w.set(e.name, m) }, func(f fs.FS, name string) error {
		var err error
		switch {
		case lst.Type == fs.TypeDir:
			err = f.Mkdir(name, upperDirPerm)
		case lst.Type == fs.TypeRegular:
			err = o.copyData(ctx, f, name, e, data)
		case lst.Type == fs.TypeSymlink:
			var target string
			if target, err = o.lower.Readlink(e.beneath); err == nil {
				err = f.Symlink(target, name)
			}
		default:
			var h fs.File
			if h, err = f.Open(name, fs.OpenCreate|fs.OpenExclusive, upperFilePerm); err == nil {
				err = h.Close()
			}
		}
		if err != nil {
			return err
		}
		return f.SetTimes(name, fs.TimeAt(lst.Atime), fs.TimeAt(lst.Mtime))
	})
	if err != nil {
		return fmt.Errorf("copying up %s: %w", e.name, err)
	}
	n := o.ix.ensure(e.name)
	o.ix.setMeta(n, m)
	n.upper = upperType
	e.node, e.upper, e.rawIno, e.st = n, true, st.Ino, o.upperStat(n, st)
	if upperType == fs.TypeDir {
		e.merged = mergedOf(n, e.beneath)
	}
	if lst.Type == fs.TypeRegular {
		o.switchHandles(e.beneath, e.name)
	}
	return nil
}

// copyChunk is the unit in which file contents are copied up; chunks of
// zeros are skipped, so that sparse files stay sparse.
const copyChunk = 256 << 10

var zeros [copyChunk]byte

// copyData creates the file name in f with the contents of the lower
// file e.beneath, or empty when data is false. The cost follows what the
// lower file stores, not its size: only its data ranges are read (see
// fs.SparseFile), after f is known to have room for them and to take a
// file of that size, and the copy gives up when ctx is done. In an
// overlay directory the copy is synced, so that it is whole once renamed
// into place even if the host crashes.
func (o *FS) copyData(ctx context.Context, f fs.FS, name string, e *entry, data bool) (err error) {
	size := int64(e.st.Size)
	if size < 0 {
		return syscall.EFBIG
	}
	var src fs.File
	if data && size > 0 {
		if src, err = o.lower.Open(e.beneath, fs.OpenRead, 0); err != nil {
			return err
		}
		defer src.Close()
		if c, ok := f.(fs.Capacity); ok {
			stored, err := storedBytes(ctx, src, size)
			if err != nil {
				return err
			}
			avail, err := c.Available()
			if err != nil {
				return err
			}
			if stored > avail {
				return syscall.ENOSPC
			}
		}
	}
	dst, err := f.Open(name, fs.OpenWrite|fs.OpenCreate|fs.OpenExclusive, upperFilePerm)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := dst.Close(); err == nil {
			err = cerr
		}
	}()
	if src == nil {
		return nil
	}
	// The size first, so that a file too large for f fails (EFBIG)
	// before anything is copied.
	if err := dst.Truncate(size); err != nil {
		return err
	}
	buf := make([]byte, min(copyChunk, size))
	for off := int64(0); ; {
		start, end, err := nextData(src, off, size)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		for pos := start; pos < end; pos += int64(len(buf)) {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			b := buf[:min(int64(len(buf)), end-pos)]
			if n, err := src.ReadAt(b, pos); n < len(b) {
				if err == nil || err == io.EOF {
					err = syscall.EIO // the file shrank: the lower layer is damaged
				}
				return err
			}
			if bytes.Equal(b, zeros[:len(b)]) {
				continue
			}
			if _, err := dst.WriteAt(b, pos); err != nil {
				return err
			}
		}
		off = end
	}
	if o.work != nil {
		return dst.Sync()
	}
	return nil
}

// nextData returns the next range of data at or after off in f, of size
// bytes: what f says, if it is a fs.SparseFile, and the rest of the file
// otherwise.
func nextData(f fs.File, off, size int64) (start, end int64, err error) {
	if sf, ok := f.(fs.SparseFile); ok {
		start, end, err = sf.NextData(off)
		return start, min(end, size), err
	}
	if off >= size {
		return 0, 0, io.EOF
	}
	return off, size, nil
}

// storedBytes returns how many bytes of f, of size bytes, are data.
func storedBytes(ctx context.Context, f fs.File, size int64) (int64, error) {
	var n int64
	for off := int64(0); ; {
		if ctx.Err() != nil {
			return 0, context.Cause(ctx)
		}
		start, end, err := nextData(f, off, size)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
		n += end - start
		off = end
	}
}

// remove removes the entry e from the merged view: from the upper
// layer with op if it is there, and from the lower with a whiteout if
// the lower layer has an entry beneath it.
func (o *FS) remove(e *entry, op func() error) error {
	whiteout := e.beneath != "" && (!e.upper || o.lowerExists(e.beneath))
	rec := func(w *journalWriter) {
		w.del(e.name)
		if whiteout {
			w.set(e.name, meta{whiteout: true})
		}
	}
	if e.upper {
		if err := o.change(witness{kind: witnessAbsent, path: e.name}, rec, op); err != nil {
			return err
		}
	} else if whiteout {
		// Only a whiteout of a lower entry adds to the index: the
		// others replace an upper entry, whose memory is freed
		// first, so that a full overlay can still be emptied.
		if err := o.reserve(false, e.name); err != nil {
			return err
		}
		if err := o.touchParent(e.name); err != nil {
			return err
		}
	}
	o.ix.detach(e.name)
	if whiteout {
		o.ix.set(e.name, meta{whiteout: true})
	}
	if !e.upper {
		return o.record(rec)
	}
	return nil
}

// touchParent gives the directory holding name a new modification time,
// for a change that only the index records (a whiteout): programs such
// as Python's importer notice changes to a directory by its time.
func (o *FS) touchParent(name string) error {
	if err := o.copyUpParents(name); err != nil {
		return err
	}
	dir, _ := fs.Split(name)
	return o.upper.SetTimes(dir, fs.TimeOmit, fs.TimeNow)
}

// Lstat implements fs.FS.
func (o *FS) Lstat(name string) (fs.Stat, error) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	e, err := o.existing(name)
	if err != nil {
		return fs.Stat{}, err
	}
	return e.st, nil
}

// Open implements fs.FS. Opening a lower file for writing or truncation
// copies it up first; one opened for reading reads the upper copy once
// the file is copied up, as on Linux.
func (o *FS) Open(name string, flags fs.OpenFlag, perm uint32) (fs.File, error) {
	return o.open(context.Background(), name, flags, perm)
}

func (o *FS) open(ctx context.Context, name string, flags fs.OpenFlag, perm uint32) (fs.File, error) {
	if flags&(fs.OpenWrite|fs.OpenCreate|fs.OpenTruncate) == 0 {
		o.mu.RLock()
		defer o.mu.RUnlock()
	} else {
		o.mu.Lock()
		defer o.mu.Unlock()
		if err := o.reserve(false, name); err != nil {
			return nil, err
		}
		defer o.settle()
	}
	e, err := o.resolve(name)
	if err != nil {
		return nil, err
	}
	if !e.exists {
		if flags&fs.OpenCreate == 0 {
			return nil, syscall.ENOENT
		}
		if err := o.copyUpParents(name); err != nil {
			return nil, err
		}
		var h fs.File
		m := meta{perm: perm & 0o7777, hasPerm: true}
		err := o.create(name, fs.TypeRegular, m, func() (err error) {
			h, err = o.upper.Open(name, flags|fs.OpenCreate|fs.OpenExclusive, upperFilePerm)
			return err
		})
		if err != nil {
			return nil, err
		}
		return o.upperFile(h, o.ix.lookup(name))
	}
	if flags&(fs.OpenCreate|fs.OpenExclusive) == fs.OpenCreate|fs.OpenExclusive {
		return nil, syscall.EEXIST
	}
	switch e.st.Type {
	case fs.TypeRegular:
	case fs.TypeDir:
		return nil, syscall.EISDIR
	case fs.TypeSymlink:
		return nil, syscall.ELOOP
	default:
		// The image holds no device, pipe or socket behind the name.
		return nil, syscall.ENXIO
	}
	flags &^= fs.OpenCreate | fs.OpenExclusive
	if !e.upper && flags&(fs.OpenWrite|fs.OpenTruncate) != 0 {
		if err := o.copyUp(ctx, &e, flags&fs.OpenTruncate == 0); err != nil {
			return nil, err
		}
	}
	if e.upper {
		h, err := o.upper.Open(name, flags, 0)
		if err != nil {
			return nil, err
		}
		return o.upperFile(h, e.node)
	}
	h, err := o.lower.Open(e.beneath, fs.OpenRead, 0)
	if err != nil {
		return nil, err
	}
	return o.lowerFile(h, &e), nil
}

// ReadDir implements fs.FS.
func (o *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	e, err := o.existing(name)
	switch {
	case err != nil:
		return nil, err
	case e.st.Type != fs.TypeDir:
		return nil, syscall.ENOTDIR
	}
	return o.readDir(&e)
}

// readDir lists the directory e: the lower directory's entries that are
// not whited out, in the lower's order, with upper entries in place of
// those they replace, and then the entries only the upper layer has.
func (o *FS) readDir(e *entry) ([]fs.DirEntry, error) {
	var lower []fs.DirEntry
	if e.merged != "" {
		var err error
		lower, err = o.lower.ReadDir(e.merged)
		if err != nil {
			if errno := fs.Errno(err); !e.upper || (errno != syscall.ENOENT && errno != syscall.ENOTDIR) {
				return nil, err
			}
			lower = nil
		}
	}
	n := e.node
	if !e.upper {
		if n == nil || len(n.children) == 0 {
			return lower, nil
		}
		out := lower[:0:0]
		for _, le := range lower {
			if c := n.child(le.Name); c == nil || !c.whiteout {
				out = append(out, le)
			}
		}
		return out, nil
	}
	upper, err := o.upper.ReadDir(e.name)
	if err != nil {
		return nil, err
	}
	inUpper := make(map[string]int, len(upper))
	for i, ue := range upper {
		if c := n.child(ue.Name); c != nil {
			if c.ino != 0 {
				ue.Ino = c.ino
			} else {
				ue.Ino |= upperInoBit
			}
			if c.typ != fs.TypeUnknown {
				ue.Type = c.typ
			}
		} else {
			ue.Ino |= upperInoBit
		}
		upper[i] = ue
		inUpper[ue.Name] = i
	}
	out := make([]fs.DirEntry, 0, len(lower)+len(upper))
	for _, le := range lower {
		if i, ok := inUpper[le.Name]; ok {
			out = append(out, upper[i])
			delete(inUpper, le.Name)
		} else if c := n.child(le.Name); c == nil || !c.whiteout {
			out = append(out, le)
		}
	}
	for _, ue := range upper {
		if _, ok := inUpper[ue.Name]; ok {
			out = append(out, ue)
		}
	}
	return out, nil
}

// Readlink implements fs.FS.
func (o *FS) Readlink(name string) (string, error) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	e, err := o.existing(name)
	switch {
	case err != nil:
		return "", err
	case e.st.Type != fs.TypeSymlink:
		return "", syscall.EINVAL
	case e.upper:
		return o.upper.Readlink(name)
	}
	return o.lower.Readlink(e.beneath)
}

// readyToCreate prepares the creation of name in the upper layer:
// EEXIST if the merged view has it, else its parent directories copied
// up so that the upper layer can hold it.
func (o *FS) readyToCreate(name string) error {
	e, err := o.resolve(name)
	switch {
	case err != nil:
		return err
	case e.exists:
		return syscall.EEXIST
	}
	return o.copyUpParents(name)
}

// Mkdir implements fs.FS. The new directory is opaque: it shows only
// what is created in it, even where the lower layer had a directory
// that was deleted.
func (o *FS) Mkdir(name string, perm uint32) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.reserve(false, name); err != nil {
		return err
	}
	defer o.settle()
	if err := o.readyToCreate(name); err != nil {
		return err
	}
	return o.create(name, fs.TypeDir, meta{perm: perm & 0o7777, hasPerm: true, opaque: true},
		func() error { return o.upper.Mkdir(name, upperDirPerm) })
}

// Rmdir implements fs.FS.
func (o *FS) Rmdir(name string) error {
	if name == "." {
		return syscall.EBUSY
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	defer o.settle() // remove reserves what it adds
	e, err := o.existing(name)
	switch {
	case err != nil:
		return err
	case e.st.Type != fs.TypeDir:
		return syscall.ENOTDIR
	}
	list, err := o.readDir(&e)
	if err != nil {
		return err
	}
	if len(list) > 0 {
		return syscall.ENOTEMPTY
	}
	return o.remove(&e, func() error { return o.upper.Rmdir(name) })
}

// Unlink implements fs.FS.
func (o *FS) Unlink(name string) error {
	if name == "." {
		return syscall.EISDIR
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	defer o.settle() // remove reserves what it adds
	e, err := o.existing(name)
	switch {
	case err != nil:
		return err
	case e.st.Type == fs.TypeDir:
		return syscall.EISDIR
	}
	return o.remove(&e, func() error { return o.upper.Unlink(name) })
}

// Symlink implements fs.FS.
func (o *FS) Symlink(target, newname string) error {
	if len(target) > fs.MaxPath {
		return syscall.ENAMETOOLONG
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.reserve(false, newname); err != nil {
		return err
	}
	defer o.settle()
	if err := o.readyToCreate(newname); err != nil {
		return err
	}
	return o.create(newname, fs.TypeSymlink, meta{}, func() error { return o.upper.Symlink(target, newname) })
}

// Link implements fs.FS. Linking a lower file copies it up first; the
// new name then shares the copy's inode number, which is the lower
// file's.
func (o *FS) Link(oldname, newname string) error {
	return o.link(context.Background(), oldname, newname)
}

func (o *FS) link(ctx context.Context, oldname, newname string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.reserve(false, oldname, newname); err != nil {
		return err
	}
	defer o.settle()
	eo, err := o.resolve(oldname)
	switch {
	case err != nil:
		return err
	case !eo.exists:
		return syscall.ENOENT
	case eo.st.Type == fs.TypeDir:
		return syscall.EPERM
	}
	en, err := o.resolve(newname)
	switch {
	case err != nil:
		return err
	case en.exists:
		return syscall.EEXIST
	}
	if !eo.upper {
		if err := o.copyUp(ctx, &eo, true); err != nil {
			return err
		}
	}
	if err := o.copyUpParents(newname); err != nil {
		return err
	}
	m := eo.node.meta
	m.whiteout, m.opaque, m.redirect = false, false, ""
	return o.create(newname, eo.node.upper, m, func() error { return o.upper.Link(oldname, newname) })
}

// SetTimes implements fs.FS. Setting a lower entry's times copies it up.
func (o *FS) SetTimes(name string, atime, mtime fs.SetTime) error {
	return o.setTimes(context.Background(), name, atime, mtime)
}

func (o *FS) setTimes(ctx context.Context, name string, atime, mtime fs.SetTime) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.reserve(false, name); err != nil {
		return err
	}
	defer o.settle()
	e, err := o.existing(name)
	if err != nil {
		return err
	}
	if !e.upper {
		if err := o.copyUp(ctx, &e, true); err != nil {
			return err
		}
	}
	return o.upper.SetTimes(name, atime, mtime)
}

// sameFile reports whether a and b are one file under two names.
func sameFile(a, b *entry) bool {
	return a.upper == b.upper && a.rawIno == b.rawIno
}

// Rename implements fs.FS. A lower file is copied up and moved; a lower
// directory is not copied with its contents: an upper directory takes
// its place, redirected to it, as overlayfs's redirect_dir does, so
// that renaming a directory never fails with EXDEV.
func (o *FS) Rename(oldname, newname string) error {
	return o.rename(context.Background(), oldname, newname)
}

func (o *FS) rename(ctx context.Context, oldname, newname string) error {
	if oldname == "." || newname == "." {
		return syscall.EBUSY
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	defer o.settle()
	eo, err := o.resolve(oldname)
	if err != nil {
		return err
	}
	en, err := o.resolve(newname)
	switch {
	case err != nil:
		return err
	case !eo.exists:
		return syscall.ENOENT
	}
	isDir := eo.st.Type == fs.TypeDir
	if isDir && strings.HasPrefix(newname+"/", oldname+"/") {
		if oldname == newname {
			return nil
		}
		return syscall.EINVAL
	}
	if en.exists {
		if sameFile(&eo, &en) {
			return nil // POSIX: renaming a file onto a link to itself does nothing
		}
		switch {
		case isDir && en.st.Type != fs.TypeDir:
			return syscall.ENOTDIR
		case !isDir && en.st.Type == fs.TypeDir:
			return syscall.EISDIR
		case isDir:
			list, err := o.readDir(&en)
			if err != nil {
				return err
			}
			if len(list) > 0 {
				return syscall.ENOTEMPTY
			}
		}
	}
	fromLower := !eo.upper
	names := []string{newname}
	if eo.beneath != "" {
		names = append(names, oldname) // a whiteout
	}
	if err := o.reserve(isDir, names...); err != nil {
		return err
	}
	if fromLower && !isDir {
		if err := o.copyUp(ctx, &eo, true); err != nil {
			return err
		}
	}
	if err := o.copyUpParents(newname); err != nil {
		return err
	}
	whiteout := eo.beneath != "" && (fromLower || o.lowerExists(eo.beneath))
	var m meta // the moved entry's, at newname
	rec := func(w *journalWriter) {
		w.move(oldname, newname)
		w.set(newname, m)
		if whiteout {
			w.set(oldname, meta{whiteout: true})
		}
	}
	if fromLower && isDir {
		if err := o.touchParent(oldname); err != nil {
			return err
		}
		if err := o.moveLowerDir(&eo, &en, &m, rec); err != nil {
			return err
		}
	} else {
		m = eo.node.meta
		if isDir && m.redirect == "" && !m.opaque {
			// Keep merging with the lower directory it merged
			// with, not with whatever lies beneath its new name.
			if eo.merged != "" && o.lowerExists(eo.merged) {
				m.redirect = eo.merged
			} else {
				m.opaque = true
			}
		}
		// The entry at newname has the moved one's host inode
		// number once the rename has happened.
		err := o.change(witness{kind: witnessIno, path: newname, ino: eo.rawIno}, rec,
			func() error { return o.upper.Rename(oldname, newname) })
		if err != nil {
			return err
		}
	}
	if o.ix.lookup(oldname) == nil {
		o.ix.ensure(oldname) // a lower directory with nothing in the index
	}
	o.ix.move(oldname, newname)
	moved := o.ix.lookup(newname)
	if fromLower && isDir {
		moved.upper = fs.TypeDir
	}
	o.ix.setMeta(moved, m)
	if whiteout {
		o.ix.set(oldname, meta{whiteout: true})
	}
	if isDir {
		o.renameHandles(oldname, newname)
	}
	return nil
}

// moveLowerDir creates the upper directory that takes the place of the
// lower directory eo at en's name, redirected to it, with the metadata
// it sets in *m, which rec journals.
func (o *FS) moveLowerDir(eo, en *entry, m *meta, rec func(w *journalWriter)) error {
	*m = meta{ino: eo.st.Ino, perm: eo.st.Perm, hasPerm: true, redirect: eo.merged}
	if o.work == nil && en.exists && en.upper {
		// In an overlay directory, the new directory replaces the
		// empty one at en's name by rename.
		if err := o.upper.Rmdir(en.name); err != nil {
			return err
		}
	}
	_, err := o.stage(en.name, fs.TypeDir, rec, func(f fs.FS, name string) error {
		if err := f.Mkdir(name, upperDirPerm); err != nil {
			return err
		}
		return f.SetTimes(name, fs.TimeAt(eo.st.Atime), fs.TimeAt(eo.st.Mtime))
	})
	return err
}

// ctxFS is the overlay for operations that give up when ctx is done:
// the ones that may copy a regular file up.
type ctxFS struct {
	*FS
	ctx context.Context
}

// WithContext implements fs.Interruptible: a copy-up stops when ctx is
// done, and the operation fails with context.Cause(ctx), leaving the
// lower file as it was, so that a deadline ends a guest that opens a
// huge image file for writing.
func (o *FS) WithContext(ctx context.Context) fs.FS { return &ctxFS{FS: o, ctx: ctx} }

func (c *ctxFS) Open(name string, flags fs.OpenFlag, perm uint32) (fs.File, error) {
	return c.open(c.ctx, name, flags, perm)
}

func (c *ctxFS) Link(oldname, newname string) error { return c.link(c.ctx, oldname, newname) }

func (c *ctxFS) Rename(oldname, newname string) error { return c.rename(c.ctx, oldname, newname) }

func (c *ctxFS) SetTimes(name string, atime, mtime fs.SetTime) error {
	return c.setTimes(c.ctx, name, atime, mtime)
}
