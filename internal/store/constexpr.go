package store

import (
	"encoding/binary"
	"fmt"

	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// value is the result of a constant expression.
type value struct {
	lo, hi uint64
	ref    *Function // the referenced function of a funcref value
}

// evalConst evaluates an initializer: one constant instruction (t.const,
// ref.null, ref.func or global.get) followed by end, as validation
// guarantees. Anything else is reported, not assumed.
// See https://www.w3.org/TR/wasm-core-2/#constant-expressions%E2%91%A0
func (inst *Instance) evalConst(e wasm.ConstExpr) (value, error) {
	r := wasm.NewReader(e.Code, e.Offset)
	var in wasm.Instr
	if err := r.Next(&in); err != nil {
		return value{}, err
	}
	var v value
	switch in.Op {
	case wasm.OpI32Const, wasm.OpI64Const, wasm.OpF32Const, wasm.OpF64Const:
		v.lo = in.Value
	case wasm.OpV128Const:
		v.lo = binary.LittleEndian.Uint64(in.V128[:8])
		v.hi = binary.LittleEndian.Uint64(in.V128[8:])
	case wasm.OpRefNull:
	case wasm.OpRefFunc:
		if in.Index >= uint32(len(inst.Funcs)) {
			return value{}, fmt.Errorf("initializer at offset 0x%x: unknown function %d", e.Offset, in.Index)
		}
		v.ref = inst.Funcs[in.Index]
		v.lo = FuncRef(v.ref)
	case wasm.OpGlobalGet:
		if in.Index >= uint32(len(inst.Globals)) || inst.Globals[in.Index] == nil {
			return value{}, fmt.Errorf("initializer at offset 0x%x: unknown global %d", e.Offset, in.Index)
		}
		g := inst.Globals[in.Index]
		v = value{lo: g.Val, hi: g.Hi, ref: g.Ref}
	default:
		return value{}, fmt.Errorf("initializer at offset 0x%x: %s is not a constant instruction", e.Offset, in.Op)
	}
	if err := r.Next(&in); err != nil {
		return value{}, err
	}
	if in.Op != wasm.OpEnd {
		return value{}, fmt.Errorf("initializer at offset 0x%x: more than one instruction", e.Offset)
	}
	return v, nil
}
