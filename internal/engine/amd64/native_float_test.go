package amd64

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/engine/interp"
	"github.com/wasmvisor/wasmvisor/internal/leb128"
	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
	"github.com/wasmvisor/wasmvisor/internal/wasm/validate"
	"golang.org/x/sys/cpu"
)

// floatOp is a WebAssembly instruction under test, applied to the
// function's parameters in order.
type floatOp struct {
	op     wasm.Opcode
	params []wasm.ValueType
	result wasm.ValueType
	// chain, if set, is the body instead: a sequence in which one
	// instruction's result feeds the next straight from a register.
	chain []byte
	label string
}

var (
	tI32  = wasm.ValueTypeI32
	tI64  = wasm.ValueTypeI64
	tF32  = wasm.ValueTypeF32
	tF64  = wasm.ValueTypeF64
	tV128 = wasm.ValueTypeV128
)

func floatOps() []floatOp {
	var ops []floatOp
	bin := func(t wasm.ValueType, res wasm.ValueType, codes ...wasm.Opcode) {
		for _, c := range codes {
			ops = append(ops, floatOp{op: c, params: []wasm.ValueType{t, t}, result: res})
		}
	}
	un := func(from, to wasm.ValueType, codes ...wasm.Opcode) {
		for _, c := range codes {
			ops = append(ops, floatOp{op: c, params: []wasm.ValueType{from}, result: to})
		}
	}
	bin(tF32, tF32, wasm.OpF32Add, wasm.OpF32Sub, wasm.OpF32Mul, wasm.OpF32Div, wasm.OpF32Min, wasm.OpF32Max, wasm.OpF32Copysign)
	bin(tF64, tF64, wasm.OpF64Add, wasm.OpF64Sub, wasm.OpF64Mul, wasm.OpF64Div, wasm.OpF64Min, wasm.OpF64Max, wasm.OpF64Copysign)
	bin(tF32, tI32, wasm.OpF32Eq, wasm.OpF32Ne, wasm.OpF32Lt, wasm.OpF32Gt, wasm.OpF32Le, wasm.OpF32Ge)
	bin(tF64, tI32, wasm.OpF64Eq, wasm.OpF64Ne, wasm.OpF64Lt, wasm.OpF64Gt, wasm.OpF64Le, wasm.OpF64Ge)
	un(tF32, tF32, wasm.OpF32Abs, wasm.OpF32Neg, wasm.OpF32Sqrt)
	un(tF64, tF64, wasm.OpF64Abs, wasm.OpF64Neg, wasm.OpF64Sqrt)
	if cpu.X86.HasSSE41 {
		un(tF32, tF32, wasm.OpF32Ceil, wasm.OpF32Floor, wasm.OpF32Trunc, wasm.OpF32Nearest)
		un(tF64, tF64, wasm.OpF64Ceil, wasm.OpF64Floor, wasm.OpF64Trunc, wasm.OpF64Nearest)
	}
	un(tF32, tI32, wasm.OpI32TruncF32S, wasm.OpI32TruncF32U, wasm.OpI32TruncSatF32S, wasm.OpI32TruncSatF32U)
	un(tF64, tI32, wasm.OpI32TruncF64S, wasm.OpI32TruncF64U, wasm.OpI32TruncSatF64S, wasm.OpI32TruncSatF64U)
	un(tF32, tI64, wasm.OpI64TruncF32S, wasm.OpI64TruncF32U, wasm.OpI64TruncSatF32S, wasm.OpI64TruncSatF32U)
	un(tF64, tI64, wasm.OpI64TruncF64S, wasm.OpI64TruncF64U, wasm.OpI64TruncSatF64S, wasm.OpI64TruncSatF64U)
	un(tI32, tF32, wasm.OpF32ConvertI32S, wasm.OpF32ConvertI32U)
	un(tI64, tF32, wasm.OpF32ConvertI64S, wasm.OpF32ConvertI64U)
	un(tI32, tF64, wasm.OpF64ConvertI32S, wasm.OpF64ConvertI32U)
	un(tI64, tF64, wasm.OpF64ConvertI64S, wasm.OpF64ConvertI64U)
	un(tF64, tF32, wasm.OpF32DemoteF64)
	un(tF32, tF64, wasm.OpF64PromoteF32)
	ops = append(ops, floatOp{op: wasm.OpSelectT, params: []wasm.ValueType{tV128, tV128, tI32}, result: tV128})

	get := func(i byte) []byte { return []byte{byte(wasm.OpLocalGet), i} }
	op := func(o wasm.Opcode) []byte {
		if o > 0xff {
			return leb128.AppendUint32([]byte{byte(o >> 8)}, uint32(o&0xff))
		}
		return []byte{byte(o)}
	}
	i32c := func(v int32) []byte { return leb128.AppendInt64([]byte{byte(wasm.OpI32Const)}, int64(v)) }
	chain := func(label string, params []wasm.ValueType, result wasm.ValueType, parts ...[]byte) {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		ops = append(ops, floatOp{params: params, result: result, chain: b, label: label})
	}
	ff32, ff64 := []wasm.ValueType{tF32, tF32}, []wasm.ValueType{tF64, tF64}
	chain("f32.add(f32.neg(x), y)", ff32, tF32, get(0), op(wasm.OpF32Neg), get(1), op(wasm.OpF32Add))
	chain("f64.mul(f64.abs(x), y)", ff64, tF64, get(0), op(wasm.OpF64Abs), get(1), op(wasm.OpF64Mul))
	chain("f32.lt(f32.copysign(x, y), y)", ff32, tI32, get(0), get(1), op(wasm.OpF32Copysign), get(1), op(wasm.OpF32Lt))
	chain("f64.min(f64.neg(x), y)", ff64, tF64, get(0), op(wasm.OpF64Neg), get(1), op(wasm.OpF64Min))
	chain("f64.convert_i64_s(i64.trunc_sat_f64_s(x))", []wasm.ValueType{tF64}, tF64,
		get(0), op(wasm.OpI64TruncSatF64S), op(wasm.OpF64ConvertI64S))
	chain("f32.convert_i32_u(i32.trunc_sat_f32_u(x))", []wasm.ValueType{tF32}, tF32,
		get(0), op(wasm.OpI32TruncSatF32U), op(wasm.OpF32ConvertI32U))
	chain("f64.sqrt(f64.reinterpret_i64(i64.add(x, x)))", []wasm.ValueType{tI64}, tF64,
		get(0), get(0), op(wasm.OpI64Add), op(wasm.OpF64ReinterpretI64), op(wasm.OpF64Sqrt))
	chain("f32.sqrt(f32.reinterpret_i32(i32.add(x, x)))", []wasm.ValueType{tI32}, tF32,
		get(0), get(0), op(wasm.OpI32Add), op(wasm.OpF32ReinterpretI32), op(wasm.OpF32Sqrt))
	chain("i64.trunc_f32_u(f32.neg(x))", []wasm.ValueType{tF32}, tI64, get(0), op(wasm.OpF32Neg), op(wasm.OpI64TruncF32U))
	chain("i32.add(i32.trunc_sat_f64_u(x), 1)", []wasm.ValueType{tF64}, tI32,
		get(0), op(wasm.OpI32TruncSatF64U), i32c(1), op(wasm.OpI32Add))
	chain("i32.add(f32.ne(x, y), 5)", ff32, tI32, get(0), get(1), op(wasm.OpF32Ne), i32c(5), op(wasm.OpI32Add))
	chain("i32.add(i32.reinterpret_f32(f32.abs(x)), 3)", []wasm.ValueType{tF32}, tI32,
		get(0), op(wasm.OpF32Abs), op(wasm.OpI32ReinterpretF32), i32c(3), op(wasm.OpI32Add))
	return ops
}

