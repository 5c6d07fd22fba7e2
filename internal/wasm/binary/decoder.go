package binary

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/wasmvisor/wasmvisor/internal/leb128"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// The spec test suite's wording for malformations found in several places.
const (
	msgUnexpectedEnd = "unexpected end of section or function"
	msgSizeMismatch  = "section size mismatch"
)

// The module header. See https://www.w3.org/TR/wasm-core-2/#binary-module
const (
	magic   = "\x00asm"
	version = "\x01\x00\x00\x00"
)

// Decode decodes a module. The returned module aliases data (bodies, custom sections).
//
// Decode implements the binary format of
// https://www.w3.org/TR/wasm-core-2/#binary-format%E2%91%A0. Errors are
// *wasm.FormatError; the package documentation says which malformations of
// function bodies are left to the validator.
func Decode(data []byte) (*wasm.Module, error) {
	d := decoder{data: data, m: &wasm.Module{Size: uint64(len(data))}}
	if err := d.module(); err != nil {
		return nil, err
	}
	return d.m, nil
}

// decoder reads a module from data. Reads are bounded by the module, not
// by the current section; see the package documentation for why.
type decoder struct {
	data []byte
	pos  int
	// end is the declared end of the section being decoded, clamped to
	// len(data). It only bounds how many entries a vector allocates room
	// for up front.
	end int
	m   *wasm.Module

	// rd, in and frames walk constant expressions; kept here to be reused.
	rd     wasm.Reader
	in     wasm.Instr
	frames []byte // open blocks in skipExpr

	sawNameSection bool // only the first "name" section is decoded

	// text, when set, is data as a string; names are then sliced from it
	// rather than allocated one by one. The name section decoder sets it:
	// its thousands of names then cost one allocation.
	text string
}

// sectionRank orders the non-custom sections as the binary format
// requires them: the data count section comes before the code section,
// although its id is the highest.
// See https://www.w3.org/TR/wasm-core-2/#binary-module
var sectionRank = [...]int{
	wasm.SectionType:      1,
	wasm.SectionImport:    2,
	wasm.SectionFunction:  3,
	wasm.SectionTable:     4,
	wasm.SectionMemory:    5,
	wasm.SectionGlobal:    6,
	wasm.SectionExport:    7,
	wasm.SectionStart:     8,
	wasm.SectionElement:   9,
	wasm.SectionDataCount: 10,
	wasm.SectionCode:      11,
	wasm.SectionData:      12,
}

// module decodes the header and the sections, then checks the rules that
// span sections.
// See https://www.w3.org/TR/wasm-core-2/#binary-module
func (d *decoder) module() error {
	if err := d.header(); err != nil {
		return err
	}
	var last wasm.SectionID // the last non-custom section, 0 before the first
	for d.pos < len(d.data) {
		start := d.pos
		id := wasm.SectionID(d.data[d.pos])
		if id > wasm.SectionDataCount {
			return d.errorf(start, "malformed section id %d", byte(id))
		}
		if id != wasm.SectionCustom {
			if last != 0 && sectionRank[id] <= sectionRank[last] {
				return d.errorf(start, "unexpected content after last section: section %d (%s) after section %d (%s); sections must be in order and appear at most once",
					id, id, last, last)
			}
			last = id
		}
		d.pos++
		size, err := d.length()
		if err != nil {
			return withContext(err, "section %d (%s) size", id, id)
		}
		end := d.pos + size // may pass the end of data; reads check
		d.end = min(end, len(d.data))
		info := wasm.SectionInfo{ID: id, Offset: uint64(start), Size: uint32(size)}
		if id == wasm.SectionCustom {
			err = d.customSection(&info, end)
		} else {
			err = d.section(id, end)
			if err == nil && d.pos != end {
				err = d.errorf(d.pos, "%s: the section declares %d bytes, its contents take %d",
					msgSizeMismatch, size, d.pos-(end-size))
			}
		}
		if err != nil {
			return withContext(err, "section %d (%s)", id, id)
		}
		d.m.Sections = append(d.m.Sections, info)
	}

	m, at := d.m, len(d.data)
	if len(m.Funcs) != len(m.Codes) {
		return d.errorf(at, "function and code section have inconsistent lengths: %d functions declared, %d bodies given",
			len(m.Funcs), len(m.Codes))
	}
	if m.HasDataCount && int64(m.DataCount) != int64(len(m.Datas)) {
		return d.errorf(at, "data count and data section have inconsistent lengths: data count %d, %d data segments",
			m.DataCount, len(m.Datas))
	}
	return nil
}

