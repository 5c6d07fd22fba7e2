package amd64

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/engine/interp"
	"github.com/wasmvisor/wasmvisor/internal/engine/ir"
	"github.com/wasmvisor/wasmvisor/internal/leb128"
	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
	"github.com/wasmvisor/wasmvisor/internal/wasm/validate"
)

// The SIMD translations are checked against the interpreter, whose
// results they must reproduce bit for bit: every SIMD instruction with a
// fixed signature becomes an exported function taking its operands as
// parameters, run on both engines over inputs chosen per lane type
// (boundaries, NaNs with payloads, signalling NaNs, zeros of both signs,
// conversion limits) and random ones.

// simdCase is one exported test function.
type simdCase struct {
	name   string
	op     wasm.Opcode
	params []wasm.ValueType
	result []wasm.ValueType
	body   []byte
}

const simdMemPages = 1

func simdCases(t *testing.T) []simdCase {
	var cases []simdCase
	// Each instruction with an integer operand or result comes twice:
	// plain, and with an add of zero computing the integer operand just
	// before it and consuming its integer result just after, so that the
	// value passes in the register it was stored from.
	add := func(name string, op wasm.Opcode, sig *wasm.Signature, imm []byte) {
		addZero := func(body []byte, t wasm.ValueType) []byte {
			switch t {
			case wasm.ValueTypeI32:
				return append(body, byte(wasm.OpI32Const), 0, byte(wasm.OpI32Add))
			case wasm.ValueTypeI64:
				return append(body, byte(wasm.OpI64Const), 0, byte(wasm.OpI64Add))
			}
			return body
		}
		for _, viaReg := range []bool{false, true} {
			var body []byte
			ints := false
			for i, p := range sig.Params {
				body = leb128.AppendUint32(append(body, byte(wasm.OpLocalGet)), uint32(i))
				if viaReg {
					body = addZero(body, p)
				}
				ints = ints || p == wasm.ValueTypeI32 || p == wasm.ValueTypeI64
			}
			body = leb128.AppendUint32(append(body, 0xfd), uint32(op&0xff))
			body = append(body, imm...)
			for _, r := range sig.Results {
				if viaReg {
					body = addZero(body, r)
				}
				ints = ints || r == wasm.ValueTypeI32 || r == wasm.ValueTypeI64
			}
			body = append(body, byte(wasm.OpEnd))
			n := name
			if viaReg {
				if !ints {
					break
				}
				n += "/reg"
			}
			cases = append(cases, simdCase{name: n, op: op, params: sig.Params, result: sig.Results, body: body})
		}
	}
	memarg := func(offset uint32) []byte { return leb128.AppendUint32([]byte{0}, offset) }
	for sub := 0; sub < 256; sub++ {
		op := wasm.Opcode(0xfd00 | sub)
		sig := op.Signature()
		if !op.Known() || sig == nil || op == wasm.OpV128Const {
			continue
		}
		name := op.String()
		switch op.Imm() {
		case wasm.ImmNone:
			add(name, op, sig, nil)
		case wasm.ImmLane:
			n := simdLanesOf(name)
			for l := range n {
				if l <= 1 || l == n/2 || l == n-1 {
					add(fmt.Sprintf("%s/%d", name, l), op, sig, []byte{byte(l)})
				}
			}
		case wasm.ImmMemArg:
			for _, off := range []uint32{0, 3, 0x7ff0, 0xfff0} {
				add(fmt.Sprintf("%s/+%d", name, off), op, sig, memarg(off))
			}
		case wasm.ImmMemArgLane:
			n := simdLanesOf(name)
			for _, off := range []uint32{0, 5, 0xfff8} {
				for _, l := range []int{0, n - 1} {
					add(fmt.Sprintf("%s/+%d/%d", name, off, l), op, sig, append(memarg(off), byte(l)))
				}
			}
		case wasm.ImmShuffle:
			r := rand.New(rand.NewPCG(1, 2))
			var shuffles [][16]byte
			var id, rev, hi, lo, dup [16]byte
			for i := range 16 {
				id[i], rev[i], hi[i], lo[i], dup[i] = byte(i), byte(31-i), byte(16+i), byte(i/2+16*(i%2)), 5
			}
			shuffles = append(shuffles, id, rev, hi, lo, dup)
			// The patterns with translations of their own, with the
			// operands either way round.
			dwords := func(q ...int) (s [16]byte) {
				for i, d := range q {
					for k := range 4 {
						s[4*i+k] = byte(4*d + k)
					}
				}
				return s
			}
			for _, u := range simdUnpacks {
				shuffles = append(shuffles, u.lanes)
			}
			for _, s := range [][16]byte{dwords(1, 0, 3, 2), dwords(4, 4, 7, 5), dwords(0, 2, 5, 7), dwords(3, 3, 4, 6), dwords(2, 1, 3, 0)} {
				shuffles = append(shuffles, s)
			}
			for _, k := range []int{1, 4, 15} {
				var s [16]byte
				for i := range s {
					s[i] = byte(k + i)
				}
				shuffles = append(shuffles, s)
			}
			for _, s := range append([][16]byte(nil), shuffles...) {
				for i := range s {
					s[i] ^= 16
				}
				shuffles = append(shuffles, s)
			}
			for range 4 {
				var s [16]byte
				for i := range s {
					s[i] = byte(r.IntN(32))
				}
				shuffles = append(shuffles, s)
			}
			for k, s := range shuffles {
				add(fmt.Sprintf("%s/%d", name, k), op, sig, s[:])
			}
		default:
			t.Fatalf("%s: immediate kind %d", name, op.Imm())
		}
	}
	// Typed select of two v128 values.
	cases = append(cases, simdCase{
		name:   "select_v128",
		params: []wasm.ValueType{wasm.ValueTypeV128, wasm.ValueTypeV128, wasm.ValueTypeI32},
		result: []wasm.ValueType{wasm.ValueTypeV128},
		body:   []byte{byte(wasm.OpLocalGet), 0, byte(wasm.OpLocalGet), 1, byte(wasm.OpLocalGet), 2, 0x1c, 1, byte(wasm.ValueTypeV128), byte(wasm.OpEnd)},
	})
	// The same slot as both operands of a shuffle.
	cases = append(cases, simdCase{
		name:   "shuffle_self",
		op:     wasm.OpI8x16Shuffle,
		params: []wasm.ValueType{wasm.ValueTypeV128},
		result: []wasm.ValueType{wasm.ValueTypeV128},
		body: append([]byte{byte(wasm.OpLocalGet), 0, byte(wasm.OpLocalGet), 0, 0xfd, 0x0d},
			3, 19, 0, 31, 4, 4, 20, 7, 8, 25, 10, 11, 12, 29, 14, 16, byte(wasm.OpEnd)),
	})
	return cases
}

