package wasi

import (
	"encoding/binary"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const rwRights = RightFdRead | RightFdWrite | RightFdSeek | RightFdTell | RightFdFilestatGet |
	RightFdFilestatSetSize | RightFdFilestatSetTimes | RightFdAllocate | RightFdAdvise |
	RightFdSync | RightFdDatasync | RightFdFdstatSetFlags | RightPollFdReadwrite

func TestFdstat(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		fd         uint64
		filetype   Filetype
		rights     Rights
		inheriting Rights
	}{
		{0, FiletypeUnknown, stdinRights, 0},
		{1, FiletypeUnknown, stdoutRights, 0},
		{2, FiletypeUnknown, stdoutRights, 0},
		{rootFD, FiletypeDirectory, dirRights, dirInheriting},
	}
	for _, tt := range tests {
		e.want(ESUCCESS, "fd_fdstat_get", tt.fd, resultPtr)
		b := e.mem[resultPtr:]
		if Filetype(b[0]) != tt.filetype || Rights(e.u64(resultPtr+8)) != tt.rights ||
			Rights(e.u64(resultPtr+16)) != tt.inheriting || binary.LittleEndian.Uint16(b[2:]) != 0 {
			t.Errorf("fd %d: type %d flags %d rights %#x inheriting %#x", tt.fd, b[0],
				binary.LittleEndian.Uint16(b[2:]), e.u64(resultPtr+8), e.u64(resultPtr+16))
		}
	}
	// The rights wasi-libc and wasmtime users expect on a preopen.
	for _, r := range []Rights{RightPathOpen, RightFdReaddir, RightPathCreateFile, RightPathCreateDirectory,
		RightPathUnlinkFile, RightPathRemoveDirectory, RightPathRenameSource, RightPathRenameTarget,
		RightPathSymlink, RightPathReadlink, RightPathFilestatGet, RightFdFilestatGet} {
		if dirRights&r == 0 {
			t.Errorf("directories lack right %#x", r)
		}
	}
	e.want(EBADF, "fd_fdstat_get", 99, resultPtr)
	e.want(EFAULT, "fd_fdstat_get", 1, memSize-23)
}

func TestPrestat(t *testing.T) {
	e := newEnv(t)
	e.want(ESUCCESS, "fd_prestat_get", rootFD, resultPtr)
	if e.mem[resultPtr] != PreopentypeDir || e.u32(resultPtr+4) != 1 {
		t.Fatalf("prestat: tag %d len %d", e.mem[resultPtr], e.u32(resultPtr+4))
	}
	e.want(ESUCCESS, "fd_prestat_dir_name", rootFD, pathPtr, 10)
	if e.mem[pathPtr] != '/' {
		t.Errorf("name %q", e.mem[pathPtr:pathPtr+1])
	}
	e.want(ENAMETOOLONG, "fd_prestat_dir_name", rootFD, pathPtr, 0)
	e.want(EFAULT, "fd_prestat_dir_name", rootFD, memSize, 1)
	e.want(EFAULT, "fd_prestat_get", rootFD, memSize-7)
	e.want(EBADF, "fd_prestat_get", 0, resultPtr)
	e.want(EBADF, "fd_prestat_get", rootFD+1, resultPtr)
	e.want(EBADF, "fd_prestat_dir_name", 1, pathPtr, 10)
	// A directory opened beneath a preopen is no preopen.
	fd := e.open(rootFD, ".", OflagDirectory, dirRights, 0)
	e.want(EBADF, "fd_prestat_get", uint64(fd), resultPtr)
	// Closing a preopen is allowed; then it is gone.
	e.want(ESUCCESS, "fd_close", rootFD)
	e.want(EBADF, "fd_prestat_get", rootFD, resultPtr)
}

