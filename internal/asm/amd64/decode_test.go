package amd64

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/arch/x86/x86asm"
)

// The tests describe each instruction in a plain Intel syntax of their
// own ("add r8d, dword [rsp+rcx*4+0x10]") and compare it with what
// x86asm decodes from the emitted bytes, rendered the same way. The
// expected text is built from the operands the test passes, never from
// the encoder's output.

var (
	names64 = [16]string{"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"}
	names32 = [16]string{"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d"}
	names16 = [16]string{"ax", "cx", "dx", "bx", "sp", "bp", "si", "di", "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w"}
	names8  = [16]string{"al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil", "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b"}
)

// gpr names r at width w.
func gpr(w Width, r Reg) string {
	switch w {
	case W8:
		return names8[r]
	case W16:
		return names16[r]
	case W32:
		return names32[r]
	}
	return names64[r]
}

// imm renders v as an operand of size bytes sees it: truncated, unsigned.
// Size 0 (no register or memory first operand) keeps 64 bits.
func imm(size int, v int64) string {
	if size > 0 && size < 8 {
		v &= 1<<(8*size) - 1
	}
	return fmt.Sprintf("%#x", uint64(v))
}

func xmm(x XReg) string { return fmt.Sprintf("xmm%d", x) }

var sizeNames = map[int]string{1: "byte", 2: "word", 4: "dword", 8: "qword", 16: "xmmword"}

// mem renders m as the tests expect decoded operands: size (if any),
// then [base+index*scale+disp].
func mem(size int, m Mem) string {
	s := ""
	if size != 0 {
		s = sizeNames[size] + " "
	}
	if m.RIP {
		s += "[rip"
	} else {
		s += "[" + names64[m.Base]
		if m.HasIndex {
			s += fmt.Sprintf("+%s*%d", names64[m.Index], m.Scale)
		}
	}
	if m.Disp != 0 {
		s += fmt.Sprintf("%+#x", m.Disp)
	}
	return s + "]"
}

// regName renders a decoded register in the tests' names.
func regName(r x86asm.Reg) string {
	s := strings.ToLower(r.String())
	switch {
	case s == "spb", s == "bpb", s == "sib", s == "dib":
		return s[:2] + "l"
	case strings.HasPrefix(s, "r") && strings.HasSuffix(s, "l") && len(s) > 2 && s[1] >= '0' && s[1] <= '9':
		return s[:len(s)-1] + "d"
	case strings.HasPrefix(s, "x") && len(s) <= 3:
		return "xmm" + s[1:]
	case strings.HasPrefix(s, "y") && len(s) <= 3:
		return "ymm" + s[1:]
	}
	return s
}

// render formats a decoded instruction. withSize adds the memory operand's
// size; the tests leave it out for SSE, where x86asm's tables, not the
// encoding, decide it.
func render(inst x86asm.Inst, withSize bool) string {
	op := strings.ToLower(inst.Op.String())
	op = strings.TrimSuffix(op, "_xmm")
	var args []string
	size := 0 // of the first operand: immediates are shown truncated to it
	switch v := inst.Args[0].(type) {
	case x86asm.Reg:
		switch {
		case v >= x86asm.AL && v <= x86asm.R15B:
			size = 1
		case v >= x86asm.AX && v <= x86asm.R15W:
			size = 2
		case v >= x86asm.EAX && v <= x86asm.R15L:
			size = 4
		case v >= x86asm.RAX && v <= x86asm.R15:
			size = 8
		}
	case x86asm.Mem:
		size = inst.MemBytes
	}
	for _, arg := range inst.Args {
		if arg == nil {
			break
		}
		switch v := arg.(type) {
		case x86asm.Reg:
			args = append(args, regName(v))
		case x86asm.Mem:
			s := ""
			if withSize && inst.MemBytes != 0 && inst.Op != x86asm.LEA {
				s = sizeNames[inst.MemBytes] + " "
			}
			switch {
			case v.Base == x86asm.RIP:
				s += "[rip"
			default:
				s += "[" + regName(v.Base)
			}
			if v.Scale != 0 && v.Index != 0 {
				s += fmt.Sprintf("+%s*%d", regName(v.Index), v.Scale)
			}
			if v.Disp != 0 {
				s += fmt.Sprintf("%+#x", v.Disp)
			}
			args = append(args, s+"]")
		case x86asm.Imm:
			args = append(args, imm(size, int64(v)))
		case x86asm.Rel:
			args = append(args, fmt.Sprintf("rel%+d", int32(v)))
		default:
			args = append(args, fmt.Sprint(v))
		}
	}
	if len(args) == 0 {
		return op
	}
	return op + " " + strings.Join(args, ", ")
}

// decodeAll decodes code into instructions, failing the test on bytes
// that do not decode.
func decodeAll(t *testing.T, code []byte) []x86asm.Inst {
	t.Helper()
	var out []x86asm.Inst
	for len(code) > 0 {
		inst, err := x86asm.Decode(code, 64)
		if err != nil {
			t.Fatalf("decode % x: %v", code, err)
		}
		out = append(out, inst)
		code = code[inst.Len:]
	}
	return out
}

