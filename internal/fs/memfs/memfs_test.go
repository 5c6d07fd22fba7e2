package memfs

import (
	"syscall"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/fs"
	"github.com/wasmvisor/wasmvisor/internal/fs/fstest"
)

func TestFS_Contract(t *testing.T) {
	fstest.Run(t, func(t *testing.T) fs.FS { return New(Options{}) })
}

func TestFS_Limit(t *testing.T) {
	tests := []struct {
		name string
		run  func(f *FS) error
	}{
		{"write", func(f *FS) error {
			h, err := f.Open("big", fs.OpenWrite|fs.OpenCreate, 0o644)
			if err != nil {
				return err
			}
			defer h.Close()
			_, err = h.WriteAt(make([]byte, 8<<10), 0)
			return err
		}},
		{"sparse write far out", func(f *FS) error {
			h, err := f.Open("big", fs.OpenWrite|fs.OpenCreate, 0o644)
			if err != nil {
				return err
			}
			defer h.Close()
			_, err = h.WriteAt([]byte{1}, 1<<40)
			return err
		}},
		{"truncate", func(f *FS) error {
			h, err := f.Open("big", fs.OpenWrite|fs.OpenCreate, 0o644)
			if err != nil {
				return err
			}
			defer h.Close()
			return h.Truncate(1 << 20)
		}},
		{"many entries", func(f *FS) error {
			for i := 0; ; i++ {
				if err := f.Mkdir(string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676)), 0o755); err != nil {
					return err
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := New(Options{MaxBytes: 4 << 10})
			err := tt.run(f)
			if e := fs.Errno(err); e != syscall.ENOSPC && e != syscall.EFBIG {
				t.Fatalf("got %v, want ENOSPC or EFBIG", err)
			}
			if f.used > f.limit {
				t.Fatalf("used %d bytes of a %d-byte limit", f.used, f.limit)
			}
		})
	}
}

func TestFS_ReleaseOnLastClose(t *testing.T) {
	f := New(Options{MaxBytes: 64 << 10})
	for i := 0; i < 100; i++ {
		h, err := f.Open("f", fs.OpenWrite|fs.OpenCreate, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.WriteAt(make([]byte, 32<<10), 0); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		if err := f.Unlink("f"); err != nil {
			t.Fatal(err)
		}
		h.Close()
	}
	if f.used != 0 {
		t.Fatalf("%d bytes still charged after every file is gone", f.used)
	}
}
