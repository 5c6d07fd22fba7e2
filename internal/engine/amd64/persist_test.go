package amd64

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/engine"
	"github.com/wasmvisor/wasmvisor/internal/engine/ir"
	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// persistModule has calls (return addresses), an instruction handed to
// Go (memory.grow) and a trap below a call (a backtrace).
func persistModule(t testing.TB) *wasm.Module {
	return tmod{
		memory: &wasm.Limits{Min: 1, Max: 4, HasMax: true},
		funcs: []tfn{
			/* 0 */ {name: "fact", params: vts(vI64), results: vts(vI64), body: wcode(
				wget(0), wop(wasm.OpI64Eqz), wif([]byte{byte(vI64)}), wi64(1), wop(wasm.OpElse),
				wget(0), wget(0), wi64(1), wop(wasm.OpI64Sub), wcall(0), wop(wasm.OpI64Mul), wop(wasm.OpEnd))},
			/* 1 */ {name: "grow", results: vts(vI32), body: wcode(wi32(1), widx(wasm.OpMemoryGrow, 0))},
			/* 2 */ {body: wcode(wop(wasm.OpUnreachable))},
			/* 3 */ {name: "trap", body: wcode(wi32(0), wop(wasm.OpDrop), wcall(2))},
		},
	}.build(t)
}

// TestPersistRoundTrip checks that code loaded from its stored form runs
// as the code compiled: the same results, the same trap and backtrace,
// whether the code is read or mapped from a checked file (a cache
// entry), where it must lie in a mapping of the file, not a copy.
func TestPersistRoundTrip(t *testing.T) {
	e := New(Config{})
	m := persistModule(t)
	compiled, err := e.CompileModule(m)
	if err != nil {
		t.Fatal(err)
	}
	data, err := marshal(e, compiled)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		base   int64 // where the form starts in the file, for a file
		file   bool
		mapped bool // the code must be mapped from the file
	}{
		{name: "reader"},
		{name: "file", file: true, mapped: true},
		{name: "file, form off a page boundary", base: 1, file: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var src io.Reader = bytes.NewReader(data)
			var path string
			if tt.file {
				path = filepath.Join(t.TempDir(), "entry")
				if err := os.WriteFile(path, append(make([]byte, tt.base), data...), 0o600); err != nil {
					t.Fatal(err)
				}
				f, err := os.Open(path)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				src = &fileSource{Reader: io.NewSectionReader(f, tt.base, int64(len(data))), f: f, base: tt.base}
			}
			loaded, err := e.UnmarshalModule(m, src, int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			if got := mappingOf(t, loaded.(*Module).mem.addr(0)); (got != "" && got == path) != tt.mapped {
				t.Errorf("code lies in a mapping of %q", got)
			}
			checkLoaded(t, e, m, compiled, loaded)
		})
	}
}

// fileSource is a stored form in a file, like a cache entry.
type fileSource struct {
	io.Reader
	f    *os.File
	base int64
}

func (s *fileSource) File() (*os.File, int64) { return s.f, s.base }

// mappingOf returns the path of the file mapped at addr in this process,
// "" for anonymous memory.
func mappingOf(t *testing.T, addr uintptr) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		var lo, hi uintptr
		if _, err := fmt.Sscanf(f[0], "%x-%x", &lo, &hi); err == nil && addr >= lo && addr < hi {
			if len(f) > 5 {
				return f[5]
			}
			return ""
		}
	}
	t.Fatalf("address %#x is not mapped", addr)
	return ""
}

