package amd64

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/engine/interp"
	"github.com/wasmvisor/wasmvisor/internal/leb128"
	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
	wbinary "github.com/wasmvisor/wasmvisor/internal/wasm/binary"
	"github.com/wasmvisor/wasmvisor/internal/wasm/validate"
)

// The engine's contracts, each checked on small modules built here:
// results, traps and their backtraces, stack limits, deadlines and
// cancellation, host functions and re-entry, memory growth, indirect
// calls, concurrent calls and cooperation with the garbage collector.

// A tiny assembler for function bodies. wcode appends the final end.

func wcode(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return append(out, byte(wasm.OpEnd))
}

func wcat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func wop(o wasm.Opcode) []byte {
	if o > 0xff {
		return leb128.AppendUint32([]byte{byte(o >> 8)}, uint32(o&0xff))
	}
	return []byte{byte(o)}
}

func widx(o wasm.Opcode, i uint32) []byte { return leb128.AppendUint32(wop(o), i) }
func wi32(v int32) []byte                 { return leb128.AppendInt64(wop(wasm.OpI32Const), int64(v)) }
func wi64(v int64) []byte                 { return leb128.AppendInt64(wop(wasm.OpI64Const), v) }
func wf32(v float32) []byte {
	return binary.LittleEndian.AppendUint32(wop(wasm.OpF32Const), math.Float32bits(v))
}
func wf64(v float64) []byte {
	return binary.LittleEndian.AppendUint64(wop(wasm.OpF64Const), math.Float64bits(v))
}
func wget(i uint32) []byte  { return widx(wasm.OpLocalGet, i) }
func wset(i uint32) []byte  { return widx(wasm.OpLocalSet, i) }
func wtee(i uint32) []byte  { return widx(wasm.OpLocalTee, i) }
func wgget(i uint32) []byte { return widx(wasm.OpGlobalGet, i) }
func wgset(i uint32) []byte { return widx(wasm.OpGlobalSet, i) }
func wcall(i uint32) []byte { return widx(wasm.OpCall, i) }
func wbr(d uint32) []byte   { return widx(wasm.OpBr, d) }
func wbrIf(d uint32) []byte { return widx(wasm.OpBrIf, d) }

// wcallInd is call_indirect of type typ through table 0.
func wcallInd(typ uint32) []byte { return append(widx(wasm.OpCallIndirect, typ), 0) }

// wblock, wloop and wif open a block of block type bt: wvoid, a value
// type, or a type index given by wtype.
func wblock(bt []byte) []byte { return append(wop(wasm.OpBlock), bt...) }
func wloop(bt []byte) []byte  { return append(wop(wasm.OpLoop), bt...) }
func wif(bt []byte) []byte    { return append(wop(wasm.OpIf), bt...) }
func wtype(i uint32) []byte   { return leb128.AppendInt64(nil, int64(i)) }

// wmem is a load or store with alignment 0 and offset off.
func wmem(o wasm.Opcode, off uint32) []byte { return leb128.AppendUint32(append(wop(o), 0), off) }

// wmem0 is an instruction whose immediate is memory index 0
// (memory.size, memory.grow).
func wmem0(o wasm.Opcode) []byte { return append(wop(o), 0) }

var (
	wend  = wop(wasm.OpEnd)
	welse = wop(wasm.OpElse)
	wvoid = []byte{0x40}
	wI32  = []byte{byte(wasm.ValueTypeI32)}
)

func vts(ts ...wasm.ValueType) []wasm.ValueType { return ts }

// tfn is a function a test module defines, exported and named by name
// when that is set.
type tfn struct {
	name    string
	params  []wasm.ValueType
	results []wasm.ValueType
	locals  []wasm.LocalGroup
	body    []byte
}

// timport is a function a test module imports.
type timport struct {
	module, name string
	params       []wasm.ValueType
	results      []wasm.ValueType
}

// tmod describes a test module. Function indices count imports first;
// type indices count types first, then one type per import and per
// function.
type tmod struct {
	types   []wasm.FuncType
	imports []timport
	funcs   []tfn
	// memory, when set, is memory 0's limits.
	memory *wasm.Limits
	// tableSize, when nonzero, gives the module a funcref table of that
	// many elements (max = min), with elems placed from index 0.
	tableSize uint32
	elems     []uint32
	// globals are mutable i32 globals initialised to zero.
	globals int
}

// build returns the module tm describes, valid, as decoded from its
// binary encoding, so that byte offsets are the binary's.
func (tm tmod) build(t testing.TB) *wasm.Module {
	t.Helper()
	m := &wasm.Module{Types: append([]wasm.FuncType(nil), tm.types...)}
	names := map[uint32]string{}
	for _, im := range tm.imports {
		m.Imports = append(m.Imports, wasm.Import{Module: im.module, Name: im.name, Kind: wasm.ExternFunc, Func: uint32(len(m.Types))})
		m.Types = append(m.Types, wasm.FuncType{Params: im.params, Results: im.results})
	}
	for i, f := range tm.funcs {
		idx := uint32(len(tm.imports) + i)
		m.Funcs = append(m.Funcs, uint32(len(m.Types)))
		m.Types = append(m.Types, wasm.FuncType{Params: f.params, Results: f.results})
		var n uint64
		for _, g := range f.locals {
			n += uint64(g.Count)
		}
		m.Codes = append(m.Codes, wasm.Code{Locals: f.locals, NumLocals: n, Body: f.body})
		if f.name != "" {
			m.Exports = append(m.Exports, wasm.Export{Name: f.name, Kind: wasm.ExternFunc, Index: idx})
			names[idx] = f.name
		}
	}
	if tm.memory != nil {
		m.Memories = []wasm.MemoryType{{Limits: *tm.memory}}
		m.Exports = append(m.Exports, wasm.Export{Name: "memory", Kind: wasm.ExternMemory})
	}
	if tm.tableSize > 0 {
		m.Tables = []wasm.TableType{{ElemType: wasm.ValueTypeFuncref, Limits: wasm.Limits{Min: tm.tableSize, Max: tm.tableSize, HasMax: true}}}
		if len(tm.elems) > 0 {
			m.Elems = []wasm.ElemSegment{{Mode: wasm.SegmentActive, Offset: wasm.ConstExpr{Code: wcode(wi32(0))},
				Type: wasm.ValueTypeFuncref, FuncIndices: tm.elems}}
		}
	}
	for range tm.globals {
		m.Globals = append(m.Globals, wasm.Global{Type: wasm.GlobalType{ValType: wasm.ValueTypeI32, Mutable: true},
			Init: wasm.ConstExpr{Code: wcode(wi32(0))}})
	}
	m.Names = &wasm.NameSection{FuncNames: names}
	m.IndexImports()
	dec, err := wbinary.Decode(wbinary.Encode(m))
	if err != nil {
		t.Fatalf("test module does not decode: %v", err)
	}
	if err := validate.Module(dec, nil); err != nil {
		t.Fatalf("test module is invalid: %v", err)
	}
	return dec
}

