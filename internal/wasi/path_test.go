package wasi

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/fs/hostfs"
)

func TestPathOpen(t *testing.T) {
	e := newEnv(t)
	e.mkdir("dir")
	e.writeFile("file", "data")
	e.symlink("file", "link")
	e.symlink("dir", "dirlink")
	e.symlink("missing", "dangling")
	e.symlink("loop", "loop")
	const follow = LookupSymlinkFollow
	tests := []struct {
		name   string
		lookup uint64
		path   string
		oflags uint64
		rights Rights
		want   Errno
	}{
		{"existing file", follow, "file", 0, RightFdRead, ESUCCESS},
		{"create new", follow, "new", OflagCreat, RightFdWrite, ESUCCESS},
		{"create existing", follow, "file", OflagCreat, RightFdRead, ESUCCESS},
		{"exclusive existing", follow, "file", OflagCreat | OflagExcl, RightFdRead, EEXIST},
		{"exclusive on a link", follow, "dangling", OflagCreat | OflagExcl, RightFdRead, EEXIST},
		{"missing", follow, "missing", 0, RightFdRead, ENOENT},
		{"missing parent", follow, "nodir/x", OflagCreat, RightFdRead, ENOENT},
		{"file as a directory", follow, "file/x", 0, RightFdRead, ENOTDIR},
		{"O_DIRECTORY on a file", follow, "file", OflagDirectory, RightFdRead, ENOTDIR},
		{"trailing slash on a file", follow, "file/", 0, RightFdRead, ENOTDIR},
		{"create with a trailing slash", follow, "new2/", OflagCreat, RightFdRead, EISDIR},
		{"create a directory", follow, "new3", OflagCreat | OflagDirectory, RightFdRead, EINVAL},
		{"directory for writing", follow, "dir", 0, RightFdWrite, EISDIR},
		{"directory with O_TRUNC", follow, "dir", OflagTrunc, RightFdRead, EISDIR},
		{"directory with O_CREAT", follow, "dir", OflagCreat, RightFdRead, EISDIR},
		{"directory", follow, "dir", OflagDirectory, RightFdReaddir, ESUCCESS},
		{"directory without O_DIRECTORY", follow, "dir", 0, RightFdRead, ESUCCESS},
		{"dot", follow, ".", OflagDirectory, 0, ESUCCESS},
		{"link followed", follow, "link", 0, RightFdRead, ESUCCESS},
		{"link not followed", 0, "link", 0, RightFdRead, ELOOP},
		{"link not followed, O_DIRECTORY", 0, "dirlink", OflagDirectory, RightFdRead, ENOTDIR},
		{"link with a trailing slash", 0, "dirlink/", OflagDirectory, RightFdRead, ESUCCESS},
		{"dangling link created through", follow, "dangling", OflagCreat, RightFdRead, ESUCCESS},
		{"link loop", follow, "loop", 0, RightFdRead, ELOOP},
		{"absolute path", follow, "/file", 0, RightFdRead, ENOTCAPABLE},
		{"dot-dot out", follow, "../file", 0, RightFdRead, ENOTCAPABLE},
		{"dot-dot out deep", follow, "dir/../../file", 0, RightFdRead, ENOTCAPABLE},
		{"dot-dot inside", follow, "dir/../file", 0, RightFdRead, ESUCCESS},
		{"empty path", follow, "", 0, RightFdRead, ENOENT},
		{"NUL in path", follow, "fi\x00le", 0, RightFdRead, EINVAL},
		{"invalid UTF-8", follow, "\xff\xfe", 0, RightFdRead, EILSEQ},
		{"long component", follow, strings.Repeat("x", 256), OflagCreat, RightFdRead, ENAMETOOLONG},
		{"long path", follow, strings.Repeat("d/", 2049), 0, RightFdRead, ENAMETOOLONG},
		{"unknown oflags", follow, "file", 1 << 4, RightFdRead, EINVAL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := e.openErr(rootFD, tt.lookup, tt.path, tt.oflags, tt.rights)
			if got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			if got == ESUCCESS {
				e.want(ESUCCESS, "fd_close", uint64(e.u32(resultPtr)))
			}
		})
	}
	if got := e.readFile("missing"); got != "" {
		t.Errorf("file created through a dangling link holds %q", got)
	}
	p, n := e.path(pathPtr, "file")
	e.want(EBADF, "path_open", 42, 0, p, n, 0, 0, 0, 0, resultPtr)
	e.want(EFAULT, "path_open", rootFD, 0, memSize-2, 4, 0, 0, 0, 0, resultPtr)
	e.want(EFAULT, "path_open", rootFD, 0, p, n, 0, 0, 0, 0, memSize-3)
	e.want(EINVAL, "path_open", rootFD, 0, p, n, 0, 0, 0, 1<<5, resultPtr)
	// Truncating.
	fd := e.open(rootFD, "file", OflagTrunc, RightFdWrite, 0)
	e.want(ESUCCESS, "fd_close", uint64(fd))
	if got := e.readFile("file"); got != "" {
		t.Errorf("truncated file holds %q", got)
	}
}

