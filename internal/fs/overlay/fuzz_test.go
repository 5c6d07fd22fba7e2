package overlay_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/fs"
	"github.com/wasmvisor/wasmvisor/internal/fs/overlay"
)

// journalHeader is the start of a journal made over the lower tree
// "fuzz": magic, version 1 and the identity.
const journalHeader = "wasmvisor-overlay\n\x01\x04fuzz"

// FuzzOpenDir opens an overlay directory whose journal holds the fuzzed
// records, and then reads and changes the whole tree: whatever the
// records say (whiteouts under files, redirects to anywhere, inode
// numbers and types made up), nothing may panic or hang.
func FuzzOpenDir(f *testing.F) {
	// Seeds: journals that real changes leave.
	for _, ops := range [][]func(o fs.FS){
		{func(o fs.FS) { o.Rename("usr/lib", "lib2") }, func(o fs.FS) { o.Unlink("lib2/py/os.py") }},
		{func(o fs.FS) { o.Unlink("etc/hosts") }, func(o fs.FS) { o.Rmdir("empty") }, func(o fs.FS) { o.Mkdir("empty", 0o700) }},
		{func(o fs.FS) { o.SetTimes("usr/share/readme", fs.TimeNow, fs.TimeNow) }, func(o fs.FS) { o.Link("usr/share/readme", "top2") }},
	} {
		dir := f.TempDir()
		o, err := overlay.OpenDir(lowerTree(f), dir, overlay.Options{LowerID: "fuzz"})
		if err != nil {
			f.Fatal(err)
		}
		for _, op := range ops {
			op(o)
		}
		o.Close()
		b, err := os.ReadFile(filepath.Join(dir, "meta"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[len(journalHeader):])
	}
	f.Fuzz(func(t *testing.T, records []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "meta"), append([]byte(journalHeader), records...), 0o600); err != nil {
			t.Fatal(err)
		}
		o, err := overlay.OpenDir(lowerTree(t), dir, overlay.Options{LowerID: "fuzz"})
		if err != nil {
			return
		}
		defer o.Close()
		exercise(o, ".", 0)
	})
}

// exercise reads everything below dir and changes some of it.
func exercise(o fs.FS, dir string, depth int) {
	list, err := o.ReadDir(dir)
	if err != nil || depth > 8 {
		return
	}
	for _, e := range list {
		name := fs.Join(dir, e.Name)
		st, err := o.Lstat(name)
		if err != nil {
			continue
		}
		switch st.Type {
		case fs.TypeDir:
			exercise(o, name, depth+1)
		case fs.TypeSymlink:
			o.Readlink(name)
		default:
			if h, err := o.Open(name, fs.OpenRead, 0); err == nil {
				buf := make([]byte, 64)
				h.ReadAt(buf, 0)
				h.Close()
			}
		}
	}
	if h, err := o.Open(fs.Join(dir, "new"), fs.OpenWrite|fs.OpenCreate, 0o644); err == nil {
		h.WriteAt([]byte("x"), 0)
		h.Close()
	}
	for _, e := range list {
		name := fs.Join(dir, e.Name)
		o.SetTimes(name, fs.TimeNow, fs.TimeNow)
		o.Rename(name, name+"-moved")
		o.Unlink(name + "-moved")
		o.Rmdir(name + "-moved")
	}
	o.ReadDir(dir)
}