// compiledInstance compiles m with e and instantiates it in s as name.
func compiledInstance(t testing.TB, e *Engine, s *store.Store, m *wasm.Module, name string) *store.Instance {
	t.Helper()
	mod, err := e.Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := s.Instantiate(m, name, mod.Codes(), store.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close() })
	if err := e.Instantiated(inst); err != nil {
		t.Fatal(err)
	}
	return inst
}

// hostInstance instantiates and registers a host module of funcs as name.
func hostInstance(t testing.TB, s *store.Store, name string, funcs ...store.HostFunc) *store.Instance {
	t.Helper()
	h, err := s.NewHostInstance(name, &store.HostModule{Funcs: funcs}, store.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Register(name, h); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// exported returns the function inst exports as name.
func exported(t testing.TB, inst *store.Instance, name string) *store.Function {
	t.Helper()
	x, ok := inst.Exports[name]
	if !ok || x.Kind != wasm.ExternFunc {
		t.Fatalf("%s exports no function %q", inst.Name, name)
	}
	return inst.Funcs[x.Index]
}

// invoke calls f with e and returns its results.
func invoke(ctx context.Context, e interface {
	Call(context.Context, *store.Function, []uint64) error
}, f *store.Function, args ...uint64) ([]uint64, error) {
	stack := make([]uint64, max(f.ParamSlots, f.ResultSlots))
	copy(stack, args)
	if err := e.Call(ctx, f, stack); err != nil {
		return nil, err
	}
	return stack[:f.ResultSlots], nil
}

// asTrap returns err's trap, or nil.
func asTrap(err error) *api.Trap {
	var tr *api.Trap
	if errors.As(err, &tr) {
		return tr
	}
	return nil
}

func kindOf(err error) api.TrapKind {
	if tr := asTrap(err); tr != nil {
		return tr.Kind
	}
	return 0
}

var (
	vI32  = wasm.ValueTypeI32
	vI64  = wasm.ValueTypeI64
	vF32  = wasm.ValueTypeF32
	vF64  = wasm.ValueTypeF64
	vV128 = wasm.ValueTypeV128
)

// TestEngineResults checks params and results of calls: several types,
// many params, multiple results, values passed through calls, blocks
// with params and results, and host functions called from machine code.
func TestEngineResults(t *testing.T) {
	s := store.New()
	hostInstance(t, s, "env", store.HostFunc{Export: "divmod",
		Type: wasm.FuncType{Params: vts(vI64, vI64), Results: vts(vI64, vI64)},
		Fn: func(_ context.Context, _ api.Module, st []uint64) error {
			a, b := int64(st[0]), int64(st[1])
			st[0], st[1] = uint64(a/b), uint64(a%b)
			return nil
		}})
	many := make([]wasm.ValueType, 12)
	var sumMany []byte
	for i := range many {
		many[i] = vI64
		sumMany = append(sumMany, wget(uint32(i))...)
		if i > 0 {
			sumMany = append(sumMany, wop(wasm.OpI64Add)...)
		}
	}
	tm := tmod{
		// Type 0: a block (i32 i32) -> (i32 i32).
		types:   []wasm.FuncType{{Params: vts(vI32, vI32), Results: vts(vI32, vI32)}},
		imports: []timport{{"env", "divmod", vts(vI64, vI64), vts(vI64, vI64)}},
		funcs: []tfn{
			/* 1 */ {name: "add", params: vts(vI32, vI32), results: vts(vI32), body: wcode(wget(0), wget(1), wop(wasm.OpI32Add))},
			/* 2 */ {name: "reverse", params: vts(vI32, vI64, vF32, vF64), results: vts(vF64, vF32, vI64, vI32),
				body: wcode(wget(3), wget(2), wget(1), wget(0))},
			/* 3 */ {name: "sum12", params: many, results: vts(vI64), body: wcode(sumMany)},
			/* 4 */ {name: "call_reverse", params: vts(vI32, vI64, vF32, vF64), results: vts(vF64, vF32, vI64, vI32),
				body: wcode(wget(0), wget(1), wget(2), wget(3), wcall(2))},
			// Calls sum12 with 1..12 from a frame that has locals of
			// its own, so callee frames start past them.
			/* 5 */ {name: "call_sum12", results: vts(vI64), locals: []wasm.LocalGroup{{Count: 5, Type: vI64}},
				body: wcode(wi64(7), wset(4), func() []byte {
					var b []byte
					for i := 1; i <= 12; i++ {
						b = append(b, wi64(int64(i))...)
					}
					return b
				}(), wcall(3), wget(4), wop(wasm.OpI64Add))},
			/* 6 */ {name: "swap_block", params: vts(vI32, vI32), results: vts(vI32, vI32),
				body: wcode(wget(0), wget(1), wblock(wtype(0)), wset(0), wset(1), wget(0), wget(1), wend)},
			/* 7 */ {name: "divmod", params: vts(vI64, vI64), results: vts(vI64, vI64), body: wcode(wget(0), wget(1), wcall(0))},
			/* 8 */ {name: "v128_add", params: vts(vV128, vV128), results: vts(vV128),
				body: wcode(wget(0), wget(1), wop(wasm.OpI32x4Add))},
			/* 9 */ {name: "fadd", params: vts(vF32, vF64), results: vts(vF64),
				body: wcode(wget(0), wop(wasm.OpF64PromoteF32), wget(1), wop(wasm.OpF64Add))},
			/* 10 */ {name: "select_max", params: vts(vI32, vI32), results: vts(vI32),
				body: wcode(wget(0), wget(1), wget(0), wget(1), wop(wasm.OpI32GtS), wop(wasm.OpSelect))},
			/* 11 */ {name: "fac", params: vts(vI64), results: vts(vI64),
				body: wcode(wget(0), wop(wasm.OpI64Eqz), wif([]byte{byte(vI64)}), wi64(1), welse,
					wget(0), wget(0), wi64(1), wop(wasm.OpI64Sub), wcall(11), wop(wasm.OpI64Mul), wend)},
		},
	}
	e := New(Config{})
	inst := compiledInstance(t, e, s, tm.build(t), "test")
	f32b := func(v float32) uint64 { return uint64(math.Float32bits(v)) }
	f64b := math.Float64bits
	twelve := make([]uint64, 12)
	for i := range twelve {
		twelve[i] = uint64(1) << (4 * i)
	}
	for _, tt := range []struct {
		name string
		args []uint64
		want []uint64
	}{
		{"add", []uint64{2, 3}, []uint64{5}},
		{"add", []uint64{0xffffffff, 1}, []uint64{0}},
		{"reverse", []uint64{7, 1 << 40, f32b(1.5), f64b(-2.25)}, []uint64{f64b(-2.25), f32b(1.5), 1 << 40, 7}},
		{"call_reverse", []uint64{7, 1 << 40, f32b(1.5), f64b(-2.25)}, []uint64{f64b(-2.25), f32b(1.5), 1 << 40, 7}},
		{"sum12", twelve, []uint64{0x111111111111}},
		{"call_sum12", nil, []uint64{85}},
		{"swap_block", []uint64{1, 2}, []uint64{2, 1}},
		{"divmod", []uint64{47, 5}, []uint64{9, 2}},
		{"v128_add", []uint64{0x0000000200000001, 0x0000000400000003, 0x0000001000000010, 0xffffffffffffffff},
			[]uint64{0x0000001200000011, 0x00000003_00000002}},
		{"fadd", []uint64{f32b(0.5), f64b(0.25)}, []uint64{f64b(0.75)}},
		{"select_max", []uint64{uint64(uint32(0xfffffffe)), 3}, []uint64{3}},
		{"select_max", []uint64{9, 3}, []uint64{9}},
		{"fac", []uint64{20}, []uint64{2432902008176640000}},
	} {
		t.Run(fmt.Sprintf("%s%x", tt.name, tt.args), func(t *testing.T) {
			f := exported(t, inst, tt.name)
			got, err := invoke(context.Background(), e, f, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			for i, rt := range f.Type.Results {
				if rt == vI32 || rt == vF32 {
					got[i] &= math.MaxUint32
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %#x, want %#x", got, tt.want)
			}
		})
	}
}

// TestEngineTraps checks that every trap a guest can cause has the
// spec's wording and a backtrace naming the trapping function, the
// module offset of the trapping instruction, and the calling function
// with the offset of its call.
func TestEngineTraps(t *testing.T) {
	memory := &wasm.Limits{Min: 1, Max: 1, HasMax: true}
	tests := []struct {
		name string
		// The trapping function (i32) -> (i32) runs pre, the trapping
		// instruction at, then post.
		pre, at, post []byte
		arg           uint64
		kind          api.TrapKind
	}{
		{"unreachable", nil, wop(wasm.OpUnreachable), nil, 0, api.TrapUnreachable},
		{"divide by zero", wcat(wget(0), wi32(0)), wop(wasm.OpI32DivU), nil, 1, api.TrapIntegerDivideByZero},
		{"i64 remainder by zero", wcat(wi64(5), wget(0), wop(wasm.OpI64ExtendI32U)), wop(wasm.OpI64RemS), wop(wasm.OpI32WrapI64), 0, api.TrapIntegerDivideByZero},
		{"signed overflow", wcat(wi32(math.MinInt32), wget(0)), wop(wasm.OpI32DivS), nil, 0xffffffff, api.TrapIntegerOverflow},
		{"NaN to integer", wf64(math.NaN()), wop(wasm.OpI32TruncF64S), nil, 0, api.TrapInvalidConversion},
		{"float too large", wf32(3e9), wop(wasm.OpI32TruncF32S), nil, 0, api.TrapIntegerOverflow},
		{"load past the end", wget(0), wmem(wasm.OpI32Load, 0), nil, 65533, api.TrapOutOfBoundsMemory},
		{"load past the end by offset", wget(0), wmem(wasm.OpI32Load, 0xffffffff), nil, 0, api.TrapOutOfBoundsMemory},
		{"store past the end", wcat(wget(0), wi32(1)), wmem(wasm.OpI32Store8, 0), wi32(0), 65536, api.TrapOutOfBoundsMemory},
		{"i64 store straddling the end", wcat(wget(0), wi64(1)), wmem(wasm.OpI64Store, 0), wi32(0), 65529, api.TrapOutOfBoundsMemory},
		{"table.get past the end", wget(0), widx(wasm.OpTableGet, 0), wop(wasm.OpRefIsNull), 4, api.TrapOutOfBoundsTable},
		// Table: [0] = "ok" of type 0, [1] = "other" of another type,
		// [2] and [3] null.
		{"call_indirect past the end", wcat(wget(0), wget(0)), wcallInd(0), nil, 4, api.TrapUndefinedElement},
		{"call_indirect past the end by far", wcat(wget(0), wget(0)), wcallInd(0), nil, 0xffffffff, api.TrapUndefinedElement},
		{"call_indirect to null", wcat(wget(0), wget(0)), wcallInd(0), nil, 2, api.TrapUninitializedElement},
		{"call_indirect type mismatch", wcat(wget(0), wget(0)), wcallInd(0), nil, 1, api.TrapIndirectCallTypeMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm := tmod{
				types:  []wasm.FuncType{{Params: vts(vI32), Results: vts(vI32)}},
				memory: memory,
				funcs: []tfn{
					/* 0 */ {name: "outer", params: vts(vI32), results: vts(vI32), body: wcode(wi32(1), wop(wasm.OpDrop), wget(0), wcall(1))},
					/* 1 */ {name: "inner", params: vts(vI32), results: vts(vI32), body: wcode(tt.pre, tt.at, tt.post)},
					/* 2 */ {name: "ok", params: vts(vI32), results: vts(vI32), body: wcode(wget(0))},
					/* 3 */ {name: "other", params: vts(vI64), results: vts(vI32), body: wcode(wi32(0))},
				},
				tableSize: 4,
				elems:     []uint32{2, 3},
			}
			m := tm.build(t)
			wantInner := m.Codes[1].BodyOffset + uint64(len(tt.pre))
			wantOuter := m.Codes[0].BodyOffset + uint64(len(wcat(wi32(1), wop(wasm.OpDrop), wget(0))))
			check := func(t *testing.T, tier string, err error) {
				tr := asTrap(err)
				if tr == nil {
					t.Fatalf("%s: got %v, want a trap", tier, err)
				}
				if tr.Kind != tt.kind {
					t.Fatalf("%s: got %v, want %v", tier, tr.Kind, tt.kind)
				}
				if !strings.HasPrefix(err.Error(), tt.kind.String()) {
					t.Errorf("%s: message %q does not start with the spec's %q", tier, err.Error(), tt.kind.String())
				}
				want := []api.Frame{
					{Module: "test", FuncIndex: 1, FuncName: "inner", Offset: wantInner},
					{Module: "test", FuncIndex: 0, FuncName: "outer", Offset: wantOuter},
				}
				if fmt.Sprint(tr.Frames) != fmt.Sprint(want) {
					t.Errorf("%s: backtrace\n%v\nwant\n%v", tier, tr.Frames, want)
				}
			}
			e := New(Config{})
			inst := compiledInstance(t, e, store.New(), m, "test")
			_, err := invoke(context.Background(), e, exported(t, inst, "outer"), tt.arg)
			check(t, "compiled", err)
			// The engine stays usable after a trap.
			if got, err := invoke(context.Background(), e, exported(t, inst, "ok"), 42); err != nil || got[0] != 42 {
				t.Errorf("call after the trap: %v, %v", got, err)
			}
		})
	}
}

// TestEngineCallStackExhausted checks that unbounded recursion traps
// with "call stack exhausted", whatever the frame size and however the
// function calls itself, at the depth the interpreter reaches with the
// same MaxStackBytes; that a smaller MaxStackBytes traps sooner; and
// that the engine is usable afterwards.
func TestEngineCallStackExhausted(t *testing.T) {
	// Every function counts its depth in global 0.
	count := wcat(wgget(0), wi32(1), wop(wasm.OpI32Add), wgset(0))
	tests := []struct {
		name string
		f    tfn
	}{
		{"no locals", tfn{name: "f", body: wcode(count, wcall(0))}},
		{"params and locals", tfn{name: "f", params: vts(vI64, vI64), results: vts(vI64),
			locals: []wasm.LocalGroup{{Count: 100, Type: vI64}}, body: wcode(count, wget(0), wget(1), wcall(0))}},
		{"big frames", tfn{name: "f", params: vts(vV128), results: vts(vV128),
			locals: []wasm.LocalGroup{{Count: 2000, Type: vV128}}, body: wcode(count, wget(0), wcall(0))}},
		{"indirect", tfn{name: "f", params: vts(vI32), results: vts(vI32), body: wcode(count, wget(0), wget(0), wcallInd(0))}},
	}
	depths := map[string]map[int]uint64{}
	for _, limit := range []int{0, 64 << 10} {
		e := New(Config{MaxStackBytes: limit})
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/limit %d", tt.name, limit), func(t *testing.T) {
				tm := tmod{funcs: []tfn{tt.f, {name: "ok", results: vts(vI32), body: wcode(wi32(7))}}, globals: 1}
				if tt.name == "indirect" {
					tm.types = []wasm.FuncType{{Params: vts(vI32), Results: vts(vI32)}}
					tm.tableSize, tm.elems = 1, []uint32{0}
				}
				m := tm.build(t)
				inst := compiledInstance(t, e, store.New(), m, "test")
				f := exported(t, inst, "f")
				_, err := invoke(context.Background(), e, f, make([]uint64, f.ParamSlots)...)
				if kindOf(err) != api.TrapCallStackExhausted {
					t.Fatalf("got %v, want call stack exhausted", err)
				}
				if !strings.HasPrefix(err.Error(), "call stack exhausted") {
					t.Errorf("message %q", err)
				}
				depth := inst.Globals[0].Val & math.MaxUint32
				t.Logf("trapped at depth %d: %v", depth, strings.SplitN(err.Error(), "\n", 2)[0])
				if depths[tt.name] == nil {
					depths[tt.name] = map[int]uint64{}
				}
				depths[tt.name][limit] = depth
				if limit != 0 && depth > uint64(limit/32) {
					t.Errorf("%d calls deep, past the %d that %d bytes allow", depth, limit/32, limit)
				}
				// The same limit takes the interpreter as deep, give or
				// take how each counts the outermost call.
				if want := interpDepth(t, m, limit); depth+want/100+2 < want || depth > want+want/100+2 {
					t.Errorf("%d calls deep; the interpreter with the same limit goes %d deep", depth, want)
				}
				if got, err := invoke(context.Background(), e, exported(t, inst, "ok")); err != nil || got[0] != 7 {
					t.Errorf("call after the trap: %v, %v", got, err)
				}
			})
		}
	}
	for name, d := range depths {
		if d[64<<10] >= d[0] {
			t.Errorf("%s: 64 KiB of stack went %d calls deep, the default %d", name, d[64<<10], d[0])
		}
	}
}

