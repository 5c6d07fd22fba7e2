package amd64

import (
	asm "github.com/wasmvisor/wasmvisor/internal/asm/amd64"
	"github.com/wasmvisor/wasmvisor/internal/engine/ir"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
	"golang.org/x/sys/cpu"
)

// SIMD instructions in machine code. A v128 in slot s is the 16 bytes at
// [rbx + 8*s], not necessarily 16-byte aligned: operands are loaded with
// movdqu into X0, X1, ... and the result stored back the same way, so
// that a following instruction's 16-byte load is forwarded from the
// store. Legacy SSE instructions fault on unaligned 16-byte memory
// operands, so nothing else takes a v128 from the frame directly.
//
// The baseline is SSE4.1 with SSSE3; without them every SIMD instruction
// goes to Go. pcmpgtq (SSE4.2) is used when present, with an SSE2
// sequence otherwise. Results match the interpreter's (package interp,
// simd.go and float.go) bit for bit, NaN payloads included where the
// interpreter pins them down (min, max, rounding, sqrt): see the
// sequences below for the places where the hardware differs.

func init() { nativeExtensions = append(nativeExtensions, nativeSIMD) }

var (
	// simdOK enables the native translations.
	simdOK = cpu.X86.HasSSE41 && cpu.X86.HasSSSE3
	// simdPcmpgtq allows pcmpgtq for the signed i64x2 comparisons.
	simdPcmpgtq = cpu.X86.HasSSE42
)

// simdOp returns the 0xFD opcode of a SIMD instruction of the slot form.
func simdOp(op ir.Opcode) (wasm.Opcode, bool) {
	if op < ir.OpSIMD || op > ir.OpSIMD+0xff {
		return 0, false
	}
	return wasm.Opcode(op-ir.OpSIMD) | 0xfd00, true
}

// Two-operand instructions that are one SSE instruction: a = b op c
// (swap: a = c op b).
type simdBinOp struct {
	op   asm.SSEOp
	swap bool
}

var simdBinary = map[wasm.Opcode]simdBinOp{
	wasm.OpV128And:    {op: asm.Pand},
	wasm.OpV128Or:     {op: asm.Por},
	wasm.OpV128Xor:    {op: asm.Pxor},
	wasm.OpV128Andnot: {op: asm.Pandn, swap: true}, // pandn x, y is ~x & y

	wasm.OpI8x16Add:     {op: asm.Paddb},
	wasm.OpI8x16AddSatS: {op: asm.Paddsb},
	wasm.OpI8x16AddSatU: {op: asm.Paddusb},
	wasm.OpI8x16Sub:     {op: asm.Psubb},
	wasm.OpI8x16SubSatS: {op: asm.Psubsb},
	wasm.OpI8x16SubSatU: {op: asm.Psubusb},
	wasm.OpI8x16MinS:    {op: asm.Pminsb},
	wasm.OpI8x16MinU:    {op: asm.Pminub},
	wasm.OpI8x16MaxS:    {op: asm.Pmaxsb},
	wasm.OpI8x16MaxU:    {op: asm.Pmaxub},
	wasm.OpI8x16AvgrU:   {op: asm.Pavgb},
	wasm.OpI8x16Eq:      {op: asm.Pcmpeqb},
	wasm.OpI8x16GtS:     {op: asm.Pcmpgtb},
	wasm.OpI8x16LtS:     {op: asm.Pcmpgtb, swap: true},

	wasm.OpI16x8Add:     {op: asm.Paddw},
	wasm.OpI16x8AddSatS: {op: asm.Paddsw},
	wasm.OpI16x8AddSatU: {op: asm.Paddusw},
	wasm.OpI16x8Sub:     {op: asm.Psubw},
	wasm.OpI16x8SubSatS: {op: asm.Psubsw},
	wasm.OpI16x8SubSatU: {op: asm.Psubusw},
	wasm.OpI16x8Mul:     {op: asm.Pmullw},
	wasm.OpI16x8MinS:    {op: asm.Pminsw},
	wasm.OpI16x8MinU:    {op: asm.Pminuw},
	wasm.OpI16x8MaxS:    {op: asm.Pmaxsw},
	wasm.OpI16x8MaxU:    {op: asm.Pmaxuw},
	wasm.OpI16x8AvgrU:   {op: asm.Pavgw},
	wasm.OpI16x8Eq:      {op: asm.Pcmpeqw},
	wasm.OpI16x8GtS:     {op: asm.Pcmpgtw},
	wasm.OpI16x8LtS:     {op: asm.Pcmpgtw, swap: true},

	wasm.OpI32x4Add:       {op: asm.Paddd},
	wasm.OpI32x4Sub:       {op: asm.Psubd},
	wasm.OpI32x4Mul:       {op: asm.Pmulld},
	wasm.OpI32x4MinS:      {op: asm.Pminsd},
	wasm.OpI32x4MinU:      {op: asm.Pminud},
	wasm.OpI32x4MaxS:      {op: asm.Pmaxsd},
	wasm.OpI32x4MaxU:      {op: asm.Pmaxud},
	wasm.OpI32x4DotI16x8S: {op: asm.Pmaddwd}, // the one overflow wraps, as in WebAssembly
	wasm.OpI32x4Eq:        {op: asm.Pcmpeqd},
	wasm.OpI32x4GtS:       {op: asm.Pcmpgtd},
	wasm.OpI32x4LtS:       {op: asm.Pcmpgtd, swap: true},

	wasm.OpI64x2Add: {op: asm.Paddq},
	wasm.OpI64x2Sub: {op: asm.Psubq},
	wasm.OpI64x2Eq:  {op: asm.Pcmpeqq},

	// The packs saturate signed inputs, as narrow does.
	wasm.OpI8x16NarrowI16x8S: {op: asm.Packsswb},
	wasm.OpI8x16NarrowI16x8U: {op: asm.Packuswb},
	wasm.OpI16x8NarrowI32x4S: {op: asm.Packssdw},
	wasm.OpI16x8NarrowI32x4U: {op: asm.Packusdw},

	wasm.OpF32x4Add: {op: asm.Addps},
	wasm.OpF32x4Sub: {op: asm.Subps},
	wasm.OpF32x4Mul: {op: asm.Mulps},
	wasm.OpF32x4Div: {op: asm.Divps},
	wasm.OpF64x2Add: {op: asm.Addpd},
	wasm.OpF64x2Sub: {op: asm.Subpd},
	wasm.OpF64x2Mul: {op: asm.Mulpd},
	wasm.OpF64x2Div: {op: asm.Divpd},
	// minps x, y is x < y ? x : y, and y when either is NaN: pmin(x, y)
	// is y < x ? y : x, so minps y, x; likewise pmax.
	wasm.OpF32x4Pmin: {op: asm.Minps, swap: true},
	wasm.OpF32x4Pmax: {op: asm.Maxps, swap: true},
	wasm.OpF64x2Pmin: {op: asm.Minpd, swap: true},
	wasm.OpF64x2Pmax: {op: asm.Maxpd, swap: true},
}

// ne: eq and a complement.
var simdNe = map[wasm.Opcode]asm.SSEOp{
	wasm.OpI8x16Ne: asm.Pcmpeqb,
	wasm.OpI16x8Ne: asm.Pcmpeqw,
	wasm.OpI32x4Ne: asm.Pcmpeqd,
	wasm.OpI64x2Ne: asm.Pcmpeqq,
}

// Integer comparisons by a minimum or maximum: b <= c iff min(b, c) == b,
// b >= c iff max(b, c) == b; not: the complement (b > c, b < c).
type simdMinMaxCmp struct {
	minmax, eq asm.SSEOp
	not        bool
}