// checkLoaded checks that loaded, the code of m read back from its
// stored form, is compiled's and runs as it does.
func checkLoaded(t *testing.T, e *Engine, m *wasm.Module, compiled *Module, loaded engine.Module) {
	t.Helper()
	lm := loaded.(*Module)
	if !reflect.DeepEqual(lm.funcs, compiled.funcs) || !reflect.DeepEqual(lm.slow, compiled.slow) ||
		string(lm.mem.b) != string(compiled.mem.b) || !reflect.DeepEqual(lm.layout, compiled.layout) || lm.numImported != compiled.numImported {
		t.Fatal("loaded module differs from the compiled one")
	}
	if len(lm.slow) == 0 {
		t.Fatal("test module hands no instruction to Go")
	}

	ctx := context.Background()
	s := store.New()
	inst, err := s.Instantiate(m, "loaded", loaded.Codes(), store.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	if err := e.Instantiated(inst); err != nil {
		t.Fatal(err)
	}
	if got, err := invoke(ctx, e, exported(t, inst, "fact"), 10); err != nil || got[0] != 3628800 {
		t.Errorf("fact(10) = %v, %v", got, err)
	}
	if got, err := invoke(ctx, e, exported(t, inst, "grow")); err != nil || got[0] != 1 {
		t.Errorf("grow() = %v, %v; want 1", got, err)
	}
	_, err = invoke(ctx, e, exported(t, inst, "trap"))
	tr := asTrap(err)
	if tr == nil || tr.Kind.String() != "unreachable" || len(tr.Frames) != 2 || tr.Frames[1].FuncIndex != 3 {
		t.Errorf("trap() = %v; want unreachable with frames 2 and 3", err)
	}
}

// TestPersistShuffles checks the stored form of every field, shuffle
// lanes included, which only an i8x16.shuffle handed to Go has.
func TestPersistShuffles(t *testing.T) {
	e := New(Config{})
	m := persistModule(t)
	mod, err := e.CompileModule(m)
	if err != nil {
		t.Fatal(err)
	}
	mod.slow = append(mod.slow, slowInstr{in: ir.Instr{Op: ir.OpSIMD + 0x0D, A: 1, B: 2, C: 3, Imm: 1 << 40}, offset: 77,
		shuffles: [][16]byte{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 31}}})
	data, err := marshal(e, mod)
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.UnmarshalModule(m, bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.(*Module).slow, mod.slow) {
		t.Fatalf("slow instructions = %+v, want %+v", got.(*Module).slow, mod.slow)
	}
}

// TestPersistMalformed checks that stored forms that are cut short, or
// made for another module, are errors.
func TestPersistMalformed(t *testing.T) {
	e := New(Config{})
	m := persistModule(t)
	mod, err := e.CompileModule(m)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := marshal(e, mod)
	for n := range len(data) {
		if _, err := e.UnmarshalModule(m, bytes.NewReader(data[:n]), int64(n)); err == nil {
			t.Fatalf("cut to %d of %d bytes: no error", n, len(data))
		}
	}
	if _, err := e.UnmarshalModule(m, bytes.NewReader(append(data, 0)), int64(len(data))); err == nil {
		t.Error("a byte after the code: no error")
	}
	// A source that reports damage at its end: nothing is loaded.
	damaged := io.MultiReader(bytes.NewReader(data), errReader{errDamaged})
	if _, err := e.UnmarshalModule(m, damaged, int64(len(data))); !errors.Is(err, errDamaged) {
		t.Errorf("damage reported at the end: %v, want it returned", err)
	}
	other := tmod{funcs: []tfn{{name: "f", body: wcode()}}}.build(t)
	if _, err := e.UnmarshalModule(other, bytes.NewReader(data), int64(len(data))); err == nil || !strings.Contains(err.Error(), "functions") {
		t.Errorf("another module's code: %v, want an error about its functions", err)
	}
}

func TestCodeKey(t *testing.T) {
	key := New(Config{}).CodeKey()
	if !strings.HasPrefix(key, Name+"/") || !strings.Contains(key, InProcess.Name) {
		t.Errorf("CodeKey = %q, want the tier and the target in it", key)
	}
	// The stack limit does not change the code.
	if k := New(Config{MaxStackBytes: 1 << 16}).CodeKey(); k != key {
		t.Errorf("CodeKey changes with the stack limit: %q, %q", k, key)
	}
}

// FuzzUnmarshalModule checks that no stored form makes the loader panic
// or allocate without bound. (What loaded code does is not checked: the
// stored form is trusted once its integrity is.)
func FuzzUnmarshalModule(f *testing.F) {
	e := New(Config{})
	m := persistModule(f)
	mod, err := e.CompileModule(m)
	if err != nil {
		f.Fatal(err)
	}
	data, _ := marshal(e, mod)
	f.Add(data)
	f.Fuzz(func(t *testing.T, b []byte) {
		e.UnmarshalModule(m, bytes.NewReader(b), int64(len(b)))
	})
}

var errDamaged = errors.New("damaged")

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// marshal returns mod's stored form as one slice.
func marshal(e *Engine, mod *Module) ([]byte, error) {
	parts, err := e.MarshalModule(mod)
	return bytes.Join(parts, nil), err
}
