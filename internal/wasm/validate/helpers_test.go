package validate

import (
	"errors"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// Shorthands for building modules by hand in tests.
const (
	i32       = wasm.ValueTypeI32
	i64       = wasm.ValueTypeI64
	f32       = wasm.ValueTypeF32
	f64       = wasm.ValueTypeF64
	v128      = wasm.ValueTypeV128
	funcref   = wasm.ValueTypeFuncref
	externref = wasm.ValueTypeExternref
)

func vt(ts ...wasm.ValueType) []wasm.ValueType { return ts }

// sig returns a function type.
func sig(params, results []wasm.ValueType) wasm.FuncType {
	return wasm.FuncType{Params: params, Results: results}
}

// addFunc appends a module-defined function of type ft (added to the type
// section) with the given locals and body, and returns its index. Bodies
// get distinct fake module offsets so that error offsets can be checked.
func addFunc(m *wasm.Module, ft wasm.FuncType, locals []wasm.LocalGroup, body ...byte) uint32 {
	m.Types = append(m.Types, ft)
	m.Funcs = append(m.Funcs, uint32(len(m.Types)-1))
	var n uint64
	for _, g := range locals {
		n += uint64(g.Count)
	}
	m.Codes = append(m.Codes, wasm.Code{
		Locals: locals, NumLocals: n, Body: body,
		BodyOffset: 0x100 * uint64(len(m.Codes)+1),
	})
	return m.NumFuncs() - 1
}

// module returns a module with one function of type ft holding body.
func module(ft wasm.FuncType, body ...byte) *wasm.Module {
	m := &wasm.Module{}
	addFunc(m, ft, nil, body...)
	return m
}

// constExpr returns a constant expression holding code (END appended).
func constExpr(code ...byte) wasm.ConstExpr {
	return wasm.ConstExpr{Code: append(code, byte(wasm.OpEnd)), Offset: 0x40}
}

func withMemory(m *wasm.Module) *wasm.Module {
	m.Memories = append(m.Memories, wasm.MemoryType{Limits: wasm.Limits{Min: 1}})
	return m
}

func withTable(m *wasm.Module, t wasm.ValueType) *wasm.Module {
	m.Tables = append(m.Tables, wasm.TableType{ElemType: t, Limits: wasm.Limits{Min: 1}})
	return m
}

func withImports(m *wasm.Module, imps ...wasm.Import) *wasm.Module {
	m.Imports = append(m.Imports, imps...)
	m.IndexImports()
	return m
}

// errKind names the type of an error for test tables.
type errKind int

const (
	valid errKind = iota
	invalid
	malformed
	policy
)

func (k errKind) String() string {
	return [...]string{"valid", "invalid (*Error)", "malformed (*wasm.FormatError)", "policy (*PolicyError)"}[k]
}

func kindOf(err error) errKind {
	var (
		e  *Error
		fe *wasm.FormatError
		pe *PolicyError
	)
	switch {
	case err == nil:
		return valid
	case errors.As(err, &e):
		return invalid
	case errors.As(err, &fe):
		return malformed
	case errors.As(err, &pe):
		return policy
	}
	return -1
}

// checkErr fails t unless err is of kind want and contains text.
func checkErr(t *testing.T, err error, want errKind, text string) {
	t.Helper()
	if got := kindOf(err); got != want {
		t.Fatalf("got %v error %v, want %v", got, err, want)
	}
	if err != nil && !strings.Contains(err.Error(), text) {
		t.Fatalf("error %q does not contain %q", err, text)
	}
}

// leb encodes n as unsigned LEB128.
func leb(n uint64) []byte {
	var b []byte
	for {
		c := byte(n & 0x7f)
		n >>= 7
		if n == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// cat concatenates byte pieces of a body.
func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// op encodes an opcode, with its prefix for 0xFC and 0xFD instructions.
func op(o wasm.Opcode) []byte {
	if o > 0xff {
		return append([]byte{byte(o >> 8)}, leb(uint64(o&0xff))...)
	}
	return []byte{byte(o)}
}

// ops encodes several immediate-less instructions.
func ops(os ...wasm.Opcode) []byte {
	var b []byte
	for _, o := range os {
		b = append(b, op(o)...)
	}
	return b
}

// opi encodes an instruction with unsigned LEB128 immediates.
func opi(o wasm.Opcode, imms ...uint64) []byte {
	b := op(o)
	for _, n := range imms {
		b = append(b, leb(n)...)
	}
	return b
}

func i32c(v int8) []byte { return []byte{byte(wasm.OpI32Const), byte(v) & 0x7f} }
func i64c(v int8) []byte { return []byte{byte(wasm.OpI64Const), byte(v) & 0x7f} }
func f32c() []byte       { return []byte{byte(wasm.OpF32Const), 0, 0, 0, 0} }
func f64c() []byte       { return []byte{byte(wasm.OpF64Const), 0, 0, 0, 0, 0, 0, 0, 0} }
func v128c() []byte      { return append(op(wasm.OpV128Const), make([]byte, 16)...) }

var end = []byte{byte(wasm.OpEnd)}
