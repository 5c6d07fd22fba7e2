package binary

import (
	"slices"

	"github.com/wasmvisor/wasmvisor/internal/leb128"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// Encode encodes a module back to the binary format (used by tests and fuzzing to build modules).
//
// Encode writes what the module says, without validating it, in the
// smallest encoding (minimal LEB128, the shortest element and data segment
// format that expresses a segment). Decoding the result gives back the
// module, except for byte offsets and sizes. Specifically:
//
//   - Non-custom sections are written in the order the binary format
//     requires, each once. A section is written when the module has
//     entries for it, when HasStart/HasDataCount says so, or when
//     m.Sections lists it (so an empty section survives a round trip).
//   - Custom sections keep their place among the others as m.Sections
//     records it; custom sections it does not list go at the end.
//   - When m.Names is set and no custom section is named "name", a name
//     section is encoded from m.Names at the end.
//   - Constant expressions and bodies are written verbatim, so they must
//     include their final end. Element segments given as function indices
//     are written with element kind funcref, the only one 2.0 has; a
//     zero element type means funcref.
//
// See https://www.w3.org/TR/wasm-core-2/#binary-format%E2%91%A0
func Encode(m *wasm.Module) []byte {
	e := encoder{m: m}
	out := make([]byte, 0, 64+m.Size)
	out = append(out, magic...)
	out = append(out, version...)
	for _, s := range e.layout() {
		e.buf = e.buf[:0]
		id := s.id
		if s.id == wasm.SectionCustom {
			c := &m.Customs[s.custom]
			e.buf = appendName(e.buf, c.Name)
			e.buf = append(e.buf, c.Data...)
		} else if s.id == nameSectionID {
			id = wasm.SectionCustom
			e.buf = appendName(e.buf, "name")
			e.buf = appendNameSection(e.buf, m.Names)
		} else {
			e.section(s.id)
		}
		out = append(out, byte(id))
		out = leb128.AppendUint32(out, uint32(len(e.buf)))
		out = append(out, e.buf...)
	}
	return out
}

// nameSectionID marks, in a layout, a name section encoded from
// Module.Names; it is not a real section id.
const nameSectionID wasm.SectionID = 0xff

type encoder struct {
	m   *wasm.Module
	buf []byte // the payload of the section being encoded
	tmp []byte // scratch for a code entry's local declarations
}

// laidOut is one section to write: a non-custom section by id, or
// m.Customs[custom] when id is SectionCustom.
type laidOut struct {
	id     wasm.SectionID
	custom int
}

// canonicalOrder lists the non-custom sections in the order the binary
// format requires.
var canonicalOrder = [...]wasm.SectionID{
	wasm.SectionType, wasm.SectionImport, wasm.SectionFunction, wasm.SectionTable,
	wasm.SectionMemory, wasm.SectionGlobal, wasm.SectionExport, wasm.SectionStart,
	wasm.SectionElement, wasm.SectionDataCount, wasm.SectionCode, wasm.SectionData,
}

// layout decides which sections to write, in which order.
func (e *encoder) layout() []laidOut {
	m := e.m
	var present [wasm.SectionDataCount + 1]bool
	present[wasm.SectionType] = len(m.Types) > 0
	present[wasm.SectionImport] = len(m.Imports) > 0
	present[wasm.SectionFunction] = len(m.Funcs) > 0
	present[wasm.SectionTable] = len(m.Tables) > 0
	present[wasm.SectionMemory] = len(m.Memories) > 0
	present[wasm.SectionGlobal] = len(m.Globals) > 0
	present[wasm.SectionExport] = len(m.Exports) > 0
	present[wasm.SectionStart] = m.HasStart
	present[wasm.SectionElement] = len(m.Elems) > 0
	present[wasm.SectionDataCount] = m.HasDataCount
	present[wasm.SectionCode] = len(m.Codes) > 0
	present[wasm.SectionData] = len(m.Datas) > 0
	for _, s := range m.Sections {
		// A listed data count section needs its count, which only
		// HasDataCount says is there.
		if s.ID != wasm.SectionCustom && s.ID != wasm.SectionDataCount && int(s.ID) < len(present) {
			present[s.ID] = true
		}
	}

	var out []laidOut
	next := 0 // index in canonicalOrder of the next section to consider
	emitThrough := func(id wasm.SectionID) {
		for next < len(canonicalOrder) {
			c := canonicalOrder[next]
			if present[c] {
				out = append(out, laidOut{id: c})
			}
			next++
			if c == id {
				return
			}
		}
	}
	customs := 0
	for _, s := range m.Sections {
		switch {
		case s.ID == wasm.SectionCustom:
			if customs < len(m.Customs) {
				out = append(out, laidOut{id: wasm.SectionCustom, custom: customs})
				customs++
			}
		case int(s.ID) < len(present):
			emitThrough(s.ID)
		}
	}
	emitThrough(wasm.SectionData)
	for ; customs < len(m.Customs); customs++ {
		out = append(out, laidOut{id: wasm.SectionCustom, custom: customs})
	}
	if m.Names != nil && !slices.ContainsFunc(m.Customs, func(c wasm.CustomSection) bool { return c.Name == "name" }) {
		out = append(out, laidOut{id: nameSectionID})
	}
	return out
}

// section appends the payload of non-custom section id to e.buf.
func (e *encoder) section(id wasm.SectionID) {
	m, b := e.m, e.buf
	switch id {
	case wasm.SectionType:
		b = leb128.AppendUint32(b, uint32(len(m.Types)))
		for _, t := range m.Types {
			b = append(b, 0x60)
			b = appendValTypes(b, t.Params)
			b = appendValTypes(b, t.Results)
		}
	case wasm.SectionImport:
		b = leb128.AppendUint32(b, uint32(len(m.Imports)))
		for i := range m.Imports {
			imp := &m.Imports[i]
			b = appendName(b, imp.Module)
			b = appendName(b, imp.Name)
			b = append(b, byte(imp.Kind))
			switch imp.Kind {
			case wasm.ExternFunc:
				b = leb128.AppendUint32(b, imp.Func)
			case wasm.ExternTable:
				b = appendTableType(b, imp.Table)
			case wasm.ExternMemory:
				b = appendLimits(b, imp.Memory.Limits)
			case wasm.ExternGlobal:
				b = appendGlobalType(b, imp.Global)
			}
		}
	case wasm.SectionFunction:
		b = appendU32s(b, m.Funcs)
	case wasm.SectionTable:
		b = leb128.AppendUint32(b, uint32(len(m.Tables)))
		for _, t := range m.Tables {
			b = appendTableType(b, t)
		}
	case wasm.SectionMemory:
		b = leb128.AppendUint32(b, uint32(len(m.Memories)))
		for _, mem := range m.Memories {
			b = appendLimits(b, mem.Limits)
		}
	case wasm.SectionGlobal:
		b = leb128.AppendUint32(b, uint32(len(m.Globals)))
		for i := range m.Globals {
			b = appendGlobalType(b, m.Globals[i].Type)
			b = append(b, m.Globals[i].Init.Code...)
		}
	case wasm.SectionExport:
		b = leb128.AppendUint32(b, uint32(len(m.Exports)))
		for _, x := range m.Exports {
			b = appendName(b, x.Name)
			b = append(b, byte(x.Kind))
			b = leb128.AppendUint32(b, x.Index)
		}
	case wasm.SectionStart:
		b = leb128.AppendUint32(b, m.Start)
	case wasm.SectionElement:
		b = leb128.AppendUint32(b, uint32(len(m.Elems)))
		for i := range m.Elems {
			b = appendElemSegment(b, &m.Elems[i])
		}
	case wasm.SectionDataCount:
		b = leb128.AppendUint32(b, m.DataCount)
	case wasm.SectionCode:
		b = leb128.AppendUint32(b, uint32(len(m.Codes)))
		for i := range m.Codes {
			c := &m.Codes[i]
			e.tmp = leb128.AppendUint32(e.tmp[:0], uint32(len(c.Locals)))
			for _, g := range c.Locals {
				e.tmp = leb128.AppendUint32(e.tmp, g.Count)
				e.tmp = append(e.tmp, byte(g.Type))
			}
			b = leb128.AppendUint32(b, uint32(len(e.tmp)+len(c.Body)))
			b = append(b, e.tmp...)
			b = append(b, c.Body...)
		}
	case wasm.SectionData:
		b = leb128.AppendUint32(b, uint32(len(m.Datas)))
		for i := range m.Datas {
			b = appendDataSegment(b, &m.Datas[i])
		}
	}
	e.buf = b
}

func appendName(b []byte, s string) []byte {
	b = leb128.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

func appendU32s(b []byte, vs []uint32) []byte {
	b = leb128.AppendUint32(b, uint32(len(vs)))
	for _, v := range vs {
		b = leb128.AppendUint32(b, v)
	}
	return b
}

func appendValTypes(b []byte, ts []wasm.ValueType) []byte {
	b = leb128.AppendUint32(b, uint32(len(ts)))
	for _, t := range ts {
		b = append(b, byte(t))
	}
	return b
}

func appendLimits(b []byte, l wasm.Limits) []byte {
	if !l.HasMax {
		b = append(b, 0x00)
		return leb128.AppendUint32(b, l.Min)
	}
	b = append(b, 0x01)
	b = leb128.AppendUint32(b, l.Min)
	return leb128.AppendUint32(b, l.Max)
}

func appendTableType(b []byte, t wasm.TableType) []byte {
	b = append(b, byte(t.ElemType))
	return appendLimits(b, t.Limits)
}

func appendGlobalType(b []byte, t wasm.GlobalType) []byte {
	b = append(b, byte(t.ValType))
	if t.Mutable {
		return append(b, 0x01)
	}
	return append(b, 0x00)
}

// appendElemSegment encodes a segment in the shortest of the eight
// formats that expresses it (see elemSegment for the format bits).
func appendElemSegment(b []byte, s *wasm.ElemSegment) []byte {
	t := s.Type
	if t == 0 {
		t = wasm.ValueTypeFuncref
	}
	var format uint32
	if s.Exprs != nil {
		format |= 4
	}
	switch s.Mode {
	case wasm.SegmentActive:
		if s.Table != 0 || t != wasm.ValueTypeFuncref {
			format |= 2
		}
	case wasm.SegmentPassive:
		format |= 1
	case wasm.SegmentDeclarative:
		format |= 3
	}
	b = leb128.AppendUint32(b, format)
	if s.Mode == wasm.SegmentActive {
		if format&2 != 0 {
			b = leb128.AppendUint32(b, s.Table)
		}
		b = append(b, s.Offset.Code...)
	}
	if format&3 != 0 {
		if s.Exprs != nil {
			b = append(b, byte(t))
		} else {
			b = append(b, 0x00) // elemkind funcref
		}
	}
	if s.Exprs != nil {
		b = leb128.AppendUint32(b, uint32(len(s.Exprs)))
		for _, x := range s.Exprs {
			b = append(b, x.Code...)
		}
		return b
	}
	return appendU32s(b, s.FuncIndices)
}

// appendDataSegment encodes a segment in the shortest of the three
// formats that expresses it.
func appendDataSegment(b []byte, s *wasm.DataSegment) []byte {
	switch {
	case s.Mode != wasm.SegmentActive:
		b = append(b, 0x01)
	case s.Memory == 0:
		b = append(b, 0x00)
		b = append(b, s.Offset.Code...)
	default:
		b = append(b, 0x02)
		b = leb128.AppendUint32(b, s.Memory)
		b = append(b, s.Offset.Code...)
	}
	b = leb128.AppendUint32(b, uint32(len(s.Init)))
	return append(b, s.Init...)
}

// appendNameSection encodes the contents of a name section (after its
// "name"), with name maps in increasing index order.
// See https://www.w3.org/TR/wasm-core-2/#binary-namesec
func appendNameSection(b []byte, ns *wasm.NameSection) []byte {
	var sub []byte
	if ns.ModuleName != "" {
		sub = appendName(sub[:0], ns.ModuleName)
		b = appendSubsection(b, nameSubModule, sub)
	}
	if len(ns.FuncNames) > 0 {
		sub = appendNameMap(sub[:0], ns.FuncNames)
		b = appendSubsection(b, nameSubFuncs, sub)
	}
	if len(ns.LocalNames) > 0 {
		sub = leb128.AppendUint32(sub[:0], uint32(len(ns.LocalNames)))
		for _, f := range sortedKeys(ns.LocalNames) {
			sub = leb128.AppendUint32(sub, f)
			sub = appendNameMap(sub, ns.LocalNames[f])
		}
		b = appendSubsection(b, nameSubLocals, sub)
	}
	return b
}

func appendSubsection(b []byte, id byte, contents []byte) []byte {
	b = append(b, id)
	b = leb128.AppendUint32(b, uint32(len(contents)))
	return append(b, contents...)
}

func appendNameMap(b []byte, names map[uint32]string) []byte {
	b = leb128.AppendUint32(b, uint32(len(names)))
	for _, idx := range sortedKeys(names) {
		b = leb128.AppendUint32(b, idx)
		b = appendName(b, names[idx])
	}
	return b
}

func sortedKeys[V any](m map[uint32]V) []uint32 {
	keys := make([]uint32, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
