package amd64

import asm "github.com/wasmvisor/wasmvisor/internal/asm/amd64"

// Target is what differs between the places generated code runs. The
// code generator is one; a target decides how code leaves to the host
// and which checks the hardware makes for it.
type Target struct {
	// Name names the target in errors and cache keys.
	Name string
	// CheckBounds makes every memory access compare its end with the
	// memory's length. Without it the memory's guard region must fault
	// on any address a 32-bit index and offset can form.
	CheckBounds bool
	// PollInterrupts checks the interrupt flag at function entries and
	// loop heads, so that a deadline or cancellation stops a loop.
	PollInterrupts bool
	// CheckStack compares the stacks with their limits at function
	// entry. Without it, overflow runs into a guard page.
	CheckStack bool
	// emitExit emits the instruction sequence that hands control to the
	// host with the exit code and operand already stored in the
	// execution context; execution continues after it when the host
	// resumes the code. It returns the offset of the first byte after
	// the exit, where the host resumes (the return address it sees).
	emitExit func(g *gen) int
	// emitSharedExitTail ends a shared exit stub, which the exit site
	// called after nothing else: it hands control to the host as
	// emitExit does, with the site's return address on top of the stack
	// (where the host reads where the exit came from), and the host
	// resumes the site by returning to it.
	emitSharedExitTail func(g *gen)
}

// InProcess runs generated code in the Go process: it checks bounds,
// polls for interrupts, checks the stack limit, and exits to Go by
// calling the module's exit stub, which switches back to Go's stack.
var InProcess = &Target{
	Name:           "in-process",
	CheckBounds:    true,
	PollInterrupts: true,
	CheckStack:     true,
	emitExit: func(g *gen) int {
		g.a.Call(g.exitStub)
		return g.a.Len()
	},
	// The exit stub saves the stack pointer with the site's return
	// address on top, as a call from the site would have left it.
	emitSharedExitTail: func(g *gen) { g.a.Jmp(g.exitStub) },
}

// emitExitStub emits the stub that saves the machine-code state and
// returns to Go, as if the resume that entered the code had returned.
func emitExitStub(a *asm.Asm) {
	a.Store(asm.W64, asm.M(asm.R15, ctxJitSP), asm.RSP)
	a.Store(asm.W64, asm.M(asm.R15, ctxFP), asm.RBX)
	a.Store(asm.W64, asm.M(asm.R15, ctxVMCtx), asm.R14)
	a.Load(asm.W64, asm.RSP, asm.M(asm.R15, ctxGoSP))
	a.Load(asm.W64, asm.RBP, asm.M(asm.R15, ctxGoBP))
	a.Ret()
}
