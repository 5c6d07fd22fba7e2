package ext4fs_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/disk"
	"github.com/wasmvisor/wasmvisor/internal/disk/disktest"
	"github.com/wasmvisor/wasmvisor/internal/fs"
	"github.com/wasmvisor/wasmvisor/internal/fs/ext4"
	"github.com/wasmvisor/wasmvisor/internal/fs/ext4fs"
	"github.com/wasmvisor/wasmvisor/internal/fs/fstest"
	"github.com/wasmvisor/wasmvisor/internal/fs/hostfs"
)

// image builds an ext4 image of the test tree and returns the tree's
// directory and the image served as an fs.FS.
func image(t *testing.T, opts disktest.TreeOptions, mkfs ...string) (string, *ext4fs.FS) {
	t.Helper()
	disktest.Need(t, "mkfs.ext4")
	src := t.TempDir()
	disktest.BuildTree(t, src, opts)
	img := filepath.Join(t.TempDir(), "fs.img")
	disktest.MakeExt4(t, src, img, 32, mkfs...)
	dev, err := disk.OpenFile(img)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dev.Close() })
	fsys, err := ext4.Open(dev, dev.Size(), ext4.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return src, ext4fs.New(fsys)
}

func TestFS_SameAsHost(t *testing.T) {
	tests := []struct {
		name string
		mkfs []string
		skip []string
	}{
		{"ext4", nil, nil},
		{"1k blocks", []string{"-b", "1024"}, nil},
		// mkfs.ext4 -d with inline_data cuts a file's trailing hole off.
		{"inline data", []string{"-O", "inline_data"}, []string{"sparse"}},
		{"ext2", []string{"-t", "ext2"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, img := image(t, disktest.TreeOptions{ManyFiles: 300, Special: os.Geteuid() == 0}, tt.mkfs...)
			host, err := hostfs.New(src, hostfs.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer host.Close()
			compareFS(t, img, host, ".", tt.skip...)
		})
	}
}

// compareFS checks that got holds the same tree as want below dir: the
// same names, types, permissions, sizes of files and links, modification
// times (to the second: mkfs.ext4 -d copies no more), contents and link
// targets. "lost+found", which mkfs.ext4 adds, and the names in skip are
// ignored.
func compareFS(t *testing.T, got, want fs.FS, dir string, skip ...string) {
	t.Helper()
	names := func(f fs.FS) []string {
		t.Helper()
		list, err := f.ReadDir(dir)
		if err != nil {
			t.Fatalf("readdir %s: %v", dir, err)
		}
		var out []string
		for _, e := range list {
			if dir == "." && e.Name == "lost+found" || slices.Contains(skip, fs.Join(dir, e.Name)) {
				continue
			}
			st, err := f.Lstat(fs.Join(dir, e.Name))
			if err != nil {
				t.Fatalf("lstat %s: %v", fs.Join(dir, e.Name), err)
			}
			if st.Ino != e.Ino || st.Type != e.Type {
				t.Errorf("%s: listed as %v inode %d, lstat says %v inode %d", fs.Join(dir, e.Name), e.Type, e.Ino, st.Type, st.Ino)
			}
			out = append(out, e.Name)
		}
		slices.Sort(out)
		return out
	}
	gotNames, wantNames := names(got), names(want)
	if !slices.Equal(gotNames, wantNames) {
		t.Fatalf("%s lists %q, want %q", dir, gotNames, wantNames)
	}
	for _, n := range gotNames {
		p := fs.Join(dir, n)
		g, err := got.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		w, err := want.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if g.Type != w.Type || g.Perm != w.Perm || g.Mtime/1e9 != w.Mtime/1e9 ||
			(g.Type != fs.TypeDir && (g.Size != w.Size || g.Nlink != w.Nlink)) {
			t.Errorf("%s: got %+v, want %+v", p, g, w)
			continue
		}
		switch g.Type {
		case fs.TypeDir:
			compareFS(t, got, want, p, skip...)
		case fs.TypeSymlink:
			gt, err1 := got.Readlink(p)
			wt, err2 := want.Readlink(p)
			if err1 != nil || err2 != nil || gt != wt {
				t.Errorf("%s: link to %q (%v), want %q (%v)", p, gt, err1, wt, err2)
			}
		case fs.TypeRegular:
			if a, b := readAll(t, got, p), readAll(t, want, p); !bytes.Equal(a, b) {
				t.Errorf("%s: contents differ", p)
			}
		}
	}
}

func readAll(t *testing.T, f fs.FS, name string) []byte {
	t.Helper()
	h, err := f.Open(name, fs.OpenRead, 0)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	defer h.Close()
	st, err := h.Stat()
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(io.NewSectionReader(h, 0, int64(st.Size)))
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return b
}

func TestFS_Errors(t *testing.T) {
	_, img := image(t, disktest.TreeOptions{Special: os.Geteuid() == 0})
	tests := []struct {
		op   string
		name string
		want syscall.Errno
		run  func(name string) error
	}{
		{"lstat", "missing", syscall.ENOENT, func(n string) error { _, err := img.Lstat(n); return err }},
		{"lstat", "hello.txt/x", syscall.ENOTDIR, func(n string) error { _, err := img.Lstat(n); return err }},
		{"lstat", "link-abs/deeper", syscall.ELOOP, func(n string) error { _, err := img.Lstat(n); return err }},
		{"lstat", "a/../b", syscall.EINVAL, func(n string) error { _, err := img.Lstat(n); return err }},
		{"lstat", "/hello.txt", syscall.EINVAL, func(n string) error { _, err := img.Lstat(n); return err }},
		{"readdir", "hello.txt", syscall.ENOTDIR, func(n string) error { _, err := img.ReadDir(n); return err }},
		{"readdir", "link-abs", syscall.ENOTDIR, func(n string) error { _, err := img.ReadDir(n); return err }},
		{"readlink", "hello.txt", syscall.EINVAL, func(n string) error { _, err := img.Readlink(n); return err }},
		{"readlink", "missing", syscall.ENOENT, func(n string) error { _, err := img.Readlink(n); return err }},
		{"open", "dir", syscall.EISDIR, openErr(img, fs.OpenRead)},
		{"open", ".", syscall.EISDIR, openErr(img, fs.OpenRead)},
		{"open", "link-rel", syscall.ELOOP, openErr(img, fs.OpenRead)},
		{"open for writing", "hello.txt", syscall.EROFS, openErr(img, fs.OpenRead|fs.OpenWrite)},
		{"open truncating", "hello.txt", syscall.EROFS, openErr(img, fs.OpenRead|fs.OpenTruncate)},
		{"create", "new", syscall.EROFS, openErr(img, fs.OpenWrite|fs.OpenCreate)},
		{"create exclusive", "hello.txt", syscall.EEXIST, openErr(img, fs.OpenRead|fs.OpenCreate|fs.OpenExclusive)},
		{"create in missing", "missing/new", syscall.ENOENT, openErr(img, fs.OpenRead|fs.OpenCreate)},
		{"mkdir", "new", syscall.EROFS, func(n string) error { return img.Mkdir(n, 0o755) }},
		{"rmdir", "emptydir", syscall.EROFS, img.Rmdir},
		{"unlink", "hello.txt", syscall.EROFS, img.Unlink},
		{"rename", "hello.txt", syscall.EROFS, func(n string) error { return img.Rename(n, "x") }},
		{"link", "hello.txt", syscall.EROFS, func(n string) error { return img.Link(n, "x") }},
		{"symlink", "x", syscall.EROFS, func(n string) error { return img.Symlink("t", n) }},
		{"settimes", "hello.txt", syscall.EROFS, func(n string) error { return img.SetTimes(n, fs.TimeNow, fs.TimeNow) }},
	}
	if os.Geteuid() == 0 {
		tests = append(tests, struct {
			op   string
			name string
			want syscall.Errno
			run  func(name string) error
		}{"open", "fifo", syscall.ENXIO, openErr(img, fs.OpenRead)})
	}
	for _, tt := range tests {
		t.Run(tt.op+" "+tt.name, func(t *testing.T) {
			fstest.WantErrno(t, tt.op+" "+tt.name, tt.run(tt.name), tt.want)
		})
	}
}

func openErr(img fs.FS, flags fs.OpenFlag) func(string) error {
	return func(name string) error {
		h, err := img.Open(name, flags, 0o644)
		if err == nil {
			h.Close()
		}
		return err
	}
}

func TestFile_ReadOnly(t *testing.T) {
	_, img := image(t, disktest.TreeOptions{})
	h, err := img.Open("hello.txt", fs.OpenRead|fs.OpenCreate, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, err := h.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := img.Lstat("hello.txt"); st != want {
		t.Errorf("fstat %+v, lstat %+v", st, want)
	}
	buf := make([]byte, 64)
	if n, err := h.ReadAt(buf, 7); string(buf[:n]) != "world\n" || err != io.EOF {
		t.Errorf("read at 7: %q, %v", buf[:n], err)
	}
	fstest.WantErrno(t, "write", func() error { _, err := h.WriteAt([]byte("x"), 0); return err }(), syscall.EBADF)
	fstest.WantErrno(t, "truncate", h.Truncate(0), syscall.EBADF)
	fstest.WantErrno(t, "allocate", h.Allocate(0, 1), syscall.EBADF)
	fstest.WantErrno(t, "settimes", h.SetTimes(fs.TimeNow, fs.TimeNow), syscall.EROFS)
	fstest.WantErrno(t, "sync", h.Sync(), 0)
	fstest.WantErrno(t, "close", h.Close(), 0)
	fstest.WantErrno(t, "second close", h.Close(), syscall.EBADF)
	_, err = h.ReadAt(buf, 0)
	fstest.WantErrno(t, "read after close", err, syscall.EBADF)
	_, err = h.Stat()
	fstest.WantErrno(t, "stat after close", err, syscall.EBADF)
}

// TestFS_Concurrent reads the tree from several goroutines at once, for
// the race detector.
func TestFS_Concurrent(t *testing.T) {
	src, img := image(t, disktest.TreeOptions{ManyFiles: 200})
	want, err := os.ReadFile(filepath.Join(src, "big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				name := "many/f" + strings.Repeat("0", 4-len(itoa(i))) + itoa(i)
				if _, err := img.Lstat(name); err != nil {
					t.Error(err)
					return
				}
			}
			if g%2 == 0 {
				if _, err := img.ReadDir("many"); err != nil {
					t.Error(err)
				}
				return
			}
			h, err := img.Open("big.bin", fs.OpenRead, 0)
			if err != nil {
				t.Error(err)
				return
			}
			defer h.Close()
			if err := disktest.CompareReaderAt(h, want); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

func itoa(i int) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + i%10)}, b...)
		if i /= 10; i == 0 {
			return string(b)
		}
	}
}