// check assembles one instruction with emit and compares the decoded text
// with want; it also requires the decoder to consume exactly the bytes
// emitted.
func check(t *testing.T, withSize bool, want string, emit func(a *Asm)) {
	t.Helper()
	checked++
	var a Asm
	emit(&a)
	code, err := a.Finish()
	if err != nil {
		t.Errorf("%s: %v", want, err)
		return
	}
	inst, err := x86asm.Decode(code, 64)
	if err != nil {
		t.Errorf("%s: decode % x: %v", want, code, err)
		return
	}
	if inst.Len != len(code) {
		t.Errorf("%s: emitted %d bytes (% x), decoded %d as %s", want, len(code), code, inst.Len, render(inst, withSize))
		return
	}
	if got := render(inst, withSize); got != want {
		t.Errorf("got %s, want %s (% x)", got, want, code)
	}
}

// checked counts the instructions check has decoded.
var checked int

func TestMain(m *testing.M) {
	code := m.Run()
	if testing.Verbose() {
		fmt.Printf("%d instructions decoded and compared\n", checked)
	}
	os.Exit(code)
}

// checkErr requires emit to record an error.
func checkErr(t *testing.T, what string, emit func(a *Asm)) {
	t.Helper()
	var a Asm
	emit(&a)
	if _, err := a.Finish(); err == nil {
		t.Errorf("%s: no error", what)
	}
}

var allRegs = []Reg{RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15}

// someRegs are the registers with encoding quirks and a few others.
var someRegs = []Reg{RAX, RCX, RBX, RSP, RBP, RSI, RDI, R8, R11, R12, R13, R15}

var allX = []XReg{X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11, X12, X13, X14, X15}

// someX pairs with someX reversed in the SSE tests.
var someX = []XReg{X0, X1, X4, X7, X8, X9, X12, X15}

// mems are memory operands covering the ModRM/SIB special cases: rsp and
// r12 bases (SIB), rbp and r13 bases (disp8 0), disp8/disp32 bounds,
// indexes from R8-R15 and every scale, and rip-relative.
var mems = []Mem{
	M(RAX, 0), M(RCX, 8), M(RSP, 0), M(RSP, 16), M(RBP, 0), M(RBP, -8),
	M(R12, 0), M(R12, 127), M(R13, 0), M(R13, 128), M(R15, -128), M(R8, -129),
	M(RSI, 0x12345678), M(RDI, -0x80000000),
	MI(RAX, RCX, 1, 0), MI(RSP, RBP, 2, 8), MI(RBP, RAX, 4, 0), MI(R13, R12, 8, 0),
	MI(R12, R15, 1, -4), MI(R15, R8, 8, 0x1000), MI(RBX, R13, 4, 0), MI(R9, RSI, 2, 0x7fffffff),
	RIPRel(0), RIPRel(0x100), RIPRel(-64),
}

var widths = []Width{W8, W16, W32, W64}

func TestMovRR(t *testing.T) {
	for _, w := range widths {
		for _, d := range allRegs {
			for _, s := range allRegs {
				check(t, true, fmt.Sprintf("mov %s, %s", gpr(w, d), gpr(w, s)), func(a *Asm) { a.MovRR(w, d, s) })
			}
		}
	}
}

func TestMovImm(t *testing.T) {
	for _, r := range allRegs {
		for _, v := range []uint64{0, 1, 0x7f, 0x80, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff} {
			check(t, true, fmt.Sprintf("mov %s, %s", gpr(W32, r), imm(4, int64(v))), func(a *Asm) { a.MovImm(W64, r, v) })
			check(t, true, fmt.Sprintf("mov %s, %s", gpr(W32, r), imm(4, int64(v))), func(a *Asm) { a.MovImm(W32, r, v) })
		}
		// Negative values that sign-extend from 32 bits: mov r64, simm32.
		for _, v := range []int64{-1, -2, -0x80000000} {
			check(t, true, fmt.Sprintf("mov %s, %s", gpr(W64, r), imm(8, v)), func(a *Asm) { a.MovImm(W64, r, uint64(v)) })
		}
		for _, v := range []uint64{0x100000000, 0x1122334455667788, 0xffffffff7fffffff, 0x8000000000000000} {
			check(t, true, fmt.Sprintf("mov %s, %s", gpr(W64, r), imm(8, int64(v))), func(a *Asm) { a.MovImm(W64, r, v) })
		}
		check(t, true, fmt.Sprintf("mov %s, 0x5", gpr(W64, r)), func(a *Asm) { a.MovAbs(r, 5) })
		check(t, true, fmt.Sprintf("mov %s, 0x1234", gpr(W16, r)), func(a *Asm) { a.MovImm(W16, r, 0x1234) })
		check(t, true, fmt.Sprintf("mov %s, 0x7f", gpr(W8, r)), func(a *Asm) { a.MovImm(W8, r, 0x7f) })
	}
	// movabs is ten bytes whatever the value.
	var a Asm
	a.MovAbs(RAX, 1)
	if a.Len() != 10 {
		t.Errorf("movabs is %d bytes", a.Len())
	}
}

