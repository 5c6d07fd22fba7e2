package fstest

import (
	"errors"
	"io"
	"slices"
	"syscall"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/fs"
)

// Run checks the writable file system that newFS returns; each subtest
// gets a fresh, empty one.
func Run(t *testing.T, newFS func(t *testing.T) fs.FS) {
	tests := []struct {
		name string
		run  func(t *testing.T, f fs.FS)
	}{
		{"Root", testRoot},
		{"Mkdir", testMkdir},
		{"OpenReadWrite", testOpenReadWrite},
		{"OpenErrors", testOpenErrors},
		{"ReadDir", testReadDir},
		{"Symlink", testSymlink},
		{"Unlink", testUnlink},
		{"Rmdir", testRmdir},
		{"Rename", testRename},
		{"Link", testLink},
		{"SetTimes", testSetTimes},
		{"TruncateAllocate", testTruncateAllocate},
		{"NoFollowInside", testNoFollowInside},
		{"BadNames", testBadNames},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, newFS(t)) })
	}
}

// WantErrno fails t unless err carries the errno want (0 for success).
func WantErrno(t testing.TB, what string, err error, want syscall.Errno) {
	t.Helper()
	if want == 0 {
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return
	}
	var got syscall.Errno
	if !errors.As(err, &got) || got != want {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

func must(t testing.TB, what string, err error) {
	t.Helper()
	WantErrno(t, what, err, 0)
}

func lstat(t testing.TB, f fs.FS, name string) fs.Stat {
	t.Helper()
	st, err := f.Lstat(name)
	must(t, "lstat "+name, err)
	return st
}

// WriteFile creates name with contents data.
func WriteFile(t testing.TB, f fs.FS, name string, data []byte) {
	t.Helper()
	h, err := f.Open(name, fs.OpenWrite|fs.OpenCreate|fs.OpenTruncate, 0o644)
	must(t, "create "+name, err)
	if _, err := h.WriteAt(data, 0); err != nil {
		t.Fatalf("write %s: %v", name, err)
	}
	must(t, "close "+name, h.Close())
}

// ReadFile returns the contents of name.
func ReadFile(t testing.TB, f fs.FS, name string) []byte {
	t.Helper()
	h, err := f.Open(name, fs.OpenRead, 0)
	must(t, "open "+name, err)
	defer h.Close()
	st, err := h.Stat()
	must(t, "stat "+name, err)
	buf := make([]byte, st.Size+1)
	n, err := h.ReadAt(buf, 0)
	if err != io.EOF {
		t.Fatalf("read %s: got error %v, want io.EOF", name, err)
	}
	return buf[:n]
}

func testRoot(t *testing.T, f fs.FS) {
	st := lstat(t, f, ".")
	if st.Type != fs.TypeDir || st.Ino == 0 {
		t.Fatalf("root: got %+v, want a directory with a non-zero inode", st)
	}
}

func testMkdir(t *testing.T, f fs.FS) {
	must(t, "mkdir d", f.Mkdir("d", 0o755))
	st := lstat(t, f, "d")
	if st.Type != fs.TypeDir || st.Ino == 0 || st.Ino == lstat(t, f, ".").Ino {
		t.Fatalf("d: got %+v", st)
	}
	must(t, "mkdir d/e", f.Mkdir("d/e", 0o700))
	WriteFile(t, f, "file", nil)
	tests := []struct {
		name string
		want syscall.Errno
	}{
		{"d", syscall.EEXIST},
		{"file", syscall.EEXIST},
		{"missing/e", syscall.ENOENT},
		{"file/e", syscall.ENOTDIR},
	}
	for _, tt := range tests {
		WantErrno(t, "mkdir "+tt.name, f.Mkdir(tt.name, 0o755), tt.want)
	}
}

func testOpenReadWrite(t *testing.T, f fs.FS) {
	h, err := f.Open("a", fs.OpenRead|fs.OpenWrite|fs.OpenCreate, 0o600)
	must(t, "create", err)
	defer h.Close()
	if n, err := h.WriteAt([]byte("hello world"), 0); n != 11 || err != nil {
		t.Fatalf("write: %d, %v", n, err)
	}
	if n, err := h.WriteAt([]byte("W"), 6); n != 1 || err != nil {
		t.Fatalf("write at 6: %d, %v", n, err)
	}
	buf := make([]byte, 5)
	if n, err := h.ReadAt(buf, 6); n != 5 || string(buf) != "World" || (err != nil && err != io.EOF) {
		t.Fatalf("read at 6: %d %q %v", n, buf[:n], err)
	}
	if n, err := h.ReadAt(buf, 11); n != 0 || err != io.EOF {
		t.Fatalf("read at end: %d, %v; want 0, io.EOF", n, err)
	}
	// A write past the end leaves a hole that reads as zeros.
	if _, err := h.WriteAt([]byte("!"), 15); err != nil {
		t.Fatal(err)
	}
	all := make([]byte, 32)
	n, _ := h.ReadAt(all, 0)
	if want := "hello World\x00\x00\x00\x00!"; string(all[:n]) != want {
		t.Fatalf("contents: got %q, want %q", all[:n], want)
	}
	st, err := h.Stat()
	must(t, "fstat", err)
	if st.Type != fs.TypeRegular || st.Size != 16 || st.Nlink != 1 || st.Ino == 0 || st.Ino != lstat(t, f, "a").Ino {
		t.Fatalf("fstat: got %+v", st)
	}
	// Truncating open.
	h2, err := f.Open("a", fs.OpenWrite|fs.OpenTruncate, 0)
	must(t, "open trunc", err)
	h2.Close()
	if st := lstat(t, f, "a"); st.Size != 0 {
		t.Fatalf("size after O_TRUNC: %d", st.Size)
	}
	// A file unlinked while open stays readable and writable.
	WriteFile(t, f, "b", []byte("keep"))
	h3, err := f.Open("b", fs.OpenRead, 0)
	must(t, "open b", err)
	must(t, "unlink b", f.Unlink("b"))
	got := make([]byte, 4)
	if n, err := h3.ReadAt(got, 0); n != 4 || string(got) != "keep" || (err != nil && err != io.EOF) {
		t.Fatalf("read unlinked: %d %q %v", n, got, err)
	}
	must(t, "close unlinked", h3.Close())
}

func testOpenErrors(t *testing.T, f fs.FS) {
	must(t, "mkdir", f.Mkdir("dir", 0o755))
	WriteFile(t, f, "file", []byte("x"))
	must(t, "symlink", f.Symlink("file", "link"))
	tests := []struct {
		name  string
		flags fs.OpenFlag
		want  syscall.Errno
	}{
		{"missing", fs.OpenRead, syscall.ENOENT},
		{"dir/missing/x", fs.OpenRead | fs.OpenCreate, syscall.ENOENT},
		{"file/x", fs.OpenRead, syscall.ENOTDIR},
		{"file", fs.OpenRead | fs.OpenCreate | fs.OpenExclusive, syscall.EEXIST},
		{"dir", fs.OpenRead, syscall.EISDIR},
		{"dir", fs.OpenRead | fs.OpenCreate, syscall.EISDIR},
		{".", fs.OpenRead, syscall.EISDIR},
		{"link", fs.OpenRead, syscall.ELOOP},
	}
	for _, tt := range tests {
		h, err := f.Open(tt.name, tt.flags, 0o644)
		if err == nil {
			h.Close()
		}
		WantErrno(t, "open "+tt.name, err, tt.want)
	}
	// Writing through a read-only handle fails.
	h, err := f.Open("file", fs.OpenRead, 0)
	must(t, "open", err)
	defer h.Close()
	if _, err := h.WriteAt([]byte("y"), 0); err == nil {
		t.Fatal("write through a read-only handle succeeded")
	}
}

func testReadDir(t *testing.T, f fs.FS) {
	must(t, "mkdir", f.Mkdir("d", 0o755))
	names := []string{"zeta", "alpha", "mid", "ünïcödé"}
	for _, n := range names {
		WriteFile(t, f, "d/"+n, nil)
	}
	must(t, "mkdir sub", f.Mkdir("d/sub", 0o755))
	must(t, "symlink", f.Symlink("zeta", "d/ln"))
	first, err := f.ReadDir("d")
	must(t, "readdir", err)
	if len(first) != 6 {
		t.Fatalf("readdir: got %d entries, want 6: %v", len(first), first)
	}
	for _, e := range first {
		st := lstat(t, f, "d/"+e.Name)
		if e.Ino != st.Ino || e.Type != st.Type {
			t.Errorf("entry %q: ino %d type %v, lstat says %d %v", e.Name, e.Ino, e.Type, st.Ino, st.Type)
		}
		if e.Name == "." || e.Name == ".." {
			t.Errorf("readdir listed %q", e.Name)
		}
	}
	again, err := f.ReadDir("d")
	must(t, "readdir again", err)
	if !slices.Equal(first, again) {
		t.Fatalf("order changed between calls:\n%v\n%v", first, again)
	}
	_, err = f.ReadDir("d/zeta")
	WantErrno(t, "readdir file", err, syscall.ENOTDIR)
	_, err = f.ReadDir("missing")
	WantErrno(t, "readdir missing", err, syscall.ENOENT)
	empty, err := f.ReadDir("d/sub")
	must(t, "readdir empty", err)
	if len(empty) != 0 {
		t.Fatalf("empty dir lists %v", empty)
	}
}

func testSymlink(t *testing.T, f fs.FS) {
	must(t, "symlink", f.Symlink("../some/where", "ln"))
	st := lstat(t, f, "ln")
	if st.Type != fs.TypeSymlink || st.Size != uint64(len("../some/where")) {
		t.Fatalf("lstat link: %+v", st)
	}
	got, err := f.Readlink("ln")
	must(t, "readlink", err)
	if got != "../some/where" {
		t.Fatalf("readlink: %q", got)
	}
	WantErrno(t, "symlink over existing", f.Symlink("x", "ln"), syscall.EEXIST)
	WriteFile(t, f, "file", nil)
	_, err = f.Readlink("file")
	WantErrno(t, "readlink of a file", err, syscall.EINVAL)
	_, err = f.Readlink("missing")
	WantErrno(t, "readlink missing", err, syscall.ENOENT)
}

func testUnlink(t *testing.T, f fs.FS) {
	WriteFile(t, f, "file", nil)
	must(t, "mkdir", f.Mkdir("dir", 0o755))
	must(t, "symlink", f.Symlink("file", "ln"))
	must(t, "unlink link", f.Unlink("ln"))
	lstat(t, f, "file") // the target stays
	WantErrno(t, "unlink dir", f.Unlink("dir"), syscall.EISDIR)
	WantErrno(t, "unlink missing", f.Unlink("missing"), syscall.ENOENT)
	must(t, "unlink file", f.Unlink("file"))
	_, err := f.Lstat("file")
	WantErrno(t, "lstat unlinked", err, syscall.ENOENT)
}

func testRmdir(t *testing.T, f fs.FS) {
	must(t, "mkdir", f.Mkdir("d", 0o755))
	must(t, "mkdir", f.Mkdir("d/e", 0o755))
	WriteFile(t, f, "file", nil)
	WantErrno(t, "rmdir non-empty", f.Rmdir("d"), syscall.ENOTEMPTY)
	WantErrno(t, "rmdir file", f.Rmdir("file"), syscall.ENOTDIR)
	WantErrno(t, "rmdir missing", f.Rmdir("missing"), syscall.ENOENT)
	must(t, "rmdir e", f.Rmdir("d/e"))
	must(t, "rmdir d", f.Rmdir("d"))
}

func testRename(t *testing.T, f fs.FS) {
	WriteFile(t, f, "a", []byte("A"))
	ino := lstat(t, f, "a").Ino
	must(t, "rename a b", f.Rename("a", "b"))
	if st := lstat(t, f, "b"); st.Ino != ino {
		t.Fatalf("inode changed across rename: %d -> %d", ino, st.Ino)
	}
	_, err := f.Lstat("a")
	WantErrno(t, "old name", err, syscall.ENOENT)
	WriteFile(t, f, "c", []byte("C"))
	must(t, "rename over file", f.Rename("b", "c"))
	if got := ReadFile(t, f, "c"); string(got) != "A" {
		t.Fatalf("replaced file reads %q", got)
	}
	must(t, "mkdir", f.Mkdir("d1", 0o755))
	must(t, "mkdir", f.Mkdir("d2", 0o755))
	must(t, "mkdir", f.Mkdir("full", 0o755))
	WriteFile(t, f, "full/x", nil)
	must(t, "mkdir", f.Mkdir("d1/sub", 0o755))
	tests := []struct {
		old, new string
		want     syscall.Errno
	}{
		{"missing", "x", syscall.ENOENT},
		{"d1", "full", syscall.ENOTEMPTY},
		{"d1", "c", syscall.ENOTDIR},
		{"c", "d2", syscall.EISDIR},
		{"d1", "d1/sub/inside", syscall.EINVAL},
		{"c", "missing/x", syscall.ENOENT},
	}
	for _, tt := range tests {
		WantErrno(t, "rename "+tt.old+" "+tt.new, f.Rename(tt.old, tt.new), tt.want)
	}
	must(t, "rename dir over empty dir", f.Rename("d1", "d2"))
	lstat(t, f, "d2/sub")
	must(t, "rename into subdir", f.Rename("c", "d2/sub/c"))
	if got := ReadFile(t, f, "d2/sub/c"); string(got) != "A" {
		t.Fatalf("moved file reads %q", got)
	}
	must(t, "link", f.Link("d2/sub/c", "hard"))
	must(t, "rename onto own hard link", f.Rename("hard", "d2/sub/c"))
	lstat(t, f, "hard") // POSIX: nothing happens
}

func testLink(t *testing.T, f fs.FS) {
	WriteFile(t, f, "file", []byte("x"))
	must(t, "link", f.Link("file", "hard"))
	a, b := lstat(t, f, "file"), lstat(t, f, "hard")
	if a.Ino != b.Ino || a.Nlink != 2 || b.Nlink != 2 {
		t.Fatalf("hard link: %+v vs %+v", a, b)
	}
	must(t, "mkdir", f.Mkdir("dir", 0o755))
	WantErrno(t, "link existing", f.Link("file", "hard"), syscall.EEXIST)
	WantErrno(t, "link onto dir", f.Link("file", "dir"), syscall.EEXIST)
	WantErrno(t, "link dir", f.Link("dir", "dir2"), syscall.EPERM)
	WantErrno(t, "link missing", f.Link("missing", "x"), syscall.ENOENT)
	must(t, "unlink", f.Unlink("file"))
	if st := lstat(t, f, "hard"); st.Nlink != 1 {
		t.Fatalf("nlink after unlink: %d", st.Nlink)
	}
}

func testSetTimes(t *testing.T, f fs.FS) {
	WriteFile(t, f, "file", nil)
	const at, mt = 1_000_000_000_123_456_789, 1_100_000_000_987_654_321
	must(t, "settimes", f.SetTimes("file", fs.TimeAt(at), fs.TimeAt(mt)))
	st := lstat(t, f, "file")
	if st.Atime != at || st.Mtime != mt {
		t.Fatalf("times: got %d %d, want %d %d", st.Atime, st.Mtime, int64(at), int64(mt))
	}
	must(t, "settimes omit", f.SetTimes("file", fs.TimeOmit, fs.TimeAt(5)))
	if st := lstat(t, f, "file"); st.Atime != at || st.Mtime != 5 {
		t.Fatalf("omit: got %d %d", st.Atime, st.Mtime)
	}
	before := fs.Now()
	must(t, "settimes now", f.SetTimes("file", fs.TimeNow, fs.TimeOmit))
	if st := lstat(t, f, "file"); st.Atime < before-1e9 || st.Mtime != 5 {
		t.Fatalf("now: got %d %d (before %d)", st.Atime, st.Mtime, before)
	}
	// The link itself, not its target.
	must(t, "symlink", f.Symlink("file", "ln"))
	must(t, "settimes link", f.SetTimes("ln", fs.TimeAt(7), fs.TimeAt(8)))
	if st := lstat(t, f, "ln"); st.Atime != 7 || st.Mtime != 8 {
		t.Fatalf("link times: %d %d", st.Atime, st.Mtime)
	}
	if st := lstat(t, f, "file"); st.Mtime != 5 {
		t.Fatalf("target changed through the link: %d", st.Mtime)
	}
	h, err := f.Open("file", fs.OpenRead|fs.OpenWrite, 0)
	must(t, "open", err)
	defer h.Close()
	must(t, "file settimes", h.SetTimes(fs.TimeAt(11), fs.TimeAt(12)))
	if st, _ := h.Stat(); st.Atime != 11 || st.Mtime != 12 {
		t.Fatalf("file times: %d %d", st.Atime, st.Mtime)
	}
	WantErrno(t, "settimes missing", f.SetTimes("missing", fs.TimeNow, fs.TimeNow), syscall.ENOENT)
}

func testTruncateAllocate(t *testing.T, f fs.FS) {
	h, err := f.Open("file", fs.OpenRead|fs.OpenWrite|fs.OpenCreate, 0o644)
	must(t, "create", err)
	defer h.Close()
	must(t, "truncate up", h.Truncate(100))
	buf := make([]byte, 100)
	if n, _ := h.ReadAt(buf, 0); n != 100 || slices.ContainsFunc(buf, func(b byte) bool { return b != 0 }) {
		t.Fatalf("extension does not read as zeros")
	}
	must(t, "truncate down", h.Truncate(10))
	if st, _ := h.Stat(); st.Size != 10 {
		t.Fatalf("size %d after truncate, want 10", st.Size)
	}
	must(t, "allocate", h.Allocate(20, 30))
	if st, _ := h.Stat(); st.Size != 50 {
		t.Fatalf("size %d after allocate, want 50", st.Size)
	}
	must(t, "allocate inside", h.Allocate(0, 10))
	if st, _ := h.Stat(); st.Size != 50 {
		t.Fatalf("allocate inside the file changed its size to %d", st.Size)
	}
	must(t, "sync", h.Sync())
}

// testNoFollowInside checks that a symbolic link in the middle of a name
// is refused, not followed: the namespace resolves links itself.
func testNoFollowInside(t *testing.T, f fs.FS) {
	must(t, "mkdir", f.Mkdir("dir", 0o755))
	WriteFile(t, f, "dir/file", nil)
	must(t, "symlink", f.Symlink("dir", "ln"))
	_, err := f.Lstat("ln/file")
	WantErrno(t, "lstat through a link", err, syscall.ELOOP)
	WantErrno(t, "mkdir through a link", f.Mkdir("ln/new", 0o755), syscall.ELOOP)
}

func testBadNames(t *testing.T, f fs.FS) {
	for _, name := range []string{"", "/abs", "a/../b", "..", "a//b", "a/", "./a"} {
		if _, err := f.Lstat(name); err == nil {
			t.Errorf("lstat %q succeeded", name)
		}
		if err := f.Mkdir(name, 0o755); err == nil {
			t.Errorf("mkdir %q succeeded", name)
		}
	}
}