// interpDepth runs export "f" of m on the interpreter with a stack of
// limit bytes and returns the depth it reached, as global 0 counts it.
func interpDepth(t *testing.T, m *wasm.Module, limit int) uint64 {
	t.Helper()
	e := interp.New(interp.Config{MaxStackBytes: limit})
	mod, err := e.Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := store.New().Instantiate(m, "test", mod.Codes(), store.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	f := exported(t, inst, "f")
	if _, err := invoke(context.Background(), e, f, make([]uint64, f.ParamSlots)...); kindOf(err) != api.TrapCallStackExhausted {
		t.Fatalf("interpreter: got %v, want call stack exhausted", err)
	}
	return inst.Globals[0].Val & math.MaxUint32
}

// loopModule has exported functions that never return.
func loopModule(t testing.TB, s *store.Store) *wasm.Module {
	hostInstance(t, s, "env", store.HostFunc{Export: "nop", Fn: func(context.Context, api.Module, []uint64) error { return nil }})
	return tmod{
		imports: []timport{{module: "env", name: "nop"}},
		memory:  &wasm.Limits{Min: 1},
		funcs: []tfn{
			/* 1 */ {name: "spin", body: wcode(wloop(wvoid), wbr(0), wend)},
			/* 2 */ {name: "calls", body: wcode(wloop(wvoid), wcall(3), wbr(0), wend)},
			/* 3 */ {body: wcode()},
			/* 4 */ {name: "host calls", body: wcode(wloop(wvoid), wcall(0), wbr(0), wend)},
			/* 5 */ {name: "memory loop", params: vts(vI32), locals: []wasm.LocalGroup{{Count: 1, Type: vI32}},
				body: wcode(wloop(wvoid),
					wget(1), wget(1), wmem(wasm.OpI32Load, 0), wi32(1), wop(wasm.OpI32Add), wmem(wasm.OpI32Store, 0),
					wget(1), wi32(4), wop(wasm.OpI32Add), wi32(0xfffc), wop(wasm.OpI32And), wset(1),
					wi32(1), wbrIf(0), wend)},
			/* 6 */ {name: "nested", body: wcode(wloop(wvoid), wloop(wvoid), wblock(wvoid), wbr(1), wend, wend, wend)},
			// Closed as Go's compiler closes loops: a constant state and
			// a jump back to a br_table on it (see gen.threaded).
			/* 7 */ {name: "dispatch", locals: []wasm.LocalGroup{{Count: 1, Type: vI32}},
				body: wcode(wloop(wvoid), wblock(wvoid), wblock(wvoid), wget(0), wop(wasm.OpBrTable), []byte{1, 0, 1}, wend,
					wcall(3), wi32(1), wset(0), wbr(1), wend,
					wi32(0), wset(0), wbr(0), wend)},
		},
	}.build(t)
}

var loopExports = []string{"spin", "calls", "host calls", "memory loop", "nested", "dispatch"}

// TestEngineDeadline checks that a guest that never returns stops with
// a timeout trap soon after its context's deadline.
func TestEngineDeadline(t *testing.T) { forTargets(t, testEngineDeadline) }

func testEngineDeadline(t *testing.T, newEngine func(Config) *Engine) {
	e := newEngine(Config{})
	s := store.New()
	inst := compiledInstance(t, e, s, loopModule(t, s), "test")
	for _, name := range loopExports {
		t.Run(name, func(t *testing.T) {
			f := exported(t, inst, name)
			// On a machine busy with other tests a thread can wait
			// 20 ms for a CPU whatever the engine does: a call late
			// twice in a row is the engine's fault.
			for try := 0; ; try++ {
				ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
				deadline, _ := ctx.Deadline()
				_, err := invoke(ctx, e, f, make([]uint64, f.ParamSlots)...)
				late := time.Since(deadline)
				cancel()
				t.Logf("stopped %v after the deadline", late)
				if kindOf(err) != api.TrapTimeout || !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("got %v, want a timeout", err)
				}
				if tr := asTrap(err); len(tr.Frames) == 0 || tr.Frames[0].Module != "test" {
					t.Errorf("backtrace %v", tr.Frames)
				}
				// QEMU's software CPU delivers the kick to a VM's
				// thread a timer tick late (25 ms was seen, every
				// time, in one run): the bound is the hardware's.
				bound := 20 * time.Millisecond
				if emulatedCPU {
					bound = 100 * time.Millisecond
				}
				if late < bound {
					break
				}
				if try == 1 {
					t.Errorf("stopped %v after the deadline, twice, want < %v", late, bound)
					break
				}
			}
		})
	}
}

