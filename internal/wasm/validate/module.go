package validate

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// Module validates m against the WebAssembly 2.0 spec and against p (nil
// p = spec only, no limits). It returns nil, a *Error for a broken
// validation rule, a *PolicyError for a broken policy, or a
// *wasm.FormatError for a malformation that only shows while walking
// instructions.
//
// See https://www.w3.org/TR/wasm-core-2/#valid-module for the module rules.
func Module(m *wasm.Module, p *Policy) error {
	return validateModule(m, p, true)
}

// Declarations validates m as Module does but for its function bodies.
// It is for a module whose bodies this build validated under the same
// policy before, as a compilation cache that holds the module's code
// vouches: the bodies are most of a module, and of its validation time.
func Declarations(m *wasm.Module, p *Policy) error {
	return validateModule(m, p, false)
}

func validateModule(m *wasm.Module, p *Policy, bodies bool) error {
	if p == nil {
		p = &Policy{}
	}
	v := &validator{m: m, p: p, skipBodies: !bodies}
	err := v.module()
	var verr *Error
	if errors.As(err, &verr) {
		// A spec decoder reads the whole module before it validates
		// anything, so a malformed body anywhere wins over an invalid one.
		if ferr := v.firstMalformation(); ferr != nil {
			return ferr
		}
	}
	return err
}

// validator holds the state of validating one module. The operand and
// control stacks live here and are reused by every function body, so a
// module is validated with a handful of allocations whatever its size.
type validator struct {
	m *wasm.Module
	p *Policy
	// skipBodies leaves the function bodies out (Declarations).
	skipBodies bool

	// declared marks the functions that ref.func may name in a body: those
	// named in exports, element segments and global initializers (C.refs).
	declared []uint64

	r  wasm.Reader
	in wasm.Instr

	// The context that errors are reported in: function fn's body when
	// fn >= 0, else the entity ctxKind[ctxIndex] (a global, a segment).
	fn       int64
	ctxKind  string
	ctxIndex uint32

	// Per-function state, reused.
	vals    []wasm.ValueType
	ctrls   []ctrlFrame
	scratch []wasm.ValueType
	results []wasm.ValueType
	// locals holds the types of all locals when there are at most
	// denseLocals of them; otherwise only the parameters, and the declared
	// locals are looked up in groupEnds/groupTypes.
	locals     []wasm.ValueType
	sparse     bool
	numLocals  uint64
	groupEnds  []uint64
	groupTypes []wasm.ValueType
	kinds      []wasm.Opcode // control structure, for firstMalformation
}

// loc describes where the validator is: the current context and, when
// inInstr, the instruction just read.
func (v *validator) loc(inInstr bool) Location {
	l := Location{Func: v.fn}
	if v.fn >= 0 {
		l.Where = funcWhere(v.m, uint32(v.fn))
	} else {
		l.Where = fmt.Sprintf("%s[%d]", v.ctxKind, v.ctxIndex)
	}
	if inInstr {
		l.Offset = v.r.Base + uint64(v.in.Pos)
		l.Op, l.HasOp = v.in.Op, true
	}
	return l
}

// errorf reports a broken rule at the current instruction.
func (v *validator) errorf(format string, args ...any) error {
	return &Error{Location: v.loc(true), Rule: fmt.Sprintf(format, args...)}
}

// at sets the context to a module entity (not a function body).
func (v *validator) at(kind string, index uint32) {
	v.fn, v.ctxKind, v.ctxIndex = -1, kind, index
}

// entityErr reports a broken rule of a module entity, outside any code.
func entityErr(where string, offset uint64, format string, args ...any) error {
	return &Error{Location: Location{Where: where, Func: -1, Offset: offset}, Rule: fmt.Sprintf(format, args...)}
}

