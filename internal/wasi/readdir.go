package wasi

import (
	"context"
	"encoding/binary"
	"slices"

	"github.com/wasmvisor/wasmvisor/internal/fs"
)

// dirent is one entry of a directory snapshot.
type dirent struct {
	name string
	ino  uint64
	typ  Filetype
}

// fdReaddir implements fd_readdir(fd, buf, buf_len, cookie,
// bufused_ptr).
//
// Reading from cookie 0 takes a snapshot of the directory: ".", "..",
// then the file system's entries in its own order. Entry i has cookie i
// and d_next i+1, and later calls with non-zero cookies read the same
// snapshot, so cookies stay valid however the directory changes in
// between. The buffer is filled up to its last byte, cutting the last
// entry short if need be, which is how the guest learns to call again.
func fdReaddir(k *Kernel, _ context.Context, m Memory, p []uint64) (Errno, error) {
	e, errno := k.dirFD(uint32(p[0]), RightFdReaddir)
	if errno != ESUCCESS {
		return errno, nil
	}
	buf, ok := m.Slice(uint32(p[1]), uint32(p[2]))
	if !ok {
		return EFAULT, nil
	}
	usedPtr, cookie := uint32(p[4]), p[3]
	if _, ok := m.Slice(usedPtr, 4); !ok {
		return EFAULT, nil
	}
	if cookie == 0 || e.dirents == nil {
		ents, err := k.snapshot(e)
		if err != nil {
			return errnoOf(err), nil
		}
		e.dirents = ents
	}
	used := 0
	var header [direntSize]byte
	for i := cookie; i < uint64(len(e.dirents)) && used < len(buf); i++ {
		d := e.dirents[i]
		binary.LittleEndian.PutUint64(header[0:], i+1)
		binary.LittleEndian.PutUint64(header[8:], d.ino)
		binary.LittleEndian.PutUint32(header[16:], uint32(len(d.name)))
		header[20] = byte(d.typ)
		used += copy(buf[used:], header[:])
		used += copy(buf[used:], d.name)
	}
	m.PutUint32(usedPtr, uint32(used))
	return ESUCCESS, nil
}

// snapshot lists the directory e. Mount points directly inside it are
// listed even where the file system below has no such entry.
func (k *Kernel) snapshot(e *fdEntry) ([]dirent, error) {
	loc, err := e.ns.Locate(e.path)
	if err != nil {
		return nil, err
	}
	self, err := loc.FS.Lstat(loc.Name)
	if err != nil {
		return nil, err
	}
	parentIno := self.Ino
	if e.path != "/" {
		if pl, err := e.ns.Locate(e.path + "/.."); err == nil {
			if st, err := pl.FS.Lstat(pl.Name); err == nil {
				parentIno = st.Ino
			}
		}
	}
	list, err := loc.FS.ReadDir(loc.Name)
	if err != nil {
		return nil, err
	}
	out := make([]dirent, 0, len(list)+2)
	out = append(out,
		dirent{name: ".", ino: self.Ino, typ: FiletypeDirectory},
		dirent{name: "..", ino: parentIno, typ: FiletypeDirectory})
	for _, d := range list {
		out = append(out, dirent{name: d.Name, ino: d.Ino, typ: filetypeOf(d.Type)})
	}
	for _, name := range e.ns.ChildMounts(e.path) {
		if slices.ContainsFunc(list, func(d fs.DirEntry) bool { return d.Name == name }) {
			continue
		}
		ml, err := e.ns.Locate(e.path + "/" + name)
		if err != nil {
			continue
		}
		if st, err := ml.FS.Lstat(ml.Name); err == nil {
			out = append(out, dirent{name: name, ino: st.Ino, typ: FiletypeDirectory})
		}
	}
	return out, nil
}
