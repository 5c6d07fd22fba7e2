package ext4fs

import (
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/wasmvisor/wasmvisor/internal/fs"
	"github.com/wasmvisor/wasmvisor/internal/fs/ext4"
)

// devCounter gives each FS its own device number.
var devCounter atomic.Uint64

// FS is a mounted ext2/3/4 file system, read-only. It implements fs.FS and
// is safe for concurrent use.
type FS struct {
	fsys *ext4.FS
	dev  uint64
}

// New serves fsys as an fs.FS.
func New(fsys *ext4.FS) *FS {
	return &FS{fsys: fsys, dev: 0x65787434_0000 + devCounter.Add(1)}
}

// lookup walks name from the root. Every component but the last must be
// a directory; a symbolic link there gives ELOOP.
func (f *FS) lookup(name string) (ext4.Ino, ext4.Stat, error) {
	if !fs.ValidName(name) {
		return 0, ext4.Stat{}, syscall.EINVAL
	}
	ino := f.fsys.Root()
	st, err := f.fsys.Stat(ino)
	if err != nil || name == "." {
		return ino, st, err
	}
	for c := range strings.SplitSeq(name, "/") {
		switch st.Type() {
		case ext4.TypeDir:
		case ext4.TypeSymlink:
			return 0, ext4.Stat{}, syscall.ELOOP
		default:
			return 0, ext4.Stat{}, syscall.ENOTDIR
		}
		if ino, err = f.fsys.Lookup(ino, c); err != nil {
			return 0, ext4.Stat{}, err
		}
		if st, err = f.fsys.Stat(ino); err != nil {
			return 0, ext4.Stat{}, err
		}
	}
	return ino, st, nil
}

// convertStat maps ext4's stat to the namespace's; the device number is
// the FS's own.
func (f *FS) convertStat(st *ext4.Stat) fs.Stat {
	return fs.Stat{
		Dev:   f.dev,
		Ino:   uint64(st.Ino),
		Type:  convertType(st.Type()),
		Perm:  uint32(st.Mode) & 0o7777,
		Nlink: uint64(st.Nlink),
		Size:  uint64(st.Size),
		Atime: st.Atime.UnixNano(),
		Mtime: st.Mtime.UnixNano(),
		Ctime: st.Ctime.UnixNano(),
	}
}

func convertType(t ext4.FileType) fs.Type {
	switch t {
	case ext4.TypeRegular:
		return fs.TypeRegular
	case ext4.TypeDir:
		return fs.TypeDir
	case ext4.TypeSymlink:
		return fs.TypeSymlink
	case ext4.TypeCharDev:
		return fs.TypeCharDevice
	case ext4.TypeBlockDev:
		return fs.TypeBlockDevice
	case ext4.TypeFIFO:
		return fs.TypeFIFO
	case ext4.TypeSocket:
		return fs.TypeSocket
	}
	return fs.TypeUnknown
}

// Lstat implements fs.FS.
func (f *FS) Lstat(name string) (fs.Stat, error) {
	_, st, err := f.lookup(name)
	if err != nil {
		return fs.Stat{}, err
	}
	return f.convertStat(&st), nil
}

// Open implements fs.FS. Only reading is possible: a request to write,
// truncate or create a missing file gives EROFS. Device files, FIFOs and
// sockets give ENXIO: an image holds no device or peer behind them.
func (f *FS) Open(name string, flags fs.OpenFlag, perm uint32) (fs.File, error) {
	ino, st, err := f.lookup(name)
	if err != nil {
		if flags&fs.OpenCreate != 0 && fs.Errno(err) == syscall.ENOENT && name != "." {
			// Creating is refused only where it would succeed.
			dir, _ := fs.Split(name)
			if _, st, perr := f.lookup(dir); perr == nil && st.Type() == ext4.TypeDir {
				return nil, syscall.EROFS
			}
		}
		return nil, err
	}
	if flags&(fs.OpenCreate|fs.OpenExclusive) == fs.OpenCreate|fs.OpenExclusive {
		return nil, syscall.EEXIST
	}
	switch st.Type() {
	case ext4.TypeDir:
		return nil, syscall.EISDIR
	case ext4.TypeSymlink:
		return nil, syscall.ELOOP
	case ext4.TypeRegular:
	default:
		return nil, syscall.ENXIO
	}
	if flags&(fs.OpenWrite|fs.OpenTruncate) != 0 {
		return nil, syscall.EROFS
	}
	h, err := f.fsys.Open(ino)
	if err != nil {
		return nil, err
	}
	return &file{fs: f, f: h}, nil
}

