package fs

import (
	"context"
	"errors"
	"io"
	"syscall"
	"time"
)

// FS is one file-system tree.
//
// Names are clean, slash-separated and relative to the root: "." is the
// root itself, and no name contains "..", an empty component or a leading
// or trailing slash (Clean and ValidName define the form). Every component
// but the last is a directory that is not a symbolic link: the Namespace
// resolves links before it calls an FS. An implementation must still fail
// safely, with an error and without leaving its tree, when a caller breaks
// that rule or the tree changes under it.
//
// No method follows a symbolic link in the last component. Errors are, or
// wrap, a syscall.Errno; a read-only file system returns syscall.EROFS from
// every method that would change it.
//
// Implementations must be safe for concurrent use.
type FS interface {
	// Lstat returns the attributes of the file at name.
	Lstat(name string) (Stat, error)

	// Open opens the non-directory file at name. A directory gives
	// EISDIR and a symbolic link ELOOP. With OpenCreate a missing file
	// is created with the permission bits perm; with OpenExclusive too,
	// an existing one gives EEXIST.
	Open(name string, flags OpenFlag, perm uint32) (File, error)

	// ReadDir lists the directory at name, without "." and "..". The
	// order is the file system's own and is the same on every call while
	// the directory does not change.
	ReadDir(name string) ([]DirEntry, error)

	// Readlink returns the target of the symbolic link at name, or
	// EINVAL if name is not a symbolic link.
	Readlink(name string) (string, error)

	// Mkdir creates the directory name with the permission bits perm.
	Mkdir(name string, perm uint32) error

	// Rmdir removes the empty directory name: ENOTDIR if it is not a
	// directory, ENOTEMPTY if it has entries.
	Rmdir(name string) error

	// Unlink removes the non-directory name; a directory gives EISDIR.
	Unlink(name string) error

	// Rename moves oldname to newname with POSIX rename semantics: an
	// existing newname is replaced if it is of a compatible kind (a file
	// by a file, an empty directory by a directory), ENOTDIR, EISDIR or
	// ENOTEMPTY otherwise, and EINVAL moves a directory into itself.
	Rename(oldname, newname string) error

	// Link creates newname as a hard link to the non-directory oldname:
	// EEXIST if newname exists, EPERM if oldname is a directory.
	Link(oldname, newname string) error

	// Symlink creates newname as a symbolic link to target.
	Symlink(target, newname string) error

	// SetTimes sets the access and modification times of name.
	SetTimes(name string, atime, mtime SetTime) error
}

// File is an open non-directory file. Offsets are explicit: the WASI
// kernel keeps each descriptor's position itself.
//
// A file that is not a regular file (a character device, a FIFO) may also
// implement io.Reader and io.Writer; the kernel then uses those instead of
// ReadAt and WriteAt, since such files have no offsets.
type File interface {
	io.ReaderAt
	io.WriterAt
	io.Closer

	// Stat returns the file's attributes.
	Stat() (Stat, error)

	// Truncate changes the size, filling any extension with zeros.
	Truncate(size int64) error

	// Allocate makes sure that the bytes [off, off+n) are allocated,
	// growing the file if it ends before off+n.
	Allocate(off, n int64) error

	// Sync writes the file's data and metadata to stable storage.
	Sync() error

	// SetTimes sets the access and modification times.
	SetTimes(atime, mtime SetTime) error
}

// SparseFile is implemented by files that know where their data is, so
// that copying one costs what it stores rather than what its size says
// (a sparse file may declare terabytes and store nothing).
type SparseFile interface {
	// NextData returns the first range [start, end) of stored data at
	// or after off, with start >= off, and io.EOF when nothing from off
	// to the end of the file is stored. Bytes outside the ranges it
	// returns read as zeros. The cost of a call does not depend on the
	// size of the hole it skips.
	NextData(off int64) (start, end int64, err error)
}

// Capacity is implemented by file systems that can tell how many more
// bytes of file contents they can store.
type Capacity interface {
	Available() (int64, error)
}

// Interruptible is implemented by file systems some of whose operations
// can take long: an overlay copies a file up before it opens it for
// writing, renames it, links it or sets its times.
type Interruptible interface {
	// WithContext returns the file system for operations that give up
	// once ctx is done, failing with context.Cause(ctx) and leaving the
	// file system as if they had not started.
	WithContext(ctx context.Context) FS
}

// WithContext returns f for operations that give up once ctx is done,
// if f can give up (it is Interruptible), and f otherwise.
func WithContext(ctx context.Context, f FS) FS {
	if i, ok := f.(Interruptible); ok {
		return i.WithContext(ctx)
	}
	return f
}

