package amd64

// SSEOp names an SSE instruction (up to SSE4.1) by its encoding: mandatory
// prefix, escape bytes, opcode byte, the ModRM extension of the
// shift-by-immediate forms, and how its operands are used. The methods
// SSE, SSELoad, SSEImm, SSEStore, SSEShiftImm and SSEToGPR each take the
// ops of their own form and record an error for the others.
type SSEOp uint32

// Fields of an SSEOp.
const (
	sseOpcode = 0xFF // opcode byte

	ssePfxShift = 8 // mandatory prefix
	sseNoPfx    = 0 << ssePfxShift
	sse66       = 1 << ssePfxShift
	sseF3       = 2 << ssePfxShift
	sseF2       = 3 << ssePfxShift

	sseEscShift = 10 // escape after 0F
	sse0F       = 0 << sseEscShift
	sse0F38     = 1 << sseEscShift
	sse0F3A     = 2 << sseEscShift

	sseExtShift = 12 // ModRM.reg of the shift-by-immediate forms

	sseImm      = 1 << 16 // takes an imm8: SSEImm
	sseStore    = 1 << 17 // xmm to memory: SSEStore
	sseToGPR    = 1 << 18 // xmm to general register: SSEToGPR
	sseShiftImm = 1 << 19 // shift by immediate: SSEShiftImm
	sseRegOnly  = 1 << 20 // the memory form is another instruction
	sseMemOnly  = 1 << 21 // the register form is another instruction
)

func (op SSEOp) has(f SSEOp) bool { return op&f != 0 }

