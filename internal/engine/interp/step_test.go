package interp

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/engine/ir"
	"github.com/wasmvisor/wasmvisor/internal/leb128"
	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
	"github.com/wasmvisor/wasmvisor/internal/wasm/validate"
)

var (
	f32t    = wasm.ValueTypeF32
	f64t    = wasm.ValueTypeF64
	v128t   = wasm.ValueTypeV128
	funcref = wasm.ValueTypeFuncref
	extern  = wasm.ValueTypeExternref
)

func constExpr(parts ...[]byte) wasm.ConstExpr {
	return wasm.ConstExpr{Code: code(parts...)}
}

// stepModule builds a module whose function 0, exported as "f", is f.
// Functions 1 and 2 do nothing and are what references refer to. The
// module has a memory of 1 to 2 pages starting with the bytes 0, 1, 2, …;
// table 0 of 4 to 8 funcrefs holding functions 1 and 2 at 1 and 2;
// table 1 of 2 to 4 externrefs; mutable globals of i32, i64, v128,
// funcref and f32; a passive element segment (1) and a passive data
// segment (1).
func stepModule(t testing.TB, f fn) *wasm.Module {
	t.Helper()
	var n uint64
	for _, g := range f.locals {
		n += uint64(g.Count)
	}
	v128c := append(op(wasm.OpV128Const), []byte("0123456789abcdef")...)
	active := make([]byte, 64)
	for i := range active {
		active[i] = byte(i)
	}
	empty := wasm.Code{Body: code()}
	m := &wasm.Module{
		Types: []wasm.FuncType{{Params: f.params, Results: f.results}, {}},
		Funcs: []uint32{0, 1, 1},
		Tables: []wasm.TableType{
			{ElemType: funcref, Limits: wasm.Limits{Min: 4, Max: 8, HasMax: true}},
			{ElemType: extern, Limits: wasm.Limits{Min: 2, Max: 4, HasMax: true}},
		},
		Memories: []wasm.MemoryType{{Limits: wasm.Limits{Min: 1, Max: 2, HasMax: true}}},
		Globals: []wasm.Global{
			{Type: wasm.GlobalType{ValType: i32, Mutable: true}, Init: constExpr(i32c(7))},
			{Type: wasm.GlobalType{ValType: i64, Mutable: true}, Init: constExpr(i64c(-3))},
			{Type: wasm.GlobalType{ValType: v128t, Mutable: true}, Init: constExpr(v128c)},
			{Type: wasm.GlobalType{ValType: funcref, Mutable: true}, Init: constExpr(idx(wasm.OpRefFunc, 1))},
			{Type: wasm.GlobalType{ValType: f32t, Mutable: true}, Init: constExpr(append(op(wasm.OpF32Const), 0, 0, 0xc0, 0x3f))},
		},
		Exports: []wasm.Export{{Name: "f", Kind: wasm.ExternFunc, Index: 0}},
		Elems: []wasm.ElemSegment{
			{Mode: wasm.SegmentActive, Offset: constExpr(i32c(1)), Type: funcref, FuncIndices: []uint32{1, 2}},
			{Mode: wasm.SegmentPassive, Type: funcref, FuncIndices: []uint32{2, 1, 2}},
		},
		HasDataCount: true,
		DataCount:    2,
		Codes:        []wasm.Code{{Locals: f.locals, NumLocals: n, Body: f.body}, empty, empty},
		Datas: []wasm.DataSegment{
			{Mode: wasm.SegmentActive, Offset: constExpr(i32c(0)), Init: active},
			{Mode: wasm.SegmentPassive, Init: []byte("passive data segment")},
		},
	}
	m.IndexImports()
	if err := validate.Module(m, nil); err != nil {
		t.Fatalf("test module is invalid: %v", err)
	}
	return m
}

// stepped records the opcodes Step ran, for the coverage check.
type stepped map[ir.Opcode]bool

