package overlay_test

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/fs"
	"github.com/wasmvisor/wasmvisor/internal/fs/fstest"
	"github.com/wasmvisor/wasmvisor/internal/fs/memfs"
	"github.com/wasmvisor/wasmvisor/internal/fs/overlay"
)

// copyTree copies the tree of src into dst, times and permissions too.
func copyTree(t testing.TB, dst, src fs.FS, dir string) {
	t.Helper()
	list, err := src.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range list {
		name := fs.Join(dir, e.Name)
		st := lstat(t, src, name)
		switch st.Type {
		case fs.TypeDir:
			fstest.WantErrno(t, "mkdir", dst.Mkdir(name, st.Perm), 0)
			copyTree(t, dst, src, name)
		case fs.TypeSymlink:
			target, _ := src.Readlink(name)
			fstest.WantErrno(t, "symlink", dst.Symlink(target, name), 0)
		default:
			h, err := dst.Open(name, fs.OpenWrite|fs.OpenCreate, st.Perm)
			fstest.WantErrno(t, "create", err, 0)
			h.WriteAt(fstest.ReadFile(t, src, name), 0)
			h.Close()
		}
		fstest.WantErrno(t, "settimes", dst.SetTimes(name, fs.TimeAt(st.Atime), fs.TimeAt(st.Mtime)), 0)
	}
}

// TestFS_Model applies the same random operations to an overlay and to
// a plain in-memory copy of its lower tree, and checks that they give
// the same errors and the same trees, and that a file keeps its inode
// number for as long as it exists. Overlays in a host directory are
// closed and reopened now and then, from their journal.
func TestFS_Model(t *testing.T) {
	for _, dir := range []bool{false, true} {
		t.Run(fmt.Sprintf("dir=%v", dir), func(t *testing.T) {
			for seed := range uint64(3) {
				t.Run(fmt.Sprint(seed), func(t *testing.T) { runModel(t, seed, dir, 500) })
			}
		})
	}
}

