package vm

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/asm/amd64"
	"github.com/wasmvisor/wasmvisor/internal/kvm"
	"github.com/wasmvisor/wasmvisor/internal/linmem"
	"github.com/wasmvisor/wasmvisor/internal/vm/pagetable"
	"github.com/wasmvisor/wasmvisor/internal/vm/x86"
)

// Entry is one call into the guest.
type Entry struct {
	// PC is the offset in the code region (from CodeBase) of the function
	// to call. It is called with the System V convention: Args in rdi, rsi,
	// rdx, rcx, r8 and r9, results in rax and rdx.
	PC uint64
	// Addr, when not zero, is the guest address of the function to call
	// instead of CodeBase+PC: an address in the code region or in code
	// mapped with MapCode, which is how shared code is entered.
	Addr uint64
	// Args are the function's first six integer arguments.
	Args [6]uint64
	// Hypercalls serves the guest's hypercalls; nil means the guest may
	// make none but HypercallReturn.
	Hypercalls *Table
	// Env is handed to every handler as Call.Env.
	Env any
}

// VM is one micro-VM: a KVM VM with one vCPU, its arena of monitor-owned
// memory (system pages, page tables, stack, code, data), the linear
// memories attached to it and the shared code mapped into it. Get one from
// a Monitor and give it back with Monitor.Put. A VM is not safe for
// concurrent use.
type VM struct {
	mon  *Monitor
	vm   *kvm.VM
	cpu  *kvm.VCPU
	run  *kvm.Run
	pt   *pagetable.Tables
	call Call // reused for every hypercall: handlers must not keep it

	raw    []byte // the arena as mmap returned it, for munmap
	arena  []byte // 2 MiB-aligned view; offset = guest-physical address
	layout x86.Layout
	sregs  kvm.Sregs // what every run starts with

	stackSize, codeSize, dataSize uint64
	codeOff                       uint64 // arena offset of the code region
	dataOff                       uint64 // arena offset of the data region
	codeUsed                      uint64 // bytes of code written since the last reset
	// The guest reaches [0, dataLo) and [dataHi, dataSize) of the data
	// region (see ExposeData); both only grow.
	dataLo, dataHi uint64

	mems [MaxMemories]window // the memory windows

	// maps is the shared code, in the order mapped: mapping j has slot
	// firstCodeSlot+j. mapsEnd is the 2 MiB-aligned guest address where
	// the next mapping's first 2 MiB page starts. maps[:claimed] are
	// the current user's; the rest were kept from the last user (see
	// keep) and are taken out before the guest next runs unless MapCode
	// is asked for the same code in the same order.
	maps    []codeMapping
	mapsEnd uint64
	claimed int

	// keep is set where KVM deletes a memory slot without dropping the
	// shadow page tables of the others (QuirkSlotZapAll disabled): the
	// VM then keeps its code mappings and memory slots across users, for
	// a next user of the same code or host memory, and its monitor-owned
	// pages stay mapped in KVM's shadow tables, so a reset need not warm
	// it up again.
	keep bool

	// scratch is mincore's vector for scrubResident, kept between resets.
	scratch []byte

	// tsc relates the guest's time-stamp counter to the host's; zero
	// when unknown.
	tsc TSC

	// counted is set once the monitor counts the VM as created, until
	// it counts it destroyed.
	counted bool

	// broken is set when the VM's state can no longer be trusted (a KVM
	// error, a triple fault); Put then destroys the VM instead of reusing
	// it, and Run refuses to run.
	broken error

	// lent is set once the guest was lent page tables of its own
	// (LendGrowth): from then on it could have mapped any page of the
	// VM, so Put destroys the VM instead of reusing it.
	lent bool

	// kickMu serializes a deadline's kick with the end of the run it was
	// meant for. runGen, guarded by kickMu, numbers the runs, so that a
	// kick whose run has ended does nothing. tid is the thread in KVM_RUN.
	kickMu sync.Mutex
	runGen uint64
	tid    atomic.Int32
}

// window is the window of one linear memory.
type window struct {
	mem    *linmem.Memory // attached memory, or nil
	mapped uint64         // bytes of mem mapped into the window
	// host is the host address the slots map offset 0 of the window to,
	// and ends the end offset of each slot: slot c (memSlot(i, c))
	// covers [ends[c-1], ends[c]), the first from 0. They outlive an
	// attachment where the VM keeps slots (VM.keep), for the next
	// memory at the same host address.
	host uint64
	ends []uint64
	// lent is the window offset up to which the guest may map pages by
	// itself (LendGrowth), or 0.
	lent uint64
}

// reach returns how much of the window the attached memory can fill.
func (w *window) reach() uint64 { return min(w.mem.Reserved(), MemoryWindow) }

// registered returns the bytes of the window its slots cover.
func (w *window) registered() uint64 {
	if len(w.ends) == 0 {
		return 0
	}
	return w.ends[len(w.ends)-1]
}

// codeMapping is host code mapped into the guest with MapCode.
type codeMapping struct {
	addr uint64 // guest address of code[0]
	code []byte
}

