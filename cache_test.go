package wasmvisor

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/aot"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

func needCompiledTier(t *testing.T) {
	t.Helper()
	if err := TierCompiled.Available(); err != nil {
		t.Skip(err)
	}
}

// incOnce instantiates c and returns what its inc(5) returns (15: the
// start function sets the counter to 10).
func incOnce(t *testing.T, r *Runtime, c *CompiledModule) uint64 {
	t.Helper()
	ctx := context.Background()
	mod, err := r.InstantiateModule(ctx, c, ModuleConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer mod.Close(ctx)
	res, err := mod.ExportedFunction("inc").Call(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	return res[0]
}

func TestCompilationCache(t *testing.T) {
	needCompiledTier(t)
	ctx := context.Background()
	cache, err := NewCompilationCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	bin := encode(counter())
	for i, want := range []CacheStats{{Misses: 1, Stores: 1}, {Misses: 1, Stores: 1, Hits: 1}} {
		// A runtime each time: the cache, not the runtime, keeps code.
		r := NewRuntime(ctx, RuntimeConfig{Tier: TierCompiled, CompilationCache: cache})
		c, err := r.CompileModule(ctx, bin)
		if err != nil {
			t.Fatal(err)
		}
		if got := incOnce(t, r, c); got != 15 {
			t.Errorf("compile %d: inc(5) = %d, want 15", i, got)
		}
		if got := cache.Stats(); got != want {
			t.Errorf("compile %d: Stats = %+v, want %+v", i, got, want)
		}
		r.Close(ctx)
	}

	// A damaged entry is compiled again and replaced.
	entries, _ := filepath.Glob(filepath.Join(cache.Dir(), "code", "*"))
	if len(entries) != 1 {
		t.Fatalf("cache holds %d entries, want 1", len(entries))
	}
	if err := os.Truncate(entries[0], 64); err != nil {
		t.Fatal(err)
	}
	r := NewRuntime(ctx, RuntimeConfig{Tier: TierCompiled, CompilationCache: cache})
	defer r.Close(ctx)
	c, err := r.CompileModule(ctx, bin)
	if err != nil {
		t.Fatal(err)
	}
	if got := incOnce(t, r, c); got != 15 {
		t.Errorf("after damage: inc(5) = %d, want 15", got)
	}
	if got := cache.Stats(); got.Damaged != 1 || got.Stores != 2 {
		t.Errorf("after damage: Stats = %+v, want one damaged entry stored again", got)
	}

	// The interpreter keeps nothing in the cache.
	ri := NewRuntime(ctx, RuntimeConfig{Tier: TierInterp, CompilationCache: cache})
	defer ri.Close(ctx)
	before := cache.Stats()
	if _, err := ri.CompileModule(ctx, bin); err != nil {
		t.Fatal(err)
	}
	if got := cache.Stats(); got != before {
		t.Errorf("interpreter used the cache: %+v, then %+v", before, got)
	}
}

func TestPrecompileModule(t *testing.T) {
	needCompiledTier(t)
	ctx := context.Background()
	r := NewRuntime(ctx, RuntimeConfig{Tier: TierCompiled})
	defer r.Close(ctx)
	bin := encode(counter())
	data, err := r.PrecompileModule(ctx, bin)
	if err != nil {
		t.Fatal(err)
	}
	if !IsPrecompiled(data) || IsPrecompiled(bin) {
		t.Fatal("IsPrecompiled does not tell a precompiled module from a binary")
	}
	c, err := r.LoadPrecompiledModule(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	if got := incOnce(t, r, c); got != 15 {
		t.Errorf("inc(5) = %d, want 15", got)
	}

	with := func(edit func(p *aot.Precompiled)) []byte {
		p, err := aot.ParsePrecompiled(data)
		if err != nil {
			t.Fatal(err)
		}
		edit(p)
		return p.Marshal()
	}
	damaged := append([]byte(nil), data...)
	damaged[len(damaged)/2] ^= 1
	tests := []struct {
		name  string
		cfg   RuntimeConfig
		data  []byte
		check func(error) bool
	}{
		{"damaged", RuntimeConfig{Tier: TierCompiled}, damaged, func(err error) bool { return err != nil }},
		{"another build", RuntimeConfig{Tier: TierCompiled}, with(func(p *aot.Precompiled) { p.BuildID = "v0.0.1" }),
			func(err error) bool { return errors.Is(err, ErrPrecompiledMismatch) }},
		{"other CPU features", RuntimeConfig{Tier: TierCompiled}, with(func(p *aot.Precompiled) { p.CodeKey += "+avx512" }),
			func(err error) bool { return errors.Is(err, ErrPrecompiledMismatch) }},
		{"interpreter", RuntimeConfig{Tier: TierInterp}, data,
			func(err error) bool { return errors.Is(err, ErrPrecompiledMismatch) }},
		{"against the policy", RuntimeConfig{Tier: TierCompiled, Policy: &Policy{MaxMemoryPages: LimitOf(0)}}, data,
			func(err error) bool { _, ok := errors.AsType[*PolicyError](err); return ok }},
		{"code for another module", RuntimeConfig{Tier: TierCompiled}, with(func(p *aot.Precompiled) { p.Wasm = encode(&wasm.Module{}) }),
			func(err error) bool { return err != nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRuntime(ctx, tt.cfg)
			defer r.Close(ctx)
			if _, err := r.LoadPrecompiledModule(ctx, tt.data); !tt.check(err) {
				t.Fatalf("unexpected result: %v", err)
			}
		})
	}

	ri := NewRuntime(ctx, RuntimeConfig{Tier: TierInterp})
	defer ri.Close(ctx)
	if _, err := ri.PrecompileModule(ctx, bin); err == nil {
		t.Error("the interpreter precompiled a module")
	}
}

// TestPrecompileModuleToFile checks that the file written with the code
// assembled into it is the file PrecompileModule returns, that it loads
// and runs, that a damaged one is refused, and that a failed compile
// leaves neither the file nor a temporary one.
func TestPrecompileModuleToFile(t *testing.T) {
	needCompiledTier(t)
	ctx := context.Background()
	r := NewRuntime(ctx, RuntimeConfig{Tier: TierCompiled})
	defer r.Close(ctx)
	bin := encode(counter())
	want, err := r.PrecompileModule(ctx, bin)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "m.cwasm")
	if err := r.PrecompileModuleToFile(ctx, bin, path, 0o640); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, want) {
		t.Fatalf("file of %d bytes differs from PrecompileModule's %d", len(data), len(want))
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("file mode %v, %v; want 0640", fi.Mode(), err)
	}
	c, err := r.LoadPrecompiledModule(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	if got := incOnce(t, r, c); got != 15 {
		t.Errorf("inc(5) = %d, want 15", got)
	}
	for _, at := range []int{0, len(data) / 2, len(data) - 1} {
		d := bytes.Clone(data)
		d[at] ^= 0x40
		if _, err := r.LoadPrecompiledModule(ctx, d); err == nil {
			t.Errorf("byte %d of %d changed: loaded", at, len(d))
		}
	}
	if _, err := r.LoadPrecompiledModule(ctx, data[:len(data)-1]); err == nil {
		t.Error("truncated file: loaded")
	}

	bad := filepath.Join(dir, "bad.cwasm")
	if err := r.PrecompileModuleToFile(ctx, []byte("\x00asm\x01\x00\x00\x00\x0a"), bad, 0o644); err == nil {
		t.Error("a malformed module: no error")
	}
	if des, _ := os.ReadDir(dir); len(des) != 1 {
		t.Errorf("directory holds %d files after a failed compile, want 1", len(des))
	}
}

// TestPrecompileModule_gc precompiles while the collector runs: the
// machine code the result is copied from must stay mapped until it is
// copied, though nothing uses the compiled module after.
func TestPrecompileModule_gc(t *testing.T) {
	needCompiledTier(t)
	ctx := context.Background()
	r := NewRuntime(ctx, RuntimeConfig{Tier: TierCompiled})
	defer r.Close(ctx)
	// Many functions, so that copying the code takes a while.
	m := &wasm.Module{Types: []wasm.FuncType{{Params: []wasm.ValueType{i32}, Results: []wasm.ValueType{i32}}}}
	body := []byte{0x20, 0x00}
	for range 200 {
		body = append(body, 0x20, 0x00, 0x6a) // local.get 0; i32.add
	}
	body = append(body, 0x0b)
	for range 2000 {
		m.Funcs = append(m.Funcs, 0)
		m.Codes = append(m.Codes, wasm.Code{Body: body})
	}
	bin := encode(m)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				runtime.GC()
			}
		}
	}()
	for range 10 {
		data, err := r.PrecompileModule(ctx, bin)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.LoadPrecompiledModule(ctx, data); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCompilationCache_policy: a cache hit spares validating function
// bodies only under the policy the entry was made under. A stricter
// policy finds no entry, and its checks of the bodies still apply.
func TestCompilationCache_policy(t *testing.T) {
	needCompiledTier(t)
	ctx := context.Background()
	cache, err := NewCompilationCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	bin := encode(counter())
	compile := func(p *Policy) error {
		r := NewRuntime(ctx, RuntimeConfig{Tier: TierCompiled, CompilationCache: cache, Policy: p})
		defer r.Close(ctx)
		_, err := r.CompileModule(ctx, bin)
		return err
	}
	for range 2 {
		if err := compile(nil); err != nil {
			t.Fatal(err)
		}
	}
	if got := cache.Stats(); got.Hits != 1 {
		t.Fatalf("Stats = %+v, want the second compile a hit", got)
	}
	strict := DefaultPolicy()
	strict.MaxFunctionSize = LimitOf(1) // every body of counter() is longer
	var perr *PolicyError
	if err := compile(strict); !errors.As(err, &perr) {
		t.Fatalf("under a policy its bodies break: %v, want a *PolicyError", err)
	}
	if got := cache.Stats(); got.Hits != 1 {
		t.Errorf("Stats = %+v: the strict policy's compile hit the entry of another policy", got)
	}
}

// TestInvalidBodies checks that the compiled tier, which translates
// function bodies on every CPU, reports an invalid or malformed module
// with the interpreter's error: the first invalid body in the module's
// order, and a malformed body before any invalid one, on every path
// that compiles, leaving no file behind.
func TestInvalidBodies(t *testing.T) {
	needCompiledTier(t)
	ctx := context.Background()
	const n = 300 // enough functions for every CPU to translate some
	module := func(bad map[int][]byte) []byte {
		m := &wasm.Module{Types: []wasm.FuncType{{}}}
		for i := range n {
			m.Funcs = append(m.Funcs, 0)
			body := []byte{0x01, 0x0b} // nop; end
			if b, ok := bad[i]; ok {
				body = b
			}
			m.Codes = append(m.Codes, wasm.Code{Body: body})
		}
		return encode(m)
	}
	typeMismatch := []byte{0x41, 0x00, 0x0b} // i32.const 0; end
	unknownLocal := []byte{0x20, 0x05, 0x1a, 0x0b}
	illegalOpcode := []byte{0xff, 0x0b}
	tests := []struct {
		name string
		bad  map[int][]byte
		want string
	}{
		{"first invalid body", map[int][]byte{20: typeMismatch, 250: unknownLocal}, "type mismatch"},
		{"first invalid body, last translated first", map[int][]byte{20: unknownLocal, 250: typeMismatch}, "unknown local"},
		{"malformed after invalid", map[int][]byte{20: typeMismatch, 250: illegalOpcode}, "illegal opcode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bin := module(tt.bad)
			interp := NewRuntime(ctx, RuntimeConfig{Tier: TierInterp})
			defer interp.Close(ctx)
			_, want := interp.CompileModule(ctx, bin)
			if want == nil || !strings.Contains(want.Error(), tt.want) {
				t.Fatalf("interpreter: %v, want %q", want, tt.want)
			}
			check := func(path string, err error) {
				t.Helper()
				if err == nil || err.Error() != want.Error() {
					t.Errorf("%s: %v\nwant %v", path, err, want)
				}
			}
			r := NewRuntime(ctx, RuntimeConfig{Tier: TierCompiled})
			defer r.Close(ctx)
			_, err := r.CompileModule(ctx, bin)
			check("compiled, no cache", err)
			cache, err := NewCompilationCache(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			rc := NewRuntime(ctx, RuntimeConfig{Tier: TierCompiled, CompilationCache: cache})
			defer rc.Close(ctx)
			_, err = rc.CompileModule(ctx, bin)
			check("compiled into the cache", err)
			out := filepath.Join(t.TempDir(), "m.cwasm")
			check("precompiled to a file", r.PrecompileModuleToFile(ctx, bin, out, 0o644))
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("precompiling an invalid module left %s: %v", out, err)
			}
			if entries, _ := filepath.Glob(filepath.Join(filepath.Dir(out), "*")); len(entries) > 0 {
				t.Errorf("precompiling an invalid module left files: %v", entries)
			}
		})
	}
}
