package vm

import (
	"context"
	"fmt"

	"github.com/wasmvisor/wasmvisor/internal/linmem"
)

// Hypercall numbers. The guest puts the number in eax and executes
// out HypercallPort, al (see docs/HYPERCALL.md).
const (
	// HypercallReturn ends the run: Run returns rdi and rsi. The entry
	// trampoline makes it when the called function returns.
	HypercallReturn = 0
	// MaxHypercalls bounds the numbers a Table can hold.
	MaxHypercalls = 1024
)

// Handler serves one hypercall. It returns the value for the guest's rax,
// or an error, which stops the guest: Run returns the error unchanged, so
// an embedder can use its own error types (a process exit, say).
//
// The Call is valid only during the handler; handlers must not keep it.
type Handler func(c *Call) (uint64, error)

// Table maps hypercall numbers to handlers. Build it once and pass it with
// every Entry; it is read-only while VMs use it.
type Table struct {
	h [MaxHypercalls]Handler
}

// Register installs h for hypercall num, which must be between 1 and
// MaxHypercalls-1 and not registered yet.
func (t *Table) Register(num uint32, h Handler) error {
	switch {
	case num == HypercallReturn || num >= MaxHypercalls:
		return fmt.Errorf("hypercall number %d outside [1, %d)", num, MaxHypercalls)
	case h == nil:
		return fmt.Errorf("hypercall %d: nil handler", num)
	case t.h[num] != nil:
		return fmt.Errorf("hypercall %d registered twice", num)
	}
	t.h[num] = h
	return nil
}

func (t *Table) lookup(num uint64) Handler {
	if t == nil || num >= MaxHypercalls {
		return nil
	}
	return t.h[num]
}

// Call is one hypercall as the handler sees it.
type Call struct {
	// Num is the hypercall number (the guest's eax).
	Num uint32
	// Args are the guest's rdi, rsi, rdx, rcx, r8 and r9.
	Args [6]uint64
	// Env is the Entry's Env: the embedder's per-instance state.
	Env any

	vm  *VM
	ctx context.Context
}

// Memory returns linear memory 0 at its current size, or nil when none is
// attached. The host reads and writes it directly: it is the same memory
// the guest sees at MemoryBase.
func (c *Call) Memory() []byte {
	if mem := c.vm.mems[0].mem; mem != nil {
		return mem.Bytes()
	}
	return nil
}

// Bytes returns n bytes of linear memory 0 at offset addr, or an error when
// any of them lies outside the memory: the bounds check every guest
// pointer needs.
func (c *Call) Bytes(addr, n uint64) ([]byte, error) {
	mem := c.Memory()
	if addr > uint64(len(mem)) || n > uint64(len(mem))-addr {
		return nil, fmt.Errorf("hypercall %d: [%#x, +%#x) outside linear memory of %#x bytes", c.Num, addr, n, len(mem))
	}
	return mem[addr : addr+n : addr+n], nil
}

// GrowMemory grows linear memory 0 by delta pages, as memory.grow
// does, and maps the new pages into the guest. It returns the previous
// size in pages, and ok false (memory unchanged) when the memory cannot
// grow.
func (c *Call) GrowMemory(delta uint32) (prev uint32, ok bool) { return c.vm.GrowMemory(delta) }

// ContextPage returns the context page.
func (c *Call) ContextPage() []byte { return c.vm.ContextPage() }

// VM returns the VM the hypercall runs in, for what the Call does not
// offer itself: the data region, the stack, the other memories.
func (c *Call) VM() *VM { return c.vm }

// SP returns the guest's rsp at the hypercall: with VM.Stack, what a
// handler needs to read the guest's frames.
func (c *Call) SP() uint64 { return c.vm.run.S.Regs.RSP }

// CPL returns the privilege level the guest made the hypercall from: 3,
// user mode, for every guest the monitor runs (the ring-0 stubs report
// exceptions through a port of their own).
func (c *Call) CPL() uint8 { return c.vm.run.S.Sregs.CS.DPL }

// Context returns the context of the Run the hypercall came from. A
// handler that waits (for input, a lock, the host) stops waiting when it
// is done, so that the run's deadline or cancellation holds while the
// guest is in a hypercall: the monitor can interrupt guest code, but not
// a handler.
func (c *Call) Context() context.Context { return c.ctx }

// memoryOf is a helper for tests and the benchmark: a fresh memory of
// pages pages that may grow to maxPages.
func memoryOf(pages, maxPages uint32) (*linmem.Memory, error) {
	return linmem.New(linmem.Config{MinPages: pages, MaxPages: maxPages, Guard: linmem.DefaultGuard})
}