// newVM creates a VM, ready to run but not warmed up.
func (m *Monitor) newVM() (_ *VM, err error) {
	v := &VM{mon: m, stackSize: m.stackSize, codeSize: m.codeSize, dataSize: m.dataSize, mapsEnd: SharedCodeBase}
	v.call.vm = v
	defer func() {
		if err != nil {
			v.destroy()
		}
	}()
	v.codeOff = stackGPA + v.stackSize
	v.dataOff = v.codeOff + v.codeSize
	size := v.dataOff + v.dataSize
	v.raw, err = unix.Mmap(-1, 0, int(size+hugePage), unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		return nil, fmt.Errorf("mapping a %d-byte VM arena: %w", size, err)
	}
	lead := (hugePage - uint64(uintptr(unsafe.Pointer(&v.raw[0])))%hugePage) % hugePage
	v.arena = v.raw[lead : lead+size : lead+size]
	if v.vm, err = m.sys.CreateVM(); err != nil {
		return nil, err
	}
	// Where KVM can delete one slot without flushing every shadow page
	// table, a VM hands memory and code over between users at the cost
	// of their own slots only (see VM.keep).
	if q, err := v.vm.CheckExtension(kvm.CapDisableQuirks2); err == nil && q&kvm.QuirkSlotZapAll != 0 {
		v.keep = v.vm.EnableCap(kvm.CapDisableQuirks2, kvm.QuirkSlotZapAll) == nil
	}
	// Each first touch of a small page is a shadow-MMU fault of ~60 µs
	// here, so code is on huge pages. So are the stack and data region
	// where every reset drops KVM's shadow tables; where the VM keeps
	// them (keep), a page is faulted in once in the VM's life, and small
	// pages let a reset clear just the pages its users touched, not
	// each 2 MiB page they touched (see scrubResident).
	huge := v.arena[v.codeOff:v.dataOff]
	if !v.keep {
		huge = v.arena[stackGPA:]
	}
	_ = unix.Madvise(huge, unix.MADV_HUGEPAGE)
	// The first page is what the warm-up reads.
	v.dataLo, v.dataHi = min(page, v.dataSize), v.dataSize
	if !v.keep || !m.exposeData {
		v.dataLo = v.dataSize
	}

	if v.pt, err = pagetable.New(v.arena[ptPoolGPA:ptPoolGPA+ptPoolSize], ptPoolGPA); err != nil {
		return nil, err
	}
	if err = v.buildTables(); err != nil {
		return nil, err
	}
	tssLimit, err := x86.EncodeTSS(v.arena[sysTSS:sysTSS+page], sysKStackHi, HypercallPort)
	if err != nil {
		return nil, err
	}
	if err = x86.EncodeGDT(v.arena[sysGDT:sysGDT+page], sysTSS, tssLimit); err != nil {
		return nil, err
	}
	if err = x86.EncodeIDT(v.arena[sysIDT:sysIDT+page], sysStubs); err != nil {
		return nil, err
	}
	if err = x86.EncodeStubs(v.arena[sysStubs:sysStubs+page], exceptionPort); err != nil {
		return nil, err
	}
	copy(v.arena[sysTramp:sysTramp+trampolineSize], trampoline)
	v.layout = x86.Layout{
		GDT: sysGDT, IDT: sysIDT, TSS: sysTSS, TSSLimit: tssLimit,
		CR3: v.pt.Root(), CR4: m.cr4,
	}
	v.sregs = x86.UserSregs(v.layout)

	if m.setTSS {
		if err = v.vm.SetTSSAddr(kvmTSSGPA); err != nil {
			return nil, err
		}
	}
	if err = v.registerArena(); err != nil {
		return nil, err
	}
	if v.cpu, err = v.vm.CreateVCPU(0); err != nil {
		return nil, err
	}
	if err = v.cpu.SetCPUID(m.cpuid); err != nil {
		return nil, err
	}
	if err = v.cpu.SetSregs(&v.sregs); err != nil {
		return nil, err
	}
	v.run = v.cpu.RunData()
	// Every run loads v.sregs, so the TR type costs nothing per run; only
	// the first VM of a device in this process runs the probe.
	tss, err := m.tssFor(v)
	if err != nil {
		return nil, err
	}
	v.setTR(tss.Type)
	// Without a known counter, guests tell time through the host.
	_ = v.measureTSC()
	return v, nil
}

// registerArena gives KVM the arena as its memory slot.
func (v *VM) registerArena() error {
	return v.vm.SetUserMemoryRegion(kvm.UserspaceMemoryRegion{
		Slot: arenaSlot, GuestPhysAddr: 0, MemorySize: uint64(len(v.arena)),
		UserspaceAddr: uint64(uintptr(unsafe.Pointer(&v.arena[0]))),
	})
}

// buildTables writes the page tables for everything but linear memory:
// the arena's mappings and the shared code.
func (v *VM) buildTables() error {
	v.pt.Reset()
	const (
		user = pagetable.User
		rw   = pagetable.Write
		rx   = pagetable.Exec
	)
	maps := []struct {
		va, pa, size uint64
		perm         pagetable.Perm
	}{
		{sysGDT, sysGDT, 3 * page, 0}, // GDT, IDT, TSS
		{sysStubs, sysStubs, page, rx},
		{sysKStackLo, sysKStackLo, sysKStackHi - sysKStackLo, rw},
		{sysTramp, sysTramp, trampolineSize, user | rx},
		{ContextAddr, ContextAddr, ContextSize, user | rw},
		{StackTop - v.stackSize, stackGPA, v.stackSize, user | rw},
		{CodeBase, v.codeOff, v.codeSize, user | rx},
		{DataBase, v.dataOff, v.dataLo, user | rw},
		{DataBase + v.dataHi, v.dataOff + v.dataHi, v.dataSize - v.dataHi, user | rw},
	}
	for _, m := range maps {
		mapRange := v.pt.Map
		if v.keep && m.perm&rw != 0 {
			// On small host pages (see newVM); guest huge pages on them
			// would cost more than small ones.
			mapRange = v.pt.MapSmall
		}
		if err := mapRange(m.va, m.pa, m.size, m.perm); err != nil {
			return fmt.Errorf("building guest page tables: %w", err)
		}
	}
	for _, c := range v.maps {
		if err := v.mapCodeTables(c.addr, uint64(len(c.code))); err != nil {
			return err
		}
	}
	return nil
}

// destroy releases everything the VM holds. It is slow (milliseconds, in
// the kernel's VM teardown) and runs off the hot path, in the monitor's
// background worker.
func (v *VM) destroy() {
	if v.counted {
		v.counted = false
		v.mon.destroyed.Add(1)
	}
	if v.cpu != nil {
		v.cpu.Close()
		v.cpu = nil
	}
	if v.vm != nil {
		v.vm.Close()
		v.vm = nil
	}
	if v.raw != nil {
		unix.Munmap(v.raw)
		v.raw, v.arena = nil, nil
	}
	v.mems = [MaxMemories]window{}
	v.maps = nil
}

