package api

import (
	"fmt"
	"strings"
)

// TrapKind says why WebAssembly execution trapped.
// See https://www.w3.org/TR/wasm-core-2/#trap
type TrapKind uint8

// Trap kinds. String returns the wording of the spec test suite.
const (
	TrapUnreachable TrapKind = iota + 1
	TrapIntegerDivideByZero
	TrapIntegerOverflow
	TrapInvalidConversion
	TrapOutOfBoundsMemory
	TrapOutOfBoundsTable
	TrapIndirectCallTypeMismatch
	TrapUninitializedElement
	TrapUndefinedElement
	TrapCallStackExhausted
	// TrapInterrupted: the call's context was canceled.
	TrapInterrupted
	// TrapTimeout: the call's context deadline passed.
	TrapTimeout
	// TrapModuleClosed: the called function's module was closed.
	TrapModuleClosed
	// TrapHostPanic: a host function panicked.
	TrapHostPanic
	// TrapInternal: the engine found itself in a state it should never
	// reach (a bug); the host process is unaffected.
	TrapInternal
)

var trapText = [...]string{
	TrapUnreachable:              "unreachable",
	TrapIntegerDivideByZero:      "integer divide by zero",
	TrapIntegerOverflow:          "integer overflow",
	TrapInvalidConversion:        "invalid conversion to integer",
	TrapOutOfBoundsMemory:        "out of bounds memory access",
	TrapOutOfBoundsTable:         "out of bounds table access",
	TrapIndirectCallTypeMismatch: "indirect call type mismatch",
	TrapUninitializedElement:     "uninitialized element",
	TrapUndefinedElement:         "undefined element",
	TrapCallStackExhausted:       "call stack exhausted",
	TrapInterrupted:              "interrupted",
	TrapTimeout:                  "timeout",
	TrapModuleClosed:             "module closed",
	TrapHostPanic:                "host function panicked",
	TrapInternal:                 "internal engine error",
}

// String returns the spec's wording for the trap.
func (k TrapKind) String() string {
	if int(k) < len(trapText) && trapText[k] != "" {
		return trapText[k]
	}
	return fmt.Sprintf("trap(%d)", uint8(k))
}

// Frame is one entry of a trap's backtrace.
type Frame struct {
	// Module is the name the function's module was instantiated under.
	Module string
	// FuncIndex is the function's index in its module.
	FuncIndex uint32
	// FuncName is the function's name from the name section, if any.
	FuncName string
	// Offset is the byte offset in the module binary of the instruction
	// that was executing (the call, in outer frames). Zero for host
	// functions, and where the instruction is not known (a micro-VM's
	// guest stopped at its deadline, or faulting, between two calls):
	// no instruction is at offset 0 of a binary, where its header is.
	Offset uint64
	// Host reports a host function.
	Host bool
}

// String formats the frame like "mod!name[3] @0x1f4", without the
// offset where it is not known.
func (f Frame) String() string {
	var b strings.Builder
	if f.Module != "" {
		b.WriteString(f.Module)
		b.WriteByte('!')
	}
	if f.FuncName != "" {
		b.WriteString(f.FuncName)
	} else {
		b.WriteString("func")
	}
	fmt.Fprintf(&b, "[%d]", f.FuncIndex)
	switch {
	case f.Host:
		b.WriteString(" (host)")
	case f.Offset != 0:
		fmt.Fprintf(&b, " @0x%x", f.Offset)
	}
	return b.String()
}

// Trap is a WebAssembly trap: execution stopped because an instruction
// could not complete, or a limit (stack, time) was reached. The host is
// unaffected; the module's state is as the trapping instruction left it.
type Trap struct {
	Kind TrapKind
	// Detail adds context to Kind, such as the limit that was reached.
	Detail string
	// Frames is the backtrace, innermost first.
	Frames []Frame
	// Err is the underlying error for TrapInterrupted and TrapTimeout
	// (the context's error) and TrapHostPanic.
	Err error
}

// Error returns the trap's wording, its detail and the backtrace.
func (t *Trap) Error() string {
	var b strings.Builder
	b.WriteString(t.Kind.String())
	if t.Detail != "" {
		b.WriteString(": ")
		b.WriteString(t.Detail)
	}
	for i, f := range t.Frames {
		fmt.Fprintf(&b, "\n  %d: %s", i, f)
	}
	return b.String()
}

// Unwrap returns Err.
func (t *Trap) Unwrap() error { return t.Err }

// Is reports whether target is a *Trap of t's Kind, so that
// errors.Is(err, &api.Trap{Kind: api.TrapTimeout}) asks "did it time
// out?" whatever the detail and backtrace.
func (t *Trap) Is(target error) bool {
	k, ok := target.(*Trap)
	return ok && k.Kind == t.Kind
}

// ExitError ends a program with an exit code, as WASI's proc_exit does.
// It is not a trap: a host function returns it to unwind the guest
// cleanly, and the outermost Call returns it.
type ExitError struct {
	Code uint32
}

// Is reports whether target is an *ExitError with e's Code, so that
// errors.Is(err, &api.ExitError{Code: 0}) asks whether a program exited
// successfully through proc_exit.
func (e *ExitError) Is(target error) bool {
	x, ok := target.(*ExitError)
	return ok && x.Code == e.Code
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("module exited with code %d", e.Code)
}
