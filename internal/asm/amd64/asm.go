package amd64

import (
	"encoding/binary"
	"fmt"
	"slices"
)

// Reg is a general-purpose register, numbered in encoding order.
type Reg uint8

// The general-purpose registers. As byte operands, RSP, RBP, RSI and RDI
// are SPL, BPL, SIL and DIL.
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

var regNames = [16]string{"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"}

// String returns the register's 64-bit name, e.g. "r12".
func (r Reg) String() string {
	if r < 16 {
		return regNames[r]
	}
	return fmt.Sprintf("Reg(%d)", uint8(r))
}

// XReg is an SSE register, X0 to X15.
type XReg uint8

// The SSE registers.
const (
	X0 XReg = iota
	X1
	X2
	X3
	X4
	X5
	X6
	X7
	X8
	X9
	X10
	X11
	X12
	X13
	X14
	X15
)

// String returns the register's name, e.g. "xmm9".
func (x XReg) String() string { return fmt.Sprintf("xmm%d", uint8(x)) }

// Width is an operand size in bytes.
type Width uint8

// Operand sizes.
const (
	W8  Width = 1
	W16 Width = 2
	W32 Width = 4
	W64 Width = 8
)

func (w Width) valid() bool { return w == W8 || w == W16 || w == W32 || w == W64 }

// Mem is a memory operand: [Base + Index*Scale + Disp], or, with RIP or
// Label set, [rip + Disp] where Disp counts from the end of the
// instruction (plus the label's offset from there, with Label).
//
// Operands are made by M, MI, RIPRel and LabelMem. Mem has four fields,
// the registers one embedded struct, so that the Go compiler keeps it in
// registers: an operand built in memory field by field and copied as a
// block stalled on the stores (a fifth of the samples of the code that
// made memory operands).
type Mem struct {
	MemRegs
	Disp  int32
	RIP   bool   // [rip + Disp]
	Label *Label // [rip + Label + Disp]; implies RIP
}

// MemRegs are the registers of a memory operand.
type MemRegs struct {
	Base     Reg
	Index    Reg
	Scale    uint8 // 1, 2, 4 or 8; used only with HasIndex
	HasIndex bool
}

// M returns the operand [base + disp].
func M(base Reg, disp int32) Mem { return Mem{MemRegs: MemRegs{Base: base}, Disp: disp} }

// MI returns the operand [base + index*scale + disp].
func MI(base, index Reg, scale uint8, disp int32) Mem {
	return Mem{MemRegs: MemRegs{Base: base, Index: index, Scale: scale, HasIndex: true}, Disp: disp}
}

// RIPRel returns the operand [rip + disp], disp counting from the end of
// the instruction.
func RIPRel(disp int32) Mem { return Mem{RIP: true, Disp: disp} }

// LabelMem returns the operand [rip + l + disp]: the address of label l
// (plus disp), wherever l ends up bound.
func LabelMem(l *Label, disp int32) Mem { return Mem{RIP: true, Label: l, Disp: disp} }

// Cond is a condition code, numbered as the tttn field of Jcc, SETcc and
// CMOVcc (SDM Vol. 2, Appendix B.1.4.7).
type Cond uint8

// Condition codes.
const (
	CondO  Cond = iota // overflow
	CondNO             // no overflow
	CondB              // below: unsigned <, carry
	CondAE             // above or equal: unsigned >=, no carry
	CondE              // equal, zero
	CondNE             // not equal, not zero
	CondBE             // below or equal: unsigned <=
	CondA              // above: unsigned >
	CondS              // sign
	CondNS             // no sign
	CondP              // parity: unordered after ucomiss/ucomisd
	CondNP             // no parity: ordered
	CondL              // less: signed <
	CondGE             // greater or equal: signed >=
	CondLE             // less or equal: signed <=
	CondG              // greater: signed >
)

// Invert returns the condition that holds exactly when c does not.
func (c Cond) Invert() Cond { return c ^ 1 }

var condNames = [16]string{"o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"}

