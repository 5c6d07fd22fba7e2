package interp

import (
	"context"
	"testing"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/leb128"
	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
	"github.com/wasmvisor/wasmvisor/internal/wasm/validate"
)

// A tiny assembler for test function bodies.

func code(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return append(out, byte(wasm.OpEnd))
}

func op(o wasm.Opcode) []byte {
	if o > 0xff {
		return leb128.AppendUint32([]byte{byte(o >> 8)}, uint32(o&0xff))
	}
	return []byte{byte(o)}
}

func idx(o wasm.Opcode, i uint32) []byte { return leb128.AppendUint32(op(o), i) }
func i32c(v int32) []byte                { return leb128.AppendInt64(op(wasm.OpI32Const), int64(v)) }
func i64c(v int64) []byte                { return leb128.AppendInt64(op(wasm.OpI64Const), v) }
func lget(i uint32) []byte               { return idx(wasm.OpLocalGet, i) }
func lset(i uint32) []byte               { return idx(wasm.OpLocalSet, i) }
func ltee(i uint32) []byte               { return idx(wasm.OpLocalTee, i) }
func call(i uint32) []byte               { return idx(wasm.OpCall, i) }
func br(d uint32) []byte                 { return idx(wasm.OpBr, d) }
func brIf(d uint32) []byte               { return idx(wasm.OpBrIf, d) }
func block(bt byte) []byte               { return []byte{byte(wasm.OpBlock), bt} }
func loop(bt byte) []byte                { return []byte{byte(wasm.OpLoop), bt} }
func iff(bt byte) []byte                 { return []byte{byte(wasm.OpIf), bt} }
func mem(o wasm.Opcode, off uint32) []byte {
	return leb128.AppendUint32(append(op(o), 0), off)
}

var (
	end   = op(wasm.OpEnd)
	els   = op(wasm.OpElse)
	empty = byte(0x40)
	ti32  = byte(wasm.ValueTypeI32)
	ti64  = byte(wasm.ValueTypeI64)
)

func vt(ts ...wasm.ValueType) []wasm.ValueType { return ts }

var (
	i32 = wasm.ValueTypeI32
	i64 = wasm.ValueTypeI64
)

// fn is a function of a test module.
type fn struct {
	name    string // export name; "" for none
	params  []wasm.ValueType
	results []wasm.ValueType
	locals  []wasm.LocalGroup
	body    []byte
}

// module builds a valid module of funcs, with one page of memory when
// withMemory is set.
func module(t testing.TB, withMemory bool, funcs ...fn) *wasm.Module {
	t.Helper()
	m := &wasm.Module{}
	for i, f := range funcs {
		m.Types = append(m.Types, wasm.FuncType{Params: f.params, Results: f.results})
		m.Funcs = append(m.Funcs, uint32(i))
		var n uint64
		for _, g := range f.locals {
			n += uint64(g.Count)
		}
		m.Codes = append(m.Codes, wasm.Code{Locals: f.locals, NumLocals: n, Body: f.body})
		if f.name != "" {
			m.Exports = append(m.Exports, wasm.Export{Name: f.name, Kind: wasm.ExternFunc, Index: uint32(i)})
		}
	}
	if withMemory {
		m.Memories = []wasm.MemoryType{{Limits: wasm.Limits{Min: 1, Max: 2, HasMax: true}}}
	}
	m.IndexImports()
	if err := validate.Module(m, nil); err != nil {
		t.Fatalf("test module is invalid: %v", err)
	}
	return m
}

// instance compiles and instantiates m with engine e.
func instance(t testing.TB, e *Engine, s *store.Store, m *wasm.Module) *store.Instance {
	t.Helper()
	codes, err := e.Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := s.Instantiate(m, "test", codes.Codes(), store.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close() })
	return inst
}

// invoke calls the export name of inst.
func invoke(ctx context.Context, e *Engine, inst *store.Instance, name string, args ...uint64) ([]uint64, error) {
	f := inst.Funcs[inst.Exports[name].Index]
	stack := make([]uint64, max(f.ParamSlots, f.ResultSlots))
	copy(stack, args)
	if err := e.Call(ctx, f, stack); err != nil {
		return nil, err
	}
	return stack[:f.ResultSlots], nil
}

func trapKind(err error) api.TrapKind {
	if t, ok := err.(*api.Trap); ok {
		return t.Kind
	}
	return 0
}
