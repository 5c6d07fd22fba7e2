package amd64

import (
	"math"

	"github.com/wasmvisor/wasmvisor/api"
	asm "github.com/wasmvisor/wasmvisor/internal/asm/amd64"
	"github.com/wasmvisor/wasmvisor/internal/engine/ir"
	"golang.org/x/sys/cpu"
)

// Scalar floating point in SSE registers. The interpreter
// (interp/exec.go and interp/float.go) defines the results, NaNs
// included: the SSE instructions quiet a NaN operand the way its Go
// code does (the first operand's NaN if it has one, else the second's),
// so even NaN payloads come out the same. f32 results are stored
// zero-extended, as the slot form keeps them: every sequence below
// leaves bits 32 to 63 of an f32 result's register zero, and the store
// writes all 64.
//
// Abs, neg and copysign are bit operations in general registers, which
// never touch a NaN's payload.

func init() { nativeExtensions = append(nativeExtensions, nativeFloat) }

// Rounding-mode immediates of roundss/roundsd, with the precision
// exception suppressed.
const (
	roundNearest = 0x08
	roundFloor   = 0x09
	roundCeil    = 0x0A
	roundTrunc   = 0x0B
)

// cmpss/cmpsd predicates.
const (
	cmpEq  = 0 // ordered and equal
	cmpLt  = 1 // ordered and less
	cmpLe  = 2 // ordered and less or equal
	cmpNeq = 4 // unordered or not equal
)

// Bit patterns of 2^63 and -2^63, the bounds of the 64-bit truncations.
var (
	two63f32    = uint64(math.Float32bits(1 << 63))
	two63f64    = math.Float64bits(1 << 63)
	negTwo63f32 = uint64(math.Float32bits(-(1 << 63)))
	negTwo63f64 = math.Float64bits(-(1 << 63))
)

// sel returns the double-precision op if double is set, the single one
// otherwise.
func sel(double bool, single, dbl asm.SSEOp) asm.SSEOp {
	if double {
		return dbl
	}
	return single
}

