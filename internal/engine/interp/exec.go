package interp

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"sync/atomic"
	"unsafe"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/engine/ir"
	"github.com/wasmvisor/wasmvisor/internal/linmem"
	"github.com/wasmvisor/wasmvisor/internal/store"
)

// frame records a caller while its callee runs.
type frame struct {
	fn   *ir.Func
	inst *store.Instance
	ip   unsafe.Pointer // the caller's next instruction
	fp   unsafe.Pointer // the caller's frame base
}

// machine runs one call (and everything it calls) to completion.
//
// The dispatch loop keeps only the instruction pointer and the frame base
// in local variables. Everything else that an instruction may need (the
// running function, its instance, the memory's base and length) changes
// only at calls, returns and memory.grow, and lives here: with fewer
// values carried around the loop, Go's register allocator stops spilling
// and reloading a dozen of them on every instruction.
type machine struct {
	stack []uint64
	// stackEnd is the address one past the last slot of stack.
	stackEnd uintptr
	// entryFP is where run finds the frame of the function it starts
	// with: the bottom of stack, or the frame Step was given.
	entryFP unsafe.Pointer
	frames  []frame
	// interrupt is set (atomically) when the call's context ends or its
	// instance is closed (storeCall says which; it is registered only
	// for a call from Go).
	interrupt uint32
	storeCall store.Call

	fn      *ir.Func        // running function
	inst    *store.Instance // its instance
	fns     []*ir.Func      // the functions its module defines
	lin     *linmem.Memory  // memory 0 of inst, or nil
	memBase unsafe.Pointer  // address of lin's first byte
	memLen  uint64          // lin's current size in bytes

	// anchors keeps alive, until the call ends, the instances of the
	// functions whose references the guest loaded into slots: slots are
	// []uint64, invisible to the garbage collector, and the table or
	// global a reference came from may drop it meanwhile.
	anchors []*store.Instance

	maxSlots, maxDepth int
	ctx                context.Context
	// hostCtx is ctx carrying the machine, handed to host functions so
	// that a call back into WebAssembly accounts for this one's stack.
	hostCtx context.Context
	reentry int
	// usedSlots is how much of the stack is in use during a host call.
	usedSlots int
}

// sl returns slot i of the frame at fp. The compiler sized every frame
// for the slots its instructions name, and a call only starts once the
// stack holds the callee's whole frame, so the address is in bounds.
func sl(fp unsafe.Pointer, i uint32) *uint64 {
	return (*uint64)(unsafe.Add(fp, uintptr(i)<<3))
}

// mem8 and friends return n bytes of linear memory at ea; callers checked
// ea+n <= the memory's length, and memory never moves.
func mem8(base unsafe.Pointer, ea uint64) *[8]byte { return (*[8]byte)(unsafe.Add(base, uintptr(ea))) }
func mem4(base unsafe.Pointer, ea uint64) *[4]byte { return (*[4]byte)(unsafe.Add(base, uintptr(ea))) }
func mem2(base unsafe.Pointer, ea uint64) *[2]byte { return (*[2]byte)(unsafe.Add(base, uintptr(ea))) }
func mem1(base unsafe.Pointer, ea uint64) *byte    { return (*byte)(unsafe.Add(base, uintptr(ea))) }

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// anchor keeps f's instance alive until the call ends.
func (m *machine) anchor(f *store.Function) {
	if f == nil {
		return
	}
	for _, a := range m.anchors {
		if a == f.Instance {
			return
		}
	}
	m.anchors = append(m.anchors, f.Instance)
}

// enter makes inst, running fn, the current instance.
func (m *machine) enter(inst *store.Instance, fn *ir.Func) {
	m.inst, m.fn, m.fns = inst, fn, fn.Module.Funcs
	m.lin, m.memBase, m.memLen = nil, nil, 0
	if len(inst.Memories) > 0 {
		m.lin = inst.Memories[0].Lin
		b := m.lin.Bytes()
		m.memBase, m.memLen = unsafe.Pointer(unsafe.SliceData(b)), uint64(len(b))
	}
}

// call runs f with its params in stack and leaves the results there.
func (m *machine) call(f *store.Function, stack []uint64) error {
	fn, ok := codeOf(f)
	if !ok {
		return foreignCode(f)
	}
	if err := fn.Translate(); err != nil {
		return err
	}
	m.enter(f.Instance, fn)
	if f.Instance.Closed() {
		return m.trapAt(api.TrapModuleClosed, 0)
	}
	if int(fn.FrameSlots) > m.maxSlots {
		return m.trapAt(api.TrapCallStackExhausted, 0)
	}
	if int(fn.FrameSlots) > len(m.stack) {
		m.stack = make([]uint64, max(int(fn.FrameSlots), 2*len(m.stack)))
	}
	copy(m.stack, stack[:f.ParamSlots])
	clear(m.stack[fn.ParamSlots : fn.ParamSlots+fn.LocalSlots])
	m.stackEnd = uintptr(unsafe.Pointer(unsafe.SliceData(m.stack))) + uintptr(len(m.stack))*8
	m.entryFP = unsafe.Pointer(unsafe.SliceData(m.stack))
	if err := m.run(); err != nil {
		return err
	}
	copy(stack, m.stack[:f.ResultSlots])
	return nil
}

// foreignCode is the trap of a call to f, whose code the interpreter
// cannot run. Within a Runtime every module has the same tier's code, so
// it means that the store was given code of two tiers.
func foreignCode(f *store.Function) *api.Trap {
	tier := "no"
	if f.Code != nil {
		tier = fmt.Sprintf("%q", f.Code.Engine())
	}
	return &api.Trap{Kind: api.TrapInternal, Detail: fmt.Sprintf(
		"function %s.%s (%d) has %s code, which the %q tier cannot run", f.Instance.Name, f.Name, f.Index, tier, Name)}
}

// trap builds a trap raised by the instruction before ip.
func (m *machine) trap(kind api.TrapKind, ip unsafe.Pointer) *api.Trap {
	return m.trapAt(kind, instrIndex(m.fn, ip)-1)
}

// trapAt builds a trap raised by instruction pc of the running function.
func (m *machine) trapAt(kind api.TrapKind, pc int) *api.Trap {
	t := &api.Trap{Kind: kind, Frames: m.backtrace(pc)}
	if kind == api.TrapCallStackExhausted {
		t.Detail = fmt.Sprintf("more than %d bytes of stack or %d calls deep", m.maxSlots*8, m.maxDepth)
	}
	return t
}

// instrIndex returns the index of the instruction at ip.
func instrIndex(fn *ir.Func, ip unsafe.Pointer) int {
	return int((uintptr(ip) - uintptr(unsafe.Pointer(unsafe.SliceData(fn.Code)))) / ir.InstrSize)
}

func (m *machine) backtrace(pc int) []api.Frame {
	const maxFrames = 64 // a runaway recursion need not be listed in full
	out := make([]api.Frame, 0, min(len(m.frames)+1, maxFrames))
	add := func(inst *store.Instance, fn *ir.Func, pc int) {
		fr := api.Frame{Module: inst.Name, FuncIndex: fn.FuncIndex, FuncName: inst.FuncName(fn.FuncIndex)}
		if pc >= 0 && pc < len(fn.Offsets) {
			fr.Offset = uint64(fn.Offsets[pc])
		}
		out = append(out, fr)
	}
	add(m.inst, m.fn, pc)
	for i := len(m.frames) - 1; i >= 0 && len(out) < maxFrames; i-- {
		f := &m.frames[i]
		add(f.inst, f.fn, instrIndex(f.fn, f.ip)-1)
	}
	return out
}

func (m *machine) interrupted(ip unsafe.Pointer) *api.Trap {
	var t *api.Trap
	if m.storeCall.Closed() {
		t = &api.Trap{Kind: api.TrapModuleClosed}
	} else {
		t = interruptTrap(m.ctx.Err())
	}
	t.Frames = m.backtrace(instrIndex(m.fn, ip))
	return t
}

