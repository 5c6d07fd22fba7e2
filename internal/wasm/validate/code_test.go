package validate

import (
	"errors"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// Block type immediates.
const (
	bEmpty = 0x40
	bI32   = 0x7f
	bI64   = 0x7e
)

func TestModule_Instructions(t *testing.T) {
	none := sig(nil, nil)
	toI32 := sig(nil, vt(i32))
	// m2 has two types besides the function's own: (i32 i32)->(i32) at 1
	// and (i32)->(i64) at 2, for multi-value block types.
	m2 := func(ft wasm.FuncType, body ...byte) *wasm.Module {
		m := module(ft, body...)
		m.Types = append(m.Types, sig(vt(i32, i32), vt(i32)), sig(vt(i32), vt(i64)), sig(vt(i32), vt(i32)))
		return m
	}
	mem := func(ft wasm.FuncType, body ...byte) *wasm.Module { return withMemory(module(ft, body...)) }
	// declared has function 0 declared by an export, so ref.func 0 is valid.
	declared := func(body ...byte) *wasm.Module {
		m := module(sig(nil, vt(funcref)), body...)
		m.Exports = []wasm.Export{{Name: "f", Kind: wasm.ExternFunc, Index: 0}}
		return m
	}
	tests := []struct {
		name string
		m    *wasm.Module
		want errKind
		text string
	}{
		{"empty body", module(none, end...), valid, ""},
		{"i32.add", module(toI32, cat(i32c(1), i32c(2), op(wasm.OpI32Add), end)...), valid, ""},
		{"operand type", module(toI32, cat(f64c(), i32c(2), op(wasm.OpI32Add), end)...), invalid,
			"type mismatch: expected i32, got f64"},
		{"operand missing", module(toI32, cat(i32c(2), op(wasm.OpI32Add), end)...), invalid,
			"type mismatch: expected i32, but the stack is empty"},
		{"missing result", module(toI32, end...), invalid, "type mismatch"},
		{"extra value at end", module(none, cat(i32c(1), end)...), invalid,
			"type mismatch: function leaves 1 extra value on the stack"},
		{"result type", module(toI32, cat(i64c(1), end)...), invalid, "type mismatch: expected i32, got i64"},
		{"drop empty", module(none, cat(op(wasm.OpDrop), end)...), invalid, "type mismatch"},

		// Locals and globals.
		{"local.get param", module(sig(vt(i64), vt(i64)), cat(opi(wasm.OpLocalGet, 0), end)...), valid, ""},
		{"unknown local", module(sig(vt(i64), nil), cat(opi(wasm.OpLocalGet, 2), op(wasm.OpDrop), end)...), invalid, "unknown local 2"},
		{"local.set type", module(sig(vt(i64), nil), cat(f32c(), opi(wasm.OpLocalSet, 0), end)...), invalid, "type mismatch"},
		{"local.tee", module(sig(vt(i32), vt(i32)), cat(i32c(1), opi(wasm.OpLocalTee, 0), end)...), valid, ""},
		{"unknown global", module(none, cat(opi(wasm.OpGlobalGet, 1), op(wasm.OpDrop), end)...), invalid, "unknown global 1"},
		{"global is immutable", func() *wasm.Module {
			m := module(none, cat(i32c(1), opi(wasm.OpGlobalSet, 0), end)...)
			m.Globals = []wasm.Global{{Type: wasm.GlobalType{ValType: i32}, Init: constExpr(i32c(0)...)}}
			return m
		}(), invalid, "global is immutable"},
		{"global.set mutable", func() *wasm.Module {
			m := module(none, cat(i32c(1), opi(wasm.OpGlobalSet, 0), end)...)
			m.Globals = []wasm.Global{{Type: wasm.GlobalType{ValType: i32, Mutable: true}, Init: constExpr(i32c(0)...)}}
			return m
		}(), valid, ""},

		// Blocks and branches.
		{"block result", module(toI32, cat([]byte{byte(wasm.OpBlock), bI32}, i32c(1), end, end)...), valid, ""},
		{"block result missing", module(toI32, cat([]byte{byte(wasm.OpBlock), bI32}, end, end)...), invalid, "type mismatch"},
		{"block cannot see outer operands", module(toI32, cat(i32c(1), []byte{byte(wasm.OpBlock), bI32}, end, end)...), invalid,
			"type mismatch: expected i32, but the stack is empty"},
		{"multi-value block", m2(toI32, cat(i32c(1), i32c(2), []byte{byte(wasm.OpBlock), 1}, op(wasm.OpI32Add), end, end)...), valid, ""},
		{"block param missing", m2(toI32, cat(i32c(1), []byte{byte(wasm.OpBlock), 1}, op(wasm.OpI32Add), end, end)...), invalid, "type mismatch"},
		{"unknown block type", module(none, cat([]byte{byte(wasm.OpBlock), 9}, end, end)...), invalid, "unknown type 9"},
		{"loop label takes params", m2(toI32, cat(i32c(1), i32c(2), []byte{byte(wasm.OpLoop), 1},
			op(wasm.OpI32Add), i32c(0), opi(wasm.OpBrIf, 0), end, end)...), invalid, "type mismatch"},
		{"if else", module(toI32, cat(i32c(1), []byte{byte(wasm.OpIf), bI32}, i32c(1), op(wasm.OpElse), i32c(2), end, end)...), valid, ""},
		{"if condition", module(none, cat(i64c(1), []byte{byte(wasm.OpIf), bEmpty}, end, end)...), invalid, "type mismatch: expected i32, got i64"},
		{"if without else, result", module(toI32, cat(i32c(1), []byte{byte(wasm.OpIf), bI32}, i32c(1), end, end)...), invalid,
			"type mismatch: if without else"},
		{"if without else, same params and results", m2(toI32, cat(i32c(5), i32c(1), []byte{byte(wasm.OpIf), 3}, end, end)...), valid, ""},
		{"if without else, params differ from results", m2(sig(nil, vt(i64)), cat(i32c(5), i32c(1), []byte{byte(wasm.OpIf), 2},
			op(wasm.OpI64ExtendI32S), end, end)...), invalid, "type mismatch: if without else"},
		{"else branch type", module(toI32, cat(i32c(1), []byte{byte(wasm.OpIf), bI32}, i32c(1), op(wasm.OpElse), i64c(2), end, end)...), invalid,
			"type mismatch"},
		{"br to function", module(toI32, cat(i32c(1), opi(wasm.OpBr, 0), end)...), valid, ""},
		{"br value type", module(toI32, cat(i64c(1), opi(wasm.OpBr, 0), end)...), invalid, "type mismatch"},
		{"unknown label", module(none, cat(opi(wasm.OpBr, 1), end)...), invalid, "unknown label 1"},
		{"br_if", module(toI32, cat(i32c(7), i32c(1), opi(wasm.OpBrIf, 0), end)...), valid, ""},
		{"br_if condition", module(none, cat(f32c(), opi(wasm.OpBrIf, 0), end)...), invalid, "type mismatch"},
		{"br_table", module(none, cat([]byte{byte(wasm.OpBlock), bEmpty}, i32c(0), opi(wasm.OpBrTable, 2, 0, 1, 0), end, end)...), valid, ""},
		{"br_table arity", module(toI32, cat([]byte{byte(wasm.OpBlock), bEmpty}, i32c(1), i32c(0),
			opi(wasm.OpBrTable, 1, 0, 1), end, i32c(1), end)...), invalid, "type mismatch: br_table target"},
		{"br_table unknown label", module(none, cat(i32c(0), opi(wasm.OpBrTable, 1, 5, 0), end)...), invalid, "unknown label 5"},
		// The operands of a br_table in dead code are bottom types, which
		// match the labels of both targets.
		{"br_table polymorphic, two types", module(none, cat([]byte{byte(wasm.OpBlock), bI32}, []byte{byte(wasm.OpBlock), bI64},
			op(wasm.OpUnreachable), opi(wasm.OpBrTable, 1, 0, 1), end, op(wasm.OpDrop), i32c(0), end, op(wasm.OpDrop), end)...), valid, ""},
		{"br_table polymorphic, known operand", module(none, cat([]byte{byte(wasm.OpBlock), bI32}, []byte{byte(wasm.OpBlock), bI64},
			op(wasm.OpUnreachable), i64c(0), i32c(0), opi(wasm.OpBrTable, 1, 0, 1), end, op(wasm.OpDrop), i32c(0), end, op(wasm.OpDrop), end)...), invalid,
			"type mismatch: expected i32, got i64"},
		{"br_table polymorphic, one type", module(none, cat([]byte{byte(wasm.OpBlock), bI32},
			op(wasm.OpUnreachable), opi(wasm.OpBrTable, 1, 0, 0), end, op(wasm.OpDrop), end)...), valid, ""},
		{"return", module(toI32, cat(i32c(1), op(wasm.OpReturn), end)...), valid, ""},
		{"return type", module(toI32, cat(f32c(), op(wasm.OpReturn), end)...), invalid, "type mismatch"},

		// Unreachable code: the stack is polymorphic, immediates still count.
		{"unreachable then anything", module(toI32, cat(op(wasm.OpUnreachable), op(wasm.OpI32Add), end)...), valid, ""},
		{"unreachable, wrong known type", module(toI32, cat(op(wasm.OpUnreachable), i64c(0), op(wasm.OpI32Add), end)...), invalid,
			"type mismatch: expected i32, got i64"},
		{"unreachable, unknown local", module(none, cat(op(wasm.OpUnreachable), opi(wasm.OpLocalGet, 0), end)...), invalid, "unknown local 0"},
		{"unreachable, extra value", module(none, cat(op(wasm.OpUnreachable), i32c(0), end)...), invalid, "type mismatch"},
		{"select on unknown operands", module(toI32, cat(op(wasm.OpUnreachable), op(wasm.OpSelect), end)...), valid, ""},

		// Calls.
		{"call", func() *wasm.Module {
			m := module(toI32, cat(i64c(1), opi(wasm.OpCall, 1), end)...)
			addFunc(m, sig(vt(i64), vt(i32)), nil, cat(i32c(0), end)...)
			return m
		}(), valid, ""},
		{"call argument type", func() *wasm.Module {
			m := module(toI32, cat(i32c(1), opi(wasm.OpCall, 1), end)...)
			addFunc(m, sig(vt(i64), vt(i32)), nil, cat(i32c(0), end)...)
			return m
		}(), invalid, "type mismatch: expected i64, got i32"},
		{"unknown function", module(none, cat(opi(wasm.OpCall, 7), end)...), invalid, "unknown function 7"},
		{"call_indirect", withTable(module(none, cat(i32c(0), opi(wasm.OpCallIndirect, 0, 0), end)...), funcref), valid, ""},
		{"call_indirect unknown table", module(none, cat(i32c(0), opi(wasm.OpCallIndirect, 0, 0), end)...), invalid, "unknown table 0"},
		{"call_indirect unknown type", withTable(module(none, cat(i32c(0), opi(wasm.OpCallIndirect, 3, 0), end)...), funcref), invalid, "unknown type 3"},
		{"call_indirect externref table", withTable(module(none, cat(i32c(0), opi(wasm.OpCallIndirect, 0, 0), end)...), externref), invalid,
			"type mismatch"},

		// select.
		{"select", module(toI32, cat(i32c(1), i32c(2), i32c(0), op(wasm.OpSelect), end)...), valid, ""},
		{"select operands differ", module(toI32, cat(i32c(1), i64c(2), i32c(0), op(wasm.OpSelect), end)...), invalid, "type mismatch"},
		{"select on references", module(sig(nil, vt(externref)), cat(opi(wasm.OpRefNull, 0x6f), opi(wasm.OpRefNull, 0x6f), i32c(0),
			op(wasm.OpSelect), end)...), invalid, "type mismatch: select without a type"},
		{"typed select on references", module(sig(nil, vt(externref)), cat(opi(wasm.OpRefNull, 0x6f), opi(wasm.OpRefNull, 0x6f), i32c(0),
			opi(wasm.OpSelectT, 1, 0x6f), end)...), valid, ""},
		{"typed select arity", module(toI32, cat(i32c(1), i32c(2), i32c(0), opi(wasm.OpSelectT, 2, 0x7f, 0x7f), end)...), invalid,
			"invalid result arity"},
		{"typed select arity zero", module(toI32, cat(i32c(1), i32c(2), i32c(0), opi(wasm.OpSelectT, 0), end)...), invalid,
			"invalid result arity"},

		// Memory.
		{"load", mem(toI32, cat(i32c(0), opi(wasm.OpI32Load, 2, 0), end)...), valid, ""},
		{"load without memory", module(toI32, cat(i32c(0), opi(wasm.OpI32Load, 2, 0), end)...), invalid, "unknown memory 0"},
		{"load alignment", mem(toI32, cat(i32c(0), opi(wasm.OpI32Load8U, 1, 0), end)...), invalid, "alignment must not be larger than natural"},
		{"load huge alignment", mem(toI32, cat(i32c(0), opi(wasm.OpI32Load, 40, 0), end)...), invalid, "alignment must not be larger than natural"},
		{"store", mem(none, cat(i32c(0), i64c(0), opi(wasm.OpI64Store32, 2, 0), end)...), valid, ""},
		{"store value type", mem(none, cat(i32c(0), i32c(0), opi(wasm.OpI64Store, 3, 0), end)...), invalid, "type mismatch"},
		{"memory.size without memory", module(toI32, cat(opi(wasm.OpMemorySize, 0), end)...), invalid, "unknown memory 0"},
		{"memory.grow", mem(toI32, cat(i32c(1), opi(wasm.OpMemoryGrow, 0), end)...), valid, ""},
		{"memory.fill", mem(none, cat(i32c(0), i32c(0), i32c(0), opi(wasm.OpMemoryFill, 0), end)...), valid, ""},
		{"memory.copy without memory", module(none, cat(i32c(0), i32c(0), i32c(0), opi(wasm.OpMemoryCopy, 0, 0), end)...), invalid, "unknown memory 0"},
		{"memory.init", func() *wasm.Module {
			m := mem(none, cat(i32c(0), i32c(0), i32c(0), opi(wasm.OpMemoryInit, 0, 0), end)...)
			m.Datas, m.HasDataCount, m.DataCount = []wasm.DataSegment{{Mode: wasm.SegmentPassive}}, true, 1
			return m
		}(), valid, ""},
		{"memory.init unknown data segment", func() *wasm.Module {
			m := mem(none, cat(i32c(0), i32c(0), i32c(0), opi(wasm.OpMemoryInit, 1, 0), end)...)
			m.Datas, m.HasDataCount, m.DataCount = []wasm.DataSegment{{Mode: wasm.SegmentPassive}}, true, 1
			return m
		}(), invalid, "unknown data segment 1"},
		{"memory.init without data count", func() *wasm.Module {
			m := mem(none, cat(i32c(0), i32c(0), i32c(0), opi(wasm.OpMemoryInit, 0, 0), end)...)
			m.Datas = []wasm.DataSegment{{Mode: wasm.SegmentPassive}}
			return m
		}(), malformed, "data count section required"},
		{"data.drop without data count, no memory", module(none, cat(opi(wasm.OpDataDrop, 0), end)...), malformed, "data count section required"},
		{"data.drop", func() *wasm.Module {
			m := module(none, cat(opi(wasm.OpDataDrop, 0), end)...)
			m.Datas, m.HasDataCount, m.DataCount = []wasm.DataSegment{{Mode: wasm.SegmentPassive}}, true, 1
			return m
		}(), valid, ""},

		// Tables and references.
		{"table.get", withTable(module(sig(nil, vt(funcref)), cat(i32c(0), opi(wasm.OpTableGet, 0), end)...), funcref), valid, ""},
		{"table.get result type", withTable(module(sig(nil, vt(funcref)), cat(i32c(0), opi(wasm.OpTableGet, 0), end)...), externref), invalid,
			"type mismatch"},
		{"table.set unknown table", module(none, cat(i32c(0), opi(wasm.OpRefNull, 0x70), opi(wasm.OpTableSet, 0), end)...), invalid, "unknown table 0"},
		{"table.grow", withTable(module(toI32, cat(opi(wasm.OpRefNull, 0x6f), i32c(1), opi(wasm.OpTableGrow, 0), end)...), externref), valid, ""},
		{"table.fill value type", withTable(module(none, cat(i32c(0), opi(wasm.OpRefNull, 0x70), i32c(1), opi(wasm.OpTableFill, 0), end)...), externref),
			invalid, "type mismatch: expected externref, got funcref"},
		{"table.size", withTable(module(toI32, cat(opi(wasm.OpTableSize, 0), end)...), funcref), valid, ""},
		{"table.size unknown table", module(toI32, cat(opi(wasm.OpTableSize, 0), end)...), invalid, "unknown table 0"},
		{"table.init unknown elem segment", withTable(module(none, cat(i32c(0), i32c(0), i32c(0), opi(wasm.OpTableInit, 4, 0), end)...), funcref),
			invalid, "unknown elem segment 4"},
		{"table.init unknown table", func() *wasm.Module {
			m := module(none, cat(i32c(0), i32c(0), i32c(0), opi(wasm.OpTableInit, 0, 0), end)...)
			m.Elems = []wasm.ElemSegment{{Mode: wasm.SegmentPassive, Type: funcref}}
			return m
		}(), invalid, "unknown table 0"},
		{"table.init type mismatch", func() *wasm.Module {
			m := withTable(module(none, cat(i32c(0), i32c(0), i32c(0), opi(wasm.OpTableInit, 0, 0), end)...), externref)
			m.Elems = []wasm.ElemSegment{{Mode: wasm.SegmentPassive, Type: funcref}}
			return m
		}(), invalid, "type mismatch"},
		{"elem.drop", func() *wasm.Module {
			m := module(none, cat(opi(wasm.OpElemDrop, 0), end)...)
			m.Elems = []wasm.ElemSegment{{Mode: wasm.SegmentDeclarative, Type: funcref}}
			return m
		}(), valid, ""},
		{"elem.drop unknown", module(none, cat(opi(wasm.OpElemDrop, 0), end)...), invalid, "unknown elem segment 0"},
		{"table.copy type mismatch", withTable(withTable(module(none, cat(i32c(0), i32c(0), i32c(0), opi(wasm.OpTableCopy, 0, 1), end)...),
			funcref), externref), invalid, "type mismatch"},
		{"table.copy", withTable(withTable(module(none, cat(i32c(0), i32c(0), i32c(0), opi(wasm.OpTableCopy, 1, 0), end)...),
			funcref), funcref), valid, ""},
		{"ref.is_null", module(toI32, cat(opi(wasm.OpRefNull, 0x70), op(wasm.OpRefIsNull), end)...), valid, ""},
		{"ref.is_null on a number", module(toI32, cat(i32c(0), op(wasm.OpRefIsNull), end)...), invalid, "type mismatch"},
		{"ref.func declared", declared(cat(opi(wasm.OpRefFunc, 0), end)...), valid, ""},
		{"ref.func undeclared", module(sig(nil, vt(funcref)), cat(opi(wasm.OpRefFunc, 0), end)...), invalid, "undeclared function reference"},
		{"ref.func unknown", declared(cat(opi(wasm.OpRefFunc, 3), end)...), invalid, "unknown function 3"},
		{"ref.func declared by global", func() *wasm.Module {
			m := module(sig(nil, vt(funcref)), cat(opi(wasm.OpRefFunc, 0), end)...)
			m.Globals = []wasm.Global{{Type: wasm.GlobalType{ValType: funcref}, Init: constExpr(opi(wasm.OpRefFunc, 0)...)}}
			return m
		}(), valid, ""},
		{"ref.func declared by elem", func() *wasm.Module {
			m := module(sig(nil, vt(funcref)), cat(opi(wasm.OpRefFunc, 0), end)...)
			m.Elems = []wasm.ElemSegment{{Mode: wasm.SegmentDeclarative, Type: funcref, FuncIndices: []uint32{0}}}
			return m
		}(), valid, ""},

		// Numeric proposals folded into 2.0.
		{"sign extension", module(toI32, cat(i32c(1), op(wasm.OpI32Extend8S), end)...), valid, ""},
		{"saturating conversion", module(toI32, cat(f32c(), op(wasm.OpI32TruncSatF32S), end)...), valid, ""},
		{"saturating conversion operand", module(toI32, cat(f64c(), op(wasm.OpI32TruncSatF32S), end)...), invalid, "type mismatch"},

		// SIMD.
		{"v128 arithmetic", module(sig(nil, vt(v128)), cat(v128c(), v128c(), op(wasm.OpI8x16Add), end)...), valid, ""},
		{"v128 operand", module(sig(nil, vt(v128)), cat(v128c(), i32c(0), op(wasm.OpI8x16Add), end)...), invalid, "type mismatch: expected v128, got i32"},
		{"shift takes i32", module(sig(nil, vt(v128)), cat(v128c(), i32c(1), op(wasm.OpI64x2Shl), end)...), valid, ""},
		{"extract_lane", module(toI32, cat(v128c(), op(wasm.OpI8x16ExtractLaneU), []byte{15}, end)...), valid, ""},
		{"extract_lane index", module(toI32, cat(v128c(), op(wasm.OpI8x16ExtractLaneU), []byte{16}, end)...), invalid, "invalid lane index 16"},
		{"f64x2 replace_lane index", module(sig(nil, vt(v128)), cat(v128c(), f64c(), op(wasm.OpF64x2ReplaceLane), []byte{2}, end)...), invalid,
			"invalid lane index 2"},
		{"i32x4 lane on unreachable", module(toI32, cat(op(wasm.OpUnreachable), op(wasm.OpI32x4ExtractLane), []byte{4}, end)...), invalid,
			"invalid lane index 4"},
		{"shuffle", module(sig(nil, vt(v128)), cat(v128c(), v128c(), op(wasm.OpI8x16Shuffle),
			[]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 31}, end)...), valid, ""},
		{"shuffle lane", module(sig(nil, vt(v128)), cat(v128c(), v128c(), op(wasm.OpI8x16Shuffle),
			[]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 32}, end)...), invalid, "invalid lane index 32"},
		{"v128.load alignment 16", mem(sig(nil, vt(v128)), cat(i32c(0), opi(wasm.OpV128Load, 4, 0), end)...), valid, ""},
		{"v128.load alignment 32", mem(sig(nil, vt(v128)), cat(i32c(0), opi(wasm.OpV128Load, 5, 0), end)...), invalid,
			"alignment must not be larger than natural"},
		{"load32_zero alignment", mem(sig(nil, vt(v128)), cat(i32c(0), opi(wasm.OpV128Load32Zero, 3, 0), end)...), invalid,
			"alignment must not be larger than natural"},
		{"load16_lane", mem(sig(nil, vt(v128)), cat(i32c(0), v128c(), opi(wasm.OpV128Load16Lane, 1, 0), []byte{7}, end)...), valid, ""},
		{"load16_lane index", mem(sig(nil, vt(v128)), cat(i32c(0), v128c(), opi(wasm.OpV128Load16Lane, 1, 0), []byte{8}, end)...), invalid,
			"invalid lane index 8"},
		{"store64_lane alignment", mem(none, cat(i32c(0), v128c(), opi(wasm.OpV128Store64Lane, 4, 0), []byte{0}, end)...), invalid,
			"alignment must not be larger than natural"},
		{"v128 local", func() *wasm.Module {
			m := &wasm.Module{}
			addFunc(m, sig(nil, vt(v128)), []wasm.LocalGroup{{Count: 1, Type: v128}}, cat(opi(wasm.OpLocalGet, 0), end)...)
			return m
		}(), valid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, Module(tt.m, nil), tt.want, tt.text)
		})
	}
}

