package amd64

import (
	"github.com/wasmvisor/wasmvisor/api"
	asm "github.com/wasmvisor/wasmvisor/internal/asm/amd64"
	"github.com/wasmvisor/wasmvisor/internal/engine/ir"
	"golang.org/x/sys/cpu"
)

// Conditions of the comparison families, in the slot form's order: eq,
// ne, lt_s, lt_u, gt_s, gt_u, le_s, le_u, ge_s, ge_u.
var cmpConds = [10]asm.Cond{
	asm.CondE, asm.CondNE, asm.CondL, asm.CondB, asm.CondG, asm.CondA,
	asm.CondLE, asm.CondBE, asm.CondGE, asm.CondAE,
}

// cmpFamilies are the slot form's comparison families: compare and set
// 0 or 1, or compare and branch, with a slot or a constant second
// operand.
var cmpFamilies = []struct {
	first       ir.Opcode
	w           asm.Width
	imm, branch bool
}{
	{ir.OpI32Eq, asm.W32, false, false},
	{ir.OpI32EqI, asm.W32, true, false},
	{ir.OpI64Eq, asm.W64, false, false},
	{ir.OpI64EqI, asm.W64, true, false},
	{ir.OpBrIfI32Eq, asm.W32, false, true},
	{ir.OpBrIfI32EqI, asm.W32, true, true},
	{ir.OpBrIfI64Eq, asm.W64, false, true},
	{ir.OpBrIfI64EqI, asm.W64, true, true},
}

// cmpOf maps each comparison opcode to its family in cmpFamilies (plus
// one; 0 for an opcode in none) and its place in the family: a lookup
// per instruction translated, where searching the families was 2 % of
// a large module's compile.
var cmpOf = func() (t [ir.OpScalarEnd]struct{ family, k uint8 }) {
	for i, f := range cmpFamilies {
		for k := range len(cmpConds) {
			t[f.first+ir.Opcode(k)] = struct{ family, k uint8 }{uint8(i + 1), uint8(k)}
		}
	}
	return t
}()

// native translates in to machine code if it has a native translation,
// and reports whether it had.
func (g *gen) native(in *ir.Instr) bool {
	if g.nativeScalar(in) {
		// They write slots only through st.
		g.keepSlots = true
		return true
	}
	if g.nativeBulk(in) {
		return true
	}
	for _, f := range nativeExtensions {
		if f(g, in) {
			return true
		}
	}
	return false
}

// nativeScalar translates in with the integer or the memory templates,
// the write-back ones (see writeBack), and reports whether it did. A
// memory access goes straight to its template, not through the integer
// templates' switch first: a third of Go's instructions.
func (g *gen) nativeScalar(in *ir.Instr) bool {
	if _, mem := accessFor(in.Op); mem {
		return g.nativeMem(in)
	}
	return g.nativeInt(in)
}

// nativeExtensions are further translators (floating point, SIMD), each
// reporting whether it handled the instruction.
var nativeExtensions []func(g *gen, in *ir.Instr) bool

func widthOf(is64 bool) asm.Width {
	if is64 {
		return asm.W64
	}
	return asm.W32
}

// loadImm puts an instruction's constant operand in r for width w.
func (g *gen) loadImm(w asm.Width, r asm.Reg, v uint64) {
	if w == asm.W32 {
		g.a.MovImm(asm.W32, r, uint64(uint32(v)))
		return
	}
	g.a.MovImm(asm.W64, r, v)
}

// fitsImm reports whether v can be an instruction's 32-bit immediate
// at width w (sign-extended for 64 bits).
func fitsImm(w asm.Width, v uint64) bool {
	return w == asm.W32 || int64(v) == int64(int32(v))
}

// aluOperand applies op to r and the second operand: slot c, or the
// constant imm when imm is set.
func (g *gen) aluOperand(op asm.AluOp, w asm.Width, r asm.Reg, in *ir.Instr, imm bool) {
	a := &g.a
	switch {
	case !imm:
		g.aluSlot(op, w, r, in.C)
	case fitsImm(w, in.Imm):
		a.AluImm(op, w, r, int32(in.Imm))
	default:
		scratch := asm.RCX
		if r == scratch {
			scratch = asm.RDX
		}
		g.loadImm(w, scratch, in.Imm)
		a.Alu(op, w, r, scratch)
	}
}

