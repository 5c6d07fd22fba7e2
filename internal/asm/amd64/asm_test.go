package amd64

import (
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"golang.org/x/arch/x86/x86asm"
)

// TestGolden compares instructions with the bytes GNU as produces for them
// (as -msyntax=intel, checked with objdump -d). The decoder tests cover
// the forms; these pin the exact choice of encoding where more than one
// is valid.
func TestGolden(t *testing.T) {
	tests := []struct {
		asm  string
		emit func(a *Asm)
		want string
	}{
		{"movabs rax, 0x1122334455667788", func(a *Asm) { a.MovImm(W64, RAX, 0x1122334455667788) }, "48b88877665544332211"},
		{"movabs r9, 0x1122334455667788", func(a *Asm) { a.MovImm(W64, R9, 0x1122334455667788) }, "49b98877665544332211"},
		{"mov ecx, 0x12345678", func(a *Asm) { a.MovImm(W32, RCX, 0x12345678) }, "b978563412"},
		{"mov r10d, 0x12345678", func(a *Asm) { a.MovImm(W32, R10, 0x12345678) }, "41ba78563412"},
		{"mov r10d, 0x12345678 (from W64)", func(a *Asm) { a.MovImm(W64, R10, 0x12345678) }, "41ba78563412"},
		{"mov rax, -1", func(a *Asm) { a.MovImm(W64, RAX, ^uint64(0)) }, "48c7c0ffffffff"},
		{"mov eax, 0 (keeps flags)", func(a *Asm) { a.MovImm(W64, RAX, 0) }, "b800000000"},
		{"mov rdi, rax", func(a *Asm) { a.MovRR(W64, RDI, RAX) }, "4889c7"},
		{"mov r8, r15", func(a *Asm) { a.MovRR(W64, R8, R15) }, "4d89f8"},
		{"mov rax, [rbx+8]", func(a *Asm) { a.Load(W64, RAX, M(RBX, 8)) }, "488b4308"},
		{"mov rax, [rsp]", func(a *Asm) { a.Load(W64, RAX, M(RSP, 0)) }, "488b0424"},
		{"mov r12, [r13]", func(a *Asm) { a.Load(W64, R12, M(R13, 0)) }, "4d8b6500"},
		{"mov eax, [r15+rax+0x100]", func(a *Asm) { a.Load(W32, RAX, MI(R15, RAX, 1, 0x100)) }, "418b840700010000"},
		{"mov eax, [rbp]", func(a *Asm) { a.Load(W32, RAX, M(RBP, 0)) }, "8b4500"},
		{"movzx ecx, byte [rsi+rdx-4]", func(a *Asm) { a.Load(W8, RCX, MI(RSI, RDX, 1, -4)) }, "0fb64c16fc"},
		{"mov [rsp+16], rdi", func(a *Asm) { a.Store(W64, M(RSP, 16), RDI) }, "48897c2410"},
		{"mov [r12], r11d", func(a *Asm) { a.Store(W32, M(R12, 0), R11) }, "45891c24"},
		{"mov [rax], sil", func(a *Asm) { a.Store(W8, M(RAX, 0), RSI) }, "408830"},
		{"mov [rax], cl", func(a *Asm) { a.Store(W8, M(RAX, 0), RCX) }, "8808"},
		{"mov word [rax], cx", func(a *Asm) { a.Store(W16, M(RAX, 0), RCX) }, "668908"},
		{"mov eax, [rip+0x10]", func(a *Asm) { a.Load(W32, RAX, RIPRel(0x10)) }, "8b0510000000"},
		{"add rax, rbx", func(a *Asm) { a.Alu(AluAdd, W64, RAX, RBX) }, "4801d8"},
		{"sub r8, rcx", func(a *Asm) { a.Alu(AluSub, W64, R8, RCX) }, "4929c8"},
		{"cmp rdi, r9", func(a *Asm) { a.Alu(AluCmp, W64, RDI, R9) }, "4c39cf"},
		{"xor eax, eax", func(a *Asm) { a.Alu(AluXor, W32, RAX, RAX) }, "31c0"},
		{"xor r11d, r11d", func(a *Asm) { a.Alu(AluXor, W32, R11, R11) }, "4531db"},
		{"add rsp, 8", func(a *Asm) { a.AluImm(AluAdd, W64, RSP, 8) }, "4883c408"},
		// as picks the short rax form (48 05); 81 /0 is the general one.
		{"add rax, 0x1000", func(a *Asm) { a.AluImm(AluAdd, W64, RAX, 0x1000) }, "4881c000100000"},
		{"sub rcx, 1", func(a *Asm) { a.AluImm(AluSub, W64, RCX, 1) }, "4883e901"},
		{"cmp r12, -1", func(a *Asm) { a.AluImm(AluCmp, W64, R12, -1) }, "4983fcff"},
		{"cmp byte [rdi], 0", func(a *Asm) { a.AluMemImm(AluCmp, W8, M(RDI, 0), 0) }, "803f00"},
		{"inc rcx", func(a *Asm) { a.Inc(W64, RCX) }, "48ffc1"},
		{"dec r15", func(a *Asm) { a.Dec(W64, R15) }, "49ffcf"},
		{"div ecx", func(a *Asm) { a.Div(W32, RCX) }, "f7f1"},
		{"div r9d", func(a *Asm) { a.Div(W32, R9) }, "41f7f1"},
		{"shl rax, 1", func(a *Asm) { a.ShiftImm(ShShl, W64, RAX, 1) }, "48d1e0"},
		{"sar r9d, 5", func(a *Asm) { a.ShiftImm(ShSar, W32, R9, 5) }, "41c1f905"},
		{"setb sil", func(a *Asm) { a.Setcc(CondB, RSI) }, "400f92c6"},
		{"lzcnt r8, rax", func(a *Asm) { a.Lzcnt(W64, R8, RAX) }, "f34c0fbdc0"},
		{"popcnt ax, cx", func(a *Asm) { a.Popcnt(W16, RAX, RCX) }, "66f30fb8c1"},
		{"push rbp", func(a *Asm) { a.Push(RBP) }, "55"},
		{"push r12", func(a *Asm) { a.Push(R12) }, "4154"},
		{"pop rbx", func(a *Asm) { a.Pop(RBX) }, "5b"},
		{"pop r15", func(a *Asm) { a.Pop(R15) }, "415f"},
		{"push 0x1f80", func(a *Asm) { a.PushImm(0x1f80) }, "68801f0000"},
		{"push 1", func(a *Asm) { a.PushImm(1) }, "6a01"},
		{"ret", func(a *Asm) { a.Ret() }, "c3"},
		{"call rax", func(a *Asm) { a.CallReg(RAX) }, "ffd0"},
		{"call r11", func(a *Asm) { a.CallReg(R11) }, "41ffd3"},
		{"jmp r11", func(a *Asm) { a.JmpReg(R11) }, "41ffe3"},
		{"out 0xf0, al", func(a *Asm) { a.Out(0xF0) }, "e6f0"},
		{"ud2", func(a *Asm) { a.Ud2() }, "0f0b"},
		{"hlt", func(a *Asm) { a.Hlt() }, "f4"},
		{"fninit", func(a *Asm) { a.Fninit() }, "dbe3"},
		{"ldmxcsr [rsp]", func(a *Asm) { a.Ldmxcsr(M(RSP, 0)) }, "0fae1424"},
		{"pxor xmm0, xmm0", func(a *Asm) { a.SSE(Pxor, X0, X0) }, "660fefc0"},
		{"pxor xmm15, xmm8", func(a *Asm) { a.SSE(Pxor, X15, X8) }, "66450feff8"},
		{"movsd xmm9, [rax]", func(a *Asm) { a.SSELoad(Movsd, X9, M(RAX, 0)) }, "f2440f1008"},
		{"pmulld xmm1, xmm10", func(a *Asm) { a.SSE(Pmulld, X1, X10) }, "66410f3840ca"},
		{"roundsd xmm0, xmm1, 3", func(a *Asm) { a.SSEImm(Roundsd, X0, X1, 3) }, "660f3a0bc103"},
		{"psrldq xmm12, 8", func(a *Asm) { a.SSEShiftImm(PsrldqImm, X12, 8) }, "66410f73dc08"},
		{"movq r8, xmm1", func(a *Asm) { a.MovqFromX(W64, R8, X1) }, "66490f7ec8"},
		{"cvtsi2sd xmm2, rax", func(a *Asm) { a.Cvtsi2s(true, W64, X2, RAX) }, "f2480f2ad0"},
		{"pextrq rax, xmm9, 1", func(a *Asm) { a.Pextr(W64, RAX, X9, 1) }, "664c0f3a16c801"},
	}
	for _, tc := range tests {
		t.Run(tc.asm, func(t *testing.T) {
			var a Asm
			tc.emit(&a)
			got, err := a.Finish()
			if err != nil {
				t.Fatal(err)
			}
			if h := hex.EncodeToString(got); h != tc.want {
				t.Errorf("got %s, want %s", h, tc.want)
			}
		})
	}
}

