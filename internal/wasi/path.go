package wasi

import (
	"context"
	"io"
	"strings"

	"github.com/wasmvisor/wasmvisor/internal/fs"
)

// dirFD returns fd's entry if it is a directory with the rights need.
func (k *Kernel) dirFD(fd uint32, need Rights) (*fdEntry, Errno) {
	e, errno := k.get(fd)
	switch {
	case errno != ESUCCESS:
		return nil, errno
	case e.kind != kindDir:
		return nil, ENOTDIR
	case e.rights&need != need:
		return nil, ENOTCAPABLE
	}
	return e, ESUCCESS
}

// resolve reads the path argument at ptr and resolves it beneath the
// directory e. A final symbolic link is followed if follow is set or,
// unless the path names an entry to create or remove (entry), if the
// path ends in a slash.
func (k *Kernel) resolve(e *fdEntry, m Memory, ptr, n uint32, follow, entry bool) (fs.Resolved, string, Errno) {
	path, errno := m.path(ptr, n)
	if errno != ESUCCESS {
		return fs.Resolved{}, "", errno
	}
	follow = follow || (!entry && strings.HasSuffix(path, "/"))
	r, err := e.ns.Resolve(e.path, path, follow)
	if err != nil {
		return fs.Resolved{}, "", errnoOf(err)
	}
	return r, path, ESUCCESS
}

// resolveEntryAt resolves the guest path (ptr, n) in the directory fd,
// which must hold the rights need, as an entry to create or remove: a
// symbolic link in the last element is the entry itself, not followed.
func (k *Kernel) resolveEntryAt(m Memory, fd uint32, need Rights, ptr, n uint32) (fs.Resolved, string, Errno) {
	e, errno := k.dirFD(fd, need)
	if errno != ESUCCESS {
		return fs.Resolved{}, "", errno
	}
	return k.resolve(e, m, ptr, n, false, true)
}

// pathCreateDirectory implements path_create_directory(fd, path,
// path_len).
func pathCreateDirectory(k *Kernel, _ context.Context, m Memory, p []uint64) (Errno, error) {
	r, _, errno := k.resolveEntryAt(m, uint32(p[0]), RightPathCreateDirectory, uint32(p[1]), uint32(p[2]))
	switch {
	case errno != ESUCCESS:
		return errno, nil
	case r.Exists:
		return EEXIST, nil
	}
	return errnoOf(r.FS.Mkdir(r.Name, 0o777)), nil
}

// pathFilestatGet implements path_filestat_get(fd, flags, path,
// path_len, buf).
func pathFilestatGet(k *Kernel, _ context.Context, m Memory, p []uint64) (Errno, error) {
	e, errno := k.dirFD(uint32(p[0]), RightPathFilestatGet)
	if errno != ESUCCESS {
		return errno, nil
	}
	b, ok := m.Slice(uint32(p[4]), filestatSize)
	if !ok {
		return EFAULT, nil
	}
	r, errno := k.existing(e, m, p[1], uint32(p[2]), uint32(p[3]))
	if errno != ESUCCESS {
		return errno, nil
	}
	putFilestat(b, r.Stat, FiletypeUnknown)
	return ESUCCESS, nil
}

// existing resolves a path argument that must name an existing file,
// following a final link if lookupflags ask for it: ENOENT if there is
// none, ENOTDIR if the path ends in a slash and it is no directory.
func (k *Kernel) existing(e *fdEntry, m Memory, lookupflags uint64, ptr, n uint32) (fs.Resolved, Errno) {
	r, _, errno := k.resolve(e, m, ptr, n, lookupflags&LookupSymlinkFollow != 0, false)
	switch {
	case errno != ESUCCESS:
		return r, errno
	case !r.Exists:
		return r, ENOENT
	case r.TrailingSlash && r.Stat.Type != fs.TypeDir:
		return r, ENOTDIR
	}
	return r, ESUCCESS
}

// pathFilestatSetTimes implements path_filestat_set_times(fd, flags,
// path, path_len, atim, mtim, fst_flags).
func pathFilestatSetTimes(k *Kernel, ctx context.Context, m Memory, p []uint64) (Errno, error) {
	e, errno := k.dirFD(uint32(p[0]), RightPathFilestatSetTimes)
	if errno != ESUCCESS {
		return errno, nil
	}
	atime, mtime, errno := setTimes(p[4], p[5], p[6])
	if errno != ESUCCESS {
		return errno, nil
	}
	r, errno := k.existing(e, m, p[1], uint32(p[2]), uint32(p[3]))
	if errno != ESUCCESS {
		return errno, nil
	}
	return copyUpResult(ctx, fs.WithContext(ctx, r.FS).SetTimes(r.Name, atime, mtime))
}

