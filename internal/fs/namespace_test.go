package fs_test

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/fs"
	"github.com/wasmvisor/wasmvisor/internal/fs/memfs"
)

// newTree builds a namespace with a memfs at "/" and another at "/mnt":
//
//	/dir/file            /dir/sub/             /top
//	/dir/rel -> file     /dir/up -> ../top     /dir/abs -> /top
//	/dir/out -> /dir2    /dir/loop -> loop     /dir/dangling -> nowhere
//	/dir/root -> /       /dir/todir -> sub/    /dir2/
//	/mnt/m (in the second file system)         /dir/tomnt -> /mnt
func newTree(t *testing.T) (*fs.Namespace, fs.FS, fs.FS) {
	t.Helper()
	root, mnt := memfs.New(memfs.Options{}), memfs.New(memfs.Options{})
	ns := fs.NewNamespace()
	if err := ns.Mount("/", root); err != nil {
		t.Fatal(err)
	}
	if err := ns.Mount("/mnt/", mnt); err != nil {
		t.Fatal(err)
	}
	mkdir := func(f fs.FS, name string) {
		if err := f.Mkdir(name, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	file := func(f fs.FS, name string) {
		h, err := f.Open(name, fs.OpenWrite|fs.OpenCreate, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		h.Close()
	}
	link := func(target, name string) {
		if err := root.Symlink(target, name); err != nil {
			t.Fatal(err)
		}
	}
	mkdir(root, "dir")
	mkdir(root, "dir/sub")
	mkdir(root, "dir2")
	file(root, "dir/file")
	file(root, "top")
	file(mnt, "m")
	link("file", "dir/rel")
	link("../top", "dir/up")
	link("/top", "dir/abs")
	link("/dir2", "dir/out")
	link("loop", "dir/loop")
	link("nowhere", "dir/dangling")
	link("/", "dir/root")
	link("sub/", "dir/todir")
	link("/mnt", "dir/tomnt")
	return ns, root, mnt
}

func TestNamespace_Resolve(t *testing.T) {
	ns, root, mnt := newTree(t)
	tests := []struct {
		base, path string
		follow     bool
		wantErr    error
		wantPath   string
		wantFS     fs.FS
		exists     bool
		dot        bool
		trailing   bool
	}{
		{base: "/", path: "dir/file", wantPath: "/dir/file", wantFS: root, exists: true},
		{base: "/dir", path: "file", wantPath: "/dir/file", wantFS: root, exists: true},
		{base: "/dir", path: "new", wantPath: "/dir/new", wantFS: root},
		{base: "/dir", path: "missing/new", wantErr: syscall.ENOENT},
		{base: "/dir", path: "file/x", wantErr: syscall.ENOTDIR},
		{base: "/dir", path: "", wantErr: syscall.ENOENT},
		{base: "/dir", path: "a\x00b", wantErr: syscall.EINVAL},
		{base: "/dir", path: strings.Repeat("n", 256), wantErr: syscall.ENAMETOOLONG},
		{base: "/dir", path: strings.Repeat("a/", 2049), wantErr: syscall.ENAMETOOLONG},
		{base: "/dir", path: "/dir/file", wantErr: fs.ErrNotCapable},
		{base: "/dir", path: "..", wantErr: fs.ErrNotCapable},
		{base: "/dir", path: "sub/../../top", wantErr: fs.ErrNotCapable},
		{base: "/dir", path: "sub/..", wantPath: "/dir", wantFS: root, exists: true, dot: true},
		{base: "/dir", path: ".", wantPath: "/dir", wantFS: root, exists: true, dot: true},
		{base: "/dir", path: "sub/", wantPath: "/dir/sub", wantFS: root, exists: true, trailing: true},
		{base: "/dir", path: "sub//.//", wantPath: "/dir/sub", wantFS: root, exists: true, dot: true, trailing: true},
		// Symbolic links.
		{base: "/dir", path: "rel", wantPath: "/dir/rel", wantFS: root, exists: true},
		{base: "/dir", path: "rel", follow: true, wantPath: "/dir/file", wantFS: root, exists: true},
		{base: "/dir", path: "up", follow: true, wantErr: fs.ErrNotCapable},
		{base: "/", path: "dir/up", follow: true, wantPath: "/top", wantFS: root, exists: true},
		{base: "/dir", path: "abs", follow: true, wantErr: fs.ErrNotCapable},
		{base: "/", path: "dir/abs", follow: true, wantPath: "/top", wantFS: root, exists: true},
		{base: "/dir", path: "out/x", wantErr: fs.ErrNotCapable},
		{base: "/", path: "dir/out/new", wantPath: "/dir2/new", wantFS: root},
		{base: "/dir", path: "loop", follow: true, wantErr: syscall.ELOOP},
		{base: "/dir", path: "loop", wantPath: "/dir/loop", wantFS: root, exists: true},
		{base: "/dir", path: "dangling", follow: true, wantPath: "/dir/nowhere", wantFS: root},
		{base: "/dir", path: "root", follow: true, wantErr: fs.ErrNotCapable},
		{base: "/", path: "dir/root", follow: true, wantPath: "/", wantFS: root, exists: true, dot: true, trailing: true},
		{base: "/", path: "dir/root/dir/file", wantPath: "/dir/file", wantFS: root, exists: true},
		{base: "/dir", path: "todir", follow: true, wantPath: "/dir/sub", wantFS: root, exists: true, trailing: true},
		{base: "/dir", path: "todir", wantPath: "/dir/todir", wantFS: root, exists: true},
		// Mounts.
		{base: "/", path: "mnt/m", wantPath: "/mnt/m", wantFS: mnt, exists: true},
		{base: "/", path: "mnt", wantPath: "/mnt", wantFS: mnt, exists: true},
		{base: "/mnt", path: "../dir/file", wantErr: fs.ErrNotCapable},
		{base: "/", path: "mnt/../dir/file", wantPath: "/dir/file", wantFS: root, exists: true},
		{base: "/", path: "dir/tomnt/m", wantPath: "/mnt/m", wantFS: mnt, exists: true},
		// An absolute link may pass above base if it leads back beneath it.
		{base: "/mnt", path: "m", wantPath: "/mnt/m", wantFS: mnt, exists: true},
	}
	for _, tt := range tests {
		t.Run(tt.base+"|"+tt.path, func(t *testing.T) {
			r, err := ns.Resolve(tt.base, tt.path, tt.follow)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %+v, %v; want error %v", r, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Path != tt.wantPath || r.FS != tt.wantFS || r.Exists != tt.exists || r.Dot != tt.dot || r.TrailingSlash != tt.trailing {
				t.Fatalf("got path %q exists %v dot %v trailing %v (fs match %v), want %q %v %v %v",
					r.Path, r.Exists, r.Dot, r.TrailingSlash, r.FS == tt.wantFS, tt.wantPath, tt.exists, tt.dot, tt.trailing)
			}
		})
	}
}

func TestNamespace_ResolveSymlinkLimit(t *testing.T) {
	tests := []struct {
		links int
		want  error
	}{
		{fs.MaxSymlinks, nil},
		{fs.MaxSymlinks + 1, syscall.ELOOP},
	}
	for _, tt := range tests {
		ns := fs.NewNamespace()
		m := memfs.New(memfs.Options{})
		ns.Mount("/", m)
		h, _ := m.Open("target", fs.OpenWrite|fs.OpenCreate, 0o644)
		h.Close()
		prev := "target"
		for i := range tt.links {
			name := "l" + strings.Repeat("x", i)
			m.Symlink(prev, name)
			prev = name
		}
		r, err := ns.Resolve("/", prev, true)
		if !errors.Is(err, tt.want) || (err == nil && r.Path != "/target") {
			t.Errorf("%d links: got %q, %v; want %v", tt.links, r.Path, err, tt.want)
		}
	}
}

func TestNamespace_Mount(t *testing.T) {
	ns := fs.NewNamespace()
	m := memfs.New(memfs.Options{})
	if err := ns.Mount("relative", m); err == nil {
		t.Error("relative mount point accepted")
	}
	if err := ns.Mount("/a", nil); err == nil {
		t.Error("nil file system accepted")
	}
	if err := ns.Mount("/a/../b", m); err != nil {
		t.Fatal(err)
	}
	if err := ns.Mount("/b/", m); err == nil {
		t.Error("second mount at /b accepted")
	}
	if _, err := ns.Resolve("/", "x", false); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("path with nothing mounted: %v, want ENOENT", err)
	}
	l, err := ns.Locate("/b/c/./d")
	if err != nil || l.Name != "c/d" || l.MountPath != "/b" || l.IsMountRoot() {
		t.Errorf("Locate: %+v, %v", l, err)
	}
}

func TestSetTime_Resolve(t *testing.T) {
	tests := []struct {
		in   fs.SetTime
		want int64
		ok   bool
	}{
		{fs.TimeOmit, 0, false},
		{fs.TimeNow, 42, true},
		{fs.TimeAt(7), 7, true},
	}
	for _, tt := range tests {
		got, ok := tt.in.Resolve(42)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%+v: got %d %v", tt.in, got, ok)
		}
	}
}

func FuzzNamespace_Resolve(f *testing.F) {
	for _, p := range []string{"dir/file", "../x", "dir/root/dir/up", "a/./b/../", "dir/tomnt/m/.."} {
		f.Add("/dir", p, true)
	}
	f.Fuzz(func(t *testing.T, base, path string, follow bool) {
		ns, _, _ := newTree(t)
		base = fs.CleanAbs("/" + base)
		r, err := ns.Resolve(base, path, follow)
		fs.SetFastResolve(false)
		slow, slowErr := ns.Resolve(base, path, follow)
		fs.SetFastResolve(true)
		if r != slow || !errors.Is(err, slowErr) && err != slowErr {
			t.Fatalf("%q from %q: shortcut gives %+v, %v; full walk %+v, %v", path, base, r, err, slow, slowErr)
		}
		if err != nil {
			return
		}
		if r.Path != base && !strings.HasPrefix(r.Path, strings.TrimSuffix(base, "/")+"/") {
			t.Fatalf("resolved %q from %q to %q, outside the base", path, base, r.Path)
		}
	})
}
