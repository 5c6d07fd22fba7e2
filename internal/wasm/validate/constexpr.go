package validate

import (
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// constExpr validates e as a constant expression of type want.
//
// In 2.0 a constant expression is a sequence of t.const, v128.const,
// ref.null, ref.func and global.get of an immutable global, and it may only
// see imported globals: initializers run before the module's own globals
// exist. See https://www.w3.org/TR/wasm-core-2/#valid-constant
// and the context C′ of https://www.w3.org/TR/wasm-core-2/#valid-module.
func (v *validator) constExpr(e *wasm.ConstExpr, want wasm.ValueType) error {
	m := v.m
	v.r.Reset(e.Code, e.Offset)
	stack := v.vals[:0]
	defer func() { v.vals = stack[:0] }()
	for {
		if v.r.EOF() {
			return &wasm.FormatError{Offset: e.Offset + uint64(len(e.Code)),
				Msg: "unexpected end of section or function: constant expression without END opcode"}
		}
		if err := v.r.Next(&v.in); err != nil {
			return err
		}
		var t wasm.ValueType
		switch op := v.in.Op; op {
		case wasm.OpI32Const, wasm.OpI64Const, wasm.OpF32Const, wasm.OpF64Const:
			t = op.Signature().Results[0]
		case wasm.OpV128Const:
			if !v.p.Enabled(SIMD) {
				return v.p.featureError(v.loc(true), SIMD, "v128.const")
			}
			t = wasm.ValueTypeV128
		case wasm.OpRefNull:
			if !v.p.Enabled(ReferenceTypes) {
				return v.p.featureError(v.loc(true), ReferenceTypes, "ref.null")
			}
			t = v.in.RefType
		case wasm.OpRefFunc:
			if v.in.Index >= m.NumFuncs() {
				return v.errorf("unknown function %d", v.in.Index)
			}
			v.declare(v.in.Index)
			t = wasm.ValueTypeFuncref
		case wasm.OpGlobalGet:
			if v.in.Index >= uint32(len(m.ImportedGlobals)) {
				return v.errorf("unknown global %d", v.in.Index)
			}
			gt := m.ImportedGlobals[v.in.Index]
			if gt.Mutable {
				return v.errorf("constant expression required: global %d is mutable", v.in.Index)
			}
			t = gt.ValType
		case wasm.OpEnd:
			if !v.r.EOF() {
				return &wasm.FormatError{Offset: v.r.Base + uint64(v.r.Pos()),
					Msg: "section size mismatch: bytes after the END opcode of a constant expression"}
			}
			if len(stack) != 1 || stack[0] != want {
				return v.errorf("type mismatch: constant expression must produce one %s, got %s", want, typeList(stack))
			}
			return nil
		default:
			return v.errorf("constant expression required: %s is not a constant instruction", op)
		}
		stack = append(stack, t)
	}
}

// typeList formats types as in the spec: "[i32 f64]".
func typeList(ts []wasm.ValueType) string {
	s := "["
	for i, t := range ts {
		if i > 0 {
			s += " "
		}
		if t == unknown {
			s += "?"
		} else {
			s += t.String()
		}
	}
	return s + "]"
}
