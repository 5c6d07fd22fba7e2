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

	// DataBase is where the data region starts: Config.DataSize bytes
	// that both the host (VM.Data) and ring 3 may read and write, never
	// execute. Nothing is mapped from its end up to MemoryBase, so code
	// may use the space right after it as a guard.
	DataBase = 0xC000_0000
	// MaxDataSize is the largest data region.
	MaxDataSize = 512 << 20

	// MemoryBase is where the window of linear memory 0 starts; memory i
	// has its own window at MemoryWindowBase(i), MemoryStride bytes apart.
	// A window holds up to MemoryWindow bytes; the current size is mapped
	// read/write, no-execute, and the rest of the window plus MemoryGuard
	// bytes after it are never mapped, so an access through any 32-bit
	// index plus 32-bit offset (plus the 16 bytes of the widest access)
	// faults as "out of bounds memory access" of that memory, without
	// reaching the next window.
	MemoryBase   = 0x1_0000_0000
	MemoryWindow = 4 << 30
	MemoryStride = 16 << 30
	MemoryGuard  = MemoryStride - MemoryWindow
	// MaxMemories is how many linear memories a VM can attach.
	MaxMemories = 8

	// SharedCodeBase is where the code mapped with VM.MapCode goes: host
	// pages shared between VMs, readable and executable by ring 3, never
	// writable. The mappings lie one after another in the MaxSharedCode
	// bytes from SharedCodeBase, at most MaxCodeMappings of them.
	SharedCodeBase  = 0x40_0000_0000
	MaxSharedCode   = 64 << 30
	MaxCodeMappings = 64

	// GrowTablesBase is where ring 3 sees, readable and writable, the
	// last-level page tables of memory windows it may grow into by
	// itself (VM.LendGrowth): GrowTablesStride bytes per window, one
	// 4 KiB table per 2 MiB of it, so that the entry for byte off of
	// window i is the 8 bytes at GrowTables(i) + off>>12*8. Only tables
	// on loan are mapped. No index and offset of a memory access reaches
	// them.
	GrowTablesBase   = 0x30_0000_0000
	GrowTablesStride = MemoryWindow / hugePage * page

	// ContextAddr is the context page: ContextSize bytes that both the host
	// (VM.Context) and ring 3 may read and write, for data the guest needs
	// without a hypercall.
	ContextAddr = 0xA000
	ContextSize = 4096

	// HypercallPort is the only I/O port ring 3 may use: out to it is a
	// hypercall (see docs/HYPERCALL.md).
	HypercallPort = 0xF0
)

// MemoryWindowBase returns the guest address where the window of linear
// memory i starts, for 0 <= i < MaxMemories.
func MemoryWindowBase(i int) uint64 { return MemoryBase + uint64(i)*MemoryStride }

// GrowTables returns the guest address of the page-table entry for byte
// 0 of memory i's window in the tables LendGrowth lends.
func GrowTables(i int) uint64 { return GrowTablesBase + uint64(i)*GrowTablesStride }

