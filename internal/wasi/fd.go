package wasi

import (
	"context"
	"encoding/binary"
	"io"
	"math"

	"golang.org/x/sys/unix"

	"github.com/wasmvisor/wasmvisor/internal/fs"
)

// fileFD returns fd's entry if it is a file with offsets and has the
// rights need. A directory gives EISDIR and anything else notFile.
func (k *Kernel) fileFD(fd uint32, need Rights, notFile Errno) (*fdEntry, Errno) {
	e, errno := k.dataFD(fd, 0) // the kind is checked before the rights
	switch {
	case errno != ESUCCESS:
		return nil, errno
	case e.kind != kindFile || e.stream != nil:
		return nil, notFile
	case e.rights&need != need:
		return nil, ENOTCAPABLE
	}
	return e, ESUCCESS
}

// fdAdvise implements fd_advise(fd, offset, len, advice). Advice is only
// checked: the kernel caches nothing it could act on.
func fdAdvise(k *Kernel, _ context.Context, _ Memory, p []uint64) (Errno, error) {
	e, errno := k.get(uint32(p[0]))
	switch {
	case errno != ESUCCESS:
		return errno, nil
	case e.kind != kindFile && e.kind != kindDir || e.stream != nil:
		return ESPIPE, nil
	case e.rights&RightFdAdvise == 0:
		return ENOTCAPABLE, nil
	case uint32(p[3]) > adviceNoreuse:
		return EINVAL, nil
	}
	return ESUCCESS, nil
}

// fdAllocate implements fd_allocate(fd, offset, len).
func fdAllocate(k *Kernel, _ context.Context, _ Memory, p []uint64) (Errno, error) {
	e, errno := k.fileFD(uint32(p[0]), RightFdAllocate, ESPIPE)
	if errno != ESUCCESS {
		return errno, nil
	}
	off, n := p[1], p[2]
	if n == 0 || off > math.MaxInt64 || n > math.MaxInt64-off {
		return EINVAL, nil
	}
	return errnoOf(e.file.Allocate(int64(off), int64(n))), nil
}

// fdClose implements fd_close(fd). Pre-opened descriptors may be closed
// too. A file or directory's close reports no error, as in wasmtime: the
// descriptor is gone whatever close(2) says, and what Linux reports there
// (a failed write-back of a network file system) belongs to fd_sync.
// That is also what lets a micro-VM close such descriptors later
// (Closable).
func fdClose(k *Kernel, _ context.Context, _ Memory, p []uint64) (Errno, error) {
	fd := uint32(p[0])
	e, errno := k.get(fd)
	if errno != ESUCCESS {
		return errno, nil
	}
	err := k.closeEntry(k.remove(fd))
	if k.closeQuietly(e) {
		return ESUCCESS, nil
	}
	return errnoOf(err), nil
}

// closeQuietly reports whether closing e reports no error and tells no
// one but the guest: e is a directory or a file with offsets (not a
// FIFO or a device, whose other end sees the close).
func (k *Kernel) closeQuietly(e *fdEntry) bool {
	return e.kind == kindDir || e.kind == kindFile && e.stream == nil
}

// fdDatasync implements fd_datasync(fd).
func fdDatasync(k *Kernel, _ context.Context, _ Memory, p []uint64) (Errno, error) {
	return k.sync(uint32(p[0]), RightFdDatasync), nil
}

// fdSync implements fd_sync(fd).
func fdSync(k *Kernel, _ context.Context, _ Memory, p []uint64) (Errno, error) {
	return k.sync(uint32(p[0]), RightFdSync), nil
}

func (k *Kernel) sync(fd uint32, need Rights) Errno {
	e, errno := k.get(fd)
	switch {
	case errno != ESUCCESS:
		return errno
	case e.kind != kindFile && e.kind != kindDir:
		return EINVAL
	case e.rights&need == 0:
		return ENOTCAPABLE
	case e.kind == kindDir:
		return ESUCCESS
	}
	return errnoOf(e.file.Sync())
}

// fdFdstatGet implements fd_fdstat_get(fd, stat_ptr).
func fdFdstatGet(k *Kernel, _ context.Context, m Memory, p []uint64) (Errno, error) {
	e, errno := k.get(uint32(p[0]))
	if errno != ESUCCESS {
		return errno, nil
	}
	b, ok := m.Slice(uint32(p[1]), fdstatSize)
	if !ok {
		return EFAULT, nil
	}
	putFdstat(b, e)
	return ESUCCESS, nil
}