func (o floatOp) name() string {
	if o.chain != nil {
		return o.label
	}
	return fmt.Sprintf("op_%04x", uint16(o.op))
}

func (o floatOp) String() string {
	if o.chain != nil {
		return o.label
	}
	return o.op.String()
}

func (o floatOp) body() []byte {
	if o.chain != nil {
		return append(o.chain[:len(o.chain):len(o.chain)], byte(wasm.OpEnd))
	}
	var b []byte
	for i := range o.params {
		b = leb128.AppendUint32(append(b, byte(wasm.OpLocalGet)), uint32(i))
	}
	if o.op > 0xff {
		b = leb128.AppendUint32(append(b, byte(o.op>>8)), uint32(o.op&0xff))
	} else {
		b = append(b, byte(o.op))
	}
	if o.op == wasm.OpSelectT {
		b = append(b, 1, byte(tV128))
	}
	return append(b, byte(wasm.OpEnd))
}

// floatModule has one exported function per op.
func floatModule(t *testing.T, ops []floatOp) *wasm.Module {
	t.Helper()
	m := &wasm.Module{}
	for i, o := range ops {
		m.Types = append(m.Types, wasm.FuncType{Params: o.params, Results: []wasm.ValueType{o.result}})
		m.Funcs = append(m.Funcs, uint32(i))
		m.Codes = append(m.Codes, wasm.Code{Body: o.body()})
		m.Exports = append(m.Exports, wasm.Export{Name: o.name(), Kind: wasm.ExternFunc, Index: uint32(i)})
	}
	m.IndexImports()
	if err := validate.Module(m, nil); err != nil {
		t.Fatalf("test module is invalid: %v", err)
	}
	return m
}

