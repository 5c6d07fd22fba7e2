package diskfs_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/disk/disktest"
	"github.com/wasmvisor/wasmvisor/internal/diskfs"
	"github.com/wasmvisor/wasmvisor/internal/fs"
	"github.com/wasmvisor/wasmvisor/internal/fs/fstest"
)

func open(t testing.TB, spec string, opts diskfs.Options) *diskfs.FS {
	t.Helper()
	f, err := diskfs.Open(spec, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestOpen_Contract(t *testing.T) {
	disktest.Need(t, "mkfs.ext4")
	img := filepath.Join(t.TempDir(), "empty.img")
	disktest.MakeExt4(t, t.TempDir(), img, 4)
	tests := []struct {
		name    string
		overlay bool
	}{
		{"memory", false},
		{"overlay directory", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fstest.Run(t, func(t *testing.T) fs.FS {
				opts := diskfs.Options{}
				if tt.overlay {
					opts.OverlayDir = t.TempDir()
				}
				return open(t, img, opts)
			})
		})
	}
}

// TestOpen_Formats mounts the same tree from every image format and
// partition layout --disk reads, and finds the same files.
func TestOpen_Formats(t *testing.T) {
	disktest.Need(t, "mkfs.ext4", "qemu-img")
	src := t.TempDir()
	disktest.BuildTree(t, src, disktest.TreeOptions{})
	dir := t.TempDir()
	raw := filepath.Join(dir, "root.img")
	disktest.MakeExt4(t, src, raw, 32)
	specs := map[string]string{"raw": raw}
	for _, f := range []struct{ name, format string }{{"root.qcow2", "qcow2"}, {"root.vmdk", "vmdk"}} {
		disktest.Convert(t, raw, filepath.Join(dir, f.name), f.format)
		specs[f.format] = filepath.Join(dir, f.name)
	}
	want, err := os.ReadFile(filepath.Join(src, "big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	for name, spec := range specs {
		t.Run(name, func(t *testing.T) {
			f := open(t, spec, diskfs.Options{})
			if got := fstest.ReadFile(t, f, "big.bin"); !bytes.Equal(got, want) {
				t.Fatal("big.bin differs")
			}
			if got, err := f.Readlink("link-abs"); err != nil || got != "/dir/nested" {
				t.Fatalf("readlink: %q, %v", got, err)
			}
			if f.Info().BlockSize == 0 {
				t.Fatalf("info: %+v", f.Info())
			}
		})
	}
}

// TestOpen_SpecialFiles changes a FIFO of the image, which the upper
// layer keeps as a stand-in.
func TestOpen_SpecialFiles(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("making a FIFO in an image needs root (mkfs.ext4 -d copies it)")
	}
	disktest.Need(t, "mkfs.ext4")
	src := t.TempDir()
	disktest.BuildTree(t, src, disktest.TreeOptions{Special: true})
	img := filepath.Join(t.TempDir(), "root.img")
	disktest.MakeExt4(t, src, img, 32)
	for _, overlay := range []bool{false, true} {
		t.Run(fmt.Sprintf("overlay=%v", overlay), func(t *testing.T) {
			opts := diskfs.Options{}
			if overlay {
				opts.OverlayDir = t.TempDir()
			}
			f := open(t, img, opts)
			before, err := f.Lstat("fifo")
			if err != nil || before.Type != fs.TypeFIFO {
				t.Fatalf("fifo: %+v, %v", before, err)
			}
			_, err = f.Open("fifo", fs.OpenRead, 0)
			fstest.WantErrno(t, "open fifo", err, syscall.ENXIO)
			fstest.WantErrno(t, "settimes", f.SetTimes("fifo", fs.TimeAt(1), fs.TimeAt(2)), 0)
			fstest.WantErrno(t, "rename", f.Rename("fifo", "dir/fifo"), 0)
			after, err := f.Lstat("dir/fifo")
			if err != nil || after.Type != fs.TypeFIFO || after.Ino != before.Ino || after.Perm != before.Perm || after.Mtime != 2 {
				t.Fatalf("after copy-up: %+v (before %+v), %v", after, before, err)
			}
			list, err := f.ReadDir("dir")
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range list {
				if e.Name == "fifo" && (e.Type != fs.TypeFIFO || e.Ino != before.Ino) {
					t.Fatalf("listed as %+v", e)
				}
			}
			_, err = f.Open("dir/fifo", fs.OpenRead, 0)
			fstest.WantErrno(t, "open copied-up fifo", err, syscall.ENXIO)
		})
	}
}

// TestOpen_Concurrent reads and writes from several goroutines at once,
// for the race detector.
func TestOpen_Concurrent(t *testing.T) {
	disktest.Need(t, "mkfs.ext4")
	src := t.TempDir()
	disktest.BuildTree(t, src, disktest.TreeOptions{ManyFiles: 100})
	img := filepath.Join(t.TempDir(), "root.img")
	disktest.MakeExt4(t, src, img, 32)
	f := open(t, img, diskfs.Options{OverlayDir: t.TempDir()})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 100 {
				name := fmt.Sprintf("many/f%04d", i)
				switch (g + i) % 4 {
				case 0:
					if _, err := f.Lstat(name); err != nil && fs.Errno(err) != syscall.ENOENT {
						t.Error(err)
					}
				case 1:
					h, err := f.Open(name, fs.OpenWrite|fs.OpenCreate, 0o644)
					if err != nil {
						t.Error(err)
						continue
					}
					h.WriteAt([]byte(strings.Repeat("x", g+1)), 0)
					h.Close()
				case 2:
					if _, err := f.ReadDir("many"); err != nil {
						t.Error(err)
					}
				case 3:
					f.Unlink(name)
				}
			}
		})
	}
	wg.Wait()
}