// fdFdstatSetFlags implements fd_fdstat_set_flags(fd, flags). Append and
// nonblock may change; the synchronous-write flags are fixed at open.
func fdFdstatSetFlags(k *Kernel, _ context.Context, _ Memory, p []uint64) (Errno, error) {
	return k.SetFdflags(uint32(p[0]), p[1]), nil
}

// fdFdstatSetRights implements fd_fdstat_set_rights(fd, base,
// inheriting): rights can only be dropped.
func fdFdstatSetRights(k *Kernel, _ context.Context, _ Memory, p []uint64) (Errno, error) {
	e, errno := k.get(uint32(p[0]))
	if errno != ESUCCESS {
		return errno, nil
	}
	base, inheriting := Rights(p[1]), Rights(p[2])
	if base&^e.rights != 0 || inheriting&^e.inheriting != 0 {
		return ENOTCAPABLE, nil
	}
	e.rights, e.inheriting = base, inheriting
	return ESUCCESS, nil
}

// fdFilestatGet implements fd_filestat_get(fd, buf).
func fdFilestatGet(k *Kernel, _ context.Context, m Memory, p []uint64) (Errno, error) {
	e, errno := k.getRights(uint32(p[0]), RightFdFilestatGet)
	if errno != ESUCCESS {
		return errno, nil
	}
	b, ok := m.Slice(uint32(p[1]), filestatSize)
	if !ok {
		return EFAULT, nil
	}
	var st fs.Stat
	var err error
	switch e.kind {
	case kindFile:
		st, err = e.file.Stat()
	case kindDir:
		st, err = e.dirStat()
	case kindListener, kindConn:
		var host unix.Stat_t
		if err := unix.Fstat(e.sock, &host); err != nil {
			return errnoOf(err), nil
		}
		st = fs.Stat{Dev: host.Dev, Ino: host.Ino, Nlink: uint64(host.Nlink),
			Atime: host.Atim.Nano(), Mtime: host.Mtim.Nano(), Ctime: host.Ctim.Nano()}
	default:
		// Standard streams report only their type, as in wasmtime.
	}
	if err != nil {
		return errnoOf(err), nil
	}
	putFilestat(b, st, e.filetype)
	return ESUCCESS, nil
}

// dirStat returns the attributes of the directory e.
func (e *fdEntry) dirStat() (fs.Stat, error) {
	loc, err := e.ns.Locate(e.path)
	if err != nil {
		return fs.Stat{}, err
	}
	return loc.FS.Lstat(loc.Name)
}

// putFilestat writes a $filestat. A filetype of FiletypeUnknown is taken
// from st.
func putFilestat(b []byte, st fs.Stat, t Filetype) {
	if t == FiletypeUnknown {
		t = filetypeOf(st.Type)
	}
	clear(b[:filestatSize])
	binary.LittleEndian.PutUint64(b[0:], st.Dev)
	binary.LittleEndian.PutUint64(b[8:], st.Ino)
	b[16] = byte(t)
	binary.LittleEndian.PutUint64(b[24:], st.Nlink)
	binary.LittleEndian.PutUint64(b[32:], st.Size)
	binary.LittleEndian.PutUint64(b[40:], timestamp(st.Atime))
	binary.LittleEndian.PutUint64(b[48:], timestamp(st.Mtime))
	binary.LittleEndian.PutUint64(b[56:], timestamp(st.Ctime))
}

// timestamp converts a time to WASI's unsigned nanoseconds; times before
// the epoch cannot be expressed and read as the epoch.
func timestamp(ns int64) uint64 { return uint64(max(ns, 0)) }

func filetypeOf(t fs.Type) Filetype {
	switch t {
	case fs.TypeRegular:
		return FiletypeRegularFile
	case fs.TypeDir:
		return FiletypeDirectory
	case fs.TypeSymlink:
		return FiletypeSymbolicLink
	case fs.TypeCharDevice:
		return FiletypeCharacterDevice
	case fs.TypeBlockDevice:
		return FiletypeBlockDevice
	case fs.TypeSocket:
		return FiletypeSocketStream
	}
	return FiletypeUnknown
}

// fdFilestatSetSize implements fd_filestat_set_size(fd, size).
func fdFilestatSetSize(k *Kernel, _ context.Context, _ Memory, p []uint64) (Errno, error) {
	e, errno := k.fileFD(uint32(p[0]), RightFdFilestatSetSize, EINVAL)
	if errno != ESUCCESS {
		return errno, nil
	}
	if p[1] > math.MaxInt64 {
		return EFBIG, nil
	}
	return errnoOf(e.file.Truncate(int64(p[1]))), nil
}