func nativeFloat(g *gen, in *ir.Instr) bool {
	a := &g.a
	op := in.Op
	switch op {
	case ir.OpF32Add, ir.OpF64Add:
		g.farith(op == ir.OpF64Add, asm.Addss, asm.Addsd, in)
	case ir.OpF32Sub, ir.OpF64Sub:
		g.farith(op == ir.OpF64Sub, asm.Subss, asm.Subsd, in)
	case ir.OpF32Mul, ir.OpF64Mul:
		g.farith(op == ir.OpF64Mul, asm.Mulss, asm.Mulsd, in)
	case ir.OpF32Div, ir.OpF64Div:
		g.farith(op == ir.OpF64Div, asm.Divss, asm.Divsd, in)
	case ir.OpF32Min, ir.OpF64Min:
		g.fminmax(op == ir.OpF64Min, false, in)
	case ir.OpF32Max, ir.OpF64Max:
		g.fminmax(op == ir.OpF64Max, true, in)

	case ir.OpF32Eq, ir.OpF64Eq:
		g.fcompare(op == ir.OpF64Eq, cmpEq, false, in)
	case ir.OpF32Ne, ir.OpF64Ne:
		g.fcompare(op == ir.OpF64Ne, cmpNeq, false, in)
	case ir.OpF32Lt, ir.OpF64Lt:
		g.fcompare(op == ir.OpF64Lt, cmpLt, false, in)
	case ir.OpF32Gt, ir.OpF64Gt:
		g.fcompare(op == ir.OpF64Gt, cmpLt, true, in)
	case ir.OpF32Le, ir.OpF64Le:
		g.fcompare(op == ir.OpF64Le, cmpLe, false, in)
	case ir.OpF32Ge, ir.OpF64Ge:
		g.fcompare(op == ir.OpF64Ge, cmpLe, true, in)

	case ir.OpF32Abs:
		g.ld(asm.W32, asm.RAX, in.B)
		a.AluImm(asm.AluAnd, asm.W32, asm.RAX, 0x7fffffff)
		g.st(asm.W32, in.A, asm.RAX)
	case ir.OpF32Neg:
		g.ld(asm.W32, asm.RAX, in.B)
		a.AluImm(asm.AluXor, asm.W32, asm.RAX, math.MinInt32)
		g.st(asm.W32, in.A, asm.RAX)
	case ir.OpF32Copysign:
		g.ld(asm.W32, asm.RAX, in.B)
		a.Load(asm.W32, asm.RCX, slot(in.C))
		a.AluImm(asm.AluAnd, asm.W32, asm.RAX, 0x7fffffff)
		a.AluImm(asm.AluAnd, asm.W32, asm.RCX, math.MinInt32)
		a.Alu(asm.AluOr, asm.W32, asm.RAX, asm.RCX)
		g.st(asm.W32, in.A, asm.RAX)
	case ir.OpF64Abs:
		g.ld(asm.W64, asm.RAX, in.B)
		a.ShiftImm(asm.ShShl, asm.W64, asm.RAX, 1)
		a.ShiftImm(asm.ShShr, asm.W64, asm.RAX, 1)
		g.st(asm.W64, in.A, asm.RAX)
	case ir.OpF64Neg:
		g.ld(asm.W64, asm.RAX, in.B)
		a.MovImm(asm.W64, asm.RCX, 1<<63)
		a.Alu(asm.AluXor, asm.W64, asm.RAX, asm.RCX)
		g.st(asm.W64, in.A, asm.RAX)
	case ir.OpF64Copysign:
		g.ld(asm.W64, asm.RAX, in.B)
		a.Load(asm.W64, asm.RCX, slot(in.C))
		a.ShiftImm(asm.ShShl, asm.W64, asm.RAX, 1)
		a.ShiftImm(asm.ShShr, asm.W64, asm.RAX, 1)
		a.ShiftImm(asm.ShShr, asm.W64, asm.RCX, 63)
		a.ShiftImm(asm.ShShl, asm.W64, asm.RCX, 63)
		a.Alu(asm.AluOr, asm.W64, asm.RAX, asm.RCX)
		g.st(asm.W64, in.A, asm.RAX)

	case ir.OpF32Ceil, ir.OpF64Ceil:
		return g.fround(op == ir.OpF64Ceil, roundCeil, in)
	case ir.OpF32Floor, ir.OpF64Floor:
		return g.fround(op == ir.OpF64Floor, roundFloor, in)
	case ir.OpF32Trunc, ir.OpF64Trunc:
		return g.fround(op == ir.OpF64Trunc, roundTrunc, in)
	case ir.OpF32Nearest, ir.OpF64Nearest:
		return g.fround(op == ir.OpF64Nearest, roundNearest, in)
	case ir.OpF32Sqrt, ir.OpF64Sqrt:
		double := op == ir.OpF64Sqrt
		g.fload(double, asm.X0, in.B)
		a.SSE(sel(double, asm.Sqrtss, asm.Sqrtsd), asm.X0, asm.X0)
		g.fstore(in.A, asm.X0)

	case ir.OpF32DemoteF64:
		// cvtsd2ss writes only the low 32 bits: clear the rest first.
		a.SSE(asm.Xorps, asm.X0, asm.X0)
		a.SSELoad(asm.Cvtsd2ss, asm.X0, slot(in.B))
		g.fstore(in.A, asm.X0)
	case ir.OpF64PromoteF32:
		a.SSELoad(asm.Cvtss2sd, asm.X0, slot(in.B))
		g.fstore(in.A, asm.X0)

	case ir.OpF32ConvertI32S, ir.OpF64ConvertI32S:
		g.fconvert(op == ir.OpF64ConvertI32S, asm.W32, asm.W32, false, in)
	case ir.OpF32ConvertI32U, ir.OpF64ConvertI32U:
		// Zero-extended, every u32 is a non-negative i64.
		g.fconvert(op == ir.OpF64ConvertI32U, asm.W32, asm.W64, false, in)
	case ir.OpF32ConvertI64S, ir.OpF64ConvertI64S:
		g.fconvert(op == ir.OpF64ConvertI64S, asm.W64, asm.W64, false, in)
	case ir.OpF32ConvertI64U, ir.OpF64ConvertI64U:
		g.fconvert(op == ir.OpF64ConvertI64U, asm.W64, asm.W64, true, in)

	case ir.OpI32TruncF32S:
		g.truncTrap(false, false, true, in)
	case ir.OpI32TruncF32U:
		g.truncTrap(false, false, false, in)
	case ir.OpI32TruncF64S:
		g.truncTrap(true, false, true, in)
	case ir.OpI32TruncF64U:
		g.truncTrap(true, false, false, in)
	case ir.OpI64TruncF32S:
		g.truncTrap(false, true, true, in)
	case ir.OpI64TruncF32U:
		g.truncTrap(false, true, false, in)
	case ir.OpI64TruncF64S:
		g.truncTrap(true, true, true, in)
	case ir.OpI64TruncF64U:
		g.truncTrap(true, true, false, in)

	case ir.OpI32TruncSatF32S:
		g.truncSat(false, false, true, in)
	case ir.OpI32TruncSatF32U:
		g.truncSat(false, false, false, in)
	case ir.OpI32TruncSatF64S:
		g.truncSat(true, false, true, in)
	case ir.OpI32TruncSatF64U:
		g.truncSat(true, false, false, in)
	case ir.OpI64TruncSatF32S:
		g.truncSat(false, true, true, in)
	case ir.OpI64TruncSatF32U:
		g.truncSat(false, true, false, in)
	case ir.OpI64TruncSatF64S:
		g.truncSat(true, true, true, in)
	case ir.OpI64TruncSatF64U:
		g.truncSat(true, true, false, in)

	case ir.OpSelect128:
		// Pick the source's address, then copy 16 bytes from it.
		a.Lea(asm.W64, asm.RAX, slot(in.C))
		a.Lea(asm.W64, asm.RCX, slot(in.B))
		a.AluMemImm(asm.AluCmp, asm.W32, slot(uint32(in.Imm)), 0)
		a.Cmov(asm.CondNE, asm.W64, asm.RAX, asm.RCX)
		a.SSELoad(asm.Movdqu, asm.X0, asm.M(asm.RAX, 0))
		a.SSEStore(asm.MovdquStore, slot(in.A), asm.X0)
	default:
		return false
	}
	return true
}

