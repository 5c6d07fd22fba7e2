package amd64

// General-purpose instructions. Comments show the Intel syntax and the
// opcode; "w" is the Width argument.

// isByteRex reports whether r as a byte operand needs a REX prefix to
// mean SPL, BPL, SIL or DIL rather than AH, CH, DH or BH.
func isByteRex(r Reg) bool { return r >= RSP && r <= RDI }

// wenc returns the prefix part of an instruction whose byte form has
// opcode op8 and whose 16/32/64-bit forms have opcode op. byteRegs are the
// register operands, which in the byte form may need a REX prefix.
func (a *Asm) wenc(w Width, op8, op byte, byteRegs ...Reg) (enc, bool) {
	switch w {
	case W8:
		e := enc{op: o1(op8)}
		for _, r := range byteRegs {
			if isByteRex(r) {
				e.force = true
			}
		}
		return e, true
	case W16:
		return enc{encFlags: encFlags{p66: true}, op: o1(op)}, true
	case W32:
		return enc{op: o1(op)}, true
	case W64:
		return enc{encFlags: encFlags{w: true}, op: o1(op)}, true
	}
	a.fail("width %d", w)
	return enc{}, false
}

// wenc2 is wenc for instructions without a byte form: opcode op (escape
// included) at 16, 32 or 64 bits.
func (a *Asm) wenc2(w Width, pfx byte, op opcode) (enc, bool) {
	switch w {
	case W16:
		return enc{encFlags: encFlags{p66: true}, pfx: pfx, op: op}, true
	case W32:
		return enc{pfx: pfx, op: op}, true
	case W64:
		return enc{encFlags: encFlags{w: true}, pfx: pfx, op: op}, true
	}
	a.fail("width %d for an instruction without a byte form", w)
	return enc{}, false
}

// immW appends an immediate of the operand size (imm32 for W64) and
// checks that v fits it.
func (a *Asm) immW(w Width, v int32) {
	switch w {
	case W8:
		if v < -128 || v > 255 {
			a.fail("immediate %d does not fit a byte", v)
		}
		a.byte1(byte(v))
	case W16:
		if v < -32768 || v > 65535 {
			a.fail("immediate %d does not fit a word", v)
		}
		a.imm16(uint16(v))
	default:
		a.simm32(v)
	}
}

func immLen(w Width) int {
	switch w {
	case W8:
		return 1
	case W16:
		return 2
	}
	return 4
}

// ---- Moves ----

// MovRR emits mov dst, src (88/89 /r). Moving 32 bits zeroes the upper
// half of dst.
func (a *Asm) MovRR(w Width, dst, src Reg) {
	if e, ok := a.wenc(w, 0x88, 0x89, dst, src); ok {
		a.rr(e, byte(src), byte(dst))
	}
}

// MovImm loads v into dst in the shortest form that leaves the flags
// alone: mov r32, imm32 (B8+r) when v fits 32 bits unsigned, mov r64,
// simm32 (REX.W C7 /0) when it fits signed, movabs (REX.W B8+r) otherwise.
// At W8 and W16 the upper bits of dst are kept, as the CPU does.
func (a *Asm) MovImm(w Width, dst Reg, v uint64) {
	if dst > 15 {
		a.fail("register %d", dst)
		return
	}
	switch w {
	case W8:
		a.prefixes(enc{encFlags: encFlags{force: isByteRex(dst)}, op: o1(0xB0 + byte(dst&7))}, 0, 0, byte(dst))
		a.byte1(byte(v))
	case W16:
		a.prefixes(enc{encFlags: encFlags{p66: true}, op: o1(0xB8 + byte(dst&7))}, 0, 0, byte(dst))
		a.imm16(uint16(v))
	case W32:
		a.prefixes(enc{op: o1(0xB8 + byte(dst&7))}, 0, 0, byte(dst))
		a.imm32(uint32(v))
	case W64:
		switch {
		case fitsUint32(v):
			a.MovImm(W32, dst, v)
		case fitsInt32(int64(v)):
			a.rr(enc{encFlags: encFlags{w: true}, op: o1(0xC7)}, 0, byte(dst))
			a.simm32(int32(v))
		default:
			a.MovAbs(dst, v)
		}
	default:
		a.fail("width %d", w)
	}
}