func TestFile_ReadWriteSeek(t *testing.T) {
	e := newEnv(t)
	fd := uint64(e.open(rootFD, "f", OflagCreat, rwRights, 0))
	if n := e.write(uint32(fd), "hello world"); n != 11 {
		t.Fatalf("wrote %d", n)
	}
	e.want(ESUCCESS, "fd_tell", fd, resultPtr)
	if e.u64(resultPtr) != 11 {
		t.Fatalf("tell %d", e.u64(resultPtr))
	}
	tests := []struct {
		offset int64
		whence uint64
		want   uint64
		errno  Errno
	}{
		{0, WhenceSet, 0, ESUCCESS},
		{6, WhenceCur, 6, ESUCCESS},
		{-5, WhenceEnd, 6, ESUCCESS},
		{100, WhenceSet, 100, ESUCCESS},
		{-1, WhenceSet, 0, EINVAL},
		{-200, WhenceCur, 0, EINVAL},
		{0, 3, 0, EINVAL},
		{6, WhenceSet, 6, ESUCCESS},
	}
	for _, tt := range tests {
		e.want(tt.errno, "fd_seek", fd, uint64(tt.offset), tt.whence, resultPtr)
		if tt.errno == ESUCCESS && e.u64(resultPtr) != tt.want {
			t.Errorf("seek %d/%d: at %d, want %d", tt.offset, tt.whence, e.u64(resultPtr), tt.want)
		}
	}
	if got := e.read(uint32(fd), 100); got != "world" {
		t.Fatalf("read %q", got)
	}
	if got := e.read(uint32(fd), 100); got != "" {
		t.Fatalf("read at EOF %q", got)
	}
	// Scatter read over several iovecs, one of them empty.
	e.want(ESUCCESS, "fd_seek", fd, 0, WhenceSet, resultPtr)
	iovs, n := e.iovecs(3, 0, 4, 100)
	e.want(ESUCCESS, "fd_read", fd, iovs, n, resultPtr)
	if e.u32(resultPtr) != 11 || string(e.mem[bufPtr:bufPtr+11]) != "hello world" {
		t.Fatalf("readv: %d %q", e.u32(resultPtr), e.mem[bufPtr:bufPtr+11])
	}
	// pread and pwrite leave the position alone.
	e.want(ESUCCESS, "fd_seek", fd, 2, WhenceSet, resultPtr)
	copy(e.mem[bufPtr:], "HELLO")
	iovs, n = e.iovecs(5)
	e.want(ESUCCESS, "fd_pwrite", fd, iovs, n, 0, resultPtr)
	e.want(ESUCCESS, "fd_pread", fd, iovs, n, 6, resultPtr)
	if got := string(e.mem[bufPtr : bufPtr+e.u32(resultPtr)]); got != "world" {
		t.Fatalf("pread: %q", got)
	}
	e.want(ESUCCESS, "fd_tell", fd, resultPtr)
	if e.u64(resultPtr) != 2 {
		t.Errorf("pread/pwrite moved the position to %d", e.u64(resultPtr))
	}
	if got := e.readFile("f"); got != "HELLO world" {
		t.Errorf("contents %q", got)
	}
	// Bad memory: the iovec array, a buffer it names, the result.
	e.want(EFAULT, "fd_write", fd, memSize-4, 1, resultPtr)
	binary.LittleEndian.PutUint32(e.mem[iovPtr:], memSize-2)
	binary.LittleEndian.PutUint32(e.mem[iovPtr+4:], 3)
	e.want(EFAULT, "fd_write", fd, iovPtr, 1, resultPtr)
	e.want(EFAULT, "fd_read", fd, iovPtr, 1, resultPtr)
	iovs, n = e.iovecs(1)
	e.want(EFAULT, "fd_read", fd, iovs, n, memSize-3)
	e.want(EINVAL, "fd_write", fd, iovs, maxIovecs+1, resultPtr)
	e.want(EBADF, "fd_write", 77, iovs, n, resultPtr)
}

func TestFile_Append(t *testing.T) {
	e := newEnv(t)
	e.writeFile("log", "start\n")
	fd := uint64(e.open(rootFD, "log", 0, rwRights, FdflagAppend))
	e.want(ESUCCESS, "fd_fdstat_get", fd, resultPtr)
	if flags := binary.LittleEndian.Uint16(e.mem[resultPtr+2:]); flags != FdflagAppend {
		t.Fatalf("flags %#x", flags)
	}
	e.want(ESUCCESS, "fd_seek", fd, 0, WhenceSet, resultPtr)
	e.write(uint32(fd), "one\n")
	e.want(ESUCCESS, "fd_tell", fd, resultPtr)
	if e.u64(resultPtr) != 10 {
		t.Errorf("position after an append: %d", e.u64(resultPtr))
	}
	// pwrite in append mode appends, as on Linux.
	copy(e.mem[bufPtr:], "two\n")
	iovs, n := e.iovecs(4)
	e.want(ESUCCESS, "fd_pwrite", fd, iovs, n, 0, resultPtr)
	if got := e.readFile("log"); got != "start\none\ntwo\n" {
		t.Fatalf("contents %q", got)
	}
	// Clearing append writes at the position again.
	e.want(ESUCCESS, "fd_fdstat_set_flags", fd, 0)
	e.want(ESUCCESS, "fd_seek", fd, 0, WhenceSet, resultPtr)
	e.write(uint32(fd), "START")
	if got := e.readFile("log"); got != "START\none\ntwo\n" {
		t.Fatalf("contents %q", got)
	}
	e.want(ESUCCESS, "fd_fdstat_set_flags", fd, FdflagNonblock)
	e.want(EINVAL, "fd_fdstat_set_flags", fd, FdflagSync)
	e.want(EINVAL, "fd_fdstat_set_flags", fd, 1<<5)
}

