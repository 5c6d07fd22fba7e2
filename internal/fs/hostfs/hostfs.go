package hostfs

import (
	"fmt"
	"math"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/wasmvisor/wasmvisor/internal/fs"
)

// Options configures New.
type Options struct {
	// ReadOnly makes every change fail with EROFS.
	ReadOnly bool
}

// FS is a host directory. It implements fs.FS.
type FS struct {
	root     *os.Root
	dir      *os.File // the root directory itself, anchoring openat2
	dirfd    int
	readOnly bool
	// noOpenat2 is set once openat2 turns out to be unavailable.
	noOpenat2 atomic.Bool
}

// New opens the host directory dir.
func New(dir string, opts Options) (*FS, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("opening host directory: %w", err)
	}
	d, err := root.Open(".")
	if err != nil {
		root.Close()
		return nil, fmt.Errorf("opening host directory %s: %w", dir, err)
	}
	return &FS{root: root, dir: d, dirfd: int(d.Fd()), readOnly: opts.ReadOnly}, nil
}

// Close releases the directory. The FS must not be used after.
func (h *FS) Close() error {
	err := h.dir.Close()
	if err2 := h.root.Close(); err == nil {
		err = err2
	}
	return err
}

// parent is an open directory that holds the last component of a name.
type parent struct {
	fd   int
	base string // the last component, or "." for the root
	own  bool   // fd must be closed
}

func (p parent) close() {
	if p.own {
		unix.Close(p.fd)
	}
}

// openParent opens the directory holding name's last component.
func (h *FS) openParent(name string) (parent, error) {
	if !fs.ValidName(name) {
		return parent{}, syscall.EINVAL
	}
	dir, base := fs.Split(name)
	if name == "." {
		base = "."
	}
	if dir == "." {
		return parent{fd: h.dirfd, base: base}, nil
	}
	if !h.noOpenat2.Load() {
		how := unix.OpenHow{
			Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
			Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
		}
		for {
			fd, err := unix.Openat2(h.dirfd, dir, &how)
			switch err {
			case nil:
				return parent{fd: fd, base: base, own: true}, nil
			case unix.EINTR, unix.EAGAIN:
				// EAGAIN: a concurrent rename raced the lookup; retry.
				continue
			case unix.ENOSYS, unix.EPERM:
				// No openat2 here (an old kernel or a seccomp filter).
				h.noOpenat2.Store(true)
			default:
				return parent{}, err
			}
			break
		}
	}
	fd, err := walkNoFollow(h.dirfd, dir)
	if err != nil {
		return parent{}, err
	}
	return parent{fd: fd, base: base, own: true}, nil
}

// walkNoFollow opens the directory dir beneath dirfd one component at a
// time, refusing symbolic links (ELOOP) as openat2's RESOLVE_NO_SYMLINKS
// does. Names never hold "..", so the walk cannot leave dirfd's tree.
func walkNoFollow(dirfd int, dir string) (int, error) {
	fd, own := dirfd, false
	for c := range strings.SplitSeq(dir, "/") {
		next, err := unix.Openat(fd, c, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err == unix.ENOTDIR {
			var st unix.Stat_t
			if unix.Fstatat(fd, c, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
				err = unix.ELOOP
			}
		}
		if own {
			unix.Close(fd)
		}
		if err != nil {
			return -1, err
		}
		fd, own = next, true
	}
	return fd, nil
}

func (h *FS) writable() error {
	if h.readOnly {
		return syscall.EROFS
	}
	return nil
}

// Available implements fs.Capacity: the bytes the host file system
// lets an unprivileged user add.
func (h *FS) Available() (int64, error) {
	var st unix.Statfs_t
	if err := unix.Fstatfs(h.dirfd, &st); err != nil {
		return 0, err
	}
	return int64(min(st.Bavail, uint64(math.MaxInt64)/uint64(max(st.Bsize, 1)))) * st.Bsize, nil
}

// Lstat implements fs.FS.
func (h *FS) Lstat(name string) (fs.Stat, error) {
	p, err := h.openParent(name)
	if err != nil {
		return fs.Stat{}, err
	}
	defer p.close()
	var st unix.Stat_t
	if err := unix.Fstatat(p.fd, p.base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fs.Stat{}, err
	}
	return convertStat(&st), nil
}

func convertStat(st *unix.Stat_t) fs.Stat {
	return fs.Stat{
		Dev:   st.Dev,
		Ino:   st.Ino,
		Type:  modeType(st.Mode),
		Perm:  st.Mode & 0o7777,
		Nlink: uint64(st.Nlink),
		Size:  uint64(st.Size),
		Atime: st.Atim.Nano(),
		Mtime: st.Mtim.Nano(),
		Ctime: st.Ctim.Nano(),
	}
}

func modeType(mode uint32) fs.Type {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return fs.TypeRegular
	case unix.S_IFDIR:
		return fs.TypeDir
	case unix.S_IFLNK:
		return fs.TypeSymlink
	case unix.S_IFCHR:
		return fs.TypeCharDevice
	case unix.S_IFBLK:
		return fs.TypeBlockDevice
	case unix.S_IFIFO:
		return fs.TypeFIFO
	case unix.S_IFSOCK:
		return fs.TypeSocket
	}
	return fs.TypeUnknown
}