// MovAbs emits movabs dst, imm64 (REX.W B8+r io) whatever v is: ten bytes,
// the last eight of them v, for code that patches the constant later.
func (a *Asm) MovAbs(dst Reg, v uint64) {
	if dst > 15 {
		a.fail("register %d", dst)
		return
	}
	a.prefixes(enc{encFlags: encFlags{w: true}, op: o1(0xB8 + byte(dst&7))}, 0, 0, byte(dst))
	a.imm64(v)
}

// Load emits a load of w bytes from m into dst: movzx r32, byte/word
// (0F B6/B7), mov r32 (8B) or mov r64 (REX.W 8B). Every width fills the
// whole of dst, zero-extending.
func (a *Asm) Load(w Width, dst Reg, m Mem) {
	switch w {
	case W8:
		a.rm(enc{op: o2(0x0F, 0xB6)}, byte(dst), m, 0)
	case W16:
		a.rm(enc{op: o2(0x0F, 0xB7)}, byte(dst), m, 0)
	case W32:
		a.rm(enc{op: o1(0x8B)}, byte(dst), m, 0)
	case W64:
		a.rm(enc{encFlags: encFlags{w: true}, op: o1(0x8B)}, byte(dst), m, 0)
	default:
		a.fail("width %d", w)
	}
}

// LoadSX emits a sign-extending load of from bytes into the w-byte dst
// (W32 or W64): movsx (0F BE/BF) or movsxd (REX.W 63). From W32 into W32
// it is a plain mov.
func (a *Asm) LoadSX(w Width, from Width, dst Reg, m Mem) {
	if w != W32 && w != W64 {
		a.fail("sign-extending load into width %d", w)
		return
	}
	e := enc{encFlags: encFlags{w: w == W64}}
	switch from {
	case W8:
		e.op = o2(0x0F, 0xBE)
	case W16:
		e.op = o2(0x0F, 0xBF)
	case W32:
		if w == W32 {
			e.op = o1(0x8B)
		} else {
			e.op = o1(0x63)
		}
	default:
		a.fail("sign-extending load from width %d", from)
		return
	}
	a.rm(e, byte(dst), m, 0)
}

// Store emits mov [m], src of w bytes (88/89 /r).
func (a *Asm) Store(w Width, m Mem, src Reg) {
	if e, ok := a.wenc(w, 0x88, 0x89, src); ok {
		a.rm(e, byte(src), m, 0)
	}
}

// StoreImm emits mov [m], imm of w bytes (C6/C7 /0); at W64 v is
// sign-extended.
func (a *Asm) StoreImm(w Width, m Mem, v int32) {
	if e, ok := a.wenc(w, 0xC6, 0xC7); ok {
		a.rm(e, 0, m, immLen(w))
		a.immW(w, v)
	}
}

// Lea emits lea dst, [m] (8D /r) at W16, W32 or W64.
func (a *Asm) Lea(w Width, dst Reg, m Mem) {
	if e, ok := a.wenc2(w, 0, o1(0x8D)); ok {
		a.rm(e, byte(dst), m, 0)
	}
}

// MovZX zero-extends the low from bytes of src into dst: movzx r32, r8/r16
// (0F B6/B7; the 32-bit form also clears the upper half, so W64 uses it
// too), or mov r32, r32 from W32.
func (a *Asm) MovZX(w Width, from Width, dst, src Reg) {
	if !w.valid() || w <= from {
		a.fail("zero-extension from width %d to %d", from, w)
		return
	}
	e := enc{encFlags: encFlags{p66: w == W16}}
	switch from {
	case W8:
		e.op = o2(0x0F, 0xB6)
		e.force = isByteRex(src)
	case W16:
		e.op = o2(0x0F, 0xB7)
	case W32:
		a.MovRR(W32, dst, src)
		return
	default:
		a.fail("zero-extension from width %d", from)
		return
	}
	a.rr(e, byte(dst), byte(src))
}

