package disk_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wasmvisor/wasmvisor/internal/disk"
	"github.com/wasmvisor/wasmvisor/internal/disk/disktest"
)

// diskSize is not a multiple of any cluster or grain size, so every
// reader meets a partial last cluster.
const diskSize = 6<<20 + 5*512

func TestOpen_Formats(t *testing.T) {
	disktest.Need(t, "qemu-img")
	dir := t.TempDir()
	want := disktest.RandomDisk(1, diskSize)
	raw := disktest.WriteFile(t, dir, "disk.raw", want)
	tests := []struct {
		name   string
		format string
		args   []string
	}{
		{"raw", "raw", nil},
		{"qcow2 v3", "qcow2", nil},
		{"qcow2 v2", "qcow2", []string{"-o", "compat=0.10"}},
		{"qcow2 512-byte clusters", "qcow2", []string{"-o", "cluster_size=512"}},
		{"qcow2 2MiB clusters", "qcow2", []string{"-o", "cluster_size=2M"}},
		{"qcow2 extended L2", "qcow2", []string{"-o", "extended_l2=on"}},
		{"qcow2 compressed deflate", "qcow2", []string{"-c"}},
		{"qcow2 compressed deflate 4KiB clusters", "qcow2", []string{"-c", "-o", "cluster_size=4096"}},
		{"qcow2 compressed deflate v2", "qcow2", []string{"-c", "-o", "compat=0.10"}},
		{"qcow2 compressed deflate extended L2", "qcow2", []string{"-c", "-o", "extended_l2=on"}},
		{"qcow2 compressed zstd", "qcow2", []string{"-c", "-o", "compression_type=zstd"}},
		{"qcow2 compressed zstd 2MiB clusters", "qcow2", []string{"-c", "-o", "compression_type=zstd,cluster_size=2M"}},
		{"qcow2 preallocated metadata", "qcow2", []string{"-o", "preallocation=metadata"}},
		{"vmdk monolithicSparse", "vmdk", []string{"-o", "subformat=monolithicSparse"}},
		{"vmdk monolithicFlat", "vmdk", []string{"-o", "subformat=monolithicFlat"}},
		{"vmdk twoGbMaxExtentSparse", "vmdk", []string{"-o", "subformat=twoGbMaxExtentSparse"}},
		{"vmdk twoGbMaxExtentFlat", "vmdk", []string{"-o", "subformat=twoGbMaxExtentFlat"}},
		{"vmdk streamOptimized", "vmdk", []string{"-o", "subformat=streamOptimized"}},
		{"vmdk zeroed grains", "vmdk", []string{"-o", "zeroed_grain=on"}},
		{"vhd fixed", "vpc", []string{"-o", "subformat=fixed,force_size=on"}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img := raw
			if tc.format != "raw" {
				img = filepath.Join(dir, fmt.Sprintf("disk%d.%s", i, tc.format))
				disktest.Convert(t, raw, img, tc.format, tc.args...)
			}
			dev, err := disk.Open(img, disk.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer dev.Close()
			if dev.Size() != diskSize {
				t.Fatalf("Size = %d, want %d", dev.Size(), diskSize)
			}
			disktest.CheckReaderAt(t, dev, want)
		})
	}
}