func TestLoadStore(t *testing.T) {
	for _, m := range mems {
		for _, r := range someRegs {
			check(t, true, fmt.Sprintf("movzx %s, %s", gpr(W32, r), mem(1, m)), func(a *Asm) { a.Load(W8, r, m) })
			check(t, true, fmt.Sprintf("movzx %s, %s", gpr(W32, r), mem(2, m)), func(a *Asm) { a.Load(W16, r, m) })
			check(t, true, fmt.Sprintf("mov %s, %s", gpr(W32, r), mem(4, m)), func(a *Asm) { a.Load(W32, r, m) })
			check(t, true, fmt.Sprintf("mov %s, %s", gpr(W64, r), mem(8, m)), func(a *Asm) { a.Load(W64, r, m) })
			for _, w := range []Width{W32, W64} {
				check(t, true, fmt.Sprintf("movsx %s, %s", gpr(w, r), mem(1, m)), func(a *Asm) { a.LoadSX(w, W8, r, m) })
				check(t, true, fmt.Sprintf("movsx %s, %s", gpr(w, r), mem(2, m)), func(a *Asm) { a.LoadSX(w, W16, r, m) })
			}
			check(t, true, fmt.Sprintf("movsxd %s, %s", gpr(W64, r), mem(4, m)), func(a *Asm) { a.LoadSX(W64, W32, r, m) })
			check(t, true, fmt.Sprintf("mov %s, %s", gpr(W32, r), mem(4, m)), func(a *Asm) { a.LoadSX(W32, W32, r, m) })
			for _, w := range widths {
				check(t, true, fmt.Sprintf("mov %s, %s", mem(int(w), m), gpr(w, r)), func(a *Asm) { a.Store(w, m, r) })
			}
			for _, w := range []Width{W16, W32, W64} {
				check(t, false, fmt.Sprintf("lea %s, %s", gpr(w, r), mem(0, m)), func(a *Asm) { a.Lea(w, r, m) })
			}
		}
		for _, w := range widths {
			for _, v := range []int32{0, -1, 0x7f} {
				check(t, true, fmt.Sprintf("mov %s, %s", mem(int(w), m), imm(int(w), int64(v))), func(a *Asm) { a.StoreImm(w, m, v) })
			}
		}
		for _, v := range []int32{0x7fff, -0x8000} {
			check(t, true, fmt.Sprintf("mov %s, %s", mem(2, m), imm(2, int64(v))), func(a *Asm) { a.StoreImm(W16, m, v) })
		}
		for _, v := range []int32{0x12345678, -0x80000000} {
			check(t, true, fmt.Sprintf("mov %s, %s", mem(4, m), imm(4, int64(v))), func(a *Asm) { a.StoreImm(W32, m, v) })
			check(t, true, fmt.Sprintf("mov %s, %s", mem(8, m), imm(8, int64(v))), func(a *Asm) { a.StoreImm(W64, m, v) })
		}
	}
}

func TestExtend(t *testing.T) {
	for _, d := range allRegs {
		for _, s := range allRegs {
			for _, w := range []Width{W32, W64} {
				// movzx into a 32-bit register clears the upper half too.
				check(t, true, fmt.Sprintf("movzx %s, %s", gpr(W32, d), gpr(W8, s)), func(a *Asm) { a.MovZX(w, W8, d, s) })
				check(t, true, fmt.Sprintf("movzx %s, %s", gpr(W32, d), gpr(W16, s)), func(a *Asm) { a.MovZX(w, W16, d, s) })
				check(t, true, fmt.Sprintf("movsx %s, %s", gpr(w, d), gpr(W8, s)), func(a *Asm) { a.MovSX(w, W8, d, s) })
				check(t, true, fmt.Sprintf("movsx %s, %s", gpr(w, d), gpr(W16, s)), func(a *Asm) { a.MovSX(w, W16, d, s) })
			}
			check(t, true, fmt.Sprintf("mov %s, %s", gpr(W32, d), gpr(W32, s)), func(a *Asm) { a.MovZX(W64, W32, d, s) })
			check(t, true, fmt.Sprintf("movsxd %s, %s", gpr(W64, d), gpr(W32, s)), func(a *Asm) { a.MovSX(W64, W32, d, s) })
			check(t, true, fmt.Sprintf("movzx %s, %s", gpr(W16, d), gpr(W8, s)), func(a *Asm) { a.MovZX(W16, W8, d, s) })
			check(t, true, fmt.Sprintf("movsx %s, %s", gpr(W16, d), gpr(W8, s)), func(a *Asm) { a.MovSX(W16, W8, d, s) })
		}
	}
}

var aluOps = []AluOp{AluAdd, AluOr, AluAdc, AluSbb, AluAnd, AluSub, AluXor, AluCmp}

func TestAlu(t *testing.T) {
	for _, op := range aluOps {
		for _, w := range widths {
			for _, d := range allRegs {
				for _, s := range allRegs {
					check(t, true, fmt.Sprintf("%v %s, %s", op, gpr(w, d), gpr(w, s)), func(a *Asm) { a.Alu(op, w, d, s) })
				}
			}
		}
	}
}

