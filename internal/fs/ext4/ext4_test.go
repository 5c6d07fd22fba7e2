package ext4

import (
	"crypto/sha256"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"syscall"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/disk"
	"github.com/wasmvisor/wasmvisor/internal/disk/disktest"
)

// sourceTree builds the test tree with a directory of many entries in a
// temporary directory.
func sourceTree(t testing.TB, many int) string {
	return sourceTreeNames(t, many, false)
}

func sourceTreeNames(t testing.TB, many int, long bool) string {
	t.Helper()
	dir := t.TempDir()
	disktest.BuildTree(t, dir, disktest.TreeOptions{ManyFiles: many, LongNames: long, Fragments: 1500, Special: os.Geteuid() == 0})
	return dir
}

// mount opens the file system in the raw image at p.
func mount(t testing.TB, p string) *FS {
	t.Helper()
	dev, err := disk.OpenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dev.Close() })
	fsys, err := Open(dev, dev.Size(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

// compareTree checks that the file system holds exactly the tree at src:
// names, types, permissions, owners, link counts, sizes, times (seconds:
// mkfs.ext4 -d copies no more), contents and link targets, reached by
// ReadDir, Lookup and Walk alike.
func compareTree(t *testing.T, fsys *FS, src string, skip ...string) {
	t.Helper()
	var walk func(hostDir, guestDir string, dir Ino)
	walk = func(hostDir, guestDir string, dir Ino) {
		got := map[string]DirEntry{}
		if err := fsys.ReadDir(dir, 0, func(e DirEntry) bool {
			if _, dup := got[e.Name]; dup {
				t.Errorf("%s: %q listed twice", guestDir, e.Name)
			}
			got[e.Name] = e
			return true
		}); err != nil {
			t.Fatalf("ReadDir(%s): %v", guestDir, err)
		}
		if got["."].Ino != dir || got[".."].Ino == 0 {
			t.Errorf("%s: . = %d, .. = %d", guestDir, got["."].Ino, got[".."].Ino)
		}
		delete(got, ".")
		delete(got, "..")
		if guestDir == "/" {
			delete(got, "lost+found")
		}
		host, err := os.ReadDir(hostDir)
		if err != nil {
			t.Fatal(err)
		}
		if len(host) != len(got) {
			var names []string
			for n := range got {
				names = append(names, n)
			}
			sort.Strings(names)
			t.Fatalf("%s: %d entries in the image, %d on the host; image has %q", guestDir, len(got), len(host), names)
		}
		for _, he := range host {
			name := he.Name()
			hp, gp := filepath.Join(hostDir, name), path.Join(guestDir, name)
			e, ok := got[name]
			if !ok {
				t.Fatalf("%s: missing from the image", gp)
			}
			if !slices.Contains(skip, gp) {
				compareEntry(t, fsys, hp, gp, dir, e)
			}
			if he.IsDir() {
				walk(hp, gp, e.Ino)
			}
		}
	}
	walk(src, "/", fsys.Root())
}

func compareEntry(t *testing.T, fsys *FS, hp, gp string, dir Ino, e DirEntry) {
	t.Helper()
	fi, err := os.Lstat(hp)
	if err != nil {
		t.Fatal(err)
	}
	hs := fi.Sys().(*syscall.Stat_t)
	st, err := fsys.Stat(e.Ino)
	if err != nil {
		t.Fatalf("%s: Stat: %v", gp, err)
	}
	if st.Ino != e.Ino || st.Type() != e.Type {
		t.Errorf("%s: Stat ino %d type %v; ReadDir ino %d type %v", gp, st.Ino, st.Type(), e.Ino, e.Type)
	}
	if st.FileMode() != fi.Mode() {
		t.Errorf("%s: mode %v, want %v", gp, st.FileMode(), fi.Mode())
	}
	if st.Mode != uint16(hs.Mode) {
		t.Errorf("%s: raw mode %#o, want %#o", gp, st.Mode, hs.Mode)
	}
	if st.Uid != hs.Uid || st.Gid != hs.Gid || st.Nlink != uint32(hs.Nlink) {
		t.Errorf("%s: uid %d gid %d nlink %d, want %d %d %d", gp, st.Uid, st.Gid, st.Nlink, hs.Uid, hs.Gid, hs.Nlink)
	}
	if !fi.IsDir() && st.Size != fi.Size() {
		t.Errorf("%s: size %d, want %d", gp, st.Size, fi.Size())
	}
	if st.Mtime.Unix() != fi.ModTime().Unix() {
		t.Errorf("%s: mtime %v, want %v", gp, st.Mtime, fi.ModTime())
	}
	if ino, err := fsys.Lookup(dir, path.Base(gp)); err != nil || ino != e.Ino {
		t.Errorf("%s: Lookup = %d, %v; want %d", gp, ino, err, e.Ino)
	}
	if ino, err := fsys.Walk(fsys.Root(), gp, false); err != nil || ino != e.Ino {
		t.Errorf("%s: Walk = %d, %v; want %d", gp, ino, err, e.Ino)
	}
	switch {
	case fi.Mode()&os.ModeSymlink != 0:
		want, _ := os.Readlink(hp)
		if got, err := fsys.Readlink(e.Ino); err != nil || got != want {
			t.Errorf("%s: Readlink = %q, %v; want %q", gp, got, err, want)
		}
	case fi.Mode().IsRegular():
		want, err := os.ReadFile(hp)
		if err != nil {
			t.Fatal(err)
		}
		f, err := fsys.Open(e.Ino)
		if err != nil {
			t.Fatalf("%s: Open: %v", gp, err)
		}
		if sum, wantSum := hashReaderAt(t, f, f.Size()), sha256.Sum256(want); sum != wantSum {
			disktest.CheckReaderAt(t, f, want) // says where they differ
			t.Errorf("%s: contents differ", gp)
		}
	}
}

// hashReaderAt hashes size bytes of r, read in chunks that do not align
// with blocks.
func hashReaderAt(t *testing.T, r io.ReaderAt, size int64) [32]byte {
	h := sha256.New()
	if _, err := io.CopyBuffer(h, io.NewSectionReader(r, 0, size), make([]byte, 100_003)); err != nil {
		t.Fatal(err)
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

func TestOpen_MatchesSourceTree(t *testing.T) {
	disktest.Need(t, "mkfs.ext4", "e2fsck", "debugfs")
	tests := []struct {
		name string
		mkfs []string
		// tune are debugfs -w requests run before e2fsck -fD, which
		// turns the large directory into a hashed (htree) one when
		// index is set.
		tune  []string
		index bool
		// mkfsBug lists files mkfs.ext4 gets wrong, not compared.
		mkfsBug []string
		// many is the size of /many (default 300), with 200-byte names
		// if long; levels is the number of interior levels its index
		// has.
		many, levels int
		long         bool
	}{
		{name: "ext4", mkfs: []string{"-b", "4096"}, many: 3000},
		{name: "ext4 htree", mkfs: []string{"-b", "4096"}, index: true, many: 3000},
		{name: "ext4 1KiB blocks", mkfs: []string{"-b", "1024"}, index: true, many: 3000},
		// 3000 names fit in one 64 KiB block, which is never indexed.
		{name: "ext4 64KiB blocks", mkfs: []string{"-b", "65536"}, index: false, many: 3000},
		{name: "ext4 32-bit descriptors", mkfs: []string{"-b", "4096", "-O", "^64bit"}},
		// mke2fs 1.47.0 with inline_data sets the size of a file that
		// ends in a hole to the end of its last data block.
		{name: "ext4 inline data", mkfs: []string{"-b", "4096", "-O", "inline_data"}, index: true, many: 3000, mkfsBug: []string{"/sparse"}},
		{name: "ext4 128-byte inodes", mkfs: []string{"-b", "4096", "-I", "128"}},
		{name: "ext4 block maps", mkfs: []string{"-b", "4096", "-O", "^extent,^64bit"}, index: true},
		{name: "ext4 meta_bg", mkfs: []string{"-b", "1024", "-O", "meta_bg,^resize_inode"}},
		{name: "ext4 bigalloc", mkfs: []string{"-b", "4096", "-O", "bigalloc", "-C", "16384"}},
		// Enough long names for a two-level index with 1 KiB blocks.
		{name: "ext4 two-level htree", mkfs: []string{"-b", "1024", "-O", "large_dir"}, index: true, many: 800, long: true, levels: 1},
		{name: "ext4 tea hash", mkfs: []string{"-b", "1024"}, tune: []string{"ssv def_hash_version tea"}, index: true},
		{name: "ext4 legacy hash", mkfs: []string{"-b", "4096"}, tune: []string{"ssv def_hash_version legacy"}, index: true},
		{name: "ext4 unsigned half_md4 hash", mkfs: []string{"-b", "1024"}, tune: []string{"ssv flags 2"}, index: true},
		{name: "ext4 unsigned tea hash", mkfs: []string{"-b", "4096"}, tune: []string{"ssv flags 2", "ssv def_hash_version tea"}, index: true},
		{name: "ext2", mkfs: []string{"-t", "ext2", "-b", "1024"}, many: 3000},
		{name: "ext3", mkfs: []string{"-t", "ext3", "-b", "4096"}, index: true},
	}
	type treeKey struct {
		many int
		long bool
	}
	trees := map[treeKey]string{}
	for i := range tests {
		tc := &tests[i]
		tc.many = max(tc.many, 300)
		if k := (treeKey{tc.many, tc.long}); trees[k] == "" {
			trees[k] = sourceTreeNames(t, tc.many, tc.long)
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			img := filepath.Join(t.TempDir(), "fs.img")
			src := trees[treeKey{tc.many, tc.long}]
			disktest.MakeExt4(t, src, img, 64, append(tc.mkfs, "-N", "16384")...)
			for _, req := range tc.tune {
				disktest.Run(t, "debugfs", "-w", "-R", req, img)
			}
			if tc.index {
				disktest.Run(t, "e2fsck", "-fyD", img)
			}
			fsys := mount(t, img)
			compareTree(t, fsys, src, tc.mkfsBug...)
			many, err := fsys.Walk(fsys.Root(), "/many", true)
			if err != nil {
				t.Fatal(err)
			}
			st, _ := fsys.Stat(many)
			if hashed := st.Flags&flagIndex != 0; hashed != tc.index {
				t.Errorf("/many hashed = %v, want %v", hashed, tc.index)
			}
			if tc.index {
				in, _ := fsys.inode(many)
				root, err := fsys.dirBlock(many, in, 0)
				if err != nil {
					t.Fatal(err)
				}
				if levels := int(root[dxRootInfoOff+6]); levels != tc.levels {
					t.Errorf("/many index has %d interior levels, want %d", levels, tc.levels)
				}
			}
		})
	}
}