func TestOpen_BackingChain(t *testing.T) {
	disktest.Need(t, "qemu-img")
	dir := t.TempDir()
	base := disktest.RandomDisk(2, diskSize)
	mid := append([]byte(nil), base...)
	copy(mid[1<<20:], disktest.RandomDisk(3, 1<<20))
	top := append([]byte(nil), mid...)
	copy(top[3<<20+512:], disktest.RandomDisk(4, 700_000))
	clear(top[5<<20 : 5<<20+100_000]) // zeros over data from below

	baseRaw := disktest.WriteFile(t, dir, "base.raw", base)
	midRaw := disktest.WriteFile(t, dir, "mid.raw", mid)
	topRaw := disktest.WriteFile(t, dir, "top.raw", top)
	disktest.Convert(t, baseRaw, filepath.Join(dir, "base.qcow2"), "qcow2")
	// convert -B stores only what differs from the backing file; the
	// backing names are relative, as users write them.
	t.Chdir(dir)
	disktest.Run(t, "qemu-img", "convert", "-O", "qcow2", "-B", "base.qcow2", "-o", "backing_fmt=qcow2", midRaw, "mid.qcow2")
	disktest.Run(t, "qemu-img", "convert", "-O", "qcow2", "-c", "-B", "mid.qcow2", "-o", "backing_fmt=qcow2", topRaw, "top.qcow2")
	// A raw backing file shorter than the overlay: the rest reads as zeros.
	short := disktest.WriteFile(t, dir, "short.raw", base[:1<<20])
	disktest.Run(t, "qemu-img", "create", "-f", "qcow2", "-b", short, "-F", "raw", "over-short.qcow2", "6M")
	wantShort := make([]byte, 6<<20)
	copy(wantShort, base[:1<<20])

	tests := []struct {
		img  string
		want []byte
	}{
		{"mid.qcow2", mid},
		{"top.qcow2", top},
		{"over-short.qcow2", wantShort},
	}
	for _, tc := range tests {
		t.Run(tc.img, func(t *testing.T) {
			dev, err := disk.Open(filepath.Join(dir, tc.img), disk.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer dev.Close()
			disktest.CheckReaderAt(t, dev, tc.want)
		})
	}
}

func TestOpen_BackingLoop(t *testing.T) {
	disktest.Need(t, "qemu-img")
	dir := t.TempDir()
	t.Chdir(dir)
	disktest.Run(t, "qemu-img", "create", "-f", "qcow2", "a.qcow2", "1M")
	disktest.Run(t, "qemu-img", "create", "-f", "qcow2", "-b", "a.qcow2", "-F", "qcow2", "b.qcow2", "1M")
	// Point a back at b without qemu-img's checks.
	disktest.Run(t, "qemu-img", "rebase", "-u", "-f", "qcow2", "-b", "b.qcow2", "-F", "qcow2", "a.qcow2")
	_, err := disk.Open("b.qcow2", disk.Options{})
	if err == nil || !strings.Contains(err.Error(), "loops") {
		t.Fatalf("Open = %v, want a backing loop error", err)
	}
}

func TestOpen_Unsupported(t *testing.T) {
	disktest.Need(t, "qemu-img")
	dir := t.TempDir()
	raw := disktest.WriteFile(t, dir, "disk.raw", disktest.RandomDisk(5, 1<<20))
	tests := []struct {
		format string
		args   []string
		want   string
	}{
		{"vdi", nil, "vdi"},
		{"vhdx", nil, "vhdx"},
		{"qed", nil, "qed"},
		{"vpc", nil, "dynamic VHD"},
		{"parallels", nil, "parallels"},
		{"qcow", nil, "qcow"},
		{"qcow2", []string{"-o", "data_file=" + filepath.Join(dir, "data.raw")}, "external data file"},
	}
	for i, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			img := filepath.Join(dir, fmt.Sprintf("disk%d.%s", i, tc.format))
			disktest.Convert(t, raw, img, tc.format, tc.args...)
			_, err := disk.Open(img, disk.Options{})
			if err == nil {
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "qemu-img convert") {
				t.Fatalf("error %q does not name %q and suggest qemu-img convert", err, tc.want)
			}
		})
	}
}