// Open implements fs.FS.
func (h *FS) Open(name string, flags fs.OpenFlag, perm uint32) (fs.File, error) {
	if h.readOnly {
		if flags&(fs.OpenWrite|fs.OpenTruncate) != 0 {
			return nil, syscall.EROFS
		}
		if flags&fs.OpenCreate != 0 {
			// Opening an existing file with O_CREAT is fine on a
			// read-only file system; creating one is not.
			if _, err := h.Lstat(name); err != nil {
				if fs.Errno(err) == syscall.ENOENT {
					return nil, syscall.EROFS
				}
				return nil, err
			}
			if flags&fs.OpenExclusive != 0 {
				return nil, syscall.EEXIST
			}
			flags &^= fs.OpenCreate
		}
	}
	p, err := h.openParent(name)
	if err != nil {
		return nil, err
	}
	defer p.close()
	// O_NONBLOCK keeps opening a FIFO from blocking. FIFOs and sockets
	// keep it, so that Go's poller waits for them and a deadline can
	// cut a wait short (the kernel's timeouts need that); it is cleared
	// again for devices, which may not be pollable.
	oflags := unix.O_CLOEXEC | unix.O_NOFOLLOW | unix.O_NOCTTY | unix.O_NONBLOCK
	switch {
	case flags&fs.OpenRead != 0 && flags&fs.OpenWrite != 0:
		oflags |= unix.O_RDWR
	case flags&fs.OpenWrite != 0:
		oflags |= unix.O_WRONLY
	default:
		oflags |= unix.O_RDONLY
	}
	if flags&fs.OpenCreate != 0 {
		oflags |= unix.O_CREAT
		if flags&fs.OpenExclusive != 0 {
			oflags |= unix.O_EXCL
		}
	}
	if flags&fs.OpenTruncate != 0 {
		oflags |= unix.O_TRUNC
	}
	if flags&fs.OpenSync != 0 {
		oflags |= unix.O_SYNC
	}
	if flags&fs.OpenDSync != 0 {
		oflags |= unix.O_DSYNC
	}
	fd, err := unix.Openat(p.fd, p.base, oflags, perm&0o7777)
	for err == unix.EINTR {
		fd, err = unix.Openat(p.fd, p.base, oflags, perm&0o7777)
	}
	if err != nil {
		return nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, err
	}
	switch modeType(st.Mode) {
	case fs.TypeDir:
		unix.Close(fd)
		return nil, syscall.EISDIR
	case fs.TypeRegular, fs.TypeFIFO, fs.TypeSocket:
	default:
		if err := unix.SetNonblock(fd, false); err != nil {
			unix.Close(fd)
			return nil, err
		}
	}
	return &file{f: os.NewFile(uintptr(fd), name), readOnly: h.readOnly}, nil
}

// ReadDir implements fs.FS. Entries come in the host's order.
func (h *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	p, err := h.openParent(name)
	if err != nil {
		return nil, err
	}
	defer p.close()
	fd, err := unix.Openat(p.fd, p.base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		if err == unix.ELOOP {
			err = unix.ENOTDIR
		}
		return nil, err
	}
	defer unix.Close(fd)
	return readDirents(fd)
}

// Readlink implements fs.FS.
func (h *FS) Readlink(name string) (string, error) {
	p, err := h.openParent(name)
	if err != nil {
		return "", err
	}
	defer p.close()
	buf := make([]byte, fs.MaxPath+1)
	n, err := unix.Readlinkat(p.fd, p.base, buf)
	if err != nil {
		return "", err
	}
	if n > fs.MaxPath {
		return "", syscall.ENAMETOOLONG
	}
	return string(buf[:n]), nil
}

// at runs op on the parent directory of name and its last component.
func (h *FS) at(name string, op func(dirfd int, base string) error) error {
	if err := h.writable(); err != nil {
		return err
	}
	p, err := h.openParent(name)
	if err != nil {
		return err
	}
	defer p.close()
	return op(p.fd, p.base)
}

// Mkdir implements fs.FS.
func (h *FS) Mkdir(name string, perm uint32) error {
	return h.at(name, func(dirfd int, base string) error {
		return unix.Mkdirat(dirfd, base, perm&0o7777)
	})
}

// Rmdir implements fs.FS.
func (h *FS) Rmdir(name string) error {
	return h.at(name, func(dirfd int, base string) error {
		return unix.Unlinkat(dirfd, base, unix.AT_REMOVEDIR)
	})
}

// Unlink implements fs.FS.
func (h *FS) Unlink(name string) error {
	return h.at(name, func(dirfd int, base string) error {
		return unix.Unlinkat(dirfd, base, 0)
	})
}

