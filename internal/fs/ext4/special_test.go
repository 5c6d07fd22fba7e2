package ext4

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wasmvisor/wasmvisor/internal/disk/disktest"
)

// debugfsImage builds a small image from files and then edits it with
// debugfs requests, for what mkfs.ext4 -d cannot make.
func debugfsImage(t *testing.T, files map[string]string, mkfs []string, requests ...string) string {
	t.Helper()
	disktest.Need(t, "mkfs.ext4", "debugfs")
	src := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(src, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	img := filepath.Join(dir, "fs.img")
	disktest.MakeExt4(t, src, img, 8, mkfs...)
	script := filepath.Join(dir, "requests")
	if err := os.WriteFile(script, []byte(strings.Join(requests, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := disktest.Run(t, "debugfs", "-w", "-f", script, img)
	if bytes.Contains(out, []byte("Usage")) || bytes.Contains(out, []byte("Couldn't")) {
		t.Fatalf("debugfs: %s", out)
	}
	return img
}

func TestStat_NanosecondTimes(t *testing.T) {
	// 0x1D6F3454 = 123456789<<2 | 1: nanoseconds, and the first epoch
	// bit that moves the seconds past 2038.
	img := debugfsImage(t, map[string]string{"f": "x"}, []string{"-I", "256"},
		"sif /f mtime 20210304050607",
		"sif /f mtime_extra 0x1D6F3455",
		"sif /f atime 20210304050607",
		"sif /f atime_extra 0x00000008",
		"sif /f ctime 20210304050607",
		"sif /f ctime_extra 0xEE6B27FC",
		"sif /f crtime 20210304050607",
		"sif /f crtime_extra 0x4",
	)
	fsys := mount(t, img)
	ino, err := fsys.Walk(fsys.Root(), "/f", false)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := fsys.Stat(ino)
	base := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC).Unix()
	tests := []struct {
		name string
		got  time.Time
		want time.Time
	}{
		{"mtime", st.Mtime, time.Unix(base+1<<32, 123456789)},
		{"atime", st.Atime, time.Unix(base, 2)},
		{"ctime", st.Ctime, time.Unix(base, 999999999)},
		{"crtime", st.Crtime, time.Unix(base, 1)},
	}
	for _, tc := range tests {
		if !tc.got.Equal(tc.want) {
			t.Errorf("%s = %v, want %v", tc.name, tc.got.UTC(), tc.want.UTC())
		}
	}
}

func TestStat_SmallInodes(t *testing.T) {
	img := debugfsImage(t, map[string]string{"f": "x"}, []string{"-I", "128"}, "sif /f mtime 20210304050607")
	fsys := mount(t, img)
	ino, _ := fsys.Walk(fsys.Root(), "/f", false)
	st, _ := fsys.Stat(ino)
	if want := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC); !st.Mtime.Equal(want) || !st.Crtime.IsZero() {
		t.Fatalf("mtime %v crtime %v; want %v and none", st.Mtime, st.Crtime, want)
	}
}

func TestFile_UnwrittenAndHoles(t *testing.T) {
	img := debugfsImage(t, map[string]string{"f": "data"}, []string{"-b", "1024"},
		// Blocks 1-9 preallocated (unwritten), 10-19 a hole, size 20 KiB.
		"fallocate /f 1 9",
		"sif /f size 20480",
	)
	fsys := mount(t, img)
	ino, _ := fsys.Walk(fsys.Root(), "/f", false)
	f, err := fsys.Open(ino)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]byte, 20480)
	copy(want, "data")
	disktest.CheckReaderAt(t, f, want)
	r, err := fsys.mapBlock(ino, f.in, 1)
	if err != nil || !r.zero || r.pblk == 0 || r.n != 9 {
		t.Fatalf("block 1 maps to %+v, %v; want an unwritten extent of 9 blocks", r, err)
	}
}