func TestPathOpen_ReadWriteMode(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "file"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := hostfs.New(dir, hostfs.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	e := newEnvFS(t, h, Config{})
	// Asking for fd_filestat_set_size without fd_write, as Go does for
	// O_RDONLY, opens for reading only: a read-only file system is fine.
	fd := e.open(rootFD, "file", 0, RightFdRead|RightFdFilestatSetSize, 0)
	if got := e.read(fd, 10); got != "x" {
		t.Errorf("read %q", got)
	}
	if got := e.openErr(rootFD, 0, "file", 0, RightFdWrite); got != EROFS {
		t.Errorf("opening for writing: %v, want rofs", got)
	}
}

func TestPathDirectories(t *testing.T) {
	e := newEnv(t)
	mk := func(path string) Errno {
		p, n := e.path(pathPtr, path)
		return e.call("path_create_directory", rootFD, p, n)
	}
	rm := func(path string) Errno {
		p, n := e.path(pathPtr, path)
		return e.call("path_remove_directory", rootFD, p, n)
	}
	e.writeFile("file", "")
	e.symlink("a", "link")
	tests := []struct {
		op   func(string) Errno
		path string
		want Errno
	}{
		{mk, "a", ESUCCESS},
		{mk, "a/b/", ESUCCESS},
		{mk, "a", EEXIST},
		{mk, "file", EEXIST},
		{mk, "link", EEXIST},
		{mk, ".", EEXIST},
		{mk, "missing/x", ENOENT},
		{mk, "file/x", ENOTDIR},
		{mk, "../x", ENOTCAPABLE},
		{rm, "a", ENOTEMPTY},
		{rm, "file", ENOTDIR},
		{rm, "link", ENOTDIR},
		{rm, "link/", ENOTDIR},
		{rm, "missing", ENOENT},
		{rm, ".", EINVAL},
		{rm, "a/b/..", ENOTEMPTY},
		{rm, "a/b/", ESUCCESS},
		{rm, "a", ESUCCESS},
	}
	for _, tt := range tests {
		if got := tt.op(tt.path); got != tt.want {
			t.Errorf("%q: got %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestPathUnlink(t *testing.T) {
	e := newEnv(t)
	e.writeFile("file", "")
	e.writeFile("file2", "")
	e.mkdir("dir")
	e.symlink("dir", "dirlink")
	e.symlink("file", "filelink")
	tests := []struct {
		path string
		want Errno
	}{
		{"dir", EISDIR},
		{"dir/", EISDIR},
		{".", EISDIR},
		{"file/", ENOTDIR},
		{"dirlink/", ENOTDIR}, // as Linux: the link is not followed
		{"missing", ENOENT},
		{"dirlink", ESUCCESS},
		{"filelink", ESUCCESS},
		{"file", ESUCCESS},
		{"file", ENOENT},
	}
	for _, tt := range tests {
		p, n := e.path(pathPtr, tt.path)
		if got := e.call("path_unlink_file", rootFD, p, n); got != tt.want {
			t.Errorf("%q: got %v, want %v", tt.path, got, tt.want)
		}
	}
	if _, err := e.root.Lstat("dir"); err != nil {
		t.Error("unlinking a link removed its target directory")
	}
}

func TestPathRename(t *testing.T) {
	e := newEnv(t)
	e.writeFile("a", "A")
	e.writeFile("b", "B")
	e.mkdir("d1")
	e.mkdir("d2")
	e.mkdir("full")
	e.writeFile("full/x", "")
	rename := func(from, to string) Errno {
		p1, n1 := e.path(pathPtr, from)
		p2, n2 := e.path(path2Ptr, to)
		return e.call("path_rename", rootFD, p1, n1, rootFD, p2, n2)
	}
	tests := []struct {
		from, to string
		want     Errno
	}{
		{"a", "b", ESUCCESS},
		{"missing", "x", ENOENT},
		{"b", "a/", ENOTDIR},
		{"b/", "c", ENOTDIR},
		{"b", "d1", EISDIR},
		{"d1", "b", ENOTDIR},
		{"d1", "full", ENOTEMPTY},
		{"d1", "d1/inside", EINVAL},
		{".", "x", EBUSY},
		{"d1", ".", EBUSY},
		{"d1", "../x", ENOTCAPABLE},
		{"d1/", "d2/", ESUCCESS},
		{"b", "d2/c", ESUCCESS},
	}
	for _, tt := range tests {
		if got := rename(tt.from, tt.to); got != tt.want {
			t.Errorf("%q -> %q: got %v, want %v", tt.from, tt.to, got, tt.want)
		}
	}
	if got := e.readFile("d2/c"); got != "A" {
		t.Errorf("renamed file holds %q", got)
	}
	// A descriptor of a renamed directory follows it.
	e.mkdir("old")
	fd := e.open(rootFD, "old", OflagDirectory, dirRights, 0)
	if got := rename("old", "new"); got != ESUCCESS {
		t.Fatal(got)
	}
	e.open(fd, "inside", OflagCreat, RightFdWrite, 0)
	if _, err := e.root.Lstat("new/inside"); err != nil {
		t.Errorf("creating through the renamed directory's descriptor: %v", err)
	}
}

func TestPathLinkSymlinkReadlink(t *testing.T) {
	e := newEnv(t)
	e.writeFile("file", "x")
	e.mkdir("dir")
	e.symlink("nowhere", "dangling")
	link := func(lookup uint64, from, to string) Errno {
		p1, n1 := e.path(pathPtr, from)
		p2, n2 := e.path(path2Ptr, to)
		return e.call("path_link", rootFD, lookup, p1, n1, rootFD, p2, n2)
	}
	symlink := func(target, name string) Errno {
		p1, n1 := e.path(pathPtr, target)
		p2, n2 := e.path(path2Ptr, name)
		return e.call("path_symlink", p1, n1, rootFD, p2, n2)
	}
	tests := []struct {
		name string
		got  func() Errno
		want Errno
	}{
		{"link", func() Errno { return link(0, "file", "hard") }, ESUCCESS},
		{"link onto existing", func() Errno { return link(0, "file", "hard") }, EEXIST},
		{"link onto itself", func() Errno { return link(0, "file", "file") }, EEXIST},
		{"link onto a directory", func() Errno { return link(0, "file", "dir") }, EEXIST},
		{"link a directory", func() Errno { return link(0, "dir", "dir2") }, EPERM},
		{"link with a trailing slash", func() Errno { return link(0, "file", "new/") }, ENOENT},
		{"link a dangling link", func() Errno { return link(0, "dangling", "hard2") }, ESUCCESS},
		{"link following a dangling link", func() Errno { return link(LookupSymlinkFollow, "dangling", "hard3") }, ENOENT},
		{"link out", func() Errno { return link(0, "file", "../x") }, ENOTCAPABLE},
		{"symlink", func() Errno { return symlink("file", "sym") }, ESUCCESS},
		{"symlink onto existing", func() Errno { return symlink("file", "sym") }, EEXIST},
		{"symlink to an absolute path", func() Errno { return symlink("/etc/passwd", "abs") }, ENOTCAPABLE},
		{"symlink, empty target", func() Errno { return symlink("", "empty") }, ENOENT},
		{"symlink, trailing slash, missing", func() Errno { return symlink("file", "new/") }, ENOENT},
		{"symlink, trailing slash, file", func() Errno { return symlink("x", "file/") }, ENOTDIR},
		{"symlink, trailing slash, dir", func() Errno { return symlink("x", "dir/") }, EEXIST},
		{"symlink escaping target", func() Errno { return symlink("../../x", "up") }, ESUCCESS},
	}
	for _, tt := range tests {
		if got := tt.got(); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
	p, n := e.path(pathPtr, "hard")
	e.want(ESUCCESS, "path_filestat_get", rootFD, 0, p, n, resultPtr)
	if _, _, nlink, _, _, _ := e.filestat(); nlink != 2 {
		t.Errorf("nlink %d after a hard link", nlink)
	}
	// Following the link that points out of the preopen is refused.
	if got := e.openErr(rootFD, LookupSymlinkFollow, "up", 0, RightFdRead); got != ENOTCAPABLE {
		t.Errorf("following an escaping link: %v", got)
	}
	readlink := func(path string, size uint64) (string, Errno) {
		p, n := e.path(pathPtr, path)
		errno := e.call("path_readlink", rootFD, p, n, bufPtr, size, resultPtr)
		return string(e.mem[bufPtr : bufPtr+e.u32(resultPtr)]), errno
	}
	if got, errno := readlink("sym", 100); got != "file" || errno != ESUCCESS {
		t.Errorf("readlink: %q, %v", got, errno)
	}
	if got, errno := readlink("dangling", 3); got != "now" || errno != ESUCCESS {
		t.Errorf("readlink into a short buffer: %q, %v", got, errno)
	}
	if _, errno := readlink("file", 100); errno != EINVAL {
		t.Errorf("readlink of a file: %v", errno)
	}
	if _, errno := readlink("missing", 100); errno != ENOENT {
		t.Errorf("readlink of nothing: %v", errno)
	}
	p, n = e.path(pathPtr, "sym")
	e.want(EFAULT, "path_readlink", rootFD, p, n, memSize-2, 10, resultPtr)
	e.want(EFAULT, "path_readlink", rootFD, p, n, bufPtr, 10, memSize)
}

func TestPathFilestat(t *testing.T) {
	e := newEnv(t)
	e.writeFile("file", "12345")
	e.symlink("file", "link")
	stat := func(lookup uint64, path string) (Filetype, uint64, Errno) {
		p, n := e.path(pathPtr, path)
		errno := e.call("path_filestat_get", rootFD, lookup, p, n, resultPtr)
		_, typ, _, size, _, _ := e.filestat()
		return typ, size, errno
	}
	if typ, size, errno := stat(0, "link"); typ != FiletypeSymbolicLink || size != 4 || errno != ESUCCESS {
		t.Errorf("lstat link: %d %d %v", typ, size, errno)
	}
	if typ, size, errno := stat(LookupSymlinkFollow, "link"); typ != FiletypeRegularFile || size != 5 || errno != ESUCCESS {
		t.Errorf("stat link: %d %d %v", typ, size, errno)
	}
	if _, _, errno := stat(0, "file/"); errno != ENOTDIR {
		t.Errorf("stat with a trailing slash: %v", errno)
	}
	if _, _, errno := stat(0, "missing"); errno != ENOENT {
		t.Errorf("stat missing: %v", errno)
	}
	// Set the link's own times, then the target's through it.
	p, n := e.path(pathPtr, "link")
	e.want(ESUCCESS, "path_filestat_set_times", rootFD, 0, p, n, 11, 12, FstflagAtim|FstflagMtim)
	e.want(ESUCCESS, "path_filestat_set_times", rootFD, LookupSymlinkFollow, p, n, 21, 22, FstflagAtim|FstflagMtim)
	if st, _ := e.root.Lstat("link"); st.Atime != 11 || st.Mtime != 12 {
		t.Errorf("link times %d %d", st.Atime, st.Mtime)
	}
	if st, _ := e.root.Lstat("file"); st.Atime != 21 || st.Mtime != 22 {
		t.Errorf("file times %d %d", st.Atime, st.Mtime)
	}
	e.want(ESUCCESS, "path_filestat_set_times", rootFD, 0, p, n, 0, 0, FstflagAtimNow|FstflagMtimNow)
	e.want(EINVAL, "path_filestat_set_times", rootFD, 0, p, n, 0, 0, FstflagAtim|FstflagAtimNow)
	p, n = e.path(pathPtr, "missing")
	e.want(ENOENT, "path_filestat_set_times", rootFD, 0, p, n, 0, 0, FstflagAtimNow)
	e.want(EFAULT, "path_filestat_get", rootFD, 0, p, n, memSize-1)
}

// TestConfinement plants links to a sentinel beside the preopened host
// directory and checks that no path operation reaches it.
func TestConfinement(t *testing.T) {
	top := t.TempDir()
	mapped, outside := filepath.Join(top, "mapped"), filepath.Join(top, "outside")
	for _, d := range []string{mapped, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	sentinel := filepath.Join(outside, "sentinel")
	if err := os.WriteFile(sentinel, []byte("untouched"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"abs": outside, "rel": "../outside", "absfile": sentinel} {
		if err := os.Symlink(target, filepath.Join(mapped, name)); err != nil {
			t.Fatal(err)
		}
	}
	pre, closeDirs, err := MountDirs(nil, []DirSpec{{Host: mapped, Guest: "/"}})
	if err != nil {
		t.Fatal(err)
	}
	defer closeDirs()
	k, err := New(Config{Preopens: pre})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	e := &kernelEnv{t: t, k: k, mem: make(Memory, memSize), ctx: t.Context()}
	// Relative links and ".." are refused; absolute links resolve
	// against the guest's root, where their targets do not exist.
	for _, path := range []string{"abs/sentinel", "rel/sentinel", "absfile", "../outside/sentinel", "rel/../outside/sentinel"} {
		if got := e.openErr(rootFD, LookupSymlinkFollow, path, OflagTrunc, RightFdWrite); got != ENOTCAPABLE && got != ENOENT {
			t.Errorf("open %s: %v, want notcapable or noent", path, got)
		}
		p, n := e.path(pathPtr, path)
		if got := e.call("path_unlink_file", rootFD, p, n); got == ESUCCESS && path != "absfile" {
			t.Errorf("unlink %s succeeded", path)
		}
		e.call("path_filestat_set_times", rootFD, LookupSymlinkFollow, p, n, 1, 1, FstflagAtim|FstflagMtim)
	}
	if got, err := os.ReadFile(sentinel); err != nil || string(got) != "untouched" {
		t.Fatalf("sentinel: %q, %v", got, err)
	}
	if st, err := os.Stat(sentinel); err != nil || st.ModTime().Unix() == 1 {
		t.Fatal("sentinel times changed")
	}
}

func TestMountDirs(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(b, "inb"), []byte("b"), 0o644); err != nil {
		t.Fatal(err)
	}
	specs := []DirSpec{}
	for _, s := range []string{a + "::/", b + "::/data", b + "::.", b} {
		d, err := ParseDirSpec(s)
		if err != nil {
			t.Fatal(err)
		}
		specs = append(specs, d)
	}
	if _, err := ParseDirSpec("::/x"); err == nil {
		t.Error("empty host accepted")
	}
	pre, closeDirs, err := MountDirs(nil, specs)
	if err != nil {
		t.Fatal(err)
	}
	defer closeDirs()
	names := []string{}
	for _, p := range pre {
		names = append(names, p.Name+"@"+p.Path)
	}
	if got := strings.Join(names, " "); got != "/@/ /data@/data .@/ "+b+"@"+b {
		t.Fatalf("preopens: %s", got)
	}
	k, err := New(Config{Preopens: pre})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	e := &kernelEnv{t: t, k: k, mem: make(Memory, memSize), ctx: t.Context()}
	// "/data" shows through the "/" preopen, and in its listing.
	e.open(rootFD, "data/inb", 0, RightFdRead, 0)
	names, _ = readdir(e, rootFD, 4096)
	if !strings.Contains(strings.Join(names, " "), "data:3") {
		t.Errorf("the mount point is not listed: %v", names)
	}
	// "." is a tree of its own: ".." does not reach "/".
	if got := e.openErr(rootFD+2, LookupSymlinkFollow, "../data", 0, RightFdRead); got != ENOTCAPABLE {
		t.Errorf("leaving '.': %v", got)
	}
	// A mount point cannot be removed or renamed.
	p, n := e.path(pathPtr, "data")
	e.want(EBUSY, "path_remove_directory", rootFD, p, n)
	p2, n2 := e.path(path2Ptr, "x")
	e.want(EBUSY, "path_rename", rootFD, p, n, rootFD, p2, n2)
	// Renaming across file systems is EXDEV.
	if err := os.WriteFile(filepath.Join(a, "ina"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	p, n = e.path(pathPtr, "ina")
	p2, n2 = e.path(path2Ptr, "data/ina")
	e.want(EXDEV, "path_rename", rootFD, p, n, rootFD, p2, n2)
	e.want(EXDEV, "path_link", rootFD, 0, p, n, rootFD, p2, n2)
}

// TestPathOpen_DirectoryRights checks that a directory never carries a
// right only files have, whatever path_open asked for (wasmtime and the
// WASI test suite expect as much).
func TestPathOpen_DirectoryRights(t *testing.T) {
	e := newEnv(t)
	e.mkdir("dir")
	fd := e.open(rootFD, "dir", OflagDirectory, RightFdSeek|RightFdRead|RightFdTell|RightFdReaddir|RightPathOpen, 0)
	e.want(ESUCCESS, "fd_fdstat_get", uint64(fd), resultPtr)
	base := Rights(e.u64(resultPtr + 8))
	if base&(RightFdSeek|RightFdRead|RightFdTell) != 0 {
		t.Errorf("directory has file rights: %#x", base)
	}
	if want := RightFdReaddir | RightPathOpen; base&want != want {
		t.Errorf("directory lacks the directory rights it asked for: %#x", base)
	}
}