// runSteps runs function 0 of inst one instruction at a time with Step,
// up to its return; its code must not branch or call.
func runSteps(t *testing.T, inst *store.Instance, args []uint64, seen stepped) ([]uint64, api.TrapKind) {
	t.Helper()
	f := inst.Funcs[0]
	fn, _ := codeOf(f)
	if err := fn.Translate(); err != nil {
		t.Fatal(err)
	}
	frame := make([]uint64, max(fn.FrameSlots, 1))
	copy(frame, args)
	fp := unsafe.Pointer(unsafe.SliceData(frame))
	for pc := range fn.Code {
		in := &fn.Code[pc]
		if in.Op == ir.OpReturn {
			return frame[:f.ResultSlots], 0
		}
		if ir.IsControl(in.Op) {
			t.Fatalf("test function transfers control:\n%s", fn)
		}
		seen[in.Op] = true
		if kind := Step(in, inst, fp, fn.Shuffles); kind != 0 {
			return nil, kind
		}
	}
	t.Fatalf("test function has no return:\n%s", fn)
	return nil, 0
}

// refIndex describes a reference value by the index of its function.
func refIndex(v uint64) string {
	if f := store.FuncFromRef(v); f != nil {
		return fmt.Sprintf("func %d", f.Index)
	}
	return "null"
}

// state describes everything but memory that an instruction may change
// in inst, with references by function index so that two instances
// compare equal.
func state(inst *store.Instance) string {
	var b strings.Builder
	for i, g := range inst.Globals {
		if g.Type.ValType == funcref {
			fmt.Fprintf(&b, "global %d: %s\n", i, refIndex(g.Val))
		} else {
			fmt.Fprintf(&b, "global %d: %#x %#x\n", i, g.Val, g.Hi)
		}
	}
	for i, t := range inst.Tables {
		fmt.Fprintf(&b, "table %d:", i)
		for _, f := range t.Funcs {
			b.WriteString(" " + refIndex(store.FuncRef(f)))
		}
		fmt.Fprintf(&b, " %x\n", t.Externs)
	}
	for i, d := range inst.DataSegs {
		fmt.Fprintf(&b, "data %d dropped: %t\n", i, d == nil)
	}
	for i, e := range inst.ElemSegs {
		fmt.Fprintf(&b, "elem %d dropped: %t\n", i, e == nil)
	}
	return b.String()
}

// checkStep runs f with args in the interpreter and with Step, each in an
// instance of its own, and compares results, traps and the instances'
// states.
func checkStep(t *testing.T, e *Engine, f fn, args [][]uint64, seen stepped) {
	t.Helper()
	m := stepModule(t, f)
	// The instances live through all the runs: each run leaves them in
	// the same state, or the test fails.
	s := store.New()
	interp, stepper := instance(t, e, s, m), instance(t, e, s, m)
	for _, a := range args {
		want, err := invoke(context.Background(), e, interp, "f", a...)
		wantKind := trapKind(err)
		if err != nil && wantKind == 0 {
			t.Fatal(err)
		}
		got, kind := runSteps(t, stepper, a, seen)
		if kind != wantKind {
			t.Fatalf("args %#x: Step trapped with %v, the interpreter with %v\n%s", a, kind, wantKind, stepper.Funcs[0].Code)
		}
		slot := 0
		for i, r := range f.results {
			if kind != 0 {
				break
			}
			g, w := fmt.Sprintf("%#x", got[slot:slot+r.Slots()]), fmt.Sprintf("%#x", want[slot:slot+r.Slots()])
			if r.IsRef() {
				g, w = refIndex(got[slot]), refIndex(want[slot])
			}
			if g != w {
				t.Fatalf("args %#x: result %d is %s, the interpreter's %s\n%s", a, i, g, w, stepper.Funcs[0].Code)
			}
			slot += r.Slots()
		}
		if g, w := stepper.Memories[0].Bytes(), interp.Memories[0].Bytes(); !bytes.Equal(g, w) {
			t.Fatalf("args %#x: memory after Step (%d bytes) differs from the interpreter's (%d bytes)", a, len(g), len(w))
		}
		if g, w := state(stepper), state(interp); g != w {
			t.Fatalf("args %#x: state after Step\n%s\ndiffers from the interpreter's\n%s", a, g, w)
		}
	}
}