func (g *gen) nativeInt(in *ir.Instr) bool {
	a := &g.a
	op := in.Op
	if op < ir.OpScalarEnd && cmpOf[op].family != 0 {
		f, k := &cmpFamilies[cmpOf[op].family-1], cmpOf[op].k
		g.cmpOperands(f.w, in, f.imm)
		if f.branch {
			g.condBranch(cmpConds[k], in)
		} else {
			g.setFlag(cmpConds[k], in.A)
		}
		return true
	}
	switch op {
	case ir.OpBrIfNez32, ir.OpBrIfEqz32, ir.OpBrIfNez64, ir.OpBrIfEqz64:
		w := widthOf(op == ir.OpBrIfNez64 || op == ir.OpBrIfEqz64)
		g.testZero(w, in.B)
		c := asm.CondNE
		if op == ir.OpBrIfEqz32 || op == ir.OpBrIfEqz64 {
			c = asm.CondE
		}
		g.condBranch(c, in)
	case ir.OpI32Add, ir.OpI64Add:
		g.alu(asm.AluAdd, op == ir.OpI64Add, in, false)
	case ir.OpI32Sub, ir.OpI64Sub:
		g.alu(asm.AluSub, op == ir.OpI64Sub, in, false)
	case ir.OpI32And, ir.OpI64And:
		g.alu(asm.AluAnd, op == ir.OpI64And, in, false)
	case ir.OpI32Or, ir.OpI64Or:
		g.alu(asm.AluOr, op == ir.OpI64Or, in, false)
	case ir.OpI32Xor, ir.OpI64Xor:
		g.alu(asm.AluXor, op == ir.OpI64Xor, in, false)
	case ir.OpI32AddI, ir.OpI64AddI:
		g.alu(asm.AluAdd, op == ir.OpI64AddI, in, true)
	case ir.OpI32AndI, ir.OpI64AndI:
		g.alu(asm.AluAnd, op == ir.OpI64AndI, in, true)
	case ir.OpI32OrI, ir.OpI64OrI:
		g.alu(asm.AluOr, op == ir.OpI64OrI, in, true)
	case ir.OpI32XorI, ir.OpI64XorI:
		g.alu(asm.AluXor, op == ir.OpI64XorI, in, true)
	case ir.OpI32Mul, ir.OpI64Mul:
		w := widthOf(op == ir.OpI64Mul)
		if g.binaryInto(twoOp{mul: true}, w, in, false) {
			break
		}
		g.ld(w, asm.RAX, in.B)
		g.ld(w, asm.RCX, in.C)
		a.IMul(w, asm.RAX, asm.RCX)
		g.st(w, in.A, asm.RAX)
	case ir.OpI32MulI, ir.OpI64MulI:
		w := widthOf(op == ir.OpI64MulI)
		if g.binaryInto(twoOp{mul: true}, w, in, true) {
			break
		}
		g.ld(w, asm.RAX, in.B)
		if fitsImm(w, in.Imm) {
			a.IMulImm(w, asm.RAX, asm.RAX, int32(in.Imm))
		} else {
			g.loadImm(w, asm.RCX, in.Imm)
			a.IMul(w, asm.RAX, asm.RCX)
		}
		g.st(w, in.A, asm.RAX)
	case ir.OpI32Shl, ir.OpI64Shl:
		g.shift(asm.ShShl, op == ir.OpI64Shl, in)
	case ir.OpI32ShrS, ir.OpI64ShrS:
		g.shift(asm.ShSar, op == ir.OpI64ShrS, in)
	case ir.OpI32ShrU, ir.OpI64ShrU:
		g.shift(asm.ShShr, op == ir.OpI64ShrU, in)
	case ir.OpI32Rotl, ir.OpI64Rotl:
		g.shift(asm.ShRol, op == ir.OpI64Rotl, in)
	case ir.OpI32Rotr, ir.OpI64Rotr:
		g.shift(asm.ShRor, op == ir.OpI64Rotr, in)
	case ir.OpI32ShlI, ir.OpI64ShlI:
		g.shiftImm(asm.ShShl, op == ir.OpI64ShlI, in)
	case ir.OpI32ShrSI, ir.OpI64ShrSI:
		g.shiftImm(asm.ShSar, op == ir.OpI64ShrSI, in)
	case ir.OpI32ShrUI, ir.OpI64ShrUI:
		g.shiftImm(asm.ShShr, op == ir.OpI64ShrUI, in)
	case ir.OpI32RotlI, ir.OpI64RotlI:
		g.shiftImm(asm.ShRol, op == ir.OpI64RotlI, in)
	case ir.OpI32DivS, ir.OpI32DivU, ir.OpI32RemS, ir.OpI32RemU:
		g.div(asm.W32, op-ir.OpI32DivS, in)
	case ir.OpI64DivS, ir.OpI64DivU, ir.OpI64RemS, ir.OpI64RemU:
		g.div(asm.W64, op-ir.OpI64DivS, in)
	case ir.OpI32AddShl:
		g.ld(asm.W32, asm.RAX, in.C)
		a.ShiftImm(asm.ShShl, asm.W32, asm.RAX, uint8(in.Imm&31))
		g.aluSlot(asm.AluAdd, asm.W32, asm.RAX, in.B)
		g.st(asm.W32, in.A, asm.RAX)
	case ir.OpI32Eqz, ir.OpI64Eqz:
		a.MovImm(asm.W32, asm.RCX, 0)
		g.testZero(widthOf(op == ir.OpI64Eqz), in.B)
		a.Setcc(asm.CondE, asm.RCX)
		g.st(asm.W32, in.A, asm.RCX)
	case ir.OpI32Clz, ir.OpI64Clz:
		// bsr leaves ZF set for zero; 31-bsr is bsr^31 for 0..31, and
		// 63^31 = 32 covers zero (likewise 127^63 = 64).
		w := widthOf(op == ir.OpI64Clz)
		bits := uint64(31)
		if w == asm.W64 {
			bits = 63
		}
		a.MovImm(asm.W32, asm.RCX, 2*bits+1)
		g.ld(w, asm.RAX, in.B)
		a.Bsr(w, asm.RAX, asm.RAX)
		a.Cmov(asm.CondE, w, asm.RAX, asm.RCX)
		a.AluImm(asm.AluXor, w, asm.RAX, int32(bits))
		g.st(w, in.A, asm.RAX)
	case ir.OpI32Ctz, ir.OpI64Ctz:
		w := widthOf(op == ir.OpI64Ctz)
		bits := uint64(32)
		if w == asm.W64 {
			bits = 64
		}
		a.MovImm(asm.W32, asm.RCX, bits)
		g.ld(w, asm.RAX, in.B)
		a.Bsf(w, asm.RAX, asm.RAX)
		a.Cmov(asm.CondE, w, asm.RAX, asm.RCX)
		g.st(w, in.A, asm.RAX)
	case ir.OpI32Popcnt, ir.OpI64Popcnt:
		if !cpu.X86.HasPOPCNT {
			return false
		}
		w := widthOf(op == ir.OpI64Popcnt)
		g.ld(w, asm.RAX, in.B)
		a.Popcnt(w, asm.RAX, asm.RAX)
		g.st(w, in.A, asm.RAX)
	case ir.OpI32WrapI64:
		if g.moveInto(in, asm.W32) {
			break
		}
		g.ld(asm.W32, asm.RAX, in.B)
		g.st(asm.W32, in.A, asm.RAX)
	case ir.OpI64ExtendI32S:
		g.signExtend(asm.W64, asm.W32, in)
	case ir.OpI64ExtendI32U:
		if g.moveInto(in, asm.W32) {
			break
		}
		g.ld(asm.W32, asm.RAX, in.B)
		g.st(asm.W32, in.A, asm.RAX)
	case ir.OpI32Extend8S:
		g.signExtend(asm.W32, asm.W8, in)
	case ir.OpI32Extend16S:
		g.signExtend(asm.W32, asm.W16, in)
	case ir.OpI64Extend8S:
		g.signExtend(asm.W64, asm.W8, in)
	case ir.OpI64Extend16S:
		g.signExtend(asm.W64, asm.W16, in)
	case ir.OpI64Extend32S:
		g.signExtend(asm.W64, asm.W32, in)
	case ir.OpMemorySize:
		a.MovRR(asm.W64, asm.RAX, rMemLen)
		a.ShiftImm(asm.ShShr, asm.W64, asm.RAX, 16)
		g.st(asm.W64, in.A, asm.RAX)
	default:
		return false
	}
	return true
}