// TestEngineCancel checks that canceling a call's context stops it
// with an interrupted trap, whether before or during the call.
func TestEngineCancel(t *testing.T) { forTargets(t, testEngineCancel) }

func testEngineCancel(t *testing.T, newEngine func(Config) *Engine) {
	e := newEngine(Config{})
	s := store.New()
	inst := compiledInstance(t, e, s, loopModule(t, s), "test")
	for _, name := range loopExports {
		f := exported(t, inst, name)
		args := make([]uint64, f.ParamSlots)
		t.Run(name+"/during", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			canceled := make(chan time.Time, 1)
			time.AfterFunc(20*time.Millisecond, func() { canceled <- time.Now(); cancel() })
			_, err := invoke(ctx, e, f, args...)
			t.Logf("stopped %v after cancel", time.Since(<-canceled))
			if kindOf(err) != api.TrapInterrupted || !errors.Is(err, context.Canceled) {
				t.Fatalf("got %v, want interrupted", err)
			}
		})
		t.Run(name+"/before", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_, err := invoke(ctx, e, f, args...)
			if kindOf(err) != api.TrapInterrupted {
				t.Fatalf("got %v, want interrupted", err)
			}
		})
	}
}

// TestEngineHost checks host functions called from machine code:
// results, re-entry into WebAssembly (also recursively), errors,
// panics and exits, and the bound on re-entry depth.
func TestEngineHost(t *testing.T) { forTargets(t, testEngineHost) }