func TestRights(t *testing.T) {
	e := newEnv(t)
	fd := uint64(e.open(rootFD, "f", OflagCreat, RightFdRead|RightFdWrite|RightFdSeek|RightFdTell, 0))
	e.write(uint32(fd), "data")
	e.want(ESUCCESS, "fd_fdstat_set_rights", fd, uint64(RightFdSeek|RightFdTell), 0)
	iovs, n := e.iovecs(4)
	e.want(ENOTCAPABLE, "fd_read", fd, iovs, n, resultPtr)
	e.want(ENOTCAPABLE, "fd_write", fd, iovs, n, resultPtr)
	e.want(ENOTCAPABLE, "fd_fdstat_set_rights", fd, uint64(RightFdSeek|RightFdTell|RightFdRead), 0)
	e.want(ESUCCESS, "fd_seek", fd, 0, WhenceSet, resultPtr)
	// Seek asking only for the position needs only fd_tell.
	e.want(ESUCCESS, "fd_fdstat_set_rights", fd, uint64(RightFdTell), 0)
	e.want(ESUCCESS, "fd_seek", fd, 0, WhenceCur, resultPtr)
	e.want(ENOTCAPABLE, "fd_seek", fd, 1, WhenceCur, resultPtr)
	e.want(ENOTCAPABLE, "fd_filestat_get", fd, resultPtr)

	// Rights asked for beyond what the directory passes on are dropped,
	// not refused.
	fd = uint64(e.open(rootFD, "f", 0, rightsAll, 0))
	e.want(ESUCCESS, "fd_fdstat_get", fd, resultPtr)
	if got := Rights(e.u64(resultPtr + 8)); got != rightsAll&dirInheriting {
		t.Errorf("rights %#x, want %#x", got, rightsAll&dirInheriting)
	}
	// A directory without the rights to create cannot.
	p, n := e.path(pathPtr, ".")
	e.want(ESUCCESS, "path_open", rootFD, 0, p, n, OflagDirectory, uint64(RightPathOpen), uint64(RightFdRead), 0, resultPtr)
	dir := uint64(e.u32(resultPtr))
	p, n = e.path(pathPtr, "new")
	e.want(ENOTCAPABLE, "path_open", dir, 0, p, n, OflagCreat, 0, 0, 0, resultPtr)
	e.want(ENOTCAPABLE, "path_create_directory", dir, p, n)
	e.want(ENOTCAPABLE, "fd_readdir", dir, bufPtr, 100, 0, resultPtr)
	// Files opened from it inherit at most fd_read.
	file := uint64(e.open(uint32(dir), "f", 0, rwRights, 0))
	e.want(ESUCCESS, "fd_fdstat_get", file, resultPtr)
	if got := Rights(e.u64(resultPtr + 8)); got != RightFdRead {
		t.Errorf("inherited rights %#x", got)
	}
}

func TestCloseRenumber(t *testing.T) {
	e := newEnv(t)
	a := e.open(rootFD, "a", OflagCreat, rwRights, 0)
	b := e.open(rootFD, "b", OflagCreat, rwRights, 0)
	if a != 4 || b != 5 {
		t.Fatalf("descriptors %d, %d; want the lowest free, 4 and 5", a, b)
	}
	e.write(a, "A")
	e.want(ESUCCESS, "fd_renumber", uint64(a), uint64(b))
	e.want(EBADF, "fd_close", uint64(a))
	e.write(b, "B") // b is now file a
	if got := e.readFile("a"); got != "AB" {
		t.Errorf("a contains %q", got)
	}
	e.want(EBADF, "fd_renumber", uint64(a), uint64(b))
	e.want(EBADF, "fd_renumber", uint64(b), 99)
	e.want(ESUCCESS, "fd_renumber", uint64(b), uint64(b))
	e.want(ESUCCESS, "fd_close", uint64(b))
	e.want(EBADF, "fd_close", uint64(b))
	if c := e.open(rootFD, "c", OflagCreat, rwRights, 0); c != 4 {
		t.Errorf("after closing, got descriptor %d, want 4", c)
	}
}