// String returns the condition's mnemonic suffix, e.g. "ae".
func (c Cond) String() string {
	if c < 16 {
		return condNames[c]
	}
	return fmt.Sprintf("Cond(%d)", uint8(c))
}

// Label is a position in the code that jumps, calls and RIP-relative
// operands can name before or after it is bound. Labels come from
// NewLabel and belong to their Asm until its next Reset.
type Label struct {
	pos    int // offset once bound, -1 before
	fixups []fixup
	// extern marks a label NewExternLabel made: never bound here.
	extern bool
}

// fixup is a 32-bit field at at that must hold label - (at + 4) + add.
type fixup struct {
	at  int
	add int32
}

// dataFixup is a 32-bit table entry at at that must hold l - base.
type dataFixup struct {
	at      int
	l, base *Label
}

// Asm is an x86-64 assembler. Each method appends one instruction (a few
// for JmpTable). The zero value is ready to use.
type Asm struct {
	b      []byte
	labels []*Label // labels[:nlabels] are in use; the rest are kept for reuse
	nlab   int
	data   []dataFixup
	err    error
}

// Len returns the number of bytes emitted so far.
func (a *Asm) Len() int { return len(a.b) }

// Bytes returns the code emitted so far. Jumps to labels not yet bound
// and AddLabelOffset32 entries hold placeholders until Finish.
func (a *Asm) Bytes() []byte { return a.b }

// Err returns the first error recorded so far, if any.
func (a *Asm) Err() error { return a.err }

// Finish resolves the label-offset table entries and returns the code,
// or the first error: an operand the encoder could not encode, or a
// label used but never bound. The slice aliases the Asm's buffer until
// Reset.
func (a *Asm) Finish() ([]byte, error) {
	if a.err != nil {
		return nil, a.err
	}
	for _, l := range a.labels[:a.nlab] {
		if l.pos < 0 && len(l.fixups) > 0 && !l.extern {
			return nil, fmt.Errorf("amd64: label used at offset %d is never bound", l.fixups[0].at)
		}
	}
	for _, d := range a.data {
		if d.l.pos < 0 || d.base.pos < 0 {
			return nil, fmt.Errorf("amd64: table entry at offset %d names a label that is never bound", d.at)
		}
		binary.LittleEndian.PutUint32(a.b[d.at:], uint32(int32(d.l.pos-d.base.pos)))
	}
	return a.b, nil
}

// Grow makes room for n more bytes of code without reallocating, for a
// caller that knows roughly how much it will emit.
func (a *Asm) Grow(n int) { a.b = slices.Grow(a.b, n) }

// UseBuffer makes the Asm emit into b's spare capacity (b's contents are
// kept as code already emitted): a caller can then assemble into memory
// of its own, such as a mapping that later becomes executable. Past
// b's capacity the Asm moves to a buffer of its own, as append does;
// Finish's result then no longer starts at b's first byte.
func (a *Asm) UseBuffer(b []byte) { a.b = b }

// Reset empties the Asm for the next function, keeping its buffers.
// Labels from before the Reset must not be used after it.
func (a *Asm) Reset() {
	a.b = a.b[:0]
	a.nlab = 0
	a.data = a.data[:0]
	a.err = nil
}

func (a *Asm) fail(format string, args ...any) {
	if a.err == nil {
		a.err = fmt.Errorf("amd64: at offset %d: "+format, append([]any{len(a.b)}, args...)...)
	}
}

// Raw appends bytes as they are: data, or an instruction the encoder does
// not know, such as a privileged one a test wants a guest to try.
func (a *Asm) Raw(b ...byte) { a.b = append(a.b, b...) }

func (a *Asm) byte1(v byte)    { a.b = append(a.b, v) }
func (a *Asm) imm16(v uint16)  { a.b = binary.LittleEndian.AppendUint16(a.b, v) }
func (a *Asm) imm32(v uint32)  { a.b = binary.LittleEndian.AppendUint32(a.b, v) }
func (a *Asm) imm64(v uint64)  { a.b = binary.LittleEndian.AppendUint64(a.b, v) }
func (a *Asm) simm32(v int32)  { a.imm32(uint32(v)) }
func fitsInt8(v int64) bool    { return v >= -128 && v <= 127 }
func fitsInt32(v int64) bool   { return v >= -1<<31 && v < 1<<31 }
func fitsUint32(v uint64) bool { return v < 1<<32 }

