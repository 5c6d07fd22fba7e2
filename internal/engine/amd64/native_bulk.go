package amd64

import (
	"github.com/wasmvisor/wasmvisor/api"
	asm "github.com/wasmvisor/wasmvisor/internal/asm/amd64"
	"github.com/wasmvisor/wasmvisor/internal/engine/ir"
)

// Code made where the in-process target may use AVX must not be run
// where it may not: the key of stored code names the feature.
func init() {
	codeFeatures = append(codeFeatures, struct {
		name string
		has  bool
	}{"avx", InProcess.AVX})
}

// nativeBulk translates memory.copy and memory.fill, which compilers
// emit for every memcpy and memset: handing them to Go would cost an
// exit each.
func (g *gen) nativeBulk(in *ir.Instr) bool {
	switch in.Op {
	case ir.OpMemoryCopy:
		g.memoryCopy(in)
	case ir.OpMemoryFill:
		g.memoryFill(in)
	default:
		return false
	}
	return true
}

// checkRange traps unless [start, start+n) is inside the memory; start
// and n are zero-extended 32-bit values, so the sum cannot overflow.
func (g *gen) checkRange(start, n, scratch asm.Reg) {
	a := &g.a
	a.Lea(asm.W64, scratch, asm.MI(start, n, 1, 0))
	a.Alu(asm.AluCmp, asm.W64, scratch, rMemLen)
	g.trapIf(asm.CondA, api.TrapOutOfBoundsMemory)
}

// memoryCopy: d = slot a, s = slot b, n = slot c. The copy itself is
// the module's copy routine (emitCopyRoutine), called with the checked
// addresses: one routine keeps every memory.copy site small.
func (g *gen) memoryCopy(in *ir.Instr) {
	a := &g.a
	a.Load(asm.W32, asm.RAX, slot(in.A))
	a.Load(asm.W32, asm.RDX, slot(in.B))
	a.Load(asm.W32, asm.RCX, slot(in.C))
	g.checkRange(asm.RAX, asm.RCX, asm.RDI)
	g.checkRange(asm.RDX, asm.RCX, asm.RSI)
	a.Lea(asm.W64, asm.RDI, asm.MI(rMem, asm.RAX, 1, 0))
	a.Lea(asm.W64, asm.RSI, asm.MI(rMem, asm.RDX, 1, 0))
	a.Call(g.copyRoutine)
}