func TestMaxFiles(t *testing.T) {
	e := newEnvFS(t, newEnv(t).root, Config{MaxFiles: 6})
	e.open(rootFD, "a", OflagCreat, rwRights, 0)
	e.open(rootFD, "b", OflagCreat, rwRights, 0)
	if errno := e.openErr(rootFD, 0, "c", OflagCreat, rwRights); errno != EMFILE {
		t.Fatalf("open past the limit: %v", errno)
	}
}

func TestDirectoryAsFile(t *testing.T) {
	e := newEnv(t)
	iovs, n := e.iovecs(10)
	for _, tt := range []struct {
		name string
		args []uint64
	}{
		{"fd_read", []uint64{rootFD, iovs, n, resultPtr}},
		{"fd_write", []uint64{rootFD, iovs, n, resultPtr}},
		{"fd_pread", []uint64{rootFD, iovs, n, 0, resultPtr}},
		{"fd_pwrite", []uint64{rootFD, iovs, n, 0, resultPtr}},
		{"fd_seek", []uint64{rootFD, 0, WhenceCur, resultPtr}},
		{"fd_tell", []uint64{rootFD, resultPtr}},
		{"fd_allocate", []uint64{rootFD, 0, 1}},
		{"fd_filestat_set_size", []uint64{rootFD, 0}},
	} {
		e.want(EISDIR, tt.name, tt.args...)
	}
	e.want(ENOTDIR, "fd_readdir", 1, bufPtr, 100, 0, resultPtr)
	fd := uint64(e.open(rootFD, "f", OflagCreat, rwRights, 0))
	e.want(ENOTDIR, "fd_readdir", fd, bufPtr, 100, 0, resultPtr)
	p, l := e.path(pathPtr, "x")
	e.want(ENOTDIR, "path_open", fd, 0, p, l, 0, 0, 0, 0, resultPtr)
	e.want(ENOTDIR, "path_create_directory", fd, p, l)
}

func TestFilestat(t *testing.T) {
	e := newEnv(t)
	fd := uint64(e.open(rootFD, "f", OflagCreat, rwRights, 0))
	e.write(uint32(fd), "12345")
	e.want(ESUCCESS, "fd_filestat_get", fd, resultPtr)
	ino, typ, nlink, size, _, _ := e.filestat()
	if ino == 0 || typ != FiletypeRegularFile || nlink != 1 || size != 5 {
		t.Fatalf("filestat: ino %d type %d nlink %d size %d", ino, typ, nlink, size)
	}
	p, n := e.path(pathPtr, "f")
	e.want(ESUCCESS, "path_filestat_get", rootFD, 0, p, n, resultPtr)
	if ino2, _, _, _, _, _ := e.filestat(); ino2 != ino {
		t.Errorf("path and descriptor disagree on the inode: %d, %d", ino2, ino)
	}
	e.want(ESUCCESS, "fd_filestat_get", rootFD, resultPtr)
	if _, typ, _, _, _, _ := e.filestat(); typ != FiletypeDirectory {
		t.Errorf("root type %d", typ)
	}
	e.want(EFAULT, "fd_filestat_get", fd, memSize-63)

	e.want(ESUCCESS, "fd_filestat_set_size", fd, 2)
	e.want(ESUCCESS, "fd_allocate", fd, 4, 4)
	e.want(ESUCCESS, "fd_filestat_get", fd, resultPtr)
	if _, _, _, size, _, _ := e.filestat(); size != 8 {
		t.Errorf("size after truncate and allocate: %d", size)
	}
	e.want(EINVAL, "fd_allocate", fd, 0, 0)
	e.want(EFBIG, "fd_filestat_set_size", fd, 1<<63)

	const at, mt = 1_000_000_000_000_000_123, 1_100_000_000_000_000_456
	e.want(ESUCCESS, "fd_filestat_set_times", fd, at, mt, FstflagAtim|FstflagMtim)
	e.want(ESUCCESS, "fd_filestat_get", fd, resultPtr)
	if _, _, _, _, a, m := e.filestat(); a != at || m != mt {
		t.Errorf("times %d %d", a, m)
	}
	e.want(ESUCCESS, "fd_filestat_set_times", fd, 0, 5, FstflagMtim)
	e.want(ESUCCESS, "fd_filestat_get", fd, resultPtr)
	if _, _, _, _, a, m := e.filestat(); a != at || m != 5 {
		t.Errorf("times after setting mtime only: %d %d", a, m)
	}
	e.want(EINVAL, "fd_filestat_set_times", fd, 0, 0, FstflagAtim|FstflagAtimNow)
	e.want(EINVAL, "fd_filestat_set_times", fd, 0, 0, FstflagMtim|FstflagMtimNow)
	e.want(EINVAL, "fd_filestat_set_times", fd, 0, 0, 1<<4)
	e.want(ESUCCESS, "fd_filestat_set_times", rootFD, 7, 8, FstflagAtim|FstflagMtim)
	e.want(ESUCCESS, "fd_filestat_get", rootFD, resultPtr)
	if _, _, _, _, a, m := e.filestat(); a != 7 || m != 8 {
		t.Errorf("directory times %d %d", a, m)
	}

	e.want(ESUCCESS, "fd_advise", fd, 0, 10, 1)
	e.want(EINVAL, "fd_advise", fd, 0, 10, 6)
	e.want(ESPIPE, "fd_advise", 1, 0, 10, 0)
	e.want(ESUCCESS, "fd_sync", fd)
	e.want(ESUCCESS, "fd_datasync", fd)
	e.want(EINVAL, "fd_sync", 1)
	e.want(ENOTCAPABLE, "fd_sync", rootFD)
}