// alu emits a = b op c (or b op imm).
func (g *gen) alu(op asm.AluOp, is64 bool, in *ir.Instr, imm bool) {
	w := widthOf(is64)
	if imm && op == asm.AluAnd && is64 && in.Imm == 0xFFFFFFFF {
		// The low half, zero-extended: one 32-bit move, where the
		// mask would not fit an immediate.
		if g.moveInto(in, asm.W32) {
			return
		}
	}
	if g.binaryInto(twoOp{alu: op}, w, in, imm) {
		return
	}
	g.ld(w, asm.RAX, in.B)
	g.aluOperand(op, w, asm.RAX, in, imm)
	g.st(w, in.A, asm.RAX)
}

// cmpOperands compares slot b with slot c, or with the constant imm,
// reading b where a register holds it.
func (g *gen) cmpOperands(w asm.Width, in *ir.Instr, imm bool) {
	r, ok := g.operand(in.B)
	if imm && fitsImm(w, in.Imm) {
		// A comparison with zero tests the register; a slot in memory
		// is compared where it is, not loaded first.
		switch {
		case ok && (in.Imm == 0 || w == asm.W32 && uint32(in.Imm) == 0):
			g.a.Test(w, r, r)
			return
		case !ok:
			g.a.AluMemImm(asm.AluCmp, w, slot(in.B), int32(in.Imm))
			return
		}
	}
	if !ok {
		r = asm.RAX
		g.ld(w, r, in.B)
	}
	g.aluOperand(asm.AluCmp, w, r, in, imm)
}

