package amd64

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/engine"
	"github.com/wasmvisor/wasmvisor/internal/engine/interp"
	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/vm"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// DefaultMaxStackBytes bounds one call's value stack when Config sets no
// limit, as the interpreter's does.
const DefaultMaxStackBytes = interp.DefaultMaxStackBytes

// nativeFrameBytes is what one call level takes of the machine stack: a
// return address and a saved instance register (or padding for calls
// within the instance).
const nativeFrameBytes = 16

// maxReentry bounds how deeply host functions may call back into
// WebAssembly.
const maxReentry = 64

// Config configures an Engine.
type Config struct {
	// MaxStackBytes bounds the value stack of a call (8 bytes a slot)
	// and, at 32 bytes a call as the interpreter counts, its call depth.
	// Zero means DefaultMaxStackBytes.
	MaxStackBytes int
	// Target is where the code runs; nil means InProcess.
	Target *Target
	// Monitor provides the micro-VMs code of the VM target runs in; it
	// is required with that target.
	Monitor *vm.Monitor
}

// Engine compiles modules to x86-64 machine code and runs it. It is
// safe for concurrent use.
type Engine struct {
	t           *Target
	mon         *vm.Monitor
	valueBytes  int
	nativeBytes int
	pool        sync.Pool // *execCtx with its stacks
}

// New returns an engine.
func New(cfg Config) *Engine {
	b := cfg.MaxStackBytes
	if b <= 0 {
		b = DefaultMaxStackBytes
	}
	t := cfg.Target
	if t == nil {
		t = InProcess
	}
	depth := max(b/32, 4)
	return &Engine{t: t, mon: cfg.Monitor, valueBytes: max(b, 4096), nativeBytes: depth * nativeFrameBytes}
}

// Name names the tier.
func (e *Engine) Name() string { return Name }

// Module is a module's machine code, shared by all its instances.
type Module struct {
	t      *Target // where the code runs
	mem    *execMem
	funcs  []funcCode
	byAddr []int32 // indices of funcs in the order of their code
	slow   []slowInstr
	layout layout
	// numImported counts the imported functions, which come first in
	// the function index space.
	numImported uint32
}

// Code is the machine code of one function a module defines.
type Code struct {
	mod *Module
	idx int // among the functions the module defines
}

// Compile translates every function m defines into machine code.
func (e *Engine) Compile(m *wasm.Module) (engine.Module, error) {
	return e.CompileModule(m)
}

// CompileModule is Compile with the concrete result.
func (e *Engine) CompileModule(m *wasm.Module) (*Module, error) {
	mem, funcs, slow, err := generate(e.t, m)
	if err != nil {
		return nil, err
	}
	return newModule(e.t, m, mem, funcs, slow), nil
}

// newModule registers the module that mem's code, funcs and slow make
// for m, to run on target t.
func newModule(t *Target, m *wasm.Module, mem *execMem, funcs []funcCode, slow []slowInstr) *Module {
	mod := &Module{t: t, mem: mem, funcs: funcs, slow: slow, layout: layoutOf(t, m), numImported: m.NumImportedFuncs()}
	mod.byAddr = make([]int32, len(funcs))
	for i := range mod.byAddr {
		mod.byAddr[i] = int32(i)
	}
	slices.SortFunc(mod.byAddr, func(x, y int32) int { return cmp.Compare(funcs[x].start, funcs[y].start) })
	register(mod)
	writePerfMap(mod, m)
	return mod
}

// Codes returns the per-function code values for store.Instantiate.
func (mod *Module) Codes() []store.Code {
	out := make([]store.Code, len(mod.funcs))
	for i := range out {
		out[i] = &Code{mod: mod, idx: i}
	}
	return out
}

// Name is the tier's name, which Engine.Name and Code.Engine return.
const Name = "compiled"

// Engine names the tier that made the code.
func (*Code) Engine() string { return Name }