func (v *validator) module() error {
	m := v.m
	if err := v.policyCounts(); err != nil {
		return err
	}
	for i := range m.Types {
		if err := v.funcType(i); err != nil {
			return err
		}
	}
	for i := range m.Imports {
		if err := v.importEntry(i); err != nil {
			return err
		}
	}
	for i, ti := range m.Funcs {
		if ti >= uint32(len(m.Types)) {
			return entityErr(fmt.Sprintf("func[%d]", m.NumImportedFuncs()+uint32(i)), 0, "unknown type %d", ti)
		}
	}
	numImportedTables := uint32(len(m.ImportedTables))
	for i := range m.Tables {
		if err := v.tableType(fmt.Sprintf("table[%d]", numImportedTables+uint32(i)), 0, m.Tables[i]); err != nil {
			return err
		}
	}
	if m.NumTables() > 1 && !v.p.Enabled(ReferenceTypes) {
		return v.p.featureError(Location{Where: "module", Func: -1}, ReferenceTypes, "more than one table")
	}
	numImportedMems := uint32(len(m.ImportedMemories))
	for i := range m.Memories {
		if err := v.memoryType(fmt.Sprintf("memory[%d]", numImportedMems+uint32(i)), 0, m.Memories[i]); err != nil {
			return err
		}
	}
	if m.NumMemories() > 1 {
		return entityErr("module", 0, "multiple memories: %d memories, at most 1 is allowed", m.NumMemories())
	}
	v.declared = make([]uint64, (uint64(m.NumFuncs())+63)/64)
	for i := range m.Globals {
		if err := v.global(i); err != nil {
			return err
		}
	}
	if err := v.exports(); err != nil {
		return err
	}
	if err := v.start(); err != nil {
		return err
	}
	for i := range m.Elems {
		if err := v.elem(i); err != nil {
			return err
		}
	}
	if m.HasDataCount {
		if !v.p.Enabled(BulkMemory) {
			return v.p.featureError(Location{Where: "module", Func: -1}, BulkMemory, "the data count section")
		}
		if m.DataCount != uint32(len(m.Datas)) {
			return &wasm.FormatError{Offset: sectionOffset(m, wasm.SectionDataCount),
				Msg: fmt.Sprintf("data count and data section have inconsistent lengths: %d and %d", m.DataCount, len(m.Datas))}
		}
	}
	for i := range m.Datas {
		if err := v.data(i); err != nil {
			return err
		}
	}
	if len(m.Codes) != len(m.Funcs) {
		return &wasm.FormatError{Offset: sectionOffset(m, wasm.SectionCode),
			Msg: fmt.Sprintf("function and code section have inconsistent lengths: %d and %d", len(m.Funcs), len(m.Codes))}
	}
	if v.skipBodies {
		return nil
	}
	return v.functions()
}

// parallelChunk is how many bodies a goroutine of functions takes at a
// time, and parallelMin how many a module needs before it gets more than
// one goroutine: below that, starting them costs more than they save.
const (
	parallelChunk = 64
	parallelMin   = 4 * parallelChunk
)

// functions validates the bodies, on one goroutine per CPU for large
// modules (bodies are independent: each depends only on the module's
// declarations), and returns the error of the first invalid body in
// order, which is what validating them one after the other returns.
func (v *validator) functions() error {
	m := v.m
	n := len(m.Codes)
	body := func(v *validator, i int) error {
		return v.function(m.NumImportedFuncs()+uint32(i), &m.Types[m.Funcs[i]], &m.Codes[i])
	}
	workers := min(runtime.GOMAXPROCS(0), n/parallelMin)
	if workers <= 1 {
		for i := range n {
			if err := body(v, i); err != nil {
				return err
			}
		}
		return nil
	}
	var (
		next     atomic.Int64
		mu       sync.Mutex
		firstBad = n // the lowest index of an invalid body found so far
		firstErr error
	)
	work := func(w *validator) {
		for {
			start := int(next.Add(parallelChunk)) - parallelChunk
			mu.Lock()
			limit := firstBad
			mu.Unlock()
			// Bodies past an invalid one cannot change the result.
			if start >= min(n, limit) {
				return
			}
			for i := start; i < min(start+parallelChunk, n, limit); i++ {
				if err := body(w, i); err != nil {
					mu.Lock()
					if i < firstBad {
						firstBad, firstErr = i, err
					}
					mu.Unlock()
					break
				}
			}
		}
	}
	var wg sync.WaitGroup
	for range workers - 1 {
		wg.Go(func() { work(&validator{m: m, p: v.p, declared: v.declared}) })
	}
	work(v)
	wg.Wait()
	return firstErr
}