// ---- Core encoding ----

// enc describes the parts of one instruction that precede ModRM. It and
// its parts have at most four fields, none an array, so that the Go
// compiler keeps them in registers: built in memory byte by byte, they
// were read back a word at a time, and every read stalled on the
// stores (the hottest instruction of the encoder in a profile).
type enc struct {
	encFlags
	pfx byte   // mandatory or repeat prefix (F2, F3), 0 for none
	op  opcode // escape bytes included
}

// encFlags are the prefix bits of an enc.
type encFlags struct {
	p66   bool // operand-size prefix
	w     bool // REX.W
	force bool // a REX prefix even with no bits set (byte regs 4-7)
	// vex256 encodes the instruction with a three-byte VEX prefix,
	// 256 bits wide (VEX.L) and without a second source (vvvv 1111),
	// in place of REX and the mandatory prefix; op is then the opcode
	// of map 0F, without the escape byte.
	vex256 bool
}

// opcode is one to three opcode bytes, the first in the low byte, and
// their count in the high byte.
type opcode uint32

// o1, o2 and o3 are opcodes of one, two and three bytes: the compiler
// folds them into constants where the bytes are.
func o1(b0 byte) opcode         { return opcode(b0) | 1<<24 }
func o2(b0, b1 byte) opcode     { return opcode(b0) | opcode(b1)<<8 | 2<<24 }
func o3(b0, b1, b2 byte) opcode { return opcode(b0) | opcode(b1)<<8 | opcode(b2)<<16 | 3<<24 }

func (a *Asm) prefixes(e enc, r, x, b byte) {
	buf := a.room()
	a.b = a.b[:len(a.b)+e.put(buf, r, x, b)]
}

// maxInstr is the longest instruction the encoder writes: x86-64 allows
// 15 bytes.
const maxInstr = 16

// room returns the maxInstr bytes after the code, made available, for an
// instruction to be written into before the code is extended over it:
// one check of the capacity per instruction rather than one per byte.
func (a *Asm) room() []byte {
	n := len(a.b)
	if cap(a.b)-n < maxInstr {
		a.grow()
	}
	return a.b[n : n+maxInstr]
}

// put writes the prefixes and opcode into b (room's), with r, x and b
// the ModRM reg, SIB index and base (or ModRM rm) register numbers whose
// high bits go in REX or VEX, and returns how many bytes it wrote.
func (e enc) put(buf []byte, r, x, b byte) int {
	k := 0
	if e.vex256 {
		var pp byte
		switch e.pfx {
		case 0x66:
			pp = 1
		case 0xF3:
			pp = 2
		case 0xF2:
			pp = 3
		}
		// R, X and B are stored inverted; map 1 is 0F.
		buf[0] = 0xC4
		buf[1] = ^(r>>3&1<<7|x>>3&1<<6|b>>3&1<<5)&0xE0 | 1
		buf[2] = 0xF<<3 | 1<<2 | pp // W0, vvvv 1111 (none), L1
		k = 3
	} else {
		if e.p66 {
			buf[k] = 0x66
			k++
		}
		if e.pfx != 0 {
			buf[k] = e.pfx
			k++
		}
		rex := byte(0x40) | r>>3&1<<2 | x>>3&1<<1 | b>>3&1
		if e.w {
			rex |= 8
		}
		if rex != 0x40 || e.force {
			buf[k] = rex
			k++
		}
	}
	// All three bytes, of which those past the opcode are room the
	// next bytes overwrite or the code never extends over: at most
	// three bytes of prefixes come before them.
	buf[k], buf[k+1], buf[k+2] = byte(e.op), byte(e.op>>8), byte(e.op>>16)
	return k + int(e.op>>24)
}