func TestModule_Malformed(t *testing.T) {
	none := sig(nil, nil)
	tests := []struct {
		name string
		m    *wasm.Module
		text string
	}{
		{"illegal opcode", module(none, 0xff, 0x0b), "illegal opcode ff"},
		{"illegal SIMD opcode", module(none, 0xfd, 0x9a, 0x01, 0x0b), "illegal opcode"},
		{"missing end", module(none, cat(i32c(1), op(wasm.OpDrop))...), "END opcode expected"},
		{"missing end of block", module(none, cat([]byte{byte(wasm.OpBlock), bEmpty}, end)...), "unexpected end of section or function"},
		{"bytes after end", module(none, 0x0b, 0x01), "section size mismatch"},
		{"else without if", module(none, cat([]byte{byte(wasm.OpBlock), bEmpty}, op(wasm.OpElse), end, end)...), "else without a matching if"},
		{"second else", module(none, cat(i32c(0), []byte{byte(wasm.OpIf), bEmpty}, op(wasm.OpElse), op(wasm.OpElse), end, end)...), "else"},
		{"zero byte expected", withMemory(module(sig(nil, vt(i32)), 0x3f, 0x01, 0x0b)), "zero byte expected"},
		{"LEB too long", module(none, 0x41, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x1a, 0x0b), "integer representation too long"},
		{"truncated immediate", module(none, 0x41), "unexpected end"},
		{"malformed wins over invalid in an earlier function", func() *wasm.Module {
			m := module(none, cat(i32c(0), end)...) // invalid: extra value
			addFunc(m, none, nil, 0xff, 0x0b)       // malformed
			return m
		}(), "illegal opcode"},
		{"malformed body wins over an invalid export", func() *wasm.Module {
			m := module(none, cat(opi(wasm.OpMemoryInit, 0, 0), end)...)
			m.Exports = []wasm.Export{{Name: "x", Kind: wasm.ExternFunc, Index: 9}}
			return m
		}(), "data count section required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, Module(tt.m, nil), malformed, tt.text)
		})
	}
}

