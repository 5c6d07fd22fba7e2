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
	"github.com/wasmvisor/wasmvisor/internal/linmem"
	"github.com/wasmvisor/wasmvisor/internal/store"
)

// frame records a caller while its callee runs.
type frame struct {
	fn   *function
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
	frames   []frame
	// interrupt is set (atomically) when the call's context ends.
	interrupt uint32

	fn      *function       // running function
	inst    *store.Instance // its instance
	fns     []*function     // the functions its module defines
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

const instrSize = unsafe.Sizeof(instr{})

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
func (m *machine) enter(inst *store.Instance, fn *function) {
	m.inst, m.fn, m.fns = inst, fn, fn.mod.fns
	m.lin, m.memBase, m.memLen = nil, nil, 0
	if len(inst.Memories) > 0 {
		m.lin = inst.Memories[0].Lin
		b := m.lin.Bytes()
		m.memBase, m.memLen = unsafe.Pointer(unsafe.SliceData(b)), uint64(len(b))
	}
}

// call runs f with its params in stack and leaves the results there.
func (m *machine) call(f *store.Function, stack []uint64) error {
	fn, ok := f.Code.(*function)
	if !ok {
		return &api.Trap{Kind: api.TrapInternal, Detail: fmt.Sprintf("function %d has no interpreter code", f.Index)}
	}
	m.enter(f.Instance, fn)
	if f.Instance.Closed() {
		return m.trapAt(api.TrapModuleClosed, 0)
	}
	if int(fn.frameSlots) > m.maxSlots {
		return m.trapAt(api.TrapCallStackExhausted, 0)
	}
	if int(fn.frameSlots) > len(m.stack) {
		m.stack = make([]uint64, max(int(fn.frameSlots), 2*len(m.stack)))
	}
	copy(m.stack, stack[:f.ParamSlots])
	clear(m.stack[fn.paramSlots : fn.paramSlots+fn.localSlots])
	m.stackEnd = uintptr(unsafe.Pointer(unsafe.SliceData(m.stack))) + uintptr(len(m.stack))*8
	if err := m.run(); err != nil {
		return err
	}
	copy(stack, m.stack[:f.ResultSlots])
	return nil
}

// trap builds a trap raised by the instruction before ip.
func (m *machine) trap(kind api.TrapKind, ip unsafe.Pointer) *api.Trap {
	return m.trapAt(kind, m.fn.index(ip)-1)
}

// trapAt builds a trap raised by instruction pc of the running function.
func (m *machine) trapAt(kind api.TrapKind, pc int) *api.Trap {
	t := &api.Trap{Kind: kind, Frames: m.backtrace(pc)}
	if kind == api.TrapCallStackExhausted {
		t.Detail = fmt.Sprintf("more than %d bytes of stack or %d calls deep", m.maxSlots*8, m.maxDepth)
	}
	return t
}

// index returns the index of the instruction at ip.
func (fn *function) index(ip unsafe.Pointer) int {
	return int((uintptr(ip) - uintptr(unsafe.Pointer(unsafe.SliceData(fn.code)))) / instrSize)
}

func (m *machine) backtrace(pc int) []api.Frame {
	const maxFrames = 64 // a runaway recursion need not be listed in full
	out := make([]api.Frame, 0, min(len(m.frames)+1, maxFrames))
	add := func(inst *store.Instance, fn *function, pc int) {
		fr := api.Frame{Module: inst.Name, FuncIndex: fn.funcIndex, FuncName: inst.FuncName(fn.funcIndex)}
		if pc >= 0 && pc < len(fn.offsets) {
			fr.Offset = uint64(fn.offsets[pc])
		}
		out = append(out, fr)
	}
	add(m.inst, m.fn, pc)
	for i := len(m.frames) - 1; i >= 0 && len(out) < maxFrames; i-- {
		f := &m.frames[i]
		add(f.inst, f.fn, f.fn.index(f.ip)-1)
	}
	return out
}

func (m *machine) interrupted(ip unsafe.Pointer) *api.Trap {
	t := interruptTrap(m.ctx.Err())
	t.Frames = m.backtrace(m.fn.index(ip))
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
		t.Frames = append([]api.Frame{{Module: m.inst.Name, Host: true}}, m.backtrace(m.fn.index(ip)-1)...)
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

// run executes the current function, whose frame is at the bottom of the
// stack, until it returns or traps.
func (m *machine) run() error {
	fp := unsafe.Pointer(unsafe.SliceData(m.stack))
	ip := unsafe.Pointer(unsafe.SliceData(m.fn.code))
	var (
		callee     *function
		calleeInst *store.Instance
	)
	for {
		in := (*instr)(ip)
		ip = unsafe.Add(ip, instrSize)
		switch in.op {
		case opUnreachable:
			return m.trap(api.TrapUnreachable, ip)
		case opJmp:
			goto branch
		case opBrTable:
			i := uint32(*sl(fp, in.b))
			if i > in.c {
				i = in.c
			}
			e := unsafe.Add(ip, uintptr(i)*instrSize)
			ip = unsafe.Add(e, int(int32((*instr)(e).a))+int(instrSize))
			if atomic.LoadUint32(&m.interrupt) != 0 {
				return m.interrupted(ip)
			}
		case opBrTableEntry:
			// Never executed: entries are data read by opBrTable.
			return m.trap(api.TrapInternal, ip)
		case opReturn:
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
		case opCallLocal:
			callee, calleeInst = m.fns[in.b], m.inst
			goto call
		case opCallImport:
			sf := m.inst.Funcs[in.b]
			if sf.Host != nil {
				if err := m.callHost(sf, unsafe.Add(fp, uintptr(in.a)<<3)); err != nil {
					return m.hostFailed(err, ip)
				}
				if m.inst.Closed() {
					return m.trap(api.TrapModuleClosed, ip)
				}
				continue
			}
			callee, calleeInst = sf.Code.(*function), sf.Instance
			goto call
		case opCallIndirect:
			t := m.inst.Tables[in.imm]
			i := uint32(*sl(fp, in.c))
			if i >= uint32(len(t.Funcs)) {
				return m.trap(api.TrapUndefinedElement, ip)
			}
			sf := t.Funcs[i]
			if sf == nil {
				return m.trap(api.TrapUninitializedElement, ip)
			}
			if sf.TypeID != m.inst.Types[in.b] {
				return m.trap(api.TrapIndirectCallTypeMismatch, ip)
			}
			if sf.Host != nil {
				if err := m.callHost(sf, unsafe.Add(fp, uintptr(in.a)<<3)); err != nil {
					return m.hostFailed(err, ip)
				}
				if m.inst.Closed() {
					return m.trap(api.TrapModuleClosed, ip)
				}
				continue
			}
			callee, calleeInst = sf.Code.(*function), sf.Instance
			goto call
		case opMov:
			*sl(fp, in.a) = *sl(fp, in.b)
		case opMov128:
			lo, hi := *sl(fp, in.b), *sl(fp, in.b+1)
			*sl(fp, in.a), *sl(fp, in.a+1) = lo, hi
		case opConst:
			*sl(fp, in.a) = in.imm
		case opConst128:
			*sl(fp, in.a), *sl(fp, in.a+1) = in.imm, uint64(in.c)<<32|uint64(in.b)
		case opSelect:
			v := *sl(fp, in.c)
			if uint32(*sl(fp, uint32(in.imm))) != 0 {
				v = *sl(fp, in.b)
			}
			*sl(fp, in.a) = v
		case opSelect128:
			src := in.c
			if uint32(*sl(fp, uint32(in.imm))) != 0 {
				src = in.b
			}
			lo, hi := *sl(fp, src), *sl(fp, src+1)
			*sl(fp, in.a), *sl(fp, in.a+1) = lo, hi
		case opGlobalGet:
			*sl(fp, in.a) = m.inst.Globals[in.b].Val
		case opGlobalGet128:
			g := m.inst.Globals[in.b]
			*sl(fp, in.a), *sl(fp, in.a+1) = g.Val, g.Hi
		case opGlobalSet:
			m.inst.Globals[in.a].Val = *sl(fp, in.b)
		case opGlobalSet128:
			g := m.inst.Globals[in.a]
			g.Val, g.Hi = *sl(fp, in.b), *sl(fp, in.b+1)
		case opGlobalSetRef:
			m.inst.Globals[in.a].SetRef(*sl(fp, in.b))
		case opRefFunc:
			f := m.inst.Funcs[in.b]
			*sl(fp, in.a) = store.FuncRef(f)
			m.anchor(f)
		case opGlobalGetRef:
			g := m.inst.Globals[in.b]
			*sl(fp, in.a) = g.Val
			m.anchor(g.Ref)
		case opTableGetRef:
			t := m.inst.Tables[in.imm]
			i := uint32(*sl(fp, in.b))
			if i >= uint32(len(t.Funcs)) {
				return m.trap(api.TrapOutOfBoundsTable, ip)
			}
			f := t.Funcs[i]
			*sl(fp, in.a) = store.FuncRef(f)
			m.anchor(f)

		case opBrIfNez32:
			if uint32(*sl(fp, in.b)) != 0 {
				goto branch
			}
		case opBrIfEqz32:
			if uint32(*sl(fp, in.b)) == 0 {
				goto branch
			}
		case opBrIfNez64:
			if *sl(fp, in.b) != 0 {
				goto branch
			}
		case opBrIfEqz64:
			if *sl(fp, in.b) == 0 {
				goto branch
			}
		case opI32Eq:
			*sl(fp, in.a) = b2u(uint32(*sl(fp, in.b)) == uint32(*sl(fp, in.c)))
		case opI32EqI:
			*sl(fp, in.a) = b2u(uint32(*sl(fp, in.b)) == uint32(in.imm))
		case opBrIfI32Eq:
			if uint32(*sl(fp, in.b)) == uint32(*sl(fp, in.c)) {
				goto branch
			}
		case opBrIfI32EqI:
			if uint32(*sl(fp, in.b)) == uint32(in.imm) {
				goto branch
			}
		case opI32Ne:
			*sl(fp, in.a) = b2u(uint32(*sl(fp, in.b)) != uint32(*sl(fp, in.c)))
		case opI32NeI:
			*sl(fp, in.a) = b2u(uint32(*sl(fp, in.b)) != uint32(in.imm))
		case opBrIfI32Ne:
			if uint32(*sl(fp, in.b)) != uint32(*sl(fp, in.c)) {
				goto branch
			}
		case opBrIfI32NeI:
			if uint32(*sl(fp, in.b)) != uint32(in.imm) {
				goto branch
			}
		case opI32LtS:
			*sl(fp, in.a) = b2u(int32(*sl(fp, in.b)) < int32(*sl(fp, in.c)))
		case opI32LtSI:
			*sl(fp, in.a) = b2u(int32(*sl(fp, in.b)) < int32(in.imm))
		case opBrIfI32LtS:
			if int32(*sl(fp, in.b)) < int32(*sl(fp, in.c)) {
				goto branch
			}
		case opBrIfI32LtSI:
			if int32(*sl(fp, in.b)) < int32(in.imm) {
				goto branch
			}
		case opI32LtU:
			*sl(fp, in.a) = b2u(uint32(*sl(fp, in.b)) < uint32(*sl(fp, in.c)))
		case opI32LtUI:
			*sl(fp, in.a) = b2u(uint32(*sl(fp, in.b)) < uint32(in.imm))
		case opBrIfI32LtU:
			if uint32(*sl(fp, in.b)) < uint32(*sl(fp, in.c)) {
				goto branch
			}
		case opBrIfI32LtUI:
			if uint32(*sl(fp, in.b)) < uint32(in.imm) {
				goto branch
			}
		case opI32GtS:
			*sl(fp, in.a) = b2u(int32(*sl(fp, in.b)) > int32(*sl(fp, in.c)))
		case opI32GtSI:
			*sl(fp, in.a) = b2u(int32(*sl(fp, in.b)) > int32(in.imm))
		case opBrIfI32GtS:
			if int32(*sl(fp, in.b)) > int32(*sl(fp, in.c)) {
				goto branch
			}
		case opBrIfI32GtSI:
			if int32(*sl(fp, in.b)) > int32(in.imm) {
				goto branch
			}
		case opI32GtU:
			*sl(fp, in.a) = b2u(uint32(*sl(fp, in.b)) > uint32(*sl(fp, in.c)))
		case opI32GtUI:
			*sl(fp, in.a) = b2u(uint32(*sl(fp, in.b)) > uint32(in.imm))
		case opBrIfI32GtU:
			if uint32(*sl(fp, in.b)) > uint32(*sl(fp, in.c)) {
				goto branch
			}
		case opBrIfI32GtUI:
			if uint32(*sl(fp, in.b)) > uint32(in.imm) {
				goto branch
			}
		case opI32LeS:
			*sl(fp, in.a) = b2u(int32(*sl(fp, in.b)) <= int32(*sl(fp, in.c)))
		case opI32LeSI:
			*sl(fp, in.a) = b2u(int32(*sl(fp, in.b)) <= int32(in.imm))
		case opBrIfI32LeS:
			if int32(*sl(fp, in.b)) <= int32(*sl(fp, in.c)) {
				goto branch
			}
		case opBrIfI32LeSI:
			if int32(*sl(fp, in.b)) <= int32(in.imm) {
				goto branch
			}
		case opI32LeU:
			*sl(fp, in.a) = b2u(uint32(*sl(fp, in.b)) <= uint32(*sl(fp, in.c)))
		case opI32LeUI:
			*sl(fp, in.a) = b2u(uint32(*sl(fp, in.b)) <= uint32(in.imm))
		case opBrIfI32LeU:
			if uint32(*sl(fp, in.b)) <= uint32(*sl(fp, in.c)) {
				goto branch
			}
		case opBrIfI32LeUI:
			if uint32(*sl(fp, in.b)) <= uint32(in.imm) {
				goto branch
			}
		case opI32GeS:
			*sl(fp, in.a) = b2u(int32(*sl(fp, in.b)) >= int32(*sl(fp, in.c)))
		case opI32GeSI:
			*sl(fp, in.a) = b2u(int32(*sl(fp, in.b)) >= int32(in.imm))
		case opBrIfI32GeS:
			if int32(*sl(fp, in.b)) >= int32(*sl(fp, in.c)) {
				goto branch
			}
		case opBrIfI32GeSI:
			if int32(*sl(fp, in.b)) >= int32(in.imm) {
				goto branch
			}
		case opI32GeU:
			*sl(fp, in.a) = b2u(uint32(*sl(fp, in.b)) >= uint32(*sl(fp, in.c)))
		case opI32GeUI:
			*sl(fp, in.a) = b2u(uint32(*sl(fp, in.b)) >= uint32(in.imm))
		case opBrIfI32GeU:
			if uint32(*sl(fp, in.b)) >= uint32(*sl(fp, in.c)) {
				goto branch
			}
		case opBrIfI32GeUI:
			if uint32(*sl(fp, in.b)) >= uint32(in.imm) {
				goto branch
			}
		case opI64Eq:
			*sl(fp, in.a) = b2u(*sl(fp, in.b) == *sl(fp, in.c))
		case opI64EqI:
			*sl(fp, in.a) = b2u(*sl(fp, in.b) == in.imm)
		case opBrIfI64Eq:
			if *sl(fp, in.b) == *sl(fp, in.c) {
				goto branch
			}
		case opBrIfI64EqI:
			if *sl(fp, in.b) == in.imm {
				goto branch
			}
		case opI64Ne:
			*sl(fp, in.a) = b2u(*sl(fp, in.b) != *sl(fp, in.c))
		case opI64NeI:
			*sl(fp, in.a) = b2u(*sl(fp, in.b) != in.imm)
		case opBrIfI64Ne:
			if *sl(fp, in.b) != *sl(fp, in.c) {
				goto branch
			}
		case opBrIfI64NeI:
			if *sl(fp, in.b) != in.imm {
				goto branch
			}
		case opI64LtS:
			*sl(fp, in.a) = b2u(int64(*sl(fp, in.b)) < int64(*sl(fp, in.c)))
		case opI64LtSI:
			*sl(fp, in.a) = b2u(int64(*sl(fp, in.b)) < int64(in.imm))
		case opBrIfI64LtS:
			if int64(*sl(fp, in.b)) < int64(*sl(fp, in.c)) {
				goto branch
			}
		case opBrIfI64LtSI:
			if int64(*sl(fp, in.b)) < int64(in.imm) {
				goto branch
			}
		case opI64LtU:
			*sl(fp, in.a) = b2u(*sl(fp, in.b) < *sl(fp, in.c))
		case opI64LtUI:
			*sl(fp, in.a) = b2u(*sl(fp, in.b) < in.imm)
		case opBrIfI64LtU:
			if *sl(fp, in.b) < *sl(fp, in.c) {
				goto branch
			}
		case opBrIfI64LtUI:
			if *sl(fp, in.b) < in.imm {
				goto branch
			}
		case opI64GtS:
			*sl(fp, in.a) = b2u(int64(*sl(fp, in.b)) > int64(*sl(fp, in.c)))
		case opI64GtSI:
			*sl(fp, in.a) = b2u(int64(*sl(fp, in.b)) > int64(in.imm))
		case opBrIfI64GtS:
			if int64(*sl(fp, in.b)) > int64(*sl(fp, in.c)) {
				goto branch
			}
		case opBrIfI64GtSI:
			if int64(*sl(fp, in.b)) > int64(in.imm) {
				goto branch
			}
		case opI64GtU:
			*sl(fp, in.a) = b2u(*sl(fp, in.b) > *sl(fp, in.c))
		case opI64GtUI:
			*sl(fp, in.a) = b2u(*sl(fp, in.b) > in.imm)
		case opBrIfI64GtU:
			if *sl(fp, in.b) > *sl(fp, in.c) {
				goto branch
			}
		case opBrIfI64GtUI:
			if *sl(fp, in.b) > in.imm {
				goto branch
			}
		case opI64LeS:
			*sl(fp, in.a) = b2u(int64(*sl(fp, in.b)) <= int64(*sl(fp, in.c)))
		case opI64LeSI:
			*sl(fp, in.a) = b2u(int64(*sl(fp, in.b)) <= int64(in.imm))
		case opBrIfI64LeS:
			if int64(*sl(fp, in.b)) <= int64(*sl(fp, in.c)) {
				goto branch
			}
		case opBrIfI64LeSI:
			if int64(*sl(fp, in.b)) <= int64(in.imm) {
				goto branch
			}
		case opI64LeU:
			*sl(fp, in.a) = b2u(*sl(fp, in.b) <= *sl(fp, in.c))
		case opI64LeUI:
			*sl(fp, in.a) = b2u(*sl(fp, in.b) <= in.imm)
		case opBrIfI64LeU:
			if *sl(fp, in.b) <= *sl(fp, in.c) {
				goto branch
			}
		case opBrIfI64LeUI:
			if *sl(fp, in.b) <= in.imm {
				goto branch
			}
		case opI64GeS:
			*sl(fp, in.a) = b2u(int64(*sl(fp, in.b)) >= int64(*sl(fp, in.c)))
		case opI64GeSI:
			*sl(fp, in.a) = b2u(int64(*sl(fp, in.b)) >= int64(in.imm))
		case opBrIfI64GeS:
			if int64(*sl(fp, in.b)) >= int64(*sl(fp, in.c)) {
				goto branch
			}
		case opBrIfI64GeSI:
			if int64(*sl(fp, in.b)) >= int64(in.imm) {
				goto branch
			}
		case opI64GeU:
			*sl(fp, in.a) = b2u(*sl(fp, in.b) >= *sl(fp, in.c))
		case opI64GeUI:
			*sl(fp, in.a) = b2u(*sl(fp, in.b) >= in.imm)
		case opBrIfI64GeU:
			if *sl(fp, in.b) >= *sl(fp, in.c) {
				goto branch
			}
		case opBrIfI64GeUI:
			if *sl(fp, in.b) >= in.imm {
				goto branch
			}

		case opI32Load:
			ea := uint64(uint32(*sl(fp, in.b))) + in.imm
			if ea+4 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.a) = uint64(binary.LittleEndian.Uint32(mem4(m.memBase, ea)[:]))
		case opI64Load:
			ea := uint64(uint32(*sl(fp, in.b))) + in.imm
			if ea+8 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.a) = binary.LittleEndian.Uint64(mem8(m.memBase, ea)[:])
		case opI32Load8S:
			ea := uint64(uint32(*sl(fp, in.b))) + in.imm
			if ea+1 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.a) = uint64(uint32(int32(int8(*mem1(m.memBase, ea)))))
		case opI32Load8U, opI64Load8U:
			ea := uint64(uint32(*sl(fp, in.b))) + in.imm
			if ea+1 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.a) = uint64(*mem1(m.memBase, ea))
		case opI32Load16S:
			ea := uint64(uint32(*sl(fp, in.b))) + in.imm
			if ea+2 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.a) = uint64(uint32(int32(int16(binary.LittleEndian.Uint16(mem2(m.memBase, ea)[:])))))
		case opI32Load16U, opI64Load16U:
			ea := uint64(uint32(*sl(fp, in.b))) + in.imm
			if ea+2 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.a) = uint64(binary.LittleEndian.Uint16(mem2(m.memBase, ea)[:]))
		case opI64Load8S:
			ea := uint64(uint32(*sl(fp, in.b))) + in.imm
			if ea+1 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.a) = uint64(int64(int8(*mem1(m.memBase, ea))))
		case opI64Load16S:
			ea := uint64(uint32(*sl(fp, in.b))) + in.imm
			if ea+2 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.a) = uint64(int64(int16(binary.LittleEndian.Uint16(mem2(m.memBase, ea)[:]))))
		case opI64Load32S:
			ea := uint64(uint32(*sl(fp, in.b))) + in.imm
			if ea+4 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.a) = uint64(int64(int32(binary.LittleEndian.Uint32(mem4(m.memBase, ea)[:]))))
		case opI64Load32U:
			ea := uint64(uint32(*sl(fp, in.b))) + in.imm
			if ea+4 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.a) = uint64(binary.LittleEndian.Uint32(mem4(m.memBase, ea)[:]))
		case opStore32:
			ea := uint64(uint32(*sl(fp, in.b))) + in.imm
			if ea+4 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			binary.LittleEndian.PutUint32(mem4(m.memBase, ea)[:], uint32(*sl(fp, in.c)))
		case opStore64:
			ea := uint64(uint32(*sl(fp, in.b))) + in.imm
			if ea+8 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			binary.LittleEndian.PutUint64(mem8(m.memBase, ea)[:], *sl(fp, in.c))
		case opStore8:
			ea := uint64(uint32(*sl(fp, in.b))) + in.imm
			if ea+1 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*mem1(m.memBase, ea) = byte(*sl(fp, in.c))
		case opStore16:
			ea := uint64(uint32(*sl(fp, in.b))) + in.imm
			if ea+2 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			binary.LittleEndian.PutUint16(mem2(m.memBase, ea)[:], uint16(*sl(fp, in.c)))

		case opI32LoadAI:
			ea := uint64(uint32(*sl(fp, in.b))+uint32(in.imm)) + in.imm>>32
			if ea+4 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.a) = uint64(binary.LittleEndian.Uint32(mem4(m.memBase, ea)[:]))
		case opI32LoadAR:
			ea := uint64(uint32(*sl(fp, in.b))+uint32(*sl(fp, in.c))) + in.imm
			if ea+4 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.a) = uint64(binary.LittleEndian.Uint32(mem4(m.memBase, ea)[:]))
		case opI32LoadK:
			ea := in.imm
			if ea+4 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.a) = uint64(binary.LittleEndian.Uint32(mem4(m.memBase, ea)[:]))
		case opI64LoadAI:
			ea := uint64(uint32(*sl(fp, in.b))+uint32(in.imm)) + in.imm>>32
			if ea+8 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.a) = binary.LittleEndian.Uint64(mem8(m.memBase, ea)[:])
		case opI64LoadAR:
			ea := uint64(uint32(*sl(fp, in.b))+uint32(*sl(fp, in.c))) + in.imm
			if ea+8 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.a) = binary.LittleEndian.Uint64(mem8(m.memBase, ea)[:])
		case opI64LoadK:
			ea := in.imm
			if ea+8 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.a) = binary.LittleEndian.Uint64(mem8(m.memBase, ea)[:])
		case opI32Load8SAI:
			ea := uint64(uint32(*sl(fp, in.b))+uint32(in.imm)) + in.imm>>32
			if ea+1 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.a) = uint64(uint32(int32(int8(*mem1(m.memBase, ea)))))
		case opI32Load8SAR:
			ea := uint64(uint32(*sl(fp, in.b))+uint32(*sl(fp, in.c))) + in.imm
			if ea+1 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.a) = uint64(uint32(int32(int8(*mem1(m.memBase, ea)))))
		case opI32Load8UAI:
			ea := uint64(uint32(*sl(fp, in.b))+uint32(in.imm)) + in.imm>>32
			if ea+1 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.a) = uint64(*mem1(m.memBase, ea))
		case opI32Load8UAR:
			ea := uint64(uint32(*sl(fp, in.b))+uint32(*sl(fp, in.c))) + in.imm
			if ea+1 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.a) = uint64(*mem1(m.memBase, ea))
		case opI32Load8UK:
			ea := in.imm
			if ea+1 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.a) = uint64(*mem1(m.memBase, ea))
		case opI32Load16SAI:
			ea := uint64(uint32(*sl(fp, in.b))+uint32(in.imm)) + in.imm>>32
			if ea+2 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.a) = uint64(uint32(int32(int16(binary.LittleEndian.Uint16(mem2(m.memBase, ea)[:])))))
		case opI32Load16SAR:
			ea := uint64(uint32(*sl(fp, in.b))+uint32(*sl(fp, in.c))) + in.imm
			if ea+2 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.a) = uint64(uint32(int32(int16(binary.LittleEndian.Uint16(mem2(m.memBase, ea)[:])))))
		case opI32Load16UAI:
			ea := uint64(uint32(*sl(fp, in.b))+uint32(in.imm)) + in.imm>>32
			if ea+2 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.a) = uint64(binary.LittleEndian.Uint16(mem2(m.memBase, ea)[:]))
		case opI32Load16UAR:
			ea := uint64(uint32(*sl(fp, in.b))+uint32(*sl(fp, in.c))) + in.imm
			if ea+2 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*sl(fp, in.a) = uint64(binary.LittleEndian.Uint16(mem2(m.memBase, ea)[:]))
		case opStore32AI:
			ea := uint64(uint32(*sl(fp, in.b))+uint32(in.imm)) + in.imm>>32
			if ea+4 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			binary.LittleEndian.PutUint32(mem4(m.memBase, ea)[:], uint32(*sl(fp, in.c)))
		case opStore32AR:
			ea := uint64(uint32(*sl(fp, in.b))+uint32(*sl(fp, in.c))) + in.imm
			if ea+4 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			binary.LittleEndian.PutUint32(mem4(m.memBase, ea)[:], uint32(*sl(fp, in.a)))
		case opStore32K:
			ea := in.imm
			if ea+4 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			binary.LittleEndian.PutUint32(mem4(m.memBase, ea)[:], uint32(*sl(fp, in.c)))
		case opStore64AI:
			ea := uint64(uint32(*sl(fp, in.b))+uint32(in.imm)) + in.imm>>32
			if ea+8 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			binary.LittleEndian.PutUint64(mem8(m.memBase, ea)[:], *sl(fp, in.c))
		case opStore64AR:
			ea := uint64(uint32(*sl(fp, in.b))+uint32(*sl(fp, in.c))) + in.imm
			if ea+8 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			binary.LittleEndian.PutUint64(mem8(m.memBase, ea)[:], *sl(fp, in.a))
		case opStore64K:
			ea := in.imm
			if ea+8 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			binary.LittleEndian.PutUint64(mem8(m.memBase, ea)[:], *sl(fp, in.c))
		case opStore8AI:
			ea := uint64(uint32(*sl(fp, in.b))+uint32(in.imm)) + in.imm>>32
			if ea+1 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*mem1(m.memBase, ea) = byte(*sl(fp, in.c))
		case opStore8AR:
			ea := uint64(uint32(*sl(fp, in.b))+uint32(*sl(fp, in.c))) + in.imm
			if ea+1 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*mem1(m.memBase, ea) = byte(*sl(fp, in.a))
		case opStore8K:
			ea := in.imm
			if ea+1 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			*mem1(m.memBase, ea) = byte(*sl(fp, in.c))
		case opStore16AI:
			ea := uint64(uint32(*sl(fp, in.b))+uint32(in.imm)) + in.imm>>32
			if ea+2 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			binary.LittleEndian.PutUint16(mem2(m.memBase, ea)[:], uint16(*sl(fp, in.c)))
		case opStore16AR:
			ea := uint64(uint32(*sl(fp, in.b))+uint32(*sl(fp, in.c))) + in.imm
			if ea+2 > m.memLen {
				return m.trap(api.TrapOutOfBoundsMemory, ip)
			}
			binary.LittleEndian.PutUint16(mem2(m.memBase, ea)[:], uint16(*sl(fp, in.a)))
		case opI32AddShl:
			*sl(fp, in.a) = uint64(uint32(*sl(fp, in.b)) + uint32(*sl(fp, in.c))<<(in.imm&31))

		case opMemorySize:
			*sl(fp, in.a) = m.memLen / linmem.PageSize
		case opMemoryGrow:
			dst := sl(fp, in.a)
			prev, ok := m.lin.Grow(uint32(*sl(fp, in.b)))
			if ok {
				*dst = uint64(prev)
				m.memLen = uint64(len(m.lin.Bytes()))
			} else {
				*dst = 0xffffffff
			}
		case opMemoryInit, opDataDrop, opMemoryCopy, opMemoryFill, opTableGet, opTableSet, opTableSize,
			opTableGrow, opTableFill, opTableCopy, opTableInit, opElemDrop:
			if kind := bulk(in, m.inst, fp, m.memBase, m.memLen); kind != 0 {
				return m.trap(kind, ip)
			}

		case opI32Add:
			*sl(fp, in.a) = uint64(uint32(*sl(fp, in.b)) + uint32(*sl(fp, in.c)))
		case opI32Sub:
			*sl(fp, in.a) = uint64(uint32(*sl(fp, in.b)) - uint32(*sl(fp, in.c)))
		case opI32Mul:
			*sl(fp, in.a) = uint64(uint32(*sl(fp, in.b)) * uint32(*sl(fp, in.c)))
		case opI32DivS:
			x, y := int32(*sl(fp, in.b)), int32(*sl(fp, in.c))
			if y == 0 {
				return m.trap(api.TrapIntegerDivideByZero, ip)
			}
			if x == math.MinInt32 && y == -1 {
				return m.trap(api.TrapIntegerOverflow, ip)
			}
			*sl(fp, in.a) = uint64(uint32(x / y))
		case opI32DivU:
			x, y := uint32(*sl(fp, in.b)), uint32(*sl(fp, in.c))
			if y == 0 {
				return m.trap(api.TrapIntegerDivideByZero, ip)
			}
			*sl(fp, in.a) = uint64(x / y)
		case opI32RemS:
			x, y := int32(*sl(fp, in.b)), int32(*sl(fp, in.c))
			if y == 0 {
				return m.trap(api.TrapIntegerDivideByZero, ip)
			}
			if y == -1 {
				*sl(fp, in.a) = 0
			} else {
				*sl(fp, in.a) = uint64(uint32(x % y))
			}
		case opI32RemU:
			x, y := uint32(*sl(fp, in.b)), uint32(*sl(fp, in.c))
			if y == 0 {
				return m.trap(api.TrapIntegerDivideByZero, ip)
			}
			*sl(fp, in.a) = uint64(x % y)
		case opI32And:
			*sl(fp, in.a) = *sl(fp, in.b) & *sl(fp, in.c)
		case opI32Or:
			*sl(fp, in.a) = *sl(fp, in.b) | *sl(fp, in.c)
		case opI32Xor:
			*sl(fp, in.a) = *sl(fp, in.b) ^ *sl(fp, in.c)
		case opI32Shl:
			*sl(fp, in.a) = uint64(uint32(*sl(fp, in.b)) << (*sl(fp, in.c) & 31))
		case opI32ShrS:
			*sl(fp, in.a) = uint64(uint32(int32(*sl(fp, in.b)) >> (*sl(fp, in.c) & 31)))
		case opI32ShrU:
			*sl(fp, in.a) = uint64(uint32(*sl(fp, in.b)) >> (*sl(fp, in.c) & 31))
		case opI32Rotl:
			*sl(fp, in.a) = rotl32(*sl(fp, in.b), *sl(fp, in.c))
		case opI32Rotr:
			*sl(fp, in.a) = rotr32(*sl(fp, in.b), *sl(fp, in.c))
		case opI32AddI:
			*sl(fp, in.a) = uint64(uint32(*sl(fp, in.b)) + uint32(in.imm))
		case opI32MulI:
			*sl(fp, in.a) = uint64(uint32(*sl(fp, in.b)) * uint32(in.imm))
		case opI32AndI:
			*sl(fp, in.a) = *sl(fp, in.b) & in.imm
		case opI32OrI:
			*sl(fp, in.a) = *sl(fp, in.b) | in.imm
		case opI32XorI:
			*sl(fp, in.a) = *sl(fp, in.b) ^ in.imm
		case opI32ShlI:
			*sl(fp, in.a) = uint64(uint32(*sl(fp, in.b)) << (in.imm & 31))
		case opI32ShrSI:
			*sl(fp, in.a) = uint64(uint32(int32(*sl(fp, in.b)) >> (in.imm & 31)))
		case opI32RotlI:
			*sl(fp, in.a) = rotl32(*sl(fp, in.b), in.imm)
		case opI32ShrUI:
			*sl(fp, in.a) = uint64(uint32(*sl(fp, in.b)) >> (in.imm & 31))
		case opI64Add:
			*sl(fp, in.a) = *sl(fp, in.b) + *sl(fp, in.c)
		case opI64Sub:
			*sl(fp, in.a) = *sl(fp, in.b) - *sl(fp, in.c)
		case opI64Mul:
			*sl(fp, in.a) = *sl(fp, in.b) * *sl(fp, in.c)
		case opI64DivS:
			x, y := int64(*sl(fp, in.b)), int64(*sl(fp, in.c))
			if y == 0 {
				return m.trap(api.TrapIntegerDivideByZero, ip)
			}
			if x == math.MinInt64 && y == -1 {
				return m.trap(api.TrapIntegerOverflow, ip)
			}
			*sl(fp, in.a) = uint64(x / y)
		case opI64DivU:
			x, y := *sl(fp, in.b), *sl(fp, in.c)
			if y == 0 {
				return m.trap(api.TrapIntegerDivideByZero, ip)
			}
			*sl(fp, in.a) = x / y
		case opI64RemS:
			x, y := int64(*sl(fp, in.b)), int64(*sl(fp, in.c))
			if y == 0 {
				return m.trap(api.TrapIntegerDivideByZero, ip)
			}
			if y == -1 {
				*sl(fp, in.a) = 0
			} else {
				*sl(fp, in.a) = uint64(x % y)
			}
		case opI64RemU:
			x, y := *sl(fp, in.b), *sl(fp, in.c)
			if y == 0 {
				return m.trap(api.TrapIntegerDivideByZero, ip)
			}
			*sl(fp, in.a) = x % y
		case opI64And:
			*sl(fp, in.a) = *sl(fp, in.b) & *sl(fp, in.c)
		case opI64Or:
			*sl(fp, in.a) = *sl(fp, in.b) | *sl(fp, in.c)
		case opI64Xor:
			*sl(fp, in.a) = *sl(fp, in.b) ^ *sl(fp, in.c)
		case opI64Shl:
			*sl(fp, in.a) = *sl(fp, in.b) << (*sl(fp, in.c) & 63)
		case opI64ShrS:
			*sl(fp, in.a) = uint64(int64(*sl(fp, in.b)) >> (*sl(fp, in.c) & 63))
		case opI64ShrU:
			*sl(fp, in.a) = *sl(fp, in.b) >> (*sl(fp, in.c) & 63)
		case opI64Rotl:
			*sl(fp, in.a) = rotl64(*sl(fp, in.b), *sl(fp, in.c))
		case opI64Rotr:
			*sl(fp, in.a) = rotr64(*sl(fp, in.b), *sl(fp, in.c))
		case opI64AddI:
			*sl(fp, in.a) = *sl(fp, in.b) + in.imm
		case opI64MulI:
			*sl(fp, in.a) = *sl(fp, in.b) * in.imm
		case opI64AndI:
			*sl(fp, in.a) = *sl(fp, in.b) & in.imm
		case opI64OrI:
			*sl(fp, in.a) = *sl(fp, in.b) | in.imm
		case opI64XorI:
			*sl(fp, in.a) = *sl(fp, in.b) ^ in.imm
		case opI64ShlI:
			*sl(fp, in.a) = *sl(fp, in.b) << (in.imm & 63)
		case opI64ShrSI:
			*sl(fp, in.a) = uint64(int64(*sl(fp, in.b)) >> (in.imm & 63))
		case opI64RotlI:
			*sl(fp, in.a) = rotl64(*sl(fp, in.b), in.imm)
		case opI64ShrUI:
			*sl(fp, in.a) = *sl(fp, in.b) >> (in.imm & 63)
		case opF32Add:
			*sl(fp, in.a) = b32(f32(*sl(fp, in.b)) + f32(*sl(fp, in.c)))
		case opF32Sub:
			*sl(fp, in.a) = b32(f32(*sl(fp, in.b)) - f32(*sl(fp, in.c)))
		case opF32Mul:
			*sl(fp, in.a) = b32(f32(*sl(fp, in.b)) * f32(*sl(fp, in.c)))
		case opF32Div:
			*sl(fp, in.a) = b32(f32(*sl(fp, in.b)) / f32(*sl(fp, in.c)))
		case opF32Min:
			*sl(fp, in.a) = uint64(fmin32(uint32(*sl(fp, in.b)), uint32(*sl(fp, in.c))))
		case opF32Max:
			*sl(fp, in.a) = uint64(fmax32(uint32(*sl(fp, in.b)), uint32(*sl(fp, in.c))))
		case opF32Copysign:
			*sl(fp, in.a) = *sl(fp, in.b)&0x7fffffff | *sl(fp, in.c)&0x80000000
		case opF32Eq:
			*sl(fp, in.a) = b2u(f32(*sl(fp, in.b)) == f32(*sl(fp, in.c)))
		case opF32Ne:
			*sl(fp, in.a) = b2u(f32(*sl(fp, in.b)) != f32(*sl(fp, in.c)))
		case opF32Lt:
			*sl(fp, in.a) = b2u(f32(*sl(fp, in.b)) < f32(*sl(fp, in.c)))
		case opF32Gt:
			*sl(fp, in.a) = b2u(f32(*sl(fp, in.b)) > f32(*sl(fp, in.c)))
		case opF32Le:
			*sl(fp, in.a) = b2u(f32(*sl(fp, in.b)) <= f32(*sl(fp, in.c)))
		case opF32Ge:
			*sl(fp, in.a) = b2u(f32(*sl(fp, in.b)) >= f32(*sl(fp, in.c)))
		case opF64Add:
			*sl(fp, in.a) = b64(f64(*sl(fp, in.b)) + f64(*sl(fp, in.c)))
		case opF64Sub:
			*sl(fp, in.a) = b64(f64(*sl(fp, in.b)) - f64(*sl(fp, in.c)))
		case opF64Mul:
			*sl(fp, in.a) = b64(f64(*sl(fp, in.b)) * f64(*sl(fp, in.c)))
		case opF64Div:
			*sl(fp, in.a) = b64(f64(*sl(fp, in.b)) / f64(*sl(fp, in.c)))
		case opF64Min:
			*sl(fp, in.a) = fmin64(*sl(fp, in.b), *sl(fp, in.c))
		case opF64Max:
			*sl(fp, in.a) = fmax64(*sl(fp, in.b), *sl(fp, in.c))
		case opF64Copysign:
			*sl(fp, in.a) = *sl(fp, in.b)&(1<<63-1) | *sl(fp, in.c)&(1<<63)
		case opF64Eq:
			*sl(fp, in.a) = b2u(f64(*sl(fp, in.b)) == f64(*sl(fp, in.c)))
		case opF64Ne:
			*sl(fp, in.a) = b2u(f64(*sl(fp, in.b)) != f64(*sl(fp, in.c)))
		case opF64Lt:
			*sl(fp, in.a) = b2u(f64(*sl(fp, in.b)) < f64(*sl(fp, in.c)))
		case opF64Gt:
			*sl(fp, in.a) = b2u(f64(*sl(fp, in.b)) > f64(*sl(fp, in.c)))
		case opF64Le:
			*sl(fp, in.a) = b2u(f64(*sl(fp, in.b)) <= f64(*sl(fp, in.c)))
		case opF64Ge:
			*sl(fp, in.a) = b2u(f64(*sl(fp, in.b)) >= f64(*sl(fp, in.c)))

		case opI32Eqz:
			*sl(fp, in.a) = b2u(uint32(*sl(fp, in.b)) == 0)
		case opI32Clz:
			*sl(fp, in.a) = uint64(bits.LeadingZeros32(uint32(*sl(fp, in.b))))
		case opI32Ctz:
			*sl(fp, in.a) = uint64(bits.TrailingZeros32(uint32(*sl(fp, in.b))))
		case opI32Popcnt:
			*sl(fp, in.a) = uint64(bits.OnesCount32(uint32(*sl(fp, in.b))))
		case opI64Eqz:
			*sl(fp, in.a) = b2u(*sl(fp, in.b) == 0)
		case opI64Clz:
			*sl(fp, in.a) = uint64(bits.LeadingZeros64(*sl(fp, in.b)))
		case opI64Ctz:
			*sl(fp, in.a) = uint64(bits.TrailingZeros64(*sl(fp, in.b)))
		case opI64Popcnt:
			*sl(fp, in.a) = uint64(bits.OnesCount64(*sl(fp, in.b)))
		case opF32Abs:
			*sl(fp, in.a) = *sl(fp, in.b) & 0x7fffffff
		case opF32Neg:
			*sl(fp, in.a) = (*sl(fp, in.b) ^ 0x80000000) & 0xffffffff
		case opF32Ceil:
			*sl(fp, in.a) = uint64(round32(uint32(*sl(fp, in.b)), math.Ceil))
		case opF32Floor:
			*sl(fp, in.a) = uint64(round32(uint32(*sl(fp, in.b)), math.Floor))
		case opF32Trunc:
			*sl(fp, in.a) = uint64(round32(uint32(*sl(fp, in.b)), math.Trunc))
		case opF32Nearest:
			*sl(fp, in.a) = uint64(round32(uint32(*sl(fp, in.b)), math.RoundToEven))
		case opF32Sqrt:
			*sl(fp, in.a) = uint64(sqrt32(uint32(*sl(fp, in.b))))
		case opF64Abs:
			*sl(fp, in.a) = *sl(fp, in.b) & (1<<63 - 1)
		case opF64Neg:
			*sl(fp, in.a) = *sl(fp, in.b) ^ (1 << 63)
		case opF64Ceil:
			*sl(fp, in.a) = round64(*sl(fp, in.b), math.Ceil)
		case opF64Floor:
			*sl(fp, in.a) = round64(*sl(fp, in.b), math.Floor)
		case opF64Trunc:
			*sl(fp, in.a) = round64(*sl(fp, in.b), math.Trunc)
		case opF64Nearest:
			*sl(fp, in.a) = round64(*sl(fp, in.b), math.RoundToEven)
		case opF64Sqrt:
			*sl(fp, in.a) = sqrt64(*sl(fp, in.b))
		case opI32WrapI64:
			*sl(fp, in.a) = uint64(uint32(*sl(fp, in.b)))
		case opI32TruncF32S, opI32TruncF32U, opI32TruncF64S, opI32TruncF64U,
			opI64TruncF32S, opI64TruncF32U, opI64TruncF64S, opI64TruncF64U:
			v, nan, ovf := trunc(in.op, *sl(fp, in.b))
			if nan {
				return m.trap(api.TrapInvalidConversion, ip)
			}
			if ovf {
				return m.trap(api.TrapIntegerOverflow, ip)
			}
			*sl(fp, in.a) = v
		case opI64ExtendI32S:
			*sl(fp, in.a) = uint64(int64(int32(*sl(fp, in.b))))
		case opF32ConvertI32S:
			*sl(fp, in.a) = b32(float32(int32(*sl(fp, in.b))))
		case opF32ConvertI32U:
			*sl(fp, in.a) = b32(float32(uint32(*sl(fp, in.b))))
		case opF32ConvertI64S:
			*sl(fp, in.a) = b32(float32(int64(*sl(fp, in.b))))
		case opF32ConvertI64U:
			*sl(fp, in.a) = b32(float32(*sl(fp, in.b)))
		case opF32DemoteF64:
			*sl(fp, in.a) = b32(float32(f64(*sl(fp, in.b))))
		case opF64ConvertI32S:
			*sl(fp, in.a) = b64(float64(int32(*sl(fp, in.b))))
		case opF64ConvertI32U:
			*sl(fp, in.a) = b64(float64(uint32(*sl(fp, in.b))))
		case opF64ConvertI64S:
			*sl(fp, in.a) = b64(float64(int64(*sl(fp, in.b))))
		case opF64ConvertI64U:
			*sl(fp, in.a) = b64(float64(*sl(fp, in.b)))
		case opF64PromoteF32:
			*sl(fp, in.a) = b64(float64(f32(*sl(fp, in.b))))
		case opI32Extend8S:
			*sl(fp, in.a) = uint64(uint32(int32(int8(*sl(fp, in.b)))))
		case opI32Extend16S:
			*sl(fp, in.a) = uint64(uint32(int32(int16(*sl(fp, in.b)))))
		case opI64Extend8S:
			*sl(fp, in.a) = uint64(int64(int8(*sl(fp, in.b))))
		case opI64Extend16S:
			*sl(fp, in.a) = uint64(int64(int16(*sl(fp, in.b))))
		case opI64Extend32S:
			*sl(fp, in.a) = uint64(int64(int32(*sl(fp, in.b))))
		case opI32TruncSatF32S:
			*sl(fp, in.a) = satS32(float64(f32(*sl(fp, in.b))))
		case opI32TruncSatF32U:
			*sl(fp, in.a) = satU32(float64(f32(*sl(fp, in.b))))
		case opI32TruncSatF64S:
			*sl(fp, in.a) = satS32(f64(*sl(fp, in.b)))
		case opI32TruncSatF64U:
			*sl(fp, in.a) = satU32(f64(*sl(fp, in.b)))
		case opI64TruncSatF32S:
			*sl(fp, in.a) = satS64(float64(f32(*sl(fp, in.b))))
		case opI64TruncSatF32U:
			*sl(fp, in.a) = satU64(float64(f32(*sl(fp, in.b))))
		case opI64TruncSatF64S:
			*sl(fp, in.a) = satS64(f64(*sl(fp, in.b)))
		case opI64TruncSatF64U:
			*sl(fp, in.a) = satU64(f64(*sl(fp, in.b)))
		default:
			if in.op >= opSIMD {
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
			newFP := unsafe.Add(fp, uintptr(in.a)<<3)
			if uintptr(newFP)+uintptr(callee.frameSlots)<<3 > m.stackEnd || len(m.frames) >= m.maxDepth {
				var ok bool
				if newFP, fp, ok = m.grow(newFP, fp, callee.frameSlots); !ok {
					return m.trap(api.TrapCallStackExhausted, ip)
				}
			}
			m.frames = append(m.frames, frame{fn: m.fn, inst: m.inst, ip: ip, fp: fp})
			fp = newFP
			for i := callee.paramSlots; i < callee.paramSlots+callee.localSlots; i++ {
				*sl(fp, i) = 0
			}
			ip = unsafe.Pointer(unsafe.SliceData(callee.code))
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
		ip = unsafe.Add(ip, int32(in.a))
		if atomic.LoadUint32(&m.interrupt) != 0 {
			return m.interrupted(ip)
		}
	}
}