// Scalar and packed floating point, moves.
const (
	Movss       = SSEOp(sseF3 | sse0F | 0x10) // movss x, x/m32 (a load zeroes the upper lanes)
	Movsd       = SSEOp(sseF2 | sse0F | 0x10) // movsd x, x/m64
	MovssStore  = SSEOp(sseF3 | sse0F | 0x11 | sseStore)
	MovsdStore  = SSEOp(sseF2 | sse0F | 0x11 | sseStore)
	Movups      = SSEOp(sse0F | 0x10)
	MovupsStore = SSEOp(sse0F | 0x11 | sseStore)
	Movaps      = SSEOp(sse0F | 0x28)
	MovapsStore = SSEOp(sse0F | 0x29 | sseStore)
	Movdqu      = SSEOp(sseF3 | sse0F | 0x6F)
	MovdquStore = SSEOp(sseF3 | sse0F | 0x7F | sseStore)
	Movdqa      = SSEOp(sse66 | sse0F | 0x6F)
	MovdqaStore = SSEOp(sse66 | sse0F | 0x7F | sseStore)
	Movq        = SSEOp(sseF3 | sse0F | 0x7E)            // movq x, x/m64: the low lane, the upper one zeroed
	MovqStore   = SSEOp(sse66 | sse0F | 0xD6 | sseStore) // movq m64, x
	Movlhps     = SSEOp(sse0F | 0x16 | sseRegOnly)
	Movhlps     = SSEOp(sse0F | 0x12 | sseRegOnly)
	Movhps      = SSEOp(sse0F | 0x16 | sseMemOnly) // movhps x, m64
	Movlps      = SSEOp(sse0F | 0x12 | sseMemOnly) // movlps x, m64
	MovhpsStore = SSEOp(sse0F | 0x17 | sseStore)   // movhps m64, x
	MovlpsStore = SSEOp(sse0F | 0x13 | sseStore)   // movlps m64, x

	Addss  = SSEOp(sseF3 | sse0F | 0x58)
	Addsd  = SSEOp(sseF2 | sse0F | 0x58)
	Subss  = SSEOp(sseF3 | sse0F | 0x5C)
	Subsd  = SSEOp(sseF2 | sse0F | 0x5C)
	Mulss  = SSEOp(sseF3 | sse0F | 0x59)
	Mulsd  = SSEOp(sseF2 | sse0F | 0x59)
	Divss  = SSEOp(sseF3 | sse0F | 0x5E)
	Divsd  = SSEOp(sseF2 | sse0F | 0x5E)
	Minss  = SSEOp(sseF3 | sse0F | 0x5D)
	Minsd  = SSEOp(sseF2 | sse0F | 0x5D)
	Maxss  = SSEOp(sseF3 | sse0F | 0x5F)
	Maxsd  = SSEOp(sseF2 | sse0F | 0x5F)
	Sqrtss = SSEOp(sseF3 | sse0F | 0x51)
	Sqrtsd = SSEOp(sseF2 | sse0F | 0x51)

	Ucomiss = SSEOp(sse0F | 0x2E)
	Ucomisd = SSEOp(sse66 | sse0F | 0x2E)

	Cvtss2sd  = SSEOp(sseF3 | sse0F | 0x5A)
	Cvtsd2ss  = SSEOp(sseF2 | sse0F | 0x5A)
	Cvtdq2ps  = SSEOp(sse0F | 0x5B)
	Cvtps2dq  = SSEOp(sse66 | sse0F | 0x5B)
	Cvttps2dq = SSEOp(sseF3 | sse0F | 0x5B)
	Cvtdq2pd  = SSEOp(sseF3 | sse0F | 0xE6)
	Cvtps2pd  = SSEOp(sse0F | 0x5A)
	Cvtpd2ps  = SSEOp(sse66 | sse0F | 0x5A)
	Cvttpd2dq = SSEOp(sse66 | sse0F | 0xE6)

	Andps  = SSEOp(sse0F | 0x54)
	Andpd  = SSEOp(sse66 | sse0F | 0x54)
	Andnps = SSEOp(sse0F | 0x55)
	Andnpd = SSEOp(sse66 | sse0F | 0x55)
	Orps   = SSEOp(sse0F | 0x56)
	Orpd   = SSEOp(sse66 | sse0F | 0x56)
	Xorps  = SSEOp(sse0F | 0x57)
	Xorpd  = SSEOp(sse66 | sse0F | 0x57)

	// The rounding mode is the imm8: 0 nearest, 1 down, 2 up, 3 toward
	// zero; add 8 to suppress the precision exception.
	Roundss = SSEOp(sse66 | sse0F3A | 0x0A | sseImm)
	Roundsd = SSEOp(sse66 | sse0F3A | 0x0B | sseImm)
	Roundps = SSEOp(sse66 | sse0F3A | 0x08 | sseImm)
	Roundpd = SSEOp(sse66 | sse0F3A | 0x09 | sseImm)

	Addps  = SSEOp(sse0F | 0x58)
	Addpd  = SSEOp(sse66 | sse0F | 0x58)
	Subps  = SSEOp(sse0F | 0x5C)
	Subpd  = SSEOp(sse66 | sse0F | 0x5C)
	Mulps  = SSEOp(sse0F | 0x59)
	Mulpd  = SSEOp(sse66 | sse0F | 0x59)
	Divps  = SSEOp(sse0F | 0x5E)
	Divpd  = SSEOp(sse66 | sse0F | 0x5E)
	Minps  = SSEOp(sse0F | 0x5D)
	Minpd  = SSEOp(sse66 | sse0F | 0x5D)
	Maxps  = SSEOp(sse0F | 0x5F)
	Maxpd  = SSEOp(sse66 | sse0F | 0x5F)
	Sqrtps = SSEOp(sse0F | 0x51)
	Sqrtpd = SSEOp(sse66 | sse0F | 0x51)

	// The predicate is the imm8: 0 eq, 1 lt, 2 le, 3 unord, 4 neq, 5 nlt,
	// 6 nle, 7 ord.
	Cmpps = SSEOp(sse0F | 0xC2 | sseImm)
	Cmppd = SSEOp(sse66 | sse0F | 0xC2 | sseImm)
	Cmpss = SSEOp(sseF3 | sse0F | 0xC2 | sseImm)
	Cmpsd = SSEOp(sseF2 | sse0F | 0xC2 | sseImm)

	Shufps   = SSEOp(sse0F | 0xC6 | sseImm)
	Shufpd   = SSEOp(sse66 | sse0F | 0xC6 | sseImm)
	Unpcklps = SSEOp(sse0F | 0x14)
	Unpckhps = SSEOp(sse0F | 0x15)
	Unpcklpd = SSEOp(sse66 | sse0F | 0x14)
	Unpckhpd = SSEOp(sse66 | sse0F | 0x15)

	Movmskps = SSEOp(sse0F | 0x50 | sseToGPR)
	Movmskpd = SSEOp(sse66 | sse0F | 0x50 | sseToGPR)

	// Blendvps, Blendvpd and Pblendvb take their mask in XMM0.
	Blendvps = SSEOp(sse66 | sse0F38 | 0x14)
	Blendvpd = SSEOp(sse66 | sse0F38 | 0x15)
	Blendps  = SSEOp(sse66 | sse0F3A | 0x0C | sseImm)
	Blendpd  = SSEOp(sse66 | sse0F3A | 0x0D | sseImm)
	Insertps = SSEOp(sse66 | sse0F3A | 0x21 | sseImm)
)

