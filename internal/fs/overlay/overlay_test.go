package overlay_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/fs"
	"github.com/wasmvisor/wasmvisor/internal/fs/fstest"
	"github.com/wasmvisor/wasmvisor/internal/fs/memfs"
	"github.com/wasmvisor/wasmvisor/internal/fs/overlay"
)

// mtime is the modification time of every file in the lower test tree.
const mtime = 1_600_000_000_123_456_789

// lowerTree returns a read-only tree to put an overlay on: files,
// nested and empty directories, a large directory and symbolic links.
func lowerTree(t testing.TB) fs.FS {
	t.Helper()
	m := memfs.New(memfs.Options{})
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	for _, d := range []string{"etc", "usr", "usr/lib", "usr/lib/py", "usr/share", "empty", "big", "ro"} {
		must("mkdir "+d, m.Mkdir(d, 0o755))
	}
	files := map[string]string{
		"etc/app.conf":     "setting = 1\n",
		"etc/hosts":        "127.0.0.1 localhost\n",
		"usr/lib/py/os.py": strings.Repeat("import sys\n", 1000),
		"usr/lib/py/re.py": "import sre\n",
		"usr/share/readme": "read me\n",
		"ro/locked":        "read only\n",
		"top.txt":          "top\n",
		"ünïcødé-日本語.txt":  "non-ASCII\n",
	}
	for i := range 50 {
		files[fmt.Sprintf("big/f%02d", i)] = fmt.Sprintf("file %d\n", i)
	}
	for name, data := range files {
		fstest.WriteFile(t, m, name, []byte(data))
	}
	must("symlink", m.Symlink("/usr/lib", "lib"))
	must("symlink", m.Symlink("app.conf", "etc/link"))
	// The permission bits a guest must see, which a host user could not
	// give the upper layer's copies.
	h, err := m.Open("usr/lib/py/run", fs.OpenWrite|fs.OpenCreate, 0o4755)
	must("create run", err)
	h.WriteAt([]byte("#!/bin/sh\n"), 0)
	h.Close()
	must("mkdir ro/sub", m.Mkdir("ro/sub", 0o555))
	var walk func(dir string)
	walk = func(dir string) {
		list, err := m.ReadDir(dir)
		must("readdir", err)
		for _, e := range list {
			walk2 := fs.Join(dir, e.Name)
			if e.Type == fs.TypeDir {
				walk(walk2)
			}
			must("settimes", m.SetTimes(walk2, fs.TimeAt(mtime), fs.TimeAt(mtime)))
		}
	}
	walk(".")
	return readOnly{m}
}

// readOnly refuses every change, as an image does.
type readOnly struct{ fs.FS }

func (r readOnly) Open(name string, flags fs.OpenFlag, perm uint32) (fs.File, error) {
	if flags&(fs.OpenWrite|fs.OpenCreate|fs.OpenTruncate) != 0 {
		return nil, syscall.EROFS
	}
	return r.FS.Open(name, flags, perm)
}
func (readOnly) Mkdir(string, uint32) error                    { return syscall.EROFS }
func (readOnly) Rmdir(string) error                            { return syscall.EROFS }
func (readOnly) Unlink(string) error                           { return syscall.EROFS }
func (readOnly) Rename(string, string) error                   { return syscall.EROFS }
func (readOnly) Link(string, string) error                     { return syscall.EROFS }
func (readOnly) Symlink(string, string) error                  { return syscall.EROFS }
func (readOnly) SetTimes(string, fs.SetTime, fs.SetTime) error { return syscall.EROFS }

func emptyLower(t testing.TB) fs.FS { return readOnly{memfs.New(memfs.Options{})} }

// configs are the ways an overlay is made: in memory or in a host
// directory, over an empty lower tree or the test tree.
var configs = []struct {
	name  string
	lower func(testing.TB) fs.FS
	dir   bool
}{
	{"memory/empty", emptyLower, false},
	{"memory/tree", lowerTree, false},
	{"dir/empty", emptyLower, true},
	{"dir/tree", lowerTree, true},
}

func newOverlay(t testing.TB, lower fs.FS, dir bool) *overlay.FS {
	t.Helper()
	var o *overlay.FS
	var err error
	if dir {
		o, err = overlay.OpenDir(lower, t.TempDir(), overlay.Options{LowerID: "test"})
	} else {
		o, err = overlay.New(lower, memfs.New(memfs.Options{}))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

func TestFS_Contract(t *testing.T) {
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			fstest.Run(t, func(t *testing.T) fs.FS { return newOverlay(t, c.lower(t), c.dir) })
		})
	}
}