// ContextPage returns the context page, which the guest sees at
// ContextAddr.
func (v *VM) ContextPage() []byte { return v.arena[ContextAddr : ContextAddr+ContextSize] }

// LoadCode copies code to the start of the code region, which the guest
// sees at CodeBase, and clears what earlier code left after it.
func (v *VM) LoadCode(code []byte) error {
	if uint64(len(code)) > v.codeSize {
		return fmt.Errorf("%d bytes of code exceed the code region of %d bytes", len(code), v.codeSize)
	}
	region := v.arena[v.codeOff : v.codeOff+v.codeSize]
	copy(region, code)
	if uint64(len(code)) < v.codeUsed {
		clear(region[len(code):v.codeUsed])
	}
	v.codeUsed = uint64(len(code))
	return nil
}

// Data returns the data region, which the guest sees at DataBase:
// Data()[i] is at DataBase+i. It is empty when Config.DataSize is 0.
func (v *VM) Data() []byte { return v.arena[v.dataOff : v.dataOff+v.dataSize : v.dataOff+v.dataSize] }

// ExposeData lets the guest reach [0, lo) and [hi, len(Data())) of the
// data region, rounded out to pages, besides what it reached before,
// where the monitor's Config.ExposeData asks for that (it reaches all of
// it otherwise). What the guest can reach only grows until the VM is
// torn down; pages newly exposed are cleared first, so they hold nothing
// the host may have left there.
func (v *VM) ExposeData(lo, hi uint64) error {
	if v.broken != nil {
		return v.broken
	}
	lo = min((lo+page-1)&^(page-1), v.dataHi)
	hi = max(min(hi, v.dataSize)&^(page-1), v.dataLo)
	if lo > v.dataLo {
		if err := v.expose(v.dataLo, lo); err != nil {
			return err
		}
		v.dataLo = lo
	}
	if hi < v.dataHi {
		if err := v.expose(hi, v.dataHi); err != nil {
			return err
		}
		v.dataHi = hi
	}
	return nil
}

// expose maps [from, to) of the data region into the guest.
func (v *VM) expose(from, to uint64) error {
	if err := v.scrubResident(v.Data()[from:to]); err != nil {
		return err
	}
	if err := v.pt.MapSmall(DataBase+from, v.dataOff+from, to-from, pagetable.User|pagetable.Write); err != nil {
		v.broken = fmt.Errorf("exposing the data region: %w", err)
		return v.broken
	}
	return nil
}

// Stack returns the guest stack. Its last byte is at StackTop-1, so guest
// address a is Stack()[a-(StackTop-len(Stack()))]. The host may read it
// while the guest is stopped (in a hypercall, or after a trap), to walk
// the guest's frames, say.
func (v *VM) Stack() []byte {
	return v.arena[stackGPA : stackGPA+v.stackSize : stackGPA+v.stackSize]
}

// AttachMemory attaches mem as linear memory 0: AttachMemoryAt(0, mem).
func (v *VM) AttachMemory(mem *linmem.Memory) error { return v.AttachMemoryAt(0, mem) }

// AttachMemoryAt makes mem the guest's linear memory i, in the window at
// MemoryWindowBase(i). The guest sees the same host pages, so neither side
// copies. mem must stay open until DetachMemory (or Monitor.Put). Pages
// it gains are mapped by GrowMemory (memory 0) or SyncMemories, and at the
// next Run or the end of the hypercall during which it grew.
func (v *VM) AttachMemoryAt(i int, mem *linmem.Memory) error {
	if v.broken != nil {
		return v.broken
	}
	if i < 0 || i >= MaxMemories {
		return fmt.Errorf("linear memory %d outside [0, %d)", i, MaxMemories)
	}
	if v.mems[i].mem != nil {
		return fmt.Errorf("a linear memory is already attached as memory %d", i)
	}
	if mem.Reserved() == 0 || mem.Base() == 0 {
		return errors.New("attaching a closed linear memory")
	}
	// Advice only: the memory stays correct without huge pages. The raw
	// call spares converting Base back into a pointer.
	_, _, _ = unix.Syscall(unix.SYS_MADVISE, mem.Base(), uintptr(mem.Reserved()), unix.MADV_HUGEPAGE)
	w := &v.mems[i]
	if !w.reusable(mem) {
		if err := v.dropSlots(i); err != nil {
			return err
		}
	}
	w.mem = mem
	if err := v.syncMemory(i); err != nil {
		v.broken = err
		return err
	}
	return nil
}

// reusable reports whether the slots the window kept from an earlier
// memory serve mem as they are: they map the same host addresses, all
// inside mem's reservation. Two host mappings never share an address,
// so the earlier memory is then mem itself or was unmapped, and the
// kernel's unmapping made KVM drop every translation to its pages.
func (w *window) reusable(mem *linmem.Memory) bool {
	return len(w.ends) > 0 && w.host == uint64(mem.Base()) && w.registered() <= min(mem.Reserved(), MemoryWindow)
}

// dropSlots deletes the memory slots of window i, which makes KVM drop
// its translations of them.
func (v *VM) dropSlots(i int) error {
	w := &v.mems[i]
	var err error
	for c := len(w.ends) - 1; c >= 0; c-- {
		if e := v.vm.SetUserMemoryRegion(kvm.UserspaceMemoryRegion{Slot: memSlot(i, c)}); e != nil {
			err = fmt.Errorf("detaching linear memory %d: %w", i, e)
			break
		}
		w.ends = w.ends[:c]
	}
	if err != nil {
		v.broken = err
	}
	return err
}

// GrowMemory grows linear memory 0 by delta pages and maps the new pages.
// It returns the previous size in pages and whether it grew.
func (v *VM) GrowMemory(delta uint32) (prev uint32, ok bool) {
	mem := v.mems[0].mem
	if mem == nil || v.broken != nil {
		return 0, false
	}
	prev, ok = mem.Grow(delta)
	if ok {
		if err := v.syncMemory(0); err != nil {
			v.broken = err
			return prev, false
		}
	}
	return prev, ok
}

