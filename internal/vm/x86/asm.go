package x86

import (
	"encoding/binary"
	"fmt"
)

// Reg is a general-purpose register in its encoding order.
type Reg uint8

// The general-purpose registers.
const (
	RAX Reg = iota
	RCX
	RDX
	RBX
	RSP
	RBP
	RSI
	RDI
	R8
	R9
	R10
	R11
	R12
	R13
	R14
	R15
)

// Mem is a memory operand [Base + Index*Scale + Disp].
type Mem struct {
	Base     Reg
	Index    Reg
	Scale    uint8 // 1, 2, 4 or 8; used only with HasIndex
	HasIndex bool
	Disp     int32
}

// M returns the operand [base + disp].
func M(base Reg, disp int32) Mem { return Mem{Base: base, Disp: disp} }

// MI returns the operand [base + index + disp].
func MI(base, index Reg, disp int32) Mem {
	return Mem{Base: base, Index: index, Scale: 1, HasIndex: true, Disp: disp}
}

// Cond is a condition code for Jcc (SDM Vol. 2, Appendix B.1.4.7).
type Cond uint8

// Condition codes.
const (
	CondB  Cond = 0x2 // below (unsigned <)
	CondAE Cond = 0x3 // above or equal (unsigned >=)
	CondE  Cond = 0x4
	CondNE Cond = 0x5
	CondBE Cond = 0x6
	CondA  Cond = 0x7
	CondL  Cond = 0xC // less (signed <)
	CondGE Cond = 0xD
	CondLE Cond = 0xE
	CondG  Cond = 0xF
)

// Label is a position in the code that jumps and calls can target
// before or after it is bound.
type Label struct {
	pos    int   // offset once bound, -1 before
	fixups []int // offsets of rel32 fields waiting for the label
}

// Asm assembles the small subset of x86-64 that the monitor and its tests
// put into guests. Each method appends one instruction; the comment on it
// shows the assembly. Operand combinations the encoder does not support
// are reported by Finish rather than encoded wrongly.
type Asm struct {
	b      []byte
	labels []*Label
	err    error
}

// Len returns the number of bytes emitted so far.
func (a *Asm) Len() int { return len(a.b) }

// Finish returns the code, or an error for an unbound label or an
// unsupported operand.
func (a *Asm) Finish() ([]byte, error) {
	if a.err != nil {
		return nil, a.err
	}
	for _, l := range a.labels {
		if l.pos < 0 && len(l.fixups) > 0 {
			return nil, fmt.Errorf("asm: label used at offset %d is never bound", l.fixups[0])
		}
	}
	return a.b, nil
}

func (a *Asm) fail(format string, args ...any) {
	if a.err == nil {
		a.err = fmt.Errorf("asm: "+format, args...)
	}
}

// Raw appends bytes as they are: for instructions the assembler does not
// know, such as privileged ones a test wants the guest to try.
func (a *Asm) Raw(b ...byte) { a.b = append(a.b, b...) }

func (a *Asm) imm32(v uint32) { a.b = binary.LittleEndian.AppendUint32(a.b, v) }

// rex emits a REX prefix when any of its bits is needed or force is set.
func (a *Asm) rex(w bool, reg, index, base Reg, force bool) {
	p := byte(0x40)
	if w {
		p |= 8
	}
	p |= byte(reg>>3&1) << 2
	p |= byte(index>>3&1) << 1
	p |= byte(base >> 3 & 1)
	if p != 0x40 || force {
		a.b = append(a.b, p)
	}
}

// modrmReg emits ModRM for a register-direct operand.
func (a *Asm) modrmReg(reg, rm Reg) { a.b = append(a.b, 0xC0|byte(reg&7)<<3|byte(rm&7)) }

