package amd64

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// execCtx is what generated code shares with Go during one call: R15
// points at it while machine code runs. The fields before stacks are
// read and written by generated code and by enter_amd64.s at the
// offsets below; TestExecCtxLayout checks them.
type execCtx struct {
	goSP, goBP uintptr // Go's stack and frame pointers while machine code runs
	jitSP      uintptr // the machine-code stack pointer at the last exit
	exitCode   uint32  // why the code exited (exitReturn, …)
	exitArg    uint32  // the exit's operand: a trap kind, a slow instruction's index
	fp         uintptr // frame base (RBX) at the last exit; loaded by resume
	vmctx      uintptr // instance state block (R14) at the last exit; loaded by resume
	stackEnd   uintptr // one past the last usable value-stack byte
	nativeLim  uintptr // the lowest machine stack pointer a function may start with
	interrupt  uint32  // set to 1 (atomically) when the call's context ends
	_          uint32
	target     uintptr // the function the entry thunk calls
	exitPtr    uintptr // exitCall: the *store.Function to call
	exitArgs   uintptr // exitCall: its parameter and result slots

	stacks *stacks
}

// Offsets of execCtx's fields in generated code.
const (
	ctxGoSP      = 0
	ctxGoBP      = 8
	ctxJitSP     = 16
	ctxExitCode  = 24
	ctxExitArg   = 28
	ctxFP        = 32
	ctxVMCtx     = 40
	ctxStackEnd  = 48
	ctxNativeLim = 56
	ctxInterrupt = 64
	ctxTarget    = 72
	ctxExitPtr   = 80
	ctxExitArgs  = 88
)

// Exit codes: why generated code returned to Go.
const (
	exitReturn    = 1 + iota // the called function returned
	exitTrap                 // exitArg is the api.TrapKind
	exitInterrupt            // a poll saw the interrupt flag
	exitCall                 // call exitPtr (a host function or another tier's) on exitArgs
	exitStep                 // execute slow instruction exitArg of the running module in Go
)

// stacks are the two stacks of a call: the value stack, where frames of
// slots live (growing up), and the machine stack for return addresses
// (growing down). Both are reserved once and committed by the kernel on
// first touch; an inaccessible guard page follows the value stack and
// precedes the machine stack.
type stacks struct {
	values []byte // usable value stack
	native []byte // usable machine stack
	raw    [][]byte
}

// nativeSlack is machine stack kept below the limit that function entry
// checks, for the entry thunk, exit stubs and a callee's return address.
const nativeSlack = 4096

func newStacks(valueBytes, nativeBytes int) (*stacks, error) {
	valueBytes = roundPage(valueBytes)
	nativeBytes = roundPage(nativeBytes + nativeSlack)
	v, err := reserve(valueBytes, false)
	if err != nil {
		return nil, err
	}
	n, err := reserve(nativeBytes, true)
	if err != nil {
		unix.Munmap(v)
		return nil, err
	}
	return &stacks{
		values: v[:valueBytes],
		native: n[pageSize:],
		raw:    [][]byte{v, n},
	}, nil
}

// reserve maps n usable bytes plus a guard page, before them when
// guardLow, else after them.
func reserve(n int, guardLow bool) ([]byte, error) {
	b, err := unix.Mmap(-1, 0, n+pageSize, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		return nil, err
	}
	guard := b[n:]
	if guardLow {
		guard = b[:pageSize]
	}
	if err := unix.Mprotect(guard, unix.PROT_NONE); err != nil {
		unix.Munmap(b)
		return nil, err
	}
	return b, nil
}

func (s *stacks) free() {
	for _, b := range s.raw {
		unix.Munmap(b)
	}
	s.raw = nil
}

func (s *stacks) valueBase() uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(s.values))) }
func (s *stacks) valueEnd() uintptr  { return s.valueBase() + uintptr(len(s.values)) }
func (s *stacks) nativeBase() uintptr {
	return uintptr(unsafe.Pointer(unsafe.SliceData(s.native)))
}
func (s *stacks) nativeTop() uintptr { return s.nativeBase() + uintptr(len(s.native)) }

func roundPage(n int) int { return (n + pageSize - 1) &^ (pageSize - 1) }

// ptrAt returns addr, an address machine code handed back, as a *T.
// Reinterpreting the word (rather than converting a uintptr expression)
// states that addr is not derived from arithmetic on a Go pointer here:
// it is the address of a live object that something else keeps
// reachable, or of memory outside the Go heap.
func ptrAt[T any](addr uintptr) *T {
	return *(**T)(unsafe.Pointer(&addr))
}