func runModel(t *testing.T, seed uint64, dir bool, steps int) {
	lower := lowerTree(t)
	model := memfs.New(memfs.Options{})
	copyTree(t, model, lower, ".")
	hostDir := t.TempDir()
	open := func() *overlay.FS {
		if !dir {
			o, err := overlay.New(lower, memfs.New(memfs.Options{}))
			if err != nil {
				t.Fatal(err)
			}
			return o
		}
		o, err := overlay.OpenDir(lower, hostDir, overlay.Options{LowerID: "model"})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	o := open()
	defer func() { o.Close() }()

	r := rand.New(rand.NewPCG(seed, 99))
	// inos maps the overlay's inode numbers to the model's and back: a
	// file must keep its number while it exists.
	inos, back := map[uint64]uint64{}, map[uint64]uint64{}
	elems := []string{"a", "b", "etc", "py", "f01", "hosts", "x"}
	for step := range steps {
		paths := allPaths(t, model)
		pick := func() string {
			if r.IntN(4) > 0 {
				return paths[r.IntN(len(paths))]
			}
			// A new name in an existing directory, or a wrong one.
			return fs.Join(paths[r.IntN(len(paths))], elems[r.IntN(len(elems))])
		}
		var what string
		var run func(f fs.FS) error
		switch op := r.IntN(11); op {
		case 0, 1:
			name, data, off := pick(), randBytes(r), int64(r.IntN(3000))
			trunc := r.IntN(2) == 0
			what = fmt.Sprintf("write %s at %d (trunc %v)", name, off, trunc)
			run = func(f fs.FS) error {
				flags := fs.OpenWrite | fs.OpenCreate
				if trunc {
					flags |= fs.OpenTruncate
				}
				h, err := f.Open(name, flags, 0o640)
				if err != nil {
					return err
				}
				defer h.Close()
				_, err = h.WriteAt(data, off)
				return err
			}
		case 2:
			name, size := pick(), int64(r.IntN(5000))
			what = fmt.Sprintf("truncate %s to %d", name, size)
			run = func(f fs.FS) error {
				h, err := f.Open(name, fs.OpenWrite, 0)
				if err != nil {
					return err
				}
				defer h.Close()
				return h.Truncate(size)
			}
		case 3:
			name := pick()
			what = "unlink " + name
			run = func(f fs.FS) error { return f.Unlink(name) }
		case 4:
			name := pick()
			what = "rmdir " + name
			run = func(f fs.FS) error { return f.Rmdir(name) }
		case 5:
			name := pick()
			what = "mkdir " + name
			run = func(f fs.FS) error { return f.Mkdir(name, 0o750) }
		case 6, 7:
			a, b := pick(), pick()
			what = "rename " + a + " " + b
			run = func(f fs.FS) error { return f.Rename(a, b) }
		case 8:
			a, b := pick(), pick()
			what = "link " + a + " " + b
			run = func(f fs.FS) error { return f.Link(a, b) }
		case 9:
			name := pick()
			what = "symlink " + name
			run = func(f fs.FS) error { return f.Symlink("../target", name) }
		case 10:
			name, at := pick(), int64(r.IntN(1e9))
			what = "settimes " + name
			run = func(f fs.FS) error { return f.SetTimes(name, fs.TimeAt(at), fs.TimeAt(at+1)) }
		}
		got, want := fs.Errno(run(o)), fs.Errno(run(model))
		if got != want {
			t.Fatalf("step %d: %s: overlay gives %v, model %v", step, what, errName(got), errName(want))
		}
		if dir && r.IntN(50) == 0 {
			if err := o.Close(); err != nil {
				t.Fatal(err)
			}
			o = open()
		}
		a, b := treeOf(t, o), treeOf(t, model)
		if !slices.Equal(a.lines, b.lines) {
			t.Fatalf("step %d: after %s:\n%s", step, what, diff(a.lines, b.lines))
		}
		for i, oi := range a.inos {
			mi := b.inos[i]
			if m, ok := inos[oi]; ok && m != mi {
				t.Fatalf("step %d: after %s: %s has inode %d, which was another file's", step, what, a.lines[i], oi)
			}
			if x, ok := back[mi]; ok && x != oi {
				t.Fatalf("step %d: after %s: %s changed inode number from %d to %d", step, what, a.lines[i], x, oi)
			}
			inos[oi], back[mi] = mi, oi
		}
		// Numbers of files that are gone may come back for new files.
		live := map[uint64]bool{}
		for _, mi := range b.inos {
			live[mi] = true
		}
		for mi, oi := range back {
			if !live[mi] {
				delete(back, mi)
				delete(inos, oi)
			}
		}
	}
}

func errName(e syscall.Errno) string {
	if e == 0 {
		return "success"
	}
	return e.Error()
}

func randBytes(r *rand.Rand) []byte {
	b := make([]byte, r.IntN(3000))
	for i := range b {
		b[i] = byte('a' + r.IntN(26))
	}
	return b
}

func allPaths(t testing.TB, f fs.FS) []string {
	paths := []string{"."}
	for i := 0; i < len(paths); i++ {
		list, err := f.ReadDir(paths[i])
		if err != nil {
			continue
		}
		for _, e := range list {
			paths = append(paths, fs.Join(paths[i], e.Name))
		}
	}
	return paths[1:]
}

type tree struct {
	lines []string
	inos  []uint64
}

// treeOf lists f sorted by name, with what a guest sees of each entry
// but times (writes set them to the current time) and inode numbers,
// which it returns beside.
func treeOf(t testing.TB, f fs.FS) tree {
	t.Helper()
	var tr tree
	var walk func(dir string)
	walk = func(dir string) {
		list, err := f.ReadDir(dir)
		if err != nil {
			t.Fatalf("readdir %s: %v", dir, err)
		}
		slices.SortFunc(list, func(a, b fs.DirEntry) int { return strings.Compare(a.Name, b.Name) })
		for _, e := range list {
			name := fs.Join(dir, e.Name)
			st := lstat(t, f, name)
			if st.Ino != e.Ino || st.Type != e.Type {
				t.Fatalf("%s: listed as %v %d, lstat says %v %d", name, e.Type, e.Ino, st.Type, st.Ino)
			}
			line := fmt.Sprintf("%s %v perm=%#o nlink=%d", name, st.Type, st.Perm, st.Nlink)
			switch st.Type {
			case fs.TypeRegular:
				line += fmt.Sprintf(" size=%d sha256=%x", st.Size, sha256.Sum256(fstest.ReadFile(t, f, name)))
			case fs.TypeSymlink:
				target, _ := f.Readlink(name)
				line += " -> " + target
			}
			if st.Type == fs.TypeDir {
				line = fmt.Sprintf("%s dir perm=%#o", name, st.Perm)
			}
			tr.lines = append(tr.lines, line)
			tr.inos = append(tr.inos, st.Ino)
			if st.Type == fs.TypeDir {
				walk(name)
			}
		}
	}
	walk(".")
	return tr
}

func diff(a, b []string) string {
	var out []string
	for _, l := range a {
		if !slices.Contains(b, l) {
			out = append(out, "overlay only: "+l)
		}
	}
	for _, l := range b {
		if !slices.Contains(a, l) {
			out = append(out, "model only:   "+l)
		}
	}
	return strings.Join(out, "\n")
}
