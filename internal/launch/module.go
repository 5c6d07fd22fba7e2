package launch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"runtime/debug"
	"time"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/internal/wasi"
	"golang.org/x/sys/unix"
)

// Precompile compiles the module in file to machine code under p, for
// runs with isolation iso (the micro-VM's code differs), and writes it
// with its binary to out, which appears whole or not at all: what
// `wasmvisor compile` does, and what Program.File accepts.
func Precompile(ctx context.Context, file, out string, p *wasmvisor.Policy, iso wasmvisor.Isolation) error {
	if err := iso.Available(); err != nil {
		return err
	}
	bin, unmap, err := mapModule(file, p)
	if err != nil {
		return err
	}
	// Deferred first, so run after the runtime's Close: nothing may
	// read the binary once it is unmapped.
	defer unmap()
	defer limitCompileMemory(len(bin))()
	rt := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{Policy: p, Tier: wasmvisor.TierCompiled, Isolation: iso})
	defer rt.Close(ctx)
	if wasmvisor.IsPrecompiled(bin) {
		return fmt.Errorf("%s: already precompiled", file)
	}
	// Not synced: a file a crash damaged fails its checksum when loaded
	// and is compiled again, and a sync of hundreds of megabytes would
	// cost more than the compile saves.
	if err := rt.PrecompileModuleToFile(ctx, bin, out, 0o644); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}

// limitCompileMemory gives the collector, for a compile's extent, a soft
// limit in proportion to the module, n bytes, unless GOMEMLIMIT set one,
// and returns what puts the previous limit back. A compile's garbage
// grows with the module, and the collector, which by default lets the
// heap reach twice what is live and gives freed pages back slowly, took
// the peak RSS of compiling the Go compiler (49 MB) anywhere from 131 to
// 156 MiB, past the 3x the module a compile is to stay within. With the
// limit at 1.75x the module it peaked at 130–139 MiB, in about the same
// time. The limit is soft: a module whose compile needs more memory
// gets it, at the cost of more collections.
func limitCompileMemory(n int) (restore func()) {
	prev := debug.SetMemoryLimit(-1)
	if prev != math.MaxInt64 {
		return func() {} // set by GOMEMLIMIT
	}
	debug.SetMemoryLimit(max(64<<20, int64(n)/4*7))
	return func() { debug.SetMemoryLimit(prev) }
}

// mapModule returns the module in file as ReadModule does, but mapped
// read-only from a regular file rather than read into the heap: its
// pages are the page cache's, which the kernel can drop and read again,
// and they do not count toward the Go heap that the garbage collector
// sizes itself by. unmap is called once nothing reads the bytes.
func mapModule(file string, p *wasmvisor.Policy) (bin []byte, unmap func(), err error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() == 0 || fi.Size() != int64(int(fi.Size())) {
		bin, err := ReadModule(file, p)
		return bin, func() {}, err
	}
	b, err := unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ, unix.MAP_PRIVATE)
	if err != nil {
		bin, err := ReadModule(file, p)
		return bin, func() {}, err
	}
	// The limit applies to the module inside a precompiled file, as in
	// ReadModule.
	if !wasmvisor.IsPrecompiled(b) {
		if err := p.CheckModuleSize(uint64(len(b))); err != nil {
			unix.Munmap(b)
			return nil, nil, err
		}
	}
	// Decoding, validating and copying the binary into the output read
	// all of it, and generating code reads its code section once more,
	// in order: nothing is read often, so the mapping's pages are given
	// back as it goes rather than kept resident (the Go compiler's binary
	// is a third of what compiling it may hold). Pages of a private
	// read-only mapping of a file are the page cache's: what is read
	// again faults back in from there, never from the disk unless the
	// kernel dropped it meanwhile.
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(releaseEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				// Advice only: a failure leaves the pages resident.
				_ = unix.Madvise(b, unix.MADV_DONTNEED)
			}
		}
	}()
	return b, func() {
		close(stop)
		<-done
		unix.Munmap(b)
	}, nil
}

// releaseEvery is how often a mapped module's pages are given back.
const releaseEvery = 100 * time.Millisecond

// Validate decodes and validates the module in file under p, through
// the public API so that it checks exactly what a run would: on the
// interpreter's tier, whose preparation of code after validation is one
// linear pass (no machine code, no cache).
func Validate(ctx context.Context, file string, p *wasmvisor.Policy) error {
	data, err := ReadModule(file, p)
	if err != nil {
		return err
	}
	r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{Policy: p, Tier: wasmvisor.TierInterp})
	defer r.Close(ctx)
	_, err = r.CompileModule(ctx, data)
	return err
}

