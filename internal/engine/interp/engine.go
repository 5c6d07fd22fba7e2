package interp

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/engine"
	"github.com/wasmvisor/wasmvisor/internal/engine/ir"
	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// DefaultMaxStackBytes bounds one call's value stack when Config sets no
// limit: about as much as a native thread's stack.
const DefaultMaxStackBytes = 8 << 20

// frameRecordBytes is what the bookkeeping of one call costs, counted
// against the stack limit as call depth.
const frameRecordBytes = 32

// maxReentry bounds how deeply host functions may call back into
// WebAssembly, so that alternating host and guest recursion ends in a
// trap rather than exhausting the Go stack.
const maxReentry = 64

// Config bounds execution.
type Config struct {
	// MaxStackBytes bounds the value stack of a call (8 bytes per slot)
	// and, at frameRecordBytes per call, its call depth. Past either,
	// the call traps with "call stack exhausted". Zero means
	// DefaultMaxStackBytes.
	MaxStackBytes int
}

// Engine prepares and runs code. It is safe for concurrent use.
type Engine struct {
	maxSlots int
	maxDepth int
	pool     sync.Pool
}

// New returns an engine.
func New(cfg Config) *Engine {
	b := cfg.MaxStackBytes
	if b <= 0 {
		b = DefaultMaxStackBytes
	}
	e := &Engine{maxSlots: max(b/8, 16), maxDepth: max(b/frameRecordBytes, 4)}
	return e
}

// Name is the tier's name, "interp": what the Engine method of its code
// returns.
const Name = "interp"

// Name returns Name.
func (e *Engine) Name() string { return Name }

var _ engine.Engine = (*Engine)(nil)

// fnCode is the interpreter's store.Code: a function in the slot form. It
// has ir.Func's layout, so that a call converts it back for free.
type fnCode ir.Func

func (*fnCode) Engine() string { return Name }

// codeOf returns f's slot form, or false if f has none (a host function,
// or code of another tier).
func codeOf(f *store.Function) (*ir.Func, bool) {
	c, ok := f.Code.(*fnCode)
	return (*ir.Func)(c), ok
}

// Module is a module translated into the slot form.
type Module struct {
	codes []store.Code
}

// Codes returns the code of each function the module defines.
func (m *Module) Codes() []store.Code { return m.codes }

// Compile translates every function m defines into the slot form, on up
// to GOMAXPROCS goroutines. m must be valid.
func (e *Engine) Compile(m *wasm.Module) (engine.Module, error) {
	// Each function is translated when it is first called: a large
	// program runs a fraction of its functions, and the slot form takes
	// several times the memory of the code it comes from.
	mod := ir.Lazy(m)
	out := &Module{codes: make([]store.Code, len(mod.Funcs))}
	for i, fn := range mod.Funcs {
		out.codes[i] = (*fnCode)(fn)
	}
	return out, nil
}

// Instantiated does nothing: the interpreter keeps nothing per instance.
func (e *Engine) Instantiated(*store.Instance) error { return nil }

type machineKey struct{}

// Call invokes f with stack holding its params; on success stack holds
// its results. stack must be at least as long as either.
func (e *Engine) Call(ctx context.Context, f *store.Function, stack []uint64) (err error) {
	if uint32(len(stack)) < max(f.ParamSlots, f.ResultSlots) {
		return fmt.Errorf("stack of %d values is too short for %s", len(stack), f.Type)
	}
	parent, _ := ctx.Value(machineKey{}).(*machine)
	if f.Host != nil {
		return callHostDirect(ctx, f, stack)
	}
	m := e.get()
	defer e.put(m)
	if parent != nil {
		if parent.reentry+1 >= maxReentry {
			return &api.Trap{Kind: api.TrapCallStackExhausted, Detail: fmt.Sprintf("host functions re-entered WebAssembly more than %d times", maxReentry)}
		}
		m.reentry = parent.reentry + 1
		m.maxSlots = max(parent.maxSlots-parent.usedSlots, 0)
		m.maxDepth = max(parent.maxDepth-len(parent.frames), 0)
	}
	m.ctx = ctx
	if parent == nil {
		// A call from Go (not from a host function) holds the
		// instance's memories mapped until it ends, and Close stops it.
		// The machine's interrupt word is clear: put cleared it.
		if !f.Instance.BeginCall(&m.storeCall, &m.interrupt) {
			return &api.Trap{Kind: api.TrapModuleClosed}
		}
		defer m.storeCall.End()
	}
	if done := ctx.Done(); done != nil {
		if cerr := ctx.Err(); cerr != nil {
			return interruptTrap(cerr)
		}
		// The machine goes back to the pool when the call ends, so a
		// callback already running must finish before it is reused.
		fired := make(chan struct{})
		stop := context.AfterFunc(ctx, func() {
			atomic.StoreUint32(&m.interrupt, 1)
			close(fired)
		})
		defer func() {
			if !stop() {
				<-fired
			}
		}()
	}
	defer func() {
		if r := recover(); r != nil {
			err = internalError(r)
		}
	}()
	return m.call(f, stack)
}

func internalError(r any) error {
	buf := make([]byte, 4096)
	buf = buf[:runtime.Stack(buf, false)]
	return &api.Trap{Kind: api.TrapInternal, Detail: fmt.Sprintf("%v\n%s", r, buf)}
}

func interruptTrap(cerr error) *api.Trap {
	if errors.Is(cerr, context.DeadlineExceeded) {
		return &api.Trap{Kind: api.TrapTimeout, Detail: "the call's deadline passed", Err: cerr}
	}
	return &api.Trap{Kind: api.TrapInterrupted, Detail: "the call's context was canceled", Err: cerr}
}

// callHostDirect runs a host function called from Go, not from a guest.
func callHostDirect(ctx context.Context, f *store.Function, stack []uint64) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = hostPanic(f, r)
		}
	}()
	return f.Host(ctx, f.Instance.Handle, stack)
}

func hostPanic(f *store.Function, r any) error {
	if e, ok := r.(*api.ExitError); ok {
		return e
	}
	perr, _ := r.(error)
	return &api.Trap{Kind: api.TrapHostPanic, Detail: fmt.Sprintf("%s.%s: %v", f.Instance.Name, f.Name, r), Err: perr}
}

func (e *Engine) get() *machine {
	m, ok := e.pool.Get().(*machine)
	if !ok {
		m = &machine{stack: make([]uint64, initialStackSlots)}
	}
	m.maxSlots, m.maxDepth = e.maxSlots, e.maxDepth
	return m
}

// Machines with a grown stack are not kept: one deep recursion should not
// pin megabytes per pooled machine.
const initialStackSlots = 1024

func (e *Engine) put(m *machine) {
	m.ctx, m.hostCtx = nil, nil
	m.reentry, m.usedSlots = 0, 0
	atomic.StoreUint32(&m.interrupt, 0)
	m.fn, m.inst, m.fns, m.lin, m.memBase, m.entryFP = nil, nil, nil, nil, nil, nil
	clear(m.anchors)
	m.anchors = m.anchors[:0]
	// Returns clear the frames they pop; a trap leaves the rest.
	clear(m.frames)
	m.frames = m.frames[:0]
	if cap(m.frames) > 1<<12 {
		m.frames = nil
	}
	if len(m.stack) > 1<<16 {
		m.stack = make([]uint64, initialStackSlots)
	}
	e.pool.Put(m)
}