// simdLanesOf returns the number of lanes of the shape an instruction's name
// starts with, or of the width in v128.loadN_lane.
func simdLanesOf(name string) int {
	for _, s := range []struct {
		p string
		n int
	}{{"i8x16", 16}, {"i16x8", 8}, {"i32x4", 4}, {"f32x4", 4}, {"i64x2", 2}, {"f64x2", 2},
		{"v128.load8_", 16}, {"v128.load16_", 8}, {"v128.load32_", 4}, {"v128.load64_", 2},
		{"v128.store8_", 16}, {"v128.store16_", 8}, {"v128.store32_", 4}, {"v128.store64_", 2}} {
		if strings.HasPrefix(name, s.p) {
			return s.n
		}
	}
	return 16
}

// Interesting lane values by lane type.
var (
	simdI8  = []uint64{0, 1, 2, 0x7e, 0x7f, 0x80, 0x81, 0xfe, 0xff, 0x0f, 0xf0, 0x55, 0x40}
	simdI16 = []uint64{0, 1, 2, 0x7ffe, 0x7fff, 0x8000, 0x8001, 0xfffe, 0xffff, 0x00ff, 0xff00, 0x0080, 0xff7f, 0x4000, 0xc000}
	simdI32 = []uint64{0, 1, 2, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff, 0xffff, 0x10000, 0x8000, 0xffff8000, 0x12345678}
	simdI64 = []uint64{0, 1, 2, 1 << 63, 1<<63 - 1, 1<<63 + 1, math.MaxUint64, math.MaxUint64 - 1, 0xffffffff, 1 << 32, 0x80000000, 0xffffffff80000000, 0x00000001ffffffff, 0x123456789abcdef0}
	simdF32 = []uint64{0, 0x80000000, 0x3f800000, 0xbf800000, 0x3f000000, 0xbf000000, 0x3fc00000, 0x40200000, 0xc0200000,
		0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7fc12345, 0x7f800001, 0xff812345, 0x4f000000, 0x4effffff,
		0x4f800000, 0x4f7fffff, 0xcf000000, 0xcf000001, 0x7f7fffff, 0x00000001, 0x80000001, 0x3f7fffff, 0xbf7fffff}
	simdF64 = []uint64{0, 1 << 63, math.Float64bits(1), math.Float64bits(-1), math.Float64bits(0.5), math.Float64bits(-0.5),
		math.Float64bits(1.5), math.Float64bits(2.5), math.Float64bits(-2.5), math.Float64bits(math.Inf(1)), math.Float64bits(math.Inf(-1)),
		0x7ff8000000000000, 0xfff8000000000000, 0x7ff8000000012345, 0x7ff0000000000001, 0xfff0000000012345,
		math.Float64bits(2147483647), math.Float64bits(2147483647.5), math.Float64bits(2147483648), math.Float64bits(-2147483648),
		math.Float64bits(-2147483648.5), math.Float64bits(-2147483649), math.Float64bits(4294967295), math.Float64bits(4294967295.5),
		math.Float64bits(4294967296), math.Float64bits(-0.9), math.Float64bits(1e300), math.Float64bits(-1e300), 1, 1<<63 | 1,
		math.Float64bits(3.4028235677973366e38), math.Float64bits(3.4028235e38 * 1.0000001), math.Float64bits(1e-46)}
)

