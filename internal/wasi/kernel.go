package wasi

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wasmvisor/wasmvisor/internal/fs"
)

// DefaultMaxFiles is the descriptor limit when Config.MaxFiles is zero.
const DefaultMaxFiles = 4096

// Config describes the world a Kernel presents to its guest.
type Config struct {
	// Args are the command-line arguments, the program name first.
	Args []string
	// Env holds "KEY=value" environment entries.
	Env []string

	// Stdin, Stdout and Stderr are descriptors 0, 1 and 2. A nil Stdin
	// reads as empty; a nil Stdout or Stderr discards what is written.
	// An *os.File that is a terminal is reported as a character device,
	// and an *os.File Stdin can be waited on by poll_oneoff.
	Stdin          io.Reader
	Stdout, Stderr io.Writer

	// Preopens become descriptors 3, 4, … in this order.
	Preopens []Preopen

	// Random is the source of random_get; nil means crypto/rand.
	Random io.Reader

	// MaxFiles bounds the descriptors open at once (EMFILE beyond it);
	// zero means DefaultMaxFiles.
	MaxFiles int
}

// Preopen is a descriptor the guest finds open when it starts: a
// directory of a namespace, or a listening socket.
type Preopen struct {
	// Name is what fd_prestat_dir_name reports for a directory: the
	// guest path libc maps to it, such as "/" or ".".
	Name string
	// NS and Path give the directory: Path is an absolute guest path in
	// NS ("" means "/").
	NS   *fs.Namespace
	Path string

	// Listener, if not nil, makes this a listening socket instead of a
	// directory (the CLI's --tcplisten). The kernel works on a duplicate
	// of its descriptor; the caller may close it after New.
	Listener interface {
		File() (*os.File, error)
	}
}

// Kernel is the WASI state of one instance.
type Kernel struct {
	args, env   []string
	argsSize    uint32 // bytes of args including their NULs
	envSize     uint32
	random      io.Reader
	randomAhead []byte    // given back by UnreadRandom, served first
	start       time.Time // origin of the monotonic clock
	maxFiles    int
	fds         []*fdEntry // indexed by descriptor; nil is free
	open        int        // non-nil entries in fds
	iovs        [][]byte   // scratch for iovec arrays
	wake        int        // eventfd that interrupts a blocking poll; -1 until needed
	writeBuffer []byte     // scratch to gather fd_write iovecs into one write
	snapshots   snapshotSet
}

// New returns a kernel for cfg. It fails if an argument or environment
// entry holds a NUL byte, if their sizes overflow the ABI, or if a
// preopen is not a directory or a socket.
func New(cfg Config) (*Kernel, error) {
	k := &Kernel{
		args:     cfg.Args,
		env:      cfg.Env,
		random:   cfg.Random,
		start:    time.Now(),
		maxFiles: cfg.MaxFiles,
		wake:     -1,
	}
	var err error
	if k.argsSize, err = stringsSize("arguments", cfg.Args); err != nil {
		return nil, err
	}
	if k.envSize, err = stringsSize("environment", cfg.Env); err != nil {
		return nil, err
	}
	if k.random == nil {
		k.random = rand.Reader
	}
	if k.maxFiles <= 0 {
		k.maxFiles = DefaultMaxFiles
	}
	if k.maxFiles < 3+len(cfg.Preopens) {
		k.maxFiles = 3 + len(cfg.Preopens)
	}
	k.fds = []*fdEntry{
		newStdin(cfg.Stdin),
		newStdout(cfg.Stdout),
		newStdout(cfg.Stderr),
	}
	k.open = 3
	for i, p := range cfg.Preopens {
		e, err := newPreopen(p)
		if err != nil {
			k.Close()
			return nil, fmt.Errorf("preopen %d (%q): %w", i, p.Name, err)
		}
		k.fds = append(k.fds, e)
		k.open++
	}
	return k, nil
}

// stringsSize returns the bytes list takes in guest memory, NULs
// included, checking that a 32-bit guest can hold it.
func stringsSize(what string, list []string) (uint32, error) {
	var total uint64
	for i, s := range list {
		if strings.IndexByte(s, 0) >= 0 {
			return 0, fmt.Errorf("%s: entry %d contains a NUL byte", what, i)
		}
		total += uint64(len(s)) + 1
	}
	if total > 1<<32-1 || uint64(len(list))*4 > 1<<32-1 {
		return 0, fmt.Errorf("%s: %d entries of %d bytes do not fit a 32-bit guest", what, len(list), total)
	}
	return uint32(total), nil
}