func lstat(t testing.TB, f fs.FS, name string) fs.Stat {
	t.Helper()
	st, err := f.Lstat(name)
	if err != nil {
		t.Fatalf("lstat %s: %v", name, err)
	}
	return st
}

func names(t testing.TB, f fs.FS, dir string) []string {
	t.Helper()
	list, err := f.ReadDir(dir)
	if err != nil {
		t.Fatalf("readdir %s: %v", dir, err)
	}
	var out []string
	for _, e := range list {
		out = append(out, e.Name)
	}
	return out
}

func TestFS_CopyUp(t *testing.T) {
	for _, c := range []struct {
		name string
		dir  bool
	}{{"memory", false}, {"dir", true}} {
		t.Run(c.name, func(t *testing.T) {
			lower := lowerTree(t)
			o := newOverlay(t, lower, c.dir)
			before := lstat(t, o, "usr/lib/py/run")
			if before.Perm != 0o4755 || before.Mtime != mtime {
				t.Fatalf("lower file: %+v", before)
			}
			// Setting times copies up, keeping inode and permissions.
			fstest.WantErrno(t, "settimes", o.SetTimes("usr/lib/py/run", fs.TimeAt(5), fs.TimeOmit), 0)
			after := lstat(t, o, "usr/lib/py/run")
			if after.Ino != before.Ino || after.Perm != 0o4755 || after.Atime != 5 || after.Mtime != mtime || after.Size != before.Size {
				t.Fatalf("after copy-up: %+v, before %+v", after, before)
			}
			// The directories on the way keep theirs too.
			if got, want := lstat(t, o, "usr/lib"), lstat(t, lower, "usr/lib"); got.Ino != want.Ino || got.Mtime != want.Mtime || got.Perm != want.Perm {
				t.Fatalf("copied-up directory: %+v, lower %+v", got, want)
			}
			// Writing changes the overlay, never the lower tree.
			h, err := o.Open("usr/lib/py/os.py", fs.OpenRead|fs.OpenWrite, 0)
			fstest.WantErrno(t, "open for writing", err, 0)
			h.WriteAt([]byte("IMPORT"), 0)
			h.Close()
			if got := fstest.ReadFile(t, o, "usr/lib/py/os.py"); !bytes.HasPrefix(got, []byte("IMPORT sys\nimport sys\n")) || len(got) != 11000 {
				t.Fatalf("overlay reads %q...", got[:20])
			}
			if got := fstest.ReadFile(t, lower, "usr/lib/py/os.py"); !bytes.HasPrefix(got, []byte("import sys\n")) {
				t.Fatalf("lower changed: %q", got[:20])
			}
			// A read-only directory stays writable through the overlay
			// and keeps its bits.
			fstest.WriteFile(t, o, "ro/sub/new", []byte("x"))
			if st := lstat(t, o, "ro/sub"); st.Perm != 0o555 {
				t.Fatalf("ro/sub: perm %#o", st.Perm)
			}
			// Truncating open copies up without the data.
			h, err = o.Open("etc/hosts", fs.OpenWrite|fs.OpenTruncate, 0)
			fstest.WantErrno(t, "open truncating", err, 0)
			h.Close()
			if st := lstat(t, o, "etc/hosts"); st.Size != 0 {
				t.Fatalf("truncated: %+v", st)
			}
			// A hard link to a lower file shares its inode number.
			fstest.WantErrno(t, "link", o.Link("etc/app.conf", "top-link"), 0)
			a, b := lstat(t, o, "etc/app.conf"), lstat(t, o, "top-link")
			if a.Ino != lstat(t, lower, "etc/app.conf").Ino || a.Ino != b.Ino || a.Nlink != 2 {
				t.Fatalf("link: %+v %+v", a, b)
			}
			// New files get inode numbers the lower's never collide with.
			fstest.WriteFile(t, o, "fresh", nil)
			if st := lstat(t, o, "fresh"); st.Ino < 1<<63 {
				t.Fatalf("new file's inode %#x", st.Ino)
			}
		})
	}
}

