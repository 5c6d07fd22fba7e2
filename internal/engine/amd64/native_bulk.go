package amd64

import (
	"github.com/wasmvisor/wasmvisor/api"
	asm "github.com/wasmvisor/wasmvisor/internal/asm/amd64"
	"github.com/wasmvisor/wasmvisor/internal/engine/ir"
)

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
	a.Jcc(asm.CondA, g.trap(api.TrapOutOfBoundsMemory))
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
// RSI to RDI, as if through a buffer, changing RAX, RDX, RCX, RSI and
// X0-X7. The SSE paths load the bytes a step stores before storing them,
// and stores nothing a later step still has to load, so overlap in
// either direction is safe.
//
// Up to 64 bytes, loads of the same width cover the range from both
// ends, overlapping in the middle: no loop, no branch on alignment. A
// longer copy moves 64-byte chunks away from the end it loaded first
// (the last 64 bytes forward, the first 64 backward, whichever keeps
// the chunks ahead of the stores), then stores that end, which may
// overlap the last chunk: SSE stores move 16 bytes each, whichever the
// direction. A forward copy of 512 bytes or more is rep movsb's, which
// with fast strings moves wider than SSE once its tens of cycles of
// start-up are paid; backward it would go a byte at a time, and
// overlapping moves to higher addresses (memmove within a growing
// buffer) need backward.
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
	backward := a.NewLabel()
	a.MovRR(asm.W64, asm.RAX, asm.RDI)
	a.Alu(asm.AluSub, asm.W64, asm.RAX, asm.RSI)
	a.Alu(asm.AluCmp, asm.W64, asm.RAX, asm.RCX)
	a.Jcc(asm.CondB, backward)
	// Forward: rep movsb for long copies; else chunks at 0, 64, ...
	// below n-64, then the last 64 bytes.
	chunks := a.NewLabel()
	a.AluImm(asm.AluCmp, asm.W64, asm.RCX, 512)
	a.Jcc(asm.CondB, chunks)
	a.Raw(0xF3, 0xA4) // rep movsb
	a.Ret()
	a.Bind(chunks)
	a.Lea(asm.W64, asm.RDX, asm.MI(asm.RSI, asm.RCX, 1, -64))
	copySaved(a, asm.RDX, copyLoad)
	a.Lea(asm.W64, asm.RDX, asm.MI(asm.RDI, asm.RCX, 1, -64))
	a.AluImm(asm.AluSub, asm.W64, asm.RCX, 64)
	a.Alu(asm.AluXor, asm.W32, asm.RAX, asm.RAX)
	fwd := a.NewLabel()
	a.Bind(fwd)
	copyChunk(a)
	a.AluImm(asm.AluAdd, asm.W64, asm.RAX, 64)
	a.Alu(asm.AluCmp, asm.W64, asm.RAX, asm.RCX)
	a.Jcc(asm.CondB, fwd)
	copySaved(a, asm.RDX, copyStore)
	a.Ret()
	// Backward: chunks at n-64, n-128, ... above 0, then the first 64
	// bytes.
	a.Bind(backward)
	copySaved(a, asm.RSI, copyLoad)
	a.MovRR(asm.W64, asm.RAX, asm.RCX)
	bwd := a.NewLabel()
	a.Bind(bwd)
	a.AluImm(asm.AluSub, asm.W64, asm.RAX, 64)
	copyChunk(a)
	a.AluImm(asm.AluCmp, asm.W64, asm.RAX, 64)
	a.Jcc(asm.CondA, bwd)
	copySaved(a, asm.RDI, copyStore)
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

// memoryFill: d = slot a, byte value = slot b, n = slot c.
func (g *gen) memoryFill(in *ir.Instr) {
	a := &g.a
	a.Load(asm.W32, asm.RDX, slot(in.A))
	a.Load(asm.W32, asm.RCX, slot(in.C))
	g.checkRange(asm.RDX, asm.RCX, asm.RDI)
	a.Lea(asm.W64, asm.RDI, asm.MI(rMem, asm.RDX, 1, 0))
	a.Load(asm.W8, asm.RAX, slot(in.B))
	a.Raw(0xF3, 0xAA) // rep stosb
}