// MovSX sign-extends the low from bytes of src into the w-byte dst:
// movsx (0F BE/BF) or movsxd (REX.W 63).
func (a *Asm) MovSX(w Width, from Width, dst, src Reg) {
	if !w.valid() || w <= from {
		a.fail("sign-extension from width %d to %d", from, w)
		return
	}
	e := enc{encFlags: encFlags{p66: w == W16, w: w == W64}}
	switch from {
	case W8:
		e.op = o2(0x0F, 0xBE)
		e.force = isByteRex(src)
	case W16:
		e.op = o2(0x0F, 0xBF)
	case W32:
		e.op = o1(0x63)
	default:
		a.fail("sign-extension from width %d", from)
		return
	}
	a.rr(e, byte(dst), byte(src))
}

// Xchg emits xchg x, y (86/87 /r).
func (a *Asm) Xchg(w Width, x, y Reg) {
	if e, ok := a.wenc(w, 0x86, 0x87, x, y); ok {
		a.rr(e, byte(y), byte(x))
	}
}

// ---- Arithmetic and logic ----

// AluOp is a group-1 operation, numbered as its opcode extension.
type AluOp uint8

// Group-1 operations.
const (
	AluAdd AluOp = iota
	AluOr
	AluAdc
	AluSbb
	AluAnd
	AluSub
	AluXor
	AluCmp
)

var aluNames = [8]string{"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"}

// String returns the mnemonic, e.g. "sbb".
func (op AluOp) String() string { return aluNames[op&7] }

// Alu emits op dst, src (op*8 + 0/1 /r).
func (a *Asm) Alu(op AluOp, w Width, dst, src Reg) {
	if op > 7 {
		a.fail("alu op %d", op)
		return
	}
	if e, ok := a.wenc(w, byte(op)<<3, byte(op)<<3|1, dst, src); ok {
		a.rr(e, byte(src), byte(dst))
	}
}

// aluImmEnc returns the encoding of op r/m, v: 80 /op ib at W8, 83 /op ib
// when v fits a signed byte, 81 /op iw/id otherwise.
func (a *Asm) aluImmEnc(w Width, v int32, force bool) (e enc, short, ok bool) {
	switch w {
	case W8:
		return enc{encFlags: encFlags{force: force}, op: o1(0x80)}, false, true
	case W16:
		short = fitsInt8(int64(int16(v)))
	default:
		short = fitsInt8(int64(v))
	}
	op := byte(0x81)
	if short {
		op = 0x83
	}
	e, ok = a.wenc(w, 0, op)
	return e, short, ok
}

// AluImm emits op dst, imm (80/81/83 /op).
func (a *Asm) AluImm(op AluOp, w Width, dst Reg, v int32) {
	if op > 7 {
		a.fail("alu op %d", op)
		return
	}
	e, short, ok := a.aluImmEnc(w, v, isByteRex(dst))
	if !ok {
		return
	}
	a.rr(e, byte(op), byte(dst))
	if short {
		a.byte1(byte(int8(v)))
	} else {
		a.immW(w, v)
	}
}

// AluLoad emits op dst, [m] (op*8 + 2/3 /r).
func (a *Asm) AluLoad(op AluOp, w Width, dst Reg, m Mem) {
	if op > 7 {
		a.fail("alu op %d", op)
		return
	}
	if e, ok := a.wenc(w, byte(op)<<3|2, byte(op)<<3|3, dst); ok {
		a.rm(e, byte(dst), m, 0)
	}
}