func newPreopen(p Preopen) (*fdEntry, error) {
	if p.Listener != nil {
		return newListener(p.Listener)
	}
	if p.NS == nil {
		return nil, errors.New("neither a namespace nor a listener")
	}
	path := fs.CleanAbs("/" + p.Path)
	loc, err := p.NS.Locate(path)
	if err != nil {
		return nil, fmt.Errorf("guest path %s: %w", path, err)
	}
	st, err := loc.FS.Lstat(loc.Name)
	if err != nil {
		return nil, fmt.Errorf("guest path %s: %w", path, err)
	}
	if st.Type != fs.TypeDir {
		return nil, fmt.Errorf("guest path %s is a %v, not a directory", path, st.Type)
	}
	return &fdEntry{
		kind:       kindDir,
		filetype:   FiletypeDirectory,
		rights:     dirRights,
		inheriting: dirInheriting,
		ns:         p.NS,
		path:       path,
		preopen:    p.Name,
		isPreopen:  true,
	}, nil
}

// Close closes every descriptor the guest still has open, including the
// preopened ones. The kernel must not be used after.
func (k *Kernel) Close() error {
	var first error
	for fd, e := range k.fds {
		if e == nil {
			continue
		}
		if err := e.close(); err != nil && first == nil {
			first = fmt.Errorf("closing descriptor %d: %w", fd, err)
		}
		k.fds[fd] = nil
	}
	k.open = 0
	if k.wake >= 0 {
		unix.Close(k.wake)
		k.wake = -1
	}
	return first
}

// ExitError is returned by proc_exit: the guest asked to end with Code.
// It is not a failure of the kernel; the engine ends the instance and
// reports the code.
type ExitError struct {
	Code uint32
}

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// fdKind says what a descriptor refers to.
type fdKind uint8

const (
	kindStdin fdKind = iota
	kindStdout
	kindFile
	kindDir
	kindListener
	kindConn
)

// fdEntry is one open descriptor.
type fdEntry struct {
	kind       fdKind
	filetype   Filetype
	rights     Rights
	inheriting Rights
	flags      uint16 // $fdflags: append and nonblock are honoured

	// kindStdin and kindStdout.
	in  *stdinReader
	out io.Writer
	tty bool
	// outMayBlock: out is a pipe or socket (see writeOut); outPending
	// delivers the result of a write a call abandoned.
	outMayBlock bool
	outPending  chan writeResult
	// bufferFailed: a write the guest buffered failed (WriteBuffered).
	bufferFailed bool

	// kindFile.
	file   fs.File
	pos    uint64
	stream io.ReadWriter // for files without offsets; nil otherwise

	// kindDir: a directory is its guest path, resolved afresh by every
	// operation.
	ns          *fs.Namespace
	path        string
	preopen     string
	isPreopen   bool
	dirents     []dirent // fd_readdir snapshot, taken at cookie 0 (see snapshotSet)
	direntBytes int64

	// kindListener and kindConn: a non-blocking host socket.
	sock int
}

func (e *fdEntry) close() error {
	switch e.kind {
	case kindFile:
		return e.file.Close()
	case kindListener, kindConn:
		return unix.Close(e.sock)
	}
	return nil
}

// get returns the entry for fd, or EBADF.
func (k *Kernel) get(fd uint32) (*fdEntry, Errno) {
	if uint64(fd) >= uint64(len(k.fds)) || k.fds[fd] == nil {
		return nil, EBADF
	}
	return k.fds[fd], ESUCCESS
}

// getRights returns the entry for fd if it has every right in need.
func (k *Kernel) getRights(fd uint32, need Rights) (*fdEntry, Errno) {
	e, errno := k.get(fd)
	if errno != ESUCCESS {
		return nil, errno
	}
	if e.rights&need != need {
		return nil, ENOTCAPABLE
	}
	return e, ESUCCESS
}

// insert gives e the lowest free descriptor, or EMFILE.
func (k *Kernel) insert(e *fdEntry) (uint32, Errno) {
	if k.open >= k.maxFiles {
		return 0, EMFILE
	}
	k.open++
	for fd, old := range k.fds {
		if old == nil {
			k.fds[fd] = e
			return uint32(fd), ESUCCESS
		}
	}
	k.fds = append(k.fds, e)
	return uint32(len(k.fds) - 1), ESUCCESS
}

// closeEntry closes e, which no descriptor holds any more.
func (k *Kernel) closeEntry(e *fdEntry) error {
	k.snapshots.drop(e)
	return e.close()
}

// remove frees fd and returns what it held.
func (k *Kernel) remove(fd uint32) *fdEntry {
	e := k.fds[fd]
	k.fds[fd] = nil
	k.open--
	for len(k.fds) > 0 && k.fds[len(k.fds)-1] == nil {
		k.fds = k.fds[:len(k.fds)-1]
	}
	return e
}