func trunc(op opcode, v uint64) (uint64, bool, bool) {
	switch op {
	case opI32TruncF32S:
		return truncS32(float64(f32(v)))
	case opI32TruncF32U:
		return truncU32(float64(f32(v)))
	case opI32TruncF64S:
		return truncS32(f64(v))
	case opI32TruncF64U:
		return truncU32(f64(v))
	case opI64TruncF32S:
		return truncS64(float64(f32(v)))
	case opI64TruncF32U:
		return truncU64(float64(f32(v)))
	case opI64TruncF64S:
		return truncS64(f64(v))
	}
	return truncU64(f64(v))
}

// bulk runs the bulk memory, table and segment instructions. It returns
// the trap kind, or 0.
func bulk(in *instr, inst *store.Instance, fp unsafe.Pointer, memBase unsafe.Pointer, memLen uint64) api.TrapKind {
	x, y := uint32(in.imm), uint32(in.imm>>32)
	switch in.op {
	case opMemoryInit:
		d, s, n := uint64(uint32(*sl(fp, in.a))), uint64(uint32(*sl(fp, in.b))), uint64(uint32(*sl(fp, in.c)))
		seg := inst.DataSegs[x]
		if s+n > uint64(len(seg)) || d+n > memLen {
			return api.TrapOutOfBoundsMemory
		}
		copy(unsafe.Slice((*byte)(memBase), memLen)[d:d+n], seg[s:s+n])
	case opDataDrop:
		inst.DataSegs[x] = nil
	case opMemoryCopy:
		d, s, n := uint64(uint32(*sl(fp, in.a))), uint64(uint32(*sl(fp, in.b))), uint64(uint32(*sl(fp, in.c)))
		if s+n > memLen || d+n > memLen {
			return api.TrapOutOfBoundsMemory
		}
		mem := unsafe.Slice((*byte)(memBase), memLen)
		copy(mem[d:d+n], mem[s:s+n])
	case opMemoryFill:
		d, v, n := uint64(uint32(*sl(fp, in.a))), byte(*sl(fp, in.b)), uint64(uint32(*sl(fp, in.c)))
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
	case opTableGet:
		v, ok := inst.Tables[x].Get(uint32(*sl(fp, in.b)))
		if !ok {
			return api.TrapOutOfBoundsTable
		}
		*sl(fp, in.a) = v
	case opTableSet:
		if !inst.Tables[x].Set(uint32(*sl(fp, in.b)), *sl(fp, in.c)) {
			return api.TrapOutOfBoundsTable
		}
	case opTableSize:
		*sl(fp, in.a) = uint64(inst.Tables[x].Len())
	case opTableGrow:
		prev, ok := inst.Tables[x].Grow(uint32(*sl(fp, in.c)), *sl(fp, in.b))
		if ok {
			*sl(fp, in.a) = uint64(prev)
		} else {
			*sl(fp, in.a) = 0xffffffff
		}
	case opTableFill:
		if !inst.Tables[x].Fill(uint32(*sl(fp, in.a)), uint32(*sl(fp, in.c)), *sl(fp, in.b)) {
			return api.TrapOutOfBoundsTable
		}
	case opTableCopy:
		if !store.CopyTable(inst.Tables[x], uint32(*sl(fp, in.a)), inst.Tables[y], uint32(*sl(fp, in.b)), uint32(*sl(fp, in.c))) {
			return api.TrapOutOfBoundsTable
		}
	case opTableInit:
		if !inst.Tables[y].Init(uint32(*sl(fp, in.a)), inst.ElemSegs[x], uint32(*sl(fp, in.b)), uint32(*sl(fp, in.c))) {
			return api.TrapOutOfBoundsTable
		}
	case opElemDrop:
		inst.ElemSegs[x] = nil
	}
	return 0
}