// Integer SIMD.
const (
	Pand  = SSEOp(sse66 | sse0F | 0xDB)
	Pandn = SSEOp(sse66 | sse0F | 0xDF)
	Por   = SSEOp(sse66 | sse0F | 0xEB)
	Pxor  = SSEOp(sse66 | sse0F | 0xEF)

	Paddb   = SSEOp(sse66 | sse0F | 0xFC)
	Paddw   = SSEOp(sse66 | sse0F | 0xFD)
	Paddd   = SSEOp(sse66 | sse0F | 0xFE)
	Paddq   = SSEOp(sse66 | sse0F | 0xD4)
	Psubb   = SSEOp(sse66 | sse0F | 0xF8)
	Psubw   = SSEOp(sse66 | sse0F | 0xF9)
	Psubd   = SSEOp(sse66 | sse0F | 0xFA)
	Psubq   = SSEOp(sse66 | sse0F | 0xFB)
	Paddsb  = SSEOp(sse66 | sse0F | 0xEC)
	Paddsw  = SSEOp(sse66 | sse0F | 0xED)
	Paddusb = SSEOp(sse66 | sse0F | 0xDC)
	Paddusw = SSEOp(sse66 | sse0F | 0xDD)
	Psubsb  = SSEOp(sse66 | sse0F | 0xE8)
	Psubsw  = SSEOp(sse66 | sse0F | 0xE9)
	Psubusb = SSEOp(sse66 | sse0F | 0xD8)
	Psubusw = SSEOp(sse66 | sse0F | 0xD9)

	Pmullw    = SSEOp(sse66 | sse0F | 0xD5)
	Pmulld    = SSEOp(sse66 | sse0F38 | 0x40)
	Pmulhw    = SSEOp(sse66 | sse0F | 0xE5)
	Pmulhuw   = SSEOp(sse66 | sse0F | 0xE4)
	Pmuludq   = SSEOp(sse66 | sse0F | 0xF4)
	Pmuldq    = SSEOp(sse66 | sse0F38 | 0x28)
	Pmaddwd   = SSEOp(sse66 | sse0F | 0xF5)
	Pmaddubsw = SSEOp(sse66 | sse0F38 | 0x04)
	Pmulhrsw  = SSEOp(sse66 | sse0F38 | 0x0B)
	Phaddw    = SSEOp(sse66 | sse0F38 | 0x01)
	Phaddd    = SSEOp(sse66 | sse0F38 | 0x02)
	Psadbw    = SSEOp(sse66 | sse0F | 0xF6)

	Pcmpeqb = SSEOp(sse66 | sse0F | 0x74)
	Pcmpeqw = SSEOp(sse66 | sse0F | 0x75)
	Pcmpeqd = SSEOp(sse66 | sse0F | 0x76)
	Pcmpeqq = SSEOp(sse66 | sse0F38 | 0x29)
	Pcmpgtb = SSEOp(sse66 | sse0F | 0x64)
	Pcmpgtw = SSEOp(sse66 | sse0F | 0x65)
	Pcmpgtd = SSEOp(sse66 | sse0F | 0x66)
	Pcmpgtq = SSEOp(sse66 | sse0F38 | 0x37)

	Pminsb = SSEOp(sse66 | sse0F38 | 0x38)
	Pminsw = SSEOp(sse66 | sse0F | 0xEA)
	Pminsd = SSEOp(sse66 | sse0F38 | 0x39)
	Pminub = SSEOp(sse66 | sse0F | 0xDA)
	Pminuw = SSEOp(sse66 | sse0F38 | 0x3A)
	Pminud = SSEOp(sse66 | sse0F38 | 0x3B)
	Pmaxsb = SSEOp(sse66 | sse0F38 | 0x3C)
	Pmaxsw = SSEOp(sse66 | sse0F | 0xEE)
	Pmaxsd = SSEOp(sse66 | sse0F38 | 0x3D)
	Pmaxub = SSEOp(sse66 | sse0F | 0xDE)
	Pmaxuw = SSEOp(sse66 | sse0F38 | 0x3E)
	Pmaxud = SSEOp(sse66 | sse0F38 | 0x3F)

	Pavgb  = SSEOp(sse66 | sse0F | 0xE0)
	Pavgw  = SSEOp(sse66 | sse0F | 0xE3)
	Pabsb  = SSEOp(sse66 | sse0F38 | 0x1C)
	Pabsw  = SSEOp(sse66 | sse0F38 | 0x1D)
	Pabsd  = SSEOp(sse66 | sse0F38 | 0x1E)
	Psignb = SSEOp(sse66 | sse0F38 | 0x08)
	Psignw = SSEOp(sse66 | sse0F38 | 0x09)
	Psignd = SSEOp(sse66 | sse0F38 | 0x0A)

	Pshufb  = SSEOp(sse66 | sse0F38 | 0x00)
	Pshufd  = SSEOp(sse66 | sse0F | 0x70 | sseImm)
	Pshuflw = SSEOp(sseF2 | sse0F | 0x70 | sseImm)
	Pshufhw = SSEOp(sseF3 | sse0F | 0x70 | sseImm)
	Palignr = SSEOp(sse66 | sse0F3A | 0x0F | sseImm)

	Punpcklbw  = SSEOp(sse66 | sse0F | 0x60)
	Punpcklwd  = SSEOp(sse66 | sse0F | 0x61)
	Punpckldq  = SSEOp(sse66 | sse0F | 0x62)
	Punpcklqdq = SSEOp(sse66 | sse0F | 0x6C)
	Punpckhbw  = SSEOp(sse66 | sse0F | 0x68)
	Punpckhwd  = SSEOp(sse66 | sse0F | 0x69)
	Punpckhdq  = SSEOp(sse66 | sse0F | 0x6A)
	Punpckhqdq = SSEOp(sse66 | sse0F | 0x6D)

	Packsswb = SSEOp(sse66 | sse0F | 0x63)
	Packssdw = SSEOp(sse66 | sse0F | 0x6B)
	Packuswb = SSEOp(sse66 | sse0F | 0x67)
	Packusdw = SSEOp(sse66 | sse0F38 | 0x2B)

	Pmovsxbw = SSEOp(sse66 | sse0F38 | 0x20)
	Pmovsxbd = SSEOp(sse66 | sse0F38 | 0x21)
	Pmovsxbq = SSEOp(sse66 | sse0F38 | 0x22)
	Pmovsxwd = SSEOp(sse66 | sse0F38 | 0x23)
	Pmovsxwq = SSEOp(sse66 | sse0F38 | 0x24)
	Pmovsxdq = SSEOp(sse66 | sse0F38 | 0x25)
	Pmovzxbw = SSEOp(sse66 | sse0F38 | 0x30)
	Pmovzxbd = SSEOp(sse66 | sse0F38 | 0x31)
	Pmovzxbq = SSEOp(sse66 | sse0F38 | 0x32)
	Pmovzxwd = SSEOp(sse66 | sse0F38 | 0x33)
	Pmovzxwq = SSEOp(sse66 | sse0F38 | 0x34)
	Pmovzxdq = SSEOp(sse66 | sse0F38 | 0x35)

	Pmovmskb = SSEOp(sse66 | sse0F | 0xD7 | sseToGPR)
	Ptest    = SSEOp(sse66 | sse0F38 | 0x17)
	Pblendvb = SSEOp(sse66 | sse0F38 | 0x10) // mask in XMM0
	Pblendw  = SSEOp(sse66 | sse0F3A | 0x0E | sseImm)

	// Shifts by the count in the low quadword of an xmm register.
	Psllw = SSEOp(sse66 | sse0F | 0xF1)
	Pslld = SSEOp(sse66 | sse0F | 0xF2)
	Psllq = SSEOp(sse66 | sse0F | 0xF3)
	Psrlw = SSEOp(sse66 | sse0F | 0xD1)
	Psrld = SSEOp(sse66 | sse0F | 0xD2)
	Psrlq = SSEOp(sse66 | sse0F | 0xD3)
	Psraw = SSEOp(sse66 | sse0F | 0xE1)
	Psrad = SSEOp(sse66 | sse0F | 0xE2)

	// Shifts by an immediate, for SSEShiftImm: 66 0F 71/72/73 /ext ib.
	// PslldqImm and PsrldqImm shift whole bytes.
	PsllwImm  = SSEOp(sse66 | sse0F | 0x71 | 6<<sseExtShift | sseShiftImm)
	PslldImm  = SSEOp(sse66 | sse0F | 0x72 | 6<<sseExtShift | sseShiftImm)
	PsllqImm  = SSEOp(sse66 | sse0F | 0x73 | 6<<sseExtShift | sseShiftImm)
	PsrlwImm  = SSEOp(sse66 | sse0F | 0x71 | 2<<sseExtShift | sseShiftImm)
	PsrldImm  = SSEOp(sse66 | sse0F | 0x72 | 2<<sseExtShift | sseShiftImm)
	PsrlqImm  = SSEOp(sse66 | sse0F | 0x73 | 2<<sseExtShift | sseShiftImm)
	PsrawImm  = SSEOp(sse66 | sse0F | 0x71 | 4<<sseExtShift | sseShiftImm)
	PsradImm  = SSEOp(sse66 | sse0F | 0x72 | 4<<sseExtShift | sseShiftImm)
	PsrldqImm = SSEOp(sse66 | sse0F | 0x73 | 3<<sseExtShift | sseShiftImm)
	PslldqImm = SSEOp(sse66 | sse0F | 0x73 | 7<<sseExtShift | sseShiftImm)
)

