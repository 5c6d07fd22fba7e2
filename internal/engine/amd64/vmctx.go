package amd64

import (
	"unsafe"

	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// The instance state block ("vmctx") is the flat view of an instance
// that machine code addresses through R14 with constant offsets: a fixed
// header, then one 8-byte entry per function, global, table and type of
// the module, in that order. Entries are addresses of the store's
// objects (but a global's value itself where the target inlines it,
// see Target.InlineGlobals), which the instance keeps reachable; the
// block holds them as integers, invisible to the garbage collector, and
// machine code never stores a Go pointer into the Go heap (changing a
// table's or a reference global's contents goes through Go).
const (
	vmMemBase   = 0  // address of memory 0's first byte (0 without memory)
	vmMemLenPtr = 8  // address of a uint64 holding memory 0's length in bytes
	vmInstance  = 16 // the *store.Instance
	vmClosedPtr = 24 // address of a uint32 that is nonzero once the instance is closed
	vmHeader    = 32
)

// A memory's record, at vmMemLenPtr: its length and, in a micro-VM, the
// loan of page tables it may grow into without an exit (vm.Loan; zeros
// without one). In-process, only the length is there.
const (
	memRecLen     = 0  // the length in bytes
	memRecLoanEnd = 8  // vm.Loan.End
	memRecTables  = 16 // vm.Loan.Tables
	memRecEntry   = 24 // vm.Loan.Entry
	memRecSize    = 32
)

// Offsets inside store objects that machine code reads.
var (
	offFuncEntry  = int32(unsafe.Offsetof(store.Function{}.Entry))
	offFuncCtx    = int32(unsafe.Offsetof(store.Function{}.Ctx))
	offFuncTypeID = int32(unsafe.Offsetof(store.Function{}.TypeID))
	offTableFuncs = int32(unsafe.Offsetof(store.Table{}.Funcs))
	offGlobalVal  = int32(unsafe.Offsetof(store.Global{}.Val))
)

// layout gives the offsets of a module's entries in its state block.
type layout struct {
	funcs, globals, tables, types int32
	size                          int
	// inlined lists the globals whose entries hold their values (in
	// ascending order; see Target.InlineGlobals), inline says which.
	inlined []uint32
	inline  []bool
}

func layoutOf(t *Target, m *wasm.Module) layout {
	var l layout
	nf, ng, nt := m.NumFuncs(), m.NumGlobals(), m.NumTables()
	l.funcs = vmHeader
	l.globals = l.funcs + 8*int32(nf)
	l.tables = l.globals + 8*int32(ng)
	l.types = l.tables + 8*int32(nt)
	l.size = int(l.types) + 8*len(m.Types)
	if !t.InlineGlobals || len(m.Globals) == 0 {
		return l
	}
	l.inline = make([]bool, ng)
	for i := len(m.ImportedGlobals); i < int(ng); i++ {
		switch m.Globals[i-len(m.ImportedGlobals)].Type.ValType {
		case wasm.ValueTypeI32, wasm.ValueTypeI64, wasm.ValueTypeF32, wasm.ValueTypeF64:
			l.inline[i] = true
		}
	}
	for _, e := range m.Exports {
		if e.Kind == wasm.ExternGlobal && int(e.Index) < len(l.inline) {
			l.inline[e.Index] = false
		}
	}
	for i, in := range l.inline {
		if in {
			l.inlined = append(l.inlined, uint32(i))
		}
	}
	return l
}

// inlines reports whether global i's entry holds its value.
func (l *layout) inlines(i uint32) bool { return int(i) < len(l.inline) && l.inline[i] }

func (l layout) fn(i uint32) int32     { return l.funcs + 8*int32(i) }
func (l layout) global(i uint32) int32 { return l.globals + 8*int32(i) }
func (l layout) table(i uint32) int32  { return l.tables + 8*int32(i) }
func (l layout) typ(i uint32) int32    { return l.types + 8*int32(i) }

// zeroLen is the memory length of instances without a memory.
var zeroLen uint64

// instanceState is an instance's state block, and the module whose code
// runs with it.
type instanceState struct {
	block []uint64
	mod   *Module
	inst  *store.Instance
}

// FlushGlobals copies the values of the globals the block holds into the
// store's records of them (store.GlobalKeeper). Only the instance's own
// code changes those globals, and only Go's callers of it and a snapshot
// read them, so this runs when a call from Go ends and before a snapshot.
func (s *instanceState) FlushGlobals() {
	if s.inst == nil {
		return
	}
	l := &s.mod.layout
	for _, i := range l.inlined {
		s.inst.Globals[i].Val = s.block[l.global(i)/8]
	}
}

func (s *instanceState) addr() uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(s.block))) }

// newInstanceState builds the state block of inst, an instance of mod.
func newInstanceState(inst *store.Instance, mod *Module) *instanceState {
	l := mod.layout
	s := &instanceState{block: make([]uint64, l.size/8), mod: mod, inst: inst}
	put := func(off int32, v uintptr) { s.block[off/8] = uint64(v) }
	put(vmMemLenPtr, uintptr(unsafe.Pointer(&zeroLen)))
	if mem := inst.Memory(); mem != nil {
		put(vmMemBase, mem.Lin.Base())
		put(vmMemLenPtr, mem.Lin.LenAddr())
	}
	put(vmInstance, uintptr(unsafe.Pointer(inst)))
	put(vmClosedPtr, inst.ClosedAddr())
	for i, f := range inst.Funcs {
		put(l.fn(uint32(i)), uintptr(unsafe.Pointer(f)))
	}
	for i, g := range inst.Globals {
		if l.inlines(uint32(i)) {
			s.block[l.global(uint32(i))/8] = g.Val
			continue
		}
		put(l.global(uint32(i)), uintptr(unsafe.Pointer(g)))
	}
	for i, t := range inst.Tables {
		put(l.table(uint32(i)), uintptr(unsafe.Pointer(t)))
	}
	for i, id := range inst.Types {
		s.block[l.typ(uint32(i))/8] = uint64(id)
	}
	return s
}

// instanceOf returns the instance whose state block is at addr.
func instanceOf(addr uintptr) *store.Instance {
	return *ptrAt[*store.Instance](addr + vmInstance)
}