// Instantiated builds inst's state block and gives its functions their
// machine-code entries. It runs before any code of inst does.
func (e *Engine) Instantiated(inst *store.Instance) error {
	var mod *Module
	for _, f := range inst.Funcs {
		if c, ok := f.Code.(*Code); ok && f.Instance == inst {
			mod = c.mod
			break
		}
	}
	if mod == nil {
		return nil // nothing of its own to run
	}
	if mod.t != e.t {
		return fmt.Errorf("code made for the %s target cannot run on the %s target", mod.t.Name, e.t.Name)
	}
	if e.t == VM {
		// Its state block is laid out in each VM that runs it.
		inst.EngineState = &instanceState{mod: mod}
		return nil
	}
	st := newInstanceState(inst, mod)
	inst.EngineState = st
	for _, f := range inst.Funcs {
		if f.Instance != inst {
			continue
		}
		c, ok := f.Code.(*Code)
		if !ok {
			return fmt.Errorf("function %d: code of another tier", f.Index)
		}
		f.Entry = mod.mem.addr(int(c.mod.funcs[c.idx].start))
		f.Ctx = st.addr()
	}
	return nil
}

type ctxKey struct{}

// newCallState begins the record of a call of f from ctx: it refuses a
// closed instance, and counts how deeply host functions re-entered
// WebAssembly to get here.
func (e *Engine) newCallState(ctx context.Context, f *store.Function) (*callState, error) {
	if f.Instance.Closed() {
		return nil, &api.Trap{Kind: api.TrapModuleClosed}
	}
	cs := &callState{e: e, ctx: ctx}
	if parent, _ := ctx.Value(ctxKey{}).(*callState); parent != nil {
		if parent.reentry+1 >= maxReentry {
			return nil, &api.Trap{Kind: api.TrapCallStackExhausted, Detail: fmt.Sprintf("host functions re-entered WebAssembly more than %d times", maxReentry)}
		}
		cs.reentry = parent.reentry + 1
	}
	return cs, nil
}

// callState is what Go keeps about one call into machine code.
type callState struct {
	e       *Engine
	c       *execCtx
	ctx     context.Context
	hostCtx context.Context
	reentry int
	// call is the store's record of a call from Go, unused for one from
	// a host function (its caller's record covers it).
	call store.Call
}

// Call runs f with its params in stack and leaves its results there.
func (e *Engine) Call(ctx context.Context, f *store.Function, stack []uint64) (err error) {
	if uint32(len(stack)) < max(f.ParamSlots, f.ResultSlots) {
		return fmt.Errorf("stack of %d values is too short for %s", len(stack), f.Type)
	}
	if f.Host != nil {
		return callHost(ctx, f, f.Instance.Handle, stack)
	}
	code, ok := f.Code.(*Code)
	if !ok || (f.Entry == 0 && e.t != VM) {
		return &api.Trap{Kind: api.TrapInternal, Detail: fmt.Sprintf("function %d has no machine code", f.Index)}
	}
	cs, err := e.newCallState(ctx, f)
	if err != nil {
		return err
	}
	if e.t == VM {
		return e.vmCall(cs, f, code, stack)
	}
	c, err := e.get()
	if err != nil {
		return err
	}
	defer e.put(c)
	cs.c = c
	// Cleared before the context or a Close can set it: neither must be
	// lost.
	atomic.StoreUint32(&c.interrupt, 0)
	if cs.reentry == 0 {
		// A call from Go (not from a host function) holds the
		// instance's memories mapped until it ends, and Close stops it.
		if !f.Instance.BeginCall(&cs.call, &c.interrupt) {
			return &api.Trap{Kind: api.TrapModuleClosed}
		}
		defer cs.call.End()
	}
	if done := ctx.Done(); done != nil {
		if cerr := ctx.Err(); cerr != nil {
			return interruptTrap(cerr)
		}
		fired := make(chan struct{})
		stop := context.AfterFunc(ctx, func() {
			atomic.StoreUint32(&c.interrupt, 1)
			close(fired)
		})
		defer func() {
			if !stop() {
				<-fired
			}
		}()
	}
	base := c.stacks.valueBase()
	// The callee's prologue checks its whole frame, but its params and
	// results are copied before it runs: a function with more of them
	// than the stack holds (a thousand under a small -W max-wasm-stack)
	// must not be copied past the stack's end.
	n := max(f.ParamSlots, f.ResultSlots)
	if uintptr(n)*8 > uintptr(len(c.stacks.values)) {
		return &api.Trap{Kind: api.TrapCallStackExhausted, Detail: fmt.Sprintf("%d values of params or results exceed the stack of %d bytes", n, len(c.stacks.values))}
	}
	frame := unsafe.Slice(ptrAt[uint64](base), n)
	copy(frame, stack[:f.ParamSlots])
	c.fp = base
	c.vmctx = f.Ctx
	c.target = f.Entry
	c.stackEnd = c.stacks.valueEnd()
	c.nativeLim = c.stacks.nativeBase() + nativeSlack
	top := c.stacks.nativeTop() - 16
	*ptrAt[uintptr](top) = code.mod.mem.addr(0)
	err = cs.run(top)
	if st, ok := f.Instance.EngineState.(*instanceState); ok {
		st.FlushGlobals()
	}
	if err != nil {
		return err
	}
	copy(stack, frame[:f.ResultSlots])
	runtime.KeepAlive(f)
	return nil
}