// rr emits an instruction with a register-direct ModRM: reg and rm are
// register numbers 0-15 (or an opcode extension in reg).
func (a *Asm) rr(e enc, reg, rm byte) {
	if e.plain() && reg|rm < 16 {
		// The common case, built in a register: REX, the opcode and
		// ModRM, at most five bytes, stored at once.
		v, k := e.opcodeWithREX(reg, 0, rm, uint64(0xC0|reg&7<<3|rm&7), 1)
		a.emit(v, k)
		return
	}
	a.rrAny(e, reg, rm)
}

// rrAny is rr for every encoding.
func (a *Asm) rrAny(e enc, reg, rm byte) {
	if reg > 15 || rm > 15 {
		a.fail("register number out of range (%d, %d)", reg, rm)
		return
	}
	buf := a.room()
	k := e.put(buf, reg, 0, rm)
	buf[k] = 0xC0 | reg&7<<3 | rm&7
	a.b = a.b[:len(a.b)+k+1]
}

// rm emits an instruction with a memory ModRM. immLen is the number of
// immediate bytes the caller appends after it, which a label operand's
// displacement must count.
func (a *Asm) rm(e enc, reg byte, m Mem, immLen int) {
	if e.plain() && !m.RIP && m.Label == nil && reg|byte(m.Base) < 16 {
		if !m.HasIndex {
			a.rmBase(e, reg, byte(m.Base), m.Disp)
			return
		}
		if m.Index < 16 && m.Index != RSP && m.Scale < 9 && validScale[m.Scale] {
			a.rmIndex(e, reg, m)
			return
		}
	}
	a.rmAny(e, reg, m, immLen)
}

// rmAny is rm for every encoding and operand.
func (a *Asm) rmAny(e enc, reg byte, m Mem, immLen int) {
	if reg > 15 {
		a.fail("register number %d out of range", reg)
		return
	}
	if m.RIP || m.Label != nil {
		if m.HasIndex {
			a.fail("rip-relative operand with an index")
			return
		}
		a.prefixes(e, reg, 0, 0)
		a.byte1(reg&7<<3 | 5)
		if m.Label != nil {
			a.labelRel32(m.Label, m.Disp-int32(immLen))
		} else {
			a.simm32(m.Disp)
		}
		return
	}
	if m.Base > 15 || m.HasIndex && m.Index > 15 {
		a.fail("register number out of range in %v", m)
		return
	}
	var index byte
	var scale byte
	if m.HasIndex {
		if m.Index == RSP {
			a.fail("rsp cannot be an index register")
			return
		}
		index = byte(m.Index)
		if m.Scale > 8 || !validScale[m.Scale] {
			a.fail("scale %d is not 1, 2, 4 or 8", m.Scale)
			return
		}
		scale = scaleBits[m.Scale]
	}
	base := byte(m.Base)
	var mod byte
	switch {
	case m.Disp == 0 && base&7 != 5: // rbp and r13 need a displacement
		mod = 0
	case fitsInt8(int64(m.Disp)):
		mod = 1
	default:
		mod = 2
	}
	buf := a.room()
	k := e.put(buf, reg, index, base)
	if m.HasIndex || base&7 == 4 { // rsp and r12 need a SIB byte
		if !m.HasIndex {
			index = 4 // no index
		}
		buf[k] = mod<<6 | reg&7<<3 | 4
		buf[k+1] = scale<<6 | index&7<<3 | base&7
		k += 2
	} else {
		buf[k] = mod<<6 | reg&7<<3 | base&7
		k++
	}
	switch mod {
	case 1:
		buf[k] = byte(int8(m.Disp))
		k++
	case 2:
		binary.LittleEndian.PutUint32(buf[k:], uint32(m.Disp))
		k += 4
	}
	a.b = a.b[:len(a.b)+k]
}

// plain reports whether e has no prefix but REX: the encodings that
// rr's and rm's common paths build.
func (e enc) plain() bool { return !e.p66 && e.pfx == 0 && !e.vex256 }

