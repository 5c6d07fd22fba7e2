package interp

import (
	"sync"
	"unsafe"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/engine/ir"
	"github.com/wasmvisor/wasmvisor/internal/store"
)

// Step executes one instruction that does not transfer control
// (!ir.IsControl(in.Op)) on the frame at fp, whose slot i is the 8 bytes
// at fp+8*i, and returns 0 or the kind of trap it raised. It is how code
// that runs the slot form by other means (the compiler tier) hands an
// instruction it does not implement back to the interpreter.
//
// The instruction runs as the interpreter runs it, in inst: memory 0 of
// inst (its current base and length, read from inst.Memories[0].Lin),
// and inst's tables, globals, functions, data and element segments.
// shuffles are the lane immediates of i8x16.shuffle instructions, the
// Shuffles of the function in belongs to. Every scalar and SIMD
// instruction is covered, unreachable (which returns
// api.TrapUnreachable) and the memory, table, bulk memory, reference and
// global ones included. A control instruction returns api.TrapInternal,
// as does a panic (a malformed instruction).
//
// memory.grow may change the length of memory 0 (never its base), so a
// caller that keeps the length elsewhere reloads it afterwards. The
// function references an instruction writes into slots (ref.func,
// table.get, global.get) are not kept alive by Step: as with the
// interpreter's own frames, the caller keeps their instances reachable
// for as long as the values may be used.
//
// Step does not allocate unless the instruction traps or itself
// allocates (memory.grow, table.grow).
func Step(in *ir.Instr, inst *store.Instance, fp unsafe.Pointer, shuffles [][16]byte) (kind api.TrapKind) {
	if ir.IsControl(in.Op) {
		return api.TrapInternal
	}
	s := steppers.Get().(*stepper)
	defer s.release()
	defer func() {
		if r := recover(); r != nil {
			kind = api.TrapInternal
		}
	}()
	s.fn.Code[0] = *in
	s.fn.Shuffles = shuffles
	m := &s.m
	m.enter(inst, &s.fn)
	m.entryFP = fp
	err := m.run()
	if err == nil {
		return 0
	}
	if t, ok := err.(*api.Trap); ok {
		return t.Kind
	}
	return api.TrapInternal
}

// stepper is a machine whose function is the instruction Step runs
// followed by a return, which ends the run as the outermost frame's
// return does.
type stepper struct {
	m    machine
	fn   ir.Func
	code [2]ir.Instr
}

var steppers = sync.Pool{New: func() any {
	s := &stepper{}
	s.code[1] = ir.Instr{Op: ir.OpReturn}
	s.fn.Code = s.code[:]
	s.fn.Offsets = make([]uint32, len(s.code))
	// enter reads the module's functions; a step never calls any.
	s.fn.Module = &ir.Module{}
	return s
}}

// release drops what the step referred to and returns s to the pool.
func (s *stepper) release() {
	s.fn.Shuffles = nil
	m := &s.m
	m.fn, m.inst, m.fns, m.lin, m.memBase, m.memLen = nil, nil, nil, nil, nil, 0
	m.entryFP = nil
	clear(m.anchors)
	m.anchors = m.anchors[:0]
	steppers.Put(s)
}
