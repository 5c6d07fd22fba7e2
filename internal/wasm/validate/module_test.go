package validate

import (
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

func TestModule_ModuleRules(t *testing.T) {
	none := sig(nil, nil)
	empty := func() *wasm.Module { return &wasm.Module{} }
	lim := func(min, max uint32) wasm.Limits { return wasm.Limits{Min: min, Max: max, HasMax: true} }
	importedGlobal := func(mut bool) wasm.Import {
		return wasm.Import{Module: "spectest", Name: "global_i32", Kind: wasm.ExternGlobal,
			Global: wasm.GlobalType{ValType: i32, Mutable: mut}}
	}
	tests := []struct {
		name  string
		build func(m *wasm.Module)
		want  errKind
		text  string
	}{
		{"empty module", func(m *wasm.Module) {}, valid, ""},
		{"function of unknown type", func(m *wasm.Module) {
			m.Funcs, m.Codes = []uint32{0}, []wasm.Code{{Body: end}}
		}, invalid, "unknown type 0"},
		{"import of unknown type", func(m *wasm.Module) {
			withImports(m, wasm.Import{Module: "m", Name: "f", Kind: wasm.ExternFunc, Func: 3})
		}, invalid, "unknown type 3"},
		{"code without function", func(m *wasm.Module) {
			m.Codes = []wasm.Code{{Body: end}}
		}, malformed, "function and code section have inconsistent lengths"},
		{"memory min above max", func(m *wasm.Module) {
			m.Memories = []wasm.MemoryType{{Limits: lim(2, 1)}}
		}, invalid, "size minimum must not be greater than maximum"},
		{"memory too large", func(m *wasm.Module) {
			m.Memories = []wasm.MemoryType{{Limits: wasm.Limits{Min: 65537}}}
		}, invalid, "memory size must be at most 65536 pages (4GiB)"},
		{"memory max too large", func(m *wasm.Module) {
			m.Memories = []wasm.MemoryType{{Limits: lim(0, 65537)}}
		}, invalid, "memory size must be at most 65536 pages (4GiB)"},
		{"memory of 4GiB", func(m *wasm.Module) {
			m.Memories = []wasm.MemoryType{{Limits: lim(65536, 65536)}}
		}, valid, ""},
		{"imported memory min above max", func(m *wasm.Module) {
			withImports(m, wasm.Import{Module: "m", Name: "mem", Kind: wasm.ExternMemory, Memory: wasm.MemoryType{Limits: lim(3, 2)}})
		}, invalid, "size minimum must not be greater than maximum"},
		{"multiple memories", func(m *wasm.Module) {
			withImports(m, wasm.Import{Module: "m", Name: "mem", Kind: wasm.ExternMemory})
			m.Memories = []wasm.MemoryType{{}}
		}, invalid, "multiple memories"},
		{"table min above max", func(m *wasm.Module) {
			m.Tables = []wasm.TableType{{ElemType: funcref, Limits: lim(5, 4)}}
		}, invalid, "size minimum must not be greater than maximum"},
		{"two tables", func(m *wasm.Module) {
			m.Tables = []wasm.TableType{{ElemType: funcref}, {ElemType: externref}}
		}, valid, ""},
		{"global init", func(m *wasm.Module) {
			m.Globals = []wasm.Global{{Type: wasm.GlobalType{ValType: i64}, Init: constExpr(i64c(3)...)}}
		}, valid, ""},
		{"global init type", func(m *wasm.Module) {
			m.Globals = []wasm.Global{{Type: wasm.GlobalType{ValType: i64}, Init: constExpr(i32c(3)...)}}
		}, invalid, "type mismatch"},
		{"global init empty", func(m *wasm.Module) {
			m.Globals = []wasm.Global{{Type: wasm.GlobalType{ValType: i32}, Init: constExpr()}}
		}, invalid, "type mismatch"},
		{"global init two values", func(m *wasm.Module) {
			m.Globals = []wasm.Global{{Type: wasm.GlobalType{ValType: i32}, Init: constExpr(cat(i32c(1), i32c(2))...)}}
		}, invalid, "type mismatch"},
		{"global init not constant", func(m *wasm.Module) {
			m.Globals = []wasm.Global{{Type: wasm.GlobalType{ValType: i32}, Init: constExpr(cat(i32c(1), i32c(2), op(wasm.OpI32Add))...)}}
		}, invalid, "constant expression required"},
		{"global init from imported global", func(m *wasm.Module) {
			withImports(m, importedGlobal(false))
			m.Globals = []wasm.Global{{Type: wasm.GlobalType{ValType: i32}, Init: constExpr(opi(wasm.OpGlobalGet, 0)...)}}
		}, valid, ""},
		{"global init from mutable global", func(m *wasm.Module) {
			withImports(m, importedGlobal(true))
			m.Globals = []wasm.Global{{Type: wasm.GlobalType{ValType: i32}, Init: constExpr(opi(wasm.OpGlobalGet, 0)...)}}
		}, invalid, "constant expression required"},
		{"global init from a module global", func(m *wasm.Module) {
			withImports(m, importedGlobal(false))
			m.Globals = []wasm.Global{
				{Type: wasm.GlobalType{ValType: i32}, Init: constExpr(i32c(0)...)},
				{Type: wasm.GlobalType{ValType: i32}, Init: constExpr(opi(wasm.OpGlobalGet, 1)...)},
			}
		}, invalid, "unknown global 1"},
		{"global init ref.func", func(m *wasm.Module) {
			m.Globals = []wasm.Global{{Type: wasm.GlobalType{ValType: funcref}, Init: constExpr(opi(wasm.OpRefFunc, 0)...)}}
		}, invalid, "unknown function 0"},
		{"global init ref.null", func(m *wasm.Module) {
			m.Globals = []wasm.Global{{Type: wasm.GlobalType{ValType: externref}, Init: constExpr(opi(wasm.OpRefNull, 0x6f)...)}}
		}, valid, ""},
		{"global init v128", func(m *wasm.Module) {
			m.Globals = []wasm.Global{{Type: wasm.GlobalType{ValType: v128}, Init: constExpr(v128c()...)}}
		}, valid, ""},
		{"global init without end", func(m *wasm.Module) {
			m.Globals = []wasm.Global{{Type: wasm.GlobalType{ValType: i32}, Init: wasm.ConstExpr{Code: i32c(0)}}}
		}, malformed, "unexpected end"},
		{"duplicate export name", func(m *wasm.Module) {
			addFunc(m, none, nil, end...)
			m.Exports = []wasm.Export{{Name: "f", Kind: wasm.ExternFunc}, {Name: "f", Kind: wasm.ExternFunc}}
		}, invalid, "duplicate export name"},
		{"export unknown function", func(m *wasm.Module) {
			m.Exports = []wasm.Export{{Name: "f", Kind: wasm.ExternFunc, Index: 7}}
		}, invalid, "unknown function 7"},
		{"export unknown global", func(m *wasm.Module) {
			m.Exports = []wasm.Export{{Name: "g", Kind: wasm.ExternGlobal, Index: 1}}
		}, invalid, "unknown global 1"},
		{"export unknown memory", func(m *wasm.Module) {
			m.Exports = []wasm.Export{{Name: "m", Kind: wasm.ExternMemory}}
		}, invalid, "unknown memory 0"},
		{"export unknown table", func(m *wasm.Module) {
			m.Exports = []wasm.Export{{Name: "t", Kind: wasm.ExternTable}}
		}, invalid, "unknown table 0"},
		{"start", func(m *wasm.Module) {
			addFunc(m, none, nil, end...)
			m.HasStart = true
		}, valid, ""},
		{"start unknown", func(m *wasm.Module) {
			m.HasStart, m.Start = true, 7
		}, invalid, "unknown function 7"},
		{"start type", func(m *wasm.Module) {
			addFunc(m, sig(nil, vt(i32)), nil, cat(i32c(0), end)...)
			m.HasStart = true
		}, invalid, "start function"},
		{"elem", func(m *wasm.Module) {
			addFunc(m, none, nil, end...)
			withTable(m, funcref)
			m.Elems = []wasm.ElemSegment{{Type: funcref, Offset: constExpr(i32c(0)...), FuncIndices: []uint32{0, 0}}}
		}, valid, ""},
		{"elem unknown table", func(m *wasm.Module) {
			m.Elems = []wasm.ElemSegment{{Type: funcref, Offset: constExpr(i32c(0)...)}}
		}, invalid, "unknown table 0"},
		{"elem unknown function", func(m *wasm.Module) {
			withTable(m, funcref)
			m.Elems = []wasm.ElemSegment{{Type: funcref, Offset: constExpr(i32c(0)...), FuncIndices: []uint32{4}}}
		}, invalid, "unknown function 4"},
		{"elem offset type", func(m *wasm.Module) {
			withTable(m, funcref)
			m.Elems = []wasm.ElemSegment{{Type: funcref, Offset: constExpr(i64c(0)...)}}
		}, invalid, "type mismatch"},
		{"elem table type", func(m *wasm.Module) {
			withTable(m, externref)
			m.Elems = []wasm.ElemSegment{{Type: funcref, Offset: constExpr(i32c(0)...)}}
		}, invalid, "type mismatch"},
		{"elem expression type", func(m *wasm.Module) {
			m.Elems = []wasm.ElemSegment{{Mode: wasm.SegmentPassive, Type: externref,
				Exprs: []wasm.ConstExpr{constExpr(opi(wasm.OpRefNull, 0x70)...)}}}
		}, invalid, "type mismatch"},
		{"elem expression not constant", func(m *wasm.Module) {
			m.Elems = []wasm.ElemSegment{{Mode: wasm.SegmentPassive, Type: funcref,
				Exprs: []wasm.ConstExpr{constExpr(cat(opi(wasm.OpRefNull, 0x70), op(wasm.OpRefIsNull))...)}}}
		}, invalid, "constant expression required"},
		{"data", func(m *wasm.Module) {
			withMemory(m)
			m.Datas = []wasm.DataSegment{{Offset: constExpr(i32c(0)...), Init: []byte("hi")}}
		}, valid, ""},
		{"data unknown memory", func(m *wasm.Module) {
			m.Datas = []wasm.DataSegment{{Offset: constExpr(i32c(0)...)}}
		}, invalid, "unknown memory 0"},
		{"data offset type", func(m *wasm.Module) {
			withMemory(m)
			m.Datas = []wasm.DataSegment{{Offset: constExpr(f32c()...)}}
		}, invalid, "type mismatch"},
		{"data offset from unknown global", func(m *wasm.Module) {
			withMemory(m)
			m.Datas = []wasm.DataSegment{{Offset: constExpr(opi(wasm.OpGlobalGet, 0)...)}}
		}, invalid, "unknown global 0"},
		{"data count mismatch", func(m *wasm.Module) {
			m.HasDataCount, m.DataCount = true, 2
		}, malformed, "data count and data section have inconsistent lengths"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := empty()
			tt.build(m)
			checkErr(t, Module(m, nil), tt.want, tt.text)
		})
	}
}