// run runs machine code from sp, serving its exits, until the called
// function returns or traps.
func (cs *callState) run(sp uintptr) error {
	c := cs.c
	for {
		runGuest(c, sp)
		sp = c.jitSP
		switch c.exitCode {
		case exitReturn:
			return nil
		case exitTrap:
			return cs.trap(api.TrapKind(c.exitArg))
		case exitInterrupt:
			if cs.call.Closed() {
				return cs.trap(api.TrapModuleClosed)
			}
			if err := cs.ctx.Err(); err != nil {
				t := interruptTrap(err)
				t.Frames = cs.backtrace()
				return t
			}
			atomic.StoreUint32(&c.interrupt, 0)
		case exitCall:
			if err := cs.callOut(); err != nil {
				return err
			}
		case exitStep:
			if err := cs.step(); err != nil {
				return err
			}
		default:
			return &api.Trap{Kind: api.TrapInternal, Detail: fmt.Sprintf("machine code exited with unknown code %d", c.exitCode)}
		}
	}
}

// callOut calls a function that machine code could not call directly:
// a host function, or a function of an instance whose state block was
// never built because its instantiation failed after its functions were
// placed in another module's table (the spec keeps them callable).
func (cs *callState) callOut() error {
	c := cs.c
	f := ptrAt[store.Function](c.exitPtr)
	caller := instanceOf(c.vmctx)
	n := max(f.ParamSlots, f.ResultSlots)
	args := unsafe.Slice(ptrAt[uint64](c.exitArgs), n)
	if cs.hostCtx == nil {
		cs.hostCtx = context.WithValue(cs.ctx, ctxKey{}, cs)
	}
	// A closed instance's memory may be gone; a closed host module's
	// functions stay callable by the modules linked to them.
	if f.Host == nil && f.Instance.Closed() {
		return cs.trapDetail(api.TrapModuleClosed, fmt.Sprintf("calling function %d of %q", f.Index, f.Instance.Name))
	}
	var err error
	switch code, _ := f.Code.(*Code); {
	case f.Host != nil:
		err = callHost(cs.hostCtx, f, caller.Handle, args)
	case code != nil:
		if f.Entry == 0 {
			if err := cs.e.Instantiated(f.Instance); err != nil {
				return cs.trapDetail(api.TrapInternal, err.Error())
			}
		}
		err = cs.e.Call(cs.hostCtx, f, args)
	default:
		return cs.trapDetail(api.TrapInternal, fmt.Sprintf("function %d of %q has no machine code", f.Index, f.Instance.Name))
	}
	if err != nil {
		var t *api.Trap
		if errors.As(err, &t) && t.Frames == nil {
			t.Frames = append([]api.Frame{{Module: f.Instance.Name, FuncIndex: f.Index, FuncName: f.Name, Host: true}}, cs.backtrace()...)
		}
		return err
	}
	if caller.Closed() {
		return cs.trap(api.TrapModuleClosed)
	}
	return nil
}