func TestAluImm(t *testing.T) {
	imms := map[Width][]int32{
		W8:  {0, 1, 0x7f, -0x80, -1},
		W16: {0, 1, -1, 0x7f, 0x80, -0x81, 0x7fff, -0x8000},
		W32: {0, 1, -1, 0x7f, 0x80, -0x80, -0x81, 0x12345678, -0x80000000, 0x7fffffff},
		W64: {0, 1, -1, 0x7f, 0x80, -0x80, -0x81, 0x12345678, -0x80000000, 0x7fffffff},
	}
	for _, op := range aluOps {
		for _, w := range widths {
			for _, r := range allRegs {
				for _, v := range imms[w] {
					check(t, true, fmt.Sprintf("%v %s, %s", op, gpr(w, r), imm(int(w), int64(v))), func(a *Asm) { a.AluImm(op, w, r, v) })
				}
			}
			for _, m := range mems {
				for _, v := range imms[w] {
					check(t, true, fmt.Sprintf("%v %s, %s", op, mem(int(w), m), imm(int(w), int64(v))), func(a *Asm) { a.AluMemImm(op, w, m, v) })
				}
				for _, r := range someRegs {
					check(t, true, fmt.Sprintf("%v %s, %s", op, gpr(w, r), mem(int(w), m)), func(a *Asm) { a.AluLoad(op, w, r, m) })
					check(t, true, fmt.Sprintf("%v %s, %s", op, mem(int(w), m), gpr(w, r)), func(a *Asm) { a.AluStore(op, w, m, r) })
				}
			}
		}
	}
	// imm8 where it fits: add rax, 1 is four bytes, add rax, 0x80 seven.
	for _, c := range []struct {
		v int32
		n int
	}{{1, 4}, {-128, 4}, {127, 4}, {128, 7}, {-129, 7}} {
		var a Asm
		a.AluImm(AluAdd, W64, RAX, c.v)
		if a.Len() != c.n {
			t.Errorf("add rax, %d: %d bytes, want %d", c.v, a.Len(), c.n)
		}
	}
}

func TestTest(t *testing.T) {
	for _, w := range widths {
		for _, x := range allRegs {
			for _, y := range allRegs {
				check(t, true, fmt.Sprintf("test %s, %s", gpr(w, x), gpr(w, y)), func(a *Asm) { a.Test(w, x, y) })
			}
			v := int32(0x7f)
			if w >= W32 {
				v = -0x10000
			}
			check(t, true, fmt.Sprintf("test %s, %s", gpr(w, x), imm(int(w), int64(v))), func(a *Asm) { a.TestImm(w, x, v) })
		}
		for _, m := range mems {
			check(t, true, fmt.Sprintf("test %s, 0x1", mem(int(w), m)), func(a *Asm) { a.TestMemImm(w, m, 1) })
		}
	}
}

func TestShiftAndUnary(t *testing.T) {
	shifts := map[ShiftOp]string{ShRol: "rol", ShRor: "ror", ShShl: "shl", ShShr: "shr", ShSar: "sar"}
	for op, name := range shifts {
		for _, w := range widths {
			for _, r := range allRegs {
				check(t, true, fmt.Sprintf("%s %s, cl", name, gpr(w, r)), func(a *Asm) { a.Shift(op, w, r) })
				for _, n := range []uint8{1, 2, 31, 63} {
					check(t, true, fmt.Sprintf("%s %s, %#x", name, gpr(w, r), n), func(a *Asm) { a.ShiftImm(op, w, r, n) })
				}
			}
		}
	}
	unary := []struct {
		name string
		emit func(a *Asm, w Width, r Reg)
	}{
		{"not", (*Asm).Not}, {"neg", (*Asm).Neg}, {"mul", (*Asm).Mul}, {"imul", (*Asm).IMul1},
		{"div", (*Asm).Div}, {"idiv", (*Asm).IDiv}, {"inc", (*Asm).Inc}, {"dec", (*Asm).Dec},
	}
	for _, u := range unary {
		for _, w := range widths {
			for _, r := range allRegs {
				check(t, true, fmt.Sprintf("%s %s", u.name, gpr(w, r)), func(a *Asm) { u.emit(a, w, r) })
			}
		}
	}
}

func TestMulAndBits(t *testing.T) {
	two := []struct {
		name string
		emit func(a *Asm, w Width, d, s Reg)
	}{
		{"imul", (*Asm).IMul}, {"lzcnt", (*Asm).Lzcnt}, {"tzcnt", (*Asm).Tzcnt}, {"popcnt", (*Asm).Popcnt},
		{"bsr", (*Asm).Bsr}, {"bsf", (*Asm).Bsf},
	}
	for _, o := range two {
		for _, w := range []Width{W16, W32, W64} {
			for _, d := range allRegs {
				for _, s := range allRegs {
					check(t, true, fmt.Sprintf("%s %s, %s", o.name, gpr(w, d), gpr(w, s)), func(a *Asm) { o.emit(a, w, d, s) })
				}
			}
		}
	}
	for _, w := range []Width{W16, W32, W64} {
		for _, d := range someRegs {
			for _, s := range someRegs {
				for _, v := range []int32{3, -1, 0x100, -0x8000} {
					check(t, true, fmt.Sprintf("imul %s, %s, %s", gpr(w, d), gpr(w, s), imm(int(w), int64(v))), func(a *Asm) { a.IMulImm(w, d, s, v) })
				}
				if w != W16 {
					check(t, true, fmt.Sprintf("imul %s, %s, 0x12345678", gpr(w, d), gpr(w, s)), func(a *Asm) { a.IMulImm(w, d, s, 0x12345678) })
				}
			}
		}
	}
	for _, w := range []Width{W32, W64} {
		for _, r := range allRegs {
			check(t, true, fmt.Sprintf("bswap %s", gpr(w, r)), func(a *Asm) { a.Bswap(w, r) })
		}
	}
	for _, w := range widths {
		for _, x := range allRegs {
			for _, y := range allRegs {
				check(t, true, fmt.Sprintf("xchg %s, %s", gpr(w, x), gpr(w, y)), func(a *Asm) { a.Xchg(w, x, y) })
			}
		}
	}
	check(t, true, "cwd", func(a *Asm) { a.SignExtendAX(W16) })
	check(t, true, "cdq", func(a *Asm) { a.SignExtendAX(W32) })
	check(t, true, "cqo", func(a *Asm) { a.SignExtendAX(W64) })
}

