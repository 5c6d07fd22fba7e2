package ext4

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/disk"
	"github.com/wasmvisor/wasmvisor/internal/disk/disktest"
)

// benchFixture is a host tree with a large file and a 3,000-entry
// directory, and the same tree as an ext4 image in raw and qcow2 form.
type benchFixture struct {
	src, raw, qcow2 string
}

const (
	benchBigSize = 64 << 20
	benchMany    = 3000
)

func newBenchFixture(b *testing.B) *benchFixture {
	b.Helper()
	disktest.Need(b, "mkfs.ext4", "e2fsck", "qemu-img")
	dir := b.TempDir()
	fx := &benchFixture{src: filepath.Join(dir, "src"), raw: filepath.Join(dir, "fs.raw"), qcow2: filepath.Join(dir, "fs.qcow2")}
	if err := os.MkdirAll(filepath.Join(fx.src, "many"), 0o755); err != nil {
		b.Fatal(err)
	}
	big := make([]byte, benchBigSize)
	r := rand.New(rand.NewPCG(1, 1))
	for i := range big {
		big[i] = byte(r.Uint32())
	}
	disktest.WriteFile(b, fx.src, "big", big)
	for i := range benchMany {
		disktest.WriteFile(b, filepath.Join(fx.src, "many"), fmt.Sprintf("file-%04d", i), []byte("x"))
	}
	disktest.MakeExt4(b, fx.src, fx.raw, 128, "-b", "4096")
	disktest.Run(b, "e2fsck", "-fyD", fx.raw)
	// Rewrite the image in one piece, as a user's copy of it would be:
	// mkfs.ext4 writes it in small pieces, which leaves the page cache
	// in small pages that make reading it measurably slower.
	img, err := os.ReadFile(fx.raw)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.Remove(fx.raw); err != nil {
		b.Fatal(err)
	}
	disktest.WriteFile(b, dir, "fs.raw", img)
	disktest.Convert(b, fx.raw, fx.qcow2, "qcow2")
	return fx
}

// benchTarget is one way to reach the tree: stat a path, read a file.
type benchTarget struct {
	name string
	stat func(p string) error
	open func(p string) (io.ReaderAt, error)
}

func benchTargets(b *testing.B, fx *benchFixture) []benchTarget {
	root, err := os.OpenRoot(fx.src)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { root.Close() })
	targets := []benchTarget{{
		name: "host",
		stat: func(p string) error { _, err := root.Lstat(p); return err },
		open: func(p string) (io.ReaderAt, error) { return root.Open(p) },
	}}
	for _, img := range []struct{ name, path string }{{"ext4-raw", fx.raw}, {"ext4-qcow2", fx.qcow2}} {
		dev, err := disk.Open(img.path, disk.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { dev.Close() })
		fsys, err := Open(dev, dev.Size(), Options{})
		if err != nil {
			b.Fatal(err)
		}
		targets = append(targets, benchTarget{
			name: img.name,
			stat: func(p string) error {
				ino, err := fsys.Walk(fsys.Root(), p, false)
				if err == nil {
					_, err = fsys.Stat(ino)
				}
				return err
			},
			open: func(p string) (io.ReaderAt, error) {
				ino, err := fsys.Walk(fsys.Root(), p, true)
				if err != nil {
					return nil, err
				}
				return fsys.Open(ino)
			},
		})
	}
	return targets
}

// BenchmarkReadLargeFile reads a 64 MiB file sequentially in 64 KiB
// chunks from the host directory and from the image.
func BenchmarkReadLargeFile(b *testing.B) {
	fx := newBenchFixture(b)
	for _, tg := range benchTargets(b, fx) {
		b.Run(tg.name, func(b *testing.B) {
			f, err := tg.open("big")
			if err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 64<<10)
			b.SetBytes(benchBigSize)
			for b.Loop() {
				for off := int64(0); off < benchBigSize; off += int64(len(buf)) {
					if _, err := f.ReadAt(buf, off); err != nil && err != io.EOF {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkStatMany stats every file of the 3,000-entry directory by path;
// the figure is per stat.
func BenchmarkStatMany(b *testing.B) {
	fx := newBenchFixture(b)
	paths := make([]string, benchMany)
	for i := range paths {
		paths[i] = fmt.Sprintf("many/file-%04d", i)
	}
	for _, tg := range benchTargets(b, fx) {
		b.Run(tg.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				if err := tg.stat(paths[i%benchMany]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkLookupLargeDir looks names up in a 3,000-entry directory,
// hashed (htree) and linear: warm is the steady state (metadata cached),
// cold mounts afresh each time, so it includes reading the index blocks
// or building the in-memory index of a linear directory.
func BenchmarkLookupLargeDir(b *testing.B) {
	disktest.Need(b, "mkfs.ext4", "e2fsck")
	src := b.TempDir()
	for i := range benchMany {
		disktest.WriteFile(b, src, fmt.Sprintf("file-%04d", i), nil)
	}
	names := make([]string, benchMany)
	for i := range names {
		names[i] = fmt.Sprintf("file-%04d", (i*7919)%benchMany)
	}
	for _, kind := range []string{"htree", "linear"} {
		img := filepath.Join(b.TempDir(), "fs.img")
		disktest.MakeExt4(b, src, img, 32, "-b", "4096")
		if kind == "htree" {
			disktest.Run(b, "e2fsck", "-fyD", img)
		}
		dev, err := disk.OpenFile(img)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { dev.Close() })
		mountFS := func() *FS {
			fsys, err := Open(dev, dev.Size(), Options{})
			if err != nil {
				b.Fatal(err)
			}
			return fsys
		}
		b.Run(kind+"/warm", func(b *testing.B) {
			fsys := mountFS()
			i := 0
			for b.Loop() {
				ino, err := fsys.Lookup(fsys.Root(), names[i%benchMany])
				if err != nil {
					b.Fatal(err)
				}
				if _, err := fsys.Stat(ino); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run(kind+"/cold", func(b *testing.B) {
			i := 0
			for b.Loop() {
				fsys := mountFS()
				if _, err := fsys.Lookup(fsys.Root(), names[i%benchMany]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