// testZero sets the flags as a comparison of slot s with zero, w bytes
// wide, would.
func (g *gen) testZero(w asm.Width, s uint32) {
	if r, ok := g.operand(s); ok {
		g.a.Test(w, r, r)
		return
	}
	g.a.AluMemImm(asm.AluCmp, w, slot(s), 0)
}

// signExtend emits a = b's low from bits sign-extended to w.
func (g *gen) signExtend(w, from asm.Width, in *ir.Instr) {
	if r, ok := g.operand(in.B); ok {
		g.a.MovSX(w, from, asm.RAX, r)
	} else {
		g.a.LoadSX(w, from, asm.RAX, slot(in.B))
	}
	g.st(w, in.A, asm.RAX)
}

// setFlag stores 1 in slot a if the flags satisfy c, else 0.
func (g *gen) setFlag(c asm.Cond, a uint32) {
	g.a.Setcc(c, asm.RDX)
	g.a.MovZX(asm.W32, asm.W8, asm.RDX, asm.RDX)
	g.st(asm.W32, a, asm.RDX)
}

func (g *gen) shift(op asm.ShiftOp, is64 bool, in *ir.Instr) {
	w := widthOf(is64)
	g.ld(w, asm.RAX, in.B)
	g.ld(asm.W32, asm.RCX, in.C)
	g.a.Shift(op, w, asm.RAX)
	g.st(w, in.A, asm.RAX)
}