func TestCond(t *testing.T) {
	for c := CondO; c <= CondG; c++ {
		if c.Invert().Invert() != c || c.Invert() == c {
			t.Errorf("%v.Invert() = %v", c, c.Invert())
		}
		for _, r := range allRegs {
			check(t, true, fmt.Sprintf("set%v %s", c, gpr(W8, r)), func(a *Asm) { a.Setcc(c, r) })
			for _, w := range []Width{W16, W32, W64} {
				check(t, true, fmt.Sprintf("cmov%v %s, %s", c, gpr(w, r), gpr(w, R15-r)), func(a *Asm) { a.Cmov(c, w, r, R15-r) })
			}
		}
	}
	pairs := map[Cond]Cond{CondE: CondNE, CondB: CondAE, CondL: CondGE, CondA: CondBE, CondG: CondLE, CondP: CondNP, CondS: CondNS, CondO: CondNO}
	for c, inv := range pairs {
		if c.Invert() != inv || inv.Invert() != c {
			t.Errorf("%v.Invert() = %v, want %v", c, c.Invert(), inv)
		}
	}
}

func TestStackAndSystem(t *testing.T) {
	for _, r := range allRegs {
		check(t, true, "push "+gpr(W64, r), func(a *Asm) { a.Push(r) })
		check(t, true, "pop "+gpr(W64, r), func(a *Asm) { a.Pop(r) })
		check(t, true, "call "+gpr(W64, r), func(a *Asm) { a.CallReg(r) })
		check(t, true, "jmp "+gpr(W64, r), func(a *Asm) { a.JmpReg(r) })
	}
	for _, m := range mems {
		check(t, true, "call "+mem(8, m), func(a *Asm) { a.CallMem(m) })
		check(t, true, "jmp "+mem(8, m), func(a *Asm) { a.JmpMem(m) })
		check(t, true, "ldmxcsr "+mem(4, m), func(a *Asm) { a.Ldmxcsr(m) })
		check(t, true, "stmxcsr "+mem(4, m), func(a *Asm) { a.Stmxcsr(m) })
	}
	for _, v := range []int32{0, -1, 0x7f, 0x80, 0x1f80, -0x80000000} {
		check(t, true, fmt.Sprintf("push %s", imm(8, int64(v))), func(a *Asm) { a.PushImm(v) })
	}
	check(t, true, "ret", (*Asm).Ret)
	check(t, true, "ud2", (*Asm).Ud2)
	check(t, true, "int 0x3", (*Asm).Int3) // x86asm shows CC as int 0x3
	check(t, true, "hlt", (*Asm).Hlt)
	check(t, true, "nop", (*Asm).Nop)
	check(t, true, "fninit", (*Asm).Fninit)
	check(t, true, "mfence", (*Asm).Mfence)
	check(t, true, "out 0xe9, al", func(a *Asm) { a.Out(0xE9) })
}

// sseCase is an SSEOp with the mnemonic x86asm gives it.
type sseCase struct {
	op   SSEOp
	name string
}

