package store

import (
	"errors"
	"fmt"
	"slices"

	"github.com/wasmvisor/wasmvisor/internal/linmem"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// Snapshot is the state of an instance after it initialized itself (as
// Wizer pre-initializes a module): its memories, its mutable globals
// and which segments it dropped. Instances restored from it (Restore)
// start in that state without applying data segments, running the
// start function or copying memory: each memory maps its image
// copy-on-write (see linmem.Image).
//
// Tables are not kept: a restored instance builds them from its element
// segments as any instance does, so Capture refuses an instance whose
// tables no longer hold what instantiation put there.
type Snapshot struct {
	// Memories are the images of the memories the module defines, in
	// order.
	Memories []*linmem.Image
	// Globals are the values of the globals the module defines, in
	// order; only the mutable ones are used. A funcref global's Val is
	// its function's index in the instance's function index space plus
	// one, 0 for null: the address it holds is the capturing instance's.
	Globals []Global
	// DataDropped and ElemDropped say which passive segments the
	// initialization dropped.
	DataDropped, ElemDropped []bool
}

// Stored returns the bytes the snapshot's memory images keep.
func (s *Snapshot) Stored() uint64 {
	var n uint64
	for _, img := range s.Memories {
		n += img.Stored()
	}
	return n
}

// Pages returns the sizes of the snapshot's memories, in pages.
func (s *Snapshot) Pages() []uint32 {
	out := make([]uint32, len(s.Memories))
	for i, img := range s.Memories {
		out[i] = img.Pages()
	}
	return out
}

// Close releases the memory images; instances restored from the
// snapshot are not affected.
func (s *Snapshot) Close() error {
	var errs []error
	for _, img := range s.Memories {
		errs = append(errs, img.Close())
	}
	return errors.Join(errs...)
}

// CheckSnapshottable refuses a module whose initialized state depends on
// more than its own code: one that imports a memory, a table or a
// global, which a restored instance could be given different from the
// one its snapshot saw.
func CheckSnapshottable(m *wasm.Module) error {
	for _, imp := range m.Imports {
		if imp.Kind != wasm.ExternFunc {
			return fmt.Errorf("it imports %s %q.%q: a snapshot can hold only what the module defines", imp.Kind, imp.Module, imp.Name)
		}
	}
	return nil
}

// TableMark is what an instance's tables held, to tell later whether
// they changed.
type TableMark struct {
	funcs   [][]*Function
	externs [][]uint64
}

// MarkTables records what inst's tables hold now.
func (inst *Instance) MarkTables() TableMark {
	var mk TableMark
	for _, t := range inst.Tables {
		mk.funcs = append(mk.funcs, slices.Clone(t.Funcs))
		mk.externs = append(mk.externs, slices.Clone(t.Externs))
	}
	return mk
}

// Capture takes a snapshot of inst, an instance of a module that
// CheckSnapshottable accepts, whose tables held mk after instantiation.
// It fails if the tables changed since, or if a global holds a
// reference that a restored instance cannot have (a host's externref, a
// function of another instance).
func (inst *Instance) Capture(mk TableMark) (_ *Snapshot, err error) {
	m := inst.Module
	if err := CheckSnapshottable(m); err != nil {
		return nil, err
	}
	for i, t := range inst.Tables {
		if !slices.Equal(t.Funcs, mk.funcs[i]) || !slices.Equal(t.Externs, mk.externs[i]) {
			return nil, fmt.Errorf("table %d changed during initialization; a snapshot keeps memories and globals only", i)
		}
	}
	if k, ok := inst.EngineState.(GlobalKeeper); ok {
		k.FlushGlobals()
	}
	snap := &Snapshot{}
	defer func() {
		if err != nil {
			snap.Close()
		}
	}()
	for i, g := range inst.Globals[len(m.ImportedGlobals):] {
		v := *g
		v.Ref = nil
		if g.Type.Mutable && g.Type.ValType.IsRef() && g.Val != 0 {
			idx := -1
			if g.Type.ValType == wasm.ValueTypeFuncref {
				idx = slices.Index(inst.Funcs, FuncFromRef(g.Val))
			}
			if idx < 0 {
				return nil, fmt.Errorf("global %d holds a reference that a snapshot cannot keep", len(m.ImportedGlobals)+i)
			}
			v.Val = uint64(idx) + 1
		}
		snap.Globals = append(snap.Globals, v)
	}
	for i, mem := range inst.Memories[len(m.ImportedMemories):] {
		img, err := linmem.NewImage(mem.Bytes())
		if err != nil {
			return nil, fmt.Errorf("memory %d: %w", len(m.ImportedMemories)+i, err)
		}
		snap.Memories = append(snap.Memories, img)
	}
	for i := range m.Datas {
		snap.DataDropped = append(snap.DataDropped, m.Datas[i].Mode == SegmentPassive && inst.DataSegs[i] == nil)
	}
	for i := range m.Elems {
		snap.ElemDropped = append(snap.ElemDropped, m.Elems[i].Mode == SegmentPassive && inst.ElemSegs[i] == nil)
	}
	return snap, nil
}

// check reports whether snap can restore an instance of m.
func (snap *Snapshot) check(m *wasm.Module) error {
	if len(snap.Memories) != len(m.Memories) || len(snap.Globals) != len(m.Globals) ||
		len(snap.DataDropped) != len(m.Datas) || len(snap.ElemDropped) != len(m.Elems) {
		return errors.New("snapshot is of another module")
	}
	return CheckSnapshottable(m)
}

// restoreGlobal gives g, the i-th global inst defines, its snapshot value.
func (snap *Snapshot) restoreGlobal(inst *Instance, i int, g *Global) error {
	v := snap.Globals[i]
	if !g.Type.Mutable {
		return nil
	}
	if !g.Type.ValType.IsRef() || v.Val == 0 {
		g.Val, g.Hi, g.Ref = v.Val, v.Hi, nil
		return nil
	}
	if v.Val > uint64(len(inst.Funcs)) {
		return fmt.Errorf("snapshot of global %d: unknown function %d", i, v.Val-1)
	}
	g.SetRef(FuncRef(inst.Funcs[v.Val-1]))
	return nil
}
