// Package amd64 is the compiled tier: it translates the slot form that
// the interpreter runs (package ir) into x86-64 machine code and runs
// that code.
//
// Every slot-form instruction becomes a short sequence over the same
// frame layout the interpreter uses (slot i of a frame at [RBX+8*i], a
// callee's frame starting at its caller's argument slots), so the two
// tiers agree on every value's place and an instruction without a
// native translation can be handed back to the interpreter's
// implementation in Go (an exitStep) without converting anything.
//
// Pinned registers: R15 the call's execution context (execCtx), R14 the
// running instance's state block (vmctx.go), R13 and R12 the base and
// length of its memory, RBX the frame. Values live in slots between
// instructions; seven slot registers (R8–R11, RSI, RDI, RBP; see
// slotRegs) cache slots write-back within straight-line code, so that a
// value is read back from a register and a temporary overwritten in its
// line is never stored, and an innermost loop without calls or exits
// keeps its most used slots in some of them for its whole extent
// (loops.go), so that values carried round the loop stay in registers.
//
// Functions are translated on every CPU, each into a piece of code of
// its own, and the pieces joined in function order (join.go).
//
// The generator is one; a Target says what differs where its code runs.
// InProcess code runs on stacks of its own in the Go process, entered
// through resume (enter_amd64.s) between runtime.entersyscall and
// exitsyscall, so a guest that loops neither blocks the garbage collector
// nor holds a P; it checks bounds, stack limits and an interrupt flag
// explicitly, and leaves to Go (exits) for host calls, traps and slow
// instructions. The VM target differs only in those choices: its code
// runs in ring 3 of a micro-VM (package vm), each call from Go in a VM of
// its own (vmrun.go), where the hardware checks bounds and stacks, the
// monitor stops the guest at its deadline, and every exit is one
// hypercall; it also serves the WASI calls that need no host (clocks,
// arguments, random bytes, buffered output, descriptor state) in the
// guest, from data the host refreshes at every exit (guest.go).
package amd64
