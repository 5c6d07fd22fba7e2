package overlay

import (
	"context"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/wasmvisor/wasmvisor/internal/fs"
)

// upperFile is an open file of the upper layer, reporting the inode
// number and permission bits the guest sees.
type upperFile struct {
	fs.File
	o    *FS
	ino  uint64
	perm uint32
}

func (o *FS) upperFile(h fs.File, n *node) (fs.File, error) {
	st, err := h.Stat()
	if err != nil {
		h.Close()
		return nil, err
	}
	st = o.upperStat(n, st)
	return &upperFile{File: h, o: o, ino: st.Ino, perm: st.Perm}, nil
}

func (h *upperFile) Stat() (fs.Stat, error) {
	st, err := h.File.Stat()
	if err != nil {
		return fs.Stat{}, err
	}
	st.Dev, st.Ino, st.Perm = h.o.dev, h.ino, h.perm
	return st, nil
}

// Sync syncs the file and the journal, so that the file's name and
// metadata are as durable as its contents.
func (h *upperFile) Sync() error {
	if err := h.File.Sync(); err != nil {
		return err
	}
	h.o.mu.RLock()
	defer h.o.mu.RUnlock()
	if h.o.j != nil {
		return h.o.j.sync()
	}
	return nil
}

// lowerFile is a lower file open for reading. When the file is copied
// up, it switches to reading the upper copy, so that it sees what is
// written there, as a file opened on Linux's overlayfs does.
type lowerFile struct {
	o     *FS
	lower string // the lower name, its key in o.handles
	ino   uint64
	perm  uint32
	// name is the file's name in the overlay, followed across renames
	// of the directories above it; guarded by o.mu.
	name string

	mu     sync.RWMutex // guards the fields below
	f      fs.File      // the lower file, or the upper copy
	copied bool         // f is the upper copy
	closed bool
	// atime and mtime, when set, are times given to a file that no
	// longer has a name in the overlay.
	atime, mtime *int64
}

func (o *FS) lowerFile(h fs.File, e *entry) *lowerFile {
	lf := &lowerFile{o: o, lower: e.beneath, ino: e.st.Ino, perm: e.st.Perm, name: e.name, f: h}
	o.hmu.Lock()
	o.handles[lf.lower] = append(o.handles[lf.lower], lf)
	o.hmu.Unlock()
	return lf
}

// switchHandles makes the open lower files of the lower file lower read
// the upper file name, its copy. Called with o.mu held exclusively.
func (o *FS) switchHandles(lower, name string) {
	o.hmu.Lock()
	list := o.handles[lower]
	delete(o.handles, lower)
	o.hmu.Unlock()
	for _, lf := range list {
		h, err := o.upper.Open(name, fs.OpenRead, 0)
		lf.mu.Lock()
		if err == nil && !lf.closed {
			lf.f.Close()
			lf.f, lf.copied = h, true
		} else if err == nil {
			h.Close()
		}
		lf.mu.Unlock()
		if err != nil {
			// Keep reading the lower file, which has not changed.
			o.hmu.Lock()
			o.handles[lower] = append(o.handles[lower], lf)
			o.hmu.Unlock()
		}
	}
}

// renameHandles follows the rename of the directory oldname to newname
// in the names of open lower files. Called with o.mu held exclusively.
func (o *FS) renameHandles(oldname, newname string) {
	o.hmu.Lock()
	defer o.hmu.Unlock()
	for _, list := range o.handles {
		for _, lf := range list {
			if rest, ok := strings.CutPrefix(lf.name, oldname+"/"); ok {
				lf.name = newname + "/" + rest
			}
		}
	}
}

func (h *lowerFile) ReadAt(p []byte, off int64) (int, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.closed {
		return 0, syscall.EBADF
	}
	return h.f.ReadAt(p, off)
}

// WriteAt, Truncate and Allocate fail with EBADF: the file is open for
// reading only (opening it for writing copies it up).
func (h *lowerFile) WriteAt(p []byte, off int64) (int, error) { return 0, syscall.EBADF }

func (h *lowerFile) Truncate(size int64) error { return syscall.EBADF }

func (h *lowerFile) Allocate(off, n int64) error { return syscall.EBADF }

func (h *lowerFile) Sync() error {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.closed {
		return syscall.EBADF
	}
	return nil
}

func (h *lowerFile) Stat() (fs.Stat, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.closed {
		return fs.Stat{}, syscall.EBADF
	}
	st, err := h.f.Stat()
	if err != nil {
		return fs.Stat{}, err
	}
	st.Dev, st.Ino, st.Perm = h.o.dev, h.ino, h.perm
	if h.atime != nil {
		st.Atime = *h.atime
	}
	if h.mtime != nil {
		st.Mtime = *h.mtime
	}
	return st, nil
}

// SetTimes copies the file up, if its name still leads to it, and sets
// the copy's times. A file whose name now leads elsewhere (it was
// deleted or replaced) keeps the times for itself.
func (h *lowerFile) SetTimes(atime, mtime fs.SetTime) error {
	return h.SetTimesContext(context.Background(), atime, mtime)
}

// SetTimesContext is SetTimes whose copy-up gives up once ctx is done
// (fs.TimeSetterContext).
func (h *lowerFile) SetTimesContext(ctx context.Context, atime, mtime fs.SetTime) error {
	o := h.o
	o.mu.Lock()
	defer o.mu.Unlock()
	h.mu.RLock()
	closed, copied := h.closed, h.copied
	h.mu.RUnlock()
	if closed {
		return syscall.EBADF
	}
	if !copied {
		e, err := o.resolve(h.name)
		if err == nil && e.exists && !e.upper && e.beneath == h.lower {
			if err := o.copyUp(ctx, &e, true); err != nil {
				return err
			}
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.copied {
		return h.f.SetTimes(atime, mtime)
	}
	now := fs.Now()
	if t, ok := atime.Resolve(now); ok {
		h.atime = &t
	}
	if t, ok := mtime.Resolve(now); ok {
		h.mtime = &t
	}
	return nil
}

func (h *lowerFile) Close() error {
	h.o.hmu.Lock()
	list := h.o.handles[h.lower]
	if i := slices.Index(list, h); i >= 0 {
		list = slices.Delete(list, i, i+1)
		if len(list) == 0 {
			delete(h.o.handles, h.lower)
		} else {
			h.o.handles[h.lower] = list
		}
	}
	h.o.hmu.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return syscall.EBADF
	}
	h.closed = true
	return h.f.Close()
}