// argValues are the values tried for each parameter type: edge cases,
// addresses in and out of bounds, NaNs and infinities.
func argValues(rng *rand.Rand, t wasm.ValueType) []uint64 {
	switch t {
	case i32:
		return []uint64{0, 1, 3, 8, 40, 65528, 65535, 65536, 0x7fffffff, 0x80000000, 0xffffffff, uint64(rng.Uint32())}
	case i64:
		return []uint64{0, 1, 40, 1 << 63, 1<<63 - 1, math.MaxUint64, rng.Uint64()}
	case f32t:
		vs := []float32{0, float32(math.Copysign(0, -1)), 1.5, -2.5, 3e9, -3e9, 5e18, float32(math.Inf(1)), float32(math.Inf(-1))}
		out := []uint64{0x7fc00000, 0xffa00001, uint64(rng.Uint32())}
		for _, v := range vs {
			out = append(out, uint64(math.Float32bits(v)))
		}
		return out
	case f64t:
		vs := []float64{0, math.Copysign(0, -1), 1.5, -2.5, 3e9, -3e9, 5e18, 2e19, math.Inf(1), math.Inf(-1)}
		out := []uint64{0x7ff8000000000000, 0xfff4000000000001, rng.Uint64()}
		for _, v := range vs {
			out = append(out, math.Float64bits(v))
		}
		return out
	}
	panic(fmt.Sprintf("no values for %s", t))
}

// argSets picks n argument lists for params; a v128 takes two slots of
// random or patterned bits.
func argSets(rng *rand.Rand, params []wasm.ValueType, n int) [][]uint64 {
	var out [][]uint64
	for range n {
		var a []uint64
		for _, p := range params {
			if p == v128t {
				switch rng.IntN(3) {
				case 0:
					a = append(a, rng.Uint64(), rng.Uint64())
				case 1:
					a = append(a, 0x7fc000007f800000, 0x80000000ff800001)
				default:
					a = append(a, 0x8000ffff7fff0001, 0x00ff80017f7ffffe)
				}
				continue
			}
			vs := argValues(rng, p)
			a = append(a, vs[rng.IntN(len(vs))])
		}
		out = append(out, a)
	}
	return out
}

// shuffleLanes is the immediate of the i8x16.shuffle under test.
var shuffleLanes = []byte{0, 17, 2, 19, 4, 21, 6, 23, 31, 30, 9, 10, 28, 12, 13, 16}

// withImm encodes o with the immediates the generic tests use: alignment
// 0, offset off, lane 1 and shuffleLanes.
func withImm(o wasm.Opcode, off uint32) []byte {
	b := op(o)
	switch o.Imm() {
	case wasm.ImmMemArg:
		b = leb128.AppendUint32(append(b, 0), off)
	case wasm.ImmMemArgLane:
		b = append(leb128.AppendUint32(append(b, 0), off), 1)
	case wasm.ImmLane:
		b = append(b, 1)
	case wasm.ImmShuffle:
		b = append(b, shuffleLanes...)
	}
	return b
}

// fixedOps are the instructions with a fixed signature and immediates
// withImm encodes.
func fixedOps() []wasm.Opcode {
	var out []wasm.Opcode
	for _, prefix := range []wasm.Opcode{0, 0xfc00, 0xfd00} {
		for i := range wasm.Opcode(256) {
			o := prefix | i
			if !o.Known() || o.Signature() == nil {
				continue
			}
			switch o.Imm() {
			case wasm.ImmNone, wasm.ImmMemArg, wasm.ImmMemArgLane, wasm.ImmLane, wasm.ImmShuffle:
				out = append(out, o)
			}
		}
	}
	return out
}

func constOf(t wasm.ValueType, v uint64) []byte {
	switch t {
	case i32:
		return i32c(int32(v))
	case i64:
		return i64c(int64(v))
	case f32t:
		return binary.LittleEndian.AppendUint32(op(wasm.OpF32Const), uint32(v))
	case f64t:
		return binary.LittleEndian.AppendUint64(op(wasm.OpF64Const), v)
	}
	panic(t)
}