// sseRegOps take xmm, xmm/m128 (or m32/m64 for scalars).
var sseRegOps = []sseCase{
	{Movss, "movss"}, {Movsd, "movsd"}, {Movups, "movups"}, {Movaps, "movaps"}, {Movdqu, "movdqu"}, {Movdqa, "movdqa"},
	{Movq, "movq"},
	{Addss, "addss"}, {Addsd, "addsd"}, {Subss, "subss"}, {Subsd, "subsd"}, {Mulss, "mulss"}, {Mulsd, "mulsd"},
	{Divss, "divss"}, {Divsd, "divsd"}, {Minss, "minss"}, {Minsd, "minsd"}, {Maxss, "maxss"}, {Maxsd, "maxsd"},
	{Sqrtss, "sqrtss"}, {Sqrtsd, "sqrtsd"}, {Ucomiss, "ucomiss"}, {Ucomisd, "ucomisd"},
	{Cvtss2sd, "cvtss2sd"}, {Cvtsd2ss, "cvtsd2ss"}, {Cvtdq2ps, "cvtdq2ps"}, {Cvtps2dq, "cvtps2dq"}, {Cvttps2dq, "cvttps2dq"},
	{Cvtdq2pd, "cvtdq2pd"}, {Cvtps2pd, "cvtps2pd"}, {Cvtpd2ps, "cvtpd2ps"}, {Cvttpd2dq, "cvttpd2dq"},
	{Andps, "andps"}, {Andpd, "andpd"}, {Andnps, "andnps"}, {Andnpd, "andnpd"}, {Orps, "orps"}, {Orpd, "orpd"},
	{Xorps, "xorps"}, {Xorpd, "xorpd"},
	{Addps, "addps"}, {Addpd, "addpd"}, {Subps, "subps"}, {Subpd, "subpd"}, {Mulps, "mulps"}, {Mulpd, "mulpd"},
	{Divps, "divps"}, {Divpd, "divpd"}, {Minps, "minps"}, {Minpd, "minpd"}, {Maxps, "maxps"}, {Maxpd, "maxpd"},
	{Sqrtps, "sqrtps"}, {Sqrtpd, "sqrtpd"},
	{Unpcklps, "unpcklps"}, {Unpckhps, "unpckhps"}, {Unpcklpd, "unpcklpd"}, {Unpckhpd, "unpckhpd"},
	{Pand, "pand"}, {Pandn, "pandn"}, {Por, "por"}, {Pxor, "pxor"},
	{Paddb, "paddb"}, {Paddw, "paddw"}, {Paddd, "paddd"}, {Paddq, "paddq"},
	{Psubb, "psubb"}, {Psubw, "psubw"}, {Psubd, "psubd"}, {Psubq, "psubq"},
	{Paddsb, "paddsb"}, {Paddsw, "paddsw"}, {Paddusb, "paddusb"}, {Paddusw, "paddusw"},
	{Psubsb, "psubsb"}, {Psubsw, "psubsw"}, {Psubusb, "psubusb"}, {Psubusw, "psubusw"},
	{Pmullw, "pmullw"}, {Pmulld, "pmulld"}, {Pmulhw, "pmulhw"}, {Pmulhuw, "pmulhuw"}, {Pmuludq, "pmuludq"},
	{Pmuldq, "pmuldq"}, {Pmaddwd, "pmaddwd"}, {Pmaddubsw, "pmaddubsw"}, {Pmulhrsw, "pmulhrsw"},
	{Phaddw, "phaddw"}, {Phaddd, "phaddd"}, {Psadbw, "psadbw"},
	{Pcmpeqb, "pcmpeqb"}, {Pcmpeqw, "pcmpeqw"}, {Pcmpeqd, "pcmpeqd"}, {Pcmpeqq, "pcmpeqq"},
	{Pcmpgtb, "pcmpgtb"}, {Pcmpgtw, "pcmpgtw"}, {Pcmpgtd, "pcmpgtd"}, {Pcmpgtq, "pcmpgtq"},
	{Pminsb, "pminsb"}, {Pminsw, "pminsw"}, {Pminsd, "pminsd"}, {Pminub, "pminub"}, {Pminuw, "pminuw"}, {Pminud, "pminud"},
	{Pmaxsb, "pmaxsb"}, {Pmaxsw, "pmaxsw"}, {Pmaxsd, "pmaxsd"}, {Pmaxub, "pmaxub"}, {Pmaxuw, "pmaxuw"}, {Pmaxud, "pmaxud"},
	{Pavgb, "pavgb"}, {Pavgw, "pavgw"}, {Pabsb, "pabsb"}, {Pabsw, "pabsw"}, {Pabsd, "pabsd"},
	{Psignb, "psignb"}, {Psignw, "psignw"}, {Psignd, "psignd"}, {Pshufb, "pshufb"},
	{Punpcklbw, "punpcklbw"}, {Punpcklwd, "punpcklwd"}, {Punpckldq, "punpckldq"}, {Punpcklqdq, "punpcklqdq"},
	{Punpckhbw, "punpckhbw"}, {Punpckhwd, "punpckhwd"}, {Punpckhdq, "punpckhdq"}, {Punpckhqdq, "punpckhqdq"},
	{Packsswb, "packsswb"}, {Packssdw, "packssdw"}, {Packuswb, "packuswb"}, {Packusdw, "packusdw"},
	{Pmovsxbw, "pmovsxbw"}, {Pmovsxbd, "pmovsxbd"}, {Pmovsxbq, "pmovsxbq"}, {Pmovsxwd, "pmovsxwd"}, {Pmovsxwq, "pmovsxwq"}, {Pmovsxdq, "pmovsxdq"},
	{Pmovzxbw, "pmovzxbw"}, {Pmovzxbd, "pmovzxbd"}, {Pmovzxbq, "pmovzxbq"}, {Pmovzxwd, "pmovzxwd"}, {Pmovzxwq, "pmovzxwq"}, {Pmovzxdq, "pmovzxdq"},
	{Ptest, "ptest"},
	{Psllw, "psllw"}, {Pslld, "pslld"}, {Psllq, "psllq"}, {Psrlw, "psrlw"}, {Psrld, "psrld"}, {Psrlq, "psrlq"},
	{Psraw, "psraw"}, {Psrad, "psrad"},
}

// sseXmm0Ops take XMM0 as an implicit third operand.
var sseXmm0Ops = []sseCase{{Pblendvb, "pblendvb"}, {Blendvps, "blendvps"}, {Blendvpd, "blendvpd"}}

var sseRegOnlyOps = []sseCase{{Movlhps, "movlhps"}, {Movhlps, "movhlps"}}

var sseMemOnlyOps = []sseCase{{Movhps, "movhps"}, {Movlps, "movlps"}}