// fload loads the f32 or f64 in slot s into the low lane of x, zeroing
// the rest of x.
func (g *gen) fload(double bool, x asm.XReg, s uint32) { g.xload(widthOf(double), x, s) }

// fstore stores the low 64 bits of x in slot s: an f64, or an f32 whose
// bits 32 to 63 in x are zero.
func (g *gen) fstore(s uint32, x asm.XReg) {
	g.a.SSEStore(asm.MovqStore, slot(s), x)
}

// fconst puts the constant with bit pattern bits in the low lane of x,
// through the general register r.
func (g *gen) fconst(double bool, x asm.XReg, r asm.Reg, bits uint64) {
	w := widthOf(double)
	g.a.MovImm(w, r, bits)
	g.a.MovqToX(w, x, r)
}

// ucomis compares the low lanes of x and y, setting ZF, PF and CF as an
// unsigned comparison would, all three for unordered.
func (g *gen) ucomis(double bool, x, y asm.XReg) {
	g.a.SSE(sel(double, asm.Ucomiss, asm.Ucomisd), x, y)
}

// farith emits a = b op c.
func (g *gen) farith(double bool, single, dbl asm.SSEOp, in *ir.Instr) {
	g.fload(double, asm.X0, in.B)
	g.a.SSELoad(sel(double, single, dbl), asm.X0, slot(in.C))
	g.fstore(in.A, asm.X0)
}

