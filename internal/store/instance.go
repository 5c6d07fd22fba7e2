package store

import (
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/linmem"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// Function is a function instance: WebAssembly code of an instance, or a
// host function.
type Function struct {
	Type   *wasm.FuncType
	TypeID TypeID
	// Instance is the instance that defines the function. Its memory,
	// tables and globals are the ones the function's code uses.
	Instance *Instance
	// Index is the function's index in Instance's function index space.
	Index uint32
	// Name is the function's debug name (name section or host builder).
	Name string
	// ParamSlots and ResultSlots count the uint64 slots of the params and
	// results (a v128 takes two).
	ParamSlots, ResultSlots uint32
	// Code is the engine's prepared body; nil for host functions.
	Code Code
	// Host is the Go implementation of a host function, and Guest what
	// its module says of it for a guest to serve (HostFunc.Guest).
	Host  api.GoModuleFunc
	Guest Guest
	// Entry and Ctx are the compiled tier's view of the function, read
	// by machine code at fixed offsets: the address of its machine code
	// and of its instance's state block. Both are zero for a function
	// without machine code (host functions, interpreter code); the
	// engine that compiled it sets them before the instance runs.
	Entry, Ctx uintptr
}

// Code is a function body as an engine prepared it: what the engine
// runs when the function is called. Only the engine that made it knows
// its concrete type.
type Code interface {
	// Engine names the engine (the tier) that made the code, as the
	// engine's Name method does: "interp" or "compiled".
	Engine() string
}

// IsHost reports whether f is a host function.
func (f *Function) IsHost() bool { return f.Host != nil }

// FuncRef returns the reference value of f as it is held in value slots
// and globals: the function's address. 0 is the null reference.
//
// The encoding costs nothing to produce or to call through, and the
// function stays reachable for the garbage collector because every
// place that can keep a reference beyond one call also keeps the pointer:
// tables hold *Function, globals their Ref field, instances their Funcs.
func FuncRef(f *Function) uint64 {
	return uint64(uintptr(unsafe.Pointer(f)))
}

// FuncFromRef returns the function whose reference is v, or nil for the
// null reference. v must have been produced by FuncRef in this process
// (engines only move such values around; it is never guest data).
func FuncFromRef(v uint64) *Function {
	// Reinterpreting the slot's bits as a pointer (rather than converting
	// a uintptr expression) keeps the conversion a plain load.
	return *(**Function)(unsafe.Pointer(&v))
}

// Table is a table instance. Exactly one of Funcs and Externs is used,
// by the element type: function references are kept as pointers so the
// garbage collector sees them, external references as the host's
// opaque values.
type Table struct {
	Type    wasm.TableType
	Funcs   []*Function // funcref tables
	Externs []uint64    // externref tables
	// Max is the effective maximum: the type's maximum or the limit.
	Max uint32
	// Changes counts the changes made to Funcs through the methods
	// below, which are the only way Funcs changes, so that a copy kept
	// elsewhere (a micro-VM's) knows without comparing whether it is
	// stale, and which elements the last changes touched (ChangedSince).
	Changes uint64
	log     [tableLogSize]tableChange
	// budget is what the tables of the instance that defined this one
	// may hold together.
	budget *tableBudget
}

// tableBudget bounds the elements of an instance's tables together, so
// that many tables each within the limit cannot add up to more host
// memory than one may take.
type tableBudget struct {
	limit uint64
	used  atomic.Uint64
}

func newTableBudget(lim Limits) *tableBudget { return &tableBudget{limit: uint64(lim.tableElements())} }

// take reserves n more elements, if the budget has them.
func (b *tableBudget) take(n uint64) bool {
	for {
		u := b.used.Load()
		if u+n > b.limit {
			return false
		}
		if b.used.CompareAndSwap(u, u+n) {
			return true
		}
	}
}

// NewTable returns a table of type tt, its elements null, with a budget
// of its own. ok is false if the minimum exceeds the limit.
func NewTable(tt wasm.TableType, lim Limits) (*Table, bool) {
	return newTable(tt, lim, newTableBudget(lim))
}

// newTable is NewTable drawing on budget, shared with the other tables
// of an instance.
func newTable(tt wasm.TableType, lim Limits, budget *tableBudget) (*Table, bool) {
	max := lim.tableElements()
	if tt.HasMax && tt.Max < max {
		max = tt.Max
	}
	if tt.Min > max || !budget.take(uint64(tt.Min)) {
		return nil, false
	}
	t := &Table{Type: tt, Max: max, budget: budget}
	if tt.ElemType == wasm.ValueTypeFuncref {
		t.Funcs = make([]*Function, tt.Min)
	} else {
		t.Externs = make([]uint64, tt.Min)
	}
	return t, true
}

// IsFuncref reports whether the table holds function references.
func (t *Table) IsFuncref() bool { return t.Type.ElemType == wasm.ValueTypeFuncref }

// Len is the current number of elements.
func (t *Table) Len() uint32 {
	if t.IsFuncref() {
		return uint32(len(t.Funcs))
	}
	return uint32(len(t.Externs))
}

// Get returns element i as a reference value; ok is false out of bounds.
func (t *Table) Get(i uint32) (v uint64, ok bool) {
	if t.IsFuncref() {
		if uint64(i) >= uint64(len(t.Funcs)) {
			return 0, false
		}
		return FuncRef(t.Funcs[i]), true
	}
	if uint64(i) >= uint64(len(t.Externs)) {
		return 0, false
	}
	return t.Externs[i], true
}

// Set stores reference value v at i; ok is false out of bounds.
func (t *Table) Set(i uint32, v uint64) bool {
	if t.IsFuncref() {
		if uint64(i) >= uint64(len(t.Funcs)) {
			return false
		}
		t.Funcs[i] = FuncFromRef(v)
		t.changed(i, i+1)
		return true
	}
	if uint64(i) >= uint64(len(t.Externs)) {
		return false
	}
	t.Externs[i] = v
	return true
}

// Grow appends delta elements set to v and returns the previous length;
// ok is false, and the table unchanged, past the maximum.
// See https://www.w3.org/TR/wasm-core-2/#exec-table-grow
func (t *Table) Grow(delta uint32, v uint64) (prev uint32, ok bool) {
	prev = t.Len()
	next := uint64(prev) + uint64(delta)
	if next > uint64(t.Max) || t.budget != nil && !t.budget.take(uint64(delta)) {
		return prev, false
	}
	if t.IsFuncref() {
		f := FuncFromRef(v)
		t.Funcs = growSlice(t.Funcs, int(next))
		for i := prev; uint64(i) < next; i++ {
			t.Funcs[i] = f
		}
		t.changed(prev, uint32(next))
	} else {
		t.Externs = growSlice(t.Externs, int(next))
		for i := prev; uint64(i) < next; i++ {
			t.Externs[i] = v
		}
	}
	return prev, true
}

// tableLogSize is how many of a table's last changes it remembers the
// elements of: a micro-VM syncs its copy at every exit, and one exit
// makes at most one change but for a host function's.
const tableLogSize = 8

// tableChange is the elements [lo, hi) that change number at touched.
type tableChange struct {
	at     uint64
	lo, hi uint32
}

// changed counts a change of the elements [lo, hi).
func (t *Table) changed(lo, hi uint32) {
	t.Changes++
	t.log[t.Changes%tableLogSize] = tableChange{t.Changes, lo, hi}
}

// ChangedSince returns the range of elements that the changes after
// change c touched (empty if there were none), or false if they are no
// longer all remembered: then any element may have changed.
func (t *Table) ChangedSince(c uint64) (lo, hi uint32, ok bool) {
	if c > t.Changes || t.Changes-c > tableLogSize {
		return 0, 0, false
	}
	lo = ^uint32(0)
	for at := c + 1; at <= t.Changes; at++ {
		e := t.log[at%tableLogSize]
		if e.at != at {
			return 0, 0, false
		}
		lo, hi = min(lo, e.lo), max(hi, e.hi)
	}
	if hi == 0 {
		lo = 0
	}
	return lo, hi, true
}

func growSlice[T any](s []T, n int) []T {
	if n <= cap(s) {
		return s[:n]
	}
	out := make([]T, n, max(n, 2*cap(s)))
	copy(out, s)
	return out
}

// Fill sets n elements from i to v; ok is false, and nothing written, if
// the range is out of bounds.
// See https://www.w3.org/TR/wasm-core-2/#exec-table-fill
func (t *Table) Fill(i, n uint32, v uint64) bool {
	if uint64(i)+uint64(n) > uint64(t.Len()) {
		return false
	}
	if t.IsFuncref() {
		f := FuncFromRef(v)
		for j := range t.Funcs[i : i+n] {
			t.Funcs[i+uint32(j)] = f
		}
		t.changed(i, i+n)
	} else {
		for j := range t.Externs[i : i+n] {
			t.Externs[i+uint32(j)] = v
		}
	}
	return true
}

// CopyTable copies n elements from src[s:] to dst[d:] (the tables may be
// the same, the ranges may overlap); ok is false, and nothing written, if
// either range is out of bounds. Both tables have the same element type.
// See https://www.w3.org/TR/wasm-core-2/#exec-table-copy
func CopyTable(dst *Table, d uint32, src *Table, s, n uint32) bool {
	if uint64(d)+uint64(n) > uint64(dst.Len()) || uint64(s)+uint64(n) > uint64(src.Len()) {
		return false
	}
	if dst.IsFuncref() {
		copy(dst.Funcs[d:d+n], src.Funcs[s:s+n])
		dst.changed(d, d+n)
	} else {
		copy(dst.Externs[d:d+n], src.Externs[s:s+n])
	}
	return true
}

// Init copies elems[s:s+n] to the table at d; ok is false, and nothing
// written, if either range is out of bounds.
// See https://www.w3.org/TR/wasm-core-2/#exec-table-init
func (t *Table) Init(d uint32, elems []uint64, s, n uint32) bool {
	if uint64(d)+uint64(n) > uint64(t.Len()) || uint64(s)+uint64(n) > uint64(len(elems)) {
		return false
	}
	if t.IsFuncref() {
		for j, v := range elems[s : s+n] {
			t.Funcs[d+uint32(j)] = FuncFromRef(v)
		}
		t.changed(d, d+n)
	} else {
		copy(t.Externs[d:d+n], elems[s:s+n])
	}
	return true
}

// Memory is a memory instance: a linear memory that never moves.
type Memory struct {
	Type wasm.MemoryType
	Lin  *linmem.Memory
	// users counts the instances that define or import the memory; the
	// last one to close releases it.
	users atomic.Int32
}

// NewMemory reserves a memory of type mt, capped at the limit's pages,
// with linmem.DefaultGuard after the largest size it may reach.
func NewMemory(mt wasm.MemoryType, lim Limits) (*Memory, error) { return newMemory(mt, lim, nil) }

// newMemory is NewMemory starting from img, if not nil: a memory of
// type mt that grew to img's size.
func newMemory(mt wasm.MemoryType, lim Limits, img *linmem.Image) (*Memory, error) {
	max := lim.memoryPages()
	if mt.HasMax && mt.Max < max {
		max = mt.Max
	}
	min := mt.Min
	if img != nil {
		if img.Pages() < mt.Min || img.Pages() > max {
			return nil, fmt.Errorf("snapshot of %d pages does not fit a memory of %d to %d pages", img.Pages(), mt.Min, max)
		}
		min = img.Pages()
	}
	lin, err := linmem.New(linmem.Config{MinPages: min, MaxPages: max, Guard: linmem.DefaultGuard, Image: img})
	if err != nil {
		return nil, err
	}
	return &Memory{Type: mt, Lin: lin}, nil
}

// Pages is the current size in pages.
func (m *Memory) Pages() uint32 { return m.Lin.Pages() }

// Bytes returns the accessible memory.
func (m *Memory) Bytes() []byte { return m.Lin.Bytes() }

// Grow adds delta pages and returns the previous size; ok is false past
// the maximum.
// See https://www.w3.org/TR/wasm-core-2/#exec-memory-grow
func (m *Memory) Grow(delta uint32) (prev uint32, ok bool) { return m.Lin.Grow(delta) }

func (m *Memory) acquire() { m.users.Add(1) }

func (m *Memory) release() {
	if m.users.Add(-1) == 0 {
		m.Lin.Close()
	}
}

// Global is a global instance. A v128 value uses Val (low half) and Hi.
type Global struct {
	Type wasm.GlobalType
	Val  uint64
	Hi   uint64
	// Ref keeps the function referenced by a funcref global reachable.
	Ref *Function
}

// GlobalKeeper is engine state that holds the live values of some of
// its instance's globals, those no other module or host can reach, and
// writes them into their Global records when asked: the engine does so
// when a call from Go ends, and Capture before it reads them.
type GlobalKeeper interface {
	FlushGlobals()
}

// SetRef stores a reference value in a reference-typed global.
func (g *Global) SetRef(v uint64) {
	g.Val = v
	if g.Type.ValType == wasm.ValueTypeFuncref {
		g.Ref = FuncFromRef(v)
	}
}

// Export is an export of an instance: a kind and an index into the
// instance's index space of that kind.
type Export struct {
	Kind  wasm.ExternKind
	Index uint32
}

// Instance is a module instance (or a host module's).
type Instance struct {
	Name string
	// Module is the module the instance was made from; nil for host
	// modules.
	Module   *wasm.Module
	Funcs    []*Function
	Tables   []*Table
	Memories []*Memory
	Globals  []*Global
	// Types maps the module's type indices to store-wide TypeIDs.
	Types   []TypeID
	Exports map[string]Export
	// ElemSegs holds each element segment's reference values; a dropped
	// segment is nil.
	ElemSegs [][]uint64
	// elemRefs keeps alive the functions that segments reference through
	// imported globals (the others are in Funcs).
	elemRefs []*Function
	// DataSegs holds each data segment's bytes; a dropped segment is nil.
	DataSegs [][]byte

	// Handle is the embedding layer's view of the instance (an
	// api.Module), handed to host functions as their caller.
	Handle api.Module
	// Data is the embedding layer's per-instance data.
	Data any
	// EngineState is the engine's per-instance data (the compiled tier's
	// state block), kept reachable as long as the instance. If it is a
	// GlobalKeeper, the values of some globals live there while code
	// runs.
	EngineState any

	closed atomic.Bool
	store  *Store
	// calls lists the calls from Go running in the instance, which Close
	// stops (see BeginCall).
	callsMu sync.Mutex
	calls   *Call
}

// Closed reports whether Close was called.
func (inst *Instance) Closed() bool { return inst.closed.Load() }

// ClosedAddr returns the address of a 32-bit word that becomes nonzero
// when Close is called: compiled code reads it to refuse entering, or
// returning into, a closed instance without calling into Go.
func (inst *Instance) ClosedAddr() uintptr { return uintptr(unsafe.Pointer(&inst.closed)) }

// Close unregisters the instance, stops the calls running in it (they
// trap with "module closed") and releases the memories no other instance
// uses, once no call that may use them is running (see BeginCall). It
// reports false if the instance was already closed.
func (inst *Instance) Close() bool {
	if inst.closed.Swap(true) {
		return false
	}
	if inst.store != nil {
		inst.store.Unregister(inst)
	}
	inst.storeOrDetached().retire(inst)
	return true
}

// Memory returns memory 0, or nil.
func (inst *Instance) Memory() *Memory {
	if len(inst.Memories) == 0 {
		return nil
	}
	return inst.Memories[0]
}

// FuncName returns the debug name of function idx, or "".
func (inst *Instance) FuncName(idx uint32) string {
	if idx < uint32(len(inst.Funcs)) {
		if f := inst.Funcs[idx]; f.Instance == inst {
			return f.Name
		}
	}
	if inst.Module != nil {
		return inst.Module.FuncName(idx)
	}
	return ""
}