func TestParseSpec(t *testing.T) {
	tests := []struct {
		in      string
		want    disk.Spec
		wantErr bool
	}{
		{"img.qcow2", disk.Spec{Path: "img.qcow2"}, false},
		{"img.raw,part=2", disk.Spec{Path: "img.raw", Part: 2}, false},
		{"a,b.raw,format=raw,part=1", disk.Spec{Path: "a,b.raw", Part: 1, Format: disk.Raw}, false},
		{"a,b.raw", disk.Spec{Path: "a,b.raw"}, false},
		{"img,part=0", disk.Spec{}, true},
		{"img,part=x", disk.Spec{}, true},
		{",part=1", disk.Spec{}, true},
		{"", disk.Spec{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := disk.ParseSpec(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err == nil && got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestOpen_ReferencedFilesStayInAllowedDirs checks that an image cannot
// make Open read a file outside the allowed directories, by an absolute
// name or through a symlink.
func TestOpen_ReferencedFilesStayInAllowedDirs(t *testing.T) {
	disktest.Need(t, "qemu-img")
	outside, inside := t.TempDir(), t.TempDir()
	base := disktest.WriteFile(t, outside, "base.raw", disktest.RandomDisk(6, 1<<20))
	t.Chdir(inside)
	disktest.Run(t, "qemu-img", "create", "-f", "qcow2", "-b", base, "-F", "raw", "abs.qcow2", "1M")
	if err := os.Symlink(base, filepath.Join(inside, "link.raw")); err != nil {
		t.Fatal(err)
	}
	disktest.Run(t, "qemu-img", "create", "-f", "qcow2", "-b", "link.raw", "-F", "raw", "link.qcow2", "1M")
	tests := []struct {
		name    string
		img     string
		allowed []string
		wantErr string
	}{
		{"absolute name outside", "abs.qcow2", nil, "outside the directories"},
		{"symlink out of the directory", "link.qcow2", nil, "escapes"},
		{"absolute name in an allowed directory", "abs.qcow2", []string{inside, outside}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dev, err := disk.Open(filepath.Join(inside, tc.img), disk.Options{AllowedDirs: tc.allowed})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				dev.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Open = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

// TestOpen_ConcurrentReads reads images whose readers cache tables and
// decompressed clusters from several goroutines; run with -race.
func TestOpen_ConcurrentReads(t *testing.T) {
	disktest.Need(t, "qemu-img")
	dir := t.TempDir()
	want := disktest.RandomDisk(8, diskSize)
	raw := disktest.WriteFile(t, dir, "disk.raw", want)
	for _, tc := range []struct {
		format string
		args   []string
	}{
		{"qcow2", []string{"-c", "-o", "cluster_size=4096"}},
		{"vmdk", []string{"-o", "subformat=streamOptimized"}},
		{"vmdk", []string{"-o", "subformat=monolithicSparse"}},
	} {
		img := filepath.Join(dir, fmt.Sprintf("disk-%s-%d.%s", tc.format, len(tc.args[len(tc.args)-1]), tc.format))
		disktest.Convert(t, raw, img, tc.format, tc.args...)
		dev, err := disk.Open(img, disk.Options{})
		if err != nil {
			t.Fatal(err)
		}
		errs := make(chan error)
		for range 4 {
			go func() { errs <- disktest.CompareReaderAt(dev, want) }()
		}
		for range 4 {
			if err := <-errs; err != nil {
				t.Errorf("%s: %v", img, err)
			}
		}
		dev.Close()
	}
}

// TestOpen_NotAFile checks that a FIFO named as an image, or as a
// backing file, is refused at once: opening it would wait for a writer
// for ever.
func TestOpen_NotAFile(t *testing.T) {
	disktest.Need(t, "qemu-img")
	dir := t.TempDir()
	t.Chdir(dir)
	if err := unix.Mkfifo("fifo", 0o644); err != nil {
		t.Fatal(err)
	}
	disktest.Run(t, "qemu-img", "create", "-f", "qcow2", "-b", "fifo", "-F", "raw", "-u", "over-fifo.qcow2", "1M")
	for _, img := range []string{"fifo", "over-fifo.qcow2"} {
		t.Run(img, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				dev, err := disk.Open(img, disk.Options{})
				if err == nil {
					dev.Close()
				}
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), "not a regular file") {
					t.Fatalf("Open = %v, want a refusal", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Open still waits after 10 s")
			}
		})
	}
}