// opcodeWithREX returns a plain instruction's REX prefix (where needed),
// opcode and then the n bytes of tail (ModRM and what follows it), packed
// lowest first, and their count: at most eight. r, x and b are the
// register numbers whose high bits go in REX. It builds the bytes from the
// last to the first, each shift but the opcode's by a constant.
func (e enc) opcodeWithREX(r, x, b byte, tail uint64, n uint) (v uint64, k uint) {
	ops := uint(e.op >> 24)
	v, k = tail<<(ops*8)|uint64(e.op&0xFFFFFF), n+ops
	rex := r>>3&1<<2 | x>>3&1<<1 | b>>3&1
	if e.w {
		rex |= 8
	}
	if rex != 0 || e.force {
		v, k = v<<8|uint64(0x40|rex), k+1
	}
	return v, k
}

// emit appends the first k bytes of v, lowest first: k is at most eight.
func (a *Asm) emit(v uint64, k uint) {
	n := len(a.b)
	if cap(a.b)-n < maxInstr {
		a.grow()
	}
	binary.LittleEndian.PutUint64(a.b[n:n+8], v)
	a.b = a.b[:n+int(k&15)]
}

// grow makes room for an instruction: the rare path of room, emit and
// putWithDisp.
//
//go:noinline
func (a *Asm) grow() { a.b = slices.Grow(a.b, maxInstr) }

// rmBase is rm's common path: a plain encoding with the operand [base +
// disp], built in a register and stored at once (the encoder's most
// frequent instructions: loads and stores of frame slots). Written a
// byte at a time through the general path, each byte was a bounds check
// and a store behind a chain of calls.
func (a *Asm) rmBase(e enc, reg, base byte, disp int32) {
	modrm := reg&7<<3 | base&7
	var dispLen uint
	switch {
	case disp == 0 && base&7 != 5: // rbp and r13 need a displacement
	case fitsInt8(int64(disp)):
		modrm |= 1 << 6
		dispLen = 1
	default:
		modrm |= 2 << 6
		dispLen = 4
	}
	tail, n := uint64(modrm), uint(1)
	if base&7 == 4 { // rsp and r12 need a SIB byte: no index
		tail, n = uint64(modrm&^7|4)|uint64(4<<3|base&7)<<8, 2
	}
	v, k := e.opcodeWithREX(reg, 0, base, tail, n)
	a.putWithDisp(v, k, disp, dispLen)
}

// putWithDisp appends the first k bytes of v (at most seven) and then
// the first dispLen bytes of disp.
func (a *Asm) putWithDisp(v uint64, k uint, disp int32, dispLen uint) {
	at := len(a.b)
	if cap(a.b)-at < maxInstr {
		a.grow()
	}
	// At most seven bytes before the displacement, four in it: the
	// room that grow keeps holds both stores.
	room := (*[maxInstr]byte)(a.b[at : at+maxInstr])
	binary.LittleEndian.PutUint64(room[:8], v)
	binary.LittleEndian.PutUint32(room[k&7:], uint32(disp))
	a.b = a.b[:at+int(k&7+dispLen)]
}

// validScale says which SIB scales there are, and scaleBits what the
// field holds for each.
var (
	validScale = [9]bool{1: true, 2: true, 4: true, 8: true}
	scaleBits  = [9]byte{1: 0, 2: 1, 4: 2, 8: 3}
)

// rmIndex is rmBase for an operand with an index, [base + index*scale
// + disp], whose registers and scale are valid: a wasm memory access.
func (a *Asm) rmIndex(e enc, reg byte, m Mem) {
	base, index := byte(m.Base), byte(m.Index)
	modrm := reg&7<<3 | 4
	var dispLen uint
	switch {
	case m.Disp == 0 && base&7 != 5: // rbp and r13 need a displacement
	case fitsInt8(int64(m.Disp)):
		modrm |= 1 << 6
		dispLen = 1
	default:
		modrm |= 2 << 6
		dispLen = 4
	}
	sib := scaleBits[m.Scale%9]<<6 | index&7<<3 | base&7
	v, k := e.opcodeWithREX(reg, index, base, uint64(modrm)|uint64(sib)<<8, 2)
	a.putWithDisp(v, k, m.Disp, dispLen)
}