// The host-only layout. Guest-physical memory is one arena slot owned by
// the monitor (system pages, page tables, stack, code, data) plus the
// slots of the attached linear memories and of the shared code. System
// pages are identity-mapped.
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

	// The page-table pool holds the tables for the worst case of every
	// mapping at once. Everything lies below 512 GiB, under one PML4
	// entry, so there is one page-directory-pointer table. The low 4 GiB
	// (system pages, stack, code, data) need four page directories, one
	// page table for the small system pages and one for each 2 MiB of
	// stack and data region, which may be mapped with small pages; the
	// rest there is 2 MiB pages. Each memory window needs four page
	// directories and, at worst, a page table for each of its 2048
	// huge-page slots (a memory
	// that grew so as to leave every slot partly filled once, or one not
	// 2 MiB-aligned on the host). The tables lent to grow into, seen at
	// GrowTablesBase, need a page directory (all in one GiB) and a page
	// table per 2 MiB of their range. Shared code needs a page directory per
	// GiB of its range and two page tables per mapping, for the partial
	// 2 MiB pages at its ends: each mapping starts a 2 MiB page of its
	// own. The pool is MAP_NORESERVE in the arena, and only the pages
	// handed out are ever touched, so its size costs address space only.
	ptPoolPages = 2 + 4 + 1 + (maxStack+MaxDataSize)/hugePage +
		MaxMemories*(MemoryWindow>>30+MemoryWindow/hugePage) +
		1 + MaxMemories*GrowTablesStride/hugePage +
		MaxSharedCode>>30 + 2*MaxCodeMappings
	ptPoolGPA  = 2 << 20
	ptPoolSize = (ptPoolPages*page + hugePage - 1) &^ (hugePage - 1)

	stackGPA = ptPoolGPA + ptPoolSize // the stack, the code and the data, in the arena

	// memoryGPA is where linear memory i sits in guest-physical space:
	// memoryGPA + i*MemoryWindow.
	memoryGPA = 0x1_0000_0000

	// sharedCodeGPA is where shared code sits in guest-physical space,
	// after the memories: guest address SharedCodeBase+x is at
	// sharedCodeGPA+x.
	sharedCodeGPA = memoryGPA + MaxMemories*MemoryWindow

	// kvmTSSGPA is the three pages KVM_SET_TSS_ADDR asks for, where
	// firecracker and QEMU put them: above the arena, below memoryGPA.
	kvmTSSGPA = 0xFFFB_D000

	// Linear memory is registered as slots of doubling size: the first
	// covers the memory's size when attached, rounded up to a power of
	// two of at least 2 MiB, and each later one as much again as all
	// before it ([0, S), [S, 2S), [2S, 4S) …). Creating a slot costs time
	// in proportion to its size (about 35 µs for 2 MiB, 2.5 ms for 4 GiB
	// here) plus a fixed cost of its own, so the slots follow the
	// memory's size rather than its maximum, and a memory that does not
	// grow takes one slot whatever its size. Boundaries are 2 MiB-aligned
	// so each huge page lies in one slot. Memory i has slots
	// firstMemSlot+i*memChunks onwards; each shared code mapping has one
	// slot from firstCodeSlot.
	arenaSlot      = 0
	firstMemSlot   = 1
	memChunks      = 12
	firstCodeSlot  = firstMemSlot + MaxMemories*memChunks
	numSlots       = firstCodeSlot + MaxCodeMappings
	defaultStack   = 2 << 20
	defaultPool    = 2
	maxStack       = 256 << 20
	defaultCode    = 64 << 20
	maxCode        = 1 << 30
	trampolineSize = page
)

// nextChunk returns where the memory slot that starts at offset start of
// a window ends, for a memory of size bytes: at least 2 MiB and size,
// rounded up to a power of two, for the first; twice its start for the
// others. A window thus needs at most memChunks slots.
func nextChunk(start, size uint64) uint64 {
	if start > 0 {
		return 2 * start
	}
	end := uint64(hugePage)
	for end < size {
		end *= 2
	}
	return end
}

// memSlot returns the KVM slot number of chunk c of memory i.
func memSlot(i, c int) uint32 { return uint32(firstMemSlot + i*memChunks + c) }

// These constants would overflow if the layout did not hold: the arena at
// its largest ends below the pages given to KVM_SET_TSS_ADDR, which end
// below linear memory; in guest-virtual space the stack ends below the
// code region, which ends at the data region, which ends below the first
// memory window; the windows end below the shared code, and an access
// at the largest 33-bit address a window can form, 16 bytes wide, stays
// in its own window; everything ends below 512 GiB, as the page-table
// pool's size assumes; the pool ends 2 MiB-aligned.
const (
	_ uint64 = kvmTSSGPA - (stackGPA + maxStack + maxCode + MaxDataSize)
	_ uint64 = memoryGPA - (kvmTSSGPA + 3*page)
	_ uint64 = CodeBase - StackTop
	_ uint64 = DataBase - (CodeBase + maxCode)
	_ uint64 = MemoryBase - (DataBase + MaxDataSize)
	_ uint64 = GrowTablesBase - (MemoryBase + MaxMemories*MemoryStride)
	_ uint64 = SharedCodeBase - (GrowTablesBase + MaxMemories*GrowTablesStride)
	_ uint64 = 1<<30 - (GrowTablesBase%(1<<30) + MaxMemories*GrowTablesStride)
	_ uint64 = MemoryStride - (2*(1<<32-1) + 16)
	_ uint64 = 1<<39 - (SharedCodeBase + MaxSharedCode)
	_ uint64 = 0 - stackGPA%hugePage
	_ uint64 = 0 - SharedCodeBase%hugePage
)