// callHost calls host function f from WebAssembly; its params and
// results are the slots at args. It reloads the memory's length, which
// the host may have grown.
func (m *machine) callHost(f *store.Function, args unsafe.Pointer) (err error) {
	n := max(f.ParamSlots, f.ResultSlots)
	s := unsafe.Slice((*uint64)(args), n)
	if m.hostCtx == nil {
		m.hostCtx = context.WithValue(m.ctx, machineKey{}, m)
	}
	m.usedSlots = int((uintptr(args)-uintptr(unsafe.Pointer(unsafe.SliceData(m.stack))))/8) + int(n)
	defer func() {
		if r := recover(); r != nil {
			err = hostPanic(f, r)
		}
		if m.lin != nil {
			m.memLen = uint64(len(m.lin.Bytes()))
		}
	}()
	return f.Host(m.hostCtx, m.inst.Handle, s)
}

// hostFailed adds the guest's backtrace to a trap a host function
// returned; other errors (an exit, the host's own) pass unchanged.
func (m *machine) hostFailed(err error, ip unsafe.Pointer) error {
	if t, ok := err.(*api.Trap); ok && t.Frames == nil {
		t.Frames = append([]api.Frame{{Module: m.inst.Name, Host: true}}, m.backtrace(instrIndex(m.fn, ip)-1)...)
	}
	return err
}

// grow makes room for a frame of n slots at newFP, or reports that the
// stack limit is reached. It returns newFP and fp rebased onto the new
// stack.
func (m *machine) grow(newFP, fp unsafe.Pointer, n uint32) (unsafe.Pointer, unsafe.Pointer, bool) {
	base := uintptr(unsafe.Pointer(unsafe.SliceData(m.stack)))
	need := int((uintptr(newFP)-base)/8) + int(n)
	if need > m.maxSlots || len(m.frames) >= m.maxDepth {
		return newFP, fp, false
	}
	if need <= len(m.stack) {
		return newFP, fp, true
	}
	size := min(max(2*len(m.stack), need), m.maxSlots)
	ns := make([]uint64, size)
	copy(ns, m.stack)
	nb := unsafe.Pointer(unsafe.SliceData(ns))
	rebase := func(p unsafe.Pointer) unsafe.Pointer { return unsafe.Add(nb, uintptr(p)-base) }
	for i := range m.frames {
		m.frames[i].fp = rebase(m.frames[i].fp)
	}
	newFP, fp = rebase(newFP), rebase(fp)
	m.stack = ns
	m.stackEnd = uintptr(nb) + uintptr(size)*8
	return newFP, fp, true
}

