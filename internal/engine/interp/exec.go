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
	sf *store.Function
	fn *function
	fp unsafe.Pointer // the caller's frame base
	pc uint32         // where the caller resumes
}

// machine runs one call (and everything it calls) to completion.
type machine struct {
	stack []uint64
	// stackEnd is the address one past the last slot of stack.
	stackEnd uintptr
	frames   []frame
	// interrupt is set (atomically) when the call's context ends.
	interrupt uint32

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

// mem8 returns n bytes of linear memory at ea; callers checked
// ea+n <= the memory's length, and memory never moves.
func mem8(base unsafe.Pointer, ea uint64) *[8]byte { return (*[8]byte)(unsafe.Add(base, uintptr(ea))) }
func mem4(base unsafe.Pointer, ea uint64) *[4]byte { return (*[4]byte)(unsafe.Add(base, uintptr(ea))) }
func mem2(base unsafe.Pointer, ea uint64) *[2]byte { return (*[2]byte)(unsafe.Add(base, uintptr(ea))) }
func mem1(base unsafe.Pointer, ea uint64) *byte    { return (*byte)(unsafe.Add(base, uintptr(ea))) }

const instrSize = unsafe.Sizeof(instr{})

func memState(inst *store.Instance) (*linmem.Memory, unsafe.Pointer, uint64) {
	if len(inst.Memories) == 0 {
		return nil, nil, 0
	}
	lin := inst.Memories[0].Lin
	b := lin.Bytes()
	return lin, unsafe.Pointer(unsafe.SliceData(b)), uint64(len(b))
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// call runs f with its params in stack and leaves the results there.
func (m *machine) call(f *store.Function, stack []uint64) error {
	fn, ok := f.Code.(*function)
	if !ok {
		return &api.Trap{Kind: api.TrapInternal, Detail: fmt.Sprintf("function %d has no interpreter code", f.Index)}
	}
	if int(fn.frameSlots) > m.maxSlots {
		return m.trap(api.TrapCallStackExhausted, f, fn, 0)
	}
	if int(fn.frameSlots) > len(m.stack) {
		m.stack = make([]uint64, max(int(fn.frameSlots), 2*len(m.stack)))
	}
	copy(m.stack, stack[:f.ParamSlots])
	clear(m.stack[fn.paramSlots : fn.paramSlots+fn.localSlots])
	m.stackEnd = uintptr(unsafe.Pointer(unsafe.SliceData(m.stack))) + uintptr(len(m.stack))*8
	if err := m.run(f, fn); err != nil {
		return err
	}
	copy(stack, m.stack[:f.ResultSlots])
	return nil
}

// trap builds a trap whose backtrace starts at instruction pc of fn.
func (m *machine) trap(kind api.TrapKind, sf *store.Function, fn *function, pc uint32) *api.Trap {
	t := &api.Trap{Kind: kind}
	t.Frames = m.backtrace(sf, fn, pc)
	if kind == api.TrapCallStackExhausted {
		t.Detail = fmt.Sprintf("more than %d bytes of stack or %d calls deep", m.maxSlots*8, m.maxDepth)
	}
	return t
}

func (m *machine) backtrace(sf *store.Function, fn *function, pc uint32) []api.Frame {
	const maxFrames = 64 // a runaway recursion need not be listed in full
	out := make([]api.Frame, 0, min(len(m.frames)+1, maxFrames))
	add := func(sf *store.Function, fn *function, pc uint32) {
		fr := api.Frame{Module: sf.Instance.Name, FuncIndex: sf.Index, FuncName: sf.Name}
		if fn != nil && int(pc) < len(fn.offsets) {
			fr.Offset = uint64(fn.offsets[pc])
		}
		out = append(out, fr)
	}
	add(sf, fn, pc)
	for i := len(m.frames) - 1; i >= 0 && len(out) < maxFrames; i-- {
		f := &m.frames[i]
		add(f.sf, f.fn, f.pc-1)
	}
	return out
}

func (m *machine) interrupted(sf *store.Function, fn *function, pc uint32) *api.Trap {
	t := interruptTrap(m.ctx.Err())
	t.Frames = m.backtrace(sf, fn, pc)
	return t
}

// callHost calls host function f from WebAssembly; its params and
// results are the slots at args.
func (m *machine) callHost(f *store.Function, caller *store.Instance, args unsafe.Pointer) (err error) {
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
	}()
	return f.Host(m.hostCtx, caller.Handle, s)
}

// hostFailed adds the guest's backtrace to a trap a host function
// returned; other errors (an exit, the host's own) pass unchanged.
func (m *machine) hostFailed(err error, sf *store.Function, fn *function, pc uint32) error {
	if t, ok := err.(*api.Trap); ok && t.Frames == nil {
		t.Frames = append([]api.Frame{{Module: sf.Instance.Name, Host: true}}, m.backtrace(sf, fn, pc)...)
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

// run executes f (whose frame is at the bottom of the stack) until it
// returns or traps.
func (m *machine) run(sf *store.Function, fn *function) error {
	inst := sf.Instance
	if inst.Closed() {
		return m.trap(api.TrapModuleClosed, sf, fn, 0)
	}
	lin, memBase, memLen := memState(inst)
	fp := unsafe.Pointer(unsafe.SliceData(m.stack))
	code := unsafe.Pointer(unsafe.SliceData(fn.code))
	pc := uint32(0)
	var callee *store.Function

	for {
		in := (*instr)(unsafe.Add(code, uintptr(pc)*instrSize))
		pc++
		switch in.op {
		case opUnreachable:
			return m.trap(api.TrapUnreachable, sf, fn, pc-1)
		case opJmp:
			pc = in.a
			if atomic.LoadUint32(&m.interrupt) != 0 {
				return m.interrupted(sf, fn, pc)
			}
		case opBrTable:
			i := uint32(*sl(fp, in.b))
			if i > in.c {
				i = in.c
			}
			pc = (*instr)(unsafe.Add(code, uintptr(pc+i)*instrSize)).a
			if atomic.LoadUint32(&m.interrupt) != 0 {
				return m.interrupted(sf, fn, pc)
			}
		case opBrTableEntry:
			// Never executed: entries are data read by opBrTable.
			return m.trap(api.TrapInternal, sf, fn, pc-1)
		case opReturn:
			n := len(m.frames)
			if n == 0 {
				return nil
			}
			f := &m.frames[n-1]
			sf, fn, fp, pc = f.sf, f.fn, f.fp, f.pc
			m.frames = m.frames[:n-1]
			code = unsafe.Pointer(unsafe.SliceData(fn.code))
			if sf.Instance != inst {
				inst = sf.Instance
				lin, memBase, memLen = memState(inst)
			} else if lin != nil {
				memLen = uint64(len(lin.Bytes()))
			}
		case opCall:
			callee = inst.Funcs[in.b]
			goto call
		case opCallIndirect:
			t := inst.Tables[in.imm]
			i := uint32(*sl(fp, in.c))
			if i >= uint32(len(t.Funcs)) {
				return m.trap(api.TrapUndefinedElement, sf, fn, pc-1)
			}
			callee = t.Funcs[i]
			if callee == nil {
				return m.trap(api.TrapUninitializedElement, sf, fn, pc-1)
			}
			if callee.TypeID != inst.Types[in.b] {
				return m.trap(api.TrapIndirectCallTypeMismatch, sf, fn, pc-1)
			}
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
			*sl(fp, in.a) = inst.Globals[in.b].Val
		case opGlobalGet128:
			g := inst.Globals[in.b]
			*sl(fp, in.a), *sl(fp, in.a+1) = g.Val, g.Hi
		case opGlobalSet:
			inst.Globals[in.a].Val = *sl(fp, in.b)
		case opGlobalSet128:
			g := inst.Globals[in.a]
			g.Val, g.Hi = *sl(fp, in.b), *sl(fp, in.b+1)
		case opGlobalSetRef:
			inst.Globals[in.a].SetRef(*sl(fp, in.b))
		case opRefFunc:
			*sl(fp, in.a) = store.FuncRef(inst.Funcs[in.b])

		case opBrIfNez32:
			if uint32(*sl(fp, in.b)) != 0 {
				pc = in.a
				if atomic.LoadUint32(&m.interrupt) != 0 {
					return m.interrupted(sf, fn, pc)
				}
			}
		case opBrIfEqz32:
			if uint32(*sl(fp, in.b)) == 0 {
				pc = in.a
				if atomic.LoadUint32(&m.interrupt) != 0 {
					return m.interrupted(sf, fn, pc)
				}
			}
		case opBrIfNez64:
			if *sl(fp, in.b) != 0 {
				pc = in.a
				if atomic.LoadUint32(&m.interrupt) != 0 {
					return m.interrupted(sf, fn, pc)
				}
			}
		case opBrIfEqz64:
			if *sl(fp, in.b) == 0 {
				pc = in.a
				if atomic.LoadUint32(&m.interrupt) != 0 {
					return m.interrupted(sf, fn, pc)
				}
			}
		case opBrIfI32Eq, opBrIfI32Ne, opBrIfI32LtS, opBrIfI32LtU, opBrIfI32GtS, opBrIfI32GtU,
			opBrIfI32LeS, opBrIfI32LeU, opBrIfI32GeS, opBrIfI32GeU:
			if cmp32(in.op-opBrIfI32Eq, uint32(*sl(fp, in.b)), uint32(*sl(fp, in.c))) {
				pc = in.a
				if atomic.LoadUint32(&m.interrupt) != 0 {
					return m.interrupted(sf, fn, pc)
				}
			}
		case opBrIfI32EqI, opBrIfI32NeI, opBrIfI32LtSI, opBrIfI32LtUI, opBrIfI32GtSI, opBrIfI32GtUI,
			opBrIfI32LeSI, opBrIfI32LeUI, opBrIfI32GeSI, opBrIfI32GeUI:
			if cmp32(in.op-opBrIfI32EqI, uint32(*sl(fp, in.b)), uint32(in.imm)) {
				pc = in.a
				if atomic.LoadUint32(&m.interrupt) != 0 {
					return m.interrupted(sf, fn, pc)
				}
			}
		case opBrIfI64Eq, opBrIfI64Ne, opBrIfI64LtS, opBrIfI64LtU, opBrIfI64GtS, opBrIfI64GtU,
			opBrIfI64LeS, opBrIfI64LeU, opBrIfI64GeS, opBrIfI64GeU:
			if cmp64(in.op-opBrIfI64Eq, *sl(fp, in.b), *sl(fp, in.c)) {
				pc = in.a
				if atomic.LoadUint32(&m.interrupt) != 0 {
					return m.interrupted(sf, fn, pc)
				}
			}
		case opBrIfI64EqI, opBrIfI64NeI, opBrIfI64LtSI, opBrIfI64LtUI, opBrIfI64GtSI, opBrIfI64GtUI,
			opBrIfI64LeSI, opBrIfI64LeUI, opBrIfI64GeSI, opBrIfI64GeUI:
			if cmp64(in.op-opBrIfI64EqI, *sl(fp, in.b), in.imm) {
				pc = in.a
				if atomic.LoadUint32(&m.interrupt) != 0 {
					return m.interrupted(sf, fn, pc)
				}
			}

		case opI32Load:
			ea := uint64(uint32(*sl(fp, in.b))) + in.imm
			if ea+4 > memLen {
				return m.trap(api.TrapOutOfBoundsMemory, sf, fn, pc-1)
			}
			*sl(fp, in.a) = uint64(binary.LittleEndian.Uint32(mem4(memBase, ea)[:]))
		case opI64Load:
			ea := uint64(uint32(*sl(fp, in.b))) + in.imm
			if ea+8 > memLen {
				return m.trap(api.TrapOutOfBoundsMemory, sf, fn, pc-1)
			}
			*sl(fp, in.a) = binary.LittleEndian.Uint64(mem8(memBase, ea)[:])
		case opI32Load8S:
			ea := uint64(uint32(*sl(fp, in.b))) + in.imm
			if ea+1 > memLen {
				return m.trap(api.TrapOutOfBoundsMemory, sf, fn, pc-1)
			}
			*sl(fp, in.a) = uint64(uint32(int32(int8(*mem1(memBase, ea)))))
		case opI32Load8U, opI64Load8U:
			ea := uint64(uint32(*sl(fp, in.b))) + in.imm
			if ea+1 > memLen {
				return m.trap(api.TrapOutOfBoundsMemory, sf, fn, pc-1)
			}
			*sl(fp, in.a) = uint64(*mem1(memBase, ea))
		case opI32Load16S:
			ea := uint64(uint32(*sl(fp, in.b))) + in.imm
			if ea+2 > memLen {
				return m.trap(api.TrapOutOfBoundsMemory, sf, fn, pc-1)
			}
			*sl(fp, in.a) = uint64(uint32(int32(int16(binary.LittleEndian.Uint16(mem2(memBase, ea)[:])))))
		case opI32Load16U, opI64Load16U:
			ea := uint64(uint32(*sl(fp, in.b))) + in.imm
			if ea+2 > memLen {
				return m.trap(api.TrapOutOfBoundsMemory, sf, fn, pc-1)
			}
			*sl(fp, in.a) = uint64(binary.LittleEndian.Uint16(mem2(memBase, ea)[:]))
		case opI64Load8S:
			ea := uint64(uint32(*sl(fp, in.b))) + in.imm
			if ea+1 > memLen {
				return m.trap(api.TrapOutOfBoundsMemory, sf, fn, pc-1)
			}
			*sl(fp, in.a) = uint64(int64(int8(*mem1(memBase, ea))))
		case opI64Load16S:
			ea := uint64(uint32(*sl(fp, in.b))) + in.imm
			if ea+2 > memLen {
				return m.trap(api.TrapOutOfBoundsMemory, sf, fn, pc-1)
			}
			*sl(fp, in.a) = uint64(int64(int16(binary.LittleEndian.Uint16(mem2(memBase, ea)[:]))))
		case opI64Load32S:
			ea := uint64(uint32(*sl(fp, in.b))) + in.imm
			if ea+4 > memLen {
				return m.trap(api.TrapOutOfBoundsMemory, sf, fn, pc-1)
			}
			*sl(fp, in.a) = uint64(int64(int32(binary.LittleEndian.Uint32(mem4(memBase, ea)[:]))))
		case opI64Load32U:
			ea := uint64(uint32(*sl(fp, in.b))) + in.imm
			if ea+4 > memLen {
				return m.trap(api.TrapOutOfBoundsMemory, sf, fn, pc-1)
			}
			*sl(fp, in.a) = uint64(binary.LittleEndian.Uint32(mem4(memBase, ea)[:]))
		case opStore32:
			ea := uint64(uint32(*sl(fp, in.b))) + in.imm
			if ea+4 > memLen {
				return m.trap(api.TrapOutOfBoundsMemory, sf, fn, pc-1)
			}
			binary.LittleEndian.PutUint32(mem4(memBase, ea)[:], uint32(*sl(fp, in.c)))
		case opStore64:
			ea := uint64(uint32(*sl(fp, in.b))) + in.imm
			if ea+8 > memLen {
				return m.trap(api.TrapOutOfBoundsMemory, sf, fn, pc-1)
			}
			binary.LittleEndian.PutUint64(mem8(memBase, ea)[:], *sl(fp, in.c))
		case opStore8:
			ea := uint64(uint32(*sl(fp, in.b))) + in.imm
			if ea+1 > memLen {
				return m.trap(api.TrapOutOfBoundsMemory, sf, fn, pc-1)
			}
			*mem1(memBase, ea) = byte(*sl(fp, in.c))
		case opStore16:
			ea := uint64(uint32(*sl(fp, in.b))) + in.imm
			if ea+2 > memLen {
				return m.trap(api.TrapOutOfBoundsMemory, sf, fn, pc-1)
			}
			binary.LittleEndian.PutUint16(mem2(memBase, ea)[:], uint16(*sl(fp, in.c)))

		case opMemorySize:
			*sl(fp, in.a) = memLen / linmem.PageSize
		case opMemoryGrow:
			prev, ok := lin.Grow(uint32(*sl(fp, in.b)))
			if ok {
				*sl(fp, in.a) = uint64(prev)
				memLen = uint64(len(lin.Bytes()))
			} else {
				*sl(fp, in.a) = 0xffffffff
			}
		case opMemoryInit, opDataDrop, opMemoryCopy, opMemoryFill, opTableGet, opTableSet, opTableSize,
			opTableGrow, opTableFill, opTableCopy, opTableInit, opElemDrop:
			if kind := bulk(in, inst, fp, memBase, memLen); kind != 0 {
				return m.trap(kind, sf, fn, pc-1)
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
				return m.trap(api.TrapIntegerDivideByZero, sf, fn, pc-1)
			}
			if x == math.MinInt32 && y == -1 {
				return m.trap(api.TrapIntegerOverflow, sf, fn, pc-1)
			}
			*sl(fp, in.a) = uint64(uint32(x / y))
		case opI32DivU:
			x, y := uint32(*sl(fp, in.b)), uint32(*sl(fp, in.c))
			if y == 0 {
				return m.trap(api.TrapIntegerDivideByZero, sf, fn, pc-1)
			}
			*sl(fp, in.a) = uint64(x / y)
		case opI32RemS:
			x, y := int32(*sl(fp, in.b)), int32(*sl(fp, in.c))
			if y == 0 {
				return m.trap(api.TrapIntegerDivideByZero, sf, fn, pc-1)
			}
			if y == -1 {
				*sl(fp, in.a) = 0
			} else {
				*sl(fp, in.a) = uint64(uint32(x % y))
			}
		case opI32RemU:
			x, y := uint32(*sl(fp, in.b)), uint32(*sl(fp, in.c))
			if y == 0 {
				return m.trap(api.TrapIntegerDivideByZero, sf, fn, pc-1)
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
		case opI32Eq, opI32Ne, opI32LtS, opI32LtU, opI32GtS, opI32GtU, opI32LeS, opI32LeU, opI32GeS, opI32GeU:
			*sl(fp, in.a) = b2u(cmp32(in.op-opI32Eq, uint32(*sl(fp, in.b)), uint32(*sl(fp, in.c))))
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
		case opI32ShrUI:
			*sl(fp, in.a) = uint64(uint32(*sl(fp, in.b)) >> (in.imm & 31))
		case opI32EqI, opI32NeI, opI32LtSI, opI32LtUI, opI32GtSI, opI32GtUI, opI32LeSI, opI32LeUI, opI32GeSI, opI32GeUI:
			*sl(fp, in.a) = b2u(cmp32(in.op-opI32EqI, uint32(*sl(fp, in.b)), uint32(in.imm)))

		case opI64Add:
			*sl(fp, in.a) = *sl(fp, in.b) + *sl(fp, in.c)
		case opI64Sub:
			*sl(fp, in.a) = *sl(fp, in.b) - *sl(fp, in.c)
		case opI64Mul:
			*sl(fp, in.a) = *sl(fp, in.b) * *sl(fp, in.c)
		case opI64DivS:
			x, y := int64(*sl(fp, in.b)), int64(*sl(fp, in.c))
			if y == 0 {
				return m.trap(api.TrapIntegerDivideByZero, sf, fn, pc-1)
			}
			if x == math.MinInt64 && y == -1 {
				return m.trap(api.TrapIntegerOverflow, sf, fn, pc-1)
			}
			*sl(fp, in.a) = uint64(x / y)
		case opI64DivU:
			x, y := *sl(fp, in.b), *sl(fp, in.c)
			if y == 0 {
				return m.trap(api.TrapIntegerDivideByZero, sf, fn, pc-1)
			}
			*sl(fp, in.a) = x / y
		case opI64RemS:
			x, y := int64(*sl(fp, in.b)), int64(*sl(fp, in.c))
			if y == 0 {
				return m.trap(api.TrapIntegerDivideByZero, sf, fn, pc-1)
			}
			if y == -1 {
				*sl(fp, in.a) = 0
			} else {
				*sl(fp, in.a) = uint64(x % y)
			}
		case opI64RemU:
			x, y := *sl(fp, in.b), *sl(fp, in.c)
			if y == 0 {
				return m.trap(api.TrapIntegerDivideByZero, sf, fn, pc-1)
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
		case opI64Eq, opI64Ne, opI64LtS, opI64LtU, opI64GtS, opI64GtU, opI64LeS, opI64LeU, opI64GeS, opI64GeU:
			*sl(fp, in.a) = b2u(cmp64(in.op-opI64Eq, *sl(fp, in.b), *sl(fp, in.c)))
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
		case opI64ShrUI:
			*sl(fp, in.a) = *sl(fp, in.b) >> (in.imm & 63)
		case opI64EqI, opI64NeI, opI64LtSI, opI64LtUI, opI64GtSI, opI64GtUI, opI64LeSI, opI64LeUI, opI64GeSI, opI64GeUI:
			*sl(fp, in.a) = b2u(cmp64(in.op-opI64EqI, *sl(fp, in.b), in.imm))

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
				return m.trap(api.TrapInvalidConversion, sf, fn, pc-1)
			}
			if ovf {
				return m.trap(api.TrapIntegerOverflow, sf, fn, pc-1)
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
				if kind := simd(in, fn, fp, memBase, memLen); kind != 0 {
					return m.trap(kind, sf, fn, pc-1)
				}
				continue
			}
			return m.trap(api.TrapInternal, sf, fn, pc-1)
		}
		continue

	call:
		{
			if callee.Host != nil {
				if err := m.callHost(callee, inst, unsafe.Add(fp, uintptr(in.a)<<3)); err != nil {
					return m.hostFailed(err, sf, fn, pc-1)
				}
				if inst.Closed() {
					return m.trap(api.TrapModuleClosed, sf, fn, pc-1)
				}
				if lin != nil {
					memLen = uint64(len(lin.Bytes()))
				}
				continue
			}
			cf, ok := callee.Code.(*function)
			if !ok {
				return m.trap(api.TrapInternal, sf, fn, pc-1)
			}
			newFP := unsafe.Add(fp, uintptr(in.a)<<3)
			if uintptr(newFP)+uintptr(cf.frameSlots)<<3 > m.stackEnd || len(m.frames) >= m.maxDepth {
				if newFP, fp, ok = m.grow(newFP, fp, cf.frameSlots); !ok {
					return m.trap(api.TrapCallStackExhausted, sf, fn, pc-1)
				}
			}
			m.frames = append(m.frames, frame{sf: sf, fn: fn, fp: fp, pc: pc})
			fp = newFP
			if n := cf.localSlots; n > 0 {
				clear(unsafe.Slice(sl(fp, cf.paramSlots), n))
			}
			sf, fn = callee, cf
			code = unsafe.Pointer(unsafe.SliceData(cf.code))
			pc = 0
			if callee.Instance != inst {
				inst = callee.Instance
				if inst.Closed() {
					return m.trap(api.TrapModuleClosed, sf, fn, 0)
				}
				lin, memBase, memLen = memState(inst)
			}
			if atomic.LoadUint32(&m.interrupt) != 0 {
				return m.interrupted(sf, fn, 0)
			}
		}
	}
}

// cmp32 evaluates the k-th comparison of the order eq, ne, lt_s, lt_u,
// gt_s, gt_u, le_s, le_u, ge_s, ge_u (the order of the opcodes).
func cmp32(k opcode, x, y uint32) bool {
	switch k {
	case 0:
		return x == y
	case 1:
		return x != y
	case 2:
		return int32(x) < int32(y)
	case 3:
		return x < y
	case 4:
		return int32(x) > int32(y)
	case 5:
		return x > y
	case 6:
		return int32(x) <= int32(y)
	case 7:
		return x <= y
	case 8:
		return int32(x) >= int32(y)
	}
	return x >= y
}

func cmp64(k opcode, x, y uint64) bool {
	switch k {
	case 0:
		return x == y
	case 1:
		return x != y
	case 2:
		return int64(x) < int64(y)
	case 3:
		return x < y
	case 4:
		return int64(x) > int64(y)
	case 5:
		return x > y
	case 6:
		return int64(x) <= int64(y)
	case 7:
		return x <= y
	case 8:
		return int64(x) >= int64(y)
	}
	return x >= y
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
		for i := range b {
			b[i] = v
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