// simdVectors returns vectors whose lanes of width bytes take the values
// vals: over all pairs of vectors, each lane meets every pair of values.
func simdVectors(vals []uint64, width int) [][2]uint64 {
	n := len(vals)
	var out [][2]uint64
	for j := range n {
		var b [16]byte
		for i := 0; i < 16/width; i++ {
			v := vals[(j+7*i)%n]
			for k := range width {
				b[i*width+k] = byte(v >> (8 * k))
			}
		}
		out = append(out, [2]uint64{simdLE64(b[:8]), simdLE64(b[8:])})
	}
	return out
}

// simdInputKind picks the lane type of an instruction's vector operands
// from its name: the source shape if it names one, else its own.
func simdInputKind(name string) ([]uint64, int) {
	kinds := []struct {
		s    string
		vals []uint64
		w    int
	}{{"i8x16", simdI8, 1}, {"i16x8", simdI16, 2}, {"i32x4", simdI32, 4}, {"i64x2", simdI64, 8}, {"f32x4", simdF32, 4}, {"f64x2", simdF64, 8}}
	best, at := -1, -1
	for i, k := range kinds {
		if j := strings.LastIndex(name, k.s); j > at {
			best, at = i, j
		}
	}
	if best < 0 {
		return simdI8, 1
	}
	return kinds[best].vals, kinds[best].w
}

// Scalar operands: shift counts and lane values, addresses and
// conditions.
var simdScalars = []uint64{0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff}

var simdAddrs = []uint64{0, 1, 7, 100, 65536 - 16, 65536 - 15, 65536 - 8, 65536 - 7, 65536 - 4, 65536 - 2, 65536 - 1, 65536, 0x7fffffff, 0xffffffff}

func TestSIMDMatchesInterpreter(t *testing.T) {
	if !simdOK {
		t.Skip("no SSE4.1")
	}
	checkSIMD(t, func(*simdCase) bool { return true })
	// The i64x2 comparisons without pcmpgtq.
	if simdPcmpgtq {
		simdPcmpgtq = false
		defer func() { simdPcmpgtq = true }()
		checkSIMD(t, func(c *simdCase) bool {
			switch c.op {
			case wasm.OpI64x2LtS, wasm.OpI64x2GtS, wasm.OpI64x2LeS, wasm.OpI64x2GeS:
				return true
			}
			return false
		})
	}
}