func TestFS_Whiteouts(t *testing.T) {
	for _, c := range []struct {
		name string
		dir  bool
	}{{"memory", false}, {"dir", true}} {
		t.Run(c.name, func(t *testing.T) {
			o := newOverlay(t, lowerTree(t), c.dir)
			ino := lstat(t, o, "etc/hosts").Ino
			fstest.WantErrno(t, "unlink", o.Unlink("etc/hosts"), 0)
			_, err := o.Lstat("etc/hosts")
			fstest.WantErrno(t, "lstat", err, syscall.ENOENT)
			if got := names(t, o, "etc"); slices.Contains(got, "hosts") {
				t.Fatalf("etc lists %q", got)
			}
			fstest.WriteFile(t, o, "etc/hosts", []byte("new"))
			if st := lstat(t, o, "etc/hosts"); st.Ino == ino || st.Size != 3 {
				t.Fatalf("re-created: %+v (old inode %d)", st, ino)
			}
			// Removing a lower directory tree, and making a new one in
			// its place: the new one is empty.
			for _, n := range names(t, o, "usr/lib/py") {
				fstest.WantErrno(t, "unlink "+n, o.Unlink("usr/lib/py/"+n), 0)
			}
			fstest.WantErrno(t, "rmdir non-empty", o.Rmdir("usr/lib"), syscall.ENOTEMPTY)
			fstest.WantErrno(t, "rmdir", o.Rmdir("usr/lib/py"), 0)
			fstest.WantErrno(t, "rmdir", o.Rmdir("usr/lib"), 0)
			fstest.WantErrno(t, "mkdir", o.Mkdir("usr/lib", 0o700), 0)
			if got := names(t, o, "usr/lib"); len(got) != 0 {
				t.Fatalf("new usr/lib lists %q", got)
			}
			_, err = o.Lstat("usr/lib/py/os.py")
			fstest.WantErrno(t, "lstat inside the opaque directory", err, syscall.ENOENT)
			if st := lstat(t, o, "usr/lib"); st.Perm != 0o700 || st.Ino < 1<<63 {
				t.Fatalf("usr/lib: %+v", st)
			}
			// A whiteout in a directory that is not copied up: the
			// directory's time changes all the same.
			if st := lstat(t, o, "big"); st.Mtime != mtime {
				t.Fatalf("big: mtime %d before any change", st.Mtime)
			}
			fstest.WantErrno(t, "unlink", o.Unlink("big/f07"), 0)
			if st := lstat(t, o, "big"); st.Mtime == mtime {
				t.Fatal("big: mtime unchanged by an unlink")
			}
			if got := names(t, o, "big"); len(got) != 49 || slices.Contains(got, "f07") {
				t.Fatalf("big lists %d: %q", len(got), got)
			}
			_, err = o.Open("big/f07", fs.OpenRead, 0)
			fstest.WantErrno(t, "open whited out", err, syscall.ENOENT)
			fstest.WantErrno(t, "unlink symlink", o.Unlink("lib"), 0)
			fstest.WantErrno(t, "symlink over whiteout", o.Symlink("usr", "lib"), 0)
			if got, _ := o.Readlink("lib"); got != "usr" {
				t.Fatalf("readlink: %q", got)
			}
		})
	}
}

func TestFS_RenameDirectory(t *testing.T) {
	for _, c := range []struct {
		name string
		dir  bool
	}{{"memory", false}, {"dir", true}} {
		t.Run(c.name, func(t *testing.T) {
			lower := lowerTree(t)
			o := newOverlay(t, lower, c.dir)
			ino := lstat(t, o, "usr/lib").Ino
			fstest.WantErrno(t, "unlink", o.Unlink("usr/lib/py/re.py"), 0)
			fstest.WantErrno(t, "rename lower directory", o.Rename("usr/lib", "lib2"), 0)
			_, err := o.Lstat("usr/lib")
			fstest.WantErrno(t, "old name", err, syscall.ENOENT)
			if st := lstat(t, o, "lib2"); st.Ino != ino || st.Type != fs.TypeDir {
				t.Fatalf("lib2: %+v", st)
			}
			if got := names(t, o, "lib2/py"); !slices.Equal(got, []string{"os.py", "run"}) {
				t.Fatalf("lib2/py lists %q", got)
			}
			if got := fstest.ReadFile(t, o, "lib2/py/os.py"); len(got) != 11000 {
				t.Fatalf("lib2/py/os.py: %d bytes", len(got))
			}
			// Changes inside the moved directory, and moving it on.
			fstest.WriteFile(t, o, "lib2/py/new.py", []byte("new"))
			fstest.WantErrno(t, "rename again", o.Rename("lib2", "etc/lib3"), 0)
			if got := names(t, o, "etc/lib3/py"); !slices.Equal(got, []string{"os.py", "run", "new.py"}) {
				t.Fatalf("etc/lib3/py lists %q", got)
			}
			// A directory of the same name made in the old place is
			// empty, and can be renamed over an empty directory.
			fstest.WantErrno(t, "mkdir", o.Mkdir("usr/lib", 0o755), 0)
			fstest.WantErrno(t, "rename onto empty lower directory", o.Rename("usr/lib", "empty"), 0)
			if got := names(t, o, "empty"); len(got) != 0 {
				t.Fatalf("empty lists %q", got)
			}
			if got := names(t, o, "usr"); !slices.Equal(got, []string{"share"}) {
				t.Fatalf("usr lists %q", got)
			}
			// Moving a directory into itself.
			fstest.WantErrno(t, "rename into itself", o.Rename("etc", "etc/lib3/py/x"), syscall.EINVAL)
			// The lower tree is untouched.
			if got := names(t, lower, "usr/lib/py"); len(got) != 3 {
				t.Fatalf("lower usr/lib/py lists %q", got)
			}
		})
	}
}