// readdir reads the whole directory fd with a buffer of size bytes,
// following cookies, and returns "name:type" entries and their inodes.
func readdir(e *kernelEnv, fd uint64, size uint32) ([]string, map[string]uint64) {
	e.t.Helper()
	var names []string
	inos := map[string]uint64{}
	cookie := uint64(0)
	for {
		e.want(ESUCCESS, "fd_readdir", fd, bufPtr, uint64(size), cookie, resultPtr)
		used := e.u32(resultPtr)
		buf := e.mem[bufPtr : bufPtr+used]
		progress := false
		for len(buf) >= direntSize {
			next := binary.LittleEndian.Uint64(buf)
			namlen := binary.LittleEndian.Uint32(buf[16:])
			if uint32(len(buf)) < direntSize+namlen {
				break // cut short: read again from this entry's cookie
			}
			name := string(buf[direntSize : direntSize+namlen])
			names = append(names, name+":"+string('0'+buf[20]))
			inos[name] = binary.LittleEndian.Uint64(buf[8:])
			cookie = next
			progress = true
			buf = buf[direntSize+namlen:]
		}
		if used < size {
			return names, inos
		}
		if !progress {
			e.t.Fatalf("a buffer of %d bytes cannot hold one entry", size)
		}
	}
}

func TestReaddir(t *testing.T) {
	e := newEnv(t)
	e.mkdir("d")
	e.mkdir("d/sub")
	e.writeFile("d/file", "x")
	e.symlink("file", "d/link")
	fd := uint64(e.open(rootFD, "d", OflagDirectory, dirRights, 0))
	for _, size := range []uint32{4096, 30, 40, 64} {
		names, inos := readdir(e, fd, size)
		sort.Strings(names)
		want := "..:3 .:3 file:4 link:7 sub:3" // sorted: '.' < ':'
		if got := strings.Join(names, " "); got != want {
			t.Errorf("buffer %d: %s, want %s", size, got, want)
		}
		e.want(ESUCCESS, "fd_filestat_get", fd, resultPtr)
		if self, _, _, _, _, _ := e.filestat(); inos["."] != self {
			t.Errorf(". has inode %d, the directory %d", inos["."], self)
		}
		e.want(ESUCCESS, "fd_filestat_get", rootFD, resultPtr)
		if parent, _, _, _, _, _ := e.filestat(); inos[".."] != parent {
			t.Errorf(".. has inode %d, the parent %d", inos[".."], parent)
		}
	}
	e.want(EFAULT, "fd_readdir", fd, memSize-10, 11, 0, resultPtr)
	e.want(EFAULT, "fd_readdir", fd, bufPtr, 10, 0, memSize)
	e.want(ESUCCESS, "fd_readdir", fd, bufPtr, 100, 1<<40, resultPtr)
	if e.u32(resultPtr) != 0 {
		t.Error("a cookie past the end gave entries")
	}
}