var simdMinMaxCmps = map[wasm.Opcode]simdMinMaxCmp{
	wasm.OpI8x16LeS: {asm.Pminsb, asm.Pcmpeqb, false},
	wasm.OpI8x16GeS: {asm.Pmaxsb, asm.Pcmpeqb, false},
	wasm.OpI8x16LeU: {asm.Pminub, asm.Pcmpeqb, false},
	wasm.OpI8x16GeU: {asm.Pmaxub, asm.Pcmpeqb, false},
	wasm.OpI8x16GtU: {asm.Pminub, asm.Pcmpeqb, true},
	wasm.OpI8x16LtU: {asm.Pmaxub, asm.Pcmpeqb, true},
	wasm.OpI16x8LeS: {asm.Pminsw, asm.Pcmpeqw, false},
	wasm.OpI16x8GeS: {asm.Pmaxsw, asm.Pcmpeqw, false},
	wasm.OpI16x8LeU: {asm.Pminuw, asm.Pcmpeqw, false},
	wasm.OpI16x8GeU: {asm.Pmaxuw, asm.Pcmpeqw, false},
	wasm.OpI16x8GtU: {asm.Pminuw, asm.Pcmpeqw, true},
	wasm.OpI16x8LtU: {asm.Pmaxuw, asm.Pcmpeqw, true},
	wasm.OpI32x4LeS: {asm.Pminsd, asm.Pcmpeqd, false},
	wasm.OpI32x4GeS: {asm.Pmaxsd, asm.Pcmpeqd, false},
	wasm.OpI32x4LeU: {asm.Pminud, asm.Pcmpeqd, false},
	wasm.OpI32x4GeU: {asm.Pmaxud, asm.Pcmpeqd, false},
	wasm.OpI32x4GtU: {asm.Pminud, asm.Pcmpeqd, true},
	wasm.OpI32x4LtU: {asm.Pmaxud, asm.Pcmpeqd, true},
}

// Floating-point comparisons: cmpps/cmppd with a predicate (0 eq, 1 lt,
// 2 le, 4 neq, which is true for NaN as Go's != is).
type simdFCmp struct {
	op   asm.SSEOp
	pred uint8
	swap bool
}

var simdFCmps = map[wasm.Opcode]simdFCmp{
	wasm.OpF32x4Eq: {asm.Cmpps, 0, false},
	wasm.OpF32x4Ne: {asm.Cmpps, 4, false},
	wasm.OpF32x4Lt: {asm.Cmpps, 1, false},
	wasm.OpF32x4Gt: {asm.Cmpps, 1, true},
	wasm.OpF32x4Le: {asm.Cmpps, 2, false},
	wasm.OpF32x4Ge: {asm.Cmpps, 2, true},
	wasm.OpF64x2Eq: {asm.Cmppd, 0, false},
	wasm.OpF64x2Ne: {asm.Cmppd, 4, false},
	wasm.OpF64x2Lt: {asm.Cmppd, 1, false},
	wasm.OpF64x2Gt: {asm.Cmppd, 1, true},
	wasm.OpF64x2Le: {asm.Cmppd, 2, false},
	wasm.OpF64x2Ge: {asm.Cmppd, 2, true},
}

// One-operand instructions that are one SSE instruction on X0.
var simdUnary = map[wasm.Opcode]asm.SSEOp{
	wasm.OpI8x16Abs: asm.Pabsb,
	wasm.OpI16x8Abs: asm.Pabsw,
	wasm.OpI32x4Abs: asm.Pabsd,

	wasm.OpI16x8ExtendLowI8x16S: asm.Pmovsxbw,
	wasm.OpI16x8ExtendLowI8x16U: asm.Pmovzxbw,
	wasm.OpI32x4ExtendLowI16x8S: asm.Pmovsxwd,
	wasm.OpI32x4ExtendLowI16x8U: asm.Pmovzxwd,
	wasm.OpI64x2ExtendLowI32x4S: asm.Pmovsxdq,
	wasm.OpI64x2ExtendLowI32x4U: asm.Pmovzxdq,

	// sqrtps correctly rounds and quiets a NaN operand keeping its
	// payload; a negative operand gives the default NaN, as Go's does.
	wasm.OpF32x4Sqrt: asm.Sqrtps,
	wasm.OpF64x2Sqrt: asm.Sqrtpd,

	wasm.OpF32x4ConvertI32x4S:    asm.Cvtdq2ps,
	wasm.OpF64x2ConvertLowI32x4S: asm.Cvtdq2pd,
	wasm.OpF32x4DemoteF64x2Zero:  asm.Cvtpd2ps, // the upper lanes zeroed
	wasm.OpF64x2PromoteLowF32x4:  asm.Cvtps2pd,
}

// extend_high: the upper half moved down (pshufd 0xEE), then extended.
var simdExtendHigh = map[wasm.Opcode]asm.SSEOp{
	wasm.OpI16x8ExtendHighI8x16S: asm.Pmovsxbw,
	wasm.OpI16x8ExtendHighI8x16U: asm.Pmovzxbw,
	wasm.OpI32x4ExtendHighI16x8S: asm.Pmovsxwd,
	wasm.OpI32x4ExtendHighI16x8U: asm.Pmovzxwd,
	wasm.OpI64x2ExtendHighI32x4S: asm.Pmovsxdq,
	wasm.OpI64x2ExtendHighI32x4U: asm.Pmovzxdq,
}

// Rounding: roundps/roundpd with the mode (0 nearest even, 1 down, 2 up,
// 3 toward zero) and 8, which keeps the precision exception quiet. A NaN
// comes back quieted with its payload, as in the interpreter.
type simdRound struct {
	op   asm.SSEOp
	mode uint8
}

var simdRounds = map[wasm.Opcode]simdRound{
	wasm.OpF32x4Nearest: {asm.Roundps, 8 | 0},
	wasm.OpF32x4Floor:   {asm.Roundps, 8 | 1},
	wasm.OpF32x4Ceil:    {asm.Roundps, 8 | 2},
	wasm.OpF32x4Trunc:   {asm.Roundps, 8 | 3},
	wasm.OpF64x2Nearest: {asm.Roundpd, 8 | 0},
	wasm.OpF64x2Floor:   {asm.Roundpd, 8 | 1},
	wasm.OpF64x2Ceil:    {asm.Roundpd, 8 | 2},
	wasm.OpF64x2Trunc:   {asm.Roundpd, 8 | 3},
}

// all_true compares with zero at the lane width.
var simdAllTrueEq = map[wasm.Opcode]asm.SSEOp{
	wasm.OpI8x16AllTrue: asm.Pcmpeqb, wasm.OpI16x8AllTrue: asm.Pcmpeqw,
	wasm.OpI32x4AllTrue: asm.Pcmpeqd, wasm.OpI64x2AllTrue: asm.Pcmpeqq,
}

// neg subtracts from zero at the lane width.
var simdNegSub = map[wasm.Opcode]asm.SSEOp{
	wasm.OpI8x16Neg: asm.Psubb, wasm.OpI16x8Neg: asm.Psubw,
	wasm.OpI32x4Neg: asm.Psubd, wasm.OpI64x2Neg: asm.Psubq,
}

// Shifts by a count in a register, masked to the lane width as
// WebAssembly does (SSE would shift everything out).
var simdShifts = map[wasm.Opcode]struct {
	op   asm.SSEOp
	mask int32
}{
	wasm.OpI16x8Shl: {asm.Psllw, 15}, wasm.OpI16x8ShrS: {asm.Psraw, 15}, wasm.OpI16x8ShrU: {asm.Psrlw, 15},
	wasm.OpI32x4Shl: {asm.Pslld, 31}, wasm.OpI32x4ShrS: {asm.Psrad, 31}, wasm.OpI32x4ShrU: {asm.Psrld, 31},
	wasm.OpI64x2Shl: {asm.Psllq, 63}, wasm.OpI64x2ShrU: {asm.Psrlq, 63},
}