// header checks the magic number and the version, in that order, as the
// spec tests expect: a short file that starts wrongly is "magic header not
// detected" only once four bytes are there to compare.
func (d *decoder) header() error {
	if len(d.data) < len(magic) {
		return d.errorf(len(d.data), "unexpected end: %d bytes, too short for the module header", len(d.data))
	}
	if string(d.data[:len(magic)]) != magic {
		return d.errorf(0, "magic header not detected: the file starts with % x, not % x", d.data[:len(magic)], magic)
	}
	if len(d.data) < len(magic)+len(version) {
		return d.errorf(len(d.data), "unexpected end: %d bytes, too short for the module header", len(d.data))
	}
	if v := d.data[len(magic) : len(magic)+len(version)]; string(v) != version {
		return d.errorf(len(magic), "unknown binary version % x: only version 1 (% x) is supported", v, version)
	}
	d.pos = len(magic) + len(version)
	return nil
}

// section decodes the contents of a non-custom section whose declared end
// is end.
func (d *decoder) section(id wasm.SectionID, end int) error {
	switch id {
	case wasm.SectionType:
		return d.typeSection()
	case wasm.SectionImport:
		return d.importSection()
	case wasm.SectionFunction:
		return d.functionSection()
	case wasm.SectionTable:
		return d.tableSection()
	case wasm.SectionMemory:
		return d.memorySection()
	case wasm.SectionGlobal:
		return d.globalSection()
	case wasm.SectionExport:
		return d.exportSection()
	case wasm.SectionStart:
		return d.startSection()
	case wasm.SectionElement:
		return d.elementSection()
	case wasm.SectionCode:
		return d.codeSection(end)
	case wasm.SectionData:
		return d.dataSection()
	case wasm.SectionDataCount:
		return d.dataCountSection()
	}
	// module checks the id before calling section; this is not reached.
	return d.errorf(d.pos, "malformed section id %d", byte(id))
}

// errorf returns a *wasm.FormatError at module offset at.
func (d *decoder) errorf(at int, format string, args ...any) error {
	return wasm.Errorf(uint64(at), format, args...)
}

// withContext puts context in front of the message of a
// *wasm.FormatError, keeping its offset and cause.
func withContext(err error, format string, args ...any) error {
	var fe *wasm.FormatError
	if !errors.As(err, &fe) {
		return err
	}
	return &wasm.FormatError{Offset: fe.Offset, Msg: fmt.Sprintf(format, args...) + ": " + fe.Msg, Err: fe.Err}
}

// unexpectedEnd is the error for a read past the end of the module.
func (d *decoder) unexpectedEnd() error {
	return d.errorf(len(d.data), "%s", msgUnexpectedEnd)
}

// lebError converts an error of package leb128 for an integer at module
// offset at.
func (d *decoder) lebError(at int, err error) error {
	if errors.Is(err, leb128.ErrUnexpectedEnd) {
		return &wasm.FormatError{Offset: uint64(len(d.data)), Msg: msgUnexpectedEnd, Err: err}
	}
	return &wasm.FormatError{Offset: uint64(at), Msg: err.Error(), Err: err}
}

// byte reads one byte.
func (d *decoder) byte() (byte, error) {
	if d.pos >= len(d.data) {
		return 0, d.unexpectedEnd()
	}
	b := d.data[d.pos]
	d.pos++
	return b, nil
}

