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
// that the set follows them (nativeScalar).
var writeBack [ir.OpScalarEnd]bool

// reads says which fields of a write-back instruction name slots its
// template reads (readA, readB, readC, readImm), found with the
// templates as writeBack is.
var reads [ir.OpScalarEnd]uint8

const (
	readA = 1 << iota
	readB
	readC
	readImm
)

func init() {
	for _, op := range []ir.Opcode{ir.OpMov, ir.OpConst, ir.OpSelect, ir.OpGlobalGet, ir.OpGlobalSet} {
		writeBack[op] = true
	}
	reads[ir.OpMov], reads[ir.OpSelect], reads[ir.OpGlobalSet] = readB, readB|readC|readImm, readB
	// Fields told apart by their values, which no template treats
	// specially as constants.
	const a, b, c, imm = 1 << 20, 1<<20 + 1, 1<<20 + 2, 1<<20 + 3
	g := &gen{t: InProcess, fn: &ir.Func{}}
	var seen uint8
	g.probe = func(s uint32) {
		switch s {
		case a:
			seen |= readA
		case b:
			seen |= readB
		case c:
			seen |= readC
		case imm:
			seen |= readImm
		}
	}
	for op := ir.Opcode(0); op < ir.OpScalarEnd; op++ {
		if ir.IsBranch(op) || ir.IsControl(op) {
			continue
		}
		if writeBack[op] {
			continue
		}
		seen = 0
		in := ir.Instr{Op: op, A: a, B: b, C: c, Imm: imm}
		if g.nativeScalar(&in) {
			writeBack[op] = true
			reads[op] = seen
		}
		g.a.Reset()
		g.traps = g.traps[:0]
		g.checks.clear()
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
	stack := g.stackSlots()
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
		if in.Op != ir.OpMov {
			// Operand-stack slots it reads it pops: dead after it.
			g.pops(in, stack, gen)
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

// pops notes for lastReads that the operand-stack slots (those from
// stack on) that in reads are written again right after it, so that it
// is the last to read the values they hold: the slot form pops an
// operand when an instruction other than a move (a local.tee keeps its
// value on the stack) reads it, and pushes into a slot before reading
// it again. This is what lets a temporary consumed by an instruction
// that is not the last to write its slot stay unstored.
func (g *gen) pops(in *ir.Instr, stack, gen uint32) {
	r := reads[in.Op]
	n := uint32(len(g.seen))
	kill := func(s uint32) {
		if s >= stack && s < n {
			g.seen[s], g.readAt[s] = gen, -1
		}
	}
	if r&readA != 0 {
		kill(in.A)
	}
	if r&readB != 0 {
		kill(in.B)
	}
	if r&readC != 0 {
		kill(in.C)
	}
	if r&readImm != 0 && in.Imm < uint64(n) {
		kill(uint32(in.Imm))
	}
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
	return op >= ir.OpScalarEnd || !storesA[op]
}

// storesA marks the write-back opcodes that write no slot (stores and
// global.set): definesA is asked for every instruction several times.
// From accesses itself, which package initialization orders first
// (accessOf is only filled by an init function).
var storesA = func() (t [ir.OpScalarEnd]bool) {
	for op, acc := range accesses {
		t[op] = acc.store
	}
	t[ir.OpGlobalSet] = true
	return t
}()
