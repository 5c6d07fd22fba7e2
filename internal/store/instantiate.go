package store

import (
	"errors"
	"fmt"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/linmem"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// LinkError is an import that the store cannot satisfy. Its message
// contains the spec test suite's wording: "unknown import" when nothing
// is exported under the name, "incompatible import type" otherwise.
// See https://www.w3.org/TR/wasm-core-2/#import-subtyping%E2%91%A0
type LinkError struct {
	Module, Name string
	Kind         wasm.ExternKind
	// Unknown is true when the module or its export does not exist.
	Unknown bool
	// Detail says what is missing or how the types differ.
	Detail string
}

func (e *LinkError) Error() string {
	return FormatLinkError(e.Module, e.Name, e.Kind.String(), e.Unknown, e.Detail)
}

// FormatLinkError formats a link error, the one format of this
// package's LinkError and the public API's. unknown selects the spec's
// "unknown import" over "incompatible import type".
func FormatLinkError(module, name, kind string, unknown bool, detail string) string {
	what := "incompatible import type"
	if unknown {
		what = "unknown import"
	}
	return fmt.Sprintf("import %q.%q (%s): %s: %s", module, name, kind, what, detail)
}

// limitsMatch implements limits subtyping: actual may be narrower than
// what the import declares.
func limitsMatch(actual, want wasm.Limits) bool {
	if actual.Min < want.Min {
		return false
	}
	if !want.HasMax {
		return true
	}
	return actual.HasMax && actual.Max <= want.Max
}

// resolve finds the extern that satisfies import imp of m and checks its
// type. Exactly one of the returned pointers is set.
func (s *Store) resolve(m *wasm.Module, imp *wasm.Import) (any, error) {
	fail := func(unknown bool, format string, args ...any) error {
		return &LinkError{Module: imp.Module, Name: imp.Name, Kind: imp.Kind, Unknown: unknown,
			Detail: fmt.Sprintf(format, args...)}
	}
	src := s.Lookup(imp.Module)
	if src == nil {
		return nil, fail(true, "no module named %q is instantiated", imp.Module)
	}
	exp, ok := src.Exports[imp.Name]
	if !ok {
		return nil, fail(true, "module %q exports nothing named %q", imp.Module, imp.Name)
	}
	if exp.Kind != imp.Kind {
		return nil, fail(false, "expected %s, export is a %s", imp.Kind, exp.Kind)
	}
	switch imp.Kind {
	case wasm.ExternFunc:
		f := src.Funcs[exp.Index]
		if imp.Func >= uint32(len(m.Types)) {
			return nil, fail(false, "unknown type %d", imp.Func)
		}
		if want := &m.Types[imp.Func]; !want.Equal(f.Type) {
			return nil, fail(false, "expected func %s, got %s", want, f.Type)
		}
		return f, nil
	case wasm.ExternTable:
		t := src.Tables[exp.Index]
		actual := wasm.Limits{Min: t.Len(), Max: t.Type.Max, HasMax: t.Type.HasMax}
		if t.Type.ElemType != imp.Table.ElemType || !limitsMatch(actual, imp.Table.Limits) {
			return nil, fail(false, "expected table %s %s, got %s %s",
				imp.Table.Limits, imp.Table.ElemType, actual, t.Type.ElemType)
		}
		return t, nil
	case wasm.ExternMemory:
		mem := src.Memories[exp.Index]
		actual := wasm.Limits{Min: mem.Pages(), Max: mem.Type.Max, HasMax: mem.Type.HasMax}
		if !limitsMatch(actual, imp.Memory.Limits) {
			return nil, fail(false, "expected memory %s, got %s", imp.Memory.Limits, actual)
		}
		return mem, nil
	case wasm.ExternGlobal:
		g := src.Globals[exp.Index]
		if g.Type != imp.Global {
			return nil, fail(false, "expected global %s, got %s", globalTypeString(imp.Global), globalTypeString(g.Type))
		}
		return g, nil
	}
	return nil, fail(false, "unsupported import kind")
}

func globalTypeString(t wasm.GlobalType) string {
	if t.Mutable {
		return "(mut " + t.ValType.String() + ")"
	}
	return t.ValType.String()
}

func slotCount(ts []wasm.ValueType) uint32 {
	n := uint32(0)
	for _, t := range ts {
		n += uint32(t.Slots())
	}
	return n
}

func newFunction(inst *Instance, ft *wasm.FuncType, id TypeID, idx uint32, name string) *Function {
	return &Function{
		Type: ft, TypeID: id, Instance: inst, Index: idx, Name: name,
		ParamSlots: slotCount(ft.Params), ResultSlots: slotCount(ft.Results),
	}
}

// Instantiate creates an instance of the validated module m, linking its
// imports to the store's registered instances. code[i] is the engine code
// of the i-th function m defines. It initializes globals, tables and
// memories and applies the active element and data segments, in the
// spec's order, but neither runs the start function nor registers the
// instance: the caller does both, then Register.
//
// A segment that does not fit its table or memory fails instantiation
// with a *api.Trap; writes of earlier segments to imported tables and
// memories stay, as the spec requires.
// See https://www.w3.org/TR/wasm-core-2/#instantiation%E2%91%A1
func (s *Store) Instantiate(m *wasm.Module, name string, code []Code, lim Limits) (*Instance, error) {
	return s.instantiate(m, name, code, lim, nil)
}

// Restore is Instantiate for an instance that starts in the state snap
// captured: its memories map their images, its mutable globals hold
// their captured values and the segments the initialization dropped are
// dropped; data segments are not applied again. Tables are made and
// element segments applied as Instantiate does.
func (s *Store) Restore(m *wasm.Module, name string, code []Code, lim Limits, snap *Snapshot) (*Instance, error) {
	if err := snap.check(m); err != nil {
		return nil, fmt.Errorf("instantiating %q: %w", name, err)
	}
	return s.instantiate(m, name, code, lim, snap)
}

func (s *Store) instantiate(m *wasm.Module, name string, code []Code, lim Limits, snap *Snapshot) (_ *Instance, err error) {
	if len(code) != len(m.Funcs) {
		return nil, fmt.Errorf("instantiating %q: %d function bodies prepared for %d functions", name, len(code), len(m.Funcs))
	}
	inst := &Instance{Name: name, Module: m, store: s, Exports: make(map[string]Export, len(m.Exports))}
	// Once segments are applied, the instance's functions may already sit
	// in imported tables, where the spec keeps them callable after a
	// failed instantiation; see Abandon.
	applying := false
	defer func() {
		if err != nil {
			inst.store = nil // never registered
			if applying {
				inst.Abandon()
			} else {
				inst.Close()
			}
		}
	}()

	inst.Types = make([]TypeID, len(m.Types))
	for i := range m.Types {
		inst.Types[i] = s.TypeID(&m.Types[i])
	}

	nf := int(m.NumFuncs())
	inst.Funcs = make([]*Function, 0, nf)
	inst.Globals = make([]*Global, 0, m.NumGlobals())
	for i := range m.Imports {
		imp := &m.Imports[i]
		ext, err := s.resolve(m, imp)
		if err != nil {
			return nil, err
		}
		switch x := ext.(type) {
		case *Function:
			inst.Funcs = append(inst.Funcs, x)
		case *Table:
			inst.Tables = append(inst.Tables, x)
		case *Memory:
			x.acquire()
			inst.Memories = append(inst.Memories, x)
		case *Global:
			inst.Globals = append(inst.Globals, x)
		}
	}

	for i, ti := range m.Funcs {
		if ti >= uint32(len(m.Types)) {
			return nil, fmt.Errorf("function %d: unknown type %d", len(inst.Funcs), ti)
		}
		idx := uint32(len(inst.Funcs))
		f := newFunction(inst, &m.Types[ti], inst.Types[ti], idx, m.FuncName(idx))
		f.Code = code[i]
		inst.Funcs = append(inst.Funcs, f)
	}

	for i := range m.Globals {
		g := &m.Globals[i]
		v, err := inst.evalConst(g.Init)
		if err != nil {
			return nil, fmt.Errorf("global %d: %w", len(inst.Globals), err)
		}
		gi := &Global{Type: g.Type, Val: v.lo, Hi: v.hi, Ref: v.ref}
		if snap != nil {
			if err := snap.restoreGlobal(inst, i, gi); err != nil {
				return nil, err
			}
		}
		inst.Globals = append(inst.Globals, gi)
	}

	budget := newTableBudget(lim)
	for i, tt := range m.Tables {
		t, ok := newTable(tt, lim, budget)
		if !ok {
			if tt.Min <= lim.tableElements() {
				return nil, fmt.Errorf("table %d: minimum of %d elements, with the %d of the tables before it, exceeds the limit of %d elements for all of a module's tables",
					len(m.ImportedTables)+i, tt.Min, budget.used.Load(), lim.tableElements())
			}
			return nil, fmt.Errorf("table %d: minimum of %d elements exceeds the limit of %d",
				len(m.ImportedTables)+i, tt.Min, lim.tableElements())
		}
		inst.Tables = append(inst.Tables, t)
	}

	for i, mt := range m.Memories {
		if mt.Min > lim.memoryPages() {
			return nil, fmt.Errorf("memory %d: minimum of %d pages exceeds the limit of %d pages",
				len(m.ImportedMemories)+i, mt.Min, lim.memoryPages())
		}
		var img *linmem.Image
		if snap != nil {
			img = snap.Memories[i]
		}
		mem, err := newMemory(mt, lim, img)
		if err != nil {
			return nil, fmt.Errorf("memory %d: %w", len(m.ImportedMemories)+i, err)
		}
		mem.acquire()
		inst.Memories = append(inst.Memories, mem)
	}

	for _, e := range m.Exports {
		inst.Exports[e.Name] = Export{Kind: e.Kind, Index: e.Index}
	}

	inst.ElemSegs = make([][]uint64, len(m.Elems))
	for i := range m.Elems {
		seg := &m.Elems[i]
		vals := make([]uint64, seg.Len())
		if seg.Exprs != nil {
			for j, e := range seg.Exprs {
				v, err := inst.evalConst(e)
				if err != nil {
					return nil, fmt.Errorf("element segment %d: element %d: %w", i, j, err)
				}
				vals[j] = v.lo
				if v.ref != nil && v.ref.Instance != inst {
					inst.elemRefs = append(inst.elemRefs, v.ref)
				}
			}
		} else {
			for j, fi := range seg.FuncIndices {
				if fi >= uint32(len(inst.Funcs)) {
					return nil, fmt.Errorf("element segment %d: unknown function %d", i, fi)
				}
				vals[j] = FuncRef(inst.Funcs[fi])
			}
		}
		inst.ElemSegs[i] = vals
	}
	inst.DataSegs = make([][]byte, len(m.Datas))
	for i := range m.Datas {
		inst.DataSegs[i] = m.Datas[i].Init
	}

	applying = true
	for i := range m.Elems {
		seg := &m.Elems[i]
		switch seg.Mode {
		case SegmentActive:
			if seg.Table >= uint32(len(inst.Tables)) {
				return nil, fmt.Errorf("element segment %d: unknown table %d", i, seg.Table)
			}
			off, err := inst.evalConst(seg.Offset)
			if err != nil {
				return nil, fmt.Errorf("element segment %d: offset: %w", i, err)
			}
			vals := inst.ElemSegs[i]
			if !inst.Tables[seg.Table].Init(uint32(off.lo), vals, 0, uint32(len(vals))) {
				return nil, &api.Trap{Kind: api.TrapOutOfBoundsTable,
					Detail: fmt.Sprintf("element segment %d: %d elements at offset %d do not fit table %d of %d elements",
						i, len(vals), uint32(off.lo), seg.Table, inst.Tables[seg.Table].Len())}
			}
			inst.ElemSegs[i] = nil
		case SegmentDeclarative:
			inst.ElemSegs[i] = nil
		}
	}
	if snap != nil {
		// The memories hold what the data segments wrote, and whatever
		// the initialization did after.
		for i := range m.Datas {
			if m.Datas[i].Mode == SegmentActive || snap.DataDropped[i] {
				inst.DataSegs[i] = nil
			}
		}
		for i, dropped := range snap.ElemDropped {
			if dropped {
				inst.ElemSegs[i] = nil
			}
		}
		return inst, nil
	}
	for i := range m.Datas {
		d := &m.Datas[i]
		if d.Mode != SegmentActive {
			continue
		}
		if d.Memory >= uint32(len(inst.Memories)) {
			return nil, fmt.Errorf("data segment %d: unknown memory %d", i, d.Memory)
		}
		off, err := inst.evalConst(d.Offset)
		if err != nil {
			return nil, fmt.Errorf("data segment %d: offset: %w", i, err)
		}
		mem := inst.Memories[d.Memory].Bytes()
		start := uint64(uint32(off.lo))
		if start+uint64(len(d.Init)) > uint64(len(mem)) {
			return nil, &api.Trap{Kind: api.TrapOutOfBoundsMemory,
				Detail: fmt.Sprintf("data segment %d: %d bytes at offset %d do not fit memory of %d bytes",
					i, len(d.Init), start, len(mem))}
		}
		copy(mem[start:], d.Init)
		inst.DataSegs[i] = nil
	}
	return inst, nil
}

// Abandon disposes of an instance whose instantiation failed after it
// could change shared state (segments applied, start function run). If
// references to its functions may have escaped into tables, globals or
// host functions that outlive it, the spec keeps those functions
// callable, so its memories are left to the garbage collector (linmem
// unmaps unreachable memories); otherwise it is closed at once.
func (inst *Instance) Abandon() {
	if inst.Module != nil && refsMayEscape(inst.Module) {
		return
	}
	inst.Close()
}

// refsMayEscape reports whether code of m can hand a reference to its own
// functions to anything that outlives a failed instantiation: an imported
// table, an imported funcref global, or an imported function taking a
// funcref.
func refsMayEscape(m *wasm.Module) bool {
	if len(m.ImportedTables) > 0 {
		return true
	}
	for _, g := range m.ImportedGlobals {
		if g.ValType == wasm.ValueTypeFuncref {
			return true
		}
	}
	for _, ti := range m.ImportedFuncs {
		if ti < uint32(len(m.Types)) {
			for _, p := range m.Types[ti].Params {
				if p == wasm.ValueTypeFuncref {
					return true
				}
			}
		}
	}
	return false
}

// Segment modes, re-exported for brevity.
const (
	SegmentActive      = wasm.SegmentActive
	SegmentPassive     = wasm.SegmentPassive
	SegmentDeclarative = wasm.SegmentDeclarative
)

// HostFunc is a function of a host module.
type HostFunc struct {
	// Export is the name the function is exported as.
	Export string
	// Name is its debug name; Export when empty.
	Name string
	Type wasm.FuncType
	Fn   api.GoModuleFunc
	// Guest, if its Kind is not GuestNone, says which of WASI's
	// functions Fn is, so that an engine that runs code in a guest may
	// serve it there (see Guest).
	Guest Guest
}

// HostMemory is a memory a host module defines and exports.
type HostMemory struct {
	Export string
	Type   wasm.MemoryType
}

// HostTable is a table a host module defines and exports.
type HostTable struct {
	Export string
	Type   wasm.TableType
}

// HostGlobal is a global a host module defines and exports.
type HostGlobal struct {
	Export string
	Type   wasm.GlobalType
	Val    uint64
	Hi     uint64
}

// HostModule describes a module implemented in Go.
type HostModule struct {
	Funcs    []HostFunc
	Memories []HostMemory
	Tables   []HostTable
	Globals  []HostGlobal
}

// errDuplicateExport is returned for a host module exporting two things
// under one name.
var errDuplicateExport = errors.New("duplicate export name")

// NewHostInstance creates the instance of a host module. Like
// Instantiate, it does not register it.
func (s *Store) NewHostInstance(name string, h *HostModule, lim Limits) (_ *Instance, err error) {
	inst := &Instance{Name: name, store: s, Exports: map[string]Export{}}
	defer func() {
		if err != nil {
			inst.store = nil
			inst.Close()
		}
	}()
	export := func(n string, kind wasm.ExternKind, idx int) error {
		if _, ok := inst.Exports[n]; ok {
			return fmt.Errorf("host module %q: %w %q", name, errDuplicateExport, n)
		}
		inst.Exports[n] = Export{Kind: kind, Index: uint32(idx)}
		return nil
	}
	for i := range h.Funcs {
		hf := &h.Funcs[i]
		if hf.Fn == nil {
			return nil, fmt.Errorf("host module %q: function %q has no implementation", name, hf.Export)
		}
		n := hf.Name
		if n == "" {
			n = hf.Export
		}
		ft := hf.Type
		f := newFunction(inst, &ft, s.TypeID(&ft), uint32(i), n)
		f.Host, f.Guest = hf.Fn, hf.Guest
		inst.Funcs = append(inst.Funcs, f)
		if err := export(hf.Export, wasm.ExternFunc, i); err != nil {
			return nil, err
		}
	}
	for i, hm := range h.Memories {
		mem, err := NewMemory(hm.Type, lim)
		if err != nil {
			return nil, fmt.Errorf("host module %q: memory %q: %w", name, hm.Export, err)
		}
		mem.acquire()
		inst.Memories = append(inst.Memories, mem)
		if err := export(hm.Export, wasm.ExternMemory, i); err != nil {
			return nil, err
		}
	}
	budget := newTableBudget(lim)
	for i, ht := range h.Tables {
		t, ok := newTable(ht.Type, lim, budget)
		if !ok {
			return nil, fmt.Errorf("host module %q: table %q: minimum exceeds the limit", name, ht.Export)
		}
		inst.Tables = append(inst.Tables, t)
		if err := export(ht.Export, wasm.ExternTable, i); err != nil {
			return nil, err
		}
	}
	for i, hg := range h.Globals {
		g := &Global{Type: hg.Type, Val: hg.Val, Hi: hg.Hi}
		if hg.Type.ValType == wasm.ValueTypeFuncref {
			g.Ref = FuncFromRef(hg.Val)
		}
		inst.Globals = append(inst.Globals, g)
		if err := export(hg.Export, wasm.ExternGlobal, i); err != nil {
			return nil, err
		}
	}
	return inst, nil
}