// copyUpResult is the result of a file-system operation that may copy a
// file up first (an overlay's, through fs.WithContext): the context's
// cause, which ends the guest, if ctx's end cut it short.
func copyUpResult(ctx context.Context, err error) (Errno, error) {
	if isInterrupt(ctx, err) {
		return 0, err
	}
	return errnoOf(err), nil
}

// pathLink implements path_link(old_fd, old_flags, old_path,
// old_path_len, new_fd, new_path, new_path_len).
func pathLink(k *Kernel, ctx context.Context, m Memory, p []uint64) (Errno, error) {
	oe, errno := k.dirFD(uint32(p[0]), RightPathLinkSource)
	if errno != ESUCCESS {
		return errno, nil
	}
	ne, errno := k.dirFD(uint32(p[4]), RightPathLinkTarget)
	if errno != ESUCCESS {
		return errno, nil
	}
	src, errno := k.existing(oe, m, p[1], uint32(p[2]), uint32(p[3]))
	switch {
	case errno != ESUCCESS:
		return errno, nil
	case src.Stat.Type == fs.TypeDir:
		return EPERM, nil
	}
	dst, _, errno := k.resolve(ne, m, uint32(p[5]), uint32(p[6]), false, true)
	switch {
	case errno != ESUCCESS:
		return errno, nil
	case dst.Exists:
		return EEXIST, nil
	case dst.TrailingSlash:
		return ENOENT, nil
	case !sameFS(src.Loc, dst.Loc):
		return EXDEV, nil
	}
	return copyUpResult(ctx, fs.WithContext(ctx, src.FS).Link(src.Name, dst.Name))
}

func sameFS(a, b fs.Loc) bool { return a.FS == b.FS && a.MountPath == b.MountPath }

// pathOpen implements path_open(fd, dirflags, path, path_len, oflags,
// fs_rights_base, fs_rights_inheriting, fdflags, fd_ptr).
//
// The new descriptor gets the requested rights that the directory may
// pass on: asking for more is not an error, as wasi-libc and Go ask for
// broad sets. A file is opened for writing if fd_write is among the
// requested rights, and for reading otherwise too.
func pathOpen(k *Kernel, ctx context.Context, m Memory, p []uint64) (Errno, error) {
	oflags, base, inheriting, fdflags := p[4], Rights(p[5]), Rights(p[6]), p[7]
	resultPtr := uint32(p[8])
	if _, ok := m.Slice(resultPtr, 4); !ok {
		return EFAULT, nil
	}
	creat, excl := oflags&OflagCreat != 0, oflags&OflagExcl != 0
	need := RightPathOpen
	if creat {
		need |= RightPathCreateFile
	}
	e, errno := k.dirFD(uint32(p[0]), need)
	switch {
	case errno != ESUCCESS:
		return errno, nil
	case oflags&^oflagsAll != 0 || fdflags&^fdflagsAll != 0:
		return EINVAL, nil
	}
	// With O_CREAT|O_EXCL a final symbolic link is never followed: it
	// exists, so the open fails.
	follow := p[1]&LookupSymlinkFollow != 0 && !(creat && excl)
	r, _, errno := k.resolve(e, m, uint32(p[2]), uint32(p[3]), follow, false)
	if errno != ESUCCESS {
		return errno, nil
	}
	next := &fdEntry{rights: base & e.inheriting, inheriting: inheriting & e.inheriting, flags: uint16(fdflags)}
	if r.Exists {
		switch {
		case creat && excl:
			return EEXIST, nil
		case r.Stat.Type == fs.TypeSymlink && oflags&OflagDirectory != 0:
			return ENOTDIR, nil
		case r.Stat.Type == fs.TypeSymlink:
			return ELOOP, nil
		case r.Stat.Type == fs.TypeDir:
			if creat || oflags&OflagTrunc != 0 || base&RightFdWrite != 0 {
				return EISDIR, nil
			}
			next.kind, next.filetype = kindDir, FiletypeDirectory
			next.ns, next.path = e.ns, r.Path
			// A directory carries only directory rights, whatever was
			// asked (fd_seek, fd_read): as a pre-opened one does.
			next.rights &= dirRights
		case oflags&OflagDirectory != 0 || r.TrailingSlash:
			return ENOTDIR, nil
		}
	} else {
		switch {
		case !creat:
			return ENOENT, nil
		case oflags&OflagDirectory != 0:
			return EINVAL, nil
		case r.TrailingSlash:
			return EISDIR, nil
		}
	}
	if next.kind != kindDir {
		r.FS = fs.WithContext(ctx, r.FS) // opening for writing may copy a file up
		if errno := openFile(next, r, oflags, base, fdflags); errno != ESUCCESS {
			if ctx.Err() != nil {
				return 0, context.Cause(ctx)
			}
			return errno, nil
		}
	}
	fd, errno := k.insert(next)
	if errno != ESUCCESS {
		next.close()
		return errno, nil
	}
	m.PutUint32(resultPtr, fd)
	return ESUCCESS, nil
}