// sseEnc returns the prefix, escape and opcode of op, with REX.W if w.
func sseEnc(op SSEOp, w bool) enc {
	e := enc{encFlags: encFlags{w: w}}
	switch op >> ssePfxShift & 3 {
	case 1:
		e.p66 = true
	case 2:
		e.pfx = 0xF3
	case 3:
		e.pfx = 0xF2
	}
	c := byte(op & sseOpcode)
	switch op >> sseEscShift & 3 {
	case 0:
		e.op = o2(0x0F, c)
	case 1:
		e.op = o3(0x0F, 0x38, c)
	case 2:
		e.op = o3(0x0F, 0x3A, c)
	}
	return e
}

// sseCheck records an error unless op has exactly the form bits of want.
func (a *Asm) sseCheck(op SSEOp, want SSEOp, method string) bool {
	const forms = sseImm | sseStore | sseToGPR | sseShiftImm
	if op&forms != want || op>>sseEscShift&3 == 3 || op>>22 != 0 {
		a.fail("%s cannot encode SSE op %#x", method, uint32(op))
		return false
	}
	return true
}

// SSE emits op dst, src between xmm registers.
func (a *Asm) SSE(op SSEOp, dst, src XReg) {
	if op.has(sseMemOnly) {
		a.fail("SSE op %#x has no register form", uint32(op))
		return
	}
	if a.sseCheck(op, 0, "SSE") {
		a.rr(sseEnc(op, false), byte(dst), byte(src))
	}
}