// ReadDir implements fs.FS. Entries come in the directory's on-disk order.
func (f *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	ino, st, err := f.lookup(name)
	if err != nil {
		return nil, err
	}
	if st.Type() != ext4.TypeDir {
		return nil, syscall.ENOTDIR
	}
	var out []fs.DirEntry
	err = f.fsys.ReadDir(ino, 0, func(e ext4.DirEntry) bool {
		if e.Name != "." && e.Name != ".." {
			out = append(out, fs.DirEntry{Name: e.Name, Type: convertType(e.Type), Ino: uint64(e.Ino)})
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Readlink implements fs.FS.
func (f *FS) Readlink(name string) (string, error) {
	ino, st, err := f.lookup(name)
	if err != nil {
		return "", err
	}
	if st.Type() != ext4.TypeSymlink {
		return "", syscall.EINVAL
	}
	return f.fsys.Readlink(ino)
}

// Mkdir implements fs.FS: EROFS.
func (f *FS) Mkdir(name string, perm uint32) error { return syscall.EROFS }

// Rmdir implements fs.FS: EROFS.
func (f *FS) Rmdir(name string) error { return syscall.EROFS }

// Unlink implements fs.FS: EROFS.
func (f *FS) Unlink(name string) error { return syscall.EROFS }

// Rename implements fs.FS: EROFS.
func (f *FS) Rename(oldname, newname string) error { return syscall.EROFS }

// Link implements fs.FS: EROFS.
func (f *FS) Link(oldname, newname string) error { return syscall.EROFS }

// Symlink implements fs.FS: EROFS.
func (f *FS) Symlink(target, newname string) error { return syscall.EROFS }

// SetTimes implements fs.FS: EROFS.
func (f *FS) SetTimes(name string, atime, mtime fs.SetTime) error { return syscall.EROFS }

// file is an open regular file of the image. It implements fs.File.
type file struct {
	fs     *FS
	f      *ext4.File
	closed atomic.Bool
}

func (h *file) ReadAt(p []byte, off int64) (int, error) {
	if h.closed.Load() {
		return 0, syscall.EBADF
	}
	// ext4's errors wrap EIO and say what is damaged.
	return h.f.ReadAt(p, off)
}

// NextData implements fs.SparseFile: copying a file up reads only what
// the image stores.
func (h *file) NextData(off int64) (start, end int64, err error) {
	if h.closed.Load() {
		return 0, 0, syscall.EBADF
	}
	return h.f.NextData(off)
}

// WriteAt, Truncate and Allocate fail with EBADF: the file is open for
// reading only, as every file of a read-only file system is.
func (h *file) WriteAt(p []byte, off int64) (int, error) { return 0, syscall.EBADF }

func (h *file) Truncate(size int64) error { return syscall.EBADF }

func (h *file) Allocate(off, n int64) error { return syscall.EBADF }

func (h *file) Close() error {
	if h.closed.Swap(true) {
		return syscall.EBADF
	}
	return nil
}

func (h *file) Stat() (fs.Stat, error) {
	if h.closed.Load() {
		return fs.Stat{}, syscall.EBADF
	}
	st := h.f.Stat()
	return h.fs.convertStat(&st), nil
}

func (h *file) Sync() error {
	if h.closed.Load() {
		return syscall.EBADF
	}
	return nil
}

func (h *file) SetTimes(atime, mtime fs.SetTime) error { return syscall.EROFS }