// AluStore emits op [m], src (op*8 + 0/1 /r).
func (a *Asm) AluStore(op AluOp, w Width, m Mem, src Reg) {
	if op > 7 {
		a.fail("alu op %d", op)
		return
	}
	if e, ok := a.wenc(w, byte(op)<<3, byte(op)<<3|1, src); ok {
		a.rm(e, byte(src), m, 0)
	}
}

// AluMemImm emits op [m], imm (80/81/83 /op).
func (a *Asm) AluMemImm(op AluOp, w Width, m Mem, v int32) {
	if op > 7 {
		a.fail("alu op %d", op)
		return
	}
	e, short, ok := a.aluImmEnc(w, v, false)
	if !ok {
		return
	}
	if short {
		a.rm(e, byte(op), m, 1)
		a.byte1(byte(int8(v)))
	} else {
		a.rm(e, byte(op), m, immLen(w))
		a.immW(w, v)
	}
}

// Test emits test x, y (84/85 /r).
func (a *Asm) Test(w Width, x, y Reg) {
	if e, ok := a.wenc(w, 0x84, 0x85, x, y); ok {
		a.rr(e, byte(y), byte(x))
	}
}

// TestImm emits test r, imm (F6/F7 /0).
func (a *Asm) TestImm(w Width, r Reg, v int32) {
	if e, ok := a.wenc(w, 0xF6, 0xF7, r); ok {
		a.rr(e, 0, byte(r))
		a.immW(w, v)
	}
}

// TestMemImm emits test [m], imm (F6/F7 /0).
func (a *Asm) TestMemImm(w Width, m Mem, v int32) {
	if e, ok := a.wenc(w, 0xF6, 0xF7); ok {
		a.rm(e, 0, m, immLen(w))
		a.immW(w, v)
	}
}

// ShiftOp is a group-2 operation, numbered as its opcode extension.
type ShiftOp uint8

// Group-2 operations.
const (
	ShRol ShiftOp = 0
	ShRor ShiftOp = 1
	ShShl ShiftOp = 4
	ShShr ShiftOp = 5
	ShSar ShiftOp = 7
)

func (a *Asm) shiftOK(op ShiftOp) bool {
	switch op {
	case ShRol, ShRor, ShShl, ShShr, ShSar:
		return true
	}
	a.fail("shift op %d", op)
	return false
}

// Shift emits op dst, cl (D2/D3 /op).
func (a *Asm) Shift(op ShiftOp, w Width, dst Reg) {
	if !a.shiftOK(op) {
		return
	}
	if e, ok := a.wenc(w, 0xD2, 0xD3, dst); ok {
		a.rr(e, byte(op), byte(dst))
	}
}

// ShiftImm emits op dst, n (D0/D1 /op for 1, C0/C1 /op ib otherwise).
func (a *Asm) ShiftImm(op ShiftOp, w Width, dst Reg, n uint8) {
	if !a.shiftOK(op) {
		return
	}
	if n == 1 {
		if e, ok := a.wenc(w, 0xD0, 0xD1, dst); ok {
			a.rr(e, byte(op), byte(dst))
		}
		return
	}
	if e, ok := a.wenc(w, 0xC0, 0xC1, dst); ok {
		a.rr(e, byte(op), byte(dst))
		a.byte1(n)
	}
}

// group3 emits a one-operand F6/F7 /ext instruction.
func (a *Asm) group3(ext byte, w Width, r Reg) {
	if e, ok := a.wenc(w, 0xF6, 0xF7, r); ok {
		a.rr(e, ext, byte(r))
	}
}

// Not emits not r (F7 /2).
func (a *Asm) Not(w Width, r Reg) { a.group3(2, w, r) }

// Neg emits neg r (F7 /3).
func (a *Asm) Neg(w Width, r Reg) { a.group3(3, w, r) }

// Mul emits mul src (F7 /4): rdx:rax = rax * src, unsigned.
func (a *Asm) Mul(w Width, src Reg) { a.group3(4, w, src) }

