// Package amd64 is the project's one x86-64 encoder. The compiler tier
// emits WebAssembly function bodies with it, and the micro-VM monitor
// builds its guest stubs (entry, exception vectors, hypercall trampolines)
// and the code its tests run with it.
//
// An Asm appends one instruction per method call to a byte buffer. Jumps,
// calls and RIP-relative operands may name a Label before it is bound;
// Bind patches them. Operand combinations that cannot be encoded (an RSP
// index, a scale of 3, a width an instruction does not have) are recorded
// and reported by Finish instead of panicking or emitting wrong bytes, so
// a compiler can emit a whole function and check once.
//
// Encoding rules the package takes care of:
//
//   - REX.W for 64-bit operands, 0x66 for 16-bit ones, REX.R/X/B for
//     R8–R15 and X8–X15, and a bare REX so that byte operands 4–7 name
//     SPL, BPL, SIL and DIL rather than AH, CH, DH and BH;
//   - a mandatory SSE prefix (66, F2, F3) goes before REX, REX goes
//     right before the opcode's escape bytes;
//   - RSP and R12 as a base need a SIB byte, RBP and R13 as a base with
//     no displacement need a zero disp8, and RSP cannot be an index;
//   - the shortest immediate and displacement forms are chosen, except
//     where a caller needs a fixed size (MovAbs, rel32 jumps to labels not
//     yet bound).
//
// Every instruction form the package emits is decoded by
// golang.org/x/arch/x86/x86asm in the tests, over a spread of registers
// that includes the ones with encoding quirks.
package amd64