// modrmMem emits ModRM, SIB and displacement for a memory operand.
func (a *Asm) modrmMem(reg Reg, m Mem) {
	if m.HasIndex && m.Index == RSP {
		a.fail("rsp cannot be an index register")
		return
	}
	var mod byte
	switch {
	case m.Disp == 0 && m.Base&7 != RBP:
		mod = 0
	case m.Disp >= -128 && m.Disp <= 127:
		mod = 1
	default:
		mod = 2
	}
	if m.HasIndex || m.Base&7 == RSP {
		a.b = append(a.b, mod<<6|byte(reg&7)<<3|4)
		index, scale := byte(4), byte(0) // index 100: none
		if m.HasIndex {
			index = byte(m.Index & 7)
			switch m.Scale {
			case 1:
			case 2:
				scale = 1
			case 4:
				scale = 2
			case 8:
				scale = 3
			default:
				a.fail("scale %d", m.Scale)
			}
		}
		a.b = append(a.b, scale<<6|index<<3|byte(m.Base&7))
	} else {
		a.b = append(a.b, mod<<6|byte(reg&7)<<3|byte(m.Base&7))
	}
	switch mod {
	case 1:
		a.b = append(a.b, byte(int8(m.Disp)))
	case 2:
		a.imm32(uint32(m.Disp))
	}
}

func (a *Asm) memOp(w bool, opcode []byte, reg Reg, m Mem, force bool) {
	var index Reg
	if m.HasIndex {
		index = m.Index
	}
	a.rex(w, reg, index, m.Base, force)
	a.b = append(a.b, opcode...)
	a.modrmMem(reg, m)
}

func (a *Asm) regOp(w bool, opcode byte, reg, rm Reg) {
	a.rex(w, reg, 0, rm, false)
	a.b = append(a.b, opcode)
	a.modrmReg(reg, rm)
}

// MovImm64 emits mov r64, imm64.
func (a *Asm) MovImm64(r Reg, v uint64) {
	a.rex(true, 0, 0, r, false)
	a.b = append(a.b, 0xB8+byte(r&7))
	a.b = binary.LittleEndian.AppendUint64(a.b, v)
}

// MovImm32 emits mov r32, imm32, which zero-extends into r64.
func (a *Asm) MovImm32(r Reg, v uint32) {
	a.rex(false, 0, 0, r, false)
	a.b = append(a.b, 0xB8+byte(r&7))
	a.imm32(v)
}

// Mov emits mov dst, src (64-bit).
func (a *Asm) Mov(dst, src Reg) { a.regOp(true, 0x89, src, dst) }

// Load64 emits mov dst, qword [m].
func (a *Asm) Load64(dst Reg, m Mem) { a.memOp(true, []byte{0x8B}, dst, m, false) }

// Load32 emits mov dst32, dword [m].
func (a *Asm) Load32(dst Reg, m Mem) { a.memOp(false, []byte{0x8B}, dst, m, false) }

// Load8 emits movzx dst32, byte [m].
func (a *Asm) Load8(dst Reg, m Mem) { a.memOp(false, []byte{0x0F, 0xB6}, dst, m, false) }

// Store64 emits mov qword [m], src.
func (a *Asm) Store64(m Mem, src Reg) { a.memOp(true, []byte{0x89}, src, m, false) }

// Store32 emits mov dword [m], src32.
func (a *Asm) Store32(m Mem, src Reg) { a.memOp(false, []byte{0x89}, src, m, false) }

// Store8 emits mov byte [m], src8.
func (a *Asm) Store8(m Mem, src Reg) {
	// Without REX, encodings 4-7 name ah..bh rather than spl..dil.
	a.memOp(false, []byte{0x88}, src, m, src >= RSP && src <= RDI)
}

// Add emits add dst, src (64-bit).
func (a *Asm) Add(dst, src Reg) { a.regOp(true, 0x01, src, dst) }

// Sub emits sub dst, src (64-bit).
func (a *Asm) Sub(dst, src Reg) { a.regOp(true, 0x29, src, dst) }

// Cmp emits cmp a, b (64-bit).
func (a *Asm) Cmp(x, y Reg) { a.regOp(true, 0x39, y, x) }

// Xor32 emits xor dst32, src32, which clears the upper half too.
func (a *Asm) Xor32(dst, src Reg) { a.regOp(false, 0x31, src, dst) }

func (a *Asm) group1(ext Reg, r Reg, v int32) {
	a.rex(true, 0, 0, r, false)
	if v >= -128 && v <= 127 {
		a.b = append(a.b, 0x83)
		a.modrmReg(ext, r)
		a.b = append(a.b, byte(int8(v)))
		return
	}
	a.b = append(a.b, 0x81)
	a.modrmReg(ext, r)
	a.imm32(uint32(v))
}

// AddImm emits add r, imm (64-bit, immediate sign-extended).
func (a *Asm) AddImm(r Reg, v int32) { a.group1(0, r, v) }