// SSELoad emits op dst, [m]: a load (Movss, Movsd, Movdqu, Movq, ...) or
// an operation with a memory source.
func (a *Asm) SSELoad(op SSEOp, dst XReg, m Mem) {
	if op.has(sseRegOnly) {
		a.fail("SSE op %#x has no memory form", uint32(op))
		return
	}
	if a.sseCheck(op, 0, "SSELoad") {
		a.rm(sseEnc(op, false), byte(dst), m, 0)
	}
}

// SSEImm emits op dst, src, imm8.
func (a *Asm) SSEImm(op SSEOp, dst, src XReg, imm uint8) {
	if a.sseCheck(op, sseImm, "SSEImm") {
		a.rr(sseEnc(op, false), byte(dst), byte(src))
		a.byte1(imm)
	}
}

// SSELoadImm emits op dst, [m], imm8.
func (a *Asm) SSELoadImm(op SSEOp, dst XReg, m Mem, imm uint8) {
	if a.sseCheck(op, sseImm, "SSELoadImm") {
		a.rm(sseEnc(op, false), byte(dst), m, 1)
		a.byte1(imm)
	}
}

// SSEStore emits op [m], src for the store forms (MovssStore, MovsdStore,
// MovupsStore, MovdquStore, ...).
func (a *Asm) SSEStore(op SSEOp, m Mem, src XReg) {
	if a.sseCheck(op, sseStore, "SSEStore") {
		a.rm(sseEnc(op, false), byte(src), m, 0)
	}
}