// openFile opens the non-directory r for the descriptor e.
func openFile(e *fdEntry, r fs.Resolved, oflags uint64, base Rights, fdflags uint64) Errno {
	var flags fs.OpenFlag
	if base&RightFdWrite != 0 {
		flags |= fs.OpenWrite
	}
	if base&RightFdRead != 0 || flags == 0 {
		flags |= fs.OpenRead
	}
	if oflags&OflagCreat != 0 {
		flags |= fs.OpenCreate
		if oflags&OflagExcl != 0 {
			flags |= fs.OpenExclusive
		}
	}
	if oflags&OflagTrunc != 0 {
		flags |= fs.OpenTruncate
	}
	if fdflags&(FdflagSync|FdflagRsync) != 0 {
		flags |= fs.OpenSync
	}
	if fdflags&FdflagDsync != 0 {
		flags |= fs.OpenDSync
	}
	f, err := r.FS.Open(r.Name, flags, 0o666)
	if err != nil {
		return errnoOf(err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return errnoOf(err)
	}
	e.kind, e.file, e.filetype = kindFile, f, filetypeOf(st.Type)
	switch st.Type {
	case fs.TypeCharDevice, fs.TypeFIFO, fs.TypeSocket:
		if rw, ok := f.(io.ReadWriter); ok {
			e.stream = rw
		}
	}
	return ESUCCESS
}

// pathReadlink implements path_readlink(fd, path, path_len, buf,
// buf_len, bufused_ptr). A target longer than the buffer is truncated.
func pathReadlink(k *Kernel, _ context.Context, m Memory, p []uint64) (Errno, error) {
	e, errno := k.dirFD(uint32(p[0]), RightPathReadlink)
	if errno != ESUCCESS {
		return errno, nil
	}
	buf, ok := m.Slice(uint32(p[3]), uint32(p[4]))
	if !ok {
		return EFAULT, nil
	}
	usedPtr := uint32(p[5])
	if _, ok := m.Slice(usedPtr, 4); !ok {
		return EFAULT, nil
	}
	r, errno := k.existing(e, m, 0, uint32(p[1]), uint32(p[2]))
	switch {
	case errno != ESUCCESS:
		return errno, nil
	case r.Stat.Type != fs.TypeSymlink:
		return EINVAL, nil
	}
	target, err := r.FS.Readlink(r.Name)
	if err != nil {
		return errnoOf(err), nil
	}
	m.PutUint32(usedPtr, uint32(copy(buf, target)))
	return ESUCCESS, nil
}

// pathRemoveDirectory implements path_remove_directory(fd, path,
// path_len).
func pathRemoveDirectory(k *Kernel, _ context.Context, m Memory, p []uint64) (Errno, error) {
	r, path, errno := k.resolveEntryAt(m, uint32(p[0]), RightPathRemoveDirectory, uint32(p[1]), uint32(p[2]))
	switch {
	case errno != ESUCCESS:
		return errno, nil
	case !r.Exists:
		return ENOENT, nil
	case r.Dot && lastElem(path) == "..":
		return ENOTEMPTY, nil
	case r.Dot:
		return EINVAL, nil
	case r.Stat.Type != fs.TypeDir:
		return ENOTDIR, nil
	case r.IsMountRoot():
		return EBUSY, nil
	}
	return errnoOf(r.FS.Rmdir(r.Name)), nil
}

// lastElem returns the last non-empty element of a slash-separated path.
func lastElem(path string) string {
	path = strings.TrimRight(path, "/")
	return path[strings.LastIndexByte(path, '/')+1:]
}

// pathRename implements path_rename(fd, old_path, old_path_len, new_fd,
// new_path, new_path_len). Open descriptors of a renamed directory, or
// of directories inside it, follow it to its new path.
func pathRename(k *Kernel, ctx context.Context, m Memory, p []uint64) (Errno, error) {
	oe, errno := k.dirFD(uint32(p[0]), RightPathRenameSource)
	if errno != ESUCCESS {
		return errno, nil
	}
	ne, errno := k.dirFD(uint32(p[3]), RightPathRenameTarget)
	if errno != ESUCCESS {
		return errno, nil
	}
	src, _, errno := k.resolve(oe, m, uint32(p[1]), uint32(p[2]), false, true)
	if errno != ESUCCESS {
		return errno, nil
	}
	dst, _, errno := k.resolve(ne, m, uint32(p[4]), uint32(p[5]), false, true)
	switch {
	case errno != ESUCCESS:
		return errno, nil
	case !src.Exists:
		return ENOENT, nil
	case src.Dot || dst.Dot || src.IsMountRoot() || dst.IsMountRoot():
		return EBUSY, nil
	case src.Stat.Type != fs.TypeDir && (src.TrailingSlash || dst.TrailingSlash):
		return ENOTDIR, nil
	case oe.ns != ne.ns || !sameFS(src.Loc, dst.Loc):
		return EXDEV, nil
	}
	if err := fs.WithContext(ctx, src.FS).Rename(src.Name, dst.Name); err != nil {
		return copyUpResult(ctx, err)
	}
	if src.Stat.Type == fs.TypeDir {
		for _, d := range k.fds {
			if d != nil && d.kind == kindDir && d.ns == oe.ns {
				if rest, ok := strings.CutPrefix(d.path, src.Path); ok && (rest == "" || rest[0] == '/') {
					d.path = dst.Path + rest
				}
			}
		}
	}
	return ESUCCESS, nil
}

// pathSymlink implements path_symlink(old_path, old_path_len, fd,
// new_path, new_path_len): a link at new_path whose target is old_path.
// An absolute target is refused with ENOTCAPABLE, as in wasmtime: a
// guest only ever names paths relative to a descriptor. (Absolute links
// already in a file system, as disk images have, resolve against the
// namespace root.)
func pathSymlink(k *Kernel, _ context.Context, m Memory, p []uint64) (Errno, error) {
	e, errno := k.dirFD(uint32(p[2]), RightPathSymlink)
	if errno != ESUCCESS {
		return errno, nil
	}
	target, errno := m.path(uint32(p[0]), uint32(p[1]))
	switch {
	case errno != ESUCCESS:
		return errno, nil
	case target == "":
		return ENOENT, nil
	case strings.IndexByte(target, 0) >= 0:
		return EINVAL, nil
	case target[0] == '/':
		return ENOTCAPABLE, nil
	}
	r, _, errno := k.resolve(e, m, uint32(p[3]), uint32(p[4]), false, true)
	switch {
	case errno != ESUCCESS:
		return errno, nil
	case r.TrailingSlash && !r.Exists:
		return ENOENT, nil
	case r.TrailingSlash && r.Stat.Type != fs.TypeDir:
		return ENOTDIR, nil
	case r.Exists:
		return EEXIST, nil
	}
	return errnoOf(r.FS.Symlink(target, r.Name)), nil
}

// pathUnlinkFile implements path_unlink_file(fd, path, path_len).
func pathUnlinkFile(k *Kernel, _ context.Context, m Memory, p []uint64) (Errno, error) {
	r, _, errno := k.resolveEntryAt(m, uint32(p[0]), RightPathUnlinkFile, uint32(p[1]), uint32(p[2]))
	switch {
	case errno != ESUCCESS:
		return errno, nil
	case !r.Exists:
		return ENOENT, nil
	case r.Dot || r.Stat.Type == fs.TypeDir:
		return EISDIR, nil
	case r.TrailingSlash:
		return ENOTDIR, nil
	}
	return errnoOf(r.FS.Unlink(r.Name)), nil
}
