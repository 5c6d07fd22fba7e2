package wasi

import (
	"cmp"
	"context"
	"encoding/binary"
	"slices"
	"strings"
	"unsafe"

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
	ents := e.dirents
	if cookie == 0 || ents == nil {
		var err error
		if ents, err = k.snapshot(e); err != nil {
			return errnoOf(err), nil
		}
		k.snapshots.keep(e, ents)
	} else {
		k.snapshots.use(e)
	}
	used := 0
	var header [direntSize]byte
	for i := cookie; i < uint64(len(ents)) && used < len(buf); i++ {
		d := ents[i]
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
		// A copy of the name: the file system's may share a buffer
		// with much else, which the snapshot would keep alive.
		out = append(out, dirent{name: strings.Clone(d.Name), ino: d.Ino, typ: filetypeOf(d.Type)})
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

// MaxSnapshotBytes bounds the host memory the directory snapshots of
// one kernel's descriptors take together, the garbage collector's
// headroom included (about half a million entries of short names). Without a bound, a guest opening hundreds of descriptors on a
// large directory would hold a copy of it for each.
const MaxSnapshotBytes = 64 << 20

// direntOverhead is what a snapshot entry takes besides its name.
const direntOverhead = int64(unsafe.Sizeof(dirent{}))

// snapshotSet keeps the kernel's directory snapshots within
// MaxSnapshotBytes. Past it, the snapshots used longest ago are
// dropped: their descriptors take a new one at their next fd_readdir,
// where a cookie then counts into the directory as it is by then. A
// directory too large for the bound alone is listed afresh by every
// call, which costs time, not memory.
type snapshotSet struct {
	limit int64 // 0 means MaxSnapshotBytes
	bytes int64
	clock uint64
	held  map[*fdEntry]uint64 // the last use of each snapshot
}

func (s *snapshotSet) keep(e *fdEntry, ents []dirent) {
	s.drop(e)
	cost := int64(len(ents)) * direntOverhead
	for _, d := range ents {
		cost += int64(len(d.name))
	}
	// The garbage collector lets the heap grow to twice what is live
	// before it collects (GOGC=100), so what the bound holds in host
	// memory is twice what the snapshots hold.
	cost *= 2
	limit := cmp.Or(s.limit, MaxSnapshotBytes)
	if cost > limit {
		return
	}
	for s.bytes+cost > limit && len(s.held) > 0 {
		var oldest *fdEntry
		for o, t := range s.held {
			if oldest == nil || t < s.held[oldest] {
				oldest = o
			}
		}
		s.drop(oldest)
	}
	if s.held == nil {
		s.held = map[*fdEntry]uint64{}
	}
	e.dirents, e.direntBytes = ents, cost
	s.bytes += cost
	s.clock++
	s.held[e] = s.clock
}

// use marks e's snapshot as just used.
func (s *snapshotSet) use(e *fdEntry) {
	if _, ok := s.held[e]; ok {
		s.clock++
		s.held[e] = s.clock
	}
}

// drop releases e's snapshot, if it has one.
func (s *snapshotSet) drop(e *fdEntry) {
	if _, ok := s.held[e]; !ok {
		return
	}
	delete(s.held, e)
	s.bytes -= e.direntBytes
	e.dirents, e.direntBytes = nil, 0
}