// IMul1 emits imm src (F7 /5): rdx:rax = rax * src, signed.
func (a *Asm) IMul1(w Width, src Reg) { a.group3(5, w, src) }

// Div emits div src (F7 /6): rax = rdx:rax / src, rdx = the remainder.
func (a *Asm) Div(w Width, src Reg) { a.group3(6, w, src) }

// IDiv emits idiv src (F7 /7), signed Div.
func (a *Asm) IDiv(w Width, src Reg) { a.group3(7, w, src) }

// Inc emits inc r (FE/FF /0).
func (a *Asm) Inc(w Width, r Reg) {
	if e, ok := a.wenc(w, 0xFE, 0xFF, r); ok {
		a.rr(e, 0, byte(r))
	}
}

// Dec emits dec r (FE/FF /1).
func (a *Asm) Dec(w Width, r Reg) {
	if e, ok := a.wenc(w, 0xFE, 0xFF, r); ok {
		a.rr(e, 1, byte(r))
	}
}

// IMul emits imul dst, src (0F AF /r).
func (a *Asm) IMul(w Width, dst, src Reg) {
	if e, ok := a.wenc2(w, 0, o2(0x0F, 0xAF)); ok {
		a.rr(e, byte(dst), byte(src))
	}
}

// IMulImm emits imul dst, src, imm (6B /r ib or 69 /r iw/id).
func (a *Asm) IMulImm(w Width, dst, src Reg, v int32) {
	short := fitsInt8(int64(v))
	if w == W16 {
		short = fitsInt8(int64(int16(v)))
	}
	op := byte(0x69)
	if short {
		op = 0x6B
	}
	if e, ok := a.wenc2(w, 0, o1(op)); ok {
		a.rr(e, byte(dst), byte(src))
		if short {
			a.byte1(byte(int8(v)))
		} else {
			a.immW(w, v)
		}
	}
}

// SignExtendAX emits cwd (W16), cdq (W32) or cqo (W64): rdx = the sign
// of rax, ahead of IDiv.
func (a *Asm) SignExtendAX(w Width) {
	if e, ok := a.wenc2(w, 0, o1(0x99)); ok {
		a.prefixes(e, 0, 0, 0)
	}
}

// Setcc emits set<c> dst8 (0F 90+c /0).
func (a *Asm) Setcc(c Cond, dst Reg) {
	if c > 15 {
		a.fail("condition %d", c)
		return
	}
	a.rr(enc{encFlags: encFlags{force: isByteRex(dst)}, op: o2(0x0F, 0x90|byte(c))}, 0, byte(dst))
}

// Cmov emits cmov<c> dst, src (0F 40+c /r).
func (a *Asm) Cmov(c Cond, w Width, dst, src Reg) {
	if c > 15 {
		a.fail("condition %d", c)
		return
	}
	if e, ok := a.wenc2(w, 0, o2(0x0F, 0x40|byte(c))); ok {
		a.rr(e, byte(dst), byte(src))
	}
}

// Lzcnt emits lzcnt dst, src (F3 0F BD /r; needs ABM/LZCNT).
func (a *Asm) Lzcnt(w Width, dst, src Reg) { a.bitscan(w, 0xF3, 0xBD, dst, src) }

// Tzcnt emits tzcnt dst, src (F3 0F BC /r; needs BMI1).
func (a *Asm) Tzcnt(w Width, dst, src Reg) { a.bitscan(w, 0xF3, 0xBC, dst, src) }

// Popcnt emits popcnt dst, src (F3 0F B8 /r; needs POPCNT).
func (a *Asm) Popcnt(w Width, dst, src Reg) { a.bitscan(w, 0xF3, 0xB8, dst, src) }

// Bsr emits bsr dst, src (0F BD /r).
func (a *Asm) Bsr(w Width, dst, src Reg) { a.bitscan(w, 0, 0xBD, dst, src) }

