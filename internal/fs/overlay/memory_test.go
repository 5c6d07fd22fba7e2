package overlay_test

import (
	"fmt"
	"runtime"
	"syscall"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/fs"
	"github.com/wasmvisor/wasmvisor/internal/fs/memfs"
	"github.com/wasmvisor/wasmvisor/internal/fs/overlay"
)

// TestFS_MemoryBound checks that an overlay in memory takes host memory
// close to its limit, whatever the guest does until it gets ENOSPC:
// grow one file in small writes (which once copied the file at every
// growth, leaving the copies to the garbage collector), write and delete
// files over and over, create empty files (metadata: the upper layer's
// nodes and the overlay's index), with short names or in a deep
// directory, or delete the image's files (whiteouts, which only the
// index holds, and which once grew without bound). The heap live at the end, and for file contents the heap
// allocated in all (no copies left for the garbage collector), must stay
// within a quarter above the limit.
func TestFS_MemoryBound(t *testing.T) {
	const limit = 32 << 20
	chunk := make([]byte, 64<<10)
	for i := range chunk {
		chunk[i] = byte(i) | 1
	}
	fill := func(t *testing.T, o *overlay.FS, name string) {
		h, err := o.Open(name, fs.OpenWrite|fs.OpenCreate, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		for off := int64(0); ; off += int64(len(chunk)) {
			if _, err := h.WriteAt(chunk, off); err != nil {
				// EFBIG: past the largest file, which the limit
				// and what is already stored bound.
				if e := fs.Errno(err); e != syscall.ENOSPC && e != syscall.EFBIG {
					t.Fatal(err)
				}
				return
			}
		}
	}
	tests := []struct {
		name  string
		data  bool // bound the heap allocated in all too, not just what is live
		lower func(t *testing.T) fs.FS
		run   func(t *testing.T, o *overlay.FS)
	}{
		{"one growing file", true, nil, func(t *testing.T, o *overlay.FS) { fill(t, o, "big") }},
		{"files written and deleted", true, nil, func(t *testing.T, o *overlay.FS) {
			for range 4 {
				fill(t, o, "big")
				if err := o.Unlink("big"); err != nil {
					t.Fatal(err)
				}
			}
			fill(t, o, "big")
		}},
		{"empty files, long paths", false, nil, func(t *testing.T, o *overlay.FS) {
			dir := "."
			for i := 0; len(dir) < 3000; i++ {
				dir = fs.Join(dir, fmt.Sprintf("%0200d", i))
				if err := o.Mkdir(dir, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			createAll(t, o, func(i int) string { return fmt.Sprintf("%s/f%d", dir, i) })
		}},
		{"image files deleted", false, manyFiles, func(t *testing.T, o *overlay.FS) {
			for i := 0; ; i++ {
				if i == manyFilesCount {
					t.Fatalf("%d image files deleted without ENOSPC", i)
				}
				if err := o.Unlink(manyFilesName(i)); err != nil {
					if fs.Errno(err) != syscall.ENOSPC {
						t.Fatal(err)
					}
					t.Logf("%d whiteouts", i)
					return
				}
			}
		}},
		{"empty files", false, nil, func(t *testing.T, o *overlay.FS) {
			for i := range 64 {
				if err := o.Mkdir(fmt.Sprint(i), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			createAll(t, o, func(i int) string { return fmt.Sprintf("%d/f%d", i%64, i) })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lower := emptyLower(t)
			if tt.lower != nil {
				lower = tt.lower(t)
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			o, err := overlay.New(lower, memfs.New(memfs.Options{MaxBytes: limit}))
			if err != nil {
				t.Fatal(err)
			}
			tt.run(t, o)
			runtime.GC()
			runtime.ReadMemStats(&after)
			allocated := after.TotalAlloc - before.TotalAlloc
			live := int64(after.HeapAlloc) - int64(before.HeapAlloc)
			t.Logf("limit %d MiB: %.1f MiB allocated, %.1f MiB live", limit>>20, float64(allocated)/(1<<20), float64(live)/(1<<20))
			if tt.data && allocated > limit*5/4 || live > limit*5/4 {
				t.Fatalf("limit %d MiB, but %.1f MiB allocated and %.1f MiB live", limit>>20, float64(allocated)/(1<<20), float64(live)/(1<<20))
			}
			runtime.KeepAlive(o)
		})
	}
}

// createAll creates empty files named name(0), name(1)... until o is
// full.
func createAll(t *testing.T, o *overlay.FS, name func(i int) string) {
	for i := 0; ; i++ {
		h, err := o.Open(name(i), fs.OpenWrite|fs.OpenCreate, 0o644)
		if err != nil {
			if fs.Errno(err) != syscall.ENOSPC {
				t.Fatal(err)
			}
			t.Logf("%d files", i)
			return
		}
		h.Close()
	}
}

// manyFilesCount is how many files manyFiles holds: more whiteouts than
// TestFS_MemoryBound's limit holds.
const manyFilesCount = 200_000

// manyFilesName returns the name of manyFiles's file i.
func manyFilesName(i int) string { return fmt.Sprintf("d%d/%0100d", i%64, i) }

// manyFiles returns a lower file system of manyFilesCount empty files
// with names of 100 bytes, in 64 directories.
func manyFiles(t *testing.T) fs.FS {
	f := memfs.New(memfs.Options{})
	for i := range 64 {
		if err := f.Mkdir(fmt.Sprintf("d%d", i), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i := range manyFilesCount {
		h, err := f.Open(manyFilesName(i), fs.OpenWrite|fs.OpenCreate, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		h.Close()
	}
	return readOnly{f}
}