func (g *gen) shiftImm(op asm.ShiftOp, is64 bool, in *ir.Instr) {
	w := widthOf(is64)
	mask := uint64(31)
	if is64 {
		mask = 63
	}
	n := uint8(in.Imm & mask)
	if n == 0 {
		if g.moveInto(in, w) {
			return
		}
	} else if i, ok := g.loadB(w, in.B, in.A, noReg); ok {
		g.a.ShiftImm(op, w, slotRegs[i], n)
		g.wrote(i, w)
		return
	}
	g.ld(w, asm.RAX, in.B)
	if n != 0 {
		g.a.ShiftImm(op, w, asm.RAX, n)
	}
	g.st(w, in.A, asm.RAX)
}

// div emits the four divisions (kind: 0 div_s, 1 div_u, 2 rem_s, 3
// rem_u) with WebAssembly's traps; rem_s of the minimum by -1 is 0,
// where the hardware would fault.
func (g *gen) div(w asm.Width, kind ir.Opcode, in *ir.Instr) {
	a := &g.a
	g.ld(w, asm.RAX, in.B)
	g.ld(w, asm.RCX, in.C)
	a.Test(w, asm.RCX, asm.RCX)
	g.trapIf(asm.CondE, api.TrapIntegerDivideByZero)
	switch kind {
	case 1, 3:
		a.Alu(asm.AluXor, asm.W32, asm.RDX, asm.RDX)
		a.Div(w, asm.RCX)
	case 0:
		normal := a.NewLabel()
		a.AluImm(asm.AluCmp, w, asm.RCX, -1)
		a.Jcc(asm.CondNE, normal)
		// x / -1 overflows only for the minimum: x - 1 overflows too.
		a.MovRR(w, asm.RDX, asm.RAX)
		a.AluImm(asm.AluSub, w, asm.RDX, 1)
		g.trapIf(asm.CondO, api.TrapIntegerOverflow)
		a.Bind(normal)
		a.SignExtendAX(w)
		a.IDiv(w, asm.RCX)
	case 2:
		normal, done := a.NewLabel(), a.NewLabel()
		a.AluImm(asm.AluCmp, w, asm.RCX, -1)
		a.Jcc(asm.CondNE, normal)
		a.MovImm(asm.W32, asm.RDX, 0)
		a.Jmp(done)
		a.Bind(normal)
		a.SignExtendAX(w)
		a.IDiv(w, asm.RCX)
		a.Bind(done)
	}
	r := asm.RAX
	if kind >= 2 {
		r = asm.RDX
	}
	if w == asm.W32 {
		a.MovRR(asm.W32, r, r) // zero-extend
	}
	g.st(w, in.A, r)
}

// twoOp is a two-operand instruction, d op= source, that binaryInto
// applies: an ALU operation, or imul.
type twoOp struct {
	alu asm.AluOp
	mul bool
}

// noReg stands for no register among into's keep: none of slotRegs.
const noReg = asm.RAX

// binaryInto emits a = b op c (or b op imm) in a's slot register, so
// that the result is neither computed in a scratch register nor copied
// from one: two instructions for most, where ld, the operation and st
// take four. It reports false, having emitted nothing, when no slot
// register is free for a or when a is c but not b and op does not
// commute; the caller then uses its scratch-register template.
func (g *gen) binaryInto(o twoOp, w asm.Width, in *ir.Instr, imm bool) bool {
	b, c := in.B, in.C
	if !imm && c == in.A && b != in.A {
		if !o.mul && o.alu == asm.AluSub {
			return false
		}
		b, c = c, b // a = a op b: no copy of b into a's register
	}
	if imm && !o.mul && o.alu == asm.AluAdd && fitsImm(w, in.Imm) {
		// a = b + imm from another register: one lea, not a copy and
		// an add (a 32-bit lea zero-extends, as the add would).
		if rb, bIn := g.operand(b); bIn {
			i, ok := g.into(in.A, rb)
			if !ok {
				return false
			}
			if d := slotRegs[i]; d == rb {
				g.a.AluImm(asm.AluAdd, w, d, int32(in.Imm))
			} else {
				g.a.Lea(w, d, asm.M(rb, int32(in.Imm)))
			}
			g.wrote(i, w)
			return true
		}
	}
	rc, cIn := noReg, false
	if !imm {
		rc, cIn = g.operand(c)
	}
	i, ok := g.loadB(w, b, in.A, rc)
	if !ok {
		return false
	}
	a := &g.a
	d := slotRegs[i]
	switch {
	case imm:
		v := in.Imm
		if !fitsImm(w, v) {
			g.loadImm(w, asm.RCX, v)
			o.apply(a, w, d, asm.RCX)
		} else if o.mul {
			a.IMulImm(w, d, d, int32(v))
		} else {
			a.AluImm(o.alu, w, d, int32(v))
		}
	case c == b:
		o.apply(a, w, d, d) // d holds b, which is c
	case cIn:
		o.apply(a, w, d, rc)
	case o.mul:
		a.Load(w, asm.RCX, slot(c))
		a.IMul(w, d, asm.RCX)
	default:
		a.AluLoad(o.alu, w, d, slot(c))
	}
	g.wrote(i, w)
	return true
}