// run executes the current function, whose frame is at m.entryFP, until
// it returns or traps.
func (m *machine) run() error {
	fp := m.entryFP
	ip := unsafe.Pointer(unsafe.SliceData(m.fn.Code))
	var (
		callee     *ir.Func
		calleeInst *store.Instance
	)
	for {
		in := (*ir.Instr)(ip)
		ip = unsafe.Add(ip, ir.InstrSize)
		switch in.Op {
		case ir.OpUnreachable:
			return m.trap(api.TrapUnreachable, ip)
		case ir.OpJmp:
			goto branch
		case ir.OpBrTable:
			i := uint32(*sl(fp, in.B))
			if i > in.C {
				i = in.C
			}
			e := unsafe.Add(ip, uintptr(i)*ir.InstrSize)
			ip = unsafe.Add(e, int(int32((*ir.Instr)(e).A))+int(ir.InstrSize))
			if atomic.LoadUint32(&m.interrupt) != 0 {
				return m.interrupted(ip)
			}
		case ir.OpBrTableEntry:
			// Never executed: entries are data read by OpBrTable.
			return m.trap(api.TrapInternal, ip)
		case ir.OpReturn:
			n := len(m.frames) - 1
			if n < 0 {
				return nil
			}
			f := &m.frames[n]
			ip, fp = f.ip, f.fp
			if f.inst != m.inst {
				m.enter(f.inst, f.fn)
				*f = frame{}
				m.frames = m.frames[:n]
				// A host function may have closed the caller meanwhile.
				if m.inst.Closed() {
					return m.trap(api.TrapModuleClosed, ip)
				}
				continue
			}
			m.fn = f.fn
			*f = frame{}
			m.frames = m.frames[:n]
		case ir.OpCallLocal:
			callee, calleeInst = m.fns[in.B], m.inst
			goto call
		case ir.OpCallImport:
			sf := m.inst.Funcs[in.B]
			if sf.Host != nil {
				if err := m.callHost(sf, unsafe.Add(fp, uintptr(in.A)<<3)); err != nil {
					return m.hostFailed(err, ip)
				}
				if m.inst.Closed() {
					return m.trap(api.TrapModuleClosed, ip)
				}
				continue
			}
			c, ok := sf.Code.(*fnCode)
			if !ok {
				t := foreignCode(sf)
				t.Frames = m.backtrace(instrIndex(m.fn, ip) - 1)
				return t
			}
			callee, calleeInst = (*ir.Func)(c), sf.Instance
			goto call
		case ir.OpCallIndirect:
			t := m.inst.Tables[in.Imm]
			i := uint32(*sl(fp, in.C))
			if i >= uint32(len(t.Funcs)) {
				return m.trap(api.TrapUndefinedElement, ip)
			}
			sf := t.Funcs[i]
			if sf == nil {
				return m.trap(api.TrapUninitializedElement, ip)
			}
			if sf.TypeID != m.inst.Types[in.B] {
				return m.trap(api.TrapIndirectCallTypeMismatch, ip)
			}
			if sf.Host != nil {
				if err := m.callHost(sf, unsafe.Add(fp, uintptr(in.A)<<3)); err != nil {
					return m.hostFailed(err, ip)
				}
				if m.inst.Closed() {
					return m.trap(api.TrapModuleClosed, ip)
				}
				continue
			}
			c, ok := sf.Code.(*fnCode)
			if !ok {
				t := foreignCode(sf)
				t.Frames = m.backtrace(instrIndex(m.fn, ip) - 1)
				return t
			}
			callee, calleeInst = (*ir.Func)(c), sf.Instance
			goto call
		case ir.OpMov:
			*sl(fp, in.A) = *sl(fp, in.B)
		case ir.OpMov128:
			lo, hi := *sl(fp, in.B), *sl(fp, in.B+1)
			*sl(fp, in.A), *sl(fp, in.A+1) = lo, hi
		case ir.OpConst:
			*sl(fp, in.A) = in.Imm
		case ir.OpConst128:
			*sl(fp, in.A), *sl(fp, in.A+1) = in.Imm, uint64(in.C)<<32|uint64(in.B)
		case ir.OpSelect:
			v := *sl(fp, in.C)
			if uint32(*sl(fp, uint32(in.Imm))) != 0 {
				v = *sl(fp, in.B)
			}
			*sl(fp, in.A) = v
		case ir.OpSelect128:
			src := in.C
			if uint32(*sl(fp, uint32(in.Imm))) != 0 {
				src = in.B
			}
			lo, hi := *sl(fp, src), *sl(fp, src+1)
			*sl(fp, in.A), *sl(fp, in.A+1) = lo, hi
		case ir.OpGlobalGet:
			*sl(fp, in.A) = m.inst.Globals[in.B].Val
		case ir.OpGlobalGet128:
			g := m.inst.Globals[in.B]
			*sl(fp, in.A), *sl(fp, in.A+1) = g.Val, g.Hi
		case ir.OpGlobalSet:
			m.inst.Globals[in.A].Val = *sl(fp, in.B)
		case ir.OpGlobalSet128:
			g := m.inst.Globals[in.A]
			g.Val, g.Hi = *sl(fp, in.B), *sl(fp, in.B+1)
		case ir.OpGlobalSetRef:
			m.inst.Globals[in.A].SetRef(*sl(fp, in.B))
		case ir.OpRefFunc:
			f := m.inst.Funcs[in.B]
			*sl(fp, in.A) = store.FuncRef(f)
			m.anchor(f)
		case ir.OpGlobalGetRef:
			g := m.inst.Globals[in.B]
			*sl(fp, in.A) = g.Val
			m.anchor(g.Ref)
		case ir.OpTableGetRef:
			t := m.inst.Tables[in.Imm]
			i := uint32(*sl(fp, in.B))
			if i >= uint32(len(t.Funcs)) {
				return m.trap(api.TrapOutOfBoundsTable, ip)
			}
			f := t.Funcs[i]
			*sl(fp, in.A) = store.FuncRef(f)
			m.anchor(f)

		case ir.OpBrIfNez32:
			if uint32(*sl(fp, in.B)) != 0 {
				goto branch
			}
		case ir.OpBrIfEqz32:
			if uint32(*sl(fp, in.B)) == 0 {
				goto branch
			}
		case ir.OpBrIfNez64:
			if *sl(fp, in.B) != 0 {
				goto branch
			}
		case ir.OpBrIfEqz64:
			if *sl(fp, in.B) == 0 {
				goto branch
			}
		case ir.OpI32Eq:
			*sl(fp, in.A) = b2u(uint32(*sl(fp, in.B)) == uint32(*sl(fp, in.C)))
		case ir.OpI32EqI:
			*sl(fp, in.A) = b2u(uint32(*sl(fp, in.B)) == uint32(in.Imm))
		case ir.OpBrIfI32Eq:
			if uint32(*sl(fp, in.B)) == uint32(*sl(fp, in.C)) {
				goto branch
			}
		case ir.OpBrIfI32EqI:
			if uint32(*sl(fp, in.B)) == uint32(in.Imm) {
				goto branch
			}
		case ir.OpI32Ne:
			*sl(fp, in.A) = b2u(uint32(*sl(fp, in.B)) != uint32(*sl(fp, in.C)))
		case ir.OpI32NeI:
			*sl(fp, in.A) = b2u(uint32(*sl(fp, in.B)) != uint32(in.Imm))
		case ir.OpBrIfI32Ne:
			if uint32(*sl(fp, in.B)) != uint32(*sl(fp, in.C)) {
				goto branch
			}
		case ir.OpBrIfI32NeI:
			if uint32(*sl(fp, in.B)) != uint32(in.Imm) {
				goto branch
			}
		case ir.OpI32LtS:
			*sl(fp, in.A) = b2u(int32(*sl(fp, in.B)) < int32(*sl(fp, in.C)))
		case ir.OpI32LtSI:
			*sl(fp, in.A) = b2u(int32(*sl(fp, in.B)) < int32(in.Imm))
		case ir.OpBrIfI32LtS:
			if int32(*sl(fp, in.B)) < int32(*sl(fp, in.C)) {
				goto branch
			}
		case ir.OpBrIfI32LtSI:
			if int32(*sl(fp, in.B)) < int32(in.Imm) {
				goto branch
			}
		case ir.OpI32LtU:
			*sl(fp, in.A) = b2u(uint32(*sl(fp, in.B)) < uint32(*sl(fp, in.C)))
		case ir.OpI32LtUI:
			*sl(fp, in.A) = b2u(uint32(*sl(fp, in.B)) < uint32(in.Imm))
		case ir.OpBrIfI32LtU:
			if uint32(*sl(fp, in.B)) < uint32(*sl(fp, in.C)) {
				goto branch
			}
		case ir.OpBrIfI32LtUI:
			if uint32(*sl(fp, in.B)) < uint32(in.Imm) {
				goto branch
			}
		case ir.OpI32GtS:
			*sl(fp, in.A) = b2u(int32(*sl(fp, in.B)) > int32(*sl(fp, in.C)))
		case ir.OpI32GtSI:
			*sl(fp, in.A) = b2u(int32(*sl(fp, in.B)) > int32(in.Imm))
		case ir.OpBrIfI32GtS:
			if int32(*sl(fp, in.B)) > int32(*sl(fp, in.C)) {
				goto branch
			}
		case ir.OpBrIfI32GtSI:
			if int32(*sl(fp, in.B)) > int32(in.Imm) {
				goto branch
			}
		case ir.OpI32GtU:
			*sl(fp, in.A) = b2u(uint32(*sl(fp, in.B)) > uint32(*sl(fp, in.C)))
		case ir.OpI32GtUI:
			*sl(fp, in.A) = b2u(uint32(*sl(fp, in.B)) > uint32(in.Imm))
		case ir.OpBrIfI32GtU:
			if uint32(*sl(fp, in.B)) > uint32(*sl(fp, in.C)) {
				goto branch
			}
		case ir.OpBrIfI32GtUI:
			if uint32(*sl(fp, in.B)) > uint32(in.Imm) {
				goto branch
			}
		case ir.OpI32LeS:
			*sl(fp, in.A) = b2u(int32(*sl(fp, in.B)) <= int32(*sl(fp, in.C)))
		case ir.OpI32LeSI:
			*sl(fp, in.A) = b2u(int32(*sl(fp, in.B)) <= int32(in.Imm))
		case ir.OpBrIfI32LeS:
			if int32(*sl(fp, in.B)) <= int32(*sl(fp, in.C)) {
				goto branch
			}
		case ir.OpBrIfI32LeSI:
			if int32(*sl(fp, in.B)) <= int32(in.Imm) {
				goto branch
			}
		case ir.OpI32LeU:
			*sl(fp, in.A) = b2u(uint32(*sl(fp, in.B)) <= uint32(*sl(fp, in.C)))
		case ir.OpI32LeUI:
			*sl(fp, in.A) = b2u(uint32(*sl(fp, in.B)) <= uint32(in.Imm))
		case ir.OpBrIfI32LeU:
			if uint32(*sl(fp, in.B)) <= uint32(*sl(fp, in.C)) {
				goto branch
			}
		case ir.OpBrIfI32LeUI:
			if uint32(*sl(fp, in.B)) <= uint32(in.Imm) {
				goto branch
			}
		case ir.OpI32GeS:
			*sl(fp, in.A) = b2u(int32(*sl(fp, in.B)) >= int32(*sl(fp, in.C)))
		case ir.OpI32GeSI:
			*sl(fp, in.A) = b2u(int32(*sl(fp, in.B)) >= int32(in.Imm))
		case ir.OpBrIfI32GeS:
			if int32(*sl(fp, in.B)) >= int32(*sl(fp, in.C)) {
				goto branch
			}
		case ir.OpBrIfI32GeSI:
			if int32(*sl(fp, in.B)) >= int32(in.Imm) {
				goto branch
			}
		case ir.OpI32GeU:
			*sl(fp, in.A) = b2u(uint32(*sl(fp, in.B)) >= uint32(*sl(fp, in.C)))
		case ir.OpI32GeUI:
			*sl(fp, in.A) = b2u(uint32(*sl(fp, in.B)) >= uint32(in.Imm))
		case ir.OpBrIfI32GeU:
			if uint32(*sl(fp, in.B)) >= uint32(*sl(fp, in.C)) {
				goto branch
			}
		case ir.OpBrIfI32GeUI:
			if uint32(*sl(fp, in.B)) >= uint32(in.Imm) {
				goto branch
			}
		case ir.OpI64Eq:
			*sl(fp, in.A) = b2u(*sl(fp, in.B) == *sl(fp, in.C))
		case ir.OpI64EqI:
			*sl(fp, in.A) = b2u(*sl(fp, in.B) == in.Imm)
		case ir.OpBrIfI64Eq:
			if *sl(fp, in.B) == *sl(fp, in.C) {
				goto branch
			}
		case ir.OpBrIfI64EqI:
			if *sl(fp, in.B) == in.Imm {
				goto branch
			}
		case ir.OpI64Ne:
			*sl(fp, in.A) = b2u(*sl(fp, in.B) != *sl(fp, in.C))
		case ir.OpI64NeI:
			*sl(fp, in.A) = b2u(*sl(fp, in.B) != in.Imm)
		case ir.OpBrIfI64Ne:
			if *sl(fp, in.B) != *sl(fp, in.C) {
				goto branch
			}
		case ir.OpBrIfI64NeI:
			if *sl(fp, in.B) != in.Imm {
				goto branch
			}
		case ir.OpI64LtS:
			*sl(fp, in.A) = b2u(int64(*sl(fp, in.B)) < int64(*sl(fp, in.C)))
		case ir.OpI64LtSI:
			*sl(fp, in.A) = b2u(int64(*sl(fp, in.B)) < int64(in.Imm))
		case ir.OpBrIfI64LtS:
			if int64(*sl(fp, in.B)) < int64(*sl(fp, in.C)) {
				goto branch
			}
		case ir.OpBrIfI64LtSI:
			if int64(*sl(fp, in.B)) < int64(in.Imm) {
				goto branch
			}
		case ir.OpI64LtU:
			*sl(fp, in.A) = b2u(*sl(fp, in.B) < *sl(fp, in.C))
		case ir.OpI64LtUI:
			*sl(fp, in.A) = b2u(*sl(fp, in.B) < in.Imm)
		case ir.OpBrIfI64LtU:
			if *sl(fp, in.B) < *sl(fp, in.C) {
				goto branch
			}
		case ir.OpBrIfI64LtUI:
			if *sl(fp, in.B) < in.Imm {
				goto branch
			}
		case ir.OpI64GtS:
			*sl(fp, in.A) = b2u(int64(*sl(fp, in.B)) > int64(*sl(fp, in.C)))
		case ir.OpI64GtSI:
			*sl(fp, in.A) = b2u(int64(*sl(fp, in.B)) > int64(in.Imm))
		case ir.OpBrIfI64GtS:
			if int64(*sl(fp, in.B)) > int64(*sl(fp, in.C)) {
				goto branch
			}
		case ir.OpBrIfI64GtSI:
			if int64(*sl(fp, in.B)) > int64(in.Imm) {
				goto branch
			}
		case ir.OpI64GtU:
			*sl(fp, in.A) = b2u(*sl(fp, in.B) > *sl(fp, in.C))
		case ir.OpI64GtUI:
			*sl(fp, in.A) = b2u(*sl(fp, in.B) > in.Imm)
		case ir.OpBrIfI64GtU:
			if *sl(fp, in.B) > *sl(fp, in.C) {
				goto branch
			}
		case ir.OpBrIfI64GtUI:
			if *sl(fp, in.B) > in.Imm {
				goto branch
			}
		case ir.OpI64LeS:
			*sl(fp, in.A) = b2u(int64(*sl(fp, in.B)) <= int64(*sl(fp, in.C)))
		case ir.OpI64LeSI:
			*sl(fp, in.A) = b2u(int64(*sl(fp, in.B)) <= int64(in.Imm))
		case ir.OpBrIfI64LeS:
			if int64(*sl(fp, in.B)) <= int64(*sl(fp, in.C)) {
				goto branch
			}
		case ir.OpBrIfI64LeSI:
			if int64(*sl(fp, in.B)) <= int64(in.Imm) {
				goto branch
			}
		case ir.OpI64LeU:
			*sl(fp, in.A) = b2u(*sl(fp, in.B) <= *sl(fp, in.C))
		case ir.OpI64LeUI:
			*sl(fp, in.A) = b2u(*sl(fp, in.B) <= in.Imm)
		case ir.OpBrIfI64LeU:
			if *sl(fp, in.B) <= *sl(fp, in.C) {
				goto branch
			}
		case ir.OpBrIfI64LeUI:
			if *sl(fp, in.B) <= in.Imm {
				goto branch
			}
		case ir.OpI64GeS:
			*sl(fp, in.A) = b2u(int64(*sl(fp, in.B)) >= int64(*sl(fp, in.C)))
		case ir.OpI64GeSI:
			*sl(fp, in.A) = b2u(int64(*sl(fp, in.B)) >= int64(in.Imm))
		case ir.OpBrIfI64GeS:
			if int64(*sl(fp, in.B)) >= int64(*sl(fp, in.C)) {
				goto branch
			}
		case ir.OpBrIfI64GeSI:
			if int64(*sl(fp, in.B)) >= int64(in.Imm) {
				goto branch
			}
		case ir.OpI64GeU:
			*sl(fp, in.A) = b2u(*sl(fp, in.B) >= *sl(fp, in.C))
		case ir.OpI64GeUI:
			*sl(fp, in.A) = b2u(*sl(fp, in.B) >= in.Imm)
		case ir.OpBrIfI64GeU:
			if *sl(fp, in.B) >= *sl(fp, in.C) {
				goto branch
			}
		case ir.OpBrIfI64GeUI:
			if *sl(fp, in.B) >= in.Imm {
				goto branch
			}

		case ir.OpI32Load:
			ea := uint64(uint32(*sl(fp, in.B))) + in.Imm
			if ea+4 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.A) = uint64(binary.LittleEndian.Uint32(mem4(m.memBase, ea)[:]))
		case ir.OpI64Load:
			ea := uint64(uint32(*sl(fp, in.B))) + in.Imm
			if ea+8 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.A) = binary.LittleEndian.Uint64(mem8(m.memBase, ea)[:])
		case ir.OpI32Load8S:
			ea := uint64(uint32(*sl(fp, in.B))) + in.Imm
			if ea+1 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.A) = uint64(uint32(int32(int8(*mem1(m.memBase, ea)))))
		case ir.OpI32Load8U, ir.OpI64Load8U:
			ea := uint64(uint32(*sl(fp, in.B))) + in.Imm
			if ea+1 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.A) = uint64(*mem1(m.memBase, ea))
		case ir.OpI32Load16S:
			ea := uint64(uint32(*sl(fp, in.B))) + in.Imm
			if ea+2 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.A) = uint64(uint32(int32(int16(binary.LittleEndian.Uint16(mem2(m.memBase, ea)[:])))))
		case ir.OpI32Load16U, ir.OpI64Load16U:
			ea := uint64(uint32(*sl(fp, in.B))) + in.Imm
			if ea+2 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.A) = uint64(binary.LittleEndian.Uint16(mem2(m.memBase, ea)[:]))
		case ir.OpI64Load8S:
			ea := uint64(uint32(*sl(fp, in.B))) + in.Imm
			if ea+1 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.A) = uint64(int64(int8(*mem1(m.memBase, ea))))
		case ir.OpI64Load16S:
			ea := uint64(uint32(*sl(fp, in.B))) + in.Imm
			if ea+2 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.A) = uint64(int64(int16(binary.LittleEndian.Uint16(mem2(m.memBase, ea)[:]))))
		case ir.OpI64Load32S:
			ea := uint64(uint32(*sl(fp, in.B))) + in.Imm
			if ea+4 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.A) = uint64(int64(int32(binary.LittleEndian.Uint32(mem4(m.memBase, ea)[:]))))
		case ir.OpI64Load32U:
			ea := uint64(uint32(*sl(fp, in.B))) + in.Imm
			if ea+4 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.A) = uint64(binary.LittleEndian.Uint32(mem4(m.memBase, ea)[:]))
		case ir.OpStore32:
			ea := uint64(uint32(*sl(fp, in.B))) + in.Imm
			if ea+4 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			binary.LittleEndian.PutUint32(mem4(m.memBase, ea)[:], uint32(*sl(fp, in.C)))
		case ir.OpStore64:
			ea := uint64(uint32(*sl(fp, in.B))) + in.Imm
			if ea+8 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			binary.LittleEndian.PutUint64(mem8(m.memBase, ea)[:], *sl(fp, in.C))
		case ir.OpStore8:
			ea := uint64(uint32(*sl(fp, in.B))) + in.Imm
			if ea+1 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*mem1(m.memBase, ea) = byte(*sl(fp, in.C))
		case ir.OpStore16:
			ea := uint64(uint32(*sl(fp, in.B))) + in.Imm
			if ea+2 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			binary.LittleEndian.PutUint16(mem2(m.memBase, ea)[:], uint16(*sl(fp, in.C)))

		case ir.OpI32LoadAI:
			ea := uint64(uint32(*sl(fp, in.B))+uint32(in.Imm)) + in.Imm>>32
			if ea+4 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.A) = uint64(binary.LittleEndian.Uint32(mem4(m.memBase, ea)[:]))
		case ir.OpI32LoadAR:
			ea := uint64(uint32(*sl(fp, in.B))+uint32(*sl(fp, in.C))) + in.Imm
			if ea+4 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.A) = uint64(binary.LittleEndian.Uint32(mem4(m.memBase, ea)[:]))
		case ir.OpI32LoadK:
			ea := in.Imm
			if ea+4 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.A) = uint64(binary.LittleEndian.Uint32(mem4(m.memBase, ea)[:]))
		case ir.OpI64LoadAI:
			ea := uint64(uint32(*sl(fp, in.B))+uint32(in.Imm)) + in.Imm>>32
			if ea+8 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.A) = binary.LittleEndian.Uint64(mem8(m.memBase, ea)[:])
		case ir.OpI64LoadAR:
			ea := uint64(uint32(*sl(fp, in.B))+uint32(*sl(fp, in.C))) + in.Imm
			if ea+8 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.A) = binary.LittleEndian.Uint64(mem8(m.memBase, ea)[:])
		case ir.OpI64LoadK:
			ea := in.Imm
			if ea+8 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.A) = binary.LittleEndian.Uint64(mem8(m.memBase, ea)[:])
		case ir.OpI32Load8SAI:
			ea := uint64(uint32(*sl(fp, in.B))+uint32(in.Imm)) + in.Imm>>32
			if ea+1 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.A) = uint64(uint32(int32(int8(*mem1(m.memBase, ea)))))
		case ir.OpI32Load8SAR:
			ea := uint64(uint32(*sl(fp, in.B))+uint32(*sl(fp, in.C))) + in.Imm
			if ea+1 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.A) = uint64(uint32(int32(int8(*mem1(m.memBase, ea)))))
		case ir.OpI32Load8UAI:
			ea := uint64(uint32(*sl(fp, in.B))+uint32(in.Imm)) + in.Imm>>32
			if ea+1 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.A) = uint64(*mem1(m.memBase, ea))
		case ir.OpI32Load8UAR:
			ea := uint64(uint32(*sl(fp, in.B))+uint32(*sl(fp, in.C))) + in.Imm
			if ea+1 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.A) = uint64(*mem1(m.memBase, ea))
		case ir.OpI32Load8UK:
			ea := in.Imm
			if ea+1 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.A) = uint64(*mem1(m.memBase, ea))
		case ir.OpI32Load16SAI:
			ea := uint64(uint32(*sl(fp, in.B))+uint32(in.Imm)) + in.Imm>>32
			if ea+2 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.A) = uint64(uint32(int32(int16(binary.LittleEndian.Uint16(mem2(m.memBase, ea)[:])))))
		case ir.OpI32Load16SAR:
			ea := uint64(uint32(*sl(fp, in.B))+uint32(*sl(fp, in.C))) + in.Imm
			if ea+2 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.A) = uint64(uint32(int32(int16(binary.LittleEndian.Uint16(mem2(m.memBase, ea)[:])))))
		case ir.OpI32Load16UAI:
			ea := uint64(uint32(*sl(fp, in.B))+uint32(in.Imm)) + in.Imm>>32
			if ea+2 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.A) = uint64(binary.LittleEndian.Uint16(mem2(m.memBase, ea)[:]))
		case ir.OpI32Load16UAR:
			ea := uint64(uint32(*sl(fp, in.B))+uint32(*sl(fp, in.C))) + in.Imm
			if ea+2 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.A) = uint64(binary.LittleEndian.Uint16(mem2(m.memBase, ea)[:]))
		case ir.OpStore32AI:
			ea := uint64(uint32(*sl(fp, in.B))+uint32(in.Imm)) + in.Imm>>32
			if ea+4 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			binary.LittleEndian.PutUint32(mem4(m.memBase, ea)[:], uint32(*sl(fp, in.C)))
		case ir.OpStore32AR:
			ea := uint64(uint32(*sl(fp, in.B))+uint32(*sl(fp, in.C))) + in.Imm
			if ea+4 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			binary.LittleEndian.PutUint32(mem4(m.memBase, ea)[:], uint32(*sl(fp, in.A)))
		case ir.OpStore32K:
			ea := in.Imm
			if ea+4 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			binary.LittleEndian.PutUint32(mem4(m.memBase, ea)[:], uint32(*sl(fp, in.C)))
		case ir.OpStore64AI:
			ea := uint64(uint32(*sl(fp, in.B))+uint32(in.Imm)) + in.Imm>>32
			if ea+8 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			binary.LittleEndian.PutUint64(mem8(m.memBase, ea)[:], *sl(fp, in.C))
		case ir.OpStore64AR:
			ea := uint64(uint32(*sl(fp, in.B))+uint32(*sl(fp, in.C))) + in.Imm
			if ea+8 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			binary.LittleEndian.PutUint64(mem8(m.memBase, ea)[:], *sl(fp, in.A))
		case ir.OpStore64K:
			ea := in.Imm
			if ea+8 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			binary.LittleEndian.PutUint64(mem8(m.memBase, ea)[:], *sl(fp, in.C))
		case ir.OpStore8AI:
			ea := uint64(uint32(*sl(fp, in.B))+uint32(in.Imm)) + in.Imm>>32
			if ea+1 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*mem1(m.memBase, ea) = byte(*sl(fp, in.C))
		case ir.OpStore8AR:
			ea := uint64(uint32(*sl(fp, in.B))+uint32(*sl(fp, in.C))) + in.Imm
			if ea+1 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*mem1(m.memBase, ea) = byte(*sl(fp, in.A))
		case ir.OpStore8K:
			ea := in.Imm
			if ea+1 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*mem1(m.memBase, ea) = byte(*sl(fp, in.C))
		case ir.OpStore16AI:
			ea := uint64(uint32(*sl(fp, in.B))+uint32(in.Imm)) + in.Imm>>32
			if ea+2 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			binary.LittleEndian.PutUint16(mem2(m.memBase, ea)[:], uint16(*sl(fp, in.C)))
		case ir.OpStore16AR:
			ea := uint64(uint32(*sl(fp, in.B))+uint32(*sl(fp, in.C))) + in.Imm
			if ea+2 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			binary.LittleEndian.PutUint16(mem2(m.memBase, ea)[:], uint16(*sl(fp, in.A)))
		case ir.OpI32AddShl:
			*sl(fp, in.A) = uint64(uint32(*sl(fp, in.B)) + uint32(*sl(fp, in.C))<<(in.Imm&31))

		case ir.OpMemorySize:
			*sl(fp, in.A) = m.memLen / linmem.PageSize
		case ir.OpMemoryGrow:
			dst := sl(fp, in.A)
			prev, ok := m.lin.Grow(uint32(*sl(fp, in.B)))
			if ok {
				*dst = uint64(prev)
				m.memLen = uint64(len(m.lin.Bytes()))
			} else {
				*dst = 0xffffffff
			}
		case ir.OpMemoryInit, ir.OpDataDrop, ir.OpMemoryCopy, ir.OpMemoryFill, ir.OpTableGet, ir.OpTableSet, ir.OpTableSize,
			ir.OpTableGrow, ir.OpTableFill, ir.OpTableCopy, ir.OpTableInit, ir.OpElemDrop:
			if kind := bulk(in, m.inst, fp, m.memBase, m.memLen); kind != 0 {
				return m.trap(kind, ip)
			}

		case ir.OpI32Add:
			*sl(fp, in.A) = uint64(uint32(*sl(fp, in.B)) + uint32(*sl(fp, in.C)))
		case ir.OpI32Sub:
			*sl(fp, in.A) = uint64(uint32(*sl(fp, in.B)) - uint32(*sl(fp, in.C)))
		case ir.OpI32Mul:
			*sl(fp, in.A) = uint64(uint32(*sl(fp, in.B)) * uint32(*sl(fp, in.C)))
		case ir.OpI32DivS:
			x, y := int32(*sl(fp, in.B)), int32(*sl(fp, in.C))
			if y == 0 {
				return m.trap(api.TrapIntegerDivideByZero, ip)
			}
			if x == math.MinInt32 && y == -1 {
				return m.trap(api.TrapIntegerOverflow, ip)
			}
			*sl(fp, in.A) = uint64(uint32(x / y))
		case ir.OpI32DivU:
			x, y := uint32(*sl(fp, in.B)), uint32(*sl(fp, in.C))
			if y == 0 {
				return m.trap(api.TrapIntegerDivideByZero, ip)
			}
			*sl(fp, in.A) = uint64(x / y)
		case ir.OpI32RemS:
			x, y := int32(*sl(fp, in.B)), int32(*sl(fp, in.C))
			if y == 0 {
				return m.trap(api.TrapIntegerDivideByZero, ip)
			}
			if y == -1 {
				*sl(fp, in.A) = 0
			} else {
				*sl(fp, in.A) = uint64(uint32(x % y))
			}
		case ir.OpI32RemU:
			x, y := uint32(*sl(fp, in.B)), uint32(*sl(fp, in.C))
			if y == 0 {
				return m.trap(api.TrapIntegerDivideByZero, ip)
			}
			*sl(fp, in.A) = uint64(x % y)
		case ir.OpI32And:
			*sl(fp, in.A) = *sl(fp, in.B) & *sl(fp, in.C)
		case ir.OpI32Or:
			*sl(fp, in.A) = *sl(fp, in.B) | *sl(fp, in.C)
		case ir.OpI32Xor:
			*sl(fp, in.A) = *sl(fp, in.B) ^ *sl(fp, in.C)
		case ir.OpI32Shl:
			*sl(fp, in.A) = uint64(uint32(*sl(fp, in.B)) << (*sl(fp, in.C) & 31))
		case ir.OpI32ShrS:
			*sl(fp, in.A) = uint64(uint32(int32(*sl(fp, in.B)) >> (*sl(fp, in.C) & 31)))
		case ir.OpI32ShrU:
			*sl(fp, in.A) = uint64(uint32(*sl(fp, in.B)) >> (*sl(fp, in.C) & 31))
		case ir.OpI32Rotl:
			*sl(fp, in.A) = rotl32(*sl(fp, in.B), *sl(fp, in.C))
		case ir.OpI32Rotr:
			*sl(fp, in.A) = rotr32(*sl(fp, in.B), *sl(fp, in.C))
		case ir.OpI32AddI:
			*sl(fp, in.A) = uint64(uint32(*sl(fp, in.B)) + uint32(in.Imm))
		case ir.OpI32MulI:
			*sl(fp, in.A) = uint64(uint32(*sl(fp, in.B)) * uint32(in.Imm))
		case ir.OpI32AndI:
			*sl(fp, in.A) = *sl(fp, in.B) & in.Imm
		case ir.OpI32OrI:
			*sl(fp, in.A) = *sl(fp, in.B) | in.Imm
		case ir.OpI32XorI:
			*sl(fp, in.A) = *sl(fp, in.B) ^ in.Imm
		case ir.OpI32ShlI:
			*sl(fp, in.A) = uint64(uint32(*sl(fp, in.B)) << (in.Imm & 31))
		case ir.OpI32ShrSI:
			*sl(fp, in.A) = uint64(uint32(int32(*sl(fp, in.B)) >> (in.Imm & 31)))
		case ir.OpI32RotlI:
			*sl(fp, in.A) = rotl32(*sl(fp, in.B), in.Imm)
		case ir.OpI32ShrUI:
			*sl(fp, in.A) = uint64(uint32(*sl(fp, in.B)) >> (in.Imm & 31))
		case ir.OpI64Add:
			*sl(fp, in.A) = *sl(fp, in.B) + *sl(fp, in.C)
		case ir.OpI64Sub:
			*sl(fp, in.A) = *sl(fp, in.B) - *sl(fp, in.C)
		case ir.OpI64Mul:
			*sl(fp, in.A) = *sl(fp, in.B) * *sl(fp, in.C)
		case ir.OpI64DivS:
			x, y := int64(*sl(fp, in.B)), int64(*sl(fp, in.C))
			if y == 0 {
				return m.trap(api.TrapIntegerDivideByZero, ip)
			}
			if x == math.MinInt64 && y == -1 {
				return m.trap(api.TrapIntegerOverflow, ip)
			}
			*sl(fp, in.A) = uint64(x / y)
		case ir.OpI64DivU:
			x, y := *sl(fp, in.B), *sl(fp, in.C)
			if y == 0 {
				return m.trap(api.TrapIntegerDivideByZero, ip)
			}
			*sl(fp, in.A) = x / y
		case ir.OpI64RemS:
			x, y := int64(*sl(fp, in.B)), int64(*sl(fp, in.C))
			if y == 0 {
				return m.trap(api.TrapIntegerDivideByZero, ip)
			}
			if y == -1 {
				*sl(fp, in.A) = 0
			} else {
				*sl(fp, in.A) = uint64(x % y)
			}
		case ir.OpI64RemU:
			x, y := *sl(fp, in.B), *sl(fp, in.C)
			if y == 0 {
				return m.trap(api.TrapIntegerDivideByZero, ip)
			}
			*sl(fp, in.A) = x % y
		case ir.OpI64And:
			*sl(fp, in.A) = *sl(fp, in.B) & *sl(fp, in.C)
		case ir.OpI64Or:
			*sl(fp, in.A) = *sl(fp, in.B) | *sl(fp, in.C)
		case ir.OpI64Xor:
			*sl(fp, in.A) = *sl(fp, in.B) ^ *sl(fp, in.C)
		case ir.OpI64Shl:
			*sl(fp, in.A) = *sl(fp, in.B) << (*sl(fp, in.C) & 63)
		case ir.OpI64ShrS:
			*sl(fp, in.A) = uint64(int64(*sl(fp, in.B)) >> (*sl(fp, in.C) & 63))
		case ir.OpI64ShrU:
			*sl(fp, in.A) = *sl(fp, in.B) >> (*sl(fp, in.C) & 63)
		case ir.OpI64Rotl:
			*sl(fp, in.A) = rotl64(*sl(fp, in.B), *sl(fp, in.C))
		case ir.OpI64Rotr:
			*sl(fp, in.A) = rotr64(*sl(fp, in.B), *sl(fp, in.C))
		case ir.OpI64AddI:
			*sl(fp, in.A) = *sl(fp, in.B) + in.Imm
		case ir.OpI64MulI:
			*sl(fp, in.A) = *sl(fp, in.B) * in.Imm
		case ir.OpI64AndI:
			*sl(fp, in.A) = *sl(fp, in.B) & in.Imm
		case ir.OpI64OrI:
			*sl(fp, in.A) = *sl(fp, in.B) | in.Imm
		case ir.OpI64XorI:
			*sl(fp, in.A) = *sl(fp, in.B) ^ in.Imm
		case ir.OpI64ShlI:
			*sl(fp, in.A) = *sl(fp, in.B) << (in.Imm & 63)
		case ir.OpI64ShrSI:
			*sl(fp, in.A) = uint64(int64(*sl(fp, in.B)) >> (in.Imm & 63))
		case ir.OpI64RotlI:
			*sl(fp, in.A) = rotl64(*sl(fp, in.B), in.Imm)
		case ir.OpI64ShrUI:
			*sl(fp, in.A) = *sl(fp, in.B) >> (in.Imm & 63)
		case ir.OpF32Add:
			*sl(fp, in.A) = b32(f32(*sl(fp, in.B)) + f32(*sl(fp, in.C)))
		case ir.OpF32Sub:
			*sl(fp, in.A) = b32(f32(*sl(fp, in.B)) - f32(*sl(fp, in.C)))
		case ir.OpF32Mul:
			*sl(fp, in.A) = b32(f32(*sl(fp, in.B)) * f32(*sl(fp, in.C)))
		case ir.OpF32Div:
			*sl(fp, in.A) = b32(f32(*sl(fp, in.B)) / f32(*sl(fp, in.C)))
		case ir.OpF32Min:
			*sl(fp, in.A) = uint64(fmin32(uint32(*sl(fp, in.B)), uint32(*sl(fp, in.C))))
		case ir.OpF32Max:
			*sl(fp, in.A) = uint64(fmax32(uint32(*sl(fp, in.B)), uint32(*sl(fp, in.C))))
		case ir.OpF32Copysign:
			*sl(fp, in.A) = *sl(fp, in.B)&0x7fffffff | *sl(fp, in.C)&0x80000000
		case ir.OpF32Eq:
			*sl(fp, in.A) = b2u(f32(*sl(fp, in.B)) == f32(*sl(fp, in.C)))
		case ir.OpF32Ne:
			*sl(fp, in.A) = b2u(f32(*sl(fp, in.B)) != f32(*sl(fp, in.C)))
		case ir.OpF32Lt:
			*sl(fp, in.A) = b2u(f32(*sl(fp, in.B)) < f32(*sl(fp, in.C)))
		case ir.OpF32Gt:
			*sl(fp, in.A) = b2u(f32(*sl(fp, in.B)) > f32(*sl(fp, in.C)))
		case ir.OpF32Le:
			*sl(fp, in.A) = b2u(f32(*sl(fp, in.B)) <= f32(*sl(fp, in.C)))
		case ir.OpF32Ge:
			*sl(fp, in.A) = b2u(f32(*sl(fp, in.B)) >= f32(*sl(fp, in.C)))
		case ir.OpF64Add:
			*sl(fp, in.A) = b64(f64(*sl(fp, in.B)) + f64(*sl(fp, in.C)))
		case ir.OpF64Sub:
			*sl(fp, in.A) = b64(f64(*sl(fp, in.B)) - f64(*sl(fp, in.C)))
		case ir.OpF64Mul:
			*sl(fp, in.A) = b64(f64(*sl(fp, in.B)) * f64(*sl(fp, in.C)))
		case ir.OpF64Div:
			*sl(fp, in.A) = b64(f64(*sl(fp, in.B)) / f64(*sl(fp, in.C)))
		case ir.OpF64Min:
			*sl(fp, in.A) = fmin64(*sl(fp, in.B), *sl(fp, in.C))
		case ir.OpF64Max:
			*sl(fp, in.A) = fmax64(*sl(fp, in.B), *sl(fp, in.C))
		case ir.OpF64Copysign:
			*sl(fp, in.A) = *sl(fp, in.B)&(1<<63-1) | *sl(fp, in.C)&(1<<63)
		case ir.OpF64Eq:
			*sl(fp, in.A) = b2u(f64(*sl(fp, in.B)) == f64(*sl(fp, in.C)))
		case ir.OpF64Ne:
			*sl(fp, in.A) = b2u(f64(*sl(fp, in.B)) != f64(*sl(fp, in.C)))
		case ir.OpF64Lt:
			*sl(fp, in.A) = b2u(f64(*sl(fp, in.B)) < f64(*sl(fp, in.C)))
		case ir.OpF64Gt:
			*sl(fp, in.A) = b2u(f64(*sl(fp, in.B)) > f64(*sl(fp, in.C)))
		case ir.OpF64Le:
			*sl(fp, in.A) = b2u(f64(*sl(fp, in.B)) <= f64(*sl(fp, in.C)))
		case ir.OpF64Ge:
			*sl(fp, in.A) = b2u(f64(*sl(fp, in.B)) >= f64(*sl(fp, in.C)))

		case ir.OpI32Eqz:
			*sl(fp, in.A) = b2u(uint32(*sl(fp, in.B)) == 0)
		case ir.OpI32Clz:
			*sl(fp, in.A) = uint64(bits.LeadingZeros32(uint32(*sl(fp, in.B))))
		case ir.OpI32Ctz:
			*sl(fp, in.A) = uint64(bits.TrailingZeros32(uint32(*sl(fp, in.B))))
		case ir.OpI32Popcnt:
			*sl(fp, in.A) = uint64(bits.OnesCount32(uint32(*sl(fp, in.B))))
		case ir.OpI64Eqz:
			*sl(fp, in.A) = b2u(*sl(fp, in.B) == 0)
		case ir.OpI64Clz:
			*sl(fp, in.A) = uint64(bits.LeadingZeros64(*sl(fp, in.B)))
		case ir.OpI64Ctz:
			*sl(fp, in.A) = uint64(bits.TrailingZeros64(*sl(fp, in.B)))
		case ir.OpI64Popcnt:
			*sl(fp, in.A) = uint64(bits.OnesCount64(*sl(fp, in.B)))
		case ir.OpF32Abs:
			*sl(fp, in.A) = *sl(fp, in.B) & 0x7fffffff
		case ir.OpF32Neg:
			*sl(fp, in.A) = (*sl(fp, in.B) ^ 0x80000000) & 0xffffffff
		case ir.OpF32Ceil:
			*sl(fp, in.A) = uint64(round32(uint32(*sl(fp, in.B)), math.Ceil))
		case ir.OpF32Floor:
			*sl(fp, in.A) = uint64(round32(uint32(*sl(fp, in.B)), math.Floor))
		case ir.OpF32Trunc:
			*sl(fp, in.A) = uint64(round32(uint32(*sl(fp, in.B)), math.Trunc))
		case ir.OpF32Nearest:
			*sl(fp, in.A) = uint64(round32(uint32(*sl(fp, in.B)), math.RoundToEven))
		case ir.OpF32Sqrt:
			*sl(fp, in.A) = uint64(sqrt32(uint32(*sl(fp, in.B))))
		case ir.OpF64Abs:
			*sl(fp, in.A) = *sl(fp, in.B) & (1<<63 - 1)
		case ir.OpF64Neg:
			*sl(fp, in.A) = *sl(fp, in.B) ^ (1 << 63)
		case ir.OpF64Ceil:
			*sl(fp, in.A) = round64(*sl(fp, in.B), math.Ceil)
		case ir.OpF64Floor:
			*sl(fp, in.A) = round64(*sl(fp, in.B), math.Floor)
		case ir.OpF64Trunc:
			*sl(fp, in.A) = round64(*sl(fp, in.B), math.Trunc)
		case ir.OpF64Nearest:
			*sl(fp, in.A) = round64(*sl(fp, in.B), math.RoundToEven)
		case ir.OpF64Sqrt:
			*sl(fp, in.A) = sqrt64(*sl(fp, in.B))
		case ir.OpI32WrapI64:
			*sl(fp, in.A) = uint64(uint32(*sl(fp, in.B)))
		case ir.OpI32TruncF32S, ir.OpI32TruncF32U, ir.OpI32TruncF64S, ir.OpI32TruncF64U,
			ir.OpI64TruncF32S, ir.OpI64TruncF32U, ir.OpI64TruncF64S, ir.OpI64TruncF64U:
			v, nan, ovf := trunc(in.Op, *sl(fp, in.B))
			if nan {
				return m.trap(api.TrapInvalidConversion, ip)
			}
			if ovf {
				return m.trap(api.TrapIntegerOverflow, ip)
			}
			*sl(fp, in.A) = v
		case ir.OpI64ExtendI32S:
			*sl(fp, in.A) = uint64(int64(int32(*sl(fp, in.B))))
		case ir.OpF32ConvertI32S:
			*sl(fp, in.A) = b32(float32(int32(*sl(fp, in.B))))
		case ir.OpF32ConvertI32U:
			*sl(fp, in.A) = b32(float32(uint32(*sl(fp, in.B))))
		case ir.OpF32ConvertI64S:
			*sl(fp, in.A) = b32(float32(int64(*sl(fp, in.B))))
		case ir.OpF32ConvertI64U:
			*sl(fp, in.A) = b32(float32(*sl(fp, in.B)))
		case ir.OpF32DemoteF64:
			*sl(fp, in.A) = b32(float32(f64(*sl(fp, in.B))))
		case ir.OpF64ConvertI32S:
			*sl(fp, in.A) = b64(float64(int32(*sl(fp, in.B))))
		case ir.OpF64ConvertI32U:
			*sl(fp, in.A) = b64(float64(uint32(*sl(fp, in.B))))
		case ir.OpF64ConvertI64S:
			*sl(fp, in.A) = b64(float64(int64(*sl(fp, in.B))))
		case ir.OpF64ConvertI64U:
			*sl(fp, in.A) = b64(float64(*sl(fp, in.B)))
		case ir.OpF64PromoteF32:
			*sl(fp, in.A) = b64(float64(f32(*sl(fp, in.B))))
		case ir.OpI32Extend8S:
			*sl(fp, in.A) = uint64(uint32(int32(int8(*sl(fp, in.B)))))
		case ir.OpI32Extend16S:
			*sl(fp, in.A) = uint64(uint32(int32(int16(*sl(fp, in.B)))))
		case ir.OpI64Extend8S:
			*sl(fp, in.A) = uint64(int64(int8(*sl(fp, in.B))))
		case ir.OpI64Extend16S:
			*sl(fp, in.A) = uint64(int64(int16(*sl(fp, in.B))))
		case ir.OpI64Extend32S:
			*sl(fp, in.A) = uint64(int64(int32(*sl(fp, in.B))))
		case ir.OpI32TruncSatF32S:
			*sl(fp, in.A) = satS32(float64(f32(*sl(fp, in.B))))
		case ir.OpI32TruncSatF32U:
			*sl(fp, in.A) = satU32(float64(f32(*sl(fp, in.B))))
		case ir.OpI32TruncSatF64S:
			*sl(fp, in.A) = satS32(f64(*sl(fp, in.B)))
		case ir.OpI32TruncSatF64U:
			*sl(fp, in.A) = satU32(f64(*sl(fp, in.B)))
		case ir.OpI64TruncSatF32S:
			*sl(fp, in.A) = satS64(float64(f32(*sl(fp, in.B))))
		case ir.OpI64TruncSatF32U:
			*sl(fp, in.A) = satU64(float64(f32(*sl(fp, in.B))))
		case ir.OpI64TruncSatF64S:
			*sl(fp, in.A) = satS64(f64(*sl(fp, in.B)))
		case ir.OpI64TruncSatF64U:
			*sl(fp, in.A) = satU64(f64(*sl(fp, in.B)))
		default:
			if in.Op >= ir.OpSIMD {
				if kind := simd(in, m.fn, fp, m.memBase, m.memLen); kind != 0 {
					return m.trap(kind, ip)
				}
				continue
			}
			return m.trap(api.TrapInternal, ip)
		}
		continue

	call:
		// callee, of calleeInst, starts with its frame at the argument
		// slots named by in.a.
		{
			if !callee.Ready() {
				if err := callee.Translate(); err != nil {
					t := m.trap(api.TrapInternal, ip)
					t.Detail = err.Error()
					return t
				}
			}
			newFP := unsafe.Add(fp, uintptr(in.A)<<3)
			if uintptr(newFP)+uintptr(callee.FrameSlots)<<3 > m.stackEnd || len(m.frames) >= m.maxDepth {
				var ok bool
				if newFP, fp, ok = m.grow(newFP, fp, callee.FrameSlots); !ok {
					return m.trap(api.TrapCallStackExhausted, ip)
				}
			}
			m.frames = append(m.frames, frame{fn: m.fn, inst: m.inst, ip: ip, fp: fp})
			fp = newFP
			for i := callee.ParamSlots; i < callee.ParamSlots+callee.LocalSlots; i++ {
				*sl(fp, i) = 0
			}
			ip = unsafe.Pointer(unsafe.SliceData(callee.Code))
			if calleeInst != m.inst {
				m.enter(calleeInst, callee)
				if calleeInst.Closed() {
					return m.trapAt(api.TrapModuleClosed, 0)
				}
			} else {
				m.fn = callee
			}
			if atomic.LoadUint32(&m.interrupt) != 0 {
				return m.interrupted(ip)
			}
		}
		continue

		// Every taken branch with a relative target lands here. Loops are
		// made of branches, so this is where a guest that runs too long is
		// stopped.
	branch:
		ip = unsafe.Add(ip, int32(in.A))
		if atomic.LoadUint32(&m.interrupt) != 0 {
			return m.interrupted(ip)
		}
	}
}

