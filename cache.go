package wasmvisor

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/wasmvisor/wasmvisor/internal/aot"
	"github.com/wasmvisor/wasmvisor/internal/engine"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
	"github.com/wasmvisor/wasmvisor/internal/wasm/validate"
)

// CompilationCache is a directory of compiled machine code that Runtimes
// configured with it share (RuntimeConfig.CompilationCache), within a
// process and across processes. An entry is keyed by the module's
// binary, this build of wasmvisor, the CPU features the code uses and
// every setting that changes the code; entries are written atomically,
// and one that is truncated, damaged or altered is detected, removed and
// compiled again, never run. It is safe for concurrent use.
type CompilationCache struct {
	c *aot.Cache
}

// CacheStats counts what a CompilationCache did since it was opened.
type CacheStats struct {
	Hits, Misses int64
	// Damaged counts entries found truncated, damaged or altered (and
	// removed); each is also a miss.
	Damaged int64
	// Stores counts entries written.
	Stores int64
}

// NewCompilationCache opens the cache in dir, creating it if it does not
// exist. An empty dir means the user's cache directory
// (os.UserCacheDir()/wasmvisor), which `wasmvisor run` uses.
func NewCompilationCache(dir string) (*CompilationCache, error) {
	if dir == "" {
		d, err := aot.DefaultDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	c, err := aot.Open(dir, aot.Options{})
	if err != nil {
		return nil, err
	}
	return &CompilationCache{c: c}, nil
}

// Dir returns the cache's directory.
func (c *CompilationCache) Dir() string { return c.c.Dir() }

// Stats returns the cache's hits, misses, damaged entries and stores.
func (c *CompilationCache) Stats() CacheStats { return CacheStats(c.c.Stats()) }

// prepare validates m (whose binary is bin) and returns the engine's
// code for it: from the compilation cache where it holds it, compiled
// (and stored) otherwise. An entry is keyed by the policy too: this
// build stored it only after validating m under that policy, so a hit
// spares validating the function bodies, most of a module's validation
// time, once the entry has proved itself genuine and whole.
func (r *Runtime) prepare(m *wasm.Module, bin []byte) (engine.Module, error) {
	p, ok := r.engine.(engine.Persistent)
	cache := r.cfg.CompilationCache
	if !ok || cache == nil {
		if err := r.validate(m); err != nil {
			return nil, err
		}
		return compile(r.engine, m)
	}
	sum := sha256.Sum256(bin)
	policy := sha256.Sum256([]byte(r.policy.Fingerprint()))
	key := hex.EncodeToString(sum[:]) + " " + hex.EncodeToString(policy[:8]) + " " + p.CodeKey() + " " + aot.BuildID()
	if entry, ok := cache.c.Get(key); ok {
		if err := validate.Declarations(m, r.policy); err != nil {
			entry.Close()
			return nil, publicError(err)
		}
		// The entry verified whole before Get returned it; its code
		// is mapped from the entry's file, not read. A stored form
		// the engine refuses is compiled again, after the module is
		// validated in full.
		code, err := p.UnmarshalModule(m, entry, entry.Size())
		entry.Close()
		if err == nil {
			return code, nil
		}
	}
	if err := r.validate(m); err != nil {
		return nil, err
	}
	if fc, ok := p.(fileCompiler); ok {
		if code, err := compileToCache(cache.c, key, p, fc, m); err == nil {
			return code, nil
		}
		// A cache that cannot store is a slower cache: compiled in
		// memory below, and stored if it can be.
	}
	code, err := compile(p, m)
	if err != nil {
		return nil, err
	}
	if parts, err := p.MarshalModule(code); err == nil {
		// A cache that cannot store is a slower cache, not a failed
		// compile: Stats shows what was stored.
		cache.c.Put(key, parts...)
	}
	return code, nil // code, returned, keeps parts mapped until here
}

// compileToCache compiles m, which is valid, straight into a new entry
// of c under key, and maps the code from the entry's file as a hit does:
// the code is never held whole in memory (it goes to the file as it is
// generated), and is paged in from the page cache as it runs rather than
// kept as anonymous memory. The code is loaded before the entry is
// committed, so that an entry the cache refuses (over its bound) costs
// no second compile: the mapping outlives the file.
func compileToCache(c *aot.Cache, key string, p engine.Persistent, fc fileCompiler, m *wasm.Module) (engine.Module, error) {
	pe, err := c.Create(key)
	if err != nil {
		return nil, err
	}
	f := pe.File()
	n, err := fc.CompileToFile(m, f, 0)
	var code engine.Module
	if err == nil {
		// This process wrote the file: its bytes are what the
		// engine stored.
		code, err = p.UnmarshalModule(m, writtenEntry{io.NewSectionReader(f, 0, n), f}, n)
	}
	if err != nil {
		pe.Abort()
		return nil, err
	}
	// A cache that cannot store is a slower cache, not a failed
	// compile: Stats shows what was stored.
	pe.Commit(n)
	pe.Close()
	return code, nil
}

// writtenEntry is the stored form in a file this process wrote, which
// the engine maps code from (as from aot.Entry, see
// engine.Persistent.UnmarshalModule).
type writtenEntry struct {
	*io.SectionReader
	f *os.File
}

func (e writtenEntry) File() (*os.File, int64) { return e.f, 0 }

// compile has e compile m, which is valid.
func compile(e engine.Engine, m *wasm.Module) (engine.Module, error) {
	code, err := e.Compile(m)
	if err != nil {
		return nil, fmt.Errorf("preparing code: %w", err)
	}
	return code, nil
}

// PrecompileModule compiles bin as CompileModule does and returns it as
// a precompiled module: the binary with its machine code, which
// LoadPrecompiledModule loads without compiling, in any process of the
// same build of wasmvisor on a host with the same CPU features. It is
// what `wasmvisor compile` writes. The runtime's tier must be one that
// makes machine code.
func (r *Runtime) PrecompileModule(ctx context.Context, bin []byte) ([]byte, error) {
	p, ok := r.engine.(engine.Persistent)
	if !ok {
		return nil, fmt.Errorf("tier %s makes no machine code to precompile: use tier %s", r.engine.Name(), TierCompiled)
	}
	c, err := r.CompileModule(ctx, bin)
	if err != nil {
		return nil, err
	}
	parts, err := p.MarshalModule(c.engineModule)
	if err != nil {
		return nil, err
	}
	data := aot.MarshalPrecompiled(aot.BuildID(), p.CodeKey(), bin, parts...)
	// parts alias the module's machine code, which is unmapped once the
	// module is unreachable.
	runtime.KeepAlive(c)
	return data, nil
}

// fileCompiler is implemented by engines that can compile a module
// straight into a file (amd64.Engine.CompileToFile), writing the stored
// form MarshalModule would return without holding its code in memory.
type fileCompiler interface {
	CompileToFile(m *wasm.Module, f *os.File, off int64) (int64, error)
}

// PrecompileModuleToFile is PrecompileModule writing the precompiled
// module to path with permissions perm, replacing any file there whole
// (it appears complete or not at all; it is not synced). Where the
// engine can, the machine code is assembled straight into the file and
// is never held whole in memory: the Go compiler's code is 151 MB, three
// times its binary.
func (r *Runtime) PrecompileModuleToFile(ctx context.Context, bin []byte, path string, perm os.FileMode) error {
	p, ok := r.engine.(engine.Persistent)
	if !ok {
		return fmt.Errorf("tier %s makes no machine code to precompile: use tier %s", r.engine.Name(), TierCompiled)
	}
	fc, ok := r.engine.(fileCompiler)
	if !ok {
		data, err := r.PrecompileModule(ctx, bin)
		if err != nil {
			return err
		}
		return aot.WriteFile(path, perm, false, data)
	}
	if r.isClosed() {
		return ErrRuntimeClosed
	}
	// The module is written into the file while it is decoded and
	// validated, on a CPU the decoding leaves free.
	type created struct {
		out *aot.PrecompiledFile
		err error
	}
	creating := make(chan created, 1)
	go func() {
		out, err := aot.CreatePrecompiled(path, aot.BuildID(), p.CodeKey(), bin)
		creating <- created{out, err}
	}()
	m, err := r.decode(bin)
	c := <-creating
	if err != nil {
		if c.err == nil {
			c.out.Abort()
		}
		return err
	}
	if c.err != nil {
		return c.err
	}
	out := c.out
	n, err := fc.CompileToFile(m, out.File(), out.CodeOffset())
	if err != nil {
		out.Abort()
		return fmt.Errorf("preparing code: %w", err)
	}
	return out.Commit(n, perm)
}

// IsPrecompiled reports whether b is (the start of) a precompiled module
// rather than a WebAssembly binary.
func IsPrecompiled(b []byte) bool { return aot.IsPrecompiled(b) }

// ErrPrecompiledMismatch is returned (wrapped) by LoadPrecompiledModule
// for a precompiled module made by another build of wasmvisor or for
// other CPU features: it must be compiled again from its binary.
var ErrPrecompiledMismatch = errors.New("precompiled module does not match this runtime")

// LoadPrecompiledModule loads what PrecompileModule returned. The
// module's binary in it is decoded and validated against the runtime's
// Policy again; its machine code is checked only for damage (a
// checksum), not for what it does, so data must come from a source
// trusted as much as an executable would be, never from the code's
// users.
func (r *Runtime) LoadPrecompiledModule(ctx context.Context, data []byte) (*CompiledModule, error) {
	if r.isClosed() {
		return nil, ErrRuntimeClosed
	}
	pre, err := aot.ParsePrecompiled(data)
	if err != nil {
		return nil, err
	}
	p, ok := r.engine.(engine.Persistent)
	switch {
	case !ok:
		return nil, fmt.Errorf("%w: it holds machine code, and this runtime uses tier %s", ErrPrecompiledMismatch, r.engine.Name())
	case pre.BuildID != aot.BuildID():
		return nil, fmt.Errorf("%w: it was made by wasmvisor build %q, this is %q", ErrPrecompiledMismatch, pre.BuildID, aot.BuildID())
	case pre.CodeKey != p.CodeKey():
		return nil, fmt.Errorf("%w: its code is for %q, this host needs %q", ErrPrecompiledMismatch, pre.CodeKey, p.CodeKey())
	}
	m, err := r.decode(pre.Wasm)
	if err != nil {
		return nil, err
	}
	code, err := p.UnmarshalModule(m, bytes.NewReader(pre.Code), int64(len(pre.Code)))
	if err != nil {
		return nil, fmt.Errorf("precompiled module: %w", err)
	}
	return r.compiled(m, code), nil
}