// SubImm emits sub r, imm.
func (a *Asm) SubImm(r Reg, v int32) { a.group1(5, r, v) }

// CmpImm emits cmp r, imm.
func (a *Asm) CmpImm(r Reg, v int32) { a.group1(7, r, v) }

// Inc emits inc r (64-bit).
func (a *Asm) Inc(r Reg) { a.regOp(true, 0xFF, 0, r) }

// Dec emits dec r (64-bit).
func (a *Asm) Dec(r Reg) { a.regOp(true, 0xFF, 1, r) }

// Div32 emits div r32: edx:eax / r32, quotient in eax, remainder in edx.
func (a *Asm) Div32(r Reg) { a.regOp(false, 0xF7, 6, r) }

// Push emits push r.
func (a *Asm) Push(r Reg) {
	a.rex(false, 0, 0, r, false)
	a.b = append(a.b, 0x50+byte(r&7))
}

// Pop emits pop r.
func (a *Asm) Pop(r Reg) {
	a.rex(false, 0, 0, r, false)
	a.b = append(a.b, 0x58+byte(r&7))
}

// PushImm emits push imm32 (sign-extended to 64 bits).
func (a *Asm) PushImm(v int32) {
	a.b = append(a.b, 0x68)
	a.imm32(uint32(v))
}

// Ret emits ret.
func (a *Asm) Ret() { a.b = append(a.b, 0xC3) }

// CallReg emits call r.
func (a *Asm) CallReg(r Reg) { a.regOp(false, 0xFF, 2, r) }

// JmpReg emits jmp r.
func (a *Asm) JmpReg(r Reg) { a.regOp(false, 0xFF, 4, r) }

// Out emits out port, al: the hypercall instruction.
func (a *Asm) Out(port uint8) { a.b = append(a.b, 0xE6, port) }

// Ud2 emits ud2.
func (a *Asm) Ud2() { a.b = append(a.b, 0x0F, 0x0B) }

// Hlt emits hlt.
func (a *Asm) Hlt() { a.b = append(a.b, 0xF4) }

// Nop emits nop.
func (a *Asm) Nop() { a.b = append(a.b, 0x90) }

// Fninit emits fninit: the x87 unit to its power-up state.
func (a *Asm) Fninit() { a.b = append(a.b, 0xDB, 0xE3) }

// Ldmxcsr emits ldmxcsr dword [m].
func (a *Asm) Ldmxcsr(m Mem) { a.memOp(false, []byte{0x0F, 0xAE}, 2, m, false) }

// Pxor emits pxor xmm(dst), xmm(src); registers are 0-15.
func (a *Asm) Pxor(dst, src uint8) {
	a.b = append(a.b, 0x66)
	a.rex(false, Reg(dst), 0, Reg(src), false)
	a.b = append(a.b, 0x0F, 0xEF)
	a.modrmReg(Reg(dst), Reg(src))
}

// NewLabel returns an unbound label.
func (a *Asm) NewLabel() *Label {
	l := &Label{pos: -1}
	a.labels = append(a.labels, l)
	return l
}

// Bind binds l to the current position.
func (a *Asm) Bind(l *Label) {
	if l.pos >= 0 {
		a.fail("label bound twice")
		return
	}
	l.pos = len(a.b)
	for _, f := range l.fixups {
		binary.LittleEndian.PutUint32(a.b[f:], uint32(int32(l.pos-(f+4))))
	}
	l.fixups = nil
}

func (a *Asm) rel32(l *Label) {
	if l.pos >= 0 {
		a.imm32(uint32(int32(l.pos - (len(a.b) + 4))))
		return
	}
	l.fixups = append(l.fixups, len(a.b))
	a.imm32(0)
}

// Jmp emits jmp rel32 to l.
func (a *Asm) Jmp(l *Label) {
	a.b = append(a.b, 0xE9)
	a.rel32(l)
}

// Jcc emits j<cc> rel32 to l.
func (a *Asm) Jcc(cc Cond, l *Label) {
	a.b = append(a.b, 0x0F, 0x80|byte(cc))
	a.rel32(l)
}

// Call emits call rel32 to l.
func (a *Asm) Call(l *Label) {
	a.b = append(a.b, 0xE8)
	a.rel32(l)
}