// SyncMemories maps the pages every attached memory gained since it was
// last mapped: what the host added with linmem.Memory.Grow itself, such
// as for a memory.grow it executed.
func (v *VM) SyncMemories() error {
	if v.broken != nil {
		return v.broken
	}
	for i := range v.mems {
		w := &v.mems[i]
		if w.mem == nil || uint64(len(w.mem.Bytes())) <= w.mapped {
			continue
		}
		if err := v.syncMemory(i); err != nil {
			v.broken = err
			return err
		}
	}
	return nil
}

// syncMemory creates the memory slots and page-table entries for the part
// of memory i not mapped yet. It only ever adds entries, which needs no
// flush of KVM's shadow page tables (see package pagetable).
func (v *VM) syncMemory(i int) error {
	w := &v.mems[i]
	mem := w.mem
	size := min(uint64(len(mem.Bytes())), w.reach())
	if size <= w.mapped {
		return nil
	}
	if err := v.registerMemory(i, size); err != nil {
		return err
	}
	va, pa := MemoryWindowBase(i)+w.mapped, memoryGPA+uint64(i)*MemoryWindow+w.mapped
	var err error
	if w.lent > w.mapped {
		// The lent tables are linked already: small pages up to their end.
		n := min(size, w.lent) - w.mapped
		err = v.pt.MapSmall(va, pa, n, pagetable.User|pagetable.Write)
		va, pa = va+n, pa+n
	}
	if n := size - min(size, max(w.lent, w.mapped)); err == nil && n > 0 {
		if mem.Base()%hugePage == 0 {
			err = v.pt.Map(va, pa, n, pagetable.User|pagetable.Write)
		} else {
			err = v.pt.MapSmall(va, pa, n, pagetable.User|pagetable.Write)
		}
	}
	if err != nil {
		return fmt.Errorf("mapping linear memory %d: %w", i, err)
	}
	w.mapped = size
	return nil
}

// registerMemory creates the memory slots that window i needs for its
// first size bytes.
func (v *VM) registerMemory(i int, size uint64) error {
	w := &v.mems[i]
	limit := w.reach()
	gpa := memoryGPA + uint64(i)*MemoryWindow
	if len(w.ends) == 0 {
		w.host = uint64(w.mem.Base())
	}
	for len(w.ends) < memChunks && w.registered() < size {
		start := w.registered()
		end := min(nextChunk(start, size), limit)
		err := v.vm.SetUserMemoryRegion(kvm.UserspaceMemoryRegion{
			Slot:          memSlot(i, len(w.ends)),
			GuestPhysAddr: gpa + start,
			MemorySize:    end - start,
			UserspaceAddr: w.host + start,
		})
		if err != nil {
			return fmt.Errorf("registering linear memory %d [%#x, %#x): %w", i, start, end, err)
		}
		w.ends = append(w.ends, end)
	}
	return nil
}

// errLent marks a VM that lent its guest page tables (LendGrowth) as
// not to be reused.
var errLent = errors.New("the guest was lent page tables of its own")

// A Loan is what the guest needs to grow a linear memory by itself
// (LendGrowth): for each 4 KiB page at window offset off it adds, from
// the memory's size up to End, it writes the page-table entry Entry+off
// at Tables+off>>12*8, then publishes the new size where the host reads
// it at the next exit (AcceptGrowth).
type Loan struct {
	End    uint64 // the window offset up to which the guest may map pages
	Tables uint64 // guest address of the entry for offset 0: GrowTables(i)
	Entry  uint64 // the entry for offset 0; offset off's is Entry+off
}

// EmitMapLoaned emits the guest code that maps the pages of a loan from
// window offset from up to to (registers holding multiples of 4 KiB, to
// at most Loan.End): the entries Loan.Entry+off, with entry the register
// holding Loan.Entry, written at Loan.Tables+off>>12*8, with tables the
// register holding Loan.Tables. It changes from, t1 and t2.
func EmitMapLoaned(a *amd64.Asm, tables, entry, from, to, t1, t2 amd64.Reg) {
	loop, done := a.NewLabel(), a.NewLabel()
	a.Bind(loop)
	a.Alu(amd64.AluCmp, amd64.W64, from, to)
	a.Jcc(amd64.CondAE, done)
	a.Lea(amd64.W64, t1, amd64.MI(entry, from, 1, 0))
	a.MovRR(amd64.W64, t2, from)
	a.ShiftImm(amd64.ShShr, amd64.W64, t2, 12)
	a.Store(amd64.W64, amd64.MI(tables, t2, 8, 0), t1)
	a.AluImm(amd64.AluAdd, amd64.W64, from, page)
	a.Jmp(loop)
	a.Bind(done)
}

// LendGrowth lends the guest the page table that maps the rest of the
// 2 MiB into which memory i's size reaches, so that it grows the memory
// within them without an exit: the host pages behind them are made
// readable and writable, their memory slot registered and the table
// mapped for ring 3 at GrowTables(i). The loan's End is zero where the
// size ends on a 2 MiB boundary or the memory cannot grow.
//
// Larger loans would cost more than the exits they save: pages the
// guest maps are 4 KiB pages, and under a shadow MMU each is a fault at
// first touch where a 2 MiB page the host maps is one.
//
// A guest that can write one entry of its tables can map any page of
// the VM into its address space, tables and system pages included, so
// after a loan the VM is never reused: Put destroys it. Lend only to
// code that writes nothing but the entries described by the Loan.
func (v *VM) LendGrowth(i int) (Loan, error) {
	if v.broken != nil {
		return Loan{}, v.broken
	}
	if i < 0 || i >= MaxMemories || v.mems[i].mem == nil {
		return Loan{}, fmt.Errorf("lending growth of linear memory %d: none attached", i)
	}
	if err := v.syncMemory(i); err != nil {
		v.broken = err
		return Loan{}, err
	}
	w := &v.mems[i]
	limit := min(w.reach(), uint64(w.mem.MaxPages())*linmem.PageSize)
	end := min((w.mapped+hugePage-1)&^(hugePage-1), limit&^(linmem.PageSize-1))
	if end <= w.mapped {
		return Loan{}, nil
	}
	loan := Loan{End: end, Tables: GrowTables(i), Entry: pagetable.Leaf(memoryGPA+uint64(i)*MemoryWindow, pagetable.User|pagetable.Write)}
	if end <= w.lent {
		return loan, nil
	}
	err := w.mem.Prepare(end)
	if err == nil {
		err = v.registerMemory(i, end)
	}
	var table uint64
	if err == nil {
		table, err = v.pt.LeafTable(MemoryWindowBase(i) + w.mapped)
	}
	if err == nil {
		va := loan.Tables + w.mapped>>21*page
		if _, _, ok := v.pt.Lookup(va); !ok {
			v.lent = true
			err = v.pt.MapSmall(va, table, page, pagetable.User|pagetable.Write)
		}
	}
	if err != nil {
		v.broken = fmt.Errorf("lending growth of linear memory %d: %w", i, err)
		return Loan{}, v.broken
	}
	w.lent = end
	return loan, nil
}