func checkSIMD(t *testing.T, filter func(*simdCase) bool) {
	var cases []simdCase
	for _, c := range simdCases(t) {
		if filter(&c) {
			cases = append(cases, c)
		}
	}
	m := &wasm.Module{Memories: []wasm.MemoryType{{Limits: wasm.Limits{Min: simdMemPages, Max: simdMemPages, HasMax: true}}}}
	for i, c := range cases {
		m.Types = append(m.Types, wasm.FuncType{Params: c.params, Results: c.result})
		m.Funcs = append(m.Funcs, uint32(i))
		m.Codes = append(m.Codes, wasm.Code{Body: c.body})
		m.Exports = append(m.Exports, wasm.Export{Name: c.name, Kind: wasm.ExternFunc, Index: uint32(i)})
	}
	m.IndexImports()
	if err := validate.Module(m, nil); err != nil {
		t.Fatalf("test module: %v", err)
	}

	ce := New(Config{})
	mod, err := ce.CompileModule(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range mod.slow {
		if s.in.Op >= ir.OpSIMD || s.in.Op == ir.OpSelect128 {
			t.Errorf("%s goes to Go", wasm.Opcode(s.in.Op-ir.OpSIMD)|0xfd00)
		}
	}
	cinst, err := store.New().Instantiate(m, "compiled", mod.Codes(), store.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer cinst.Close()
	if err := ce.Instantiated(cinst); err != nil {
		t.Fatal(err)
	}
	ie := interp.New(interp.Config{})
	icodes, err := ie.Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	iinst, err := store.New().Instantiate(m, "interp", icodes.Codes(), store.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer iinst.Close()

	pattern := make([]byte, simdMemPages*65536)
	for i := range pattern {
		pattern[i] = byte(i*7 + i>>8)
	}
	cmem, imem := cinst.Memories[0].Bytes(), iinst.Memories[0].Bytes()
	copy(cmem, pattern)
	copy(imem, pattern)

	r := rand.New(rand.NewPCG(3, 4))
	ctx := context.Background()
	failures := 0
	for i, c := range cases {
		vals, width := simdInputKind(c.name)
		vecs := simdVectors(vals, width)
		for range 8 {
			vecs = append(vecs, [2]uint64{r.Uint64(), r.Uint64()})
		}
		var scalars []uint64
		switch {
		case c.op.Imm() == wasm.ImmMemArg || c.op.Imm() == wasm.ImmMemArgLane:
			scalars = simdAddrs
		case strings.Contains(c.name, "splat") || strings.Contains(c.name, "replace_lane"):
			scalars = append(append([]uint64(nil), vals...), simdScalars...)
		default:
			scalars = simdScalars
		}
		for _, args := range simdArgs(c.params, vecs, scalars, r) {
			cstack := make([]uint64, max(len(args), 2))
			istack := make([]uint64, max(len(args), 2))
			copy(cstack, args)
			copy(istack, args)
			cerr := ce.Call(ctx, cinst.Funcs[i], cstack)
			ierr := ie.Call(ctx, iinst.Funcs[i], istack)
			ck, ik := simdTrap(cerr), simdTrap(ierr)
			bad := ""
			switch {
			case (cerr == nil) != (ierr == nil) || ck != ik:
				bad = fmt.Sprintf("error %v, want %v", cerr, ierr)
			case cerr == nil:
				n := 0
				for _, t := range c.result {
					n += simdSlots(t)
				}
				if fmt.Sprint(cstack[:n]) != fmt.Sprint(istack[:n]) {
					bad = fmt.Sprintf("= %#x, want %#x", cstack[:n], istack[:n])
				}
			}
			if !bytes.Equal(cmem, imem) {
				bad += " (memory differs)"
				copy(cmem, imem)
			}
			if bad != "" {
				t.Errorf("%s%#x %s", c.name, args, bad)
				if failures++; failures > 50 {
					t.Fatal("too many failures")
				}
			}
		}
		copy(cmem, pattern)
		copy(imem, pattern)
	}
}

func simdSlots(t wasm.ValueType) int {
	if t == wasm.ValueTypeV128 {
		return 2
	}
	return 1
}

func simdTrap(err error) api.TrapKind {
	if t, ok := err.(*api.Trap); ok {
		return t.Kind
	}
	return 0
}

// simdArgs returns argument lists for params: every pair of vectors for
// two vector operands, every vector with every scalar for a vector and a
// scalar, and a sample of combinations for three vectors.
func simdArgs(params []wasm.ValueType, vecs [][2]uint64, scalars []uint64, r *rand.Rand) [][]uint64 {
	var nv, ns int
	for _, p := range params {
		if p == wasm.ValueTypeV128 {
			nv++
		} else {
			ns++
		}
	}
	build := func(vs [][2]uint64, ss []uint64) []uint64 {
		var out []uint64
		for _, p := range params {
			if p == wasm.ValueTypeV128 {
				out = append(out, vs[0][0], vs[0][1])
				vs = vs[1:]
			} else {
				out = append(out, ss[0])
				ss = ss[1:]
			}
		}
		return out
	}
	var all [][]uint64
	switch {
	case nv == 0:
		for _, s := range scalars {
			all = append(all, build(nil, []uint64{s}))
		}
	case nv == 1 && ns == 0:
		for _, v := range vecs {
			all = append(all, build([][2]uint64{v}, nil))
		}
	case nv == 1:
		for i, v := range vecs {
			for j, s := range scalars {
				if (i+j)%3 == 0 || len(vecs) < 20 {
					all = append(all, build([][2]uint64{v}, []uint64{s}))
				}
			}
		}
	case nv == 2 && ns == 0:
		for _, v := range vecs {
			for _, w := range vecs {
				all = append(all, build([][2]uint64{v, w}, nil))
			}
		}
	default: // bitselect, select
		for range 200 {
			vs := [][2]uint64{vecs[r.IntN(len(vecs))], vecs[r.IntN(len(vecs))], vecs[r.IntN(len(vecs))]}
			all = append(all, build(vs, []uint64{uint64(r.IntN(3))}))
		}
	}
	return all
}