// policyCounts checks the policy limits that need no walking, first, so a
// hostile module is refused before any work in proportion to its content.
func (v *validator) policyCounts() error {
	m, p := v.m, v.p
	mod := Location{Where: "module", Func: -1}
	if err := p.CheckModuleSize(m.Size); err != nil {
		return err
	}
	checks := []struct {
		l    Limit
		n    uint64
		what string
		key  string
	}{
		{p.MaxImports, uint64(len(m.Imports)), "number of imports", "max-imports"},
		{p.MaxFunctions, uint64(m.NumFuncs()), "number of functions", "max-functions"},
		{p.MaxTables, uint64(m.NumTables()), "number of tables", "max-tables"},
		{p.MaxMemories, uint64(m.NumMemories()), "number of memories", "max-memories"},
		{p.MaxGlobals, uint64(m.NumGlobals()), "number of globals", "max-globals"},
	}
	for _, c := range checks {
		if err := p.limit(mod, c.l, c.n, c.what, "", c.key); err != nil {
			return err
		}
	}
	for i := range m.Imports {
		if err := p.checkImport(&m.Imports[i]); err != nil {
			return err
		}
	}
	return nil
}

// valueType checks that t is a value type of 2.0 that the policy allows;
// what names the use for a PolicyError.
func (v *validator) valueType(loc func() Location, t wasm.ValueType) error {
	switch {
	case !t.Valid():
		return &Error{Location: loc(), Rule: fmt.Sprintf("malformed value type 0x%02x", byte(t))}
	case t == wasm.ValueTypeV128 && !v.p.Enabled(SIMD):
		return v.p.featureError(loc(), SIMD, "v128 value type")
	case t.IsRef() && !v.p.Enabled(ReferenceTypes):
		return v.p.featureError(loc(), ReferenceTypes, t.String()+" value type")
	}
	return nil
}

// funcType validates type i. Value types are valid by construction when
// decoded; the checks here are for hand-built modules and features.
// See https://www.w3.org/TR/wasm-core-2/#valid-functype
func (v *validator) funcType(i int) error {
	ft := &v.m.Types[i]
	loc := func() Location { return Location{Where: fmt.Sprintf("type[%d]", i), Func: -1} }
	for _, t := range ft.Params {
		if err := v.valueType(loc, t); err != nil {
			return err
		}
	}
	for _, t := range ft.Results {
		if err := v.valueType(loc, t); err != nil {
			return err
		}
	}
	if len(ft.Results) > 1 && !v.p.Enabled(MultiValue) {
		return v.p.featureError(loc(), MultiValue, "a function type with several results")
	}
	return nil
}

// limits validates limits within bound k.
// See https://www.w3.org/TR/wasm-core-2/#valid-limits
func limitsErr(where string, offset uint64, l wasm.Limits, k uint64, tooBig string) error {
	if uint64(l.Min) > k || (l.HasMax && uint64(l.Max) > k) {
		return entityErr(where, offset, "%s", tooBig)
	}
	if l.HasMax && l.Min > l.Max {
		return entityErr(where, offset, "size minimum must not be greater than maximum: %s", l)
	}
	return nil
}

// tableType validates a table type and applies MaxTableElements.
// See https://www.w3.org/TR/wasm-core-2/#valid-tabletype
func (v *validator) tableType(where string, offset uint64, tt wasm.TableType) error {
	loc := func() Location { return Location{Where: where, Func: -1, Offset: offset} }
	if !tt.ElemType.IsRef() {
		return entityErr(where, offset, "malformed reference type 0x%02x", byte(tt.ElemType))
	}
	if tt.ElemType == wasm.ValueTypeExternref && !v.p.Enabled(ReferenceTypes) {
		return v.p.featureError(loc(), ReferenceTypes, "an externref table")
	}
	if err := limitsErr(where, offset, tt.Limits, 1<<32-1, "table size must be at most 2^32-1"); err != nil {
		return err
	}
	return v.p.limit(loc(), v.p.MaxTableElements, uint64(tt.Min), "minimum", "element", "max-table-elements")
}

// memoryType validates a memory type and applies MaxMemoryPages.
// See https://www.w3.org/TR/wasm-core-2/#valid-memtype
func (v *validator) memoryType(where string, offset uint64, mt wasm.MemoryType) error {
	if err := limitsErr(where, offset, mt.Limits, wasm.MemoryMaxPages,
		"memory size must be at most 65536 pages (4GiB): "+mt.Limits.String()); err != nil {
		return err
	}
	return v.p.limit(Location{Where: where, Func: -1, Offset: offset}, v.p.MaxMemoryPages, uint64(mt.Min), "minimum", "page", "max-memory-size")
}

