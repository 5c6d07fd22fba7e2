package disktest

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TreeOptions choose what BuildTree puts in the tree.
type TreeOptions struct {
	// ManyFiles is the number of entries of /many (0: none).
	ManyFiles int
	// LongNames makes the names in /many 200 bytes long, so that few of
	// them fill a directory block and a deep htree needs few files.
	LongNames bool
	// Fragments is the number of 4 KiB pieces of /frag, each followed
	// by a 4 KiB hole, so that the file has that many extents.
	Fragments int
	// Special adds a FIFO and files owned by other users, which need
	// root to create.
	Special bool
}

// BuildTree fills dir with a tree that exercises a file system reader:
// nested directories, a large directory, small files of the sizes where
// inline data changes layout, a large random file, sparse and fragmented
// files, fast, slow, absolute, relative, dangling and looping symlinks,
// hard links, non-ASCII and 255-byte names, and unusual permission bits.
func BuildTree(t testing.TB, dir string, opts TreeOptions) {
	t.Helper()
	r := rand.New(rand.NewPCG(7, 8))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	file := func(name string, data []byte, perm os.FileMode) {
		t.Helper()
		p := filepath.Join(dir, name)
		must(os.MkdirAll(filepath.Dir(p), 0o755))
		must(os.WriteFile(p, data, perm))
		must(os.Chmod(p, perm)) // not subject to the umask
	}
	file("hello.txt", []byte("hello, world\n"), 0o644)
	file("empty", nil, 0o644)
	for _, n := range []int{1, 59, 60, 61, 100, 150, 200, 4095, 4096, 4097} {
		file(fmt.Sprintf("small/%d", n), random(n), 0o644)
	}
	file("big.bin", random(3<<20+123), 0o644)
	file("dir/nested/deeper/file.txt", []byte("deep\n"), 0o640)
	file("exec.sh", []byte("#!/bin/sh\necho hi\n"), 0o755)
	file("private", []byte("secret\n"), 0o600)
	file("setuid", []byte("x"), 0o755)
	must(os.Chmod(filepath.Join(dir, "setuid"), 0o755|os.ModeSetuid))
	must(os.Mkdir(filepath.Join(dir, "emptydir"), 0o755))
	must(os.Mkdir(filepath.Join(dir, "sticky"), 0o755))
	must(os.Chmod(filepath.Join(dir, "sticky"), 0o777|os.ModeSticky))
	file("ünïcødé-日本語.txt", []byte("non-ASCII name\n"), 0o644)
	file("dir/emoji-🙂", []byte("emoji\n"), 0o644)
	file("dir/with space", []byte("space\n"), 0o644)
	file(strings.Repeat("n", 255), []byte("longest name\n"), 0o644)
	file("hard1", []byte("linked twice\n"), 0o644)
	must(os.Link(filepath.Join(dir, "hard1"), filepath.Join(dir, "hard2")))

	// Sparse: data at the start, inside, and a hole at the end.
	sp, err := os.Create(filepath.Join(dir, "sparse"))
	must(err)
	for _, w := range []struct {
		off int64
		n   int
	}{{0, 4096}, {1 << 20, 10000}, {5 << 20, 1}} {
		_, err := sp.WriteAt(random(w.n), w.off)
		must(err)
	}
	must(sp.Truncate(8 << 20))
	must(sp.Close())

	if opts.Fragments > 0 {
		fr, err := os.Create(filepath.Join(dir, "frag"))
		must(err)
		for i := 0; i < opts.Fragments; i++ {
			_, err := fr.WriteAt(random(4096), int64(i)*8192)
			must(err)
		}
		must(fr.Close())
	}
	for i := 0; i < opts.ManyFiles; i++ {
		var data []byte
		if i%10 == 0 {
			data = []byte(fmt.Sprintf("file %d\n", i))
		}
		name := fmt.Sprintf("many/f%04d", i)
		if opts.LongNames {
			name += strings.Repeat("-", 195)
		}
		file(name, data, 0o644)
	}

	links := map[string]string{
		"link-rel":      "hello.txt",
		"link-abs":      "/dir/nested",
		"link-long":     "/" + strings.Repeat("long/", 20) + "target",
		"link-dangling": "nowhere",
		"dir/up":        "../hello.txt",
		"dir/up-abs":    "/../../hello.txt",
		"loop1":         "loop2",
		"loop2":         "loop1",
		"self":          "self",
	}
	for name, target := range links {
		must(os.Symlink(target, filepath.Join(dir, name)))
	}
	if opts.Special {
		must(syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644))
		file("owned", []byte("owned by 1000\n"), 0o644)
		must(os.Lchown(filepath.Join(dir, "owned"), 1000, 1000))
		file("highuid", []byte("owned by a 32-bit uid\n"), 0o644)
		must(os.Lchown(filepath.Join(dir, "highuid"), 100000, 200000))
	}
	// Fixed times, so that images built from the tree are comparable.
	ts := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
	must(filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.Mode()&os.ModeSymlink != 0 {
			return err
		}
		return os.Chtimes(p, ts, ts)
	}))
}

// MakeExt4 builds an ext4 image of the tree at src at dst with mkfs.ext4
// -d. args are extra mkfs.ext4 arguments (such as "-b", "1024" or "-O",
// "inline_data"); sizeMB is the image size, 0 for 128 KiB.
func MakeExt4(t testing.TB, src, dst string, sizeMB int, args ...string) {
	t.Helper()
	size := fmt.Sprintf("%dM", sizeMB)
	if sizeMB == 0 {
		size = "128K"
	}
	all := append([]string{"-q", "-F", "-d", src}, args...)
	Run(t, "mkfs.ext4", append(all, dst, size)...)
}
