package amd64

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"unsafe"

	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// forwardCallModule's first function calls its last across enough code
// that, with pages given back every page, the call site's page has left
// the process before the callee is placed and the call is patched.
func forwardCallModule(t testing.TB) *wasm.Module {
	const fillers = 300
	last := uint32(fillers + 1)
	funcs := []tfn{{name: "first", results: vts(vI32), body: wcode(wcall(last), wi32(1), wop(wasm.OpI32Add))}}
	for i := range fillers {
		var body [][]byte
		for j := range 20 {
			body = append(body, wi32(int32(i*j)), wop(wasm.OpDrop))
		}
		funcs = append(funcs, tfn{body: wcode(body...)})
	}
	funcs = append(funcs, tfn{results: vts(vI32), body: wcode(wi32(41))})
	return tmod{funcs: funcs}.build(t)
}

// TestCompileToFile checks that the stored form CompileToFile writes,
// with its code assembled in the file and given back page by page, is
// MarshalModule's of the same module compiled in memory, that it ends
// the file, and that it loads and runs: calls patched after their page
// left the process reached the file.
func TestCompileToFile(t *testing.T) {
	defer func(n int) { dropEvery = n }(dropEvery)
	dropEvery = pageSize
	e := New(Config{})
	for _, tt := range []struct {
		name string
		m    *wasm.Module
	}{
		{"persist module", persistModule(t)},
		{"forward call", forwardCallModule(t)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			compiled, err := e.CompileModule(tt.m)
			if err != nil {
				t.Fatal(err)
			}
			want, err := marshal(e, compiled)
			if err != nil {
				t.Fatal(err)
			}
			if tt.name == "forward call" && len(compiled.mem.b) < 4*pageSize {
				t.Fatalf("%d bytes of code: too few to give pages back before the call is patched", len(compiled.mem.b))
			}
			f, err := os.Create(filepath.Join(t.TempDir(), "out"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			const off = 2 * codeAlign
			prefix := bytes.Repeat([]byte{0xa5}, off)
			if _, err := f.Write(prefix); err != nil {
				t.Fatal(err)
			}
			n, err := e.CompileToFile(tt.m, f, off)
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(f.Name())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got[:off], prefix) {
				t.Fatal("the bytes before the form changed")
			}
			if int64(len(got)) != off+n || !bytes.Equal(got[off:], want) {
				t.Fatalf("stored form of %d bytes (file of %d) differs from MarshalModule's %d", n, len(got), len(want))
			}
			src := &fileSource{Reader: io.NewSectionReader(f, off, n), f: f, base: off}
			loaded, err := e.UnmarshalModule(tt.m, src, n)
			if err != nil {
				t.Fatal(err)
			}
			if tt.name == "persist module" {
				checkLoaded(t, e, tt.m, compiled, loaded)
				return
			}
			s := store.New()
			inst, err := s.Instantiate(tt.m, "loaded", loaded.Codes(), store.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			defer inst.Close()
			if err := e.Instantiated(inst); err != nil {
				t.Fatal(err)
			}
			if got, err := invoke(context.Background(), e, exported(t, inst, "first")); err != nil || got[0] != 42 {
				t.Errorf("first() = %v, %v; want 42", got, err)
			}
		})
	}
}

// TestTableWriter: functions' tables are written as the functions are
// placed, the same bytes as marshalTables; a function out of order is an
// error, not a table in the wrong place.
func TestTableWriter(t *testing.T) {
	funcs := make([]funcCode, 6)
	for i := range funcs {
		funcs[i] = funcCode{start: uint32(100 * i), end: uint32(100*i + 50), index: uint32(i), pcs: []pcEntry{{pc: uint32(100*i + 7), offset: uint32(i)}}}
	}
	want := marshalTables(slices.Clone(funcs), nil)
	var out bytes.Buffer
	tw := &tableWriter{w: bufio.NewWriter(&out)}
	tw.put([]byte{byte(len(funcs))})
	for i := range funcs {
		f := funcs[i]
		tw.add(i, &f)
		if f.pcs != nil {
			t.Fatal("add kept the return addresses")
		}
	}
	tw.put(appendSlowTable(nil, nil))
	if err := tw.w.Flush(); err != nil || tw.err != nil {
		t.Fatal(err, tw.err)
	}
	if !bytes.Equal(out.Bytes(), want) || tw.n != int64(len(want)) {
		t.Fatalf("tables = %x (%d counted), want %x", out.Bytes(), tw.n, want)
	}
	f := funcs[0]
	tw.add(0, &f)
	if tw.err == nil {
		t.Error("a function's tables twice: no error")
	}
}

// TestFileArena checks that pages a file's arena gave back keep what was
// written to them, including writes made after they were given back.
func TestFileArena(t *testing.T) {
	defer func(n int) { dropEvery = n }(dropEvery)
	dropEvery = pageSize
	f, err := os.Create(filepath.Join(t.TempDir(), "code"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, err := reserveFileCode(f, int64(pageSize), 4*pageSize)
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Repeat([]byte{0x90}, 3*pageSize+5)
	code := append(a.buf(), want[:2*pageSize]...)
	a.done(0, &funcCode{}, len(code))
	if a.dropped != 2*pageSize {
		t.Fatalf("gave back %d bytes, want %d", a.dropped, 2*pageSize)
	}
	code[10], want[10] = 0xcc, 0xcc // a patch to a page given back
	code = append(code, want[2*pageSize:]...)
	if _, err := a.seal(code); err != nil {
		t.Fatal(err)
	}
	if a.n != len(want) {
		t.Fatalf("code length %d, want %d", a.n, len(want))
	}
	got := make([]byte, len(want))
	if _, err := f.ReadAt(got, int64(pageSize)); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("file holds other code (%v)", err)
	}
	if _, err := reserveFileCode(f, 1, pageSize); err == nil {
		t.Error("an arena off a page boundary: no error")
	}
}

// TestFileArenaFallbacks checks that code reaches the file when it
// outgrew the arena, and when the file cannot be mapped, where the
// arena is memory that done must not give back.
func TestFileArenaFallbacks(t *testing.T) {
	defer func(n int) { dropEvery = n }(dropEvery)
	dropEvery = pageSize
	for _, tt := range []struct {
		name     string
		n        int
		unmapped bool
	}{
		{"outgrows it", 3*pageSize + 7, false},
		{"cannot map", 2*pageSize + 7, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.unmapped {
				defer func(m func(int, int64, unsafe.Pointer, uintptr, int, int) (unsafe.Pointer, error)) { mmapShared = m }(mmapShared)
				mmapShared = func(int, int64, unsafe.Pointer, uintptr, int, int) (unsafe.Pointer, error) {
					return nil, errors.New("no shared mappings here")
				}
			}
			f, err := os.Create(filepath.Join(t.TempDir(), "code"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			a, err := reserveFileCode(f, 0, 2*pageSize+16)
			if err != nil {
				t.Fatal(err)
			}
			if a.shared == tt.unmapped {
				t.Fatalf("arena shared: %v", a.shared)
			}
			want := bytes.Repeat([]byte{0x90, 0xcc}, tt.n/2)
			code := append(a.buf(), want[:2*pageSize]...)
			a.done(0, &funcCode{}, len(code))
			code = append(code, want[2*pageSize:]...)
			if _, err := a.seal(code); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, len(want))
			if _, err := f.ReadAt(got, 0); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("file holds other code (%v)", err)
			}
		})
	}
}