// Memory instructions, loads into X0 and the 16-byte store.
var simdLoadSize = map[wasm.Opcode]uint64{
	wasm.OpV128Load:        16,
	wasm.OpV128Load8x8S:    8,
	wasm.OpV128Load8x8U:    8,
	wasm.OpV128Load16x4S:   8,
	wasm.OpV128Load16x4U:   8,
	wasm.OpV128Load32x2S:   8,
	wasm.OpV128Load32x2U:   8,
	wasm.OpV128Load8Splat:  1,
	wasm.OpV128Load16Splat: 2,
	wasm.OpV128Load32Splat: 4,
	wasm.OpV128Load64Splat: 8,
	wasm.OpV128Load32Zero:  4,
	wasm.OpV128Load64Zero:  8,
}

// The lane loads and stores, by the width of their lane.
var simdLaneWidth = map[wasm.Opcode]asm.Width{
	wasm.OpV128Load8Lane:   asm.W8,
	wasm.OpV128Load16Lane:  asm.W16,
	wasm.OpV128Load32Lane:  asm.W32,
	wasm.OpV128Load64Lane:  asm.W64,
	wasm.OpV128Store8Lane:  asm.W8,
	wasm.OpV128Store16Lane: asm.W16,
	wasm.OpV128Store32Lane: asm.W32,
	wasm.OpV128Store64Lane: asm.W64,
}

// nativeSIMD translates the SIMD instructions, reporting whether it
// handled in.
func nativeSIMD(g *gen, in *ir.Instr) bool {
	if !simdOK {
		return false
	}
	op, ok := simdOp(in.Op)
	if !ok {
		return false
	}
	a := &g.a
	if b, ok := simdBinary[op]; ok {
		x, y := in.B, in.C
		if b.swap {
			x, y = y, x
		}
		g.vload(asm.X0, x)
		g.vload(asm.X1, y)
		a.SSE(b.op, asm.X0, asm.X1)
		g.vstore(in.A, asm.X0)
		return true
	}
	if eq, ok := simdNe[op]; ok {
		g.vload(asm.X0, in.B)
		g.vload(asm.X1, in.C)
		a.SSE(eq, asm.X0, asm.X1)
		g.vnot(asm.X0, asm.X1)
		g.vstore(in.A, asm.X0)
		return true
	}
	if c, ok := simdMinMaxCmps[op]; ok {
		g.vload(asm.X0, in.B)
		g.vload(asm.X1, in.C)
		a.SSE(asm.Movaps, asm.X2, asm.X0)
		a.SSE(c.minmax, asm.X2, asm.X1)
		a.SSE(c.eq, asm.X0, asm.X2)
		if c.not {
			g.vnot(asm.X0, asm.X1)
		}
		g.vstore(in.A, asm.X0)
		return true
	}
	if c, ok := simdFCmps[op]; ok {
		x, y := in.B, in.C
		if c.swap {
			x, y = y, x
		}
		g.vload(asm.X0, x)
		g.vload(asm.X1, y)
		a.SSEImm(c.op, asm.X0, asm.X1, c.pred)
		g.vstore(in.A, asm.X0)
		return true
	}
	if u, ok := simdUnary[op]; ok {
		g.vload(asm.X0, in.B)
		a.SSE(u, asm.X0, asm.X0)
		g.vstore(in.A, asm.X0)
		return true
	}
	if u, ok := simdExtendHigh[op]; ok {
		g.vload(asm.X0, in.B)
		a.SSEImm(asm.Pshufd, asm.X0, asm.X0, 0xEE)
		a.SSE(u, asm.X0, asm.X0)
		g.vstore(in.A, asm.X0)
		return true
	}
	if r, ok := simdRounds[op]; ok {
		g.vload(asm.X0, in.B)
		a.SSEImm(r.op, asm.X0, asm.X0, r.mode)
		g.vstore(in.A, asm.X0)
		return true
	}
	if n, ok := simdLoadSize[op]; ok {
		g.simdLoad(op, in, n)
		return true
	}
	if w, ok := simdLaneWidth[op]; ok {
		g.simdLane(op, in, w)
		return true
	}
	return g.simdOther(op, in)
}

// vload loads the v128 in slot s into x.
func (g *gen) vload(x asm.XReg, s uint32) { g.a.SSELoad(asm.Movdqu, x, slot(s)) }

// vstore stores x into the v128 slot s.
func (g *gen) vstore(s uint32, x asm.XReg) { g.a.SSEStore(asm.MovdquStore, slot(s), x) }

// vscalar loads the low w bytes (W32 or W64) of slot s into x, zeroing
// the rest of x.
func (g *gen) vscalar(w asm.Width, x asm.XReg, s uint32) { g.xload(w, x, s) }

// vnot complements x, using tmp.
func (g *gen) vnot(x, tmp asm.XReg) {
	g.a.SSE(asm.Pcmpeqd, tmp, tmp)
	g.a.SSE(asm.Pxor, x, tmp)
}

// vsplat32 sets every 32-bit lane of x to v. It uses RAX.
func (g *gen) vsplat32(x asm.XReg, v uint32) {
	a := &g.a
	switch v {
	case 0:
		a.SSE(asm.Pxor, x, x)
	case 0xffffffff:
		a.SSE(asm.Pcmpeqd, x, x)
	default:
		a.MovImm(asm.W32, asm.RAX, uint64(v))
		a.MovqToX(asm.W32, x, asm.RAX)
		a.SSEImm(asm.Pshufd, x, x, 0)
	}
}

// vsplat8 and vsplat16 set every 8- or 16-bit lane of x to v.
func (g *gen) vsplat8(x asm.XReg, v uint8)   { g.vsplat32(x, uint32(v)*0x01010101) }
func (g *gen) vsplat16(x asm.XReg, v uint16) { g.vsplat32(x, uint32(v)*0x00010001) }

// vsplat64 sets both 64-bit lanes of x to v. It uses RAX.
func (g *gen) vsplat64(x asm.XReg, v uint64) {
	if uint64(uint32(v))*0x100000001 == v {
		g.vsplat32(x, uint32(v))
		return
	}
	g.a.MovImm(asm.W64, asm.RAX, v)
	g.a.MovqToX(asm.W64, x, asm.RAX)
	g.a.SSE(asm.Punpcklqdq, x, x)
}

// vconst sets x to the v128 lo | hi<<64. It uses RAX.
func (g *gen) vconst(x asm.XReg, lo, hi uint64) {
	if lo == hi {
		g.vsplat64(x, lo)
		return
	}
	g.a.MovImm(asm.W64, asm.RAX, lo)
	g.a.MovqToX(asm.W64, x, asm.RAX)
	g.a.MovImm(asm.W64, asm.RAX, hi)
	g.a.Pinsr(asm.W64, x, asm.RAX, 1)
}

// simdLoad translates the loads: a = load(b + imm).
func (g *gen) simdLoad(op wasm.Opcode, in *ir.Instr, n uint64) {
	a := &g.a
	m := g.effectiveAddr(in, addrPlain, n)
	switch op {
	case wasm.OpV128Load:
		a.SSELoad(asm.Movdqu, asm.X0, m)
	// The extending loads read 8 bytes, which SSE does not require to be
	// aligned.
	case wasm.OpV128Load8x8S:
		a.SSELoad(asm.Pmovsxbw, asm.X0, m)
	case wasm.OpV128Load8x8U:
		a.SSELoad(asm.Pmovzxbw, asm.X0, m)
	case wasm.OpV128Load16x4S:
		a.SSELoad(asm.Pmovsxwd, asm.X0, m)
	case wasm.OpV128Load16x4U:
		a.SSELoad(asm.Pmovzxwd, asm.X0, m)
	case wasm.OpV128Load32x2S:
		a.SSELoad(asm.Pmovsxdq, asm.X0, m)
	case wasm.OpV128Load32x2U:
		a.SSELoad(asm.Pmovzxdq, asm.X0, m)
	case wasm.OpV128Load8Splat:
		a.SSE(asm.Pxor, asm.X0, asm.X0)
		a.PinsrLoad(asm.W8, asm.X0, m, 0)
		a.SSE(asm.Pxor, asm.X1, asm.X1)
		a.SSE(asm.Pshufb, asm.X0, asm.X1)
	case wasm.OpV128Load16Splat:
		a.SSE(asm.Pxor, asm.X0, asm.X0)
		a.PinsrLoad(asm.W16, asm.X0, m, 0)
		a.SSEImm(asm.Pshuflw, asm.X0, asm.X0, 0)
		a.SSEImm(asm.Pshufd, asm.X0, asm.X0, 0)
	case wasm.OpV128Load32Splat:
		a.SSELoad(asm.Movss, asm.X0, m)
		a.SSEImm(asm.Pshufd, asm.X0, asm.X0, 0)
	case wasm.OpV128Load64Splat:
		a.SSELoad(asm.Movq, asm.X0, m)
		a.SSE(asm.Punpcklqdq, asm.X0, asm.X0)
	case wasm.OpV128Load32Zero:
		a.SSELoad(asm.Movss, asm.X0, m)
	case wasm.OpV128Load64Zero:
		a.SSELoad(asm.Movq, asm.X0, m)
	}
	g.vstore(in.A, asm.X0)
}