func TestError_Error(t *testing.T) {
	m := &wasm.Module{}
	for i := 0; i < 3; i++ {
		addFunc(m, sig(nil, nil), nil, end...)
	}
	f := addFunc(m, sig(nil, vt(i32)), nil, cat(f64c(), i32c(1), op(wasm.OpI32Add), end)...)
	m.Names = &wasm.NameSection{FuncNames: map[uint32]string{f: "name"}}
	err := Module(m, nil)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %T %v, want *Error", err, err)
	}
	const want = `func[3] "name" at offset 0x40b (i32.add): type mismatch: expected i32, got f64`
	if err.Error() != want {
		t.Fatalf("got  %s\nwant %s", err, want)
	}
	if e.Func != 3 || !e.HasOp || e.Op != wasm.OpI32Add || e.Offset != 0x40b {
		t.Fatalf("fields: %+v", e.Location)
	}
}

func TestModule_ManyLocals(t *testing.T) {
	// Four billion locals are looked up in their groups, never expanded.
	groups := []wasm.LocalGroup{{Count: 1 << 31, Type: i64}, {Count: 1<<31 - 2, Type: f32}}
	tests := []struct {
		name  string
		body  []byte
		want  errKind
		wantT string
	}{
		{"first group", cat(opi(wasm.OpLocalGet, 1), op(wasm.OpDrop), end), valid, ""},
		{"last of first group", cat(opi(wasm.OpLocalGet, 1<<31), op(wasm.OpI64Eqz), op(wasm.OpDrop), end), valid, ""},
		{"first of second group", cat(opi(wasm.OpLocalGet, 1<<31+1), op(wasm.OpF32Neg), op(wasm.OpDrop), end), valid, ""},
		{"param", cat(opi(wasm.OpLocalGet, 0), op(wasm.OpI32Eqz), op(wasm.OpDrop), end), valid, ""},
		{"last local", cat(opi(wasm.OpLocalGet, 1<<32-2), op(wasm.OpF32Neg), op(wasm.OpDrop), end), valid, ""},
		{"past the end", cat(opi(wasm.OpLocalGet, 1<<32-1), op(wasm.OpDrop), end), invalid, "unknown local 4294967295"},
		{"type of second group", cat(opi(wasm.OpLocalGet, 1<<31+1), op(wasm.OpI64Eqz), op(wasm.OpDrop), end), invalid, "type mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &wasm.Module{}
			addFunc(m, sig(vt(i32), nil), groups, tt.body...)
			checkErr(t, Module(m, nil), tt.want, tt.wantT)
		})
	}
}
