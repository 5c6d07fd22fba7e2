package vm

import (
	"fmt"

	"github.com/wasmvisor/wasmvisor/internal/vm/x86"
)

// TrapKind classifies a trap. The kinds the WebAssembly spec names use its
// wording (ARCHITECTURE.md decision 5).
type TrapKind uint8

// Trap kinds.
const (
	// TrapOutOfBounds is a page fault in the linear-memory window beyond
	// the memory's current size, or in the guard after it.
	TrapOutOfBounds TrapKind = iota + 1
	// TrapStackExhausted is a page fault in the guard below the stack.
	TrapStackExhausted
	// TrapDivideByZero is #DE. (Compiled code checks INT_MIN / -1 itself
	// and reports "integer overflow"; the CPU cannot tell them apart.)
	TrapDivideByZero
	// TrapUnreachable is #UD raised by a ud2 instruction.
	TrapUnreachable
	// TrapTimeout is a guest stopped because its context's deadline passed.
	TrapTimeout
	// TrapInterrupted is a guest stopped because its context was canceled.
	TrapInterrupted
	// TrapBadHypercall is a hypercall with no handler, or an in from the
	// hypercall port.
	TrapBadHypercall
	// TrapFault is any other exception: Vector, RIP and ErrorCode say which.
	TrapFault
)

var trapKindText = [...]string{
	TrapOutOfBounds:    "out of bounds memory access",
	TrapStackExhausted: "call stack exhausted",
	TrapDivideByZero:   "integer divide by zero",
	TrapUnreachable:    "unreachable",
	TrapTimeout:        "deadline exceeded",
	TrapInterrupted:    "interrupted",
	TrapBadHypercall:   "bad hypercall",
	TrapFault:          "guest fault",
}

// String returns the trap's wording, e.g. "out of bounds memory access".
func (k TrapKind) String() string {
	if int(k) < len(trapKindText) && trapKindText[k] != "" {
		return trapKindText[k]
	}
	return fmt.Sprintf("trap kind %d", uint8(k))
}

// Trap is a guest stopped by something it did or by its deadline. The
// guest cannot crash the host: every fault ends the run with a Trap, and
// the VM may run again.
type Trap struct {
	Kind TrapKind
	// Vector is the CPU exception, for traps raised by one.
	Vector x86.Vector
	// RIP is the guest address of the faulting instruction, or where the
	// guest was when it was stopped.
	RIP uint64
	// ErrorCode is the exception's error code, where it has one.
	ErrorCode uint64
	// Addr is, for page faults, the guest address that faulted (CR2); for
	// TrapOutOfBounds it is the offset into linear memory of the first
	// inaccessible byte.
	Addr uint64
	// Detail adds what the kind alone does not say, such as the hypercall
	// number.
	Detail string
	// Cause is the context's error for TrapTimeout and TrapInterrupted.
	Cause error
}

// Error returns the trap's wording followed by where it happened.
func (t *Trap) Error() string {
	switch t.Kind {
	case TrapOutOfBounds:
		return fmt.Sprintf("%v at linear address %#x (rip %#x)", t.Kind, t.Addr, t.RIP)
	case TrapStackExhausted:
		return fmt.Sprintf("%v (rip %#x, fault at %#x)", t.Kind, t.RIP, t.Addr)
	case TrapTimeout, TrapInterrupted:
		return fmt.Sprintf("%v: guest stopped at rip %#x: %v", t.Kind, t.RIP, t.Cause)
	case TrapBadHypercall:
		return fmt.Sprintf("%v: %s (rip %#x)", t.Kind, t.Detail, t.RIP)
	case TrapFault:
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
