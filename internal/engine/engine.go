package engine

import (
	"context"
	"io"

	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// Engine prepares and runs WebAssembly code. Implementations are safe for
// concurrent use.
type Engine interface {
	// Name names the tier: "interp" or "compiled". It is what the
	// Engine method of every store.Code the engine makes returns.
	Name() string
	// Compile prepares the code of every function m defines. m is
	// valid.
	Compile(m *wasm.Module) (Module, error)
	// Instantiated is called once for every instance of a module the
	// engine compiled, after store.Instantiate created it and before any
	// of its code runs (the start function included), to set up what
	// the engine keeps per instance (in inst.EngineState and the
	// Entry and Ctx of its functions). An error fails the
	// instantiation.
	Instantiated(inst *store.Instance) error
	// Call runs f, a function of an instance whose module the engine
	// compiled or a host function, with its params in stack, and leaves
	// its results there. stack is at least as long as either. A trap is
	// returned as an *api.Trap; a host function's error (an
	// *api.ExitError among them) as it was returned.
	Call(ctx context.Context, f *store.Function, stack []uint64) error
}

// Module is a module's code as an engine prepared it.
type Module interface {
	// Codes returns the code of each function the module defines, in
	// order, as store.Instantiate takes it. Every call may return the
	// same slice; callers do not modify it.
	Codes() []store.Code
}

// Persistent is implemented by engines whose prepared code can be kept
// outside the process (in a compilation cache or a precompiled file) and
// loaded again without compiling.
type Persistent interface {
	Engine
	// CodeKey names everything besides the module that the code depends
	// on: the tier, the layout of its stored form, the target and the
	// CPU features the code uses. Code stored by an engine may be loaded
	// only by an engine with the same key.
	CodeKey() string
	// MarshalModule returns the stored form of a module the engine
	// compiled, in parts to be stored one after the other (so that the
	// code need not be copied: a part may be the module's own code, which
	// the caller must not modify, and which stays mapped only while the
	// caller keeps mod reachable).
	MarshalModule(mod Module) ([][]byte, error)
	// UnmarshalModule rebuilds the code of m from what MarshalModule
	// returned for it, size bytes read from r. The caller vouches that
	// they are what the engine stored for m (machine code cannot be
	// validated): r may check their integrity and report damage as an
	// error where it would report io.EOF, and UnmarshalModule reads r to
	// that point before it makes anything of what it read. It still
	// checks that the form is well made and fits m, and returns an
	// error, never panics, when it does not.
	UnmarshalModule(m *wasm.Module, r io.Reader, size int64) (Module, error)
}