// TestStep runs every non-control instruction of the slot form through
// Step and through the interpreter, and compares the outcomes.
func TestStep(t *testing.T) {
	e := New(Config{})
	rng := rand.New(rand.NewPCG(1, 2))
	seen := stepped{}

	// Every instruction with a fixed signature, its operands in params.
	// Binary scalar ones also with a constant operand on either side,
	// which the translator folds into immediates, and loads and stores
	// with their address computed in the ways the translator fuses.
	t.Run("fixed", func(t *testing.T) {
		for _, o := range fixedOps() {
			sig := o.Signature()
			var gets []byte
			for i := range sig.Params {
				gets = append(gets, lget(uint32(i))...)
			}
			bodies := map[string][]byte{"": code(gets, withImm(o, 3))}
			if len(sig.Params) == 2 && sig.Params[0] == sig.Params[1] && sig.Params[0] != v128t && o.Imm() == wasm.ImmNone {
				for _, k := range argValues(rng, sig.Params[0])[:6] {
					kc := constOf(sig.Params[0], k)
					bodies[fmt.Sprintf(" x op %#x", k)] = code(lget(0), kc, withImm(o, 0))
					bodies[fmt.Sprintf(" %#x op x", k)] = code(kc, lget(1), withImm(o, 0))
				}
			}
			if o.Imm() == wasm.ImmMemArg && o < 0xfd00 {
				rest := gets[len(lget(0)):]
				bodies[" at x+4"] = code(lget(0), i32c(4), op(wasm.OpI32Add), rest, withImm(o, 8))
				bodies[" at x+y"] = code(lget(0), lget(uint32(len(sig.Params))), op(wasm.OpI32Add), rest, withImm(o, 2))
				bodies[" at 16"] = code(i32c(16), rest, withImm(o, 4))
				bodies[" at 65534"] = code(i32c(65534), rest, withImm(o, 0))
			}
			for name, body := range bodies {
				params := slices.Clone(sig.Params)
				if name == " at x+y" {
					params = append(params, i32)
				}
				t.Run(o.String()+name, func(t *testing.T) {
					f := fn{name: "f", params: params, results: sig.Results, body: body}
					checkStep(t, e, f, argSets(rng, params, 12), seen)
				})
			}
		}
	})

	tests := []struct {
		name string
		f    fn
		args [][]uint64
	}{
		{"unreachable", fn{body: code(op(wasm.OpUnreachable))}, [][]uint64{nil}},
		{"const", fn{results: vt(i32, i64), body: code(i32c(-5), i64c(1<<40))}, [][]uint64{nil}},
		{"v128.const and moves", fn{params: vt(i32, v128t), results: vt(v128t, v128t, i32), body: code(
			lget(1), append(op(wasm.OpV128Const), shuffleLanes...), lget(0))}, [][]uint64{{9, 1, 2}}},
		{"select", fn{params: vt(i32, i32, i32), results: vt(i32), body: code(lget(0), lget(1), lget(2), op(wasm.OpSelect))},
			[][]uint64{{1, 2, 0}, {1, 2, 3}}},
		{"select v128", fn{params: vt(v128t, v128t, i32), results: vt(v128t), body: code(lget(0), lget(1), lget(2), op(wasm.OpSelect))},
			[][]uint64{{1, 2, 3, 4, 0}, {1, 2, 3, 4, 1}}},
		{"globals", fn{params: vt(i32, i64, v128t, f32t), results: vt(i32, i64, v128t, funcref, f32t), body: code(
			idx(wasm.OpGlobalGet, 0), idx(wasm.OpGlobalGet, 1), idx(wasm.OpGlobalGet, 2), idx(wasm.OpGlobalGet, 3), idx(wasm.OpGlobalGet, 4),
			lget(0), idx(wasm.OpGlobalSet, 0), lget(1), idx(wasm.OpGlobalSet, 1), lget(2), idx(wasm.OpGlobalSet, 2),
			idx(wasm.OpRefFunc, 2), idx(wasm.OpGlobalSet, 3), lget(3), idx(wasm.OpGlobalSet, 4))},
			[][]uint64{{5, 6, 7, 8, 0x3f800000}}},
		{"ref.null into a global", fn{body: code([]byte{byte(wasm.OpRefNull), byte(funcref)}, idx(wasm.OpGlobalSet, 3))},
			[][]uint64{nil}},
		{"references", fn{params: vt(i32), results: vt(funcref, funcref, i32, i32), body: code(
			idx(wasm.OpRefFunc, 1), lget(0), idx(wasm.OpTableGet, 0),
			idx(wasm.OpRefFunc, 2), op(wasm.OpRefIsNull),
			[]byte{byte(wasm.OpRefNull), byte(funcref)}, op(wasm.OpRefIsNull))},
			[][]uint64{{0}, {1}, {2}, {4}}},
		{"table.set", fn{params: vt(i32), body: code(lget(0), idx(wasm.OpRefFunc, 2), idx(wasm.OpTableSet, 0))},
			[][]uint64{{0}, {3}, {4}}},
		{"externref table", fn{params: vt(i32, i32), results: vt(extern, i32), body: code(
			lget(0), lget(1), idx(wasm.OpTableGet, 1), idx(wasm.OpTableSet, 1),
			lget(0), idx(wasm.OpTableGet, 1), idx(wasm.OpTableSize, 1))},
			[][]uint64{{0, 1}, {1, 0}, {2, 0}, {0, 2}}},
		{"table.size and table.grow", fn{params: vt(i32), results: vt(i32, i32, i32), body: code(
			idx(wasm.OpTableSize, 0), idx(wasm.OpRefFunc, 1), lget(0), idx(wasm.OpTableGrow, 0), idx(wasm.OpTableSize, 0))},
			[][]uint64{{0}, {2}, {4}, {5}, {0xffffffff}}},
		{"table.fill", fn{params: vt(i32, i32), body: code(lget(0), idx(wasm.OpRefFunc, 1), lget(1), idx(wasm.OpTableFill, 0))},
			[][]uint64{{0, 4}, {1, 2}, {3, 2}, {4, 0}, {5, 0}}},
		{"table.copy", fn{params: vt(i32, i32, i32), body: code(lget(0), lget(1), lget(2), append(op(wasm.OpTableCopy), 0, 0))},
			[][]uint64{{0, 1, 3}, {2, 0, 2}, {1, 2, 3}, {4, 0, 0}}},
		{"table.init", fn{params: vt(i32, i32, i32), body: code(lget(0), lget(1), lget(2), append(op(wasm.OpTableInit), 1, 0))},
			[][]uint64{{0, 0, 3}, {1, 1, 2}, {2, 0, 3}, {0, 3, 1}}},
		{"elem.drop then table.init", fn{params: vt(i32), body: code(idx(wasm.OpElemDrop, 1), i32c(0), i32c(0), lget(0), append(op(wasm.OpTableInit), 1, 0))},
			[][]uint64{{0}, {1}}},
		{"memory.size and memory.grow", fn{params: vt(i32), results: vt(i32, i32, i32), body: code(
			[]byte{byte(wasm.OpMemorySize), 0}, lget(0), []byte{byte(wasm.OpMemoryGrow), 0}, []byte{byte(wasm.OpMemorySize), 0})},
			[][]uint64{{0}, {1}, {2}}},
		{"memory.grow then a load past the first page", fn{params: vt(i32), results: vt(i32), body: code(
			lget(0), []byte{byte(wasm.OpMemoryGrow), 0}, op(wasm.OpDrop), i32c(70000), mem(wasm.OpI32Load, 0))},
			[][]uint64{{0}, {1}}},
		{"memory.init", fn{params: vt(i32, i32, i32), body: code(lget(0), lget(1), lget(2), append(op(wasm.OpMemoryInit), 1, 0))},
			[][]uint64{{10, 0, 20}, {0, 5, 3}, {65530, 0, 7}, {0, 15, 6}}},
		{"data.drop then memory.init", fn{params: vt(i32), body: code(idx(wasm.OpDataDrop, 1), i32c(0), i32c(0), lget(0), append(op(wasm.OpMemoryInit), 1, 0))},
			[][]uint64{{0}, {1}}},
		{"memory.copy", fn{params: vt(i32, i32, i32), body: code(lget(0), lget(1), lget(2), append(op(wasm.OpMemoryCopy), 0, 0))},
			[][]uint64{{8, 0, 16}, {0, 8, 16}, {65530, 0, 7}, {0, 65535, 1}}},
		{"memory.fill", fn{params: vt(i32, i32, i32), body: code(lget(0), lget(1), lget(2), append(op(wasm.OpMemoryFill), 0))},
			[][]uint64{{8, 0x1ff, 16}, {0, 0, 60}, {65530, 1, 7}, {65535, 3, 1}}},
		{"address shifted and added", fn{params: vt(i32, i32), results: vt(i32), body: code(
			lget(0), lget(1), i32c(2), op(wasm.OpI32Shl), op(wasm.OpI32Add))},
			[][]uint64{{1, 2}, {0xffffffff, 0x40000001}}},
		{"rotr by a constant", fn{params: vt(i32, i64), results: vt(i32, i64), body: code(
			lget(0), i32c(3), op(wasm.OpI32Rotr), lget(1), i64c(5), op(wasm.OpI64Rotr))},
			[][]uint64{{0x80000001, 0x8000000000000001}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.f.name = "f"
			checkStep(t, e, tt.f, tt.args, seen)
		})
	}

	// Every non-control opcode of the slot form ran. (The translator
	// never emits I64ExtendI32U: i32 values are kept zero-extended, so
	// i64.extend_i32_u changes nothing.)
	t.Run("coverage", func(t *testing.T) {
		var missing []string
		for o := range ir.OpScalarEnd {
			if !ir.IsControl(o) && o != ir.OpI64ExtendI32U && !seen[o] {
				missing = append(missing, o.String())
			}
		}
		for i := range wasm.Opcode(256) {
			if o := 0xfd00 | i; o.Known() && o != wasm.OpV128Const && !seen[ir.OpSIMD+ir.Opcode(i)] {
				missing = append(missing, o.String())
			}
		}
		if len(missing) > 0 {
			t.Errorf("not covered: %v", missing)
		}
	})
}