// u32 reads an unsigned 32-bit LEB128 integer.
// See https://www.w3.org/TR/wasm-core-2/#binary-int
func (d *decoder) u32() (uint32, error) {
	v, n, err := leb128.DecodeUint32(d.data[d.pos:])
	if err != nil {
		return 0, d.lebError(d.pos, err)
	}
	d.pos += n
	return v, nil
}

// length reads the length of a vector or a byte string. Like the reference
// interpreter, it rejects a length larger than the number of bytes left in
// the module, counted from the length's own first byte, as "length out of
// bounds" before anything is read or allocated.
// See https://www.w3.org/TR/wasm-core-2/#binary-vec
func (d *decoder) length() (int, error) {
	at := d.pos
	n, err := d.u32()
	if err != nil {
		return 0, err
	}
	if left := len(d.data) - at; uint64(n) > uint64(left) {
		return 0, d.errorf(at, "length out of bounds: %d, but the module has %d bytes left", n, len(d.data)-d.pos)
	}
	return int(n), nil
}

// vecCap is how many entries of a vector of n, each at least minSize
// bytes, to allocate room for: no more than the rest of the section can
// hold, so that a hostile count costs nothing. A malformed vector that
// runs past its section still decodes correctly, only with appends that
// grow.
func (d *decoder) vecCap(n, minSize int) int {
	return max(0, min(n, (d.end-d.pos)/minSize))
}

// overrun returns an error once the decoder has read past the end of the
// current section. Vectors check it before each entry: the reference
// interpreter would go on reading entries from the bytes of the sections
// that follow, which is bound to fail too, but costs time and memory in
// proportion to the module for a hostile count.
func (d *decoder) overrun() error {
	if d.pos <= d.end {
		return nil
	}
	return d.errorf(d.pos, "%s: the entries run past the end of the section at offset 0x%x", msgSizeMismatch, d.end)
}

// bytes reads n bytes, aliasing the module. The result's capacity is its
// length, so appending to it never writes into the module.
func (d *decoder) bytes(n int) ([]byte, error) {
	if n > len(d.data)-d.pos {
		return nil, d.unexpectedEnd()
	}
	b := d.data[d.pos : d.pos+n : d.pos+n]
	d.pos += n
	return b, nil
}

// name reads a name: a byte string that must be valid UTF-8.
// See https://www.w3.org/TR/wasm-core-2/#binary-name
func (d *decoder) name() (string, error) {
	at := d.pos
	n, err := d.length()
	if err != nil {
		return "", err
	}
	b, err := d.bytes(n)
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		return "", d.errorf(at, "malformed UTF-8 encoding in name %q", b)
	}
	if d.text != "" {
		return d.text[d.pos-n : d.pos], nil
	}
	return string(b), nil
}

// typeByteError is the error for a type byte that is not one of the
// expected ones. Types are encoded as one-byte signed LEB128 integers, so
// a byte with the continuation bit is an integer that is too long.
func (d *decoder) typeByteError(at int, b byte, what string) error {
	if b&0x80 != 0 {
		return d.errorf(at, "integer representation too long: %s 0x%02x has the continuation bit set", what, b)
	}
	return d.errorf(at, "%s 0x%02x", what, b)
}

// valType reads a value type.
// See https://www.w3.org/TR/wasm-core-2/#binary-valtype
func (d *decoder) valType() (wasm.ValueType, error) {
	at := d.pos
	b, err := d.byte()
	if err != nil {
		return 0, err
	}
	if t := wasm.ValueType(b); t.Valid() {
		return t, nil
	}
	return 0, d.typeByteError(at, b, "malformed value type")
}

// refType reads a reference type.
// See https://www.w3.org/TR/wasm-core-2/#binary-reftype
func (d *decoder) refType() (wasm.ValueType, error) {
	at := d.pos
	b, err := d.byte()
	if err != nil {
		return 0, err
	}
	if t := wasm.ValueType(b); t.IsRef() {
		return t, nil
	}
	return 0, d.typeByteError(at, b, "malformed reference type")
}