// fminmax emits a = min(b, c) or max(b, c). minss/maxss alone return
// their second operand for NaNs and for ±0 of either sign, so only
// ordered, unequal operands go to them. Equal operands differ at most
// in the sign of a zero: or-ing them gives min's -0, and-ing max's +0.
// With a NaN, addss gives the NaN the interpreter returns: the first
// operand's, quieted, if it is one, else the second's.
func (g *gen) fminmax(double, isMax bool, in *ir.Instr) {
	a := &g.a
	nan, unequal, done := a.NewLabel(), a.NewLabel(), a.NewLabel()
	g.fload(double, asm.X0, in.B)
	g.fload(double, asm.X1, in.C)
	g.ucomis(double, asm.X0, asm.X1)
	a.Jcc(asm.CondP, nan)
	a.Jcc(asm.CondNE, unequal)
	if isMax {
		a.SSE(asm.Andps, asm.X0, asm.X1)
	} else {
		a.SSE(asm.Orps, asm.X0, asm.X1)
	}
	a.Jmp(done)
	a.Bind(unequal)
	if isMax {
		a.SSE(sel(double, asm.Maxss, asm.Maxsd), asm.X0, asm.X1)
	} else {
		a.SSE(sel(double, asm.Minss, asm.Minsd), asm.X0, asm.X1)
	}
	a.Jmp(done)
	a.Bind(nan)
	a.SSE(sel(double, asm.Addss, asm.Addsd), asm.X0, asm.X1)
	a.Bind(done)
	g.fstore(in.A, asm.X0)
}

// fcompare emits a = b pred c (c pred b if swap) as 0 or 1. cmpss
// leaves all ones or zero in the low lane; the ordered predicates are
// false and neq is true for a NaN, as WebAssembly wants.
func (g *gen) fcompare(double bool, pred uint8, swap bool, in *ir.Instr) {
	a := &g.a
	x, y := in.B, in.C
	if swap {
		x, y = y, x
	}
	g.fload(double, asm.X0, x)
	a.SSELoadImm(sel(double, asm.Cmpss, asm.Cmpsd), asm.X0, slot(y), pred)
	a.MovqFromX(asm.W32, asm.RAX, asm.X0)
	a.AluImm(asm.AluAnd, asm.W32, asm.RAX, 1)
	g.st(asm.W32, in.A, asm.RAX)
}

// fround emits ceil, floor, trunc or nearest with roundss/roundsd, which
// quiet a NaN as the interpreter does. Without SSE4.1 Go runs them.
func (g *gen) fround(double bool, mode uint8, in *ir.Instr) bool {
	if !cpu.X86.HasSSE41 {
		return false
	}
	g.fload(double, asm.X0, in.B)
	g.a.SSEImm(sel(double, asm.Roundss, asm.Roundsd), asm.X0, asm.X0, mode)
	g.fstore(in.A, asm.X0)
	return true
}

// fconvert emits the conversion of the integer in slot b, loaded
// zero-extended from width load and converted as a signed integer of
// width w, to a float. With unsigned, values with the top bit set are
// halved first, keeping the lost bit as a sticky low bit so the halved
// value rounds as the whole one would, and the result doubled.
func (g *gen) fconvert(double bool, load, w asm.Width, unsigned bool, in *ir.Instr) {
	a := &g.a
	g.ld(load, asm.RAX, in.B)
	// cvtsi2ss/sd write only the low lane: clear the register, for the
	// zero upper half of an f32 and to break the dependency.
	a.SSE(asm.Xorps, asm.X0, asm.X0)
	if !unsigned {
		a.Cvtsi2s(double, w, asm.X0, asm.RAX)
		g.fstore(in.A, asm.X0)
		return
	}
	big, done := a.NewLabel(), a.NewLabel()
	a.Test(asm.W64, asm.RAX, asm.RAX)
	a.Jcc(asm.CondS, big)
	a.Cvtsi2s(double, asm.W64, asm.X0, asm.RAX)
	a.Jmp(done)
	a.Bind(big)
	a.MovRR(asm.W64, asm.RCX, asm.RAX)
	a.ShiftImm(asm.ShShr, asm.W64, asm.RCX, 1)
	a.AluImm(asm.AluAnd, asm.W32, asm.RAX, 1)
	a.Alu(asm.AluOr, asm.W64, asm.RCX, asm.RAX)
	a.Cvtsi2s(double, asm.W64, asm.X0, asm.RCX)
	a.SSE(sel(double, asm.Addss, asm.Addsd), asm.X0, asm.X0)
	a.Bind(done)
	g.fstore(in.A, asm.X0)
}