// simdLane translates the lane loads (a = c with lane imm>>32 loaded
// from b + uint32(imm)) and the lane stores (lane imm>>32 of c stored at
// b + uint32(imm)).
func (g *gen) simdLane(op wasm.Opcode, in *ir.Instr, w asm.Width) {
	a := &g.a
	lane := uint8(in.Imm>>32) & (16/uint8(w) - 1)
	addr := *in
	addr.Imm = uint64(uint32(in.Imm))
	m := g.effectiveAddr(&addr, addrPlain, uint64(w))
	g.vload(asm.X0, in.C)
	switch op {
	case wasm.OpV128Load8Lane, wasm.OpV128Load16Lane, wasm.OpV128Load32Lane, wasm.OpV128Load64Lane:
		a.PinsrLoad(w, asm.X0, m, lane)
		g.vstore(in.A, asm.X0)
	default:
		a.PextrStore(w, m, asm.X0, lane)
	}
}

// simdOther translates the instructions that take a sequence of their
// own, reporting whether op is one of them.
func (g *gen) simdOther(op wasm.Opcode, in *ir.Instr) bool {
	a := &g.a
	switch op {
	case wasm.OpV128Store:
		m := g.effectiveAddr(in, addrPlain, 16)
		g.vload(asm.X0, in.C)
		a.SSEStore(asm.MovdquStore, m, asm.X0)
		return true

	case wasm.OpI8x16Shuffle:
		if int(in.Imm) >= len(g.fn.Shuffles) {
			return false
		}
		g.simdShuffle(in, g.fn.Shuffles[in.Imm])
		return true
	case wasm.OpI8x16Swizzle:
		// pshufb zeroes a lane whose index has bit 7 set, and otherwise
		// takes its low 4 bits: adding 0x70 with unsigned saturation
		// keeps 0-15 below 0x80 and takes 16-255 to 0x80 and up.
		g.vload(asm.X0, in.B)
		g.vload(asm.X1, in.C)
		g.vsplat8(asm.X2, 0x70)
		a.SSE(asm.Paddusb, asm.X1, asm.X2)
		a.SSE(asm.Pshufb, asm.X0, asm.X1)
		g.vstore(in.A, asm.X0)
		return true

	case wasm.OpI8x16Splat:
		g.vscalar(asm.W32, asm.X0, in.B)
		a.SSE(asm.Pxor, asm.X1, asm.X1)
		a.SSE(asm.Pshufb, asm.X0, asm.X1)
		g.vstore(in.A, asm.X0)
		return true
	case wasm.OpI16x8Splat:
		g.vscalar(asm.W32, asm.X0, in.B)
		a.SSEImm(asm.Pshuflw, asm.X0, asm.X0, 0)
		a.SSEImm(asm.Pshufd, asm.X0, asm.X0, 0)
		g.vstore(in.A, asm.X0)
		return true
	case wasm.OpI32x4Splat, wasm.OpF32x4Splat:
		g.vscalar(asm.W32, asm.X0, in.B)
		a.SSEImm(asm.Pshufd, asm.X0, asm.X0, 0)
		g.vstore(in.A, asm.X0)
		return true
	case wasm.OpI64x2Splat, wasm.OpF64x2Splat:
		g.vscalar(asm.W64, asm.X0, in.B)
		a.SSE(asm.Punpcklqdq, asm.X0, asm.X0)
		g.vstore(in.A, asm.X0)
		return true

	// Lanes are read straight from the frame.
	case wasm.OpI8x16ExtractLaneS:
		a.LoadSX(asm.W32, asm.W8, asm.RAX, simdLaneMem(in.B, in.Imm&15, 1))
		g.st(asm.W32, in.A, asm.RAX)
		return true
	case wasm.OpI8x16ExtractLaneU:
		a.Load(asm.W8, asm.RAX, simdLaneMem(in.B, in.Imm&15, 1))
		g.st(asm.W32, in.A, asm.RAX)
		return true
	case wasm.OpI16x8ExtractLaneS:
		a.LoadSX(asm.W32, asm.W16, asm.RAX, simdLaneMem(in.B, in.Imm&7, 2))
		g.st(asm.W32, in.A, asm.RAX)
		return true
	case wasm.OpI16x8ExtractLaneU:
		a.Load(asm.W16, asm.RAX, simdLaneMem(in.B, in.Imm&7, 2))
		g.st(asm.W32, in.A, asm.RAX)
		return true
	case wasm.OpI32x4ExtractLane, wasm.OpF32x4ExtractLane:
		a.Load(asm.W32, asm.RAX, simdLaneMem(in.B, in.Imm&3, 4))
		g.st(asm.W32, in.A, asm.RAX)
		return true
	case wasm.OpI64x2ExtractLane, wasm.OpF64x2ExtractLane:
		a.Load(asm.W64, asm.RAX, simdLaneMem(in.B, in.Imm&1, 8))
		g.st(asm.W64, in.A, asm.RAX)
		return true

	case wasm.OpI8x16ReplaceLane:
		g.simdReplaceLane(in, asm.W8, 15)
		return true
	case wasm.OpI16x8ReplaceLane:
		g.simdReplaceLane(in, asm.W16, 7)
		return true
	case wasm.OpI32x4ReplaceLane, wasm.OpF32x4ReplaceLane:
		g.simdReplaceLane(in, asm.W32, 3)
		return true
	case wasm.OpI64x2ReplaceLane, wasm.OpF64x2ReplaceLane:
		g.simdReplaceLane(in, asm.W64, 1)
		return true

	case wasm.OpV128Not:
		g.vload(asm.X0, in.B)
		g.vnot(asm.X0, asm.X1)
		g.vstore(in.A, asm.X0)
		return true
	case wasm.OpV128Bitselect:
		// (x & m) | (y & ^m) is ((x ^ y) & m) ^ y, for x in slot b, y
		// in c and the mask m in imm.
		g.vload(asm.X0, in.B)
		g.vload(asm.X1, in.C)
		g.vload(asm.X2, uint32(in.Imm))
		a.SSE(asm.Pxor, asm.X0, asm.X1)
		a.SSE(asm.Pand, asm.X0, asm.X2)
		a.SSE(asm.Pxor, asm.X0, asm.X1)
		g.vstore(in.A, asm.X0)
		return true

	case wasm.OpV128AnyTrue:
		g.vload(asm.X0, in.B)
		a.MovImm(asm.W32, asm.RAX, 0)
		a.SSE(asm.Ptest, asm.X0, asm.X0)
		a.Setcc(asm.CondNE, asm.RAX)
		g.st(asm.W32, in.A, asm.RAX)
		return true
	case wasm.OpI8x16AllTrue, wasm.OpI16x8AllTrue, wasm.OpI32x4AllTrue, wasm.OpI64x2AllTrue:
		// All lanes are nonzero when comparing with zero finds none.
		eq := simdAllTrueEq[op]
		g.vload(asm.X0, in.B)
		a.SSE(asm.Pxor, asm.X1, asm.X1)
		a.SSE(eq, asm.X1, asm.X0)
		a.MovImm(asm.W32, asm.RAX, 0)
		a.SSE(asm.Ptest, asm.X1, asm.X1)
		a.Setcc(asm.CondE, asm.RAX)
		g.st(asm.W32, in.A, asm.RAX)
		return true
	case wasm.OpI8x16Bitmask, wasm.OpI16x8Bitmask, wasm.OpI32x4Bitmask, wasm.OpI64x2Bitmask:
		g.vload(asm.X0, in.B)
		switch op {
		case wasm.OpI8x16Bitmask:
			a.SSEToGPR(asm.Pmovmskb, asm.RAX, asm.X0)
		case wasm.OpI16x8Bitmask:
			// Packing to bytes with signed saturation keeps the signs.
			a.SSE(asm.Pxor, asm.X1, asm.X1)
			a.SSE(asm.Packsswb, asm.X0, asm.X1)
			a.SSEToGPR(asm.Pmovmskb, asm.RAX, asm.X0)
		case wasm.OpI32x4Bitmask:
			a.SSEToGPR(asm.Movmskps, asm.RAX, asm.X0)
		default:
			a.SSEToGPR(asm.Movmskpd, asm.RAX, asm.X0)
		}
		g.st(asm.W32, in.A, asm.RAX)
		return true

	case wasm.OpI8x16Shl, wasm.OpI8x16ShrS, wasm.OpI8x16ShrU:
		g.simdShift8(op, in)
		return true
	case wasm.OpI16x8Shl, wasm.OpI16x8ShrS, wasm.OpI16x8ShrU, wasm.OpI32x4Shl, wasm.OpI32x4ShrS,
		wasm.OpI32x4ShrU, wasm.OpI64x2Shl, wasm.OpI64x2ShrU:
		sh := simdShifts[op]
		g.simdShiftCount(asm.X1, in.C, sh.mask)
		g.vload(asm.X0, in.B)
		a.SSE(sh.op, asm.X0, asm.X1)
		g.vstore(in.A, asm.X0)
		return true
	case wasm.OpI64x2ShrS:
		// No psraq: shift logically, then sign-extend from the sign
		// bit's new place m as (x ^ m) - m.
		g.simdShiftCount(asm.X1, in.C, 63)
		g.vload(asm.X0, in.B)
		a.SSE(asm.Pcmpeqd, asm.X2, asm.X2)
		a.SSEShiftImm(asm.PsllqImm, asm.X2, 63)
		a.SSE(asm.Psrlq, asm.X0, asm.X1)
		a.SSE(asm.Psrlq, asm.X2, asm.X1)
		a.SSE(asm.Pxor, asm.X0, asm.X2)
		a.SSE(asm.Psubq, asm.X0, asm.X2)
		g.vstore(in.A, asm.X0)
		return true

	case wasm.OpI8x16Neg, wasm.OpI16x8Neg, wasm.OpI32x4Neg, wasm.OpI64x2Neg:
		sub := simdNegSub[op]
		g.vload(asm.X1, in.B)
		a.SSE(asm.Pxor, asm.X0, asm.X0)
		a.SSE(sub, asm.X0, asm.X1)
		g.vstore(in.A, asm.X0)
		return true
	case wasm.OpI64x2Abs:
		// (x ^ s) - s with s the sign of x spread over its lane.
		g.vload(asm.X0, in.B)
		a.SSEImm(asm.Pshufd, asm.X1, asm.X0, 0xF5)
		a.SSEShiftImm(asm.PsradImm, asm.X1, 31)
		a.SSE(asm.Pxor, asm.X0, asm.X1)
		a.SSE(asm.Psubq, asm.X0, asm.X1)
		g.vstore(in.A, asm.X0)
		return true
	case wasm.OpI8x16Popcnt:
		// Look up each nibble's count in a 16-byte table.
		g.vload(asm.X0, in.B)
		g.vconst(asm.X1, 0x0302020102010100, 0x0403030203020201)
		g.vsplat8(asm.X2, 0x0F)
		a.SSE(asm.Movaps, asm.X3, asm.X0)
		a.SSEShiftImm(asm.PsrlwImm, asm.X3, 4)
		a.SSE(asm.Pand, asm.X3, asm.X2)
		a.SSE(asm.Pand, asm.X0, asm.X2)
		a.SSE(asm.Movaps, asm.X4, asm.X1)
		a.SSE(asm.Pshufb, asm.X4, asm.X0)
		a.SSE(asm.Pshufb, asm.X1, asm.X3)
		a.SSE(asm.Paddb, asm.X1, asm.X4)
		g.vstore(in.A, asm.X1)
		return true

	case wasm.OpI64x2Mul:
		// From 32-bit halves: lo*lo + (hi*lo + lo*hi) << 32.
		g.vload(asm.X0, in.B)
		g.vload(asm.X1, in.C)
		a.SSE(asm.Movaps, asm.X2, asm.X0)
		a.SSEShiftImm(asm.PsrlqImm, asm.X2, 32)
		a.SSE(asm.Pmuludq, asm.X2, asm.X1)
		a.SSE(asm.Movaps, asm.X3, asm.X1)
		a.SSEShiftImm(asm.PsrlqImm, asm.X3, 32)
		a.SSE(asm.Pmuludq, asm.X3, asm.X0)
		a.SSE(asm.Paddq, asm.X2, asm.X3)
		a.SSEShiftImm(asm.PsllqImm, asm.X2, 32)
		a.SSE(asm.Pmuludq, asm.X0, asm.X1)
		a.SSE(asm.Paddq, asm.X0, asm.X2)
		g.vstore(in.A, asm.X0)
		return true
	case wasm.OpI64x2LtS, wasm.OpI64x2GtS, wasm.OpI64x2LeS, wasm.OpI64x2GeS:
		// lt and ge compare the other way round; le and ge complement.
		x, y := in.B, in.C
		if op == wasm.OpI64x2LtS || op == wasm.OpI64x2GeS {
			x, y = y, x
		}
		g.vload(asm.X0, x)
		g.vload(asm.X1, y)
		g.simdGt64()
		if op == wasm.OpI64x2LeS || op == wasm.OpI64x2GeS {
			g.vnot(asm.X0, asm.X1)
		}
		g.vstore(in.A, asm.X0)
		return true

	case wasm.OpI16x8Q15mulrSatS:
		// pmulhrsw computes (x*y + 0x4000) >> 15 but for -0x8000 *
		// -0x8000, where it gives 0x8000 instead of 0x7fff; no other
		// product gives 0x8000.
		g.vload(asm.X0, in.B)
		g.vload(asm.X1, in.C)
		a.SSE(asm.Pmulhrsw, asm.X0, asm.X1)
		g.vsplat16(asm.X1, 0x8000)
		a.SSE(asm.Pcmpeqw, asm.X1, asm.X0)
		a.SSE(asm.Pxor, asm.X0, asm.X1)
		g.vstore(in.A, asm.X0)
		return true

	case wasm.OpI16x8ExtmulLowI8x16S, wasm.OpI16x8ExtmulHighI8x16S, wasm.OpI16x8ExtmulLowI8x16U, wasm.OpI16x8ExtmulHighI8x16U:
		ext := asm.Pmovsxbw
		if op == wasm.OpI16x8ExtmulLowI8x16U || op == wasm.OpI16x8ExtmulHighI8x16U {
			ext = asm.Pmovzxbw
		}
		high := op == wasm.OpI16x8ExtmulHighI8x16S || op == wasm.OpI16x8ExtmulHighI8x16U
		g.vload(asm.X0, in.B)
		g.vload(asm.X1, in.C)
		if high {
			a.SSEImm(asm.Pshufd, asm.X0, asm.X0, 0xEE)
			a.SSEImm(asm.Pshufd, asm.X1, asm.X1, 0xEE)
		}
		a.SSE(ext, asm.X0, asm.X0)
		a.SSE(ext, asm.X1, asm.X1)
		a.SSE(asm.Pmullw, asm.X0, asm.X1)
		g.vstore(in.A, asm.X0)
		return true
	case wasm.OpI32x4ExtmulLowI16x8S, wasm.OpI32x4ExtmulHighI16x8S, wasm.OpI32x4ExtmulLowI16x8U, wasm.OpI32x4ExtmulHighI16x8U:
		// The low and high halves of the 32-bit products, interleaved.
		mulh := asm.Pmulhw
		if op == wasm.OpI32x4ExtmulLowI16x8U || op == wasm.OpI32x4ExtmulHighI16x8U {
			mulh = asm.Pmulhuw
		}
		unpack := asm.Punpcklwd
		if op == wasm.OpI32x4ExtmulHighI16x8S || op == wasm.OpI32x4ExtmulHighI16x8U {
			unpack = asm.Punpckhwd
		}
		g.vload(asm.X0, in.B)
		g.vload(asm.X1, in.C)
		a.SSE(asm.Movaps, asm.X2, asm.X0)
		a.SSE(asm.Pmullw, asm.X2, asm.X1)
		a.SSE(mulh, asm.X0, asm.X1)
		a.SSE(unpack, asm.X2, asm.X0)
		g.vstore(in.A, asm.X2)
		return true
	case wasm.OpI64x2ExtmulLowI32x4S, wasm.OpI64x2ExtmulHighI32x4S, wasm.OpI64x2ExtmulLowI32x4U, wasm.OpI64x2ExtmulHighI32x4U:
		// pmuldq and pmuludq multiply lanes 0 and 2: move the inputs'
		// lanes there first.
		mul := asm.Pmuldq
		if op == wasm.OpI64x2ExtmulLowI32x4U || op == wasm.OpI64x2ExtmulHighI32x4U {
			mul = asm.Pmuludq
		}
		sel := uint8(0x50) // lanes 0, 0, 1, 1
		if op == wasm.OpI64x2ExtmulHighI32x4S || op == wasm.OpI64x2ExtmulHighI32x4U {
			sel = 0xFA // lanes 2, 2, 3, 3
		}
		g.vload(asm.X0, in.B)
		g.vload(asm.X1, in.C)
		a.SSEImm(asm.Pshufd, asm.X0, asm.X0, sel)
		a.SSEImm(asm.Pshufd, asm.X1, asm.X1, sel)
		a.SSE(mul, asm.X0, asm.X1)
		g.vstore(in.A, asm.X0)
		return true

	case wasm.OpI16x8ExtaddPairwiseI8x16S, wasm.OpI16x8ExtaddPairwiseI8x16U:
		// pmaddubsw multiplies unsigned bytes of its first operand with
		// signed bytes of its second and adds pairs: by ones, the sums
		// are far from saturating.
		g.vload(asm.X0, in.B)
		g.vsplat8(asm.X1, 1)
		if op == wasm.OpI16x8ExtaddPairwiseI8x16S {
			a.SSE(asm.Pmaddubsw, asm.X1, asm.X0)
			g.vstore(in.A, asm.X1)
		} else {
			a.SSE(asm.Pmaddubsw, asm.X0, asm.X1)
			g.vstore(in.A, asm.X0)
		}
		return true
	case wasm.OpI32x4ExtaddPairwiseI16x8S:
		g.vload(asm.X0, in.B)
		g.vsplat16(asm.X1, 1)
		a.SSE(asm.Pmaddwd, asm.X0, asm.X1)
		g.vstore(in.A, asm.X0)
		return true
	case wasm.OpI32x4ExtaddPairwiseI16x8U:
		// Biased to signed by flipping the sign bits: each sum comes out
		// 0x10000 low.
		g.vload(asm.X0, in.B)
		g.vsplat16(asm.X1, 0x8000)
		a.SSE(asm.Pxor, asm.X0, asm.X1)
		g.vsplat16(asm.X1, 1)
		a.SSE(asm.Pmaddwd, asm.X0, asm.X1)
		g.vsplat32(asm.X1, 0x10000)
		a.SSE(asm.Paddd, asm.X0, asm.X1)
		g.vstore(in.A, asm.X0)
		return true

	case wasm.OpF32x4Abs, wasm.OpF64x2Abs, wasm.OpF32x4Neg, wasm.OpF64x2Neg:
		g.vload(asm.X0, in.B)
		a.SSE(asm.Pcmpeqd, asm.X1, asm.X1)
		switch op {
		case wasm.OpF32x4Abs:
			a.SSEShiftImm(asm.PsrldImm, asm.X1, 1)
			a.SSE(asm.Pand, asm.X0, asm.X1)
		case wasm.OpF64x2Abs:
			a.SSEShiftImm(asm.PsrlqImm, asm.X1, 1)
			a.SSE(asm.Pand, asm.X0, asm.X1)
		case wasm.OpF32x4Neg:
			a.SSEShiftImm(asm.PslldImm, asm.X1, 31)
			a.SSE(asm.Pxor, asm.X0, asm.X1)
		default:
			a.SSEShiftImm(asm.PsllqImm, asm.X1, 63)
			a.SSE(asm.Pxor, asm.X0, asm.X1)
		}
		g.vstore(in.A, asm.X0)
		return true
	case wasm.OpF32x4Min, wasm.OpF32x4Max, wasm.OpF64x2Min, wasm.OpF64x2Max:
		g.simdMinMax(op, in)
		return true

	case wasm.OpF32x4ConvertI32x4U:
		// The low 16 bits and the rest convert exactly (the rest halved
		// to stay positive, then doubled); their sum rounds once.
		g.vload(asm.X0, in.B)
		a.SSE(asm.Pxor, asm.X1, asm.X1)
		a.SSEImm(asm.Pblendw, asm.X1, asm.X0, 0x55)
		a.SSE(asm.Psubd, asm.X0, asm.X1)
		a.SSE(asm.Cvtdq2ps, asm.X1, asm.X1)
		a.SSEShiftImm(asm.PsrldImm, asm.X0, 1)
		a.SSE(asm.Cvtdq2ps, asm.X0, asm.X0)
		a.SSE(asm.Addps, asm.X0, asm.X0)
		a.SSE(asm.Addps, asm.X0, asm.X1)
		g.vstore(in.A, asm.X0)
		return true
	case wasm.OpF64x2ConvertLowI32x4U:
		// 2^52 + x has x in its low mantissa bits: build it by
		// interleaving with 2^52's high half, then subtract 2^52.
		g.vload(asm.X0, in.B)
		g.vsplat32(asm.X1, 0x43300000)
		a.SSE(asm.Unpcklps, asm.X0, asm.X1)
		g.vsplat64(asm.X1, 0x4330000000000000)
		a.SSE(asm.Subpd, asm.X0, asm.X1)
		g.vstore(in.A, asm.X0)
		return true
	case wasm.OpI32x4TruncSatF32x4S:
		// cvttps2dq gives 0x80000000 for NaN and out of range: zero the
		// NaNs first, and turn the results of positive overflow (input
		// sign clear, result sign set) into 0x7fffffff.
		g.vload(asm.X0, in.B)
		a.SSE(asm.Movaps, asm.X1, asm.X0)
		a.SSEImm(asm.Cmpps, asm.X1, asm.X1, 0)
		a.SSE(asm.Pand, asm.X0, asm.X1)
		a.SSE(asm.Pxor, asm.X1, asm.X0)
		a.SSE(asm.Cvttps2dq, asm.X0, asm.X0)
		a.SSE(asm.Pand, asm.X1, asm.X0)
		a.SSEShiftImm(asm.PsradImm, asm.X1, 31)
		a.SSE(asm.Pxor, asm.X0, asm.X1)
		g.vstore(in.A, asm.X0)
		return true
	case wasm.OpI32x4TruncSatF32x4U:
		// NaN and negatives to 0 by maxps; then x converts directly
		// below 2^31, and as 2^31 + (x - 2^31) up to 2^32, saturating
		// above.
		g.vload(asm.X0, in.B)
		a.SSE(asm.Pxor, asm.X1, asm.X1)
		a.SSE(asm.Maxps, asm.X0, asm.X1)
		a.SSE(asm.Pcmpeqd, asm.X1, asm.X1)
		a.SSEShiftImm(asm.PsrldImm, asm.X1, 1)
		a.SSE(asm.Cvtdq2ps, asm.X1, asm.X1) // 2^31
		a.SSE(asm.Movaps, asm.X2, asm.X0)
		a.SSE(asm.Subps, asm.X2, asm.X1)
		a.SSEImm(asm.Cmpps, asm.X1, asm.X2, 2) // 2^31 <= x - 2^31: overflow
		a.SSE(asm.Cvttps2dq, asm.X2, asm.X2)
		a.SSE(asm.Pxor, asm.X2, asm.X1)
		a.SSE(asm.Pxor, asm.X1, asm.X1)
		a.SSE(asm.Pmaxsd, asm.X2, asm.X1)
		a.SSE(asm.Cvttps2dq, asm.X0, asm.X0)
		a.SSE(asm.Paddd, asm.X0, asm.X2)
		g.vstore(in.A, asm.X0)
		return true
	case wasm.OpI32x4TruncSatF64x2SZero:
		// Clamp above at 2147483647.0, NaN to 0.0 (minpd takes its
		// second operand for NaN); cvttpd2dq gives 0x80000000 below and
		// zeroes the upper lanes.
		g.vload(asm.X0, in.B)
		a.SSE(asm.Movaps, asm.X1, asm.X0)
		a.SSEImm(asm.Cmppd, asm.X1, asm.X1, 0)
		g.vsplat64(asm.X2, 0x41DFFFFFFFC00000)
		a.SSE(asm.Andpd, asm.X1, asm.X2)
		a.SSE(asm.Minpd, asm.X0, asm.X1)
		a.SSE(asm.Cvttpd2dq, asm.X0, asm.X0)
		g.vstore(in.A, asm.X0)
		return true
	case wasm.OpI32x4TruncSatF64x2UZero:
		// Clamp to [0, 4294967295.0] (maxpd takes 0 for NaN), truncate,
		// and add 2^52 to bring the integer into the low mantissa bits.
		g.vload(asm.X0, in.B)
		a.SSE(asm.Pxor, asm.X1, asm.X1)
		a.SSE(asm.Maxpd, asm.X0, asm.X1)
		g.vsplat64(asm.X2, 0x41EFFFFFFFE00000)
		a.SSE(asm.Minpd, asm.X0, asm.X2)
		a.SSEImm(asm.Roundpd, asm.X0, asm.X0, 8|3)
		g.vsplat64(asm.X2, 0x4330000000000000)
		a.SSE(asm.Addpd, asm.X0, asm.X2)
		a.SSEImm(asm.Shufps, asm.X0, asm.X1, 0x88)
		g.vstore(in.A, asm.X0)
		return true
	}
	return false
}