// AcceptGrowth takes note that the guest grew memory i, within its loan
// (LendGrowth), to size bytes: the memory grows to match, and the pages
// count as mapped. A size the loan does not allow is an error, and the
// memory stays as it was.
func (v *VM) AcceptGrowth(i int, size uint64) error {
	if v.broken != nil {
		return v.broken
	}
	if i < 0 || i >= MaxMemories || v.mems[i].mem == nil {
		return fmt.Errorf("growing linear memory %d: none attached", i)
	}
	w := &v.mems[i]
	cur := uint64(len(w.mem.Bytes()))
	if size == cur {
		return nil
	}
	if size < cur || size > w.lent || size%linmem.PageSize != 0 || w.mapped != cur {
		return fmt.Errorf("the guest grew linear memory %d from %#x to %#x bytes, past its loan up to %#x", i, cur, size, w.lent)
	}
	if _, ok := w.mem.Grow(uint32((size - cur) / linmem.PageSize)); !ok {
		return fmt.Errorf("growing linear memory %d to %#x bytes as the guest did: refused", i, size)
	}
	w.mapped = size
	return nil
}

// DetachMemory unmaps every linear memory from the guest; afterwards the
// memories may be closed. Shared code stays mapped.
func (v *VM) DetachMemory() error { return v.unmap(false) }

// unmap takes the linear memories, and with code the shared code, out of
// the guest's page tables. Where the VM keeps slots (keep), the memory
// slots and code mappings stay registered for a next user, and the guest
// can reach none of them before AttachMemoryAt or MapCode claims them or
// Run deletes them (dropStale); otherwise they are deleted here.
// Deleting a slot makes KVM drop its translations of it, which is what
// makes taking entries out of the guest's tables safe (see package
// pagetable).
func (v *VM) unmap(code bool) error {
	for i := range v.mems {
		w := &v.mems[i]
		if w.mem == nil {
			continue
		}
		err := v.pt.Unmap(MemoryWindowBase(i), (max(w.mapped, w.lent)+page-1)&^(page-1))
		w.mem, w.mapped, w.lent = nil, 0, 0
		if err == nil && !v.keep {
			err = v.dropSlots(i)
		}
		if err != nil {
			v.broken = err
			return err
		}
	}
	if code {
		if v.keep {
			v.claimed = 0
			return nil
		}
		return v.dropCode(0)
	}
	return nil
}

// dropStale deletes what the last user left and the current one did not
// claim: memory slots of windows with no memory attached, and code
// mappings past the claimed ones. Run calls it before entering the guest.
func (v *VM) dropStale() error {
	for i := range v.mems {
		if v.mems[i].mem == nil && len(v.mems[i].ends) > 0 {
			if err := v.dropSlots(i); err != nil {
				return err
			}
		}
	}
	return v.dropCode(v.claimed)
}

// dropCode takes the code mappings from j on out of the guest: their
// page-table entries and their slots.
func (v *VM) dropCode(j int) error {
	if j >= len(v.maps) {
		return nil
	}
	var err error
	for k := len(v.maps) - 1; k >= j && err == nil; k-- {
		c := v.maps[k]
		start := c.addr &^ (page - 1)
		if err = v.pt.Unmap(start, (c.addr+uint64(len(c.code))+page-1)&^(page-1)-start); err == nil {
			err = v.vm.SetUserMemoryRegion(kvm.UserspaceMemoryRegion{Slot: uint32(firstCodeSlot + k)})
		}
		if err != nil {
			err = fmt.Errorf("detaching shared code: %w", err)
			break
		}
		v.maps[k] = codeMapping{} // drop the reference to the host's code
		v.maps = v.maps[:k]
	}
	v.claimed = min(v.claimed, len(v.maps))
	v.mapsEnd = SharedCodeBase
	if n := len(v.maps); n > 0 {
		last := v.maps[n-1]
		v.mapsEnd = (last.addr + uint64(len(last.code)) + hugePage - 1) &^ (hugePage - 1)
	}
	if err != nil {
		v.broken = err
	}
	return err
}