// emitCopyRoutine emits the routine memory.copy calls: RCX bytes from
// RSI to RDI, as if through a buffer, changing RAX, RDX, RCX, RSI, RDI,
// R8, R9 and X0-X8 (memory.copy keeps no slot in a register across). The SSE paths load the bytes a step stores before storing them,
// and stores nothing a later step still has to load, so overlap in
// either direction is safe.
//
// Up to 64 bytes, loads of the same width cover the range from both
// ends, overlapping in the middle: no loop, no branch on alignment. A
// longer copy moves 64-byte chunks away from the end it loaded first
// (the last 64 bytes forward, the first 64 backward, whichever keeps
// the chunks ahead of the stores), then stores that end and the 16
// bytes of the other end that precede the destination's first 16-byte
// boundary in the direction of the copy: the chunks' stores are
// aligned, so none splits a cache line (a quarter of unaligned 16-byte
// stores do, and each then costs two). A forward copy of 512 bytes or
// more between disjoint ranges is rep movsb's, which with fast strings
// moves wider than SSE once its tens of cycles of start-up are paid;
// when the ranges overlap it goes in short steps, and backward a byte
// at a time, and overlapping moves (memmove within a buffer) are what
// memmove is for.
func (g *gen) emitCopyRoutine() {
	a := &g.a
	g.copyRoutine = a.NewLabel()
	a.AlignTo(16)
	a.Bind(g.copyRoutine)
	over16, over64, lt8, lt4, lt2, done := a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel()
	a.AluImm(asm.AluCmp, asm.W64, asm.RCX, 16)
	a.Jcc(asm.CondA, over16)
	// 0 to 16 bytes: two accesses of 8, 4, 2 bytes, or one byte.
	for _, w := range []struct {
		lt   *asm.Label
		size int32
	}{{lt8, 8}, {lt4, 4}, {lt2, 2}} {
		wd := widthOfSize(uint8(w.size))
		a.AluImm(asm.AluCmp, asm.W64, asm.RCX, w.size)
		a.Jcc(asm.CondB, w.lt)
		a.Load(wd, asm.RAX, asm.M(asm.RSI, 0))
		a.Load(wd, asm.RDX, asm.MI(asm.RSI, asm.RCX, 1, -w.size))
		a.Store(wd, asm.M(asm.RDI, 0), asm.RAX)
		a.Store(wd, asm.MI(asm.RDI, asm.RCX, 1, -w.size), asm.RDX)
		a.Ret()
		a.Bind(w.lt)
	}
	a.Test(asm.W64, asm.RCX, asm.RCX)
	a.Jcc(asm.CondE, done)
	a.Load(asm.W8, asm.RAX, asm.M(asm.RSI, 0))
	a.Store(asm.W8, asm.M(asm.RDI, 0), asm.RAX)
	a.Bind(done)
	a.Ret()
	// 17 to 64 bytes: two or four 16-byte accesses.
	a.Bind(over16)
	a.AluImm(asm.AluCmp, asm.W64, asm.RCX, 64)
	a.Jcc(asm.CondA, over64)
	over32 := a.NewLabel()
	a.AluImm(asm.AluCmp, asm.W64, asm.RCX, 32)
	a.Jcc(asm.CondA, over32)
	a.SSELoad(asm.Movdqu, asm.X0, asm.M(asm.RSI, 0))
	a.SSELoad(asm.Movdqu, asm.X1, asm.MI(asm.RSI, asm.RCX, 1, -16))
	a.SSEStore(asm.MovdquStore, asm.M(asm.RDI, 0), asm.X0)
	a.SSEStore(asm.MovdquStore, asm.MI(asm.RDI, asm.RCX, 1, -16), asm.X1)
	a.Ret()
	a.Bind(over32)
	a.Lea(asm.W64, asm.RDX, asm.MI(asm.RSI, asm.RCX, 1, -32))
	a.Lea(asm.W64, asm.RAX, asm.MI(asm.RDI, asm.RCX, 1, -32))
	copyEnd(a, asm.RSI, asm.RDX, copyLoad)
	copyEnd(a, asm.RDI, asm.RAX, copyStore)
	a.Ret()
	// Longer: forward unless the destination starts inside the source
	// above its start (d - s < n, unsigned).
	a.Bind(over64)
	if g.t.AVX {
		g.emitCopyLongAVX()
		return
	}
	backward := a.NewLabel()
	a.MovRR(asm.W64, asm.RAX, asm.RDI)
	a.Alu(asm.AluSub, asm.W64, asm.RAX, asm.RSI)
	a.Alu(asm.AluCmp, asm.W64, asm.RAX, asm.RCX)
	a.Jcc(asm.CondB, backward)
	// Forward: d is below s, by k = s - d, or above s + n (k then
	// wraps above n). Pieces of min(k, n) bytes are disjoint, in order.
	chunks := a.NewLabel()
	a.MovRR(asm.W64, asm.RAX, asm.RSI)
	a.Alu(asm.AluSub, asm.W64, asm.RAX, asm.RDI)
	g.repPieces(chunks, false)
	// Else chunks from the first 16-byte boundary of the destination
	// (at r = -d & 15) while below n-64, so that no store splits a
	// cache line; the first 16 bytes and the last 64, loaded first,
	// are stored after them.
	a.Bind(chunks)
	a.Lea(asm.W64, asm.RDX, asm.MI(asm.RSI, asm.RCX, 1, -64))
	copySaved(a, asm.RDX, copyLoad)
	copyXMM(a, asm.X8, asm.M(asm.RSI, 0), copyLoad)
	a.Lea(asm.W64, asm.RDX, asm.MI(asm.RDI, asm.RCX, 1, -64))
	a.AluImm(asm.AluSub, asm.W64, asm.RCX, 64)
	a.MovRR(asm.W32, asm.RAX, asm.RDI)
	a.Neg(asm.W32, asm.RAX)
	a.AluImm(asm.AluAnd, asm.W32, asm.RAX, 15)
	fwd, fwdDone := a.NewLabel(), a.NewLabel()
	a.Alu(asm.AluCmp, asm.W64, asm.RAX, asm.RCX)
	a.Jcc(asm.CondAE, fwdDone)
	a.AlignTo(16)
	a.Bind(fwd)
	copyChunk(a)
	a.AluImm(asm.AluAdd, asm.W64, asm.RAX, 64)
	a.Alu(asm.AluCmp, asm.W64, asm.RAX, asm.RCX)
	a.Jcc(asm.CondB, fwd)
	a.Bind(fwdDone)
	copyXMM(a, asm.X8, asm.M(asm.RDI, 0), copyStore)
	copySaved(a, asm.RDX, copyStore)
	a.Ret()
	// Backward: chunks down from the last 16-byte boundary of the
	// destination's end (n - e, e = (d+n) & 15) while above 64; the
	// first 64 bytes and the last 16, loaded first, are stored after
	// them.
	a.Bind(backward)
	bchunks := a.NewLabel()
	g.repPieces(bchunks, true)
	a.Bind(bchunks)
	copySaved(a, asm.RSI, copyLoad)
	copyXMM(a, asm.X8, asm.MI(asm.RSI, asm.RCX, 1, -16), copyLoad)
	a.Lea(asm.W64, asm.RDX, asm.MI(asm.RDI, asm.RCX, 1, 0))
	a.MovRR(asm.W64, asm.RAX, asm.RDX)
	a.AluImm(asm.AluAnd, asm.W64, asm.RAX, -16)
	a.Alu(asm.AluSub, asm.W64, asm.RAX, asm.RDI)
	bwd, bwdDone := a.NewLabel(), a.NewLabel()
	a.AluImm(asm.AluCmp, asm.W64, asm.RAX, 64)
	a.Jcc(asm.CondBE, bwdDone)
	a.AlignTo(16)
	a.Bind(bwd)
	a.AluImm(asm.AluSub, asm.W64, asm.RAX, 64)
	copyChunk(a)
	a.AluImm(asm.AluCmp, asm.W64, asm.RAX, 64)
	a.Jcc(asm.CondA, bwd)
	a.Bind(bwdDone)
	copySaved(a, asm.RDI, copyStore)
	copyXMM(a, asm.X8, asm.M(asm.RDX, -16), copyStore)
	a.Ret()
}