// TestDeclarations checks that Declarations validates all of a module
// but its function bodies.
func TestDeclarations(t *testing.T) {
	none := sig(nil, nil)
	tests := []struct {
		name                 string
		m                    *wasm.Module
		module, declarations bool // valid for each
	}{
		{"valid", module(none, end...), true, true},
		{"invalid body", module(none, byte(wasm.OpI32Add), byte(wasm.OpEnd)), false, true},
		{"invalid declaration", func() *wasm.Module {
			m := module(none, end...)
			m.Memories = []wasm.MemoryType{{Limits: wasm.Limits{Min: 2, Max: 1, HasMax: true}}}
			return m
		}(), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Module(tt.m, nil); (err == nil) != tt.module {
				t.Errorf("Module: %v, want valid %v", err, tt.module)
			}
			if err := Declarations(tt.m, nil); (err == nil) != tt.declarations {
				t.Errorf("Declarations: %v, want valid %v", err, tt.declarations)
			}
		})
	}
}

// TestPolicy_Fingerprint checks that policies that validate differently
// have different fingerprints.
func TestPolicy_Fingerprint(t *testing.T) {
	a, b := DefaultPolicy(), DefaultPolicy()
	if a.Fingerprint() != b.Fingerprint() {
		t.Fatal("equal policies, different fingerprints")
	}
	b.MaxFunctionSize = Max(1)
	c := DefaultPolicy()
	c.Disabled |= SIMD
	for _, p := range []*Policy{b, c, nil} {
		if p.Fingerprint() == a.Fingerprint() {
			t.Errorf("%+v has the default policy's fingerprint", p)
		}
	}
}