func TestLabels(t *testing.T) {
	var a Asm
	top := a.NewLabel()
	end := a.NewLabel()
	a.Bind(top)       // 0:
	a.Jcc(CondE, end) // 0: je end        0f 84 rel32
	a.Call(top)       // 6: call top      e8 rel32
	a.Jmp32(top)      // 11: jmp top      e9 rel32
	a.Bind(end)       // 16:
	a.Ret()           // 16: ret
	a.Jmp(top)        // 17: jmp top      eb rel8
	a.Jcc(CondNE, top)
	got, err := a.Finish()
	if err != nil {
		t.Fatal(err)
	}
	want := "0f840a000000" + "e8f5ffffff" + "e9f0ffffff" + "c3" + "ebed" + "75eb"
	if h := hex.EncodeToString(got); h != want {
		t.Errorf("got %s, want %s", h, want)
	}
	if !a.Bound(top) || a.Offset(end) != 16 {
		t.Errorf("Bound(top) = %v, Offset(end) = %d", a.Bound(top), a.Offset(end))
	}
	if l := a.NewLabel(); a.Bound(l) || a.Offset(l) != -1 {
		t.Errorf("new label: Bound %v, Offset %d", a.Bound(l), a.Offset(l))
	}
}

// TestExternLabels assembles a piece that calls and jumps to code
// assembled elsewhere, then joins it after that code, before and after
// the label there is bound: every reference lands where Refer says.
func TestExternLabels(t *testing.T) {
	var piece Asm
	out := piece.NewExternLabel()
	self := piece.NewLabel()
	piece.Bind(self)      // 0:
	piece.Call(out)       // 0: call out    e8 rel32
	piece.Jcc(CondE, out) // 5: je out      0f 84 rel32
	piece.Jmp(out)        // 11: jmp out    e9 rel32 (never rel8)
	piece.Jmp(self)       // 16: jmp self   eb rel8
	code, err := piece.Finish()
	if err != nil {
		t.Fatalf("Finish with an extern label used: %v", err)
	}
	var refs []int
	piece.References(out, func(at int, add int32) {
		if add != 0 {
			t.Errorf("reference at %d: add %d", at, add)
		}
		refs = append(refs, at)
	})
	if want := []int{1, 7, 12}; !slices.Equal(refs, want) {
		t.Fatalf("references at %v, want %v", refs, want)
	}
	for _, bindFirst := range []bool{true, false} {
		var whole Asm
		target := whole.NewLabel()
		if bindFirst {
			whole.Bind(target)
		}
		whole.Ret()
		base := whole.Len()
		whole.Raw(code...)
		for _, at := range refs {
			whole.Refer(target, base+at, 0)
		}
		if !bindFirst {
			whole.Bind(target)
			whole.Ret()
		}
		got, err := whole.Finish()
		if err != nil {
			t.Fatal(err)
		}
		for _, at := range refs {
			rel := int32(binary.LittleEndian.Uint32(got[base+at:]))
			if land := base + at + 4 + int(rel); land != whole.Offset(target) {
				t.Errorf("bound first %v: reference at %d lands at %d, want %d", bindFirst, at, land, whole.Offset(target))
			}
		}
		if got[base+16] != 0xEB || int8(got[base+17]) != -18 {
			t.Errorf("bound first %v: the piece's own jump changed: % x", bindFirst, got[base+16:base+18])
		}
	}
}

