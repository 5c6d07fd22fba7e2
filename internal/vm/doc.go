// Package vm is the micro-VM monitor: it runs guest machine code in ring 3
// of a KVM virtual machine that has no guest operating system, serves the
// guest's hypercalls from a table of handlers, and turns the guest's
// faults into traps.
//
// The host builds everything the CPU needs (64-bit mode, page tables, a
// GDT, a TSS whose I/O bitmap allows exactly one port, an IDT of ring-0
// stubs); the guest only ever runs in user mode. Under the nested KVM this
// project targets (PVM), ring 3 runs at native speed while ring 0 is
// emulated, so ring-0 code is limited to one two-instruction stub per
// exception vector.
//
// A guest's linear memories are internal/linmem memories, the same host
// pages an in-process instance uses, registered with KVM as memory slots,
// each in a window of its own: growing one writes page-table entries and
// never copies; the guest may write them itself within the 2 MiB its size
// reaches into, where the host lends it that table (VM.LendGrowth), and
// the VM is then torn down after use instead of pooled. A pooled VM keeps the slots and code mappings of its last
// user for a next one that brings the same, where KVM can delete a slot
// without flushing the VM's other shadow page tables. Code is copied into the VM's code region, or, shared by
// every VM that runs it, mapped from the host's pages through a memory
// slot of its own. The address
// layout, hypercall ABI and trap rules are documented in
// docs/HYPERCALL.md; the choices behind them in RATIONALE.md.
//
// The low-level pieces live in sub-packages with no upward imports:
// internal/kvm (ioctls), internal/vm/pagetable (guest page tables) and
// internal/vm/x86 (descriptor tables, CPU state, stubs, an assembler).
package vm