// simdLaneMem is the operand of lane i (of size bytes) of the v128 in slot s.
func simdLaneMem(s uint32, i uint64, size int32) asm.Mem {
	return asm.M(rFP, int32(s)*8+int32(i)*size)
}

// simdReplaceLane is a = b with lane imm&mask replaced by the low w bytes
// of slot c.
func (g *gen) simdReplaceLane(in *ir.Instr, w asm.Width, mask uint64) {
	r, cached := g.operand(in.C)
	g.vload(asm.X0, in.B)
	if cached {
		g.a.Pinsr(w, asm.X0, r, uint8(in.Imm&mask))
	} else {
		g.a.PinsrLoad(w, asm.X0, slot(in.C), uint8(in.Imm&mask))
	}
	g.vstore(in.A, asm.X0)
}

// simdShiftCount puts the shift count in slot s, masked, into x.
func (g *gen) simdShiftCount(x asm.XReg, s uint32, mask int32) {
	g.ld(asm.W32, asm.RCX, s)
	g.a.AluImm(asm.AluAnd, asm.W32, asm.RCX, mask)
	g.a.MovqToX(asm.W32, x, asm.RCX)
}

// simdShift8 translates the byte shifts, which SSE does not have: shift
// words and clear the bits that crossed from the neighbouring byte, or,
// for shr_s, shift words holding each byte in their upper half and pack
// them back.
func (g *gen) simdShift8(op wasm.Opcode, in *ir.Instr) {
	a := &g.a
	g.ld(asm.W32, asm.RCX, in.C)
	g.vload(asm.X0, in.B)
	a.AluImm(asm.AluAnd, asm.W32, asm.RCX, 7)
	if op == wasm.OpI8x16ShrS {
		a.AluImm(asm.AluAdd, asm.W32, asm.RCX, 8)
		a.MovqToX(asm.W32, asm.X1, asm.RCX)
		a.SSE(asm.Movaps, asm.X2, asm.X0)
		a.SSE(asm.Punpcklbw, asm.X0, asm.X0)
		a.SSE(asm.Punpckhbw, asm.X2, asm.X2)
		a.SSE(asm.Psraw, asm.X0, asm.X1)
		a.SSE(asm.Psraw, asm.X2, asm.X1)
		a.SSE(asm.Packsswb, asm.X0, asm.X2)
		g.vstore(in.A, asm.X0)
		return
	}
	// The mask of the bits that stay in each byte, 0xff shifted alike.
	a.MovImm(asm.W32, asm.RAX, 0xff)
	shift, sse := asm.ShShl, asm.Psllw
	if op == wasm.OpI8x16ShrU {
		shift, sse = asm.ShShr, asm.Psrlw
	}
	a.Shift(shift, asm.W32, asm.RAX)
	a.MovqToX(asm.W32, asm.X1, asm.RCX)
	a.SSE(sse, asm.X0, asm.X1)
	a.MovqToX(asm.W32, asm.X2, asm.RAX)
	a.SSE(asm.Pxor, asm.X3, asm.X3)
	a.SSE(asm.Pshufb, asm.X2, asm.X3)
	a.SSE(asm.Pand, asm.X0, asm.X2)
	g.vstore(in.A, asm.X0)
}