// emitCopyLongAVX emits the copy routine's part for more than 64 bytes
// with 32-byte AVX moves, as the SSE part does with 16-byte ones: up to
// 128 bytes two moves from each end; longer, 128-byte chunks between
// a saved 128-byte end and a saved 32 bytes of the other, the chunks'
// stores aligned to 32 bytes. The widest stores a core has are what
// bounds a copy that its first-level cache holds, and Go's memmove, which
// the other engines call, uses these. No rep movsb: measured, these
// loops beat it at every length and distance of shootout-memmove's
// copies (up to 10 KB), as Go's memmove finds below 1 MB on cores with
// AVX. vzeroupper before each return
// leaves the upper halves clean for SSE code (Go's and the SIMD
// templates').
func (g *gen) emitCopyLongAVX() {
	a := &g.a
	over128, backward := a.NewLabel(), a.NewLabel()
	a.AluImm(asm.AluCmp, asm.W64, asm.RCX, 128)
	a.Jcc(asm.CondA, over128)
	a.Lea(asm.W64, asm.RDX, asm.MI(asm.RSI, asm.RCX, 1, -64))
	a.Lea(asm.W64, asm.RAX, asm.MI(asm.RDI, asm.RCX, 1, -64))
	for i, m := range []asm.Mem{asm.M(asm.RSI, 0), asm.M(asm.RSI, 32), asm.M(asm.RDX, 0), asm.M(asm.RDX, 32)} {
		a.VLoad256(asm.XReg(i), m)
	}
	for i, m := range []asm.Mem{asm.M(asm.RDI, 0), asm.M(asm.RDI, 32), asm.M(asm.RAX, 0), asm.M(asm.RAX, 32)} {
		a.VStore256(m, asm.XReg(i))
	}
	a.Vzeroupper()
	a.Ret()

	a.Bind(over128)
	a.MovRR(asm.W64, asm.RAX, asm.RDI)
	a.Alu(asm.AluSub, asm.W64, asm.RAX, asm.RSI)
	a.Alu(asm.AluCmp, asm.W64, asm.RAX, asm.RCX)
	a.Jcc(asm.CondB, backward)
	// Forward: chunks from the destination's first 32-byte boundary
	// (r = -d & 31) while below n-128; then the first 32 bytes and the
	// last 128, loaded first.
	a.Lea(asm.W64, asm.RDX, asm.MI(asm.RSI, asm.RCX, 1, -128))
	wideSaved(a, asm.RDX, copyLoad)
	a.VLoad256(asm.X8, asm.M(asm.RSI, 0))
	a.Lea(asm.W64, asm.RDX, asm.MI(asm.RDI, asm.RCX, 1, -128))
	a.AluImm(asm.AluSub, asm.W64, asm.RCX, 128)
	a.MovRR(asm.W32, asm.RAX, asm.RDI)
	a.Neg(asm.W32, asm.RAX)
	a.AluImm(asm.AluAnd, asm.W32, asm.RAX, 31)
	fwd, fwdDone := a.NewLabel(), a.NewLabel()
	a.Alu(asm.AluCmp, asm.W64, asm.RAX, asm.RCX)
	a.Jcc(asm.CondAE, fwdDone)
	a.AlignTo(16)
	a.Bind(fwd)
	wideChunk(a)
	a.AluImm(asm.AluAdd, asm.W64, asm.RAX, 128)
	a.Alu(asm.AluCmp, asm.W64, asm.RAX, asm.RCX)
	a.Jcc(asm.CondB, fwd)
	a.Bind(fwdDone)
	a.VStore256(asm.M(asm.RDI, 0), asm.X8)
	wideSaved(a, asm.RDX, copyStore)
	a.Vzeroupper()
	a.Ret()
	// Backward: chunks down from the destination end's last 32-byte
	// boundary (n - e, e = (d+n) & 31) while above 128; then the first
	// 128 bytes and the last 32, loaded first.
	a.Bind(backward)
	wideSaved(a, asm.RSI, copyLoad)
	a.VLoad256(asm.X8, asm.MI(asm.RSI, asm.RCX, 1, -32))
	a.Lea(asm.W64, asm.RDX, asm.MI(asm.RDI, asm.RCX, 1, 0))
	a.MovRR(asm.W64, asm.RAX, asm.RDX)
	a.AluImm(asm.AluAnd, asm.W64, asm.RAX, -32)
	a.Alu(asm.AluSub, asm.W64, asm.RAX, asm.RDI)
	bwd, bwdDone := a.NewLabel(), a.NewLabel()
	a.AluImm(asm.AluCmp, asm.W64, asm.RAX, 128)
	a.Jcc(asm.CondBE, bwdDone)
	a.AlignTo(16)
	a.Bind(bwd)
	a.AluImm(asm.AluSub, asm.W64, asm.RAX, 128)
	wideChunk(a)
	a.AluImm(asm.AluCmp, asm.W64, asm.RAX, 128)
	a.Jcc(asm.CondA, bwd)
	a.Bind(bwdDone)
	wideSaved(a, asm.RDI, copyStore)
	a.VStore256(asm.M(asm.RDX, -32), asm.X8)
	a.Vzeroupper()
	a.Ret()
}

