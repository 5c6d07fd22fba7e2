package amd64

import (
	asm "github.com/wasmvisor/wasmvisor/internal/asm/amd64"
	"github.com/wasmvisor/wasmvisor/internal/engine/ir"
	"github.com/wasmvisor/wasmvisor/internal/vm"
	"golang.org/x/sys/cpu"
)

// Target is what differs between the places generated code runs. The
// code generator is one; a target decides how code leaves to the host
// and which checks the hardware makes for it.
type Target struct {
	// Name names the target in errors and cache keys.
	Name string
	// CheckBounds makes every memory access compare its end with the
	// memory's length, but one that an earlier check of the same
	// address in the same straight-line code covers (passedChecks).
	// Without it the memory's guard region must fault on any address a
	// 32-bit index and offset can form.
	CheckBounds bool
	// PollInterrupts checks the interrupt flag at function entries and
	// loop heads, so that a deadline or cancellation stops a loop.
	PollInterrupts bool
	// CheckStack compares the stacks with their limits at function
	// entry. Without it, overflow runs into a guard page.
	CheckStack bool
	// GrowInGuest makes memory.grow map the new pages itself where the
	// host lent it the page tables (vm.Loan, in the memory's record at
	// memRecLoanEnd...), and exit to the host only past the loan.
	GrowInGuest bool
	// AVX lets the code use 256-bit AVX moves (in the memory.copy
	// routine), which the host must have enabled: in-process when the
	// CPU and the operating system have AVX; a micro-VM's guest runs
	// with only the SSE state enabled.
	AVX bool
	// InlineGlobals keeps the value of each numeric global that no other
	// module or host can reach (defined, not exported) in the state
	// block itself, where global.get is one load from R14 rather than
	// two: the stack pointer of code from Go's compiler is such a
	// global, read by nearly every function. The store's record of it is
	// brought up to date when a call from Go ends and before a snapshot
	// (instanceState.FlushGlobals). In a micro-VM the block is the guest's
	// copy, refreshed at every exit, and keeps the records' addresses.
	InlineGlobals bool
	// ValueGuard is the size of the guard after the value stack when
	// CheckStack is off: a function whose frame is at least as large is
	// checked all the same, since it could reach past the guard.
	ValueGuard uint64
	// emitEntry emits the entry thunk at the code's offset 0, through
	// which the host enters a function of the module.
	emitEntry func(g *gen)
	// emitExitStub emits the stub through which every exit hands
	// control to the host (see emitExit).
	emitExitStub func(a *asm.Asm)
	// emitGuestRoutines, if set, emits after the entry thunk the
	// routines that serve host functions in the guest (guestClock).
	emitGuestRoutines func(g *gen)
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
	Name:               "in-process",
	CheckBounds:        true,
	PollInterrupts:     true,
	CheckStack:         true,
	InlineGlobals:      true,
	AVX:                cpu.X86.HasAVX,
	emitEntry:          emitInProcessEntry,
	emitExitStub:       emitExitStub,
	emitExit:           callExitStub,
	emitSharedExitTail: jumpExitStub,
}

// callExitStub exits by calling the exit stub, which finds the site's
// return address on top of the stack.
func callExitStub(g *gen) int {
	g.a.Call(g.exitStub)
	return g.a.Len()
}

// jumpExitStub ends a shared exit stub: the exit stub then finds the
// site's return address on top of the stack, as a call from the site
// would have left it.
func jumpExitStub(g *gen) { g.a.Jmp(g.exitStub) }