// Bsf emits bsf dst, src (0F BC /r).
func (a *Asm) Bsf(w Width, dst, src Reg) { a.bitscan(w, 0, 0xBC, dst, src) }

func (a *Asm) bitscan(w Width, pfx, op byte, dst, src Reg) {
	if e, ok := a.wenc2(w, pfx, o2(0x0F, op)); ok {
		a.rr(e, byte(dst), byte(src))
	}
}

// Bswap emits bswap r (0F C8+r) at W32 or W64.
func (a *Asm) Bswap(w Width, r Reg) {
	if w != W32 && w != W64 || r > 15 {
		a.fail("bswap width %d register %d", w, r)
		return
	}
	a.prefixes(enc{encFlags: encFlags{w: w == W64}, op: o2(0x0F, 0xC8|byte(r&7))}, 0, 0, byte(r))
}

// ---- Stack and control ----

// Push emits push r (50+r).
func (a *Asm) Push(r Reg) {
	if r > 15 {
		a.fail("register %d", r)
		return
	}
	a.prefixes(enc{op: o1(0x50 | byte(r&7))}, 0, 0, byte(r))
}

// Pop emits pop r (58+r).
func (a *Asm) Pop(r Reg) {
	if r > 15 {
		a.fail("register %d", r)
		return
	}
	a.prefixes(enc{op: o1(0x58 | byte(r&7))}, 0, 0, byte(r))
}

// PushImm emits push imm, sign-extended to 64 bits (6A ib or 68 id).
func (a *Asm) PushImm(v int32) {
	if fitsInt8(int64(v)) {
		a.b = append(a.b, 0x6A, byte(int8(v)))
		return
	}
	a.byte1(0x68)
	a.simm32(v)
}

// Ret emits ret (C3).
func (a *Asm) Ret() { a.byte1(0xC3) }

// CallReg emits call r (FF /2).
func (a *Asm) CallReg(r Reg) { a.rr(enc{op: o1(0xFF)}, 2, byte(r)) }

// CallMem emits call qword [m] (FF /2).
func (a *Asm) CallMem(m Mem) { a.rm(enc{op: o1(0xFF)}, 2, m, 0) }

// JmpReg emits jmp r (FF /4).
func (a *Asm) JmpReg(r Reg) { a.rr(enc{op: o1(0xFF)}, 4, byte(r)) }

// JmpMem emits jmp qword [m] (FF /4).
func (a *Asm) JmpMem(m Mem) { a.rm(enc{op: o1(0xFF)}, 4, m, 0) }

// ---- System ----

// Ud2 emits ud2 (0F 0B): raises #UD.
func (a *Asm) Ud2() { a.b = append(a.b, 0x0F, 0x0B) }

// Int3 emits int3 (CC).
func (a *Asm) Int3() { a.byte1(0xCC) }

// Hlt emits hlt (F4).
func (a *Asm) Hlt() { a.byte1(0xF4) }

// Nop emits nop (90).
func (a *Asm) Nop() { a.byte1(0x90) }

// Out emits out port, al (E6 ib): the micro-VM's hypercall instruction.
func (a *Asm) Out(port uint8) { a.b = append(a.b, 0xE6, port) }

// Fninit emits fninit (DB E3): the x87 unit to its power-up state.
func (a *Asm) Fninit() { a.b = append(a.b, 0xDB, 0xE3) }

// Ldmxcsr emits ldmxcsr dword [m] (0F AE /2).
func (a *Asm) Ldmxcsr(m Mem) { a.rm(enc{op: o2(0x0F, 0xAE)}, 2, m, 0) }

// Stmxcsr emits stmxcsr dword [m] (0F AE /3).
func (a *Asm) Stmxcsr(m Mem) { a.rm(enc{op: o2(0x0F, 0xAE)}, 3, m, 0) }

// Mfence emits mfence (0F AE F0).
func (a *Asm) Mfence() { a.b = append(a.b, 0x0F, 0xAE, 0xF0) }
