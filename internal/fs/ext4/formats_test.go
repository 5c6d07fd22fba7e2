package ext4

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/disk"
	"github.com/wasmvisor/wasmvisor/internal/disk/disktest"
)

// TestOpen_DiskFormats mounts one file system from every image format and
// from a partition, and checks each against the source tree and that no
// image file changed.
func TestOpen_DiskFormats(t *testing.T) {
	disktest.Need(t, "mkfs.ext4", "e2fsck", "qemu-img")
	src := sourceTree(t, 3000)
	dir := t.TempDir()
	raw := filepath.Join(dir, "fs.raw")
	disktest.MakeExt4(t, src, raw, 48, "-b", "4096", "-N", "8192")
	disktest.Run(t, "e2fsck", "-fyD", raw)

	// The same file system in partition 2 of a GPT disk, after an EFI
	// system partition.
	fsBytes, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	const start = 4096 // sectors
	gpt := make([]byte, (start+34)*512+len(fsBytes))
	disktest.GPT(gpt, []disktest.Part{
		{Type: disktest.EFIGUID, Start: 2048, Size: 2048},
		{Type: disktest.LinuxGUID, Start: start, Size: uint64(len(fsBytes) / 512)},
	})
	copy(gpt[start*512:], fsBytes)
	gptRaw := disktest.WriteFile(t, dir, "gpt.raw", gpt)

	tests := []struct {
		name string
		spec string
		make func(t *testing.T, dst string)
	}{
		{"raw", raw, nil},
		{"qcow2", "fs.qcow2", func(t *testing.T, dst string) { disktest.Convert(t, raw, dst, "qcow2") }},
		{"compressed qcow2", "fs-c.qcow2", func(t *testing.T, dst string) { disktest.Convert(t, raw, dst, "qcow2", "-c") }},
		{"vmdk monolithicFlat", "fs-flat.vmdk", func(t *testing.T, dst string) {
			disktest.Convert(t, raw, dst, "vmdk", "-o", "subformat=monolithicFlat")
		}},
		{"vmdk monolithicSparse", "fs-sparse.vmdk", func(t *testing.T, dst string) {
			disktest.Convert(t, raw, dst, "vmdk", "-o", "subformat=monolithicSparse")
		}},
		{"gpt partition", gptRaw, nil},
		{"gpt partition in qcow2", "gpt.qcow2", func(t *testing.T, dst string) { disktest.Convert(t, gptRaw, dst, "qcow2") }},
		{"explicit partition", gptRaw + ",part=2", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := tc.spec
			if tc.make != nil {
				spec = filepath.Join(dir, tc.spec)
				tc.make(t, spec)
			}
			s, err := disk.ParseSpec(spec)
			if err != nil {
				t.Fatal(err)
			}
			// The image and the files it names (a flat VMDK's extent).
			files := strings.TrimSuffix(s.Path, filepath.Ext(s.Path))
			before := hashFiles(t, files)
			vol, err := disk.OpenVolume(s, disk.Options{})
			if err != nil {
				t.Fatal(err)
			}
			fsys, err := Open(vol, vol.Size(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			compareTree(t, fsys, src)
			if err := vol.Close(); err != nil {
				t.Fatal(err)
			}
			if after := hashFiles(t, files); after != before {
				t.Fatal("an image file changed while it was mounted")
			}
		})
	}
}

// hashFiles hashes the files whose paths start with prefix, names and
// contents.
func hashFiles(t *testing.T, prefix string) [32]byte {
	t.Helper()
	h := sha256.New()
	paths, err := filepath.Glob(prefix + "*")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no files %s*: %v", prefix, err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		h.Write([]byte(p))
		h.Write(b)
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}
