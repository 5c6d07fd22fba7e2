package ext4

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/disk/disktest"
)

const seedDir = "testdata/seeds"

// TestSeeds checks that the fuzz seed images mount and match what they
// were built from; with -update-seeds it rebuilds them: small (128 KiB)
// file systems with 1 KiB blocks and no journal that between them have
// extent trees with index blocks, a hashed directory, fast and slow
// symlinks, holes, inline data and ext2 block maps.
func TestSeeds(t *testing.T) {
	if *disktest.UpdateSeeds {
		buildSeeds(t)
	}
	for name, img := range disktest.Seeds(t, seedDir) {
		t.Run(name, func(t *testing.T) {
			fsys, err := Open(bytes.NewReader(img), int64(len(img)), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if n := exercise(fsys); n < 20 {
				t.Fatalf("only %d inodes reached", n)
			}
		})
	}
}

func buildSeeds(t *testing.T) {
	disktest.Need(t, "mkfs.ext4", "e2fsck")
	src := t.TempDir()
	write := func(name, data string) {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a", "hello\n")
	write("mid", strings.Repeat("m", 100))
	write("big", strings.Repeat("0123456789abcdef", 1500)) // past the direct blocks
	for i := range 100 {
		write(fmt.Sprintf("d/entry-%03d", i), "")
	}
	write("d/sub/x", "x")
	for _, l := range []struct{ name, target string }{
		{"fast", "a"}, {"slow", "/" + strings.Repeat("s", 80)}, {"d/up", "../a"},
	} {
		if err := os.Symlink(l.target, filepath.Join(src, l.name)); err != nil {
			t.Fatal(err)
		}
	}
	sp, err := os.Create(filepath.Join(src, "sparse"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 12 { // fragments: more extents than the inode holds
		sp.WriteAt([]byte("fragment"), int64(i)*3000)
	}
	sp.Truncate(50000)
	sp.Close()

	for _, v := range []struct {
		name string
		mkfs []string
	}{
		{"ext4", []string{"-O", "^has_journal,^resize_inode"}},
		{"ext4-inline", []string{"-O", "^has_journal,^resize_inode,inline_data", "-I", "256"}},
		{"ext4-128", []string{"-O", "^has_journal,^resize_inode,^metadata_csum", "-I", "128"}},
		{"ext2", []string{"-t", "ext2", "-O", "^resize_inode"}},
	} {
		img := filepath.Join(t.TempDir(), "img")
		disktest.MakeExt4(t, src, img, 0, append([]string{"-b", "1024", "-N", "128"}, v.mkfs...)...)
		disktest.Run(t, "e2fsck", "-fyD", img)
		b, err := os.ReadFile(img)
		if err != nil {
			t.Fatal(err)
		}
		disktest.WriteSeed(t, filepath.Join(seedDir, v.name+".img.gz"), b)
	}
}

// exercise reads everything reachable in fsys, within a budget, the way a
// guest walking the tree would: every call that may meet damaged metadata
// is made, and errors are expected. It returns the inodes reached.
func exercise(fsys *FS) int {
	const budget = 2000
	seen := map[Ino]bool{}
	queue := []Ino{fsys.Root()}
	buf := make([]byte, 16<<10)
	for len(queue) > 0 && len(seen) < budget {
		dir := queue[0]
		queue = queue[1:]
		if seen[dir] {
			continue
		}
		seen[dir] = true
		var entries []DirEntry
		fsys.ReadDir(dir, 0, func(e DirEntry) bool {
			entries = append(entries, e)
			return len(entries) < budget
		})
		for _, e := range entries {
			fsys.Lookup(dir, e.Name)
			fsys.ReadDir(dir, e.Next, func(DirEntry) bool { return false })
			st, err := fsys.Stat(e.Ino)
			if err != nil || seen[e.Ino] {
				continue
			}
			switch st.Type() {
			case TypeDir:
				queue = append(queue, e.Ino)
				continue
			case TypeSymlink:
				if target, err := fsys.Readlink(e.Ino); err == nil {
					fsys.Walk(dir, target, true)
				}
			case TypeRegular:
				if f, err := fsys.Open(e.Ino); err == nil {
					f.ReadAt(buf, 0)
					f.ReadAt(buf, max(0, f.Size()-100))
				}
			}
			seen[e.Ino] = true
		}
	}
	for _, p := range []string{"/a", "/d/up", "/d/entry-050", "/d/../fast", "/slow"} {
		fsys.Walk(fsys.Root(), p, true)
	}
	return len(seen)
}

// FuzzOpen mounts arbitrary bytes as a file system and reads all of it.
// Nothing may panic or hang, and memory stays within the caches' bounds.
func FuzzOpen(f *testing.F) {
	for _, img := range disktest.Seeds(f, seedDir) {
		f.Add(img)
	}
	f.Fuzz(func(t *testing.T, img []byte) {
		fsys, err := Open(bytes.NewReader(img), int64(len(img)), Options{BlockCache: 1 << 20, InodeCache: 1 << 20, DirIndexCache: 1 << 20})
		if err != nil {
			return
		}
		exercise(fsys)
	})
}