// truncFail traps for a truncation whose result does not fit: invalid
// conversion if X0 is NaN, integer overflow otherwise.
func (g *gen) truncFail(double bool) {
	g.ucomis(double, asm.X0, asm.X0)
	g.trapIf(asm.CondP, api.TrapInvalidConversion)
	g.trapAlways(api.TrapIntegerOverflow)
}

// truncTrap emits the trapping truncations of the float in slot b to a
// 32-bit (to64 unset) or 64-bit integer. cvttss2si/cvttsd2si give
// 1<<63 for NaN and for anything out of the signed 64-bit range.
func (g *gen) truncTrap(double, to64, signed bool, in *ir.Instr) {
	a := &g.a
	ok := a.NewLabel()
	g.fload(double, asm.X0, in.B)
	switch {
	case !to64:
		// Truncate to 64 bits, where every f32 and f64 that can fit 32
		// bits is in range, and check that the result does.
		a.Cvtts2si(double, asm.W64, asm.RAX, asm.X0)
		if signed {
			a.MovSX(asm.W64, asm.W32, asm.RCX, asm.RAX)
			a.Alu(asm.AluCmp, asm.W64, asm.RCX, asm.RAX)
		} else {
			a.MovRR(asm.W64, asm.RCX, asm.RAX)
			a.ShiftImm(asm.ShShr, asm.W64, asm.RCX, 32)
		}
		a.Jcc(asm.CondE, ok)
		g.truncFail(double)
		a.Bind(ok)
		if signed {
			a.MovRR(asm.W32, asm.RAX, asm.RAX)
		}
	case signed:
		// 1<<63 is also the truncation of -2^63 itself, the one float
		// at or below -2^63 that is in range.
		a.Cvtts2si(double, asm.W64, asm.RAX, asm.X0)
		a.AluImm(asm.AluCmp, asm.W64, asm.RAX, 1) // overflows for 1<<63 alone
		a.Jcc(asm.CondNO, ok)
		g.ucomis(double, asm.X0, asm.X0)
		g.trapIf(asm.CondP, api.TrapInvalidConversion)
		g.fconst(double, asm.X1, asm.RCX, sel64(double, negTwo63f32, negTwo63f64))
		g.ucomis(double, asm.X0, asm.X1)
		g.trapIf(asm.CondNE, api.TrapIntegerOverflow)
		a.Bind(ok)
	default:
		// Below 2^63 the signed truncation serves, negative results
		// being out of range (or NaN); from 2^63 up, truncate x - 2^63
		// and set the top bit.
		big := a.NewLabel()
		g.fconst(double, asm.X1, asm.RCX, sel64(double, two63f32, two63f64))
		g.ucomis(double, asm.X0, asm.X1)
		a.Jcc(asm.CondAE, big) // not taken for NaN, which sets CF
		a.Cvtts2si(double, asm.W64, asm.RAX, asm.X0)
		a.Test(asm.W64, asm.RAX, asm.RAX)
		a.Jcc(asm.CondNS, ok)
		g.truncFail(double)
		a.Bind(big)
		a.SSE(sel(double, asm.Subss, asm.Subsd), asm.X0, asm.X1)
		a.Cvtts2si(double, asm.W64, asm.RAX, asm.X0)
		a.Test(asm.W64, asm.RAX, asm.RAX)
		g.trapIf(asm.CondS, api.TrapIntegerOverflow)
		a.MovImm(asm.W64, asm.RCX, 1<<63)
		a.Alu(asm.AluOr, asm.W64, asm.RAX, asm.RCX)
		a.Bind(ok)
	}
	g.st(widthOf(to64), in.A, asm.RAX)
}