// MapCode maps the host pages of code into the guest, readable and
// executable by ring 3 and never writable, without copying them, and
// returns the guest address of code[0]. code must start on a page and be
// a whole number of pages; the host may map it read-only (PROT_READ or
// PROT_READ|PROT_EXEC), which suits code shared between VMs. It must stay
// mapped on the host until Monitor.Put, which takes it out of the guest.
//
// Each mapping gets a memory slot of its own (read-only where KVM offers
// them) and starts a 2 MiB page of its own in [SharedCodeBase,
// SharedCodeBase+MaxSharedCode), at the same offset in it as code has in
// its 2 MiB page on the host, so that host huge pages are guest huge
// pages. That matters: each 4 KiB page the guest first touches is a
// shadow-MMU fault, and running one instruction in each page of 100 MiB
// of code took 400 ms here on small host pages and 5 ms on huge ones; so
// code meant for MapCode is best written to 2 MiB-aligned memory advised
// MADV_HUGEPAGE. A mapping costs a memory slot's creation, about 50 µs
// for 100 MiB here, and its deletion; where the VM keeps slots (keep),
// the next user that maps the same host pages in the same order gets the
// same address at no cost, with the guest's translations of them warm.
// At most MaxCodeMappings mappings.
func (v *VM) MapCode(code []byte) (uint64, error) {
	if v.broken != nil {
		return 0, v.broken
	}
	n := uint64(len(code))
	if n == 0 || n%page != 0 {
		return 0, fmt.Errorf("mapping %d bytes of code: not a positive number of %d-byte pages", n, page)
	}
	host := uint64(uintptr(unsafe.Pointer(&code[0])))
	if host%page != 0 {
		return 0, fmt.Errorf("mapping code at host address %#x: not page-aligned", host)
	}
	if v.claimed < len(v.maps) {
		// The last user's next mapping: the same host pages need
		// nothing new; any other code replaces it and what follows.
		if c := v.maps[v.claimed]; uint64(uintptr(unsafe.Pointer(&c.code[0]))) == host && uint64(len(c.code)) == n {
			v.claimed++
			return c.addr, nil
		}
		if err := v.dropCode(v.claimed); err != nil {
			return 0, err
		}
	}
	if len(v.maps) == MaxCodeMappings {
		return 0, fmt.Errorf("mapping code: the VM already has %d mappings", MaxCodeMappings)
	}
	addr := v.mapsEnd + host%hugePage
	if end := uint64(SharedCodeBase + MaxSharedCode); addr > end || n > end-addr {
		return 0, fmt.Errorf("mapping %d bytes of code: not enough of the %d bytes of shared code room left", n, uint64(MaxSharedCode))
	}
	gpa := sharedCodeGPA + (addr - SharedCodeBase)
	if gpa+n > v.mon.maxGPA {
		return 0, fmt.Errorf("mapping %d bytes of code: guest-physical [%#x, %#x) beyond the vCPU's physical address width", n, gpa, gpa+n)
	}
	var flags uint32
	if v.mon.readonlyMem {
		flags = kvm.MemReadonly
	}
	if err := v.vm.SetUserMemoryRegion(kvm.UserspaceMemoryRegion{
		Slot: uint32(firstCodeSlot + len(v.maps)), Flags: flags,
		GuestPhysAddr: gpa, MemorySize: n, UserspaceAddr: host,
	}); err != nil {
		return 0, fmt.Errorf("registering %d bytes of code: %w", n, err)
	}
	v.maps = append(v.maps, codeMapping{addr: addr, code: code})
	v.claimed = len(v.maps)
	v.mapsEnd = (addr + n + hugePage - 1) &^ (hugePage - 1)
	if err := v.mapCodeTables(addr, n); err != nil {
		// The slot exists and the tables hold part of the mapping: only a
		// reset can take them out again.
		v.broken = err
		return 0, err
	}
	return addr, nil
}

// mapCodeTables writes the page-table entries of the n bytes of shared
// code at guest address addr.
func (v *VM) mapCodeTables(addr, n uint64) error {
	if err := v.pt.Map(addr, sharedCodeGPA+(addr-SharedCodeBase), n, pagetable.User|pagetable.Exec); err != nil {
		return fmt.Errorf("mapping shared code at %#x: %w", addr, err)
	}
	return nil
}

// Run calls the guest function at e.Addr, or CodeBase+e.PC, and serves
// its hypercalls until it returns, traps, or ctx is done. It returns the
// function's rax and rdx.
// A guest fault, a deadline or a cancellation is a *Trap; an error from a
// hypercall handler is returned unchanged; anything else is a host error.
func (v *VM) Run(ctx context.Context, e *Entry) ([2]uint64, error) {
	if v.broken != nil {
		return [2]uint64{}, fmt.Errorf("VM unusable after an earlier error: %w", v.broken)
	}
	// What the last user left and this one did not claim goes first, so
	// that not even the entry check below sees it.
	if err := v.dropStale(); err != nil {
		return [2]uint64{}, err
	}
	fn := CodeBase + e.PC
	switch {
	case e.Addr != 0:
		// guestCode knows the trampoline too, which is no entry point.
		if e.Addr < CodeBase || v.guestCode(e.Addr, 1) == nil {
			return [2]uint64{}, fmt.Errorf("entry address %#x in neither the code region nor mapped code", e.Addr)
		}
		fn = e.Addr
	case e.PC >= v.codeSize:
		return [2]uint64{}, fmt.Errorf("entry point %#x outside the code region of %#x bytes", e.PC, v.codeSize)
	}

	if err := v.SyncMemories(); err != nil {
		return [2]uint64{}, err
	}
	return v.enter(ctx, fn, e)
}