// wideSaved loads or stores Y4-Y7 as the 128 bytes at r.
func wideSaved(a *asm.Asm, r asm.Reg, load bool) {
	for i := range 4 {
		if load {
			a.VLoad256(asm.X4+asm.XReg(i), asm.M(r, int32(32*i)))
		} else {
			a.VStore256(asm.M(r, int32(32*i)), asm.X4+asm.XReg(i))
		}
	}
}

// wideChunk copies the 128 bytes at RSI+RAX to RDI+RAX, all loads first.
func wideChunk(a *asm.Asm) {
	for i := range 4 {
		a.VLoad256(asm.XReg(i), asm.MI(asm.RSI, asm.RAX, 1, int32(32*i)))
	}
	for i := range 4 {
		a.VStore256(asm.MI(asm.RDI, asm.RAX, 1, int32(32*i)), asm.XReg(i))
	}
}

// repMin is the shortest piece rep movsb moves: below about 2 KiB its
// start-up costs more than its wider stores save over SSE (measured on
// Zen-class and recent Intel cores alike; Go's memmove has the same
// cut-over).
const repMin = 2048

// repPieces emits the copy routine's rep movsb path, for RCX bytes from
// RSI to RDI with the ranges k bytes apart (RAX: s - d forward, d - s
// backward), or jumps to sse if n or k is below repMin. Fast strings
// move whole cache lines only between ranges that do not overlap, and
// backward (DF set) a byte at a time, so the copy goes in forward
// pieces of at most k bytes, each disjoint: from the start forward,
// where rep movsb advances RSI and RDI itself; from the end backward,
// each piece's source then being the next one's destination, which it
// has already read. A copy between disjoint ranges is one piece.
func (g *gen) repPieces(sse *asm.Label, backward bool) {
	a := &g.a
	a.AluImm(asm.AluCmp, asm.W64, asm.RCX, repMin)
	a.Jcc(asm.CondB, sse)
	a.AluImm(asm.AluCmp, asm.W64, asm.RAX, repMin)
	a.Jcc(asm.CondB, sse)
	a.MovRR(asm.W64, asm.RDX, asm.RCX) // bytes left
	if backward {
		a.MovRR(asm.W64, asm.R8, asm.RSI)
		a.MovRR(asm.W64, asm.R9, asm.RDI)
	}
	piece := a.NewLabel()
	a.Bind(piece)
	a.MovRR(asm.W64, asm.RCX, asm.RAX)
	a.Alu(asm.AluCmp, asm.W64, asm.RDX, asm.RAX)
	a.Cmov(asm.CondB, asm.W64, asm.RCX, asm.RDX)
	a.Alu(asm.AluSub, asm.W64, asm.RDX, asm.RCX)
	if backward {
		a.Lea(asm.W64, asm.RSI, asm.MI(asm.R8, asm.RDX, 1, 0))
		a.Lea(asm.W64, asm.RDI, asm.MI(asm.R9, asm.RDX, 1, 0))
	}
	a.Raw(0xF3, 0xA4) // rep movsb
	a.Test(asm.W64, asm.RDX, asm.RDX)
	a.Jcc(asm.CondNE, piece)
	a.Ret()
}