// truncSat emits the saturating truncations: NaN gives 0, values out of
// range the nearest bound.
func (g *gen) truncSat(double, to64, signed bool, in *ir.Instr) {
	a := &g.a
	done := a.NewLabel()
	g.fload(double, asm.X0, in.B)
	switch {
	case !to64 && signed:
		// 1<<31 is the truncation of what is at or below -2^31, of what
		// is too big and of NaN: tell them apart by comparing with 0.
		a.Cvtts2si(double, asm.W32, asm.RAX, asm.X0)
		a.AluImm(asm.AluCmp, asm.W32, asm.RAX, math.MinInt32)
		a.Jcc(asm.CondNE, done)
		a.SSE(asm.Xorps, asm.X1, asm.X1)
		g.ucomis(double, asm.X0, asm.X1)
		a.MovImm(asm.W32, asm.RCX, math.MaxInt32)
		a.Cmov(asm.CondAE, asm.W32, asm.RAX, asm.RCX) // ordered and >= 0
		a.MovImm(asm.W32, asm.RCX, 0)
		a.Cmov(asm.CondP, asm.W32, asm.RAX, asm.RCX) // NaN
	case !to64:
		// Truncate to 64 bits; a result beyond 32 bits saturates by the
		// sign of the input, NaN going to 0.
		a.Cvtts2si(double, asm.W64, asm.RAX, asm.X0)
		a.MovRR(asm.W64, asm.RCX, asm.RAX)
		a.ShiftImm(asm.ShShr, asm.W64, asm.RCX, 32)
		a.Jcc(asm.CondE, done)
		a.SSE(asm.Xorps, asm.X1, asm.X1)
		g.ucomis(double, asm.X0, asm.X1)
		a.MovImm(asm.W32, asm.RAX, 0)
		a.MovImm(asm.W32, asm.RCX, math.MaxUint32)
		a.Cmov(asm.CondA, asm.W32, asm.RAX, asm.RCX) // ordered and > 0
	case signed:
		a.Cvtts2si(double, asm.W64, asm.RAX, asm.X0)
		a.AluImm(asm.AluCmp, asm.W64, asm.RAX, 1) // overflows for 1<<63 alone
		a.Jcc(asm.CondNO, done)
		a.SSE(asm.Xorps, asm.X1, asm.X1)
		g.ucomis(double, asm.X0, asm.X1)
		a.MovImm(asm.W64, asm.RCX, math.MaxInt64)
		a.Cmov(asm.CondAE, asm.W64, asm.RAX, asm.RCX)
		a.MovImm(asm.W32, asm.RCX, 0)
		a.Cmov(asm.CondP, asm.W64, asm.RAX, asm.RCX)
	default:
		big := a.NewLabel()
		g.fconst(double, asm.X1, asm.RCX, sel64(double, two63f32, two63f64))
		g.ucomis(double, asm.X0, asm.X1)
		a.Jcc(asm.CondAE, big) // not taken for NaN, which sets CF
		// Below 2^63: negative results (negative inputs, NaN) are 0.
		a.Cvtts2si(double, asm.W64, asm.RAX, asm.X0)
		a.MovImm(asm.W32, asm.RCX, 0)
		a.Test(asm.W64, asm.RAX, asm.RAX)
		a.Cmov(asm.CondS, asm.W64, asm.RAX, asm.RCX)
		a.Jmp(done)
		// From 2^63: truncate x - 2^63 and set the top bit; 1<<63 means
		// x - 2^63 is out of range too, and the sign spread over the
		// result makes it all ones.
		a.Bind(big)
		a.SSE(sel(double, asm.Subss, asm.Subsd), asm.X0, asm.X1)
		a.Cvtts2si(double, asm.W64, asm.RAX, asm.X0)
		a.MovRR(asm.W64, asm.RDX, asm.RAX)
		a.ShiftImm(asm.ShSar, asm.W64, asm.RDX, 63)
		a.MovImm(asm.W64, asm.RCX, 1<<63)
		a.Alu(asm.AluOr, asm.W64, asm.RAX, asm.RCX)
		a.Alu(asm.AluOr, asm.W64, asm.RAX, asm.RDX)
	}
	a.Bind(done)
	g.st(widthOf(to64), in.A, asm.RAX)
}

// sel64 returns d if double is set, s otherwise.
func sel64(double bool, s, d uint64) uint64 {
	if double {
		return d
	}
	return s
}