func TestReadlink_SlowShortSymlink(t *testing.T) {
	long := "/" + strings.Repeat("x", 100)
	img := debugfsImage(t, nil, nil,
		"symlink /slow "+long,
		// A short target in a data block, as old tools wrote them.
		"sif /slow size 5",
		"symlink /fast /short/target",
	)
	fsys := mount(t, img)
	for name, want := range map[string]string{"/slow": long[:5], "/fast": "/short/target"} {
		ino, err := fsys.Walk(fsys.Root(), name, false)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := fsys.Readlink(ino); err != nil || got != want {
			t.Errorf("Readlink(%s) = %q, %v; want %q", name, got, err, want)
		}
	}
}

// patchSuperblock returns a copy of the image with fn applied to its
// superblock.
func patchSuperblock(t *testing.T, img string, fn func(sb []byte)) []byte {
	t.Helper()
	b, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	fn(b[superblockOffset : superblockOffset+superblockSize])
	return b
}

func TestOpen_Refuses(t *testing.T) {
	img := debugfsImage(t, map[string]string{"f": "x"}, nil)
	setIncompat := func(bits uint32) func([]byte) {
		return func(sb []byte) {
			binary.LittleEndian.PutUint32(sb[96:], binary.LittleEndian.Uint32(sb[96:])|bits)
		}
	}
	tests := []struct {
		name  string
		patch func([]byte)
		want  string
	}{
		{"journal recovery", setIncompat(incompatRecover), "e2fsck"},
		{"external journal", setIncompat(incompatJournalDev), "journal"},
		{"casefold", setIncompat(incompatCasefold), "casefold"},
		{"compression", setIncompat(incompatCompression), "compression"},
		{"unknown feature", setIncompat(1 << 30), "incompat bit 0x40000000"},
		{"bad magic", func(sb []byte) { sb[56] = 0 }, "no ext2/3/4 file system"},
		{"huge block size", func(sb []byte) { binary.LittleEndian.PutUint32(sb[24:], 7) }, "block size"},
		{"blocks beyond the device", func(sb []byte) { binary.LittleEndian.PutUint32(sb[4:], 1<<30) }, "do not fit"},
		{"inode count mismatch", func(sb []byte) { binary.LittleEndian.PutUint32(sb[0:], 12345) }, "inodes"},
		{"zero inodes per group", func(sb []byte) { binary.LittleEndian.PutUint32(sb[40:], 0) }, "inodes per group"},
		{"odd inode size", func(sb []byte) { binary.LittleEndian.PutUint16(sb[88:], 300) }, "inode size"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := patchSuperblock(t, img, tc.patch)
			_, err := Open(bytes.NewReader(b), int64(len(b)), Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestFile_Corrupt damages one file's metadata and checks that only that
// file fails, with EIO.
func TestFile_Corrupt(t *testing.T) {
	img := debugfsImage(t, map[string]string{"good": "fine", "bad": strings.Repeat("b", 5000)}, []string{"-b", "1024"})
	b, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := Open(bytes.NewReader(b), int64(len(b)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	bad, _ := fsys.Walk(fsys.Root(), "/bad", false)
	// Find the inode on disk and break its extent header magic.
	sb := fsys.sb
	table, _ := fsys.inodeTable(bad, (uint32(bad)-1)/sb.inodesPerGroup)
	off := table*sb.blockSize + uint64((uint32(bad)-1)%sb.inodesPerGroup)*uint64(sb.inodeSize)
	b[off+iBlockOffset] ^= 0xff

	fsys, err = Open(bytes.NewReader(b), int64(len(b)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := fsys.Open(bad)
	if err == nil {
		_, err = f.ReadAt(make([]byte, 10), 0)
	}
	var ce *CorruptError
	if !errors.Is(err, syscall.EIO) || !errors.As(err, &ce) || ce.Ino != bad {
		t.Fatalf("reading the damaged file: %v; want a CorruptError for inode %d", err, bad)
	}
	good, err := fsys.Walk(fsys.Root(), "/good", false)
	if err != nil {
		t.Fatal(err)
	}
	gf, err := fsys.Open(good)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := gf.ReadAt(buf, 0); err != nil || string(buf) != "fine" {
		t.Fatalf("good file: %q, %v", buf, err)
	}
}