func (o twoOp) apply(a *asm.Asm, w asm.Width, d, r asm.Reg) {
	if o.mul {
		a.IMul(w, d, r)
	} else {
		a.Alu(o.alu, w, d, r)
	}
}

// loadB takes slot a's register (into), keeping keep, and copies slot
// b's value into it, w bytes wide (W32 zero-extends, or the operation
// the caller applies at W32 will). A b read from the frame is kept in
// a slot register too, as ld keeps it, when one is free.
func (g *gen) loadB(w asm.Width, b, a uint32, keep asm.Reg) (int, bool) {
	rb, bIn := g.operand(b)
	if bIn {
		if i, ok := g.takeOver(b, a, rb); ok {
			return i, true
		}
	}
	i, ok := g.into(a, rb, keep)
	if !ok {
		return -1, false
	}
	d := slotRegs[i]
	c := &g.slots
	switch {
	case bIn:
		if d != rb {
			g.a.MovRR(w, d, rb)
		}
	case b == a:
		// Not cached, so the frame holds it; d is a's register only
		// from now.
		g.a.Load(w, d, slot(b))
	default:
		c.locked[i] = true
		if k := slotIndex(keep); k >= 0 {
			c.locked[k] = true
		}
		if g.lazy && g.spare() {
			g.ld(w, d, b)
		} else {
			g.a.Load(w, d, slot(b))
		}
		c.locked = [len(slotRegs)]bool{}
	}
	return i, true
}

// takeOver gives slot a the slot register rb that holds slot b, when
// b's value is not needed after the instruction being translated: the
// result is then computed in place, without a copy of b. A dirty b must
// be dead (its last reader is this instruction); a clean one, whose
// slot holds it, only not read again soon (readAgain). a must not be
// in a register already.
func (g *gen) takeOver(b, a uint32, rb asm.Reg) (int, bool) {
	c := &g.slots
	k := slotIndex(rb)
	if k < 0 || !c.valid[k] || c.slot[k] != b || b == a || c.pinned[k] || c.find(a) >= 0 {
		return -1, false
	}
	if c.dirty[k] {
		if !g.deadAfter(c.writer[k]) {
			return -1, false
		}
	} else if g.readAgain(b) {
		return -1, false
	}
	c.slot[k], c.dirty[k] = a, false
	c.touch(k)
	return k, true
}

// moveInto emits a = b's low w bytes (W32 zero-extends) in a's slot
// register, reporting false when into has none to give.
func (g *gen) moveInto(in *ir.Instr, w asm.Width) bool {
	rb, hw, bIn := g.holding(in.B)
	i, ok := g.into(in.A, rb)
	if !ok {
		return false
	}
	d := slotRegs[i]
	switch {
	case !bIn:
		g.a.Load(w, d, slot(in.B))
	case d != rb || w == asm.W32 && hw != asm.W32:
		g.a.MovRR(w, d, rb)
	}
	if bIn && hw == asm.W32 {
		w = asm.W32
	}
	g.wrote(i, w)
	return true
}