// emitInProcessEntry emits the entry thunk resume runs: call the target,
// then exit with exitReturn.
func emitInProcessEntry(g *gen) {
	g.a.CallMem(asm.M(rCtx, ctxTarget))
	g.a.StoreImm(asm.W32, asm.M(rCtx, ctxExitCode), exitReturn)
	g.a.Call(g.exitStub)
	g.a.Ud2()
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

// VM runs generated code in a micro-VM (package vm), in ring 3 of a
// guest without an operating system. Linear memory sits in a window
// whose unmapped rest and guard fault on any address an index and an
// offset can form, so accesses are not checked; the machine stack and
// the value stack overflow into unmapped guards; the monitor stops a
// guest at its deadline, so nothing polls. Exits are hypercalls, made
// through the same stub and with the same exit codes and operands in
// the execution context (which is the guest's context page) as
// InProcess's, so the host serves both alike.
var VM = &Target{
	Name:               "micro-vm",
	GrowInGuest:        true,
	ValueGuard:         vmValueGuard,
	emitGuestRoutines:  emitGuestRoutines,
	emitEntry:          emitVMEntry,
	emitExitStub:       emitVMExitStub,
	emitExit:           callExitStub,
	emitSharedExitTail: jumpExitStub,
}

// vmHypercallExit is the hypercall VM code exits with; the execution
// context says why.
const vmHypercallExit = 1

// emitVMEntry emits the thunk the VM's trampoline calls, with the
// execution context, the instance's state block, the frame, the target
// and the machine stack pointer to run it on in the first five argument
// registers (System V). The stack pointer leaves only as much stack
// above the guard as the engine's depth limit allows. It returns to the
// trampoline, which ends the run.
func emitVMEntry(g *gen) {
	a := &g.a
	a.MovRR(asm.W64, rCtx, asm.RDI)
	a.MovRR(asm.W64, rVM, asm.RSI)
	a.MovRR(asm.W64, rFP, asm.RDX)
	a.Load(asm.W64, rMem, asm.M(rVM, vmMemBase))
	a.Load(asm.W64, asm.RAX, asm.M(rVM, vmMemLenPtr))
	a.Load(asm.W64, rMemLen, asm.M(asm.RAX, 0))
	a.MovRR(asm.W64, asm.RAX, asm.RSP)
	a.MovRR(asm.W64, asm.RSP, asm.R8)
	a.Push(asm.RAX)
	a.Push(asm.RAX) // keeps the stack 16-byte aligned
	a.CallReg(asm.RCX)
	a.Pop(asm.RAX)
	a.Pop(asm.RSP)
	a.Ret()
}

// emitVMExitStub emits the VM's exit stub: it records where the code
// stands as emitExitStub does, makes the exit hypercall, and returns to
// the site once the host has served the exit. The host may have grown
// the memory, so its length is loaded again; its base, a window of the
// guest's address space, never moves.
func emitVMExitStub(a *asm.Asm) {
	a.Store(asm.W64, asm.M(rCtx, ctxJitSP), asm.RSP)
	a.Store(asm.W64, asm.M(rCtx, ctxFP), rFP)
	a.Store(asm.W64, asm.M(rCtx, ctxVMCtx), rVM)
	a.MovImm(asm.W32, asm.RAX, vmHypercallExit)
	a.Out(vm.HypercallPort)
	a.Load(asm.W64, asm.RAX, asm.M(rVM, vmMemLenPtr))
	a.Load(asm.W64, rMemLen, asm.M(asm.RAX, 0))
	a.Ret()
}

// growInGuest emits memory.grow for a target whose guest maps its own
// pages within a loan of page tables from the host (in the memory's
// record at memRecLoanEnd...): the entry of each 4 KiB page from the old
// length to the new, then the new length, which the host takes in at
// the next exit. A growth past the
// loan, or with none, is stepped on the host, which refuses it or maps
// the pages (and may lend more).
func (g *gen) growInGuest(in *ir.Instr) {
	a := &g.a
	host, done := a.NewLabel(), a.NewLabel()
	a.Load(asm.W32, asm.RAX, slot(in.B))
	a.Load(asm.W64, asm.RCX, asm.M(rVM, vmMemLenPtr))
	a.Load(asm.W64, asm.RDX, asm.M(asm.RCX, memRecLen))
	a.ShiftImm(asm.ShShl, asm.W64, asm.RAX, 16)
	a.Alu(asm.AluAdd, asm.W64, asm.RAX, asm.RDX) // the new length: at most 2^48
	a.AluLoad(asm.AluCmp, asm.W64, asm.RAX, asm.M(asm.RCX, memRecLoanEnd))
	a.Jcc(asm.CondA, host)
	a.Load(asm.W64, asm.RSI, asm.M(asm.RCX, memRecTables))
	a.Load(asm.W64, asm.RDI, asm.M(asm.RCX, memRecEntry))
	a.MovRR(asm.W64, asm.R8, asm.RDX)
	vm.EmitMapLoaned(a, asm.RSI, asm.RDI, asm.R8, asm.RAX, asm.R9, asm.R10)
	a.Store(asm.W64, asm.M(asm.RCX, memRecLen), asm.RAX)
	a.MovRR(asm.W64, rMemLen, asm.RAX)
	a.ShiftImm(asm.ShShr, asm.W64, asm.RDX, 16)
	a.Store(asm.W64, slot(in.A), asm.RDX)
	a.Jmp(done)
	a.Bind(host)
	g.step(in)
	a.Bind(done)
}