const (
	copyLoad  = true
	copyStore = false
)

// copyEnd loads or stores X0-X3 as the 32 bytes at lo and the 32 at hi.
func copyEnd(a *asm.Asm, lo, hi asm.Reg, load bool) {
	for i, m := range []asm.Mem{asm.M(lo, 0), asm.M(lo, 16), asm.M(hi, 0), asm.M(hi, 16)} {
		copyXMM(a, asm.XReg(i), m, load)
	}
}

// copySaved loads or stores X4-X7 as the 64 bytes at r: the end of a
// long copy, loaded before and stored after its chunks.
func copySaved(a *asm.Asm, r asm.Reg, load bool) {
	for i := range 4 {
		copyXMM(a, asm.X4+asm.XReg(i), asm.M(r, int32(16*i)), load)
	}
}

func copyXMM(a *asm.Asm, x asm.XReg, m asm.Mem, load bool) {
	if load {
		a.SSELoad(asm.Movdqu, x, m)
	} else {
		a.SSEStore(asm.MovdquStore, m, x)
	}
}

// copyChunk copies the 64 bytes at RSI+RAX to RDI+RAX, all loads first.
func copyChunk(a *asm.Asm) {
	for i := range 4 {
		copyXMM(a, asm.XReg(i), asm.MI(asm.RSI, asm.RAX, 1, int32(16*i)), copyLoad)
	}
	for i := range 4 {
		copyXMM(a, asm.XReg(i), asm.MI(asm.RDI, asm.RAX, 1, int32(16*i)), copyStore)
	}
}