// enter runs the guest from the entry trampoline, which calls fn.
func (v *VM) enter(ctx context.Context, fn uint64, e *Entry) ([2]uint64, error) {
	if err := ctx.Err(); err != nil {
		// Not entered: report the guest as it would be on its first
		// instruction, the return address just pushed.
		return [2]uint64{}, v.stopped(err, fn, StackTop-8)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	v.tid.Store(int32(unix.Gettid()))
	if ctx.Done() != nil {
		v.kickMu.Lock()
		gen := v.runGen
		v.kickMu.Unlock()
		stop := context.AfterFunc(ctx, func() { v.kick(gen) })
		defer func() {
			stop()
			// A kick already started may still be on its way; ending the
			// generation makes it a no-op, and immediate_exit is cleared
			// for the next run.
			v.kickMu.Lock()
			v.runGen++
			v.cpu.SetImmediateExit(false)
			v.kickMu.Unlock()
		}()
	}

	r := v.run
	r.S.Regs = kvm.Regs{
		RAX: fn, RIP: sysTramp, RSP: StackTop, RFLAGS: x86.RFLAGSFixed,
		RDI: e.Args[0], RSI: e.Args[1], RDX: e.Args[2], RCX: e.Args[3], R8: e.Args[4], R9: e.Args[5],
	}
	r.S.Sregs = v.sregs
	r.S.Events = kvm.VCPUEvents{} // drop anything pending from a stopped run
	r.DirtyRegs = kvm.SyncRegs | kvm.SyncSregs | kvm.SyncEvents
	r.ValidRegs = kvm.SyncRegs | kvm.SyncSregs
	v.call.Env, v.call.ctx = e.Env, ctx
	defer func() { v.call.Env, v.call.ctx = nil, nil }()

	resumed := 0 // times a stopped guest was let finish
	for {
		err := v.cpu.Run()
		if err == unix.EINTR {
			if cerr := ctx.Err(); cerr != nil {
				if v.finishing() && resumed < maxFinishing {
					// The outcome is already decided, a few instructions
					// before the exit that reports it: let the guest get
					// there. The kick comes once per run, so clearing
					// immediate_exit cannot lose one.
					resumed++
					v.cpu.SetImmediateExit(false)
					continue
				}
				return [2]uint64{}, v.stopped(cerr, r.S.Regs.RIP, r.S.Regs.RSP)
			}
			// A signal meant for the Go runtime: carry on. A kick can
			// only come once ctx is done, so checking again after
			// clearing immediate_exit cannot lose one.
			v.cpu.SetImmediateExit(false)
			if cerr := ctx.Err(); cerr != nil {
				return [2]uint64{}, v.stopped(cerr, r.S.Regs.RIP, r.S.Regs.RSP)
			}
			continue
		}
		if err != nil {
			v.broken = err
			return [2]uint64{}, err
		}
		switch r.ExitReason {
		case kvm.ExitIO:
			io := r.IO()
			if io.Port == HypercallPort && io.Direction == kvm.IOOut {
				num := r.S.Regs.RAX & 0xFFFF_FFFF
				if num == HypercallReturn {
					ret := [2]uint64{r.S.Regs.RDI, r.S.Regs.RSI}
					if !atOut(r.S.Regs.RIP, sysTramp+tramp.returned) {
						return ret, v.settle()
					}
					return ret, nil
				}
				res, err := v.hypercall(e.Hypercalls, num)
				if err != nil {
					if serr := v.settle(); serr != nil {
						return [2]uint64{}, serr
					}
					return [2]uint64{}, err
				}
				r.S.Regs.RAX = res
				r.DirtyRegs = kvm.SyncRegs
				continue
			}
			if io.Port == exceptionPort && io.Direction == kvm.IOOut && r.S.Sregs.CS.DPL == 0 {
				return [2]uint64{}, v.fault()
			}
			// The TSS bitmap lets ring 3 reach only the hypercall port,
			// and the bitmap does not distinguish in from out.
			trap := &Trap{Kind: api.TrapInternal, RIP: r.S.Regs.RIP, RSP: r.S.Regs.RSP, Detail: fmt.Sprintf("in from port %#x", io.Port)}
			if err := v.settle(); err != nil {
				return [2]uint64{}, err
			}
			return [2]uint64{}, trap
		case kvm.ExitShutdown:
			v.broken = errors.New("guest triple fault")
			return [2]uint64{}, &Trap{Kind: api.TrapInternal, Exception: true, Vector: x86.DF, RIP: r.S.Regs.RIP, RSP: r.S.Regs.RSP, Detail: "triple fault"}
		default:
			v.broken = v.exitError()
			return [2]uint64{}, v.broken
		}
	}
}

// stopped returns the trap for a guest stopped at rip and rsp because its
// context ended with err.
func (v *VM) stopped(err error, rip, rsp uint64) *Trap {
	kind := api.TrapInterrupted
	if errors.Is(err, context.DeadlineExceeded) {
		kind = api.TrapTimeout
	}
	return &Trap{Kind: kind, RIP: rip, RSP: rsp, Cause: err}
}

// maxFinishing bounds how often a stopped run is resumed to finish (see
// finishing): one entry suffices, but a Go runtime signal may interrupt
// each, and a stub that halts (a monitor bug) would never finish.
const maxFinishing = 8

// finishing reports whether a guest interrupted by its deadline has
// already reached its outcome and only has to report it: it is in ring 0,
// so it took an exception and is in the stub about to report it (the
// CPU's delivery is atomic, so a stopped vCPU in ring 0 is always there),
// or it is in the trampoline past the call, where the function has
// returned and its results are on their way to the host. Reporting a
// timeout there would name a stub or the trampoline as where the guest
// stopped and drop a fault or a result the guest reached before the
// deadline was noticed; so the monitor resumes such a guest until it
// exits, which the stub and the trampoline do within four instructions.
// Anywhere else in ring 3 (the function, or the trampoline before the
// call) the guest is stopped where it is.
func (v *VM) finishing() bool { return finishing(v.run.S.Sregs.CS.DPL, v.run.S.Regs.RIP) }

// finishing is VM.finishing for a vCPU at privilege level cpl and rip.
func finishing(cpl uint8, rip uint64) bool {
	return cpl == 0 || (rip >= sysTramp+tramp.called && rip < sysTramp+tramp.returned)
}

// settle completes an I/O instruction that KVM left half-done when the
// run ended on it. KVM finishes such an instruction (an in, a string or
// repeated out; under PVM every emulated one) on the next KVM_RUN, after
// taking the registers from the run structure, and would overwrite the
// rip and registers set for the next run with the old instruction's. A
// KVM_RUN with immediate_exit set does only that completion. The runs that
// end as they should (the trampoline's return, an exception stub) leave
// nothing half-done and skip this ioctl.
func (v *VM) settle() error {
	v.cpu.SetImmediateExit(true)
	err := v.cpu.Run()
	v.cpu.SetImmediateExit(false)
	if err == unix.EINTR {
		return nil
	}
	if err == nil {
		err = fmt.Errorf("completing an I/O instruction: unexpected exit %v", v.run.ExitReason)
	}
	v.broken = err
	return err
}

// atOut reports whether rip is where a run stops on the two-byte out
// instruction that ends at end. KVM reports rip past the instruction under
// PVM, which emulates it, and at the instruction itself with hardware VMX,
// which completes it on the next KVM_RUN.
func atOut(rip, end uint64) bool { return rip == end || rip == end-2 }

// kick stops run gen of the guest: immediate_exit makes a KVM_RUN about to
// start return at once, and the signal interrupts one in progress. SIGURG
// is what the Go runtime itself uses to preempt threads, so it is safe to
// send to any of them.
func (v *VM) kick(gen uint64) {
	v.kickMu.Lock()
	defer v.kickMu.Unlock()
	if gen != v.runGen {
		return
	}
	v.cpu.SetImmediateExit(true)
	_ = unix.Tgkill(unix.Getpid(), int(v.tid.Load()), unix.SIGURG)
}

// hypercall dispatches hypercall num. A panicking handler is a host bug,
// but it must not take the process down with it.
func (v *VM) hypercall(t *Table, num uint64) (res uint64, err error) {
	h := t.lookup(num)
	if h == nil {
		return 0, &Trap{Kind: api.TrapInternal, RIP: v.run.S.Regs.RIP, RSP: v.run.S.Regs.RSP, Detail: fmt.Sprintf("no handler for hypercall %d", num)}
	}
	regs := &v.run.S.Regs
	c := &v.call
	c.Num = uint32(num)
	c.Args = [6]uint64{regs.RDI, regs.RSI, regs.RDX, regs.RCX, regs.R8, regs.R9}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("hypercall %d: handler panicked: %v", num, p)
		}
	}()
	res, err = h(c)
	if err == nil {
		// The handler may have grown any memory.
		if serr := v.SyncMemories(); serr != nil {
			return 0, serr
		}
	}
	return res, err
}