// importEntry validates import i.
// See https://www.w3.org/TR/wasm-core-2/#valid-import
func (v *validator) importEntry(i int) error {
	m := v.m
	imp := &m.Imports[i]
	where := fmt.Sprintf("import[%d] %q.%q", i, imp.Module, imp.Name)
	switch imp.Kind {
	case wasm.ExternFunc:
		if imp.Func >= uint32(len(m.Types)) {
			return entityErr(where, imp.Offset, "unknown type %d", imp.Func)
		}
	case wasm.ExternTable:
		return v.tableType(where, imp.Offset, imp.Table)
	case wasm.ExternMemory:
		return v.memoryType(where, imp.Offset, imp.Memory)
	case wasm.ExternGlobal:
		loc := func() Location { return Location{Where: where, Func: -1, Offset: imp.Offset} }
		if err := v.valueType(loc, imp.Global.ValType); err != nil {
			return err
		}
		if imp.Global.Mutable && !v.p.Enabled(MutableGlobals) {
			return v.p.featureError(loc(), MutableGlobals, "importing a mutable global")
		}
	default:
		return &wasm.FormatError{Offset: imp.Offset, Msg: fmt.Sprintf("malformed import kind 0x%02x", byte(imp.Kind))}
	}
	return nil
}

// global validates the initializer of module-defined global i.
// See https://www.w3.org/TR/wasm-core-2/#valid-global
func (v *validator) global(i int) error {
	g := &v.m.Globals[i]
	idx := uint32(len(v.m.ImportedGlobals) + i)
	v.at("global", idx)
	if err := v.valueType(func() Location { return v.loc(false) }, g.Type.ValType); err != nil {
		return err
	}
	return v.constExpr(&g.Init, g.Type.ValType)
}

// exports checks that export names are unique and name existing entities.
// See https://www.w3.org/TR/wasm-core-2/#valid-export
func (v *validator) exports() error {
	m := v.m
	seen := make(map[string]struct{}, len(m.Exports))
	for i := range m.Exports {
		e := &m.Exports[i]
		where := fmt.Sprintf("export[%d] %q", i, e.Name)
		if _, dup := seen[e.Name]; dup {
			return entityErr(where, 0, "duplicate export name %q", e.Name)
		}
		seen[e.Name] = struct{}{}
		var n uint32
		switch e.Kind {
		case wasm.ExternFunc:
			n = m.NumFuncs()
			if e.Index < n {
				v.declare(e.Index)
			}
		case wasm.ExternTable:
			n = m.NumTables()
		case wasm.ExternMemory:
			n = m.NumMemories()
		case wasm.ExternGlobal:
			n = m.NumGlobals()
			if gt, ok := m.GlobalType(e.Index); ok && gt.Mutable && !v.p.Enabled(MutableGlobals) {
				return v.p.featureError(Location{Where: where, Func: -1}, MutableGlobals, "exporting a mutable global")
			}
		default:
			return &wasm.FormatError{Msg: fmt.Sprintf("malformed export kind 0x%02x", byte(e.Kind))}
		}
		if e.Index >= n {
			return entityErr(where, 0, "unknown %s %d", kindNoun(e.Kind), e.Index)
		}
	}
	return nil
}

// start checks the start function: it must exist and have type [] -> [].
// See https://www.w3.org/TR/wasm-core-2/#valid-start
func (v *validator) start() error {
	m := v.m
	if !m.HasStart {
		return nil
	}
	ft := m.FuncType(m.Start)
	if ft == nil {
		return entityErr("start", 0, "unknown function %d", m.Start)
	}
	if len(ft.Params) != 0 || len(ft.Results) != 0 {
		return entityErr("start", 0, "start function must have type () -> (), func[%d] has %s", m.Start, ft)
	}
	return nil
}