// TestReaddir_StableCookies checks that cookies from one pass keep their
// meaning while the directory changes, until the guest reads from 0.
func TestReaddir_StableCookies(t *testing.T) {
	e := newEnv(t)
	for i := range 50 {
		e.writeFile(strings.Repeat("n", 1+i%7)+string(rune('a'+i%26))+string(rune('a'+i/26)), "")
	}
	fd := uint64(e.open(rootFD, ".", OflagDirectory, dirRights, 0))
	e.want(ESUCCESS, "fd_readdir", fd, bufPtr, 200, 0, resultPtr)
	// The last complete entry in the buffer.
	buf := e.mem[bufPtr : bufPtr+200]
	var cookie uint64
	var firstNames []string
	for len(buf) >= direntSize {
		namlen := binary.LittleEndian.Uint32(buf[16:])
		if uint32(len(buf)) < direntSize+namlen {
			break
		}
		firstNames = append(firstNames, string(buf[direntSize:direntSize+namlen]))
		cookie = binary.LittleEndian.Uint64(buf)
		buf = buf[direntSize+namlen:]
	}
	all, _ := readdir(e, fd, 4096)
	// Change the directory, then continue from the saved cookie: the
	// rest of the first snapshot comes, not the new entry.
	e.writeFile("zzz-new", "")
	e.want(ESUCCESS, "fd_readdir", fd, bufPtr, 4096, cookie, resultPtr)
	rest := e.mem[bufPtr : bufPtr+e.u32(resultPtr)]
	count := 0
	for len(rest) >= direntSize {
		namlen := binary.LittleEndian.Uint32(rest[16:])
		if string(rest[direntSize:direntSize+namlen]) == "zzz-new" {
			t.Fatal("a continued pass shows an entry created after it began")
		}
		rest = rest[direntSize+namlen:]
		count++
	}
	if len(firstNames)+count != len(all) {
		t.Errorf("%d + %d entries, want %d", len(firstNames), count, len(all))
	}
	// A new pass sees it.
	names, _ := readdir(e, fd, 4096)
	if len(names) != len(all)+1 {
		t.Errorf("new pass: %d entries, want %d", len(names), len(all)+1)
	}
}

// TestReaddir_SnapshotBound checks that the snapshots of many
// descriptors on one directory stay within the kernel's bound, that
// descriptors whose snapshot was dropped still list the directory, and
// that closing releases a snapshot.
func TestReaddir_SnapshotBound(t *testing.T) {
	e := newEnv(t)
	e.mkdir("d")
	for i := range 100 {
		e.writeFile("d/"+strings.Repeat("x", 20)+strconv.Itoa(i), "")
	}
	oneSnapshot := 102 * (direntOverhead + 22) // 100 names of 21-22 bytes, ".", ".."
	e.k.snapshots.limit = 3 * oneSnapshot
	var fds []uint64
	for range 20 {
		fd := uint64(e.open(rootFD, "d", OflagDirectory, dirRights, 0))
		fds = append(fds, fd)
		if names, _ := readdir(e, fd, 4096); len(names) != 102 {
			t.Fatalf("descriptor %d lists %d entries, want 102", fd, len(names))
		}
		if e.k.snapshots.bytes > e.k.snapshots.limit {
			t.Fatalf("snapshots hold %d bytes, more than the bound of %d", e.k.snapshots.bytes, e.k.snapshots.limit)
		}
	}
	// The first descriptor's snapshot was dropped: it takes a new one.
	if names, _ := readdir(e, fds[0], 4096); len(names) != 102 {
		t.Errorf("a descriptor whose snapshot was dropped lists %d entries", len(names))
	}
	for _, fd := range fds {
		e.want(ESUCCESS, "fd_close", fd)
	}
	if e.k.snapshots.bytes != 0 || len(e.k.snapshots.held) != 0 {
		t.Errorf("after closing every descriptor: %d bytes in %d snapshots", e.k.snapshots.bytes, len(e.k.snapshots.held))
	}
	// A directory larger than the bound alone is listed all the same.
	e.k.snapshots.limit = oneSnapshot / 2
	fd := uint64(e.open(rootFD, "d", OflagDirectory, dirRights, 0))
	if names, _ := readdir(e, fd, 64); len(names) != 102 {
		t.Errorf("a directory larger than the bound lists %d entries in small reads", len(names))
	}
	if e.k.snapshots.bytes != 0 {
		t.Errorf("a snapshot larger than the bound was kept: %d bytes", e.k.snapshots.bytes)
	}
}
