package binary

import (
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// Name subsection ids. Ids above these belong to later proposals (the
// extended name section: labels, types, tables, memories, globals, ...),
// which toolchains already emit; they are skipped.
// See https://www.w3.org/TR/wasm-core-2/#binary-namesec
const (
	nameSubModule = 0
	nameSubFuncs  = 1
	nameSubLocals = 2
)

// decodeNameSection decodes the contents of a "name" custom section, or
// returns nil when they are malformed.
// See https://www.w3.org/TR/wasm-core-2/#binary-namesec
func decodeNameSection(data []byte) *wasm.NameSection {
	d := decoder{data: data, end: len(data), text: string(data)}
	ns, err := d.nameSection()
	if err != nil {
		return nil
	}
	return ns
}

// nameSection decodes the subsections of a name section. Each appears at
// most once, in order of increasing id, and its size must match its
// contents exactly.
func (d *decoder) nameSection() (*wasm.NameSection, error) {
	ns := &wasm.NameSection{}
	last := -1
	for d.pos < len(d.data) {
		at := d.pos
		id, _ := d.byte()
		if int(id) <= last {
			return nil, d.errorf(at, "name subsection %d after subsection %d", id, last)
		}
		last = int(id)
		size, err := d.length()
		if err != nil {
			return nil, err
		}
		end := d.pos + size
		if end > len(d.data) {
			return nil, d.unexpectedEnd()
		}
		// The subsection is read by a decoder that cannot read past it.
		sub := decoder{data: d.data[:end], pos: d.pos, end: end, text: d.text[:end]}
		switch id {
		case nameSubModule:
			ns.ModuleName, err = sub.name()
		case nameSubFuncs:
			ns.FuncNames, err = sub.nameMap()
		case nameSubLocals:
			ns.LocalNames, err = sub.indirectNameMap()
		default:
			sub.pos = end
		}
		if err != nil {
			return nil, err
		}
		if sub.pos != end {
			return nil, d.errorf(sub.pos, "%s: name subsection %d", msgSizeMismatch, id)
		}
		d.pos = end
	}
	return ns, nil
}

// nameMap decodes a name map: index/name pairs in increasing index order.
func (d *decoder) nameMap() (map[uint32]string, error) {
	return indexMap(d, "name map", d.name)
}

// indirectNameMap decodes an indirect name map: index/name-map pairs in
// increasing index order.
func (d *decoder) indirectNameMap() (map[uint32]map[uint32]string, error) {
	return indexMap(d, "indirect name map", d.nameMap)
}

// indexMap decodes a vector of index/value pairs whose indices must
// increase strictly; what names the map in errors.
func indexMap[V any](d *decoder, what string, value func() (V, error)) (map[uint32]V, error) {
	n, err := d.length()
	if err != nil {
		return nil, err
	}
	m := make(map[uint32]V, d.vecCap(n, 2))
	var prev uint32
	for i := range n {
		if err := d.overrun(); err != nil {
			return nil, err
		}
		at := d.pos
		idx, err := d.u32()
		if err != nil {
			return nil, err
		}
		if i > 0 && idx <= prev {
			return nil, d.errorf(at, "%s index %d after %d, not increasing", what, idx, prev)
		}
		prev = idx
		if m[idx], err = value(); err != nil {
			return nil, err
		}
	}
	return m, nil
}