// compileFile reads, decodes, validates and prepares a module under the
// runtime's policy p; a precompiled module (`wasmvisor compile`'s
// output) is loaded instead.
func compileFile(ctx context.Context, rt *wasmvisor.Runtime, file string, p *wasmvisor.Policy) (*wasmvisor.CompiledModule, error) {
	bin, err := ReadModule(file, p)
	if err != nil {
		if pe, ok := errors.AsType[*fs.PathError](err); ok {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	load := rt.CompileModule
	if wasmvisor.IsPrecompiled(bin) {
		load = rt.LoadPrecompiledModule
	}
	c, err := load(ctx, bin)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return c, nil
}

// checkImports checks, before anything is instantiated, that every import
// of c names a module it can be linked to: WASI, or a module preloaded
// before it. Instantiation checks the types again; this check only lets
// an unknown name fail the run before any module's code has run.
func checkImports(file string, c *wasmvisor.CompiledModule, preloaded map[string]*wasmvisor.CompiledModule) error {
	for _, imp := range c.Imports() {
		if imp.Module == wasi.ModuleName {
			if imp.Kind != wasmvisor.ExternFunc || wasi.Lookup(imp.Name) == nil {
				return fmt.Errorf("%s: unknown import %s.%s: WASI preview 1 has no %s of that name",
					file, imp.Module, imp.Name, imp.Kind)
			}
			continue
		}
		p, ok := preloaded[imp.Module]
		if !ok {
			return fmt.Errorf("%s: unknown import %s.%s: no module %q to link it to (only %s, and modules given with --preload NAME=PATH)",
				file, imp.Module, imp.Name, imp.Module, wasi.ModuleName)
		}
		if _, ok := p.ExportedFunctions()[imp.Name]; imp.Kind == wasmvisor.ExternFunc && !ok {
			return fmt.Errorf("%s: unknown import %s.%s: the preloaded module %q exports no function %q",
				file, imp.Module, imp.Name, imp.Module, imp.Name)
		}
	}
	return nil
}

// ReadModule reads a module binary, or a precompiled module, from file.
// The policy's size limit is applied before reading, so an oversized
// file is never loaded.
func ReadModule(file string, p *wasmvisor.Policy) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Mode().IsRegular() {
		// The limit applies to the module inside a precompiled file,
		// which loading checks; the machine code beside it is larger.
		if !precompiled(f) {
			if err := p.CheckModuleSize(uint64(fi.Size())); err != nil {
				return nil, err
			}
		}
		return readSized(f, fi.Size(), p)
	}
	// Pipes and devices have no size up front: read at most one byte more
	// than the limit, so that CheckModuleSize sees the excess.
	var r io.Reader = f
	if n, ok := p.MaxModuleSize.Value(); ok && n < 1<<62 {
		r = io.LimitReader(f, int64(n)+1)
	}
	// A stream that does not start as a module does (/dev/zero, say) is
	// refused after its first bytes, not after the limit's worth of
	// them: the decoder says what is wrong with what was read.
	head := make([]byte, len(wasmHeader))
	n, err := io.ReadFull(r, head)
	if err != nil || !bytes.Equal(head, wasmHeader) && !wasmvisor.IsPrecompiled(head) {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			err = nil
		}
		return head[:n], err
	}
	rest, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	data := append(head, rest...)
	if err := p.CheckModuleSize(uint64(len(data))); err != nil {
		return nil, err
	}
	return data, nil
}

// wasmHeader is how every module this runtime reads starts: the magic
// number and version 1.
var wasmHeader = []byte("\x00asm\x01\x00\x00\x00")

// precompiled reports whether the regular file f is a precompiled
// module, leaving its offset at the start.
// readSized reads a regular file of size bytes into one buffer of that
// size: io.ReadAll would grow its buffer by doubling, copying as it goes
// and ending with up to twice the file's size, which for the Go compiler
// (49 MB) was more than any other allocation of a run. A file that grew
// since its size was taken is read to its end all the same, and checked
// against the limit again.
func readSized(f *os.File, size int64, p *wasmvisor.Policy) ([]byte, error) {
	b := make([]byte, size)
	n, err := io.ReadFull(f, b)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		return b[:n], nil
	}
	if err != nil {
		return nil, err
	}
	rest, err := io.ReadAll(f)
	if err != nil || len(rest) == 0 {
		return b, err
	}
	b = append(b, rest...)
	if !wasmvisor.IsPrecompiled(b) {
		if err := p.CheckModuleSize(uint64(len(b))); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func precompiled(f *os.File) bool {
	var head [8]byte
	n, _ := f.ReadAt(head[:], 0)
	return wasmvisor.IsPrecompiled(head[:n])
}