// Symlink implements fs.FS.
func (h *FS) Symlink(target, newname string) error {
	if len(target) > fs.MaxPath {
		return syscall.ENAMETOOLONG
	}
	return h.at(newname, func(dirfd int, base string) error {
		return unix.Symlinkat(target, dirfd, base)
	})
}

// Rename implements fs.FS with the host's rename(2) semantics.
func (h *FS) Rename(oldname, newname string) error {
	return h.RenameFrom(h, oldname, newname)
}

// RenameFrom moves oldname of the host directory src to newname in this
// one with rename(2), which needs both on one host file system. A file
// built elsewhere appears this way whole or not at all, even if the
// process dies: overlay directories build copied-up files so.
func (h *FS) RenameFrom(src *FS, oldname, newname string) error {
	if err := h.writable(); err != nil {
		return err
	}
	return src.at(oldname, func(olddir int, oldbase string) error {
		np, err := h.openParent(newname)
		if err != nil {
			return err
		}
		defer np.close()
		return unix.Renameat(olddir, oldbase, np.fd, np.base)
	})
}

// Link implements fs.FS.
func (h *FS) Link(oldname, newname string) error {
	return h.at(oldname, func(olddir int, oldbase string) error {
		np, err := h.openParent(newname)
		if err != nil {
			return err
		}
		defer np.close()
		return unix.Linkat(olddir, oldbase, np.fd, np.base, 0)
	})
}

// SetTimes implements fs.FS.
func (h *FS) SetTimes(name string, atime, mtime fs.SetTime) error {
	return h.at(name, func(dirfd int, base string) error {
		return unix.UtimesNanoAt(dirfd, base, timespecs(atime, mtime), unix.AT_SYMLINK_NOFOLLOW)
	})
}

func timespecs(atime, mtime fs.SetTime) []unix.Timespec {
	return []unix.Timespec{timespec(atime), timespec(mtime)}
}

func timespec(t fs.SetTime) unix.Timespec {
	switch {
	case t.Omit():
		return unix.Timespec{Nsec: unix.UTIME_OMIT}
	case t.Now():
		return unix.Timespec{Nsec: unix.UTIME_NOW}
	}
	ns, _ := t.Resolve(0)
	return unix.NsecToTimespec(ns)
}

// file is an open host file. It implements fs.File, and io.Reader and
// io.Writer for files without offsets.
type file struct {
	f *os.File
	// readOnly is the file system's: the host would let the owner of a
	// file opened for reading change its times, which a read-only
	// mapping must not.
	readOnly bool
}

func (h *file) ReadAt(p []byte, off int64) (int, error) { return h.f.ReadAt(p, off) }

func (h *file) WriteAt(p []byte, off int64) (int, error) { return h.f.WriteAt(p, off) }

func (h *file) Read(p []byte) (int, error) { return h.f.Read(p) }

func (h *file) Write(p []byte) (int, error) { return h.f.Write(p) }

func (h *file) Close() error { return h.f.Close() }

// SetReadDeadline and SetWriteDeadline bound the waits of Read and Write
// on a FIFO or a socket; other files return os.ErrNoDeadline.
func (h *file) SetReadDeadline(t time.Time) error  { return h.f.SetReadDeadline(t) }
func (h *file) SetWriteDeadline(t time.Time) error { return h.f.SetWriteDeadline(t) }

func (h *file) Sync() error { return h.f.Sync() }

func (h *file) Truncate(size int64) error {
	if h.readOnly {
		return syscall.EROFS
	}
	return h.f.Truncate(size)
}

func (h *file) Stat() (fs.Stat, error) {
	var st unix.Stat_t
	err := h.control(func(fd int) error { return unix.Fstat(fd, &st) })
	if err != nil {
		return fs.Stat{}, err
	}
	return convertStat(&st), nil
}

func (h *file) Allocate(off, n int64) error {
	if h.readOnly {
		return syscall.EROFS
	}
	if off < 0 || n <= 0 {
		return syscall.EINVAL
	}
	return h.control(func(fd int) error {
		err := unix.Fallocate(fd, 0, off, n)
		if err != unix.EOPNOTSUPP {
			return err
		}
		// The host file system cannot reserve blocks; make sure of the
		// size at least, which is what posix_fallocate guarantees.
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			return err
		}
		if off+n > st.Size {
			return unix.Ftruncate(fd, off+n)
		}
		return nil
	})
}

func (h *file) SetTimes(atime, mtime fs.SetTime) error {
	if h.readOnly {
		return syscall.EROFS
	}
	ts := timespecs(atime, mtime)
	return h.control(func(fd int) error {
		// utimensat with a NULL path is futimens(3).
		_, _, e := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
		if e != 0 {
			return e
		}
		return nil
	})
}

// control runs op on the file's descriptor.
func (h *file) control(op func(fd int) error) error {
	rc, err := h.f.SyscallConn()
	if err != nil {
		return err
	}
	var opErr error
	if err := rc.Control(func(fd uintptr) { opErr = op(int(fd)) }); err != nil {
		return err
	}
	return opErr
}