// limits reads limits. The flag is a u32 that Wasm 2.0 allows to be 0 (no
// maximum) or 1 (a maximum follows), in its one-byte form only: the spec
// tests expect "integer too large" for other values and "integer
// representation too long" for a longer encoding.
// See https://www.w3.org/TR/wasm-core-2/#binary-limits
func (d *decoder) limits() (wasm.Limits, error) {
	at := d.pos
	flag, err := d.byte()
	if err != nil {
		return wasm.Limits{}, err
	}
	if flag&0x7f > 1 {
		return wasm.Limits{}, d.errorf(at, "integer too large: limits flag 0x%02x, want 0x00 or 0x01", flag)
	}
	if flag&0x80 != 0 {
		return wasm.Limits{}, d.errorf(at, "integer representation too long: limits flag 0x%02x has the continuation bit set", flag)
	}
	var l wasm.Limits
	if l.Min, err = d.u32(); err != nil {
		return wasm.Limits{}, withContext(err, "limits minimum")
	}
	if flag == 1 {
		l.HasMax = true
		if l.Max, err = d.u32(); err != nil {
			return wasm.Limits{}, withContext(err, "limits maximum")
		}
	}
	return l, nil
}

// tableType reads a table type.
// See https://www.w3.org/TR/wasm-core-2/#binary-tabletype
func (d *decoder) tableType() (wasm.TableType, error) {
	et, err := d.refType()
	if err != nil {
		return wasm.TableType{}, err
	}
	l, err := d.limits()
	return wasm.TableType{ElemType: et, Limits: l}, err
}

// globalType reads a global type.
// See https://www.w3.org/TR/wasm-core-2/#binary-globaltype
func (d *decoder) globalType() (wasm.GlobalType, error) {
	t, err := d.valType()
	if err != nil {
		return wasm.GlobalType{}, err
	}
	at := d.pos
	mut, err := d.byte()
	if err != nil {
		return wasm.GlobalType{}, err
	}
	if mut > 1 {
		return wasm.GlobalType{}, d.errorf(at, "malformed mutability 0x%02x, want 0x00 or 0x01", mut)
	}
	return wasm.GlobalType{ValType: t, Mutable: mut == 1}, nil
}

// constExpr reads an initializer expression up to and including the end
// that closes it. Whether the expression is constant is for the validator
// to say.
// See https://www.w3.org/TR/wasm-core-2/#binary-expr
func (d *decoder) constExpr() (wasm.ConstExpr, error) {
	start := d.pos
	end, err := d.skipExpr(start)
	if err != nil {
		return wasm.ConstExpr{}, err
	}
	d.pos = end
	return wasm.ConstExpr{Code: d.data[start:end:end], Offset: uint64(start)}, nil
}

// Kinds of open blocks in skipExpr.
const (
	frameBlock = iota // block or loop: closed by end
	frameIf           // if before its else: closed by else or end
	frameElse         // if after its else: closed by end
)

// skipExpr walks the instructions of an expression that starts at module
// offset start, up to and including the end that closes it, and returns
// the offset after that end. Like the reference interpreter it is not
// bounded by a section or a body, and it reports what that interpreter
// reports on the way: instruction-level malformations from wasm.Reader, an
// else that does not follow an if, the end of the module.
func (d *decoder) skipExpr(start int) (int, error) {
	d.rd.Reset(d.data[start:], uint64(start))
	frames := d.frames[:0]
	defer func() { d.frames = frames[:0] }()
	for {
		if err := d.rd.Next(&d.in); err != nil {
			return 0, err
		}
		switch d.in.Op {
		case wasm.OpBlock, wasm.OpLoop:
			frames = append(frames, frameBlock)
		case wasm.OpIf:
			frames = append(frames, frameIf)
		case wasm.OpElse:
			if len(frames) == 0 || frames[len(frames)-1] != frameIf {
				return 0, d.errorf(start+d.in.Pos, "END opcode expected, found else")
			}
			frames[len(frames)-1] = frameElse
		case wasm.OpEnd:
			if len(frames) == 0 {
				return start + d.rd.Pos(), nil
			}
			frames = frames[:len(frames)-1]
		}
	}
}
