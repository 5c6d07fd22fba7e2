package hostfs

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/fs"
	"github.com/wasmvisor/wasmvisor/internal/fs/fstest"
)

func newFS(t *testing.T, opts Options) *FS {
	t.Helper()
	h, err := New(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func TestFS_Contract(t *testing.T) {
	fstest.Run(t, func(t *testing.T) fs.FS { return newFS(t, Options{}) })
}

// TestFS_ContractWithoutOpenat2 runs the contract on the path taken where
// openat2 is unavailable.
func TestFS_ContractWithoutOpenat2(t *testing.T) {
	fstest.Run(t, func(t *testing.T) fs.FS {
		h := newFS(t, Options{})
		h.noOpenat2.Store(true)
		return h
	})
}

func TestNew_Errors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{filepath.Join(t.TempDir(), "missing"), file} {
		if _, err := New(dir, Options{}); err == nil {
			t.Errorf("New(%q) succeeded", dir)
		}
	}
}

func TestFS_ReadOnly(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "file"), []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	h, err := New(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if got := fstest.ReadFile(t, h, "file"); string(got) != "data" {
		t.Fatalf("read: %q", got)
	}
	f, err := h.Open("file", fs.OpenRead|fs.OpenCreate, 0o644)
	fstest.WantErrno(t, "open existing with create", err, 0)
	f.Close()
	before, err := os.Stat(filepath.Join(dir, "file"))
	if err != nil {
		t.Fatal(err)
	}
	// A file opened for reading: the host would let its owner change its
	// times through the descriptor.
	rf, err := h.Open("file", fs.OpenRead, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	tests := []struct {
		name string
		err  error
	}{
		{"mkdir", h.Mkdir("new", 0o755)},
		{"rmdir", h.Rmdir("sub")},
		{"unlink", h.Unlink("file")},
		{"rename", h.Rename("file", "file2")},
		{"link", h.Link("file", "file2")},
		{"symlink", h.Symlink("file", "ln")},
		{"settimes", h.SetTimes("file", fs.TimeNow, fs.TimeNow)},
		{"open for writing", openErr(h, "file", fs.OpenWrite)},
		{"open truncating", openErr(h, "file", fs.OpenRead|fs.OpenTruncate)},
		{"create", openErr(h, "new", fs.OpenWrite|fs.OpenCreate)},
		{"create read-only", openErr(h, "new", fs.OpenRead|fs.OpenCreate)},
		{"file settimes", rf.SetTimes(fs.TimeAt(1e9), fs.TimeAt(1e9))},
		{"file truncate", rf.Truncate(0)},
		{"file allocate", rf.Allocate(0, 100)},
	}
	for _, tt := range tests {
		fstest.WantErrno(t, tt.name, tt.err, syscall.EROFS)
	}
	if after, err := os.Stat(filepath.Join(dir, "file")); err != nil || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("host file's modification time changed: %v, then %v (%v)", before.ModTime(), after.ModTime(), err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "file")); err != nil || string(got) != "data" {
		t.Fatalf("host file changed: %q, %v", got, err)
	}
}

func openErr(h *FS, name string, flags fs.OpenFlag) error {
	f, err := h.Open(name, flags, 0o644)
	if err == nil {
		f.Close()
	}
	return err
}

// TestFS_Confinement plants symbolic links that point out of the mapped
// directory and checks that no operation reaches the sentinel beside it.
func TestFS_Confinement(t *testing.T) {
	for _, noOpenat2 := range []bool{false, true} {
		t.Run(map[bool]string{false: "openat2", true: "walk"}[noOpenat2], func(t *testing.T) {
			top := t.TempDir()
			mapped, outside := filepath.Join(top, "mapped"), filepath.Join(top, "outside")
			for _, d := range []string{mapped, outside} {
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			sentinel := filepath.Join(outside, "sentinel")
			if err := os.WriteFile(sentinel, []byte("untouched"), 0o644); err != nil {
				t.Fatal(err)
			}
			for name, target := range map[string]string{"abs": outside, "rel": "../outside", "absfile": sentinel} {
				if err := os.Symlink(target, filepath.Join(mapped, name)); err != nil {
					t.Fatal(err)
				}
			}
			h, err := New(mapped, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			h.noOpenat2.Store(noOpenat2)
			for _, name := range []string{"abs/sentinel", "rel/sentinel"} {
				_, err := h.Lstat(name)
				fstest.WantErrno(t, "lstat "+name, err, syscall.ELOOP)
				fstest.WantErrno(t, "unlink "+name, h.Unlink(name), syscall.ELOOP)
				fstest.WantErrno(t, "settimes "+name, h.SetTimes(name, fs.TimeAt(1), fs.TimeAt(1)), syscall.ELOOP)
				fstest.WantErrno(t, "open "+name, openErr(h, name, fs.OpenWrite|fs.OpenTruncate), syscall.ELOOP)
				fstest.WantErrno(t, "rename "+name, h.Rename(name, "stolen"), syscall.ELOOP)
				fstest.WantErrno(t, "symlink "+name, h.Symlink("x", name), syscall.ELOOP)
			}
			fstest.WantErrno(t, "open final link", openErr(h, "absfile", fs.OpenWrite|fs.OpenTruncate), syscall.ELOOP)
			// Operations on a final link act on the link itself.
			fstest.WantErrno(t, "settimes link", h.SetTimes("absfile", fs.TimeAt(1), fs.TimeAt(1)), 0)
			fstest.WantErrno(t, "unlink link", h.Unlink("absfile"), 0)
			if got, err := os.ReadFile(sentinel); err != nil || string(got) != "untouched" {
				t.Fatalf("sentinel: %q, %v", got, err)
			}
			st, err := os.Stat(sentinel)
			if err != nil || st.ModTime().Unix() == 1 {
				t.Fatalf("sentinel times changed: %v", err)
			}
		})
	}
}

func TestFS_StatMatchesHost(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, []byte("12345"), 0o640); err != nil {
		t.Fatal(err)
	}
	h, err := New(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	st, err := h.Lstat("f")
	if err != nil {
		t.Fatal(err)
	}
	var host syscall.Stat_t
	if err := syscall.Lstat(path, &host); err != nil {
		t.Fatal(err)
	}
	if st.Ino != host.Ino || st.Dev != host.Dev || st.Size != 5 || st.Perm != 0o640 ||
		st.Mtime != host.Mtim.Nano() || st.Type != fs.TypeRegular {
		t.Fatalf("got %+v, host %+v", st, host)
	}
}

func FuzzParseDirents(f *testing.F) {
	rec := func(ino uint64, typ byte, name string) []byte {
		reclen := (direntHeader + len(name) + 1 + 7) &^ 7
		b := make([]byte, reclen)
		b[0] = byte(ino)
		b[16] = byte(reclen)
		b[18] = typ
		copy(b[direntHeader:], name)
		return b
	}
	f.Add(append(rec(1, 4, "."), rec(2, 8, "file")...))
	f.Add(rec(3, 0, "unknown"))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, buf []byte) {
		ents, err := parseDirents(nil, buf, -1)
		if err != nil {
			return
		}
		for _, e := range ents {
			if e.Name == "" || e.Name == "." || e.Name == ".." {
				t.Fatalf("bad entry %q", e.Name)
			}
		}
	})
}
