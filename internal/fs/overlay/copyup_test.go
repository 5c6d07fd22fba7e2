package overlay_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wasmvisor/wasmvisor/internal/disk"
	"github.com/wasmvisor/wasmvisor/internal/disk/disktest"
	"github.com/wasmvisor/wasmvisor/internal/fs"
	"github.com/wasmvisor/wasmvisor/internal/fs/ext4"
	"github.com/wasmvisor/wasmvisor/internal/fs/ext4fs"
	"github.com/wasmvisor/wasmvisor/internal/fs/memfs"
	"github.com/wasmvisor/wasmvisor/internal/fs/overlay"
)

// counting is a lower layer that counts the bytes read from its files,
// and fails reads past a budget, so that a copy-up that would read a
// declared size rather than the data stored fails fast instead of
// running for minutes.
type counting struct {
	fs.FS
	read   atomic.Int64
	budget int64
}

func (c *counting) Open(name string, flags fs.OpenFlag, perm uint32) (fs.File, error) {
	f, err := c.FS.Open(name, flags, perm)
	if err != nil {
		return nil, err
	}
	return &countingFile{File: f, c: c}, nil
}

type countingFile struct {
	fs.File
	c *counting
}

func (f *countingFile) ReadAt(p []byte, off int64) (int, error) {
	if f.c.read.Add(int64(len(p))) > f.c.budget {
		return 0, errors.New("read past the test's budget")
	}
	return f.File.ReadAt(p, off)
}

func (f *countingFile) NextData(off int64) (int64, int64, error) {
	return f.File.(fs.SparseFile).NextData(off)
}

