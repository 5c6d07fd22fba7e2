package amd64

import _ "unsafe" // for go:linkname

// resume enters generated code: see enter_amd64.s.
//
//go:noescape
func resume(c *execCtx, sp uintptr)

// The runtime's system-call bracket. Machine code runs as a system call
// does: the goroutine's P may be handed to other goroutines, and the
// garbage collector neither waits for the code to reach a safe point nor
// scans its stacks (they hold no Go pointers the collector must see).
// gVisor's KVM platform enters guest mode the same way.
//
//go:linkname entersyscall runtime.entersyscall
func entersyscall()

//go:linkname exitsyscall runtime.exitsyscall
func exitsyscall()

// runGuest runs machine code from sp until it exits. Nothing between
// entersyscall and exitsyscall may grow the Go stack.
//
//go:nosplit
func runGuest(c *execCtx, sp uintptr) {
	entersyscall()
	resume(c, sp)
	exitsyscall()
}
