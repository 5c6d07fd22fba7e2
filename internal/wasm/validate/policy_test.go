package validate

import (
	"errors"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

func TestModule_Policy(t *testing.T) {
	none := sig(nil, nil)
	// base is a small valid module: memory 2..10 pages, a funcref table of
	// 3..3, an imported function, two globals, a function with a parameter
	// and one local, a data segment of 4 bytes and an element segment of 2.
	base := func() *wasm.Module {
		m := withImports(&wasm.Module{Types: []wasm.FuncType{none}},
			wasm.Import{Module: "env", Name: "system", Kind: wasm.ExternFunc, Offset: 0x20})
		m.Memories = []wasm.MemoryType{{Limits: wasm.Limits{Min: 2, Max: 10, HasMax: true}}}
		m.Tables = []wasm.TableType{{ElemType: funcref, Limits: wasm.Limits{Min: 3, Max: 3, HasMax: true}}}
		m.Globals = []wasm.Global{
			{Type: wasm.GlobalType{ValType: i32}, Init: constExpr(i32c(0)...)},
			{Type: wasm.GlobalType{ValType: i64}, Init: constExpr(i64c(0)...)},
		}
		addFunc(m, sig(vt(i32), nil), []wasm.LocalGroup{{Count: 1, Type: i64}}, end...)
		m.Datas = []wasm.DataSegment{{Offset: constExpr(i32c(0)...), Init: []byte("abcd")}}
		m.Elems = []wasm.ElemSegment{{Type: funcref, Offset: constExpr(i32c(0)...), FuncIndices: []uint32{0, 1}}}
		m.Size = 1000
		return m
	}
	tests := []struct {
		name   string
		p      Policy
		change func(m *wasm.Module)
		want   string // the whole error; "" when the module must pass
	}{
		{"zero policy", Policy{}, nil, ""},
		{"default policy", *DefaultPolicy(), nil, ""},
		{"memory minimum", Policy{MaxMemoryPages: Max(1)}, nil,
			"memory[0]: minimum 2 pages exceeds limit of 1 page (-W max-memory-size=65536)"},
		{"memory maximum above the limit is capped, not refused", Policy{MaxMemoryPages: Max(2)}, nil, ""},
		{"imported memory minimum", Policy{MaxMemoryPages: Max(1)}, func(m *wasm.Module) {
			m.Memories = nil
			withImports(m, wasm.Import{Module: "env", Name: "memory", Kind: wasm.ExternMemory,
				Memory: wasm.MemoryType{Limits: wasm.Limits{Min: 4}}, Offset: 0x30})
		}, `import[1] "env"."memory" at offset 0x30: minimum 4 pages exceeds limit of 1 page (-W max-memory-size=65536)`},
		{"table minimum", Policy{MaxTableElements: Max(2)}, nil,
			"table[0]: minimum 3 elements exceeds limit of 2 elements (-W max-table-elements=2)"},
		{"functions", Policy{MaxFunctions: Max(1)}, nil,
			"module: number of functions 2 exceeds limit of 1 (-W max-functions=1)"},
		{"globals", Policy{MaxGlobals: Max(1)}, nil,
			"module: number of globals 2 exceeds limit of 1 (-W max-globals=1)"},
		{"tables", Policy{MaxTables: Max(0)}, nil,
			"module: number of tables 1 exceeds limit of 0 (-W max-tables=0)"},
		{"memories", Policy{MaxMemories: Max(0)}, nil,
			"module: number of memories 1 exceeds limit of 0 (-W max-memories=0)"},
		{"imports", Policy{MaxImports: Max(0)}, nil,
			"module: number of imports 1 exceeds limit of 0 (-W max-imports=0)"},
		{"locals", Policy{MaxLocals: Max(1)}, nil,
			"func[1] at offset 0x100: number of locals (parameters included) 2 exceeds limit of 1 (-W max-locals=1)"},
		{"function size", Policy{MaxFunctionSize: Max(0)}, nil,
			"func[1] at offset 0x100: body size 1 byte exceeds limit of 0 bytes (-W max-function-size=0)"},
		{"module size", Policy{MaxModuleSize: Max(999)}, nil,
			"module: size 1000 bytes exceeds limit of 999 bytes (-W max-module-size=999)"},
		{"data segment size", Policy{MaxDataSegmentSize: Max(3)}, nil,
			"data[0]: size 4 bytes exceeds limit of 3 bytes (-W max-data-segment-size=3)"},
		{"elem segment size", Policy{MaxElemSegmentSize: Max(1)}, nil,
			"elem[0]: length 2 elements exceeds limit of 1 element (-W max-elem-segment-size=1)"},
		{"allow list", Policy{AllowImports: []string{"wasi_snapshot_preview1.*"}}, nil,
			`import "env"."system" at offset 0x20: not allowed by policy (-W allow-import=wasi_snapshot_preview1.*)`},
		{"allow list match", Policy{AllowImports: []string{"wasi_snapshot_preview1.*", "env.sys*"}}, nil, ""},
		{"allow module", Policy{AllowImports: []string{"env"}}, nil, ""},
		{"deny list", Policy{DenyImports: []string{"env.system"}}, nil,
			`import "env"."system" at offset 0x20: denied by policy (-W deny-import=env.system)`},
		{"deny beats allow", Policy{AllowImports: []string{"*.*"}, DenyImports: []string{"*.sys*"}}, nil,
			`import "env"."system" at offset 0x20: denied by policy (-W deny-import=*.sys*)`},
		{"deny by default", Policy{DenyImports: []string{"*"}}, nil,
			`import "env"."system" at offset 0x20: denied by policy (-W deny-import=*)`},
		{"deny other", Policy{DenyImports: []string{"env.exec"}}, nil, ""},

		// Features.
		{"simd off", Policy{Disabled: SIMD}, func(m *wasm.Module) {
			m.Codes[0].Body = cat(v128c(), op(wasm.OpDrop), end)
		}, "func[1] at offset 0x100 (v128.const): v128.const needs feature simd, which is disabled by policy (-W simd=n)"},
		{"simd off, v128 local", Policy{Disabled: SIMD}, func(m *wasm.Module) {
			m.Codes[0].Locals = []wasm.LocalGroup{{Count: 1, Type: v128}}
		}, "func[1] at offset 0x100: v128 value type needs feature simd, which is disabled by policy (-W simd=n)"},
		{"simd off, v128 global", Policy{Disabled: SIMD}, func(m *wasm.Module) {
			m.Globals[0] = wasm.Global{Type: wasm.GlobalType{ValType: v128}, Init: constExpr(v128c()...)}
		}, "global[0]: v128 value type needs feature simd, which is disabled by policy (-W simd=n)"},
		{"simd off, v128 block", Policy{Disabled: SIMD}, func(m *wasm.Module) {
			m.Codes[0].Body = cat([]byte{byte(wasm.OpBlock), byte(v128)}, op(wasm.OpUnreachable), end, op(wasm.OpDrop), end)
		}, "func[1] at offset 0x100 (block): v128 value type needs feature simd"},
		{"bulk memory off", Policy{Disabled: BulkMemory}, func(m *wasm.Module) {
			m.Codes[0].Body = cat(i32c(0), i32c(0), i32c(0), opi(wasm.OpMemoryFill, 0), end)
		}, "(memory.fill): memory.fill needs feature bulk-memory, which is disabled by policy (-W bulk-memory=n)"},
		{"bulk memory off, passive data", Policy{Disabled: BulkMemory}, func(m *wasm.Module) {
			m.Datas[0].Mode = wasm.SegmentPassive
		}, "data[0]: a passive data segment needs feature bulk-memory"},
		{"reference types off", Policy{Disabled: ReferenceTypes}, func(m *wasm.Module) {
			m.Codes[0].Body = cat(opi(wasm.OpRefNull, 0x70), op(wasm.OpDrop), end)
		}, "(ref.null): ref.null needs feature reference-types, which is disabled by policy (-W reference-types=n)"},
		{"reference types off, externref param", Policy{Disabled: ReferenceTypes}, func(m *wasm.Module) {
			m.Types = append(m.Types, sig(vt(externref), nil))
		}, "type[2]: externref value type needs feature reference-types"},
		{"reference types off, two tables", Policy{Disabled: ReferenceTypes}, func(m *wasm.Module) {
			m.Tables = append(m.Tables, m.Tables[0])
		}, "module: more than one table needs feature reference-types"},
		{"multi-value off", Policy{Disabled: MultiValue}, func(m *wasm.Module) {
			m.Types = append(m.Types, sig(nil, vt(i32, i32)))
		}, "type[2]: a function type with several results needs feature multi-value, which is disabled by policy (-W multi-value=n)"},
		{"multi-value off, block params", Policy{Disabled: MultiValue}, func(m *wasm.Module) {
			m.Codes[0].Body = cat(i32c(0), []byte{byte(wasm.OpBlock), 1}, end, end)
		}, "(block): a block type with parameters or several results needs feature multi-value"},
		{"sign extension off", Policy{Disabled: SignExtension}, func(m *wasm.Module) {
			m.Codes[0].Body = cat(i64c(0), op(wasm.OpI64Extend32S), op(wasm.OpDrop), end)
		}, "(i64.extend32_s): i64.extend32_s needs feature sign-extension, which is disabled by policy (-W sign-extension=n)"},
		{"saturating conversions off", Policy{Disabled: SaturatingConversions}, func(m *wasm.Module) {
			m.Codes[0].Body = cat(f64c(), op(wasm.OpI64TruncSatF64U), op(wasm.OpDrop), end)
		}, "i64.trunc_sat_f64_u needs feature saturating-float-to-int, which is disabled by policy (-W saturating-float-to-int=n)"},
		{"mutable globals off, import", Policy{Disabled: MutableGlobals}, func(m *wasm.Module) {
			withImports(m, wasm.Import{Module: "env", Name: "g", Kind: wasm.ExternGlobal, Global: wasm.GlobalType{ValType: i32, Mutable: true}})
		}, `import[1] "env"."g": importing a mutable global needs feature mutable-globals, which is disabled by policy (-W mutable-globals=n)`},
		{"mutable globals off, export", Policy{Disabled: MutableGlobals}, func(m *wasm.Module) {
			m.Globals[0].Type.Mutable = true
			m.Exports = []wasm.Export{{Name: "g", Kind: wasm.ExternGlobal}}
		}, `export[0] "g": exporting a mutable global needs feature mutable-globals`},
		{"mutable globals off, internal mutable global is fine", Policy{Disabled: MutableGlobals}, func(m *wasm.Module) {
			m.Globals[0].Type.Mutable = true
		}, ""},
		{"all features off, MVP module", Policy{Disabled: AllFeatures}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := base()
			if tt.change != nil {
				tt.change(m)
			}
			err := Module(m, &tt.p)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			var pe *PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("got %T %v, want *PolicyError", err, err)
			}
			// Some wants are a suffix or a middle part, to keep them short.
			if got := err.Error(); !strings.Contains(got, tt.want) {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestPolicyError_Fields(t *testing.T) {
	m := withMemory(&wasm.Module{})
	m.Memories[0].Min = 4
	err := Module(m, &Policy{MaxMemoryPages: Max(1)})
	var pe *PolicyError
	if !errors.As(err, &pe) {
		t.Fatalf("got %T %v", err, err)
	}
	if pe.Value != 4 || pe.Limit != 1 || pe.Flag != "-W max-memory-size=65536" || pe.Where != "memory[0]" {
		t.Fatalf("got %+v", pe)
	}
}

func TestPolicy_MemoryMaxPages(t *testing.T) {
	tests := []struct {
		name string
		p    *Policy
		l    wasm.Limits
		want uint32
	}{
		{"nil policy, no max", nil, wasm.Limits{Min: 1}, 65536},
		{"nil policy, max", nil, wasm.Limits{Min: 1, Max: 5, HasMax: true}, 5},
		{"capped", &Policy{MaxMemoryPages: Max(16)}, wasm.Limits{Min: 1}, 16},
		{"max below cap", &Policy{MaxMemoryPages: Max(16)}, wasm.Limits{Min: 1, Max: 5, HasMax: true}, 5},
		{"never below min", &Policy{MaxMemoryPages: Max(16)}, wasm.Limits{Min: 20}, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.MemoryMaxPages(wasm.MemoryType{Limits: tt.l}); got != tt.want {
				t.Fatalf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestPolicy_TableMaxElements(t *testing.T) {
	tests := []struct {
		name string
		p    *Policy
		l    wasm.Limits
		want uint32
	}{
		{"no max", nil, wasm.Limits{}, 1<<32 - 1},
		{"capped", &Policy{MaxTableElements: Max(100)}, wasm.Limits{Min: 1, Max: 1000, HasMax: true}, 100},
		{"max below cap", &Policy{MaxTableElements: Max(100)}, wasm.Limits{Max: 10, HasMax: true}, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.TableMaxElements(wasm.TableType{ElemType: funcref, Limits: tt.l}); got != tt.want {
				t.Fatalf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"*", "", true},
		{"*", "anything", true},
		{"abc", "abc", true},
		{"abc", "abd", false},
		{"a*c", "abbbc", true},
		{"a*c", "abbbd", false},
		{"*_preview1", "wasi_snapshot_preview1", true},
		{"fd_*", "fd_write", true},
		{"fd_*", "path_open", false},
		{"*a*b*", "xxaxxbxx", true},
		{"*a*b", "xxaxxbxxa", false},
	}
	for _, tt := range tests {
		if got := glob(tt.pattern, tt.s); got != tt.want {
			t.Errorf("glob(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestMatchImport(t *testing.T) {
	tests := []struct {
		pattern, module, name string
		want                  bool
	}{
		{"wasi_snapshot_preview1.*", "wasi_snapshot_preview1", "fd_write", true},
		{"wasi_snapshot_preview1.*", "env", "fd_write", false},
		{"GOT.mem.*", "GOT.mem", "x", true},
		{"GOT.mem.*", "GOT", "mem.x", false},
		{"env", "env", "anything", true},
		{"*.fd_write", "wasi_unstable", "fd_write", true},
	}
	for _, tt := range tests {
		if got := matchImport(tt.pattern, tt.module, tt.name); got != tt.want {
			t.Errorf("matchImport(%q, %q, %q) = %v, want %v", tt.pattern, tt.module, tt.name, got, tt.want)
		}
	}
}

func TestFeatures_String(t *testing.T) {
	tests := []struct {
		f    Features
		want string
	}{
		{0, "none"},
		{SIMD, "simd"},
		{SIMD | MutableGlobals, "simd|mutable-globals"},
		{AllFeatures, "simd|bulk-memory|reference-types|multi-value|sign-extension|saturating-float-to-int|mutable-globals"},
		{1 << 20, "0x100000"},
	}
	for _, tt := range tests {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("%d: got %q, want %q", tt.f, got, tt.want)
		}
	}
}