// setTimes converts the atim, mtim and fst_flags arguments of the
// *_set_times functions: EINVAL for unknown flags or a time both given
// and set to now.
func setTimes(atim, mtim, flags uint64) (fs.SetTime, fs.SetTime, Errno) {
	if flags&^fstflagsAll != 0 {
		return fs.SetTime{}, fs.SetTime{}, EINVAL
	}
	a, errno := setTime(atim, flags&FstflagAtim != 0, flags&FstflagAtimNow != 0)
	if errno != ESUCCESS {
		return a, a, errno
	}
	m, errno := setTime(mtim, flags&FstflagMtim != 0, flags&FstflagMtimNow != 0)
	return a, m, errno
}

func setTime(t uint64, set, now bool) (fs.SetTime, Errno) {
	switch {
	case set && now:
		return fs.SetTime{}, EINVAL
	case now:
		return fs.TimeNow, ESUCCESS
	case !set:
		return fs.TimeOmit, ESUCCESS
	case t > math.MaxInt64:
		return fs.SetTime{}, EINVAL
	}
	return fs.TimeAt(int64(t)), ESUCCESS
}

// fdFilestatSetTimes implements fd_filestat_set_times(fd, atim, mtim,
// fst_flags).
func fdFilestatSetTimes(k *Kernel, ctx context.Context, _ Memory, p []uint64) (Errno, error) {
	e, errno := k.getRights(uint32(p[0]), RightFdFilestatSetTimes)
	if errno != ESUCCESS {
		return errno, nil
	}
	atime, mtime, errno := setTimes(p[1], p[2], p[3])
	if errno != ESUCCESS {
		return errno, nil
	}
	switch e.kind {
	case kindFile:
		// An overlay copies a file of its image up first, which takes
		// time in proportion to the file: the call's deadline holds.
		return copyUpResult(ctx, fs.SetFileTimes(ctx, e.file, atime, mtime))
	case kindDir:
		loc, err := e.ns.Locate(e.path)
		if err != nil {
			return errnoOf(err), nil
		}
		return copyUpResult(ctx, fs.WithContext(ctx, loc.FS).SetTimes(loc.Name, atime, mtime))
	}
	return EBADF, nil
}

// fdPread implements fd_pread(fd, iovs, iovs_len, offset, nread_ptr).
func fdPread(k *Kernel, _ context.Context, m Memory, p []uint64) (Errno, error) {
	e, errno := k.fileFD(uint32(p[0]), RightFdRead|RightFdSeek, ESPIPE)
	if errno != ESUCCESS {
		return errno, nil
	}
	return k.transfer(m, uint32(p[1]), uint32(p[2]), uint32(p[4]), func(bufs [][]byte) (int, error) {
		if p[3] > math.MaxInt64 {
			return 0, Errno(EINVAL)
		}
		return readAt(e.file, bufs, int64(p[3]))
	}), nil
}

// fdPwrite implements fd_pwrite(fd, iovs, iovs_len, offset, nwritten_ptr).
// On a descriptor in append mode the data goes to the end of the file,
// as on Linux, and the position is unchanged either way.
func fdPwrite(k *Kernel, _ context.Context, m Memory, p []uint64) (Errno, error) {
	e, errno := k.fileFD(uint32(p[0]), RightFdWrite|RightFdSeek, ESPIPE)
	if errno != ESUCCESS {
		return errno, nil
	}
	return k.transfer(m, uint32(p[1]), uint32(p[2]), uint32(p[4]), func(bufs [][]byte) (int, error) {
		off := p[3]
		if e.flags&FdflagAppend != 0 {
			st, err := e.file.Stat()
			if err != nil {
				return 0, err
			}
			off = st.Size
		}
		return writeAt(e.file, bufs, off)
	}), nil
}

// transfer reads the iovec array, checks the result pointer, runs io on
// the buffers and stores the byte count. A partial transfer that ends in
// an error reports the bytes moved, as POSIX read and write do.
func (k *Kernel) transfer(m Memory, iovs, n, resultPtr uint32, io func([][]byte) (int, error)) Errno {
	if _, ok := m.Slice(resultPtr, 4); !ok {
		return EFAULT
	}
	bufs, errno := m.iovecs(k.iovs, iovs, n)
	k.iovs = bufs[:0]
	if errno != ESUCCESS {
		return errno
	}
	done, err := io(bufs)
	clear(bufs) // drop references to guest memory
	if err != nil && done == 0 {
		return errnoOf(err)
	}
	m.PutUint32(resultPtr, uint32(done))
	return ESUCCESS
}

