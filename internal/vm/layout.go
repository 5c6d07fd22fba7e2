package vm

import "github.com/wasmvisor/wasmvisor/internal/vm/pagetable"

// The guest-virtual address layout, the same in every VM so that compiled
// code can embed it. Everything not listed is never mapped, so any access
// to it faults.
const (
	// StackTop is the address just above the guest stack; the stack
	// occupies the StackSize bytes below it.
	StackTop = 0x4000_0000

	// StackGuard is the unmapped range below the stack in which a fault
	// is "call stack exhausted". Compiled code must probe a frame larger
	// than this before using it.
	StackGuard = 64 << 20

	// CodeBase is where the code loaded with VM.LoadCode starts. Code pages
	// are readable and executable by ring 3, never writable.
	CodeBase = 0x8000_0000

	// MemoryBase is where linear memory starts. The window holds up to
	// MemoryWindow bytes; the current size is mapped read/write, no-execute,
	// and the rest of the window plus MemoryGuard bytes after it are never
	// mapped, so an access through any 32-bit index plus 32-bit offset
	// faults as "out of bounds memory access".
	MemoryBase   = 0x1_0000_0000
	MemoryWindow = 4 << 30
	MemoryGuard  = 4 << 30

	// ContextAddr is the context page: ContextSize bytes that both the host
	// (VM.Context) and ring 3 may read and write, for data the guest needs
	// without a hypercall.
	ContextAddr = 0xA000
	ContextSize = 4096

	// HypercallPort is the only I/O port ring 3 may use: out to it is a
	// hypercall (see docs/HYPERCALL.md).
	HypercallPort = 0xF0
)

// The host-only layout. Guest-physical memory is one arena slot owned by
// the monitor (system pages, page tables, stack, code) plus the slots of
// the attached linear memory. System pages are identity-mapped.
const (
	hugePage = pagetable.HugePageSize
	page     = pagetable.PageSize

	sysGDT      = 0x1000 // supervisor, read-only
	sysIDT      = 0x2000 // supervisor, read-only
	sysTSS      = 0x3000 // supervisor, read-only
	sysStubs    = 0x4000 // supervisor, read/execute
	sysKStackLo = 0x6000 // ring-0 stack, supervisor read/write; 0x5000 is its guard
	sysKStackHi = 0x8000
	sysTramp    = 0x9000 // entry trampoline, user read/execute

	// exceptionPort is where the ring-0 stubs report a vector. Ring 3
	// cannot use it: the TSS bitmap denies every port but HypercallPort.
	exceptionPort = 0xF1

	// The page-table pool: enough for the system pages, stack and code,
	// plus the worst case of the memory window (four page directories and
	// one page table for each of its 2048 huge-page slots, if the memory
	// grew so as to leave every slot partly filled once).
	ptPoolGPA  = 2 << 20
	ptPoolSize = 10 << 20

	stackGPA = ptPoolGPA + ptPoolSize // the stack, then the code, in the arena

	// memoryGPA is where linear memory sits in guest-physical space.
	memoryGPA = 0x1_0000_0000

	// kvmTSSGPA is the three pages KVM_SET_TSS_ADDR asks for, where
	// firecracker and QEMU put them: above the arena, below memoryGPA.
	kvmTSSGPA = 0xFFFB_D000

	// Linear memory is registered as slots of doubling size
	// ([0, 2M), [2M, 4M), [4M, 8M) … [2G, 4G)): creating a slot costs time
	// in proportion to its size (about 35 µs for 2 MiB, 2.5 ms for 4 GiB
	// here), so the slots follow the memory's size rather than its maximum.
	// Boundaries are 2 MiB-aligned so each huge page lies in one slot.
	arenaSlot      = 0
	firstMemSlot   = 1
	memChunks      = 12
	defaultStack   = 2 << 20
	defaultPool    = 2
	maxStack       = 256 << 20
	defaultCode    = 64 << 20
	maxCode        = 1 << 30
	trampolineSize = page
)

// chunkStart returns the offset in linear memory where memory slot chunk i
// begins.
func chunkStart(i int) uint64 {
	if i == 0 {
		return 0
	}
	return hugePage << (i - 1)
}

// The arena at its largest ends below the pages given to
// KVM_SET_TSS_ADDR, which end below linear memory: these constants would
// overflow otherwise.
const (
	_ uint64 = kvmTSSGPA - (stackGPA + maxStack + maxCode)
	_ uint64 = memoryGPA - (kvmTSSGPA + 3*page)
)