func TestStep_control(t *testing.T) {
	var frame [4]uint64
	for _, o := range []ir.Opcode{ir.OpJmp, ir.OpBrTable, ir.OpBrTableEntry, ir.OpReturn, ir.OpCallLocal,
		ir.OpCallImport, ir.OpCallIndirect, ir.OpBrIfNez32, ir.OpBrIfI64GeUI} {
		if kind := Step(&ir.Instr{Op: o}, &store.Instance{}, unsafe.Pointer(&frame), nil); kind != api.TrapInternal {
			t.Errorf("Step(%s) = %v, want %v", o, kind, api.TrapInternal)
		}
	}
	// An instruction naming a global the instance does not have.
	if kind := Step(&ir.Instr{Op: ir.OpGlobalGet}, &store.Instance{}, unsafe.Pointer(&frame), nil); kind != api.TrapInternal {
		t.Errorf("Step of a malformed instruction = %v, want %v", kind, api.TrapInternal)
	}
}

func TestStep_allocs(t *testing.T) {
	inst := instance(t, New(Config{}), store.New(), stepModule(t, fn{body: code()}))
	frame := []uint64{0, 2, 3}
	in := &ir.Instr{Op: ir.OpI32Add, A: 0, B: 1, C: 2}
	if n := testing.AllocsPerRun(100, func() { Step(in, inst, unsafe.Pointer(&frame[0]), nil) }); n != 0 {
		t.Errorf("Step allocates %v times", n)
	}
	if frame[0] != 5 {
		t.Errorf("i32.add gave %d", frame[0])
	}
}

func BenchmarkStep(b *testing.B) {
	inst := instance(b, New(Config{}), store.New(), stepModule(b, fn{body: code()}))
	frame := []uint64{0, 2, 3}
	in := &ir.Instr{Op: ir.OpI32Add, A: 0, B: 1, C: 2}
	for b.Loop() {
		Step(in, inst, unsafe.Pointer(&frame[0]), nil)
	}
}
