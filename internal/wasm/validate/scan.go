package validate

import (
	"fmt"

	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// The malformations below are found while walking instructions, by the
// validator and by firstMalformation alike; they are *wasm.FormatError
// because the spec's binary grammar, not its validation rules, excludes
// them. See https://www.w3.org/TR/wasm-core-2/#binary-expr

// errMissingEnd: the body ended before the END opcode of the function.
// A spec decoder reading on past the body meets either the end of the
// binary or the next function's bytes, so the message names both.
func errMissingEnd(r *wasm.Reader) error {
	return &wasm.FormatError{Offset: r.Base + uint64(r.Len()),
		Msg: "unexpected end of section or function: END opcode expected at the end of the function body"}
}

// errTrailing: bytes follow the END opcode of the function.
func errTrailing(r *wasm.Reader) error {
	return &wasm.FormatError{Offset: r.Base + uint64(r.Pos()),
		Msg: fmt.Sprintf("section size mismatch: %d bytes after the END opcode of the function body", r.Len()-r.Pos())}
}

// errElse: else outside an if, or a second else.
func errElse(r *wasm.Reader, in *wasm.Instr) error {
	return &wasm.FormatError{Offset: r.Base + uint64(in.Pos), Msg: "END opcode expected: else without a matching if"}
}

// errDataCount: memory.init or data.drop in a module without a data
// count section.
func errDataCount(r *wasm.Reader, in *wasm.Instr) error {
	return &wasm.FormatError{Offset: r.Base + uint64(in.Pos),
		Msg: fmt.Sprintf("data count section required for %s", in.Op)}
}

// firstMalformation reads every constant expression and function body for
// structure only, and returns the first malformation in binary order, or
// nil. It runs only when validation failed, to give malformations the
// precedence a spec decoder gives them.
func (v *validator) firstMalformation() error {
	m := v.m
	for i := range m.Globals {
		if err := v.scanConstExpr(&m.Globals[i].Init); err != nil {
			return err
		}
	}
	for i := range m.Elems {
		e := &m.Elems[i]
		if e.Mode == wasm.SegmentActive {
			if err := v.scanConstExpr(&e.Offset); err != nil {
				return err
			}
		}
		for j := range e.Exprs {
			if err := v.scanConstExpr(&e.Exprs[j]); err != nil {
				return err
			}
		}
	}
	for i := range m.Codes {
		if err := v.scanBody(&m.Codes[i]); err != nil {
			return err
		}
	}
	for i := range m.Datas {
		if d := &m.Datas[i]; d.Mode == wasm.SegmentActive {
			if err := v.scanConstExpr(&d.Offset); err != nil {
				return err
			}
		}
	}
	return nil
}

func (v *validator) scanConstExpr(e *wasm.ConstExpr) error {
	v.r.Reset(e.Code, e.Offset)
	for !v.r.EOF() {
		if err := v.r.Next(&v.in); err != nil {
			return err
		}
		if v.in.Op == wasm.OpEnd {
			return nil
		}
	}
	return nil // a missing end is reported by validation, which reads the same bytes
}

func (v *validator) scanBody(c *wasm.Code) error {
	r := &v.r
	r.Reset(c.Body, c.BodyOffset)
	v.kinds = append(v.kinds[:0], wasm.OpBlock)
	for len(v.kinds) > 0 {
		if r.EOF() {
			return errMissingEnd(r)
		}
		if err := r.Next(&v.in); err != nil {
			return err
		}
		switch op := v.in.Op; op {
		case wasm.OpBlock, wasm.OpLoop, wasm.OpIf:
			v.kinds = append(v.kinds, op)
		case wasm.OpElse:
			if v.kinds[len(v.kinds)-1] != wasm.OpIf {
				return errElse(r, &v.in)
			}
			v.kinds[len(v.kinds)-1] = wasm.OpElse
		case wasm.OpEnd:
			v.kinds = v.kinds[:len(v.kinds)-1]
		case wasm.OpMemoryInit, wasm.OpDataDrop:
			if !v.m.HasDataCount {
				return errDataCount(r, &v.in)
			}
		}
	}
	if !r.EOF() {
		return errTrailing(r)
	}
	return nil
}