// TestJumpDistances checks the rel8/rel32 choice at its bounds and that
// every jump lands on its label.
func TestJumpDistances(t *testing.T) {
	for _, gap := range []int{0, 1, 100, 125, 126, 127, 128, 129, 1000} {
		for _, cond := range []bool{false, true} {
			var a Asm
			l := a.NewLabel()
			a.Bind(l)
			for range gap {
				a.Nop()
			}
			at := a.Len()
			if cond {
				a.Jcc(CondL, l)
			} else {
				a.Jmp(l)
			}
			code, err := a.Finish()
			if err != nil {
				t.Fatal(err)
			}
			insts := decodeAll(t, code[at:])
			if len(insts) != 1 {
				t.Fatalf("gap %d: %d instructions", gap, len(insts))
			}
			target := at + insts[0].Len + int(relArg(t, insts[0]))
			if target != 0 {
				t.Errorf("gap %d cond %v: jump lands at %d", gap, cond, target)
			}
			short := gap+2 <= 128
			if (insts[0].Len == 2) != short {
				t.Errorf("gap %d cond %v: %d-byte jump", gap, cond, insts[0].Len)
			}
		}
	}
	// Forward jumps are rel32 and patched by Bind.
	var a Asm
	l := a.NewLabel()
	a.Jmp(l)
	a.Jcc(CondA, l)
	a.Call(l)
	a.Nop()
	a.Bind(l)
	code, err := a.Finish()
	if err != nil {
		t.Fatal(err)
	}
	pc := 0
	for _, inst := range decodeAll(t, code)[:3] {
		if got := pc + inst.Len + int(relArg(t, inst)); got != a.Offset(l) {
			t.Errorf("%v lands at %d, want %d", inst, got, a.Offset(l))
		}
		pc += inst.Len
	}
}