var sseImmOps = []sseCase{
	{Roundss, "roundss"}, {Roundsd, "roundsd"}, {Roundps, "roundps"}, {Roundpd, "roundpd"},
	{Cmpps, "cmpps"}, {Cmppd, "cmppd"}, {Cmpss, "cmpss"}, {Cmpsd, "cmpsd"},
	{Shufps, "shufps"}, {Shufpd, "shufpd"}, {Pshufd, "pshufd"}, {Pshuflw, "pshuflw"}, {Pshufhw, "pshufhw"},
	{Palignr, "palignr"}, {Pblendw, "pblendw"}, {Blendps, "blendps"}, {Blendpd, "blendpd"}, {Insertps, "insertps"},
}

var sseStoreOps = []sseCase{
	{MovssStore, "movss"}, {MovsdStore, "movsd"}, {MovupsStore, "movups"}, {MovapsStore, "movaps"},
	{MovdquStore, "movdqu"}, {MovdqaStore, "movdqa"}, {MovqStore, "movq"}, {MovhpsStore, "movhps"}, {MovlpsStore, "movlps"},
}

var sseShiftOps = []sseCase{
	{PsllwImm, "psllw"}, {PslldImm, "pslld"}, {PsllqImm, "psllq"}, {PsrlwImm, "psrlw"}, {PsrldImm, "psrld"},
	{PsrlqImm, "psrlq"}, {PsrawImm, "psraw"}, {PsradImm, "psrad"}, {PslldqImm, "pslldq"}, {PsrldqImm, "psrldq"},
}

var sseToGPROps = []sseCase{{Pmovmskb, "pmovmskb"}, {Movmskps, "movmskps"}, {Movmskpd, "movmskpd"}}

func TestSSE(t *testing.T) {
	for _, c := range sseRegOps {
		for _, d := range allX {
			for _, s := range someX {
				check(t, false, fmt.Sprintf("%s %s, %s", c.name, xmm(d), xmm(s)), func(a *Asm) { a.SSE(c.op, d, s) })
			}
			for _, m := range mems {
				check(t, false, fmt.Sprintf("%s %s, %s", c.name, xmm(d), mem(0, m)), func(a *Asm) { a.SSELoad(c.op, d, m) })
			}
		}
	}
	for _, c := range sseXmm0Ops {
		for _, d := range allX {
			for _, s := range someX {
				check(t, false, fmt.Sprintf("%s %s, %s, xmm0", c.name, xmm(d), xmm(s)), func(a *Asm) { a.SSE(c.op, d, s) })
			}
			for _, m := range mems {
				check(t, false, fmt.Sprintf("%s %s, %s, xmm0", c.name, xmm(d), mem(0, m)), func(a *Asm) { a.SSELoad(c.op, d, m) })
			}
		}
	}
	for _, c := range sseRegOnlyOps {
		for _, d := range allX {
			for _, s := range allX {
				check(t, false, fmt.Sprintf("%s %s, %s", c.name, xmm(d), xmm(s)), func(a *Asm) { a.SSE(c.op, d, s) })
			}
		}
		checkErr(t, c.name+" from memory", func(a *Asm) { a.SSELoad(c.op, X0, M(RAX, 0)) })
	}
	for _, c := range sseMemOnlyOps {
		for _, d := range allX {
			for _, m := range mems {
				check(t, false, fmt.Sprintf("%s %s, %s", c.name, xmm(d), mem(0, m)), func(a *Asm) { a.SSELoad(c.op, d, m) })
			}
		}
		checkErr(t, c.name+" between registers", func(a *Asm) { a.SSE(c.op, X0, X1) })
	}
	for _, c := range sseImmOps {
		for _, d := range allX {
			for _, s := range someX {
				check(t, false, fmt.Sprintf("%s %s, %s, 0x3", c.name, xmm(d), xmm(s)), func(a *Asm) { a.SSEImm(c.op, d, s, 3) })
			}
			for _, m := range mems {
				check(t, false, fmt.Sprintf("%s %s, %s, 0x1b", c.name, xmm(d), mem(0, m)), func(a *Asm) { a.SSELoadImm(c.op, d, m, 0x1b) })
			}
		}
	}
	for _, c := range sseStoreOps {
		for _, s := range allX {
			for _, m := range mems {
				check(t, false, fmt.Sprintf("%s %s, %s", c.name, mem(0, m), xmm(s)), func(a *Asm) { a.SSEStore(c.op, m, s) })
			}
		}
	}
	for _, c := range sseShiftOps {
		for _, d := range allX {
			for _, n := range []uint8{1, 7, 15} {
				check(t, false, fmt.Sprintf("%s %s, %#x", c.name, xmm(d), n), func(a *Asm) { a.SSEShiftImm(c.op, d, n) })
			}
		}
	}
	for _, c := range sseToGPROps {
		for _, r := range allRegs {
			for _, x := range someX {
				check(t, false, fmt.Sprintf("%s %s, %s", c.name, gpr(W32, r), xmm(x)), func(a *Asm) { a.SSEToGPR(c.op, r, x) })
			}
		}
	}
}