// TimeSetterContext is implemented by open files whose SetTimes can
// take long: an overlay's file still in its lower layer is copied up
// first.
type TimeSetterContext interface {
	// SetTimesContext is SetTimes that gives up once ctx is done,
	// failing with context.Cause(ctx) and leaving the file as it was.
	SetTimesContext(ctx context.Context, atime, mtime SetTime) error
}

// SetFileTimes sets the times of f, giving up once ctx is done where f
// can (it is a TimeSetterContext).
func SetFileTimes(ctx context.Context, f File, atime, mtime SetTime) error {
	if ts, ok := f.(TimeSetterContext); ok {
		return ts.SetTimesContext(ctx, atime, mtime)
	}
	return f.SetTimes(atime, mtime)
}

// OpenFlag selects how File opens a file.
type OpenFlag uint32

const (
	// OpenRead and OpenWrite select the access mode. A file opened with
	// neither may still be stat'ed and have its times set.
	OpenRead OpenFlag = 1 << iota
	OpenWrite
	// OpenCreate creates the file if it does not exist.
	OpenCreate
	// OpenExclusive, with OpenCreate, fails with EEXIST if the file exists.
	OpenExclusive
	// OpenTruncate truncates an existing file to size zero.
	OpenTruncate
	// OpenSync and OpenDSync make writes synchronous (O_SYNC, O_DSYNC).
	OpenSync
	OpenDSync
)

// Type is the type of a file.
type Type uint8

// The file types. The zero value is TypeUnknown.
const (
	TypeUnknown Type = iota
	TypeRegular
	TypeDir
	TypeSymlink
	TypeCharDevice
	TypeBlockDevice
	TypeFIFO
	TypeSocket
)

var typeNames = [...]string{"unknown", "regular file", "directory", "symbolic link",
	"character device", "block device", "fifo", "socket"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "unknown"
}

// Stat holds the attributes of a file.
//
// Ino is never zero and stays the same for a file as long as it exists, so
// (Dev, Ino) identifies a file the way POSIX requires. Times are
// nanoseconds since the Unix epoch.
type Stat struct {
	Dev   uint64
	Ino   uint64
	Type  Type
	Perm  uint32 // permission bits (0o7777)
	Nlink uint64
	Size  uint64
	Atime int64
	Mtime int64
	Ctime int64
}

// DirEntry is one entry of a directory listing.
type DirEntry struct {
	Name string
	Type Type
	Ino  uint64
}

// SetTime is one timestamp argument of SetTimes: leave the time as it is,
// set it to the current time, or set it to a given time.
type SetTime struct {
	mode setTimeMode
	nsec int64
}

type setTimeMode uint8

const (
	setOmit setTimeMode = iota
	setNow
	setAt
)

// TimeOmit leaves a time unchanged.
var TimeOmit = SetTime{mode: setOmit}

// TimeNow sets a time to the current time.
var TimeNow = SetTime{mode: setNow}

// TimeAt sets a time to nsec nanoseconds since the Unix epoch.
func TimeAt(nsec int64) SetTime { return SetTime{mode: setAt, nsec: nsec} }

// Omit reports whether t leaves the time unchanged.
func (t SetTime) Omit() bool { return t.mode == setOmit }

// Now reports whether t sets the current time.
func (t SetTime) Now() bool { return t.mode == setNow }

// Resolve returns the time t sets, given the current time now, and false
// when t leaves the time unchanged.
func (t SetTime) Resolve(now int64) (int64, bool) {
	switch t.mode {
	case setNow:
		return now, true
	case setAt:
		return t.nsec, true
	}
	return 0, false
}

// ErrNotCapable is returned when a path would leave the directory its
// resolution started from, or names an absolute path. WASI reports it as
// ENOTCAPABLE.
var ErrNotCapable = errors.New("path escapes its starting directory")

// MaxSymlinks is how many symbolic links one path resolution follows
// before it fails with ELOOP (Linux's limit).
const MaxSymlinks = 40

// MaxPath is the longest path, or symbolic-link target, accepted.
const MaxPath = 4096

// MaxName is the longest file name component accepted.
const MaxName = 255

// Errno extracts the syscall.Errno from err: err itself, one it wraps, or
// EIO for any other error. It returns 0 for nil.
func Errno(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	return syscall.EIO
}

// Now returns the current time in the form Stat uses.
func Now() int64 { return time.Now().UnixNano() }