// memoryFill: d = slot a, byte value = slot b, n = slot c. The fill
// itself is the module's fill routine (emitFillRoutine).
func (g *gen) memoryFill(in *ir.Instr) {
	a := &g.a
	a.Load(asm.W32, asm.RDX, slot(in.A))
	a.Load(asm.W32, asm.RCX, slot(in.C))
	g.checkRange(asm.RDX, asm.RCX, asm.RDI)
	a.Lea(asm.W64, asm.RDI, asm.MI(rMem, asm.RDX, 1, 0))
	a.Load(asm.W8, asm.RAX, slot(in.B))
	a.Call(g.fillRoutine)
}

// fillRepFrom is the length from which the fill routine leaves the work
// to rep stosb, whose start-up of some tens of cycles the stores of
// shorter fills do not pay back.
const fillRepFrom = 2048

// emitFillRoutine emits the routine memory.fill calls: RCX bytes at RDI
// set to the low byte of RAX, changing RAX, RDX, RCX, RDI and X0. Go's
// code clears memory through memory.fill, mostly a few words at a time,
// where rep stosb alone spent more on starting than on storing. Up to
// 32 bytes, two stores of one width cover the range from both ends;
// then 16-byte stores and one more at the end; rep stosb from
// fillRepFrom bytes.
func (g *gen) emitFillRoutine() {
	a := &g.a
	g.fillRoutine = a.NewLabel()
	a.AlignTo(16)
	a.Bind(g.fillRoutine)
	over16, over32, long, done := a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel()
	// The byte in each of RAX's eight.
	a.MovZX(asm.W32, asm.W8, asm.RAX, asm.RAX)
	a.MovImm(asm.W64, asm.RDX, 0x0101010101010101)
	a.IMul(asm.W64, asm.RAX, asm.RDX)
	a.AluImm(asm.AluCmp, asm.W64, asm.RCX, 16)
	a.Jcc(asm.CondA, over16)
	for _, size := range []int32{8, 4, 2} {
		lt := a.NewLabel()
		w := widthOfSize(uint8(size))
		a.AluImm(asm.AluCmp, asm.W64, asm.RCX, size)
		a.Jcc(asm.CondB, lt)
		a.Store(w, asm.M(asm.RDI, 0), asm.RAX)
		a.Store(w, asm.MI(asm.RDI, asm.RCX, 1, -size), asm.RAX)
		a.Ret()
		a.Bind(lt)
	}
	a.Test(asm.W64, asm.RCX, asm.RCX)
	a.Jcc(asm.CondE, done)
	a.Store(asm.W8, asm.M(asm.RDI, 0), asm.RAX)
	a.Bind(done)
	a.Ret()
	a.Bind(over16)
	a.MovqToX(asm.W64, asm.X0, asm.RAX)
	a.SSE(asm.Punpcklqdq, asm.X0, asm.X0)
	a.AluImm(asm.AluCmp, asm.W64, asm.RCX, 32)
	a.Jcc(asm.CondA, over32)
	a.SSEStore(asm.MovdquStore, asm.M(asm.RDI, 0), asm.X0)
	a.SSEStore(asm.MovdquStore, asm.MI(asm.RDI, asm.RCX, 1, -16), asm.X0)
	a.Ret()
	a.Bind(over32)
	a.AluImm(asm.AluCmp, asm.W64, asm.RCX, fillRepFrom)
	a.Jcc(asm.CondAE, long)
	// RDX: where the last 16 bytes start.
	a.Lea(asm.W64, asm.RDX, asm.MI(asm.RDI, asm.RCX, 1, -16))
	loop := a.NewLabel()
	a.Bind(loop)
	a.SSEStore(asm.MovdquStore, asm.M(asm.RDI, 0), asm.X0)
	a.AluImm(asm.AluAdd, asm.W64, asm.RDI, 16)
	a.Alu(asm.AluCmp, asm.W64, asm.RDI, asm.RDX)
	a.Jcc(asm.CondB, loop)
	a.SSEStore(asm.MovdquStore, asm.M(asm.RDX, 0), asm.X0)
	a.Ret()
	a.Bind(long)
	a.Raw(0xF3, 0xAA) // rep stosb
	a.Ret()
}