// readAt fills bufs from f at off, stopping at the end of the file.
func readAt(f fs.File, bufs [][]byte, off int64) (int, error) {
	total := 0
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		n, err := f.ReadAt(b, off)
		total += n
		off += int64(n)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
		if n < len(b) {
			break
		}
	}
	return total, nil
}

// writeAt writes bufs to f at off.
func writeAt(f fs.File, bufs [][]byte, off uint64) (int, error) {
	total := 0
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		if off > math.MaxInt64-uint64(len(b)) {
			return total, Errno(EFBIG)
		}
		n, err := f.WriteAt(b, int64(off))
		total += n
		off += uint64(n)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// fdPrestatGet implements fd_prestat_get(fd, buf).
func fdPrestatGet(k *Kernel, _ context.Context, m Memory, p []uint64) (Errno, error) {
	name, errno := k.Prestat(uint32(p[0]))
	if errno != ESUCCESS {
		return errno, nil
	}
	b, ok := m.Slice(uint32(p[1]), prestatSize)
	if !ok {
		return EFAULT, nil
	}
	clear(b)
	b[0] = PreopentypeDir
	binary.LittleEndian.PutUint32(b[4:], uint32(len(name)))
	return ESUCCESS, nil
}

// fdPrestatDirName implements fd_prestat_dir_name(fd, path, path_len).
// The name is written without a NUL.
func fdPrestatDirName(k *Kernel, _ context.Context, m Memory, p []uint64) (Errno, error) {
	name, errno := k.Prestat(uint32(p[0]))
	if errno != ESUCCESS {
		return errno, nil
	}
	if uint32(p[2]) < uint32(len(name)) {
		return ENAMETOOLONG, nil
	}
	b, ok := m.Slice(uint32(p[1]), uint32(len(name)))
	if !ok {
		return EFAULT, nil
	}
	copy(b, name)
	return ESUCCESS, nil
}

// dataFD returns the entry of fd for fd_read and fd_write: anything
// but a directory, holding the right need.
func (k *Kernel) dataFD(fd uint32, need Rights) (*fdEntry, Errno) {
	e, errno := k.get(fd)
	switch {
	case errno != ESUCCESS:
		return nil, errno
	case e.kind == kindDir:
		return nil, EISDIR
	case e.rights&need != need:
		return nil, ENOTCAPABLE
	}
	return e, ESUCCESS
}

// fdRead implements fd_read(fd, iovs, iovs_len, nread_ptr).
func fdRead(k *Kernel, ctx context.Context, m Memory, p []uint64) (Errno, error) {
	e, errno := k.dataFD(uint32(p[0]), RightFdRead)
	if errno != ESUCCESS {
		return errno, nil
	}
	var interrupted error
	errno = k.transfer(m, uint32(p[1]), uint32(p[2]), uint32(p[3]), func(bufs [][]byte) (int, error) {
		switch e.kind {
		case kindFile:
			if e.stream != nil {
				n, err := interruptible(ctx, e.stream, false, func() (int, error) { return readStream(e.stream, bufs) })
				if isInterrupt(ctx, err) {
					interrupted = err
					return 0, nil
				}
				return n, err
			}
			n, err := readAt(e.file, bufs, int64(min(e.pos, math.MaxInt64)))
			e.pos += uint64(n)
			return n, err
		case kindStdin:
			b := firstNonEmpty(bufs)
			if b == nil {
				return 0, nil
			}
			n, err := e.in.read(ctx, b)
			if isInterrupt(ctx, err) {
				interrupted = err
				return 0, nil
			}
			if err == io.EOF {
				err = nil
			}
			return n, err
		case kindConn:
			n, _, err := k.recv(ctx, e, bufs, 0)
			if isInterrupt(ctx, err) {
				interrupted = err
				return 0, nil
			}
			return n, err
		case kindListener:
			return 0, Errno(ENOTCONN)
		}
		return 0, Errno(EBADF)
	})
	return errno, interrupted
}

// readStream reads from a file without offsets: one read, into the
// first buffer with room, since a second could block.
func readStream(r io.Reader, bufs [][]byte) (int, error) {
	b := firstNonEmpty(bufs)
	if b == nil {
		return 0, nil
	}
	n, err := r.Read(b)
	if err == io.EOF {
		err = nil
	}
	return n, err
}

func firstNonEmpty(bufs [][]byte) []byte {
	for _, b := range bufs {
		if len(b) > 0 {
			return b
		}
	}
	return nil
}

// fdWrite implements fd_write(fd, iovs, iovs_len, nwritten_ptr). In
// append mode each write goes to the end of the file and leaves the
// position there.
func fdWrite(k *Kernel, ctx context.Context, m Memory, p []uint64) (Errno, error) {
	e, errno := k.dataFD(uint32(p[0]), RightFdWrite)
	if errno != ESUCCESS {
		return errno, nil
	}
	var interrupted error
	errno = k.transfer(m, uint32(p[1]), uint32(p[2]), uint32(p[3]), func(bufs [][]byte) (int, error) {
		switch e.kind {
		case kindFile:
			if e.stream != nil {
				n, err := interruptible(ctx, e.stream, true, func() (int, error) { return k.writeStream(e.stream, bufs) })
				if isInterrupt(ctx, err) {
					interrupted = err
					return 0, nil
				}
				return n, err
			}
			off := e.pos
			if e.flags&FdflagAppend != 0 {
				st, err := e.file.Stat()
				if err != nil {
					return 0, err
				}
				off = st.Size
			}
			n, err := writeAt(e.file, bufs, off)
			e.pos = off + uint64(n)
			return n, err
		case kindStdout:
			n, err := k.writeOut(ctx, e, bufs)
			if isInterrupt(ctx, err) {
				interrupted = err
				return 0, nil
			}
			return n, err
		case kindConn:
			n, err := k.send(ctx, e, bufs)
			if isInterrupt(ctx, err) {
				interrupted = err
				return 0, nil
			}
			return n, err
		case kindListener:
			return 0, Errno(ENOTCONN)
		}
		return 0, Errno(EBADF)
	})
	return errno, interrupted
}

// maxGather bounds the buffer used to turn several iovecs into one
// write, so that a line printed as "text" + "\n" is one write(2).
const maxGather = 64 << 10

func (k *Kernel) writeStream(w io.Writer, bufs [][]byte) (int, error) {
	total := 0
	nonEmpty := 0
	for _, b := range bufs {
		total += len(b)
		if len(b) > 0 {
			nonEmpty++
		}
	}
	if nonEmpty > 1 && total <= maxGather {
		buf := k.writeBuffer[:0]
		for _, b := range bufs {
			buf = append(buf, b...)
		}
		k.writeBuffer = buf[:0]
		return w.Write(buf)
	}
	written := 0
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		n, err := w.Write(b)
		written += n
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

// fdRenumber implements fd_renumber(fd, to): to is closed and replaced
// by fd, which is then free.
func fdRenumber(k *Kernel, _ context.Context, _ Memory, p []uint64) (Errno, error) {
	from, to := uint32(p[0]), uint32(p[1])
	if _, errno := k.get(from); errno != ESUCCESS {
		return errno, nil
	}
	old, errno := k.get(to)
	if errno != ESUCCESS {
		return errno, nil
	}
	if from == to {
		return ESUCCESS, nil
	}
	err := k.closeEntry(old)
	k.fds[to] = k.fds[from]
	k.remove(from)
	return errnoOf(err), nil
}

// fdSeek implements fd_seek(fd, offset, whence, newoffset_ptr). Asking
// for the position alone needs only the fd_tell right.
func fdSeek(k *Kernel, _ context.Context, m Memory, p []uint64) (Errno, error) {
	offset, whence := int64(p[1]), p[2]
	need := RightFdSeek
	if offset == 0 && whence == WhenceCur {
		need = RightFdTell
	}
	e, errno := k.fileFD(uint32(p[0]), need, ESPIPE)
	if errno != ESUCCESS {
		return errno, nil
	}
	if _, ok := m.Slice(uint32(p[3]), 8); !ok {
		return EFAULT, nil
	}
	var base int64
	switch whence {
	case WhenceSet:
	case WhenceCur:
		base = int64(e.pos)
	case WhenceEnd:
		st, err := e.file.Stat()
		if err != nil {
			return errnoOf(err), nil
		}
		base = int64(min(st.Size, math.MaxInt64))
	default:
		return EINVAL, nil
	}
	pos := base + offset
	if (offset > 0 && pos < base) || pos < 0 {
		return EINVAL, nil
	}
	e.pos = uint64(pos)
	m.PutUint64(uint32(p[3]), e.pos)
	return ESUCCESS, nil
}

// fdTell implements fd_tell(fd, offset_ptr).
func fdTell(k *Kernel, _ context.Context, m Memory, p []uint64) (Errno, error) {
	e, errno := k.fileFD(uint32(p[0]), RightFdTell, ESPIPE)
	if errno != ESUCCESS {
		return errno, nil
	}
	if !m.PutUint64(uint32(p[1]), e.pos) {
		return EFAULT, nil
	}
	return ESUCCESS, nil
}
