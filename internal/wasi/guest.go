package wasi

import (
	"context"
	"encoding/binary"
	"io"
)

// What an engine that runs code in a micro-VM needs to serve some calls
// in the guest, without an exit to the host: the arguments, the
// environment, random bytes, descriptor state, and a way to write
// output the guest buffered. The results must be the ones the calls
// would give, so these share the calls' code.

// Args returns the arguments the kernel was made with.
func (k *Kernel) Args() []string { return k.args }

// Environ returns the environment the kernel was made with.
func (k *Kernel) Environ() []string { return k.env }

// Random fills p as random_get does: from bytes given back with
// UnreadRandom first, then from the kernel's random source.
func (k *Kernel) Random(p []byte) error {
	n := copy(p, k.randomAhead)
	k.randomAhead = k.randomAhead[n:]
	if n == len(p) {
		return nil
	}
	_, err := io.ReadFull(k.random, p[n:])
	return err
}

// UnreadRandom gives back the bytes at the end of what Random gave that
// the guest did not use (p is copied): random_get returns them first, so that the
// guest sees its source's bytes in their order whoever serves it.
func (k *Kernel) UnreadRandom(p []byte) {
	k.randomAhead = append(append([]byte(nil), p...), k.randomAhead...)
}

// Buffered reports whether the guest may hold back writes to fd and
// have them written later in one piece: fd is standard output or error
// (as made or renumbered), may be written, is not a terminal (where
// someone reads output as it comes), and no such write has failed.
func (k *Kernel) Buffered(fd uint32) bool {
	e, errno := k.get(fd)
	return errno == ESUCCESS && e.kind == kindStdout && e.rights&RightFdWrite != 0 &&
		!e.tty && !e.bufferFailed
}

// WriteBuffered writes p to fd, which Buffered reported, for writes the
// guest has already seen succeed. If it fails, fd is no longer
// Buffered, so the guest's next write reports the failure.
func (k *Kernel) WriteBuffered(ctx context.Context, fd uint32, p []byte) error {
	e, errno := k.get(fd)
	switch {
	case errno != ESUCCESS:
		return errno
	case e.kind != kindStdout:
		return EBADF
	}
	n, err := k.writeOut(ctx, e, [][]byte{p})
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		e.bufferFailed = true
	}
	return err
}

// Fdstat returns fd_fdstat_get's record of fd, or the errno it fails
// with.
func (k *Kernel) Fdstat(fd uint32) (stat [fdstatSize]byte, errno Errno) {
	e, errno := k.get(fd)
	if errno == ESUCCESS {
		putFdstat(stat[:], e)
	}
	return stat, errno
}

// Prestat returns the name fd_prestat_get and fd_prestat_dir_name
// report for fd, a preopened directory, or the errno they fail with.
func (k *Kernel) Prestat(fd uint32) (name string, errno Errno) {
	e, errno := k.get(fd)
	switch {
	case errno != ESUCCESS:
		return "", errno
	case !e.isPreopen:
		return "", EBADF
	}
	return e.preopen, ESUCCESS
}

// SetFdflags sets fd's flags as fd_fdstat_set_flags does: append and
// nonblock may change; the synchronous-write flags are fixed at open.
func (k *Kernel) SetFdflags(fd uint32, flags uint64) Errno {
	e, errno := k.getRights(fd, RightFdFdstatSetFlags)
	if errno != ESUCCESS {
		return errno
	}
	const syncFlags = FdflagDsync | FdflagRsync | FdflagSync
	if flags&^fdflagsAll != 0 || (uint16(flags)^e.flags)&syncFlags != 0 {
		return EINVAL
	}
	e.flags = uint16(flags)
	return ESUCCESS
}

// putFdstat writes e's $fdstat into b, fdstatSize bytes.
func putFdstat(b []byte, e *fdEntry) {
	clear(b)
	b[0] = byte(e.filetype)
	binary.LittleEndian.PutUint16(b[2:], e.flags)
	binary.LittleEndian.PutUint64(b[8:], uint64(e.rights))
	binary.LittleEndian.PutUint64(b[16:], uint64(e.inheriting))
}

// Closable reports whether fd_close(fd) would succeed and nothing
// outside the guest can tell when it happens (a directory or a file
// with offsets), so that it may be done later, by CloseLater.
func (k *Kernel) Closable(fd uint32) bool {
	e, errno := k.get(fd)
	return errno == ESUCCESS && k.closeQuietly(e)
}

// CloseLater closes fd, which Closable reported, for an fd_close the
// guest already saw succeed.
func (k *Kernel) CloseLater(fd uint32) {
	if k.Closable(fd) {
		k.closeEntry(k.remove(fd))
	}
}

// DirEnd returns the cookie from which fd_readdir(fd, …) reads nothing:
// the end of fd's directory listing, while the kernel holds it, so that
// such a call changes nothing but the listing's last use (DirRead). It
// returns 0 if there is none: a cookie of 0 lists the directory afresh.
func (k *Kernel) DirEnd(fd uint32) uint64 {
	e, errno := k.dirFD(fd, RightFdReaddir)
	if errno != ESUCCESS || e.dirents == nil {
		return 0
	}
	return uint64(len(e.dirents))
}

// DirRead records an fd_readdir of fd at or past DirEnd, answered
// without the kernel, as the kernel records it: the listing was used.
func (k *Kernel) DirRead(fd uint32) {
	if e, errno := k.dirFD(fd, RightFdReaddir); errno == ESUCCESS && e.dirents != nil {
		k.snapshots.use(e)
	}
}