// SSEShiftImm emits op dst, n for the shift-by-immediate ops (PsllwImm,
// ..., PsrldqImm).
func (a *Asm) SSEShiftImm(op SSEOp, dst XReg, n uint8) {
	if a.sseCheck(op, sseShiftImm, "SSEShiftImm") {
		a.rr(sseEnc(op, false), byte(op>>sseExtShift&7), byte(dst))
		a.byte1(n)
	}
}

// SSEToGPR emits op dst, src for the ops whose destination is a general
// register (Pmovmskb, Movmskps, Movmskpd), writing 32 bits of it.
func (a *Asm) SSEToGPR(op SSEOp, dst Reg, src XReg) {
	if a.sseCheck(op, sseToGPR, "SSEToGPR") {
		a.rr(sseEnc(op, false), byte(dst), byte(src))
	}
}

// gprX returns the encoding of a 66 0F op between an xmm register and a
// 32- or 64-bit general register.
func (a *Asm) gprX(w Width, pfx byte, op byte) (enc, bool) {
	if w != W32 && w != W64 {
		a.fail("width %d between a general and an xmm register", w)
		return enc{}, false
	}
	e := enc{encFlags: encFlags{w: w == W64}, op: o2(0x0F, op)}
	if pfx == 0x66 {
		e.p66 = true
	} else {
		e.pfx = pfx
	}
	return e, true
}

// MovqToX emits movd dst, r32 (66 0F 6E /r) or movq dst, r64 (66 REX.W 0F
// 6E /r), zeroing the rest of dst.
func (a *Asm) MovqToX(w Width, dst XReg, src Reg) {
	if e, ok := a.gprX(w, 0x66, 0x6E); ok {
		a.rr(e, byte(dst), byte(src))
	}
}

// MovqFromX emits movd r32, src (66 0F 7E /r) or movq r64, src (66 REX.W
// 0F 7E /r).
func (a *Asm) MovqFromX(w Width, dst Reg, src XReg) {
	if e, ok := a.gprX(w, 0x66, 0x7E); ok {
		a.rr(e, byte(src), byte(dst))
	}
}

// Cvtsi2s emits cvtsi2sd (double) or cvtsi2ss dst, src from a signed
// 32- or 64-bit integer (F2/F3 0F 2A /r). It writes only the low lane of
// dst.
func (a *Asm) Cvtsi2s(double bool, w Width, dst XReg, src Reg) {
	if e, ok := a.gprX(w, scalarPfx(double), 0x2A); ok {
		a.rr(e, byte(dst), byte(src))
	}
}

// Cvtts2si emits cvttsd2si (double) or cvttss2si dst, src into a signed
// 32- or 64-bit integer, truncating (F2/F3 0F 2C /r). Out of range and
// NaN give the integer indefinite, 1<<(bits-1).
func (a *Asm) Cvtts2si(double bool, w Width, dst Reg, src XReg) {
	if e, ok := a.gprX(w, scalarPfx(double), 0x2C); ok {
		a.rr(e, byte(dst), byte(src))
	}
}

func scalarPfx(double bool) byte {
	if double {
		return 0xF2
	}
	return 0xF3
}

