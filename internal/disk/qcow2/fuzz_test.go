package qcow2

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/disk/disktest"
)

const seedDir = "testdata/seeds"

// memDevice is a Device over bytes.
type memDevice struct{ *bytes.Reader }

func (memDevice) Close() error { return nil }

func mem(b []byte) Device { return memDevice{bytes.NewReader(b)} }

// seedDisk is the 256 KiB disk the seed images hold: mostly zeros (left
// unallocated), with a little random and some compressible data, so that
// the seeds stay a few KiB.
func seedDisk() []byte { return disktest.SparseDisk(3, 256<<10) }

// backingDisk is what a seed overlay's backing file reads as.
func backingDisk() []byte { return disktest.SparseDisk(4, 256<<10) }

// TestSeeds checks that the fuzz seed images read as the disk they were
// made from; with -update-seeds it rebuilds them with qemu-img.
func TestSeeds(t *testing.T) {
	if *disktest.UpdateSeeds {
		buildSeeds(t)
	}
	for name, img := range disktest.Seeds(t, seedDir) {
		t.Run(name, func(t *testing.T) {
			im, err := Open(mem(img), Options{OpenBacking: openBacking})
			if err != nil {
				t.Fatal(err)
			}
			want := seedDisk()
			if name == "overlay.qcow2" {
				want = backingDisk()
				copy(want[64<<10:], seedDisk()[64<<10:128<<10])
			}
			disktest.CheckReaderAt(t, im, want)
		})
	}
}

func openBacking(name, format string) (Device, error) { return mem(backingDisk()), nil }

func buildSeeds(t *testing.T) {
	disktest.Need(t, "qemu-img")
	dir := t.TempDir()
	raw := disktest.WriteFile(t, dir, "disk.raw", seedDisk())
	variants := []struct {
		name string
		args []string
	}{
		{"v3.qcow2", []string{"-o", "cluster_size=512"}},
		{"v2.qcow2", []string{"-o", "cluster_size=512,compat=0.10"}},
		{"deflate.qcow2", []string{"-c", "-o", "cluster_size=4096"}},
		{"zstd.qcow2", []string{"-c", "-o", "cluster_size=4096,compression_type=zstd"}},
		{"extended-l2.qcow2", []string{"-o", "cluster_size=16384,extended_l2=on"}},
	}
	for _, v := range variants {
		dst := filepath.Join(dir, v.name)
		disktest.Convert(t, raw, dst, "qcow2", v.args...)
		saveSeed(t, dst)
	}
	// An overlay that differs from its backing file in 64-128 KiB.
	base := disktest.WriteFile(t, dir, "base.raw", backingDisk())
	mixed := backingDisk()
	copy(mixed[64<<10:], seedDisk()[64<<10:128<<10])
	top := disktest.WriteFile(t, dir, "top.raw", mixed)
	overlay := filepath.Join(dir, "overlay.qcow2")
	disktest.Run(t, "qemu-img", "convert", "-O", "qcow2", "-o", "cluster_size=512", "-B", base, "-F", "raw", top, overlay)
	saveSeed(t, overlay)
}

func saveSeed(t *testing.T, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	disktest.WriteSeed(t, filepath.Join(seedDir, filepath.Base(path)+".gz"), b)
}

// FuzzOpen opens arbitrary bytes as an image and reads it at spread-out
// offsets. Nothing may panic or hang; reads return what io.ReaderAt
// allows.
func FuzzOpen(f *testing.F) {
	for _, img := range disktest.Seeds(f, seedDir) {
		f.Add(img)
	}
	f.Fuzz(func(t *testing.T, img []byte) {
		im, err := Open(mem(img), Options{OpenBacking: openBacking, CacheSize: 1 << 20})
		if err != nil {
			return
		}
		defer im.Close()
		readSpread(t, im, im.Size())
	})
}

// readSpread reads 8 KiB at the start, the end and 16 offsets between.
func readSpread(t *testing.T, r io.ReaderAt, size int64) {
	buf := make([]byte, 8<<10)
	for i := int64(0); i <= 17; i++ {
		off := size / 16 * i
		if i == 17 {
			off = size - 100
		}
		n, err := r.ReadAt(buf, max(off, 0))
		if n > len(buf) || (n < len(buf) && err == nil) {
			t.Fatalf("ReadAt at %d = %d, %v", off, n, err)
		}
	}
}