// exitError describes an exit the monitor never expects.
func (v *VM) exitError() error {
	r := v.run
	switch r.ExitReason {
	case kvm.ExitInternalError:
		ie := r.InternalError()
		return fmt.Errorf("KVM internal error, suberror %d, data %#x (rip %#x)", ie.Suberror, ie.Data[:min(ie.NData, 16)], r.S.Regs.RIP)
	case kvm.ExitFailEntry:
		return fmt.Errorf("KVM could not enter the guest: hardware reason %#x", r.FailEntry().HardwareEntryFailureReason)
	case kvm.ExitMMIO:
		return fmt.Errorf("guest touched guest-physical memory with no slot (rip %#x)", r.S.Regs.RIP)
	}
	return fmt.Errorf("unexpected exit %v (rip %#x)", r.ExitReason, r.S.Regs.RIP)
}

// fault turns an exception reported by a ring-0 stub into a Trap. The stub
// ran out vector; the CPU left the exception frame on the ring-0 stack at
// the vCPU's rsp.
func (v *VM) fault() error {
	r := v.run
	data := v.cpu.IOData()
	if len(data) == 0 || data[0] >= x86.NumVectors {
		return v.fail("exception stub reported no vector")
	}
	vec := x86.Vector(data[0])
	if !atOut(r.S.Regs.RIP, sysStubs+uint64(vec)*x86.StubSize+x86.StubOutEnd) {
		return v.fail(fmt.Sprintf("exception exit from rip %#x, not from stub %d", r.S.Regs.RIP, vec))
	}
	sp := r.S.Regs.RSP
	var errCode uint64
	if vec.HasErrorCode() {
		if sp < sysKStackLo || sp+8 > sysKStackHi {
			return v.fail(fmt.Sprintf("ring-0 stack pointer %#x outside the ring-0 stack", sp))
		}
		errCode = binary.LittleEndian.Uint64(v.arena[sp:])
		sp += 8
	}
	if sp < sysKStackLo || sp+x86.FrameSize > sysKStackHi {
		return v.fail(fmt.Sprintf("ring-0 stack pointer %#x outside the ring-0 stack", sp))
	}
	f := v.arena[sp : sp+x86.FrameSize]
	rip := binary.LittleEndian.Uint64(f[0:])
	cs := binary.LittleEndian.Uint64(f[8:])
	rsp := binary.LittleEndian.Uint64(f[24:])
	if cs&3 != 3 {
		// Ring 0 faulted: a stub or descriptor table is broken.
		return v.fail(fmt.Sprintf("%v in ring 0 at rip %#x", vec, rip))
	}
	t := &Trap{Kind: api.TrapInternal, Exception: true, Vector: vec, RIP: rip, RSP: rsp, ErrorCode: errCode}
	switch vec {
	case x86.PF:
		cr2 := r.S.Sregs.CR2
		t.Addr = cr2
		switch {
		case cr2 >= MemoryBase && cr2 < MemoryWindowBase(MaxMemories):
			t.Kind, t.Memory = api.TrapOutOfBoundsMemory, int((cr2-MemoryBase)/MemoryStride)
			t.Addr = cr2 - MemoryWindowBase(t.Memory)
		case cr2 >= StackTop-v.stackSize-StackGuard && cr2 < StackTop-v.stackSize:
			t.Kind = api.TrapCallStackExhausted
		}
	case x86.DE:
		t.Kind = api.TrapIntegerDivideByZero
	case x86.UD:
		if b := v.guestCode(rip, 2); len(b) == 2 && b[0] == 0x0F && b[1] == 0x0B {
			t.Kind = api.TrapUnreachable
		} else {
			t.Detail = "not a ud2"
		}
	}
	return t
}

// fail marks the VM broken with a monitor error.
func (v *VM) fail(msg string) error {
	v.broken = errors.New(msg)
	return v.broken
}

// guestCode returns up to n bytes of guest code at guest address va, or
// nil when va is not in the code region, mapped code or the trampoline.
func (v *VM) guestCode(va uint64, n uint64) []byte {
	var region []byte
	var base uint64
	switch {
	case va >= CodeBase && va < CodeBase+v.codeSize:
		region, base = v.arena[v.codeOff:v.codeOff+v.codeSize], CodeBase
	case va >= sysTramp && va < sysTramp+trampolineSize:
		region, base = v.arena[sysTramp:sysTramp+trampolineSize], sysTramp
	case va >= SharedCodeBase && va < v.mapsEnd:
		for _, c := range v.maps {
			if va >= c.addr && va-c.addr < uint64(len(c.code)) {
				region, base = c.code, c.addr
			}
		}
		if region == nil {
			return nil
		}
	default:
		return nil
	}
	off := va - base
	return region[off:min(off+n, uint64(len(region)))]
}