// String formats the operand in Intel syntax, e.g. "[rbx+rcx*4+0x10]".
func (m Mem) String() string {
	s := "["
	switch {
	case m.Label != nil:
		s += "rip+label"
	case m.RIP:
		s += "rip"
	default:
		s += m.Base.String()
		if m.HasIndex {
			s += fmt.Sprintf("+%v*%d", m.Index, m.Scale)
		}
	}
	if m.Disp != 0 {
		s += fmt.Sprintf("%+#x", m.Disp)
	}
	return s + "]"
}

// ---- Labels and control flow ----

// NewLabel returns an unbound label.
func (a *Asm) NewLabel() *Label {
	if a.nlab < len(a.labels) {
		l := a.labels[a.nlab]
		a.nlab++
		l.pos = -1
		l.fixups = l.fixups[:0]
		l.extern = false
		return l
	}
	l := &Label{pos: -1}
	a.labels = append(a.labels, l)
	a.nlab++
	return l
}

// NewExternLabel returns a label for a place in code assembled
// elsewhere, which this Asm never binds: code can be assembled in
// pieces, on several goroutines, and joined. The references to it are
// read back with References and resolved with Refer in the Asm the
// pieces are joined in. Finish leaves it alone.
func (a *Asm) NewExternLabel() *Label {
	l := a.NewLabel()
	l.extern = true
	return l
}

// References calls f with each 32-bit field emitted so far that refers
// to l, which is not bound: the field at at must hold
// l - (at + 4) + add.
func (a *Asm) References(l *Label, f func(at int, add int32)) {
	for _, x := range l.fixups {
		f(x.at, x.add)
	}
}

// Refer makes the 32-bit field at at, in code already emitted, refer to
// l as References described it: at once if l is bound, else when Bind
// binds it.
func (a *Asm) Refer(l *Label, at int, add int32) {
	if l.pos >= 0 {
		binary.LittleEndian.PutUint32(a.b[at:], uint32(int32(l.pos-(at+4))+add))
		return
	}
	l.fixups = append(l.fixups, fixup{at: at, add: add})
}

// Bind binds l to the current position and patches the references to it
// emitted so far.
func (a *Asm) Bind(l *Label) {
	if l.pos >= 0 {
		a.fail("label bound twice (first at %d)", l.pos)
		return
	}
	l.pos = len(a.b)
	for _, f := range l.fixups {
		binary.LittleEndian.PutUint32(a.b[f.at:], uint32(int32(l.pos-(f.at+4))+f.add))
	}
	l.fixups = l.fixups[:0]
}

// Bound reports whether l has been bound.
func (a *Asm) Bound(l *Label) bool { return l.pos >= 0 }

// Offset returns the position l is bound to, or -1 if it is not bound.
func (a *Asm) Offset(l *Label) int { return l.pos }

// labelRel32 appends a 32-bit field holding l - (end of field) + add.
func (a *Asm) labelRel32(l *Label, add int32) {
	at := len(a.b)
	if l.pos >= 0 {
		a.simm32(int32(l.pos-(at+4)) + add)
		return
	}
	l.fixups = append(l.fixups, fixup{at: at, add: add})
	a.imm32(0)
}

// Jmp emits jmp to l: rel8 when l is bound and near enough behind, rel32
// otherwise.
func (a *Asm) Jmp(l *Label) {
	if l.pos >= 0 {
		if d := int64(l.pos - (len(a.b) + 2)); fitsInt8(d) {
			a.b = append(a.b, 0xEB, byte(int8(d)))
			return
		}
	}
	a.byte1(0xE9)
	a.labelRel32(l, 0)
}

// Jmp32 emits jmp rel32 to l, whatever the distance: for code that is
// patched or measured later.
func (a *Asm) Jmp32(l *Label) {
	a.byte1(0xE9)
	a.labelRel32(l, 0)
}

// Jcc emits j<c> to l: rel8 when l is bound and near enough behind, rel32
// otherwise.
func (a *Asm) Jcc(c Cond, l *Label) {
	if c > 15 {
		a.fail("condition %d", c)
		return
	}
	if l.pos >= 0 {
		if d := int64(l.pos - (len(a.b) + 2)); fitsInt8(d) {
			a.b = append(a.b, 0x70|byte(c), byte(int8(d)))
			return
		}
	}
	a.b = append(a.b, 0x0F, 0x80|byte(c))
	a.labelRel32(l, 0)
}

