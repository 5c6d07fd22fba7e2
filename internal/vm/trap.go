package vm

import (
	"fmt"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/vm/x86"
)

// Trap is a guest stopped by something it did or by its deadline. The
// guest cannot crash the host: every fault ends the run with a Trap, and
// the VM may run again.
//
// Kind is the runtime's own trap kind, so a trap reads the same whichever
// tier ran the code:
//
//   - api.TrapOutOfBoundsMemory: a page fault in a linear-memory window
//     beyond the memory's current size, or in the guard after it (Memory
//     says which memory);
//   - api.TrapCallStackExhausted: a page fault in the guard below the
//     stack;
//   - api.TrapIntegerDivideByZero: #DE (compiled code checks INT_MIN / -1
//     itself and reports integer overflow; the CPU cannot tell them apart);
//   - api.TrapUnreachable: #UD raised by a ud2 instruction;
//   - api.TrapTimeout and api.TrapInterrupted: the context's deadline
//     passed, or it was canceled;
//   - api.TrapInternal: anything compiled code never does. Either another
//     CPU exception (Exception is set; Vector, ErrorCode and Addr say
//     which), or a bad hypercall: one with no handler, or an in from the
//     hypercall port (Detail says which).
type Trap struct {
	Kind api.TrapKind
	// Exception reports a trap raised by a CPU exception, which Vector
	// names.
	Exception bool
	// Vector is the CPU exception, when Exception is set.
	Vector x86.Vector
	// RIP is the guest address of the faulting instruction, or where the
	// guest was when it was stopped.
	RIP uint64
	// RSP is the guest's stack pointer there: for an exception, the rsp
	// in the frame the CPU pushed, which is the faulting instruction's;
	// otherwise the register. With VM.Stack it lets the host walk the
	// guest's frames.
	RSP uint64
	// ErrorCode is the exception's error code, where it has one.
	ErrorCode uint64
	// Addr is, for page faults, the guest address that faulted (CR2); for
	// api.TrapOutOfBoundsMemory it is the offset into linear memory of the
	// first inaccessible byte.
	Addr uint64
	// Memory is, for api.TrapOutOfBoundsMemory, the linear memory whose
	// window faulted.
	Memory int
	// Detail adds what the kind alone does not say, such as the hypercall
	// number.
	Detail string
	// Cause is the context's error for api.TrapTimeout and
	// api.TrapInterrupted.
	Cause error
}

// Error returns the trap's wording followed by where it happened.
func (t *Trap) Error() string {
	switch t.Kind {
	case api.TrapOutOfBoundsMemory:
		if t.Memory != 0 {
			return fmt.Sprintf("%v at linear address %#x of memory %d (rip %#x)", t.Kind, t.Addr, t.Memory, t.RIP)
		}
		return fmt.Sprintf("%v at linear address %#x (rip %#x)", t.Kind, t.Addr, t.RIP)
	case api.TrapCallStackExhausted:
		return fmt.Sprintf("%v (rip %#x, fault at %#x)", t.Kind, t.RIP, t.Addr)
	case api.TrapTimeout, api.TrapInterrupted:
		return fmt.Sprintf("%v: guest stopped at rip %#x: %v", t.Kind, t.RIP, t.Cause)
	case api.TrapInternal:
		if !t.Exception {
			return fmt.Sprintf("%v: %s (rip %#x)", t.Kind, t.Detail, t.RIP)
		}
		s := fmt.Sprintf("%v: %v", t.Kind, t.Vector)
		if t.Detail != "" {
			s += ": " + t.Detail
		}
		if t.Vector.HasErrorCode() {
			s += fmt.Sprintf(", error code %#x", t.ErrorCode)
		}
		if t.Vector == x86.PF {
			s += fmt.Sprintf(", address %#x", t.Addr)
		}
		return s + fmt.Sprintf(" (rip %#x)", t.RIP)
	}
	return fmt.Sprintf("%v (rip %#x)", t.Kind, t.RIP)
}

// Unwrap returns the context error behind a timeout or interruption.
func (t *Trap) Unwrap() error { return t.Cause }