// Values at the edges: signed zeros, NaNs with payloads (quiet and
// signaling, both signs), infinities, denormals, ties for rounding and
// the bounds of every integer range a truncation checks.
var (
	f32Specials = []uint32{
		0, 0x80000000, 0x3f800000, 0xbf800000, 0x3f000000, 0xbf000000,
		0x3fc00000, 0x40200000, 0xc0200000, 0x40600000, 0x3effffff, 0xbf7fffff,
		1, 0x80000001, 0x007fffff, 0x00800000, 0x7f7fffff, 0xff7fffff,
		0x7f800000, 0xff800000,
		0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001, 0x7fa00000, 0x7fc12345, 0xffbfffff,
		0x4f000000, 0xcf000000, 0x4effffff, 0xceffffff, 0xcf000001,
		0x4f800000, 0x4f7fffff, 0x5f000000, 0x5effffff, 0xdf000000, 0xdf000001, 0xdeffffff,
		0x5f800000, 0x5f7fffff, 0x501502f9, 0xd01502f9, 0x47f1206f,
	}
	f64Specials = []uint64{
		0, 1 << 63, math.Float64bits(1), math.Float64bits(-1), math.Float64bits(0.5), math.Float64bits(-0.5),
		math.Float64bits(1.5), math.Float64bits(2.5), math.Float64bits(-2.5), math.Float64bits(0.49999999999999994),
		math.Float64bits(-0.9999999999999999),
		1, 1<<63 | 1, 0x000fffffffffffff, 0x0010000000000000, 0x7fefffffffffffff, 0xffefffffffffffff,
		0x7ff0000000000000, 0xfff0000000000000,
		0x7ff8000000000000, 0xfff8000000000000, 0x7ff0000000000001, 0xfff0000000000001,
		0x7ff4000000000000, 0x7ff8000000012345, 0xfff7ffffffffffff,
		math.Float64bits(2147483647), math.Float64bits(2147483647.5), math.Float64bits(2147483648),
		math.Float64bits(-2147483648), math.Float64bits(-2147483648.5), math.Float64bits(-2147483648.9999998),
		math.Float64bits(-2147483649), math.Float64bits(4294967295), math.Float64bits(4294967295.5),
		math.Float64bits(4294967296), math.Float64bits(1 << 63), math.Float64bits(math.Nextafter(1<<63, 0)),
		math.Float64bits(-(1 << 63)), math.Float64bits(math.Nextafter(-(1 << 63), math.Inf(-1))),
		math.Float64bits(1 << 64), math.Float64bits(math.Nextafter(1<<64, 0)),
		math.Float64bits(1e300), math.Float64bits(-1e300), math.Float64bits(123456.789),
		// Demotion: halfway below the smallest f32 denormal, beyond the
		// largest f32, a tie between f32 neighbours.
		0x36a0000000000000, 0x36a0000000000001, 0x47efffffe0000000, 0x47effffff0000000, 0x3ff0000010000000,
		0x3ff0000030000000, 0x3ff0000010000001,
	}
	intSpecials = []uint64{
		0, 1, math.MaxUint64, math.MaxInt32, 1 << 31, math.MaxUint32, 1<<53 + 1, math.MaxInt64, 1 << 63,
		1<<63 | 1, 0x8000008000000000, 0x8000008000000001, 0x8000018000000000, 0x8000000000000400,
		0x8000000000000401, 0x8000000000000c00, 0xfffffffffffff800, 0xffffff8000000000, 0xffffff7fffffffff,
		0x0020000000000001, 0x7fffffbfffffffff, 0x01000001, 0x01000003, 0x80000081, 0xffffff80,
	}
)

