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

// memoryCopy: d = slot a, s = slot b, n = slot c. Copies forward with
// rep movsb unless the destination overlaps the source from above;
// then backward, eight bytes at a time, then the rest byte by byte: a
// backward rep movsb (direction flag set) runs a byte a cycle or worse,
// and handing the copy to the host costs an exit, which in a micro-VM
// is tens of microseconds.
func (g *gen) memoryCopy(in *ir.Instr) {
	a := &g.a
	a.Load(asm.W32, asm.RAX, slot(in.A))
	a.Load(asm.W32, asm.RDX, slot(in.B))
	a.Load(asm.W32, asm.RCX, slot(in.C))
	g.checkRange(asm.RAX, asm.RCX, asm.RDI)
	g.checkRange(asm.RDX, asm.RCX, asm.RSI)
	a.Lea(asm.W64, asm.RDI, asm.MI(rMem, asm.RAX, 1, 0))
	a.Lea(asm.W64, asm.RSI, asm.MI(rMem, asm.RDX, 1, 0))
	forward, done := a.NewLabel(), a.NewLabel()
	a.Alu(asm.AluCmp, asm.W64, asm.RDI, asm.RSI)
	a.Jcc(asm.CondBE, forward)
	a.Lea(asm.W64, asm.RAX, asm.MI(asm.RSI, asm.RCX, 1, 0))
	a.Alu(asm.AluCmp, asm.W64, asm.RDI, asm.RAX)
	a.Jcc(asm.CondAE, forward)
	// Backward: every chunk is read before the chunks written so far,
	// which lie above it, could overlap it.
	a.Lea(asm.W64, asm.RDI, asm.MI(asm.RDI, asm.RCX, 1, 0))
	a.Lea(asm.W64, asm.RSI, asm.MI(asm.RSI, asm.RCX, 1, 0))
	words, bytes := a.NewLabel(), a.NewLabel()
	a.Bind(words)
	a.AluImm(asm.AluCmp, asm.W64, asm.RCX, 8)
	a.Jcc(asm.CondB, bytes)
	a.AluImm(asm.AluSub, asm.W64, asm.RSI, 8)
	a.AluImm(asm.AluSub, asm.W64, asm.RDI, 8)
	a.Load(asm.W64, asm.RAX, asm.M(asm.RSI, 0))
	a.Store(asm.W64, asm.M(asm.RDI, 0), asm.RAX)
	a.AluImm(asm.AluSub, asm.W64, asm.RCX, 8)
	a.Jmp(words)
	a.Bind(bytes)
	a.Test(asm.W64, asm.RCX, asm.RCX)
	a.Jcc(asm.CondE, done)
	a.AluImm(asm.AluSub, asm.W64, asm.RSI, 1)
	a.AluImm(asm.AluSub, asm.W64, asm.RDI, 1)
	a.Load(asm.W8, asm.RAX, asm.M(asm.RSI, 0))
	a.Store(asm.W8, asm.M(asm.RDI, 0), asm.RAX)
	a.AluImm(asm.AluSub, asm.W64, asm.RCX, 1)
	a.Jmp(bytes)
	a.Bind(forward)
	a.Raw(0xF3, 0xA4) // rep movsb
	a.Bind(done)
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