// simdGt64 sets X0 to X0 > X1 in each signed 64-bit lane, using X2 and X3.
// Without pcmpgtq: the upper halves decide unless they are equal, and
// then the lower ones do, as the sign of X1 - X0 (the difference of
// equal upper halves fits 33 bits).
func (g *gen) simdGt64() {
	a := &g.a
	if simdPcmpgtq {
		a.SSE(asm.Pcmpgtq, asm.X0, asm.X1)
		return
	}
	a.SSE(asm.Movaps, asm.X2, asm.X1)
	a.SSE(asm.Psubq, asm.X2, asm.X0)
	a.SSE(asm.Movaps, asm.X3, asm.X0)
	a.SSE(asm.Pcmpeqd, asm.X3, asm.X1)
	a.SSE(asm.Pand, asm.X2, asm.X3)
	a.SSE(asm.Pcmpgtd, asm.X0, asm.X1)
	a.SSE(asm.Por, asm.X0, asm.X2)
	a.SSEShiftImm(asm.PsradImm, asm.X0, 31)
	a.SSEImm(asm.Pshufd, asm.X0, asm.X0, 0xF5)
}

// simdMinMax translates f32x4 and f64x2 min and max. minps and maxps give
// their second operand when either is NaN or both are zeros; WebAssembly
// wants NaN for NaN and -0 < +0. Taking the operation both ways round
// and or-ing (min) or and-ing (max) the results orders the zeros; lanes
// with a NaN get the first NaN operand, quieted, as the interpreter
// does.
func (g *gen) simdMinMax(op wasm.Opcode, in *ir.Instr) {
	a := &g.a
	double := op == wasm.OpF64x2Min || op == wasm.OpF64x2Max
	isMax := op == wasm.OpF32x4Max || op == wasm.OpF64x2Max
	mm, cmp, and, andn, or := asm.Minps, asm.Cmpps, asm.Andps, asm.Andnps, asm.Orps
	if double {
		mm, cmp, and, andn, or = asm.Minpd, asm.Cmppd, asm.Andpd, asm.Andnpd, asm.Orpd
		if isMax {
			mm = asm.Maxpd
		}
	} else if isMax {
		mm = asm.Maxps
	}
	g.vload(asm.X0, in.B)
	g.vload(asm.X1, in.C)
	a.SSE(asm.Movaps, asm.X2, asm.X0)
	a.SSE(mm, asm.X2, asm.X1)
	a.SSE(asm.Movaps, asm.X3, asm.X1)
	a.SSE(mm, asm.X3, asm.X0)
	if isMax {
		a.SSE(and, asm.X2, asm.X3)
	} else {
		a.SSE(or, asm.X2, asm.X3)
	}
	// X3 = the NaN result: the first operand if it is NaN, else the
	// second, quieted.
	a.SSE(asm.Movaps, asm.X3, asm.X0)
	a.SSEImm(cmp, asm.X3, asm.X3, 3) // unordered with itself: NaN
	a.SSE(asm.Movaps, asm.X4, asm.X3)
	a.SSE(and, asm.X4, asm.X0)
	a.SSE(andn, asm.X3, asm.X1)
	a.SSE(or, asm.X3, asm.X4)
	a.SSE(asm.Pcmpeqd, asm.X4, asm.X4) // the quiet bit
	if double {
		a.SSEShiftImm(asm.PsrlqImm, asm.X4, 63)
		a.SSEShiftImm(asm.PsllqImm, asm.X4, 51)
	} else {
		a.SSEShiftImm(asm.PsrldImm, asm.X4, 31)
		a.SSEShiftImm(asm.PslldImm, asm.X4, 22)
	}
	a.SSE(or, asm.X3, asm.X4)
	// Choose it where either operand is NaN.
	a.SSE(asm.Movaps, asm.X4, asm.X0)
	a.SSEImm(cmp, asm.X4, asm.X1, 3)
	a.SSE(and, asm.X3, asm.X4)
	a.SSE(andn, asm.X4, asm.X2)
	a.SSE(or, asm.X3, asm.X4)
	g.vstore(in.A, asm.X3)
}