func testEngineHost(t *testing.T, newEngine func(Config) *Engine) {
	e := newEngine(Config{})
	sig := wasm.FuncType{Params: vts(vI32), Results: vts(vI32)}
	// guest builds an instance that imports env.host (i32) -> (i32) and
	// exports "f" (calls host with its argument + 0), "g" (returns its
	// argument plus one) and "down": down(n) = n == 0 ? 0 : host(n-1) + 1.
	guest := func(t *testing.T, host api.GoModuleFunc) *store.Instance {
		s := store.New()
		hostInstance(t, s, "env", store.HostFunc{Export: "host", Type: sig, Fn: host})
		return compiledInstance(t, e, s, tmod{
			imports: []timport{{"env", "host", vts(vI32), vts(vI32)}},
			funcs: []tfn{
				{name: "f", params: vts(vI32), results: vts(vI32), body: wcode(wget(0), wcall(0))},
				{name: "g", params: vts(vI32), results: vts(vI32), body: wcode(wget(0), wi32(1), wop(wasm.OpI32Add))},
				{name: "down", params: vts(vI32), results: vts(vI32), body: wcode(
					wget(0), wop(wasm.OpI32Eqz), wif(wI32), wi32(0), welse,
					wget(0), wi32(1), wop(wasm.OpI32Sub), wcall(0), wi32(1), wop(wasm.OpI32Add), wend)},
			},
		}.build(t), "guest")
	}
	var inst *store.Instance
	reenter := func(ctx context.Context, _ api.Module, st []uint64) error {
		r, err := invoke(ctx, e, exported(t, inst, "g"), st[0])
		if err != nil {
			return err
		}
		st[0] = r[0] + 1
		return nil
	}
	// Host half of down: host(n) = down(n), so down(n) alternates
	// guest and host n levels deep.
	var levels int
	mutual := func(ctx context.Context, _ api.Module, st []uint64) error {
		levels++
		r, err := invoke(ctx, e, exported(t, inst, "down"), st[0])
		if err != nil {
			return err
		}
		st[0] = r[0]
		return nil
	}
	unbounded := func(ctx context.Context, _ api.Module, st []uint64) error {
		_, err := invoke(ctx, e, exported(t, inst, "f"), st[0])
		return err
	}
	trapInside := func(ctx context.Context, _ api.Module, st []uint64) error {
		// A trap in a nested call comes back through the host function.
		f := exported(t, inst, "f")
		if st[0] == 0 {
			return &api.Trap{Kind: api.TrapUnreachable, Detail: "from the host"}
		}
		_, err := invoke(ctx, e, f, st[0]-1)
		return err
	}
	tests := []struct {
		name   string
		host   api.GoModuleFunc
		export string
		arg    uint64
		want   uint64
		err    func(error) bool
	}{
		{"result", func(_ context.Context, _ api.Module, st []uint64) error { st[0] *= 3; return nil }, "f", 7, 21, nil},
		{"re-entry", reenter, "f", 7, 9, nil},
		{"recursion host and guest", mutual, "down", 5, 5, nil},
		{"recursion host and guest, deeper", mutual, "down", 40, 40, nil},
		{"error", func(context.Context, api.Module, []uint64) error { return errors.New("refused") }, "f", 0, 0,
			func(err error) bool { return err != nil && strings.Contains(err.Error(), "refused") }},
		{"exit", func(context.Context, api.Module, []uint64) error { return &api.ExitError{Code: 3} }, "f", 0, 0,
			func(err error) bool { var x *api.ExitError; return errors.As(err, &x) && x.Code == 3 }},
		{"panic", func(context.Context, api.Module, []uint64) error { panic("boom") }, "f", 0, 0,
			func(err error) bool {
				tr := asTrap(err)
				return tr != nil && tr.Kind == api.TrapHostPanic && strings.Contains(err.Error(), "boom") &&
					len(tr.Frames) == 2 && tr.Frames[0].Host && tr.Frames[1].FuncName == "f"
			}},
		{"panic with an error", func(context.Context, api.Module, []uint64) error { panic(errors.ErrUnsupported) }, "f", 0, 0,
			func(err error) bool {
				return kindOf(err) == api.TrapHostPanic && errors.Is(err, errors.ErrUnsupported)
			}},
		{"panic with exit", func(context.Context, api.Module, []uint64) error { panic(&api.ExitError{Code: 4}) }, "f", 0, 0,
			func(err error) bool { var x *api.ExitError; return errors.As(err, &x) && x.Code == 4 }},
		{"nested panic", func(ctx context.Context, m api.Module, st []uint64) error {
			if st[0] == 0 {
				panic("deep")
			}
			_, err := invoke(ctx, e, exported(t, inst, "f"), st[0]-1)
			return err
		}, "f", 3, 0, func(err error) bool { return kindOf(err) == api.TrapHostPanic && strings.Contains(err.Error(), "deep") }},
		{"trap through re-entry", trapInside, "f", 3, 0, func(err error) bool {
			tr := asTrap(err)
			return tr != nil && tr.Kind == api.TrapUnreachable && len(tr.Frames) >= 2 && tr.Frames[0].Host
		}},
		{"unbounded re-entry", unbounded, "f", 0, 0,
			func(err error) bool { return kindOf(err) == api.TrapCallStackExhausted }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst = guest(t, tt.host)
			levels = 0
			got, err := invoke(context.Background(), e, exported(t, inst, tt.export), tt.arg)
			if tt.err != nil {
				if !tt.err(err) {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got[0] != tt.want {
				t.Errorf("got %d, want %d", got[0], tt.want)
			}
			if tt.name == "recursion host and guest" && levels != 5 {
				t.Errorf("host called %d times, want 5", levels)
			}
		})
	}
}

// TestEngineMemoryGrow checks that memory growth, by memory.grow or by
// a host function, is seen by later loads and stores, in the same call
// and in later ones, and that growth past the maximum fails.
func TestEngineMemoryGrow(t *testing.T) { forTargets(t, testEngineMemoryGrow) }

func testEngineMemoryGrow(t *testing.T, newEngine func(Config) *Engine) {
	e := newEngine(Config{})
	s := store.New()
	var inst *store.Instance
	hostInstance(t, s, "env", store.HostFunc{Export: "grow", Type: wasm.FuncType{Params: vts(vI32), Results: vts(vI32)},
		Fn: func(_ context.Context, _ api.Module, st []uint64) error {
			prev, ok := inst.Memories[0].Grow(uint32(st[0]))
			if !ok {
				st[0] = math.MaxUint32
			} else {
				st[0] = uint64(prev)
			}
			return nil
		}})
	inst = compiledInstance(t, e, s, tmod{
		imports: []timport{{"env", "grow", vts(vI32), vts(vI32)}},
		memory:  &wasm.Limits{Min: 1, Max: 4, HasMax: true},
		funcs: []tfn{
			/* 1 */ {name: "grow", params: vts(vI32), results: vts(vI32), body: wcode(wget(0), wmem0(wasm.OpMemoryGrow))},
			/* 2 */ {name: "size", results: vts(vI32), body: wcode(wmem0(wasm.OpMemorySize))},
			/* 3 */ {name: "load", params: vts(vI32), results: vts(vI32), body: wcode(wget(0), wmem(wasm.OpI32Load, 0))},
			/* 4 */ {name: "store", params: vts(vI32, vI32), body: wcode(wget(0), wget(1), wmem(wasm.OpI32Store, 0))},
			// Grows by one page, stores 0x55 in its last word and loads it.
			/* 5 */ {name: "grow_store_load", results: vts(vI32), locals: []wasm.LocalGroup{{Count: 1, Type: vI32}}, body: wcode(
				wi32(1), wmem0(wasm.OpMemoryGrow), wi32(1), wop(wasm.OpI32Add), wi32(16), wop(wasm.OpI32Shl), wi32(4), wop(wasm.OpI32Sub), wtee(0),
				wi32(0x55), wmem(wasm.OpI32Store, 0), wget(0), wmem(wasm.OpI32Load, 0))},
			// Same through the host function.
			/* 6 */ {name: "host_grow_load", results: vts(vI32), body: wcode(
				wi32(1), wcall(0), wi32(1), wop(wasm.OpI32Add), wi32(16), wop(wasm.OpI32Shl), wi32(4), wop(wasm.OpI32Sub),
				wmem(wasm.OpI32Load, 0))},
		},
	}.build(t), "test")
	ctx := context.Background()
	call := func(name string, args ...uint64) (uint64, error) {
		r, err := invoke(ctx, e, exported(t, inst, name), args...)
		if err != nil || len(r) == 0 {
			return 0, err
		}
		return r[0] & math.MaxUint32, nil
	}
	mustCall := func(want uint64, name string, args ...uint64) {
		t.Helper()
		got, err := call(name, args...)
		if err != nil {
			t.Fatalf("%s%v: %v", name, args, err)
		}
		if got != want {
			t.Fatalf("%s%v = %#x, want %#x", name, args, got, want)
		}
	}
	if _, err := call("load", 65536); kindOf(err) != api.TrapOutOfBoundsMemory {
		t.Fatalf("load past one page: %v", err)
	}
	mustCall(1, "grow", 1)
	mustCall(2, "size")
	mustCall(0, "load", 65536)
	mustCall(0, "store", 2*65536-4, 0x1234)
	mustCall(0x1234, "load", 2*65536-4)
	if _, err := call("load", 2*65536-3); kindOf(err) != api.TrapOutOfBoundsMemory {
		t.Fatalf("load straddling the end of two pages: %v", err)
	}
	mustCall(0x55, "grow_store_load")
	mustCall(3, "size")
	mustCall(0x55, "load", 3*65536-4)
	// Memory grown behind the guest's back by a host function.
	if got := inst.Memories[0].Bytes(); len(got) == 3*65536 {
		binary.LittleEndian.PutUint32(got[len(got)-8:], 0x77)
	}
	mustCall(0x77, "load", 3*65536-8)
	mustCall(0, "host_grow_load")
	mustCall(4, "size")
	mustCall(0, "store", 4*65536-4, 0x99)
	mustCall(0x99, "load", 4*65536-4)
	// Past the maximum: -1, and the size stays.
	mustCall(math.MaxUint32, "grow", 1)
	mustCall(4, "size")
	mustCall(4, "grow", 0)
}

// TestEngineCallIndirect checks call_indirect through a table holding
// functions of the module, of another module and of a host module, and
// its traps.
func TestEngineCallIndirect(t *testing.T) { forTargets(t, testEngineCallIndirect) }

func testEngineCallIndirect(t *testing.T, newEngine func(Config) *Engine) {
	e := newEngine(Config{})
	s := store.New()
	sig := wasm.FuncType{Params: vts(vI32), Results: vts(vI32)}
	hostInstance(t, s, "env", store.HostFunc{Export: "triple", Type: sig,
		Fn: func(_ context.Context, _ api.Module, st []uint64) error { st[0] *= 3; return nil }})
	other := compiledInstance(t, e, s, tmod{memory: &wasm.Limits{Min: 1}, funcs: []tfn{
		// Reads its own memory, so the callee's instance must be the
		// one that runs.
		{name: "double", params: vts(vI32), results: vts(vI32), body: wcode(
			wi32(0), wget(0), wmem(wasm.OpI32Store, 0), wi32(0), wmem(wasm.OpI32Load, 0), wi32(2), wop(wasm.OpI32Mul))},
	}}.build(t), "other")
	if err := s.Register("other", other); err != nil {
		t.Fatal(err)
	}
	inst := compiledInstance(t, e, s, tmod{
		types:   []wasm.FuncType{sig},
		memory:  &wasm.Limits{Min: 1},
		imports: []timport{{"env", "triple", vts(vI32), vts(vI32)}, {"other", "double", vts(vI32), vts(vI32)}},
		funcs: []tfn{
			/* 2 */ {name: "call", params: vts(vI32, vI32), results: vts(vI32), body: wcode(wget(0), wget(1), wcallInd(0))},
			/* 3 */ {name: "inc", params: vts(vI32), results: vts(vI32), body: wcode(wget(0), wi32(1), wop(wasm.OpI32Add))},
			/* 4 */ {name: "wrong", params: vts(vI64), results: vts(vI32), body: wcode(wi32(-1))},
			/* 5 */ {name: "mem", results: vts(vI32), body: wcode(wi32(0), wmem(wasm.OpI32Load, 0))},
			/* 6 */ {name: "call_double", params: vts(vI32), results: vts(vI32), body: wcode(wget(0), wcall(1))},
		},
		// [0] inc, [1] triple (host), [2] double (other), [3] wrong,
		// [4] null.
		tableSize: 5,
		elems:     []uint32{3, 0, 1, 4},
	}.build(t), "test")
	binary.LittleEndian.PutUint32(inst.Memories[0].Bytes(), 0xabcd)
	call := exported(t, inst, "call")
	for _, tt := range []struct {
		x, idx uint64
		want   uint64
		kind   api.TrapKind
	}{
		{10, 0, 11, 0},
		{10, 1, 30, 0},
		{10, 2, 20, 0},
		{10, 3, 0, api.TrapIndirectCallTypeMismatch},
		{10, 4, 0, api.TrapUninitializedElement},
		{10, 5, 0, api.TrapUndefinedElement},
		{10, 0x80000000, 0, api.TrapUndefinedElement},
	} {
		got, err := invoke(context.Background(), e, call, tt.x, tt.idx)
		if kindOf(err) != tt.kind || (tt.kind == 0 && (err != nil || got[0] != tt.want)) {
			t.Errorf("call(%d, %d) = %v, %v; want %d, trap %v", tt.x, tt.idx, got, err, tt.want, tt.kind)
		}
		if err != nil && !strings.HasPrefix(err.Error(), tt.kind.String()) {
			t.Errorf("call(%d, %d): message %q", tt.x, tt.idx, err)
		}
	}
	// The calls into the other module used its memory, not the
	// caller's, and the caller sees its own memory afterwards.
	check := func(how string) {
		t.Helper()
		if got, err := invoke(context.Background(), e, exported(t, inst, "mem")); err != nil || got[0] != 0xabcd {
			t.Errorf("caller's memory after %s: %#x, %v; want 0xabcd", how, got, err)
		}
		if got := binary.LittleEndian.Uint32(other.Memories[0].Bytes()); got != 10 {
			t.Errorf("callee's memory after %s: %#x, want 10", how, got)
		}
	}
	check("call_indirect into another module")
	binary.LittleEndian.PutUint32(inst.Memories[0].Bytes(), 0xabcd)
	binary.LittleEndian.PutUint32(other.Memories[0].Bytes(), 0)
	if got, err := invoke(context.Background(), e, exported(t, inst, "call_double"), 10); err != nil || got[0] != 20 {
		t.Errorf("call_double(10) = %v, %v; want 20", got, err)
	}
	check("a call of a function imported from another module")
}

// TestEngineConcurrent calls functions of one compiled module from
// several goroutines, each on an instance of its own, and checks that
// none sees another's memory or globals.
func TestEngineConcurrent(t *testing.T) { forTargets(t, testEngineConcurrent) }

func testEngineConcurrent(t *testing.T, newEngine func(Config) *Engine) {
	e := newEngine(Config{})
	m := tmod{
		memory:  &wasm.Limits{Min: 1},
		globals: 1,
		funcs: []tfn{
			// work(id, n): n times, add id to memory[0] and to global 0,
			// calling fib(10) every time; returns memory[0].
			{name: "work", params: vts(vI32, vI32), results: vts(vI32), body: wcode(
				wloop(wvoid),
				wi32(0), wi32(0), wmem(wasm.OpI32Load, 0), wget(0), wop(wasm.OpI32Add), wmem(wasm.OpI32Store, 0),
				wgget(0), wget(0), wop(wasm.OpI32Add), wgset(0),
				wi32(10), wcall(1), wop(wasm.OpDrop),
				wget(1), wi32(1), wop(wasm.OpI32Sub), wtee(1), wbrIf(0), wend,
				wi32(0), wmem(wasm.OpI32Load, 0))},
			{name: "fib", params: vts(vI32), results: vts(vI32), body: wcode(
				wget(0), wi32(2), wop(wasm.OpI32LtU), wif(wI32), wget(0), welse,
				wget(0), wi32(1), wop(wasm.OpI32Sub), wcall(1), wget(0), wi32(2), wop(wasm.OpI32Sub), wcall(1), wop(wasm.OpI32Add), wend)},
		},
	}.build(t)
	const workers, rounds, n = 8, 5, 2000
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		inst := compiledInstance(t, e, store.New(), m, fmt.Sprintf("w%d", w))
		work := exported(t, inst, "work")
		wg.Go(func() {
			id := uint64(w + 1)
			for r := range rounds {
				got, err := invoke(context.Background(), e, work, id, n)
				if err != nil {
					errs <- fmt.Errorf("worker %d: %v", w, err)
					return
				}
				if want := id * n * uint64(r+1); got[0] != want || inst.Globals[0].Val&math.MaxUint32 != want {
					errs <- fmt.Errorf("worker %d round %d: memory %d, global %d, want %d", w, r, got[0], inst.Globals[0].Val, want)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestEngineGC checks that a guest in a long loop does not hold up a
// garbage collection that another goroutine starts.
func TestEngineGC(t *testing.T) { forTargets(t, testEngineGC) }

func testEngineGC(t *testing.T, newEngine func(Config) *Engine) {
	e := newEngine(Config{})
	s := store.New()
	inst := compiledInstance(t, e, s, loopModule(t, s), "test")
	// Long enough that collections on a loaded machine (100 ms were
	// seen for three) end well before the guest, as they must if they
	// do not wait for it; longer where collections alone take longer
	// (an emulated CPU takes most of a second for three).
	begin := time.Now()
	for range 3 {
		runtime.GC()
	}
	guestTime := max(600*time.Millisecond, 8*time.Since(begin))
	for _, name := range []string{"spin", "memory loop"} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), guestTime)
			defer cancel()
			f := exported(t, inst, name)
			started := make(chan struct{})
			guestDone := make(chan time.Time, 1)
			go func() {
				close(started)
				invoke(ctx, e, f, make([]uint64, f.ParamSlots)...)
				guestDone <- time.Now()
			}()
			<-started
			time.Sleep(20 * time.Millisecond) // let the guest enter its loop
			begin := time.Now()
			for range 3 {
				runtime.GC()
			}
			gcDone := time.Now()
			guestEnd := <-guestDone
			t.Logf("3 collections took %v; the guest ran %v longer", gcDone.Sub(begin), guestEnd.Sub(gcDone))
			if !gcDone.Before(guestEnd) || gcDone.Sub(begin) > guestTime/2 {
				t.Errorf("collections took %v and ended %v before the guest", gcDone.Sub(begin), guestEnd.Sub(gcDone))
			}
		})
	}
}

// TestEngineMatchesInterpreterBacktrace checks that both tiers name the
// same frames and offsets for a trap three calls deep.
func TestEngineMatchesInterpreterBacktrace(t *testing.T) {
	m := tmod{funcs: []tfn{
		{name: "a", params: vts(vI32), results: vts(vI32), body: wcode(wi32(5), wop(wasm.OpDrop), wget(0), wcall(1))},
		{name: "b", params: vts(vI32), results: vts(vI32), body: wcode(wget(0), wi32(1), wop(wasm.OpI32Add), wcall(2))},
		{name: "c", params: vts(vI32), results: vts(vI32), body: wcode(wi32(1), wget(0), wop(wasm.OpI32DivU))},
	}}.build(t)
	ce := New(Config{})
	cinst := compiledInstance(t, ce, store.New(), m, "test")
	ie := interp.New(interp.Config{})
	imod, err := ie.Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	iinst, err := store.New().Instantiate(m, "test", imod.Codes(), store.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer iinst.Close()
	_, cerr := invoke(context.Background(), ce, exported(t, cinst, "a"), 0xffffffff)
	_, ierr := invoke(context.Background(), ie, exported(t, iinst, "a"), 0xffffffff)
	ct, it := asTrap(cerr), asTrap(ierr)
	if ct == nil || it == nil {
		t.Fatalf("compiled %v, interpreter %v", cerr, ierr)
	}
	if len(ct.Frames) != 3 || fmt.Sprint(ct.Frames) != fmt.Sprint(it.Frames) {
		t.Errorf("compiled backtrace\n%v\ninterpreter\n%v", ct.Frames, it.Frames)
	}
}

// TestBoundsCheckedOnce checks that a memory access whose bounds check
// the generator leaves out, since one through the same address that
// reached as far passed before it, still traps whenever it should: at
// the first access that reaches past the end, and again after the
// address changed.
func TestBoundsCheckedOnce(t *testing.T) {
	type access struct{ lead, mem, tail []byte } // the access is mem
	load := func(addr []byte, off uint32) access {
		return access{addr, wmem(wasm.OpI32Load, off), wop(wasm.OpDrop)}
	}
	p := wget(0)
	tests := []struct {
		name   string
		body   []access
		arg    uint64
		trapAt int // index of the trapping access; -1: none
	}{
		{"the same end passes", []access{load(p, 4), load(p, 4), load(p, 0)}, 65536 - 8, -1},
		{"a further end is checked", []access{load(p, 0), load(p, 8)}, 65536 - 8, 1},
		{"a wider access is checked", []access{load(p, 0), {p, wmem(wasm.OpI64Load, 0), wop(wasm.OpDrop)}}, 65536 - 4, 1},
		{"a nearer end is not", []access{load(p, 8), load(p, 0)}, 65536 - 12, -1},
		{"a store is checked as a load", []access{load(p, 0), {wcat(p, wi32(1)), wmem(wasm.OpI32Store, 2), nil}}, 65536 - 4, 1},
		{"a written address is checked again", []access{load(p, 0), {wcat(p, wi32(100), wop(wasm.OpI32Add), wset(0)), nil, nil}, load(p, 0)}, 65536 - 50, 2},
		{"another address is checked", []access{load(p, 0), load(wcat(p, wi32(8), wop(wasm.OpI32Add)), 0)}, 65536 - 8, 1},
		{"after a branch target", []access{load(p, 0), {wcat(wblock([]byte{0x40}), wop(wasm.OpEnd)), nil, nil}, load(p, 8)}, 65536 - 8, 2},
		{"constant addresses", []access{load(wi32(65532), 0), load(wi32(65532), 4)}, 0, 1},
		{"constant addresses, nearer", []access{load(wi32(65532), 0), load(wi32(65530), 0)}, 0, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body []byte
			wantAt := -1
			for i, acc := range tt.body {
				if i == tt.trapAt {
					wantAt = len(body) + len(acc.lead)
				}
				body = wcat(body, acc.lead, acc.mem, acc.tail)
			}
			tm := tmod{
				memory: &wasm.Limits{Min: 1, Max: 1, HasMax: true},
				funcs:  []tfn{{name: "f", params: vts(vI32), results: vts(vI32), body: wcode(body, wi32(7))}},
			}
			m := tm.build(t)
			e := New(Config{})
			inst := compiledInstance(t, e, store.New(), m, "test")
			got, err := invoke(context.Background(), e, exported(t, inst, "f"), tt.arg)
			if wantAt < 0 {
				if err != nil || got[0] != 7 {
					t.Fatalf("got %v, %v; want 7", got, err)
				}
				return
			}
			tr := asTrap(err)
			if tr == nil || tr.Kind != api.TrapOutOfBoundsMemory {
				t.Fatalf("got %v, %v; want an out-of-bounds trap", got, err)
			}
			if want := m.Codes[0].BodyOffset + uint64(wantAt); len(tr.Frames) == 0 || tr.Frames[0].Offset != want {
				t.Errorf("trapped at %v, want offset %#x", tr.Frames, want)
			}
		})
	}
}