func TestOpen_Errors(t *testing.T) {
	disktest.Need(t, "mkfs.ext4")
	img := filepath.Join(t.TempDir(), "root.img")
	disktest.MakeExt4(t, t.TempDir(), img, 4)
	busy := t.TempDir()
	open(t, img, diskfs.Options{OverlayDir: busy})
	tests := []struct {
		name string
		spec string
		opts diskfs.Options
		want string
	}{
		{"no path", ",part=1", diskfs.Options{}, "no image path"},
		{"bad partition", img + ",part=x", diskfs.Options{}, "not a partition number"},
		{"missing", filepath.Join(t.TempDir(), "missing.img"), diskfs.Options{}, "no such file"},
		{"overlay in use", img, diskfs.Options{OverlayDir: busy}, "in use by another process"},
		{"overlay is a file", img, diskfs.Options{OverlayDir: img}, "not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := diskfs.Open(tt.spec, tt.opts)
			if err == nil {
				f.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error saying %q", err, tt.want)
			}
		})
	}
}

// TestOpen_Partitions mounts the Linux partition of a GPT disk, found by
// itself or named with part=N.
func TestOpen_Partitions(t *testing.T) {
	disktest.Need(t, "mkfs.ext4")
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "hello.txt"), []byte("from partition 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fsImg := filepath.Join(t.TempDir(), "fs.img")
	disktest.MakeExt4(t, src, fsImg, 4)
	part, err := os.ReadFile(fsImg)
	if err != nil {
		t.Fatal(err)
	}
	const start1, size1 = 2048, 2048
	start2, size2 := uint64(start1+size1), uint64(len(part)/512)
	disk := make([]byte, (start2+size2+34)*512)
	disktest.GPT(disk, []disktest.Part{
		{Type: disktest.EFIGUID, Name: "EFI", Start: start1, Size: size1},
		{Type: disktest.LinuxGUID, Name: "root", Start: start2, Size: size2},
	})
	copy(disk[start2*512:], part)
	img := disktest.WriteFile(t, t.TempDir(), "disk.img", disk)
	for _, spec := range []string{img, img + ",part=2"} {
		f := open(t, spec, diskfs.Options{})
		if got := fstest.ReadFile(t, f, "hello.txt"); string(got) != "from partition 2\n" {
			t.Fatalf("%s: hello.txt reads %q", spec, got)
		}
	}
	if _, err := diskfs.Open(img+",part=1", diskfs.Options{}); err == nil || !strings.Contains(err.Error(), "ext4") {
		t.Fatalf("part=1 (EFI): %v", err)
	}
}