func TestFS_ReadDirOrder(t *testing.T) {
	o := newOverlay(t, lowerTree(t), false)
	before := names(t, o, "big")
	// Copying entries up, and changing them, keeps their places.
	fstest.WantErrno(t, "settimes", o.SetTimes("big/f10", fs.TimeNow, fs.TimeNow), 0)
	fstest.WriteFile(t, o, "big/f20", []byte("changed"))
	if after := names(t, o, "big"); !slices.Equal(before, after) {
		t.Fatalf("order changed by copy-up:\n%q\n%q", before, after)
	}
	fstest.WriteFile(t, o, "big/new", nil)
	if after := names(t, o, "big"); !slices.Equal(append(before, "new"), after) {
		t.Fatalf("new entry not last: %q", after)
	}
	list, err := o.ReadDir("big")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range list {
		if st := lstat(t, o, "big/"+e.Name); st.Ino != e.Ino || st.Type != e.Type {
			t.Errorf("%s: listed %d %v, lstat %d %v", e.Name, e.Ino, e.Type, st.Ino, st.Type)
		}
	}
}

// TestFS_OpenDuringCopyUp checks that a lower file open for reading
// reads the upper copy once one is made, and keeps the times given to
// it through the descriptor.
func TestFS_OpenDuringCopyUp(t *testing.T) {
	o := newOverlay(t, lowerTree(t), false)
	r, err := o.Open("etc/app.conf", fs.OpenRead, 0)
	fstest.WantErrno(t, "open", err, 0)
	defer r.Close()
	fstest.WriteFile(t, o, "etc/app.conf", []byte("setting = 2\n"))
	buf := make([]byte, 64)
	n, _ := r.ReadAt(buf, 0)
	if string(buf[:n]) != "setting = 2\n" {
		t.Fatalf("open file reads %q after copy-up", buf[:n])
	}
	r2, err := o.Open("etc/hosts", fs.OpenRead, 0)
	fstest.WantErrno(t, "open", err, 0)
	defer r2.Close()
	fstest.WantErrno(t, "rename parent", o.Rename("etc", "etc2"), 0)
	fstest.WantErrno(t, "fd settimes", r2.SetTimes(fs.TimeAt(1), fs.TimeAt(2)), 0)
	if st := lstat(t, o, "etc2/hosts"); st.Atime != 1 || st.Mtime != 2 {
		t.Fatalf("times set through the descriptor: %+v", st)
	}
	if st, _ := r2.Stat(); st.Mtime != 2 || st.Ino != lstat(t, o, "etc2/hosts").Ino {
		t.Fatalf("fstat: %+v", st)
	}
	_, err = r2.WriteAt([]byte("x"), 0)
	fstest.WantErrno(t, "write through read-only descriptor", err, syscall.EBADF)
}