// relArg returns the relative operand of a decoded jump or call.
func relArg(t *testing.T, inst x86asm.Inst) int32 {
	t.Helper()
	rel, ok := inst.Args[0].(x86asm.Rel)
	if !ok {
		t.Fatalf("%v: no relative operand", inst)
	}
	return int32(rel)
}

// decodeOne decodes the instruction at the start of code.
func decodeOne(t *testing.T, code []byte) x86asm.Inst {
	t.Helper()
	inst, err := x86asm.Decode(code, 64)
	if err != nil {
		t.Fatalf("decode % x: %v", code[:min(len(code), 15)], err)
	}
	return inst
}

// ripMem returns the displacement of inst's rip-relative operand.
func ripMem(inst x86asm.Inst) (int64, bool) {
	for _, arg := range inst.Args {
		if m, ok := arg.(x86asm.Mem); ok && m.Base == x86asm.RIP {
			return m.Disp, true
		}
	}
	return 0, false
}

// TestRIPLabel checks [rip+label] operands, including ones followed by an
// immediate, which the displacement must skip.
func TestRIPLabel(t *testing.T) {
	var a Asm
	data := a.NewLabel()
	a.LeaLabel(R13, data)                                // before the label is bound
	a.AluMemImm(AluCmp, W32, LabelMem(data, 4), 0x12345) // imm32 after disp32
	a.StoreImm(W16, LabelMem(data, 0), 7)                // imm16
	a.SSELoadImm(Pshufd, X3, LabelMem(data, 0), 0x1b)    // imm8
	a.Ret()
	a.AlignTo(16)
	a.Bind(data)
	a.Raw(1, 2, 3, 4, 5, 6, 7, 8)
	a.Load(W64, RAX, LabelMem(data, 0)) // after
	a.PinsrLoad(W8, X1, LabelMem(data, 3), 9)
	code, err := a.Finish()
	if err != nil {
		t.Fatal(err)
	}
	// Decode instruction by instruction, skipping the data.
	pc := 0
	n := 0
	for pc < len(code) {
		if pc == a.Offset(data) {
			pc += 8
			continue
		}
		inst := decodeOne(t, code[pc:])
		if m, ok := ripMem(inst); ok {
			got := pc + inst.Len + int(m)
			want := a.Offset(data) + []int{0, 4, 0, 0, 0, 3}[n]
			if got != want {
				t.Errorf("%s at %d reaches %d, want %d", render(inst, false), pc, got, want)
			}
			n++
		}
		pc += inst.Len
	}
	if n != 6 {
		t.Errorf("%d rip-relative operands, want 6", n)
	}
}