// elem validates element segment i.
// See https://www.w3.org/TR/wasm-core-2/#valid-elem
func (v *validator) elem(i int) error {
	m, p := v.m, v.p
	e := &m.Elems[i]
	v.at("elem", uint32(i))
	loc := func() Location { return v.loc(false) }
	if !e.Type.IsRef() {
		return &Error{Location: loc(), Rule: fmt.Sprintf("malformed reference type 0x%02x", byte(e.Type))}
	}
	if err := v.valueType(loc, e.Type); err != nil && e.Type != wasm.ValueTypeFuncref {
		return err
	}
	if err := p.limit(loc(), p.MaxElemSegmentSize, uint64(e.Len()), "length", "element", "max-elem-segment-size"); err != nil {
		return err
	}
	switch e.Mode {
	case wasm.SegmentActive:
		tt, ok := m.TableType(e.Table)
		if !ok {
			return &Error{Location: loc(), Rule: fmt.Sprintf("unknown table %d", e.Table)}
		}
		if e.Table != 0 && !p.Enabled(ReferenceTypes) {
			return p.featureError(loc(), ReferenceTypes, "an element segment for a table other than 0")
		}
		if tt.ElemType != e.Type {
			return &Error{Location: loc(), Rule: fmt.Sprintf("type mismatch: segment of %s cannot initialize table %d of %s", e.Type, e.Table, tt.ElemType)}
		}
		if err := v.constExpr(&e.Offset, wasm.ValueTypeI32); err != nil {
			return err
		}
	case wasm.SegmentPassive:
		if !p.Enabled(BulkMemory) {
			return p.featureError(loc(), BulkMemory, "a passive element segment")
		}
	case wasm.SegmentDeclarative:
		if !p.Enabled(ReferenceTypes) {
			return p.featureError(loc(), ReferenceTypes, "a declarative element segment")
		}
	}
	if e.Exprs != nil {
		for j := range e.Exprs {
			if err := v.constExpr(&e.Exprs[j], e.Type); err != nil {
				return err
			}
		}
		return nil
	}
	if e.Type != wasm.ValueTypeFuncref && len(e.FuncIndices) > 0 {
		return &Error{Location: loc(), Rule: "type mismatch: function indices in a segment of " + e.Type.String()}
	}
	n := m.NumFuncs()
	for _, f := range e.FuncIndices {
		if f >= n {
			return &Error{Location: loc(), Rule: fmt.Sprintf("unknown function %d", f)}
		}
		v.declare(f)
	}
	return nil
}

// data validates data segment i.
// See https://www.w3.org/TR/wasm-core-2/#valid-data
func (v *validator) data(i int) error {
	m, p := v.m, v.p
	d := &m.Datas[i]
	v.at("data", uint32(i))
	// Formatted only for an error: a module has thousands of segments.
	loc := func() Location { return v.loc(false) }
	if !p.MaxDataSegmentSize.Allows(uint64(len(d.Init))) {
		return p.limit(loc(), p.MaxDataSegmentSize, uint64(len(d.Init)), "size", "byte", "max-data-segment-size")
	}
	switch d.Mode {
	case wasm.SegmentActive:
		if d.Memory >= m.NumMemories() {
			return &Error{Location: loc(), Rule: fmt.Sprintf("unknown memory %d", d.Memory)}
		}
		return v.constExpr(&d.Offset, wasm.ValueTypeI32)
	case wasm.SegmentPassive:
		if !p.Enabled(BulkMemory) {
			return p.featureError(loc(), BulkMemory, "a passive data segment")
		}
		return nil
	}
	return &Error{Location: loc(), Rule: "malformed data segment mode"}
}

// sectionOffset is the offset of section id in the binary m was decoded
// from, or 0 for a module built by hand. Decoded modules never reach the
// errors that use it (the decoder checks the same), hand-built ones may.
func sectionOffset(m *wasm.Module, id wasm.SectionID) uint64 {
	for _, s := range m.Sections {
		if s.ID == id {
			return s.Offset
		}
	}
	return 0
}

// kindNoun names an extern kind as the spec's error messages do.
func kindNoun(k wasm.ExternKind) string {
	if k == wasm.ExternFunc {
		return "function"
	}
	return k.String()
}

func (v *validator) declare(f uint32) { v.declared[f/64] |= 1 << (f % 64) }

func (v *validator) isDeclared(f uint32) bool { return v.declared[f/64]&(1<<(f%64)) != 0 }