// simdShuffle translates i8x16.shuffle. Lanes from one operand are a
// pshufd when they move whole 32-bit lanes, a pshufb otherwise; lanes
// from both are one instruction when they interleave (punpck*), take a
// run of the two concatenated (palignr) or 32-bit lanes two from each
// (shufps); else each operand is pshufb-ed with the other's lanes masked
// out (index bytes with bit 7 set give zero) and the two or-ed.
func (g *gen) simdShuffle(in *ir.Instr, lanes [16]byte) {
	a := &g.a
	var l [16]byte
	fromA, fromB := false, false
	for i, x := range lanes {
		x &= 31
		if in.B == in.C {
			x &= 15
		}
		l[i] = x
		if x < 16 {
			fromA = true
		} else {
			fromB = true
		}
	}
	if !fromA || !fromB {
		src := in.B
		if !fromA {
			src = in.C
		}
		var m [16]byte
		for i, x := range l {
			m[i] = x & 15
		}
		g.vload(asm.X0, src)
		if q, ok := simdDwords(m); ok {
			if imm := q[0] | q[1]<<2 | q[2]<<4 | q[3]<<6; imm != 0xE4 {
				a.SSEImm(asm.Pshufd, asm.X0, asm.X0, imm)
			}
		} else {
			g.vconst(asm.X2, simdLE64(m[:8]), simdLE64(m[8:]))
			a.SSE(asm.Pshufb, asm.X0, asm.X2)
		}
		g.vstore(in.A, asm.X0)
		return
	}
	// The patterns below are tried with the operands either way round:
	// swapped, a lane index names the other operand.
	for _, swap := range []bool{false, true} {
		m := l
		x, y := in.B, in.C
		if swap {
			for i := range m {
				m[i] ^= 16
			}
			x, y = y, x
		}
		for _, u := range simdUnpacks {
			if m == u.lanes {
				g.vload(asm.X0, x)
				g.vload(asm.X1, y)
				a.SSE(u.op, asm.X0, asm.X1)
				g.vstore(in.A, asm.X0)
				return
			}
		}
		// palignr y, x, k gives bytes k..15 of x, then 0..k-1 of y.
		if k := m[0]; k > 0 && k < 16 {
			run := true
			for i := range m {
				run = run && m[i] == k+byte(i)
			}
			if run {
				g.vload(asm.X0, y)
				g.vload(asm.X1, x)
				a.SSEImm(asm.Palignr, asm.X0, asm.X1, k)
				g.vstore(in.A, asm.X0)
				return
			}
		}
		// shufps x, y, imm: lanes 0 and 1 from x, 2 and 3 from y.
		if q, ok := simdDwords(m); ok && q[0] < 4 && q[1] < 4 && q[2] >= 4 && q[3] >= 4 {
			g.vload(asm.X0, x)
			g.vload(asm.X1, y)
			a.SSEImm(asm.Shufps, asm.X0, asm.X1, q[0]|q[1]<<2|(q[2]-4)<<4|(q[3]-4)<<6)
			g.vstore(in.A, asm.X0)
			return
		}
	}
	var ma, mb [16]byte
	for i, x := range l {
		if x < 16 {
			ma[i], mb[i] = x, 0x80
		} else {
			ma[i], mb[i] = 0x80, x-16
		}
	}
	g.vload(asm.X0, in.B)
	g.vconst(asm.X2, simdLE64(ma[:8]), simdLE64(ma[8:]))
	a.SSE(asm.Pshufb, asm.X0, asm.X2)
	g.vload(asm.X1, in.C)
	g.vconst(asm.X2, simdLE64(mb[:8]), simdLE64(mb[8:]))
	a.SSE(asm.Pshufb, asm.X1, asm.X2)
	a.SSE(asm.Por, asm.X0, asm.X1)
	g.vstore(in.A, asm.X0)
}