func trunc(op ir.Opcode, v uint64) (uint64, bool, bool) {
	switch op {
	case ir.OpI32TruncF32S:
		return truncS32(float64(f32(v)))
	case ir.OpI32TruncF32U:
		return truncU32(float64(f32(v)))
	case ir.OpI32TruncF64S:
		return truncS32(f64(v))
	case ir.OpI32TruncF64U:
		return truncU32(f64(v))
	case ir.OpI64TruncF32S:
		return truncS64(float64(f32(v)))
	case ir.OpI64TruncF32U:
		return truncU64(float64(f32(v)))
	case ir.OpI64TruncF64S:
		return truncS64(f64(v))
	}
	return truncU64(f64(v))
}

// bulk runs the bulk memory, table and segment instructions. It returns
// the trap kind, or 0.
func bulk(in *ir.Instr, inst *store.Instance, fp unsafe.Pointer, memBase unsafe.Pointer, memLen uint64) api.TrapKind {
	x, y := uint32(in.Imm), uint32(in.Imm>>32)
	switch in.Op {
	case ir.OpMemoryInit:
		d, s, n := uint64(uint32(*sl(fp, in.A))), uint64(uint32(*sl(fp, in.B))), uint64(uint32(*sl(fp, in.C)))
		seg := inst.DataSegs[x]
		if s+n > uint64(len(seg)) || d+n > memLen {
			return api.TrapOutOfBoundsMemory
		}
		copy(unsafe.Slice((*byte)(memBase), memLen)[d:d+n], seg[s:s+n])
	case ir.OpDataDrop:
		inst.DataSegs[x] = nil
	case ir.OpMemoryCopy:
		d, s, n := uint64(uint32(*sl(fp, in.A))), uint64(uint32(*sl(fp, in.B))), uint64(uint32(*sl(fp, in.C)))
		if s+n > memLen || d+n > memLen {
			return api.TrapOutOfBoundsMemory
		}
		mem := unsafe.Slice((*byte)(memBase), memLen)
		copy(mem[d:d+n], mem[s:s+n])
	case ir.OpMemoryFill:
		d, v, n := uint64(uint32(*sl(fp, in.A))), byte(*sl(fp, in.B)), uint64(uint32(*sl(fp, in.C)))
		if d+n > memLen {
			return api.TrapOutOfBoundsMemory
		}
		b := unsafe.Slice((*byte)(memBase), memLen)[d : d+n]
		if v == 0 {
			clear(b)
		} else if len(b) > 0 {
			// Doubling copies fill as fast as memmove runs.
			b[0] = v
			for i := 1; i < len(b); i *= 2 {
				copy(b[i:], b[:i])
			}
		}
	case ir.OpTableGet:
		v, ok := inst.Tables[x].Get(uint32(*sl(fp, in.B)))
		if !ok {
			return api.TrapOutOfBoundsTable
		}
		*sl(fp, in.A) = v
	case ir.OpTableSet:
		if !inst.Tables[x].Set(uint32(*sl(fp, in.B)), *sl(fp, in.C)) {
			return api.TrapOutOfBoundsTable
		}
	case ir.OpTableSize:
		*sl(fp, in.A) = uint64(inst.Tables[x].Len())
	case ir.OpTableGrow:
		prev, ok := inst.Tables[x].Grow(uint32(*sl(fp, in.C)), *sl(fp, in.B))
		if ok {
			*sl(fp, in.A) = uint64(prev)
		} else {
			*sl(fp, in.A) = 0xffffffff
		}
	case ir.OpTableFill:
		if !inst.Tables[x].Fill(uint32(*sl(fp, in.A)), uint32(*sl(fp, in.C)), *sl(fp, in.B)) {
			return api.TrapOutOfBoundsTable
		}
	case ir.OpTableCopy:
		if !store.CopyTable(inst.Tables[x], uint32(*sl(fp, in.A)), inst.Tables[y], uint32(*sl(fp, in.B)), uint32(*sl(fp, in.C))) {
			return api.TrapOutOfBoundsTable
		}
	case ir.OpTableInit:
		if !inst.Tables[y].Init(uint32(*sl(fp, in.A)), inst.ElemSegs[x], uint32(*sl(fp, in.B)), uint32(*sl(fp, in.C))) {
			return api.TrapOutOfBoundsTable
		}
	case ir.OpElemDrop:
		inst.ElemSegs[x] = nil
	}
	return 0
}