// TestSSEForms checks that each op is refused by the methods of the other
// forms.
func TestSSEForms(t *testing.T) {
	forms := []struct {
		name string
		ops  []sseCase
		emit func(a *Asm, op SSEOp)
	}{
		{"SSE", sseRegOps, func(a *Asm, op SSEOp) { a.SSE(op, X1, X2) }},
		{"SSEImm", sseImmOps, func(a *Asm, op SSEOp) { a.SSEImm(op, X1, X2, 0) }},
		{"SSEStore", sseStoreOps, func(a *Asm, op SSEOp) { a.SSEStore(op, M(RAX, 0), X1) }},
		{"SSEShiftImm", sseShiftOps, func(a *Asm, op SSEOp) { a.SSEShiftImm(op, X1, 1) }},
		{"SSEToGPR", sseToGPROps, func(a *Asm, op SSEOp) { a.SSEToGPR(op, RAX, X1) }},
	}
	for i, f := range forms {
		for j, g := range forms {
			if i == j {
				continue
			}
			for _, c := range g.ops {
				checkErr(t, fmt.Sprintf("%s(%s)", f.name, c.name), func(a *Asm) { f.emit(a, c.op) })
			}
		}
	}
}

func TestSSEGPR(t *testing.T) {
	for _, r := range allRegs {
		for _, x := range allX {
			check(t, false, fmt.Sprintf("movd %s, %s", xmm(x), gpr(W32, r)), func(a *Asm) { a.MovqToX(W32, x, r) })
			check(t, false, fmt.Sprintf("movq %s, %s", xmm(x), gpr(W64, r)), func(a *Asm) { a.MovqToX(W64, x, r) })
			check(t, false, fmt.Sprintf("movd %s, %s", gpr(W32, r), xmm(x)), func(a *Asm) { a.MovqFromX(W32, r, x) })
			check(t, false, fmt.Sprintf("movq %s, %s", gpr(W64, r), xmm(x)), func(a *Asm) { a.MovqFromX(W64, r, x) })
			for _, w := range []Width{W32, W64} {
				check(t, false, fmt.Sprintf("cvtsi2ss %s, %s", xmm(x), gpr(w, r)), func(a *Asm) { a.Cvtsi2s(false, w, x, r) })
				check(t, false, fmt.Sprintf("cvtsi2sd %s, %s", xmm(x), gpr(w, r)), func(a *Asm) { a.Cvtsi2s(true, w, x, r) })
				check(t, false, fmt.Sprintf("cvttss2si %s, %s", gpr(w, r), xmm(x)), func(a *Asm) { a.Cvtts2si(false, w, r, x) })
				check(t, false, fmt.Sprintf("cvttsd2si %s, %s", gpr(w, r), xmm(x)), func(a *Asm) { a.Cvtts2si(true, w, r, x) })
			}
			check(t, false, fmt.Sprintf("pextrb %s, %s, 0xf", gpr(W32, r), xmm(x)), func(a *Asm) { a.Pextr(W8, r, x, 15) })
			check(t, false, fmt.Sprintf("pextrw %s, %s, 0x7", gpr(W32, r), xmm(x)), func(a *Asm) { a.Pextr(W16, r, x, 7) })
			check(t, false, fmt.Sprintf("pextrd %s, %s, 0x3", gpr(W32, r), xmm(x)), func(a *Asm) { a.Pextr(W32, r, x, 3) })
			check(t, false, fmt.Sprintf("pextrq %s, %s, 0x1", gpr(W64, r), xmm(x)), func(a *Asm) { a.Pextr(W64, r, x, 1) })
			check(t, false, fmt.Sprintf("pinsrb %s, %s, 0xf", xmm(x), gpr(W32, r)), func(a *Asm) { a.Pinsr(W8, x, r, 15) })
			check(t, false, fmt.Sprintf("pinsrw %s, %s, 0x7", xmm(x), gpr(W32, r)), func(a *Asm) { a.Pinsr(W16, x, r, 7) })
			check(t, false, fmt.Sprintf("pinsrd %s, %s, 0x3", xmm(x), gpr(W32, r)), func(a *Asm) { a.Pinsr(W32, x, r, 3) })
			check(t, false, fmt.Sprintf("pinsrq %s, %s, 0x1", xmm(x), gpr(W64, r)), func(a *Asm) { a.Pinsr(W64, x, r, 1) })
		}
	}
	names := map[Width]string{W8: "b", W16: "w", W32: "d", W64: "q"}
	for _, w := range widths {
		for _, x := range someX {
			for _, m := range mems {
				check(t, false, fmt.Sprintf("pinsr%s %s, %s, 0x1", names[w], xmm(x), mem(0, m)), func(a *Asm) { a.PinsrLoad(w, x, m, 1) })
				check(t, false, fmt.Sprintf("pextr%s %s, %s, 0x1", names[w], mem(0, m), xmm(x)), func(a *Asm) { a.PextrStore(w, m, x, 1) })
			}
		}
	}
}

// TestVEX256 checks the AVX moves the memory.copy routine uses, with
// every register and every memory operand form but rip-relative ones,
// which x86asm decodes with no base register after a VEX prefix (the
// VEX prefix carries the inverted REX bits).
func TestVEX256(t *testing.T) {
	for _, x := range allX {
		for _, m := range mems {
			if m.RIP {
				continue
			}
			check(t, false, fmt.Sprintf("vmovdqu ymm%d, %s", x, mem(0, m)), func(a *Asm) { a.VLoad256(x, m) })
			check(t, false, fmt.Sprintf("vmovdqu %s, ymm%d", mem(0, m), x), func(a *Asm) { a.VStore256(m, x) })
		}
	}
	check(t, false, "vzeroupper", func(a *Asm) { a.Vzeroupper() })
}