// simdDwords reports whether a shuffle moves whole 32-bit lanes, and
// which (0-7) each result lane takes.
func simdDwords(m [16]byte) (q [4]uint8, ok bool) {
	for i := range q {
		d := m[4*i]
		if d%4 != 0 {
			return q, false
		}
		for k := byte(1); k < 4; k++ {
			if m[4*i+int(k)] != d+k {
				return q, false
			}
		}
		q[i] = d / 4
	}
	return q, true
}

// simdUnpack is an interleaving of the lanes of two operands that a
// punpck* instruction computes.
type simdUnpack struct {
	lanes [16]byte
	op    asm.SSEOp
}

var simdUnpacks = func() []simdUnpack {
	var out []simdUnpack
	for _, u := range []struct {
		size   int
		lo, hi asm.SSEOp
	}{{1, asm.Punpcklbw, asm.Punpckhbw}, {2, asm.Punpcklwd, asm.Punpckhwd},
		{4, asm.Punpckldq, asm.Punpckhdq}, {8, asm.Punpcklqdq, asm.Punpckhqdq}} {
		for _, high := range []bool{false, true} {
			n := 16 / u.size
			base, op := 0, u.lo
			if high {
				base, op = n/2, u.hi
			}
			var l [16]byte
			for j := range n {
				src := 0
				if j%2 == 1 {
					src = 16
				}
				for k := range u.size {
					l[j*u.size+k] = byte(src + (base+j/2)*u.size + k)
				}
			}
			out = append(out, simdUnpack{l, op})
		}
	}
	return out
}()

func simdLE64(b []byte) uint64 {
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}
