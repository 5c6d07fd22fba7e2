package ext4

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/disk/disktest"
)

// smallImage builds an image of the test tree (without the large
// directory) plus a chain of symlinks chain0 -> chain1 -> ... -> chainN
// -> hello.txt, and returns the mounted file system.
func smallImage(t *testing.T, mkfs ...string) *FS {
	t.Helper()
	disktest.Need(t, "mkfs.ext4")
	src := t.TempDir()
	disktest.BuildTree(t, src, disktest.TreeOptions{})
	for i := 0; i <= MaxSymlinks; i++ {
		target := fmt.Sprintf("chain%d", i+1)
		if i == MaxSymlinks {
			target = "hello.txt"
		}
		if err := os.Symlink(target, filepath.Join(src, fmt.Sprintf("chain%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	img := filepath.Join(t.TempDir(), "fs.img")
	disktest.MakeExt4(t, src, img, 16, append([]string{"-b", "1024"}, mkfs...)...)
	return mount(t, img)
}

func TestFS_Walk(t *testing.T) {
	fsys := smallImage(t)
	ino := func(p string) Ino {
		t.Helper()
		i, err := fsys.Walk(fsys.Root(), p, false)
		if err != nil {
			t.Fatal(err)
		}
		return i
	}
	root := fsys.Root()
	hello := ino("/hello.txt")
	nested := ino("/dir/nested")
	dir := ino("/dir")
	tests := []struct {
		name   string
		start  Ino
		path   string
		follow bool
		want   Ino
		errno  syscall.Errno
	}{
		{"absolute", root, "/hello.txt", false, hello, 0},
		{"root", root, "/", false, root, 0},
		{"relative", dir, "nested", false, nested, 0},
		{"relative dotdot", dir, "../hello.txt", false, hello, 0},
		{"dotdot stays in root", root, "/../../../hello.txt", false, hello, 0},
		{"dotdot from start", nested, "../../../../..", false, root, 0},
		{"dot and slashes", root, ".//dir/./nested//", false, nested, 0},
		{"relative symlink followed", root, "link-rel", true, hello, 0},
		{"symlink not followed", root, "link-rel", false, ino("/link-rel"), 0},
		{"absolute symlink inside path", dir, "../link-abs/deeper/file.txt", false, ino("/dir/nested/deeper/file.txt"), 0},
		{"relative symlink in subdirectory", root, "/dir/up", true, hello, 0},
		{"absolute symlink with dotdot above root", root, "/dir/up-abs", true, hello, 0},
		{"trailing slash follows symlink", root, "/link-abs/", false, nested, 0},
		{"40 symlinks", root, "/chain1", true, hello, 0},
		{"41 symlinks", root, "/chain0", true, 0, syscall.ELOOP},
		{"loop", root, "/loop1", true, 0, syscall.ELOOP},
		{"self loop", root, "/self/x", false, 0, syscall.ELOOP},
		{"loop not followed", root, "/loop1", false, ino("/loop1"), 0},
		{"dangling", root, "/link-dangling", true, 0, syscall.ENOENT},
		{"dangling absolute", root, "/link-long", true, 0, syscall.ENOENT},
		{"missing", root, "/nope", false, 0, syscall.ENOENT},
		{"missing parent", root, "/nope/x", false, 0, syscall.ENOENT},
		{"empty", root, "", false, 0, syscall.ENOENT},
		{"file as directory", root, "/hello.txt/x", false, 0, syscall.ENOTDIR},
		{"file with trailing slash", root, "/hello.txt/", false, 0, syscall.ENOTDIR},
		{"file with trailing dot", root, "/hello.txt/.", false, 0, syscall.ENOTDIR},
		{"name too long", root, "/" + strings.Repeat("x", 256), false, 0, syscall.ENAMETOOLONG},
		{"path too long", root, strings.Repeat("a/", MaxPathLen/2), false, 0, syscall.ENAMETOOLONG},
		{"non-ASCII", root, "/ünïcødé-日本語.txt", false, ino("/ünïcødé-日本語.txt"), 0},
		{"longest name", root, "/" + strings.Repeat("n", 255), false, ino("/" + strings.Repeat("n", 255)), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := fsys.Walk(tc.start, tc.path, tc.follow)
			if tc.errno != 0 {
				var pe *fs.PathError
				if !errors.As(err, &pe) || pe.Err != tc.errno {
					t.Fatalf("Walk = %d, %v; want a PathError holding %v", got, err, tc.errno)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Walk = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

func TestFS_Lookup(t *testing.T) {
	fsys := smallImage(t)
	root := fsys.Root()
	hello, _ := fsys.Lookup(root, "hello.txt")
	dir, _ := fsys.Lookup(root, "dir")
	tests := []struct {
		name  string
		dir   Ino
		elem  string
		want  Ino
		errno syscall.Errno
	}{
		{"file", root, "hello.txt", hello, 0},
		{"dot", dir, ".", dir, 0},
		{"dotdot", dir, "..", root, 0},
		{"root dotdot", root, "..", root, 0},
		{"missing", root, "nope", 0, syscall.ENOENT},
		{"empty", root, "", 0, syscall.ENOENT},
		{"not a directory", hello, "x", 0, syscall.ENOTDIR},
		{"too long", root, strings.Repeat("x", 256), 0, syscall.ENAMETOOLONG},
		{"slash", root, "dir/nested", 0, syscall.EINVAL},
		{"reserved inode number is no name", root, "lost+found", 11, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := fsys.Lookup(tc.dir, tc.elem)
			if tc.errno != 0 {
				if !errors.Is(err, tc.errno) {
					t.Fatalf("Lookup = %d, %v; want %v", got, err, tc.errno)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Lookup = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

func TestFS_ReadDirCookies(t *testing.T) {
	tests := []struct {
		name   string
		mkfs   []string
		dir    string
		inline bool
	}{
		{"block directory", nil, "/dir", false},
		{"inline directory", []string{"-O", "inline_data", "-I", "256"}, "/dir/nested", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys := smallImage(t, tc.mkfs...)
			dir, err := fsys.Walk(fsys.Root(), tc.dir, true)
			if err != nil {
				t.Fatal(err)
			}
			if st, _ := fsys.Stat(dir); (st.Flags&flagInlineData != 0) != tc.inline {
				t.Fatalf("%s inline = %v, want %v", tc.dir, !tc.inline, tc.inline)
			}
			all := list(t, fsys, dir, 0, -1)
			if len(all) < 3 || all[0].Name != "." || all[1].Name != ".." {
				t.Fatalf("listing %v does not start with . and ..", names(all))
			}
			// Every cookie continues exactly after its entry.
			for i, e := range all {
				rest := list(t, fsys, dir, e.Next, -1)
				if got, want := names(rest), names(all[i+1:]); got != want {
					t.Errorf("after %q: %s, want %s", e.Name, got, want)
				}
			}
			// A cookie inside an entry continues at the next one.
			if got, want := names(list(t, fsys, dir, all[2].Next-1, -1)), names(all[3:]); got != want {
				t.Errorf("mid-entry cookie: %s, want %s", got, want)
			}
			// Stopping early, then continuing, sees every entry once.
			var joined []DirEntry
			for cookie := uint64(0); ; {
				page := list(t, fsys, dir, cookie, 2)
				if len(page) == 0 {
					break
				}
				joined = append(joined, page...)
				cookie = page[len(page)-1].Next
			}
			if names(joined) != names(all) {
				t.Errorf("paged listing %s, want %s", names(joined), names(all))
			}
			if rest := list(t, fsys, dir, 1<<40, -1); len(rest) != 0 {
				t.Errorf("cookie past the end listed %s", names(rest))
			}
		})
	}
}

// list returns up to max entries (all if max < 0) from cookie.
func list(t *testing.T, fsys *FS, dir Ino, cookie uint64, max int) []DirEntry {
	t.Helper()
	var out []DirEntry
	err := fsys.ReadDir(dir, cookie, func(e DirEntry) bool {
		out = append(out, e)
		return max < 0 || len(out) < max
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func names(es []DirEntry) string {
	var b strings.Builder
	for _, e := range es {
		b.WriteString(e.Name + "|")
	}
	return b.String()
}

// TestFS_Concurrent walks and reads the whole tree from several
// goroutines at once, with caches small enough to evict; run with -race.
func TestFS_Concurrent(t *testing.T) {
	disktest.Need(t, "mkfs.ext4", "e2fsck")
	src := t.TempDir()
	disktest.BuildTree(t, src, disktest.TreeOptions{ManyFiles: 500, Fragments: 100})
	img := filepath.Join(t.TempDir(), "fs.img")
	disktest.MakeExt4(t, src, img, 32, "-b", "1024")
	disktest.Run(t, "e2fsck", "-fyD", img)
	small := mount(t, img)
	fsys, err := Open(small.dev, int64(small.sb.blocksCount*small.sb.blockSize), Options{BlockCache: 64 << 10, InodeCache: 32 << 10, DirIndexCache: 64 << 10, LookupCache: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for range 4 {
		go func() {
			var err error
			defer func() { done <- err }()
			for range 3 {
				if n := exercise(fsys); n < 500 {
					err = fmt.Errorf("reached only %d inodes", n)
					return
				}
			}
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