func TestJmpTable(t *testing.T) {
	var a Asm
	table := a.NewLabel()
	targets := []*Label{a.NewLabel(), a.NewLabel(), a.NewLabel()}
	a.JmpTable(RCX, R11, table)
	for _, l := range targets {
		a.Bind(l)
		a.Nop()
		a.Ret()
	}
	a.AlignTo(4)
	a.Bind(table)
	for _, l := range []*Label{targets[2], targets[0], targets[1], targets[2]} {
		a.AddLabelOffset32(l, table)
	}
	code, err := a.Finish()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"lea r11, [rip]", "movsxd rcx, dword [r11+rcx*4]", "add r11, rcx", "jmp r11"}
	pc := 0
	for i, w := range want {
		inst := decodeOne(t, code[pc:])
		got := render(inst, true)
		if i == 0 {
			m, _ := ripMem(inst)
			if pc+inst.Len+int(m) != a.Offset(table) {
				t.Errorf("lea reaches %d, want %d", pc+inst.Len+int(m), a.Offset(table))
			}
			got = "lea r11, [rip]"
		}
		if got != w {
			t.Errorf("got %s, want %s", got, w)
		}
		pc += inst.Len
	}
	for i, l := range []*Label{targets[2], targets[0], targets[1], targets[2]} {
		v := int32(binary.LittleEndian.Uint32(code[a.Offset(table)+4*i:]))
		if a.Offset(table)+int(v) != a.Offset(l) {
			t.Errorf("entry %d: %d, want %d", i, v, a.Offset(l)-a.Offset(table))
		}
	}
}

func TestCallRel(t *testing.T) {
	var a Asm
	a.Nop()
	a.CallRel(0) // backward: known
	a.CallRel(0) // forward: patched below
	at := a.Len() - 4
	a.JmpRel(1)
	a.JccRel(CondA, 0) // forward: patched below
	atJcc := a.Len() - 4
	a.Nop()
	a.Nop()
	target := a.Len()
	a.Ret()
	a.PatchRel32(at, target)
	a.PatchRel32(atJcc, target)
	code, err := a.Finish()
	if err != nil {
		t.Fatal(err)
	}
	insts := decodeAll(t, code)
	pc := 0
	for i, want := range []int{-1, 0, target, 1, target} {
		inst := insts[i]
		if want >= 0 {
			if got := pc + inst.Len + int(relArg(t, inst)); got != want {
				t.Errorf("%v reaches %d, want %d", inst, got, want)
			}
		}
		pc += inst.Len
	}
	checkErr(t, "patch outside the code", func(a *Asm) { a.Nop(); a.PatchRel32(0, 0) })
	checkErr(t, "condition", func(a *Asm) { a.JccRel(16, 0) })
}

func TestAlignTo(t *testing.T) {
	for start := range 40 {
		for _, n := range []int{1, 2, 4, 8, 16, 32} {
			var a Asm
			for range start {
				a.Int3()
			}
			a.AlignTo(n)
			code, err := a.Finish()
			if err != nil {
				t.Fatal(err)
			}
			if len(code)%n != 0 || len(code)-start >= n {
				t.Fatalf("start %d align %d: length %d", start, n, len(code))
			}
			for _, inst := range decodeAll(t, code[start:]) {
				if op := render(inst, false); !strings.HasPrefix(op, "nop") {
					t.Errorf("start %d align %d: padding decodes as %s", start, n, op)
				}
			}
		}
	}
	checkErr(t, "align 3", func(a *Asm) { a.AlignTo(3) })
}

