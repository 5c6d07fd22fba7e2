#include "textflag.h"

// func resume(c *execCtx, sp uintptr)
//
// resume switches to the machine-code stack at sp and returns into the
// address stored there, with the pinned registers of generated code
// loaded: R15 = c, RBX = the frame base, R14 = the instance's state
// block, R13 = the base of its memory and R12 = the memory's length,
// which a host function or memory.grow may have changed while Go ran.
// Go's stack and frame pointers are saved in c; the exit stub restores
// them and returns here, as if resume had returned.
//
// Offsets are execCtx's and the state block's (ctxFP, ctxVMCtx,
// vmMemBase, vmMemLenPtr); TestExecCtxLayout checks them.
TEXT ·resume(SB), NOSPLIT|NOFRAME, $0-16
	MOVQ c+0(FP), R15
	MOVQ sp+8(FP), AX
	MOVQ SP, 0(R15)
	MOVQ BP, 8(R15)
	MOVQ 32(R15), BX
	MOVQ 40(R15), R14
	MOVQ 0(R14), R13
	MOVQ 8(R14), DX
	MOVQ 0(DX), R12
	MOVQ AX, SP
	RET
