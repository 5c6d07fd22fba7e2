package binary

import (
	"math"

	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// The smallest encoding of one entry of each vector, used to bound the
// room allocated for a vector before its entries are read (see vecCap).
const (
	minFuncTypeSize = 3 // 0x60, no params, no results
	minImportSize   = 4 // two empty names, kind, index
	minTableSize    = 3 // reftype, flag, min
	minMemorySize   = 2 // flag, min
	minGlobalSize   = 3 // valtype, mutability, end
	minExportSize   = 3 // empty name, kind, index
	minElemSize     = 3 // e.g. flags 1, elemkind, empty vector
	minCodeSize     = 3 // size, no locals, end
	minDataSize     = 2 // flags 1, empty bytes
)

// typeSection decodes the type section.
// See https://www.w3.org/TR/wasm-core-2/#binary-typesec
func (d *decoder) typeSection() error {
	n, err := d.length()
	if err != nil {
		return err
	}
	types := make([]wasm.FuncType, 0, d.vecCap(n, minFuncTypeSize))
	// All parameter and result types share one array: each takes one byte
	// of the section, so the section's size is enough room.
	vals := make([]wasm.ValueType, 0, max(0, d.end-d.pos))
	for i := range n {
		if err := d.overrun(); err != nil {
			return err
		}
		at := d.pos
		form, err := d.byte()
		if err != nil {
			return withContext(err, "type %d", i)
		}
		if form != 0x60 {
			return withContext(d.typeByteError(at, form, "malformed function type"), "type %d", i)
		}
		p := len(vals)
		if vals, err = d.valTypes(vals); err != nil {
			return withContext(err, "type %d: parameters", i)
		}
		r := len(vals)
		if vals, err = d.valTypes(vals); err != nil {
			return withContext(err, "type %d: results", i)
		}
		types = append(types, wasm.FuncType{Params: vals[p:r:r], Results: vals[r:len(vals):len(vals)]})
	}
	d.m.Types = types
	return nil
}

// valTypes reads a vector of value types and appends them to dst.
func (d *decoder) valTypes(dst []wasm.ValueType) ([]wasm.ValueType, error) {
	n, err := d.length()
	if err != nil {
		return dst, err
	}
	for range n {
		if err := d.overrun(); err != nil {
			return dst, err
		}
		t, err := d.valType()
		if err != nil {
			return dst, err
		}
		dst = append(dst, t)
	}
	return dst, nil
}

// importSection decodes the import section and fills the per-kind import
// views of the module.
// See https://www.w3.org/TR/wasm-core-2/#binary-importsec
func (d *decoder) importSection() error {
	n, err := d.length()
	if err != nil {
		return err
	}
	imports := make([]wasm.Import, 0, d.vecCap(n, minImportSize))
	for i := range n {
		if err := d.overrun(); err != nil {
			return err
		}
		imp, err := d.importEntry()
		if err != nil {
			return withContext(err, "import %d", i)
		}
		imports = append(imports, imp)
	}
	d.m.Imports = imports
	d.m.IndexImports()
	return nil
}

func (d *decoder) importEntry() (imp wasm.Import, err error) {
	imp.Offset = uint64(d.pos)
	if imp.Module, err = d.name(); err != nil {
		return imp, withContext(err, "module name")
	}
	if imp.Name, err = d.name(); err != nil {
		return imp, withContext(err, "name")
	}
	at := d.pos
	kind, err := d.byte()
	if err != nil {
		return imp, err
	}
	imp.Kind = wasm.ExternKind(kind)
	switch imp.Kind {
	case wasm.ExternFunc:
		imp.Func, err = d.u32()
	case wasm.ExternTable:
		imp.Table, err = d.tableType()
	case wasm.ExternMemory:
		imp.Memory.Limits, err = d.limits()
	case wasm.ExternGlobal:
		imp.Global, err = d.globalType()
	default:
		err = d.errorf(at, "malformed import kind 0x%02x", kind)
	}
	if err != nil {
		return imp, withContext(err, "%s %q.%q", imp.Kind, imp.Module, imp.Name)
	}
	return imp, nil
}

// functionSection decodes the function section: the type index of each
// module-defined function.
// See https://www.w3.org/TR/wasm-core-2/#binary-funcsec
func (d *decoder) functionSection() error {
	n, err := d.length()
	if err != nil {
		return err
	}
	funcs := make([]uint32, 0, d.vecCap(n, 1))
	for i := range n {
		if err := d.overrun(); err != nil {
			return err
		}
		t, err := d.u32()
		if err != nil {
			return withContext(err, "function %d", len(d.m.ImportedFuncs)+i)
		}
		funcs = append(funcs, t)
	}
	d.m.Funcs = funcs
	return nil
}

// tableSection decodes the table section.
// See https://www.w3.org/TR/wasm-core-2/#binary-tablesec
func (d *decoder) tableSection() error {
	n, err := d.length()
	if err != nil {
		return err
	}
	tables := make([]wasm.TableType, 0, d.vecCap(n, minTableSize))
	for i := range n {
		if err := d.overrun(); err != nil {
			return err
		}
		t, err := d.tableType()
		if err != nil {
			return withContext(err, "table %d", len(d.m.ImportedTables)+i)
		}
		tables = append(tables, t)
	}
	d.m.Tables = tables
	return nil
}

// memorySection decodes the memory section.
// See https://www.w3.org/TR/wasm-core-2/#binary-memsec
func (d *decoder) memorySection() error {
	n, err := d.length()
	if err != nil {
		return err
	}
	mems := make([]wasm.MemoryType, 0, d.vecCap(n, minMemorySize))
	for i := range n {
		if err := d.overrun(); err != nil {
			return err
		}
		l, err := d.limits()
		if err != nil {
			return withContext(err, "memory %d", len(d.m.ImportedMemories)+i)
		}
		mems = append(mems, wasm.MemoryType{Limits: l})
	}
	d.m.Memories = mems
	return nil
}

// globalSection decodes the global section.
// See https://www.w3.org/TR/wasm-core-2/#binary-globalsec
func (d *decoder) globalSection() error {
	n, err := d.length()
	if err != nil {
		return err
	}
	globals := make([]wasm.Global, 0, d.vecCap(n, minGlobalSize))
	for i := range n {
		if err := d.overrun(); err != nil {
			return err
		}
		var g wasm.Global
		if g.Type, err = d.globalType(); err == nil {
			g.Init, err = d.constExpr()
		}
		if err != nil {
			return withContext(err, "global %d", len(d.m.ImportedGlobals)+i)
		}
		globals = append(globals, g)
	}
	d.m.Globals = globals
	return nil
}

// exportSection decodes the export section.
// See https://www.w3.org/TR/wasm-core-2/#binary-exportsec
func (d *decoder) exportSection() error {
	n, err := d.length()
	if err != nil {
		return err
	}
	exports := make([]wasm.Export, 0, d.vecCap(n, minExportSize))
	for i := range n {
		if err := d.overrun(); err != nil {
			return err
		}
		var e wasm.Export
		if e.Name, err = d.name(); err != nil {
			return withContext(err, "export %d: name", i)
		}
		at := d.pos
		kind, err := d.byte()
		if err != nil {
			return withContext(err, "export %d %q", i, e.Name)
		}
		e.Kind = wasm.ExternKind(kind)
		if e.Kind > wasm.ExternGlobal {
			return withContext(d.errorf(at, "malformed export kind 0x%02x", kind), "export %d %q", i, e.Name)
		}
		if e.Index, err = d.u32(); err != nil {
			return withContext(err, "export %d %q", i, e.Name)
		}
		exports = append(exports, e)
	}
	d.m.Exports = exports
	return nil
}

// startSection decodes the start section.
// See https://www.w3.org/TR/wasm-core-2/#binary-startsec
func (d *decoder) startSection() (err error) {
	d.m.Start, err = d.u32()
	d.m.HasStart = err == nil
	return err
}

// elementSection decodes the element section.
// See https://www.w3.org/TR/wasm-core-2/#binary-elemsec
func (d *decoder) elementSection() error {
	n, err := d.length()
	if err != nil {
		return err
	}
	elems := make([]wasm.ElemSegment, 0, d.vecCap(n, minElemSize))
	for i := range n {
		if err := d.overrun(); err != nil {
			return err
		}
		e, err := d.elemSegment()
		if err != nil {
			return withContext(err, "element segment %d", i)
		}
		elems = append(elems, e)
	}
	d.m.Elems = elems
	return nil
}

// elemSegment decodes one element segment in any of the eight formats. The
// format's bit 0 marks a passive or declarative segment, bit 1 an explicit
// table index (active) or a declarative segment (otherwise) together with
// an explicit element type, and bit 2 elements given as expressions
// rather than function indices.
func (d *decoder) elemSegment() (e wasm.ElemSegment, err error) {
	at := d.pos
	format, err := d.u32()
	if err != nil {
		return e, err
	}
	if format > 7 {
		return e, d.errorf(at, "malformed elements segment kind %d", format)
	}
	exprs := format&4 != 0
	e.Type = wasm.ValueTypeFuncref
	switch {
	case format&1 == 0:
		e.Mode = wasm.SegmentActive
		if format&2 != 0 {
			if e.Table, err = d.u32(); err != nil {
				return e, withContext(err, "table index")
			}
		}
		if e.Offset, err = d.constExpr(); err != nil {
			return e, withContext(err, "offset")
		}
	case format&2 == 0:
		e.Mode = wasm.SegmentPassive
	default:
		e.Mode = wasm.SegmentDeclarative
	}
	if format&3 != 0 { // formats 0 and 4 imply funcref
		if exprs {
			e.Type, err = d.refType()
		} else {
			err = d.elemKind()
		}
		if err != nil {
			return e, err
		}
	}
	n, err := d.length()
	if err != nil {
		return e, err
	}
	if exprs {
		e.Exprs = make([]wasm.ConstExpr, 0, d.vecCap(n, 1))
		for i := range n {
			if err := d.overrun(); err != nil {
				return e, err
			}
			x, err := d.constExpr()
			if err != nil {
				return e, withContext(err, "element %d", i)
			}
			e.Exprs = append(e.Exprs, x)
		}
		return e, nil
	}
	e.FuncIndices = make([]uint32, 0, d.vecCap(n, 1))
	for i := range n {
		if err := d.overrun(); err != nil {
			return e, err
		}
		f, err := d.u32()
		if err != nil {
			return e, withContext(err, "element %d", i)
		}
		e.FuncIndices = append(e.FuncIndices, f)
	}
	return e, nil
}

// elemKind reads the element kind of formats 1–3, which Wasm 2.0 allows
// to be 0x00 (funcref) only.
func (d *decoder) elemKind() error {
	at := d.pos
	k, err := d.byte()
	if err != nil {
		return err
	}
	if k != 0x00 {
		return d.errorf(at, "malformed element kind 0x%02x", k)
	}
	return nil
}

// dataCountSection decodes the data count section.
// See https://www.w3.org/TR/wasm-core-2/#binary-datacountsec
func (d *decoder) dataCountSection() (err error) {
	d.m.DataCount, err = d.u32()
	d.m.HasDataCount = err == nil
	return err
}

// codeSection decodes the code section, whose declared end is end: each
// entry's local declarations, kept compressed, and its body's bytes, which
// the validator walks (see the package documentation).
// See https://www.w3.org/TR/wasm-core-2/#binary-codesec
func (d *decoder) codeSection(end int) error {
	n, err := d.length()
	if err != nil {
		return err
	}
	codes := make([]wasm.Code, 0, d.vecCap(n, minCodeSize))
	// The local groups of all bodies share one array; each Code's Locals
	// is sliced from it once its final address is known.
	var groups []wasm.LocalGroup
	for i := range n {
		if err := d.overrun(); err != nil {
			return err
		}
		c, err := d.code(&groups)
		if err != nil {
			return withContext(err, "function %d", len(d.m.ImportedFuncs)+i)
		}
		codes = append(codes, c)
	}
	next := 0
	for i := range codes {
		k := len(codes[i].Locals)
		codes[i].Locals = groups[next : next+k : next+k]
		next += k
	}
	d.m.Codes = codes
	return nil
}

// code decodes an entry of the code section, appending its local groups
// to *groups. The returned Code's Locals has the right length but
// may point at an array that *groups has since outgrown.
func (d *decoder) code(groups *[]wasm.LocalGroup) (wasm.Code, error) {
	size, err := d.length()
	if err != nil {
		return wasm.Code{}, err
	}
	end := d.pos + size
	localsAt := d.pos
	ng, err := d.length()
	if err != nil {
		return wasm.Code{}, withContext(err, "locals")
	}
	first := len(*groups)
	var total uint64
	for range ng {
		if err := d.overrun(); err != nil {
			return wasm.Code{}, err
		}
		count, err := d.u32()
		if err != nil {
			return wasm.Code{}, withContext(err, "locals")
		}
		t, err := d.valType()
		if err != nil {
			return wasm.Code{}, withContext(err, "locals")
		}
		total += uint64(count)
		*groups = append(*groups, wasm.LocalGroup{Count: count, Type: t})
	}
	if total > math.MaxUint32 {
		return wasm.Code{}, d.errorf(localsAt, "too many locals: %d declared, at most %d allowed", total, uint32(math.MaxUint32))
	}
	if d.pos >= end || end > len(d.data) || d.data[end-1] != byte(wasm.OpEnd) {
		return wasm.Code{}, d.badBody(d.pos, end)
	}
	body := d.data[d.pos:end:end]
	c := wasm.Code{
		Locals:     (*groups)[first:len(*groups)],
		NumLocals:  total,
		Body:       body,
		BodyOffset: uint64(d.pos),
	}
	d.pos = end
	return c, nil
}

// badBody is the error for a body, from module offset start to end, that
// does not end with the end opcode within its declared size. A decoder
// that does not bound a body by its size, like the reference interpreter,
// would read on past end; to report what it reports (the spec tests expect
// that), and only on this error path, the body is walked that way: the
// error is the malformation met on the way, or a size mismatch when the
// closing end is found elsewhere than at end-1.
func (d *decoder) badBody(start, end int) error {
	after, err := d.skipExpr(start)
	if err != nil {
		return withContext(err, "body")
	}
	return d.errorf(after-1, "%s: the body's closing end opcode is at offset 0x%x, but its declared size ends at 0x%x",
		msgSizeMismatch, after-1, end)
}

// dataSection decodes the data section.
// See https://www.w3.org/TR/wasm-core-2/#binary-datasec
func (d *decoder) dataSection() error {
	n, err := d.length()
	if err != nil {
		return err
	}
	datas := make([]wasm.DataSegment, 0, d.vecCap(n, minDataSize))
	for i := range n {
		if err := d.overrun(); err != nil {
			return err
		}
		s, err := d.dataSegment()
		if err != nil {
			return withContext(err, "data segment %d", i)
		}
		datas = append(datas, s)
	}
	d.m.Datas = datas
	return nil
}

// dataSegment decodes one data segment in any of the three formats:
// active in memory 0, passive, active with an explicit memory index.
func (d *decoder) dataSegment() (s wasm.DataSegment, err error) {
	at := d.pos
	format, err := d.u32()
	if err != nil {
		return s, err
	}
	switch format {
	case 0, 2:
		s.Mode = wasm.SegmentActive
		if format == 2 {
			if s.Memory, err = d.u32(); err != nil {
				return s, withContext(err, "memory index")
			}
		}
		if s.Offset, err = d.constExpr(); err != nil {
			return s, withContext(err, "offset")
		}
	case 1:
		s.Mode = wasm.SegmentPassive
	default:
		return s, d.errorf(at, "malformed data segment kind %d", format)
	}
	n, err := d.length()
	if err != nil {
		return s, err
	}
	s.Init, err = d.bytes(n)
	return s, err
}

// customSection decodes a custom section whose declared end is end: its
// name, and its contents kept verbatim. The first section named "name" is
// also decoded into Module.Names; since custom sections are not validated,
// a malformed name section is dropped, not an error.
// See https://www.w3.org/TR/wasm-core-2/#binary-customsec
func (d *decoder) customSection(info *wasm.SectionInfo, end int) error {
	name, err := d.name()
	if err != nil {
		return withContext(err, "name")
	}
	if d.pos > end {
		return d.errorf(end, "%s: the custom section's name runs past its size", msgUnexpectedEnd)
	}
	if end > len(d.data) {
		return d.unexpectedEnd()
	}
	info.Name = name
	data := d.data[d.pos:end:end]
	d.m.Customs = append(d.m.Customs, wasm.CustomSection{Name: name, Data: data, Offset: uint64(d.pos)})
	if name == "name" && !d.sawNameSection {
		d.sawNameSection = true
		d.m.Names = decodeNameSection(data)
	}
	d.pos = end
	return nil
}