func TestReset(t *testing.T) {
	var a Asm
	l := a.NewLabel()
	a.Jmp(l)
	a.Raw(0x99)
	a.Bind(l)
	first, err := a.Finish()
	if err != nil {
		t.Fatal(err)
	}
	firstHex := hex.EncodeToString(first)
	a.Reset()
	if a.Len() != 0 {
		t.Fatalf("Len after Reset = %d", a.Len())
	}
	// An error and a dangling label do not survive Reset.
	a.Load(W64, RAX, MI(RAX, RSP, 1, 0))
	a.Jmp(a.NewLabel())
	if _, err := a.Finish(); err == nil {
		t.Fatal("no error")
	}
	a.Reset()
	l = a.NewLabel()
	a.Jmp(l)
	a.Raw(0x99)
	a.Bind(l)
	again, err := a.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if h := hex.EncodeToString(again); h != firstHex {
		t.Errorf("after Reset: %s, want %s", h, firstHex)
	}
}

func TestFinishErrors(t *testing.T) {
	tests := []struct {
		name string
		emit func(a *Asm)
	}{
		{"unbound label", func(a *Asm) { a.Jmp(a.NewLabel()) }},
		{"unbound rip label", func(a *Asm) { a.LeaLabel(RAX, a.NewLabel()) }},
		{"unbound table entry", func(a *Asm) { b := a.NewLabel(); a.Bind(b); a.AddLabelOffset32(a.NewLabel(), b) }},
		{"rsp index", func(a *Asm) { a.Load(W64, RAX, MI(RAX, RSP, 1, 0)) }},
		{"bad scale", func(a *Asm) { a.Load(W64, RAX, MI(RAX, RCX, 3, 0)) }},
		{"zero scale", func(a *Asm) { a.Store(W32, MI(RAX, RCX, 0, 0), RDX) }},
		{"rip with index", func(a *Asm) { a.Load(W64, RAX, Mem{RIP: true, MemRegs: MemRegs{HasIndex: true, Index: RCX, Scale: 1}}) }},
		{"label bound twice", func(a *Asm) { l := a.NewLabel(); a.Bind(l); a.Bind(l) }},
		{"register 16", func(a *Asm) { a.MovRR(W64, 16, RAX) }},
		{"xmm 16", func(a *Asm) { a.SSE(Addps, 16, X0) }},
		{"base 16", func(a *Asm) { a.Load(W64, RAX, M(16, 0)) }},
		{"width 3", func(a *Asm) { a.Alu(AluAdd, 3, RAX, RCX) }},
		{"movrr width 0", func(a *Asm) { a.MovRR(0, RAX, RCX) }},
		{"imul byte", func(a *Asm) { a.IMul(W8, RAX, RCX) }},
		{"lea byte", func(a *Asm) { a.Lea(W8, RAX, M(RAX, 0)) }},
		{"bswap word", func(a *Asm) { a.Bswap(W16, RAX) }},
		{"cmov byte", func(a *Asm) { a.Cmov(CondE, W8, RAX, RCX) }},
		{"lzcnt byte", func(a *Asm) { a.Lzcnt(W8, RAX, RCX) }},
		{"movzx to byte", func(a *Asm) { a.MovZX(W8, W8, RAX, RCX) }},
		{"movsx from qword", func(a *Asm) { a.MovSX(W64, W64, RAX, RCX) }},
		{"loadsx into word", func(a *Asm) { a.LoadSX(W16, W8, RAX, M(RAX, 0)) }},
		{"loadsx from qword", func(a *Asm) { a.LoadSX(W64, W64, RAX, M(RAX, 0)) }},
		{"byte immediate too big", func(a *Asm) { a.AluImm(AluAdd, W8, RAX, 256) }},
		{"word immediate too big", func(a *Asm) { a.StoreImm(W16, M(RAX, 0), 0x10000) }},
		{"alu op 8", func(a *Asm) { a.Alu(8, W64, RAX, RCX) }},
		{"shift op 2", func(a *Asm) { a.Shift(2, W64, RAX) }},
		{"condition 16", func(a *Asm) { a.Setcc(16, RAX) }},
		{"movq width 16", func(a *Asm) { a.MovqToX(W16, X0, RAX) }},
		{"cvt width 8", func(a *Asm) { a.Cvtts2si(true, W8, RAX, X0) }},
		{"pextr width 3", func(a *Asm) { a.Pextr(3, RAX, X0, 0) }},
		{"pinsr width 0", func(a *Asm) { a.Pinsr(0, X0, RAX, 0) }},
		{"bad sse op", func(a *Asm) { a.SSE(SSEOp(3<<sseEscShift|0x10), X0, X1) }},
		{"sse op with unknown bits", func(a *Asm) { a.SSE(Addps|1<<30, X0, X1) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a Asm
			tc.emit(&a)
			if _, err := a.Finish(); err == nil {
				t.Fatal("Finish succeeded")
			} else if a.Err() == nil && tc.name[:7] != "unbound" {
				t.Errorf("Err() = nil after %v", err)
			}
		})
	}
}

