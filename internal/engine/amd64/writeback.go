package amd64

import (
	"slices"

	"github.com/wasmvisor/wasmvisor/internal/engine/ir"
)

// writeBack marks the opcodes whose templates keep the slot cache
// write-back (see slotRegs): they read slots only through ld, operand
// and their kin, write them only through st (or, for OpConst, its slot
// register, dirty), and neither branch nor leave the code. The integer
// and memory templates are found by translating each opcode once, so
// that the set follows nativeInt and nativeMem.
var writeBack [ir.OpScalarEnd]bool

func init() {
	for _, op := range []ir.Opcode{ir.OpMov, ir.OpConst, ir.OpSelect, ir.OpGlobalGet, ir.OpGlobalSet} {
		writeBack[op] = true
	}
	g := &gen{t: InProcess, fn: &ir.Func{}}
	for op := ir.Opcode(0); op < ir.OpScalarEnd; op++ {
		if ir.IsBranch(op) || ir.IsControl(op) {
			continue
		}
		in := ir.Instr{Op: op}
		if g.nativeInt(&in) || g.nativeMem(&in) {
			writeBack[op] = true
		}
		g.a.Reset()
		g.traps = g.traps[:0]
	}
}

func writesBack(op ir.Opcode) bool { return op < ir.OpScalarEnd && writeBack[op] }

// lastReads computes, for every write-back instruction that writes a
// slot, the last instruction that may read the value it writes, or -1
// for a value that stays live past its straight line: the next
// instruction that writes the slot again is a write-back one reached
// without a label or another instruction between. A value in a slot
// register is dead once its last read is translated (see dead): its
// register can be taken without storing it.
//
// The operands are read conservatively: every write-back instruction
// may read slots b and c (and a, if it writes no slot; the condition
// slot, if it is a select), and writes no slot but a. Reading too much
// only keeps values alive.
func (g *gen) lastReads() {
	code := g.fn.Code
	g.lastRead = slices.Grow(g.lastRead[:0], len(code))[:len(code)]
	n := int(g.fn.FrameSlots)
	g.seen = slices.Grow(g.seen[:0], n)[:n]
	g.readAt = slices.Grow(g.readAt[:0], n)[:n]
	// seen[s] == gen: slot s is written again later in this straight
	// line, and readAt[s] is the last read before that (-1: none).
	gen := g.seenGen
	for k := len(code) - 1; k >= 0; k-- {
		in := &code[k]
		g.lastRead[k] = -1
		if g.labels[k+1] != nil || !writesBack(in.Op) {
			gen++ // a straight line ends after k
			if !writesBack(in.Op) {
				continue
			}
		}
		def := definesA(in.Op)
		if def && in.A < uint32(n) {
			if g.seen[in.A] == gen {
				g.lastRead[k] = max(g.readAt[in.A], int32(k))
			}
			g.seen[in.A], g.readAt[in.A] = gen, -1
		}
		g.read(in.B, gen, k)
		g.read(in.C, gen, k)
		if !def {
			g.read(in.A, gen, k)
		}
		if in.Op == ir.OpSelect {
			g.read(uint32(in.Imm), gen, k)
		}
	}
	g.seenGen = gen + 1
}

// read notes for lastReads that instruction k may read slot s.
func (g *gen) read(s, gen uint32, k int) {
	if s < uint32(len(g.seen)) && g.seen[s] == gen && g.readAt[s] < 0 {
		g.readAt[s] = int32(k)
	}
}

// dead reports whether the value that instruction w wrote into a slot
// register is no longer needed at the instruction being translated.
func (g *gen) dead(w int32) bool {
	r := g.lastRead[w]
	return r >= 0 && int(r) < g.pc
}

// deadAfter reports whether the value that instruction w wrote into a
// slot register is not needed past the instruction being translated:
// that instruction is its last reader, or it is dead already.
func (g *gen) deadAfter(w int32) bool {
	r := g.lastRead[w]
	return r >= 0 && int(r) <= g.pc
}

// mayRead reports whether write-back instruction in may read slot s,
// read conservatively as lastReads reads operands: b and c, a if the
// instruction does not write it (def), and a select's condition.
func mayRead(in *ir.Instr, s uint32, def bool) bool {
	return s == in.B || s == in.C || !def && s == in.A || in.Op == ir.OpSelect && uint64(s) == in.Imm
}

// definesA reports whether write-back instruction op writes slot a: all
// do but stores to memory and global.set.
func definesA(op ir.Opcode) bool {
	if acc, ok := accessFor(op); ok {
		return !acc.store
	}
	return op != ir.OpGlobalSet
}