// step runs a slow instruction in Go. The running code is that of the
// instance whose state block is in R14 at the exit.
func (cs *callState) step() error {
	c := cs.c
	inst := instanceOf(c.vmctx)
	st, ok := inst.EngineState.(*instanceState)
	if !ok || int(c.exitArg) >= len(st.mod.slow) {
		return cs.trapDetail(api.TrapInternal, "slow instruction exit from unknown code")
	}
	s := &st.mod.slow[c.exitArg]
	if kind := interp.Step(&s.in, inst, unsafe.Pointer(ptrAt[byte](c.fp)), s.shuffles); kind != 0 {
		return cs.trap(kind)
	}
	return nil
}

func (cs *callState) trap(kind api.TrapKind) *api.Trap {
	t := &api.Trap{Kind: kind}
	if kind == api.TrapCallStackExhausted {
		t.Detail = fmt.Sprintf("more than %d bytes of stack or %d calls deep", cs.e.valueBytes, cs.e.nativeBytes/nativeFrameBytes)
	}
	t.Frames = cs.backtrace()
	return t
}

func (cs *callState) trapDetail(kind api.TrapKind, detail string) *api.Trap {
	t := cs.trap(kind)
	t.Detail = detail
	return t
}

// backtrace walks the machine stack from the last exit: every word that
// is a return address recorded by the code generator is a frame. The
// innermost frame runs in the instance of the exit (R14); every call
// pushes the caller's R14 just above its return address, which names
// the instance of each outer frame.
func (cs *callState) backtrace() []api.Frame {
	const maxFrames = 64
	c := cs.c
	var out []api.Frame
	top := c.stacks.nativeTop()
	for sp := c.jitSP; sp < top && len(out) < maxFrames; sp += 8 {
		pc := *ptrAt[uintptr](sp)
		mod, fc := lookupPC(pc)
		if fc == nil {
			continue
		}
		off := uint32(pc - mod.mem.addr(0))
		i, found := slices.BinarySearchFunc(fc.pcs, off, func(e pcEntry, off uint32) int { return cmp.Compare(e.pc, off) })
		if !found {
			continue
		}
		fr := api.Frame{FuncIndex: fc.index, Offset: uint64(fc.pcs[i].offset)}
		vm := c.vmctx
		if sp != c.jitSP && sp+8 < top {
			vm = *ptrAt[uintptr](sp + 8)
		}
		if inst := instanceOf(vm); inst != nil {
			fr.Module = inst.Name
			fr.FuncName = inst.FuncName(fc.index)
		}
		out = append(out, fr)
	}
	return out
}

// callHost calls host function f for caller, turning a panic into a
// trap (or the exit it carries).
func callHost(ctx context.Context, f *store.Function, caller api.Module, stack []uint64) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(*api.ExitError); ok {
				err = e
				return
			}
			perr, _ := r.(error)
			err = &api.Trap{Kind: api.TrapHostPanic, Detail: fmt.Sprintf("%s.%s: %v", f.Instance.Name, f.Name, r), Err: perr}
		}
	}()
	return f.Host(ctx, caller, stack)
}

func interruptTrap(cerr error) *api.Trap {
	if errors.Is(cerr, context.DeadlineExceeded) {
		return &api.Trap{Kind: api.TrapTimeout, Detail: "the call's deadline passed", Err: cerr}
	}
	return &api.Trap{Kind: api.TrapInterrupted, Detail: "the call's context was canceled", Err: cerr}
}

func (e *Engine) get() (*execCtx, error) {
	if c, ok := e.pool.Get().(*execCtx); ok {
		return c, nil
	}
	s, err := newStacks(e.valueBytes, e.nativeBytes)
	if err != nil {
		return nil, fmt.Errorf("reserving stacks: %w", err)
	}
	c := &execCtx{stacks: s}
	runtime.AddCleanup(c, func(s *stacks) { s.free() }, s)
	return c, nil
}

func (e *Engine) put(c *execCtx) { e.pool.Put(c) }