// sparseImage builds an ext4 image holding huge, a 2 TiB sparse file
// with "head" at its start and "tail" at 1 TiB; huge48, the same with
// its size field made 2^48; and dense, 8 MiB of random data.
func sparseImage(t *testing.T) fs.FS {
	t.Helper()
	disktest.Need(t, "mkfs.ext4", "debugfs")
	src := t.TempDir()
	for _, name := range []string{"huge", "huge48"} {
		f, err := os.Create(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		f.WriteAt([]byte("head"), 0)
		f.WriteAt([]byte("tail"), 1<<40)
		if err := f.Truncate(2 << 40); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	disktest.WriteFile(t, src, "dense", disktest.RandomDisk(3, 8<<20))
	img := filepath.Join(t.TempDir(), "root.img")
	disktest.MakeExt4(t, src, img, 32)
	// A damaged size: ext4 addresses 2^32 blocks, but the field says more.
	if out, err := exec.Command("debugfs", "-w", "-R", "sif /huge48 size 0x1000000000000", img).CombinedOutput(); err != nil {
		t.Fatalf("debugfs: %v\n%s", err, out)
	}
	dev, err := disk.OpenVolume(disk.Spec{Path: img}, disk.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dev.Close() })
	e, err := ext4.Open(dev, dev.Size(), ext4.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ext4fs.New(e)
}

// TestFS_CopyUpCost checks that a copy-up costs what the lower file
// stores, not what its size says, and checks the upper layer's capacity
// before it copies anything: a 2 TiB sparse file with 8 bytes of data
// copies up to a directory at once and is too large (EFBIG) for memory
// at once, a size field of 2^48 likewise, and 8 MiB of data does not
// fit a 4 MiB memory layer, which is known before any of it is read.
func TestFS_CopyUpCost(t *testing.T) {
	image := sparseImage(t)
	tests := []struct {
		name     string
		file     string
		dir      bool  // an overlay directory, not memory
		maxBytes int64 // of the memory layer
		want     syscall.Errno
		maxRead  int64 // bytes the copy-up may read from the lower file
	}{
		{"sparse to directory", "huge", true, 0, 0, 64 << 10},
		{"sparse to memory", "huge", false, 0, syscall.EFBIG, 0},
		{"damaged size to directory", "huge48", true, 0, syscall.EFBIG, 0},
		{"damaged size to memory", "huge48", false, 0, syscall.EFBIG, 0},
		{"dense to small memory", "dense", false, 4 << 20, syscall.ENOSPC, 0},
		{"dense to memory", "dense", false, 0, 0, 8 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lower := &counting{FS: image, budget: 64 << 20}
			var o *overlay.FS
			var err error
			if tt.dir {
				o, err = overlay.OpenDir(lower, t.TempDir(), overlay.Options{LowerID: "test"})
			} else {
				o, err = overlay.New(lower, memfs.New(memfs.Options{MaxBytes: tt.maxBytes}))
			}
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			before := lstat(t, o, tt.file)
			start := time.Now()
			f, err := o.Open(tt.file, fs.OpenRead|fs.OpenWrite, 0)
			elapsed := time.Since(start)
			if fs.Errno(err) != tt.want && !(tt.want == 0 && err == nil) {
				t.Fatalf("open for writing: %v, want %v", err, tt.want)
			}
			if n := lower.read.Load(); n > tt.maxRead {
				t.Fatalf("the copy-up read %d bytes of the lower file, want at most %d (in %v)", n, tt.maxRead, elapsed)
			}
			if err != nil {
				// The lower file is still there, untouched.
				if st := lstat(t, o, tt.file); st != before {
					t.Fatalf("after a failed copy-up: %+v, was %+v", st, before)
				}
				return
			}
			defer f.Close()
			if st := lstat(t, o, tt.file); st.Size != before.Size || st.Ino != before.Ino {
				t.Fatalf("copy: %+v, lower %+v", st, before)
			}
			if tt.file == "huge" {
				for off, want := range map[int64]string{0: "head", 1 << 40: "tail", 1 << 30: "\x00\x00\x00\x00"} {
					b := make([]byte, 4)
					if _, err := f.ReadAt(b, off); err != nil || string(b) != want {
						t.Fatalf("at %d: %q, %v; want %q", off, b, err, want)
					}
				}
			}
		})
	}
}

// TestFS_CopyUpDeadline checks that a copy-up through WithContext stops
// when the context is done, with the context's cause, and leaves the
// lower file in view and nothing in the upper layer or its work area.
func TestFS_CopyUpDeadline(t *testing.T) {
	image := sparseImage(t)
	for _, dir := range []bool{false, true} {
		t.Run(map[bool]string{false: "memory", true: "directory"}[dir], func(t *testing.T) {
			var o *overlay.FS
			var err error
			odir := t.TempDir()
			if dir {
				o, err = overlay.OpenDir(image, odir, overlay.Options{LowerID: "test"})
			} else {
				o, err = overlay.New(image, memfs.New(memfs.Options{}))
			}
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			before := lstat(t, o, "dense")
			cause := errors.New("deadline of the test")
			ctx, cancel := context.WithCancelCause(context.Background())
			cancel(cause)
			for _, op := range []struct {
				name string
				run  func(f fs.FS) error
			}{
				{"open", func(f fs.FS) error {
					h, err := f.Open("dense", fs.OpenWrite, 0)
					if err == nil {
						h.Close()
					}
					return err
				}},
				{"set times", func(f fs.FS) error { return f.SetTimes("dense", fs.TimeNow, fs.TimeNow) }},
				{"set an open file's times", func(fs.FS) error {
					// As fd_filestat_set_times does it: on a file opened
					// before, through the call's context.
					h, err := o.Open("dense", fs.OpenRead, 0)
					if err != nil {
						return err
					}
					defer h.Close()
					return fs.SetFileTimes(ctx, h, fs.TimeNow, fs.TimeNow)
				}},
				{"rename", func(f fs.FS) error { return f.Rename("dense", "moved") }},
				{"link", func(f fs.FS) error { return f.Link("dense", "linked") }},
			} {
				if err := op.run(fs.WithContext(ctx, o)); !errors.Is(err, cause) {
					t.Fatalf("%s: %v, want the context's cause", op.name, err)
				}
				if st := lstat(t, o, "dense"); st != before {
					t.Fatalf("%s: %+v, was %+v", op.name, st, before)
				}
			}
			if dir {
				for _, sub := range []string{"upper", "work"} {
					if list, _ := os.ReadDir(filepath.Join(odir, sub)); len(list) != 0 {
						t.Fatalf("%s holds %v", sub, list)
					}
				}
			}
			// Without the deadline, it copies.
			if err := o.SetTimes("dense", fs.TimeNow, fs.TimeNow); err != nil {
				t.Fatal(err)
			}
		})
	}
}