// floatInputs returns argument lists for o: every combination of the
// special values of its parameters' types, then random ones. 32-bit
// arguments get junk in their upper halves, which no instruction may
// read.
func floatInputs(o floatOp, r *rand.Rand) [][]uint64 {
	specials := func(t wasm.ValueType) []uint64 {
		var out []uint64
		switch t {
		case tF32:
			for _, v := range f32Specials {
				out = append(out, uint64(v))
			}
		case tF64:
			out = f64Specials
		case tI32:
			for _, v := range intSpecials {
				out = append(out, uint64(uint32(v)))
			}
		case tI64:
			out = intSpecials
		}
		return out
	}
	junk := func(t wasm.ValueType, v uint64) uint64 {
		if t == tF32 || t == tI32 {
			return v | uint64(r.Uint32()|1)<<32
		}
		return v
	}
	random := func(t wasm.ValueType) uint64 {
		switch t {
		case tF32, tI32:
			return uint64(r.Uint32())
		case tF64:
			if r.IntN(2) == 0 { // magnitudes near the integer ranges
				return math.Float64bits((r.Float64()*2 - 1) * math.Pow(2, float64(r.IntN(70))))
			}
		}
		return r.Uint64()
	}
	var out [][]uint64
	if o.op == wasm.OpSelectT {
		for _, c := range []uint64{0, 1, 1 << 32, 0xffffffff} {
			out = append(out, []uint64{1, 2, 3, 4, c})
		}
		return out
	}
	if len(o.params) == 1 {
		t := o.params[0]
		for _, v := range specials(t) {
			out = append(out, []uint64{junk(t, v)})
		}
		for range 2000 {
			out = append(out, []uint64{junk(t, random(t))})
		}
		return out
	}
	t := o.params[0]
	for _, x := range specials(t) {
		for _, y := range specials(t) {
			out = append(out, []uint64{junk(t, x), junk(t, y)})
		}
	}
	for range 2000 {
		out = append(out, []uint64{junk(t, random(t)), junk(t, random(t))})
	}
	return out
}

// TestNativeFloat runs every scalar floating-point instruction on both
// tiers and wants the same bits and the same traps.
func TestNativeFloat(t *testing.T) {
	ops := floatOps()
	m := floatModule(t, ops)

	// Every instruction under test must have a native translation.
	_, _, slow, err := generate(InProcess, m)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range slow {
		t.Errorf("%v is left to Go", s.in.Op)
	}

	ie := interp.New(interp.Config{})
	imod, err := ie.Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	ce := New(Config{})
	cmod, err := ce.Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	s := store.New()
	iinst, err := s.Instantiate(m, "interp", imod.Codes(), store.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer iinst.Close()
	if err := ie.Instantiated(iinst); err != nil {
		t.Fatal(err)
	}
	cinst, err := s.Instantiate(m, "compiled", cmod.Codes(), store.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer cinst.Close()
	if err := ce.Instantiated(cinst); err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	for _, o := range ops {
		fi := iinst.Funcs[iinst.Exports[o.name()].Index]
		fc := cinst.Funcs[cinst.Exports[o.name()].Index]
		n := max(fi.ParamSlots, fi.ResultSlots)
		failures := 0
		for _, args := range floatInputs(o, r) {
			si, sc := make([]uint64, n), make([]uint64, n)
			copy(si, args)
			copy(sc, args)
			erri := ie.Call(ctx, fi, si)
			errc := ce.Call(ctx, fc, sc)
			ki, kc := floatTrapKind(t, erri), floatTrapKind(t, errc)
			same := ki == kc
			if same && ki == 0 {
				for i := range fi.ResultSlots {
					same = same && si[i] == sc[i]
				}
			}
			if !same && ki == 0 && kc == 0 && emulatedCPU && arithmeticNaNs(o.result, si[0], sc[0]) {
				// QEMU's software CPU picks SSE's NaN results unlike
				// x86 hardware: the spec's rule is all it can show.
				same = true
			}
			if !same {
				t.Errorf("%s %#x: interpreter %#x (trap %v), compiled %#x (trap %v)",
					o, args, si[:fi.ResultSlots], ki, sc[:fi.ResultSlots], kc)
				if failures++; failures == 10 {
					break
				}
			}
		}
	}
}

// emulatedCPU is true where QEMU emulates the CPU in software (TCG),
// as CI's machines without KVM run these tests: its SSE arithmetic
// chooses among NaN operands otherwise than x86 hardware does.
var emulatedCPU = func() bool {
	info, _ := os.ReadFile("/proc/cpuinfo")
	return bytes.Contains(info, []byte("QEMU TCG CPU"))
}()

// arithmeticNaNs reports whether a and b, results of type typ, are both
// NaNs and b an arithmetic one (its quiet bit set), as the spec requires
// of any NaN an operation makes: it allows any payload.
func arithmeticNaNs(typ wasm.ValueType, a, b uint64) bool {
	switch typ {
	case tF32:
		x, y := math.Float32frombits(uint32(a)), math.Float32frombits(uint32(b))
		return x != x && y != y && b&(1<<22) != 0
	case tF64:
		return math.IsNaN(math.Float64frombits(a)) && math.IsNaN(math.Float64frombits(b)) && b&(1<<51) != 0
	}
	return false
}

func floatTrapKind(t *testing.T, err error) api.TrapKind {
	if err == nil {
		return 0
	}
	if tr, ok := err.(*api.Trap); ok {
		return tr.Kind
	}
	t.Fatalf("not a trap: %v", err)
	return 0
}