// Pextr emits pextrb/pextrw/pextrd/pextrq dst, src, lane: lane of src,
// zero-extended into dst. (pextrw is 66 0F C5 /r ib; the others 66 0F 3A
// 14/16 /r ib, REX.W for pextrq.)
func (a *Asm) Pextr(w Width, dst Reg, src XReg, lane uint8) {
	switch w {
	case W8:
		a.rr(enc{encFlags: encFlags{p66: true}, op: o3(0x0F, 0x3A, 0x14)}, byte(src), byte(dst))
	case W16:
		a.rr(enc{encFlags: encFlags{p66: true}, op: o2(0x0F, 0xC5)}, byte(dst), byte(src))
	case W32, W64:
		a.rr(enc{encFlags: encFlags{p66: true, w: w == W64}, op: o3(0x0F, 0x3A, 0x16)}, byte(src), byte(dst))
	default:
		a.fail("pextr width %d", w)
		return
	}
	a.byte1(lane)
}

// Pinsr emits pinsrb/pinsrw/pinsrd/pinsrq dst, src, lane: the low w bytes
// of src into lane of dst. (pinsrw is 66 0F C4 /r ib; the others 66 0F 3A
// 20/22 /r ib, REX.W for pinsrq.)
func (a *Asm) Pinsr(w Width, dst XReg, src Reg, lane uint8) {
	switch w {
	case W8:
		a.rr(enc{encFlags: encFlags{p66: true}, op: o3(0x0F, 0x3A, 0x20)}, byte(dst), byte(src))
	case W16:
		a.rr(enc{encFlags: encFlags{p66: true}, op: o2(0x0F, 0xC4)}, byte(dst), byte(src))
	case W32, W64:
		a.rr(enc{encFlags: encFlags{p66: true, w: w == W64}, op: o3(0x0F, 0x3A, 0x22)}, byte(dst), byte(src))
	default:
		a.fail("pinsr width %d", w)
		return
	}
	a.byte1(lane)
}

// PinsrLoad emits pinsrb/pinsrw/pinsrd/pinsrq dst, [m], lane: w bytes
// from memory into lane of dst.
func (a *Asm) PinsrLoad(w Width, dst XReg, m Mem, lane uint8) {
	switch w {
	case W8:
		a.rm(enc{encFlags: encFlags{p66: true}, op: o3(0x0F, 0x3A, 0x20)}, byte(dst), m, 1)
	case W16:
		a.rm(enc{encFlags: encFlags{p66: true}, op: o2(0x0F, 0xC4)}, byte(dst), m, 1)
	case W32, W64:
		a.rm(enc{encFlags: encFlags{p66: true, w: w == W64}, op: o3(0x0F, 0x3A, 0x22)}, byte(dst), m, 1)
	default:
		a.fail("pinsr width %d", w)
		return
	}
	a.byte1(lane)
}

// PextrStore emits pextrb/pextrw/pextrd/pextrq [m], src, lane: lane of
// src to memory (66 0F 3A 14/15/16 /r ib).
func (a *Asm) PextrStore(w Width, m Mem, src XReg, lane uint8) {
	var c byte
	switch w {
	case W8:
		c = 0x14
	case W16:
		c = 0x15
	case W32, W64:
		c = 0x16
	default:
		a.fail("pextr width %d", w)
		return
	}
	a.rm(enc{encFlags: encFlags{p66: true, w: w == W64}, op: o3(0x0F, 0x3A, c)}, byte(src), m, 1)
	a.byte1(lane)
}

// VLoad256 emits vmovdqu ymm dst, [m] (VEX.256.F3.0F 6F): 32 bytes, of
// any alignment. Only code whose host has AVX enabled may use it.
func (a *Asm) VLoad256(dst XReg, m Mem) {
	a.rm(enc{encFlags: encFlags{vex256: true}, pfx: 0xF3, op: o1(0x6F)}, byte(dst), m, 0)
}

// VStore256 emits vmovdqu [m], ymm src (VEX.256.F3.0F 7F).
func (a *Asm) VStore256(m Mem, src XReg) {
	a.rm(enc{encFlags: encFlags{vex256: true}, pfx: 0xF3, op: o1(0x7F)}, byte(src), m, 0)
}

// Vzeroupper emits vzeroupper (VEX.128.0F 77), which code that used the
// upper halves of the YMM registers runs before SSE code may: on some
// cores SSE instructions are slowed while the upper halves are dirty.
func (a *Asm) Vzeroupper() { a.b = append(a.b, 0xC5, 0xF8, 0x77) }