// Call emits call rel32 to l.
func (a *Asm) Call(l *Label) {
	a.byte1(0xE8)
	a.labelRel32(l, 0)
}

// CallRel emits call rel32 to the offset target in this buffer. A target
// not yet known can be given as anything and fixed later with
// PatchRel32(Len()-4, target), Len taken right after CallRel.
func (a *Asm) CallRel(target int) {
	a.byte1(0xE8)
	a.simm32(int32(target - (len(a.b) + 4)))
}

// JmpRel emits jmp rel32 to the offset target in this buffer, as CallRel.
func (a *Asm) JmpRel(target int) {
	a.byte1(0xE9)
	a.simm32(int32(target - (len(a.b) + 4)))
}

// JccRel emits j<c> rel32 to the offset target in this buffer, as
// CallRel.
func (a *Asm) JccRel(c Cond, target int) {
	if c > 15 {
		a.fail("condition %d", c)
		return
	}
	a.b = append(a.b, 0x0F, 0x80|byte(c))
	a.simm32(int32(target - (len(a.b) + 4)))
}

// PatchRel32 rewrites the rel32 field whose four bytes start at at so that
// it reaches target.
func (a *Asm) PatchRel32(at int, target int) {
	if at < 0 || at+4 > len(a.b) {
		a.fail("rel32 field at %d is outside the code (length %d)", at, len(a.b))
		return
	}
	binary.LittleEndian.PutUint32(a.b[at:], uint32(int32(target-(at+4))))
}

// LeaLabel emits lea dst, [rip + l]: the address of l.
func (a *Asm) LeaLabel(dst Reg, l *Label) { a.Lea(W64, dst, LabelMem(l, 0)) }

// AddLabelOffset32 appends the 32-bit signed value l - base as data: an
// entry of a jump table whose entries are relative to base. Finish writes
// the value once both labels are bound.
func (a *Asm) AddLabelOffset32(l, base *Label) {
	a.data = append(a.data, dataFixup{at: len(a.b), l: l, base: base})
	a.imm32(0)
}

// JmpTable jumps through a table of AddLabelOffset32(target, table)
// entries bound at table:
//
//	lea     scratch, [rip + table]
//	movsxd  index, dword [scratch + index*4]
//	add     scratch, index
//	jmp     scratch
//
// index, a 32-bit value already checked against the table's length, is
// clobbered, as is scratch.
func (a *Asm) JmpTable(index, scratch Reg, table *Label) {
	a.LeaLabel(scratch, table)
	a.rm(enc{encFlags: encFlags{w: true}, op: o1(0x63)}, byte(index), MI(scratch, index, 4, 0), 0)
	a.Alu(AluAdd, W64, scratch, index)
	a.JmpReg(scratch)
}

// nops are the recommended multi-byte NOPs (SDM Vol. 2, NOP), by length.
var nops = [10][]byte{
	1: {0x90},
	2: {0x66, 0x90},
	3: {0x0F, 0x1F, 0x00},
	4: {0x0F, 0x1F, 0x40, 0x00},
	5: {0x0F, 0x1F, 0x44, 0x00, 0x00},
	6: {0x66, 0x0F, 0x1F, 0x44, 0x00, 0x00},
	7: {0x0F, 0x1F, 0x80, 0x00, 0x00, 0x00, 0x00},
	8: {0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
	9: {0x66, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
}

// AlignTo pads with as few NOPs as possible up to a multiple of n, a power
// of two.
func (a *Asm) AlignTo(n int) {
	if n <= 0 || n&(n-1) != 0 {
		a.fail("alignment %d is not a power of two", n)
		return
	}
	pad := -len(a.b) & (n - 1)
	for pad > 0 {
		k := min(pad, 9)
		a.b = append(a.b, nops[k]...)
		pad -= k
	}
}
