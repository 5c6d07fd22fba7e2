package x86

import (
	"encoding/hex"
	"testing"
)

// TestAsm_Encoding compares each instruction with the bytes GNU as
// produces for it (as -msyntax=intel, checked with objdump -d).
func TestAsm_Encoding(t *testing.T) {
	tests := []struct {
		asm  string
		emit func(a *Asm)
		want string
	}{
		{"movabs rax, 0x1122334455667788", func(a *Asm) { a.MovImm64(RAX, 0x1122334455667788) }, "48b88877665544332211"},
		{"movabs r9, 0x1122334455667788", func(a *Asm) { a.MovImm64(R9, 0x1122334455667788) }, "49b98877665544332211"},
		{"mov ecx, 0x12345678", func(a *Asm) { a.MovImm32(RCX, 0x12345678) }, "b978563412"},
		{"mov r10d, 0x12345678", func(a *Asm) { a.MovImm32(R10, 0x12345678) }, "41ba78563412"},
		{"mov rdi, rax", func(a *Asm) { a.Mov(RDI, RAX) }, "4889c7"},
		{"mov r8, r15", func(a *Asm) { a.Mov(R8, R15) }, "4d89f8"},
		{"mov rax, [rbx+8]", func(a *Asm) { a.Load64(RAX, M(RBX, 8)) }, "488b4308"},
		{"mov rax, [rsp]", func(a *Asm) { a.Load64(RAX, M(RSP, 0)) }, "488b0424"},
		{"mov r12, [r13]", func(a *Asm) { a.Load64(R12, M(R13, 0)) }, "4d8b6500"},
		{"mov eax, [r15+rax+0x100]", func(a *Asm) { a.Load32(RAX, MI(R15, RAX, 0x100)) }, "418b840700010000"},
		{"mov eax, [rbp]", func(a *Asm) { a.Load32(RAX, M(RBP, 0)) }, "8b4500"},
		{"movzx ecx, byte [rsi+rdx-4]", func(a *Asm) { a.Load8(RCX, MI(RSI, RDX, -4)) }, "0fb64c16fc"},
		{"mov [rsp+16], rdi", func(a *Asm) { a.Store64(M(RSP, 16), RDI) }, "48897c2410"},
		{"mov [r12], r11d", func(a *Asm) { a.Store32(M(R12, 0), R11) }, "45891c24"},
		{"mov [rax], sil", func(a *Asm) { a.Store8(M(RAX, 0), RSI) }, "408830"},
		{"mov [rax], cl", func(a *Asm) { a.Store8(M(RAX, 0), RCX) }, "8808"},
		{"add rax, rbx", func(a *Asm) { a.Add(RAX, RBX) }, "4801d8"},
		{"sub r8, rcx", func(a *Asm) { a.Sub(R8, RCX) }, "4929c8"},
		{"cmp rdi, r9", func(a *Asm) { a.Cmp(RDI, R9) }, "4c39cf"},
		{"xor eax, eax", func(a *Asm) { a.Xor32(RAX, RAX) }, "31c0"},
		{"xor r11d, r11d", func(a *Asm) { a.Xor32(R11, R11) }, "4531db"},
		{"add rsp, 8", func(a *Asm) { a.AddImm(RSP, 8) }, "4883c408"},
		// as picks the short rax form (48 05); 81 /0 is the general one.
		{"add rax, 0x1000", func(a *Asm) { a.AddImm(RAX, 0x1000) }, "4881c000100000"},
		{"sub rcx, 1", func(a *Asm) { a.SubImm(RCX, 1) }, "4883e901"},
		{"cmp r12, -1", func(a *Asm) { a.CmpImm(R12, -1) }, "4983fcff"},
		{"inc rcx", func(a *Asm) { a.Inc(RCX) }, "48ffc1"},
		{"dec r15", func(a *Asm) { a.Dec(R15) }, "49ffcf"},
		{"div ecx", func(a *Asm) { a.Div32(RCX) }, "f7f1"},
		{"div r9d", func(a *Asm) { a.Div32(R9) }, "41f7f1"},
		{"push rbp", func(a *Asm) { a.Push(RBP) }, "55"},
		{"push r12", func(a *Asm) { a.Push(R12) }, "4154"},
		{"pop rbx", func(a *Asm) { a.Pop(RBX) }, "5b"},
		{"pop r15", func(a *Asm) { a.Pop(R15) }, "415f"},
		{"push 0x1f80", func(a *Asm) { a.PushImm(0x1f80) }, "68801f0000"},
		{"ret", func(a *Asm) { a.Ret() }, "c3"},
		{"call rax", func(a *Asm) { a.CallReg(RAX) }, "ffd0"},
		{"call r11", func(a *Asm) { a.CallReg(R11) }, "41ffd3"},
		{"jmp r11", func(a *Asm) { a.JmpReg(R11) }, "41ffe3"},
		{"out 0xf0, al", func(a *Asm) { a.Out(0xF0) }, "e6f0"},
		{"ud2", func(a *Asm) { a.Ud2() }, "0f0b"},
		{"hlt", func(a *Asm) { a.Hlt() }, "f4"},
		{"fninit", func(a *Asm) { a.Fninit() }, "dbe3"},
		{"ldmxcsr [rsp]", func(a *Asm) { a.Ldmxcsr(M(RSP, 0)) }, "0fae1424"},
		{"pxor xmm0, xmm0", func(a *Asm) { a.Pxor(0, 0) }, "660fefc0"},
		{"pxor xmm15, xmm8", func(a *Asm) { a.Pxor(15, 8) }, "66450feff8"},
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

func TestAsm_Labels(t *testing.T) {
	var a Asm
	top := a.NewLabel()
	end := a.NewLabel()
	a.Bind(top)       // 0:
	a.Jcc(CondE, end) // 0: je end        0f 84 rel32
	a.Call(top)       // 6: call top      e8 rel32
	a.Jmp(top)        // 11: jmp top      e9 rel32
	a.Bind(end)       // 16:
	a.Ret()           // 16: ret
	got, err := a.Finish()
	if err != nil {
		t.Fatal(err)
	}
	want := "0f840a000000" + "e8f5ffffff" + "e9f0ffffff" + "c3"
	if h := hex.EncodeToString(got); h != want {
		t.Errorf("got %s, want %s", h, want)
	}
}

func TestAsm_Finish(t *testing.T) {
	tests := []struct {
		name string
		emit func(a *Asm)
	}{
		{"unbound label", func(a *Asm) { a.Jmp(a.NewLabel()) }},
		{"rsp index", func(a *Asm) { a.Load64(RAX, MI(RAX, RSP, 0)) }},
		{"bad scale", func(a *Asm) { a.Load64(RAX, Mem{Base: RAX, Index: RCX, HasIndex: true, Scale: 3}) }},
		{"label bound twice", func(a *Asm) { l := a.NewLabel(); a.Bind(l); a.Bind(l) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a Asm
			tc.emit(&a)
			if _, err := a.Finish(); err == nil {
				t.Fatal("Finish succeeded")
			}
		})
	}
}