func TestOpenDir_Persists(t *testing.T) {
	lower := lowerTree(t)
	dir := t.TempDir()
	o, err := overlay.OpenDir(lower, dir, overlay.Options{LowerID: "tree"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = overlay.OpenDir(lower, dir, overlay.Options{LowerID: "tree"})
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second OpenDir: %v", err)
	}
	fstest.WriteFile(t, o, "etc/app.conf", []byte("changed\n"))
	fstest.WantErrno(t, "unlink", o.Unlink("etc/hosts"), 0)
	fstest.WantErrno(t, "rename", o.Rename("usr/lib", "lib2"), 0)
	fstest.WantErrno(t, "mkdir", o.Mkdir("new", 0o751), 0)
	h, err := o.Open("new/file", fs.OpenWrite|fs.OpenCreate, 0o640)
	fstest.WantErrno(t, "create", err, 0)
	h.WriteAt([]byte("data"), 0)
	h.Close()
	fstest.WantErrno(t, "unlink", o.Unlink("big/f01"), 0)
	fstest.WantErrno(t, "symlink", o.Symlink("/x", "new/ln"), 0)
	want := snapshotTree(t, o)
	fstest.WantErrno(t, "close", o.Close(), 0)

	o2, err := overlay.OpenDir(lower, dir, overlay.Options{LowerID: "tree"})
	if err != nil {
		t.Fatal(err)
	}
	defer o2.Close()
	if got := snapshotTree(t, o2); !slices.Equal(got, want) {
		t.Fatalf("after reopening:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if st := lstat(t, o2, "new/file"); st.Perm != 0o640 {
		t.Fatalf("new/file: %+v", st)
	}
	// The host copies are the owner's, whatever the guest's bits.
	fi, err := os.Stat(filepath.Join(dir, "upper", "new"))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("host directory: %v %v", fi.Mode(), err)
	}
	o2.Close()
	if _, err := overlay.OpenDir(lower, dir, overlay.Options{LowerID: "other"}); err == nil || !strings.Contains(err.Error(), "another file system") {
		t.Fatalf("OpenDir over another lower: %v", err)
	}
}

// snapshotTree lists every name in f with what the guest sees of it;
// the contents of the files named in unread are left out.
func snapshotTree(t testing.TB, f fs.FS, unread ...string) []string {
	t.Helper()
	var out []string
	var walk func(dir string)
	walk = func(dir string) {
		list, err := f.ReadDir(dir)
		if err != nil {
			t.Fatalf("readdir %s: %v", dir, err)
		}
		for _, e := range list {
			name := fs.Join(dir, e.Name)
			st := lstat(t, f, name)
			line := fmt.Sprintf("%s %v ino=%d perm=%#o", name, st.Type, st.Ino, st.Perm)
			switch st.Type {
			case fs.TypeDir:
				out = append(out, line)
				walk(name)
				continue
			case fs.TypeRegular:
				if !slices.Contains(unread, name) {
					line += fmt.Sprintf(" %q", fstest.ReadFile(t, f, name))
				}
			case fs.TypeSymlink:
				target, _ := f.Readlink(name)
				line += " -> " + target
			}
			out = append(out, line)
		}
	}
	walk(".")
	return out
}

// damaged is a lower tree whose file "etc/app.conf" cannot be read, as
// a file of a damaged image.
type damaged struct{ fs.FS }

func (d damaged) Open(name string, flags fs.OpenFlag, perm uint32) (fs.File, error) {
	h, err := d.FS.Open(name, flags, perm)
	if err == nil && name == "etc/app.conf" {
		h = badFile{h}
	}
	return h, err
}

type badFile struct{ fs.File }

func (badFile) ReadAt([]byte, int64) (int, error) { return 0, syscall.EIO }

// TestFS_CopyUpFails checks that a file that cannot be copied up is left
// as it was, with nothing half-copied in the upper layer.
func TestFS_CopyUpFails(t *testing.T) {
	for _, dir := range []bool{false, true} {
		t.Run(fmt.Sprintf("dir=%v", dir), func(t *testing.T) {
			o := newOverlay(t, damaged{lowerTree(t)}, dir)
			before := snapshotTree(t, o, "etc/app.conf")
			_, err := o.Open("etc/app.conf", fs.OpenWrite, 0)
			fstest.WantErrno(t, "open for writing", err, syscall.EIO)
			fstest.WantErrno(t, "rename", o.Rename("etc/app.conf", "moved"), syscall.EIO)
			fstest.WantErrno(t, "link", o.Link("etc/app.conf", "linked"), syscall.EIO)
			if st := lstat(t, o, "etc/app.conf"); st.Size != uint64(len("setting = 1\n")) {
				t.Fatalf("after failed copy-ups: %+v", st)
			}
			if after := snapshotTree(t, o, "etc/app.conf"); !slices.Equal(before, after) {
				t.Fatalf("tree changed:\n%s", diff(after, before))
			}
			// Truncating needs no data, so it works.
			h, err := o.Open("etc/app.conf", fs.OpenWrite|fs.OpenTruncate, 0)
			fstest.WantErrno(t, "open truncating", err, 0)
			h.Close()
		})
	}
}