// TestNoAllocs checks that a warmed-up Asm encodes without allocating.
func TestNoAllocs(t *testing.T) {
	var a Asm
	emit := func() {
		a.Reset()
		l := a.NewLabel()
		a.Push(RBP)
		a.MovRR(W64, RBP, RSP)
		a.Load(W32, RAX, MI(R15, RCX, 1, 16))
		a.AluImm(AluAdd, W32, RAX, 1000)
		a.Jcc(CondNE, l)
		a.SSELoad(Movdqu, X9, M(R12, 0))
		a.SSE(Paddd, X9, X1)
		a.SSEImm(Pshufd, X2, X9, 0x1b)
		a.Bind(l)
		a.Pop(RBP)
		a.Ret()
		if _, err := a.Finish(); err != nil {
			t.Fatal(err)
		}
	}
	emit()
	if n := testing.AllocsPerRun(100, emit); n != 0 {
		t.Errorf("%v allocations per function", n)
	}
}

// TestCommonPathsAgree checks that rr's and rm's common paths, which build
// plain instructions in a register, write the bytes their general paths
// write, for every register, base, index, scale, displacement size and
// shape of plain encoding (REX.W or not, a REX forced for byte registers,
// opcodes of one to three bytes).
func TestCommonPathsAgree(t *testing.T) {
	encs := []enc{
		{op: o1(0x8B)},
		{encFlags: encFlags{w: true}, op: o1(0x89)},
		{encFlags: encFlags{force: true}, op: o1(0x88)},
		{op: o2(0x0F, 0xB6)},
		{encFlags: encFlags{w: true}, op: o2(0x0F, 0xAF)},
		{encFlags: encFlags{w: true, force: true}, op: o3(0x0F, 0x38, 0xF0)},
	}
	disps := []int32{0, 1, -1, 127, -128, 128, -129, 0x12345678, -0x80000000}
	for _, e := range encs {
		for reg := byte(0); reg < 16; reg++ {
			for rm := byte(0); rm < 16; rm++ {
				var fast, general Asm
				fast.rr(e, reg, rm)
				general.rrAny(e, reg, rm)
				if !slices.Equal(fast.b, general.b) {
					t.Fatalf("rr(%+v, %d, %d) = % x, the general path writes % x", e, reg, rm, fast.b, general.b)
				}
			}
			for base := RAX; base <= R15; base++ {
				for _, d := range disps {
					ms := []Mem{M(base, d)}
					if reg%7 == 0 { // 0, 7, 8, 15: enough for the index forms
						for index := RAX; index <= R15; index++ {
							for _, scale := range []uint8{1, 2, 4, 8} {
								if index != RSP {
									ms = append(ms, MI(base, index, scale, d))
								}
							}
						}
					}
					for _, m := range ms {
						var fast, general Asm
						fast.rm(e, reg, m, 0)
						general.rmAny(e, reg, m, 0)
						if !slices.Equal(fast.b, general.b) {
							t.Fatalf("rm(%+v, %d, %v) = % x, the general path writes % x", e, reg, m, fast.b, general.b)
						}
					}
				}
			}
		}
	}
}
