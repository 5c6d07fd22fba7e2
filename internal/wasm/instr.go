package wasm

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/wasmvisor/wasmvisor/internal/leb128"
)

// Opcode identifies an instruction. See the constants in opcode_table.go.
type Opcode uint16

// ImmKind says which immediates follow an opcode in the binary format.
type ImmKind uint8

const (
	ImmNone         ImmKind = iota
	ImmBlock                // blocktype (s33)
	ImmLabel                // labelidx
	ImmBrTable              // vec(labelidx) labelidx
	ImmFunc                 // funcidx
	ImmCallIndirect         // typeidx tableidx
	ImmLocal                // localidx
	ImmGlobal               // globalidx
	ImmTable                // tableidx
	ImmMemArg               // align offset
	ImmZeroByte             // a reserved 0x00 byte (memory index in 2.0)
	ImmI32                  // i32 (signed LEB128)
	ImmI64                  // i64 (signed LEB128)
	ImmF32                  // 4 bytes
	ImmF64                  // 8 bytes
	ImmV128                 // 16 bytes
	ImmShuffle              // 16 lane-index bytes
	ImmLane                 // 1 lane-index byte
	ImmMemArgLane           // memarg, then a lane-index byte
	ImmSelectT              // vec(valtype)
	ImmRefType              // reftype
	ImmMemoryInit           // dataidx, reserved 0x00
	ImmData                 // dataidx
	ImmMemoryCopy           // two reserved 0x00 bytes
	ImmTableInit            // elemidx tableidx
	ImmElem                 // elemidx
	ImmTableCopy            // tableidx (dst) tableidx (src)
)

// Signature is the fixed operand signature of an instruction.
type Signature struct {
	Params  []ValueType
	Results []ValueType
}

type opInfo struct {
	name string
	imm  ImmKind
	sig  *Signature
}

func (op Opcode) info() *opInfo {
	var cls int
	switch op >> 8 {
	case 0:
	case 0xfc:
		cls = 1
	case 0xfd:
		cls = 2
	default:
		return &opInfo{}
	}
	return &opcodeTable[cls][op&0xff]
}

// String returns the text-format name of the instruction.
func (op Opcode) String() string {
	if n := op.info().name; n != "" {
		return n
	}
	if op > 0xff {
		return fmt.Sprintf("opcode(0x%02x 0x%02x)", byte(op>>8), byte(op))
	}
	return fmt.Sprintf("opcode(0x%02x)", byte(op))
}

// Known reports whether op is a Wasm 2.0 instruction.
func (op Opcode) Known() bool { return op.info().name != "" }

// Imm returns the kind of immediates op takes.
func (op Opcode) Imm() ImmKind { return op.info().imm }

// Signature returns op's operand signature when it is fixed, or nil when
// the operand types depend on immediates or context (control, variable,
// table and reference instructions, drop, select).
func (op Opcode) Signature() *Signature { return op.info().sig }

// BlockKind says how a block type is given.
type BlockKind uint8

const (
	BlockEmpty     BlockKind = iota // []
	BlockValue                      // [] -> [t]
	BlockTypeIndex                  // a function type index
)

// BlockType is the type immediate of block, loop and if.
type BlockType struct {
	Kind      BlockKind
	Value     ValueType // BlockValue
	TypeIndex uint32    // BlockTypeIndex
}

// Instr is one decoded instruction with its immediates. Which fields are
// meaningful depends on Op.Imm(). A Reader reuses the slices of the Instr
// it is given, so callers that keep Labels or Types must copy them.
type Instr struct {
	Op Opcode
	// Pos is the offset of the instruction's first byte in the code the
	// Reader reads; add the Reader's Base for a module offset.
	Pos int

	// Index is the first index immediate: label (br, br_if, and the
	// default of br_table), function, local, global, table, type
	// (call_indirect), data, or element segment (table.init, elem.drop),
	// or the destination table of table.copy.
	Index uint32
	// Index2 is the second index immediate: the table of call_indirect
	// and table.init, the source table of table.copy.
	Index2 uint32

	Align     uint32 // memarg alignment exponent
	MemOffset uint32 // memarg offset
	Lane      byte   // lane index (extract/replace_lane, load/store_lane)

	// Value holds i32.const (zero-extended bits), i64.const, f32.const
	// and f64.const (IEEE bits).
	Value uint64
	// V128 holds v128.const bytes (little-endian lane order) and the lane
	// indices of i8x16.shuffle.
	V128 [16]byte

	Block   BlockType
	Labels  []uint32    // br_table targets, without the default
	Types   []ValueType // select t*
	RefType ValueType   // ref.null
}

// Reader decodes instructions one at a time from a function body or a
// constant expression.
type Reader struct {
	code []byte
	pos  int
	// Base is the module offset of code[0], used in error offsets.
	Base uint64
	// endMsg is the wording for running out of bytes.
	endMsg string
}

// NewReader returns a Reader over code, whose first byte is at module
// offset base.
func NewReader(code []byte, base uint64) *Reader {
	return &Reader{code: code, Base: base, endMsg: "unexpected end of section or function"}
}

// Reset makes r read code from the start, reusing r.
func (r *Reader) Reset(code []byte, base uint64) {
	r.code, r.pos, r.Base = code, 0, base
	if r.endMsg == "" {
		r.endMsg = "unexpected end of section or function"
	}
}

// Pos is the offset of the next unread byte.
func (r *Reader) Pos() int { return r.pos }

// Len is the length of the code being read.
func (r *Reader) Len() int { return len(r.code) }

// EOF reports whether all bytes were read.
func (r *Reader) EOF() bool { return r.pos >= len(r.code) }

// Code returns the bytes being read.
func (r *Reader) Code() []byte { return r.code }

func (r *Reader) errorf(at int, format string, args ...any) error {
	return Errorf(r.Base+uint64(at), format, args...)
}

func (r *Reader) lebErr(at int, err error) error {
	if errors.Is(err, leb128.ErrUnexpectedEnd) {
		return &FormatError{Offset: r.Base + uint64(len(r.code)), Msg: r.endMsg, Err: err}
	}
	return &FormatError{Offset: r.Base + uint64(at), Msg: err.Error(), Err: err}
}

func (r *Reader) u32() (uint32, error) {
	v, n, err := leb128.DecodeUint32(r.code[r.pos:])
	if err != nil {
		return 0, r.lebErr(r.pos, err)
	}
	r.pos += n
	return v, nil
}

func (r *Reader) byte() (byte, error) {
	if r.pos >= len(r.code) {
		return 0, r.errorf(len(r.code), "%s", r.endMsg)
	}
	b := r.code[r.pos]
	r.pos++
	return b, nil
}

func (r *Reader) bytes(n int) ([]byte, error) {
	if len(r.code)-r.pos < n {
		return nil, r.errorf(len(r.code), "%s", r.endMsg)
	}
	b := r.code[r.pos : r.pos+n]
	r.pos += n
	return b, nil
}

func (r *Reader) zeroByte() error {
	at := r.pos
	b, err := r.byte()
	if err != nil {
		return err
	}
	if b != 0 {
		return r.errorf(at, "zero byte expected")
	}
	return nil
}

// immSlow marks, in plainImm, the bytes that are not a one-byte opcode:
// the 0xFC and 0xFD prefixes and illegal opcodes.
const immSlow ImmKind = 0xff

// plainImm is the immediate kind of each one-byte opcode, the table the
// common path of Next reads: one byte, where the full table's entry is 32.
var plainImm = func() (t [256]ImmKind) {
	for b := range t {
		if info := &opcodeTable[0][b]; info.name != "" {
			t[b] = info.imm
		} else {
			t[b] = immSlow
		}
	}
	t[0xfc], t[0xfd] = immSlow, immSlow
	return t
}()

// Next decodes the next instruction into in. At the end of the code it
// returns a FormatError ("unexpected end ..."); callers stop at the `end`
// that closes the outermost block instead of calling Next past it.
//
// Most instructions are a one-byte opcode with no immediate or with
// small indices, offsets or constants; Next decodes those itself and
// leaves everything else, errors included, to next. Both decode the
// same bytes the same way (FuzzReader).
func (r *Reader) Next(in *Instr) error {
	code, pos := r.code, r.pos
	if uint(pos) >= uint(len(code)) {
		return r.next(in)
	}
	b := code[pos]
	switch plainImm[b] {
	case ImmNone:
		in.Pos, in.Op, r.pos = pos, Opcode(b), pos+1
		return nil
	case ImmLocal, ImmGlobal, ImmLabel, ImmFunc:
		if v, n := shortU32(code, pos+1); n != 0 {
			in.Pos, in.Op, in.Index, r.pos = pos, Opcode(b), v, pos+1+n
			return nil
		}
	case ImmMemArg:
		if a, n := shortU32(code, pos+1); n != 0 {
			if o, m := shortU32(code, pos+1+n); m != 0 {
				in.Pos, in.Op, in.Align, in.MemOffset, r.pos = pos, Opcode(b), a, o, pos+1+n+m
				return nil
			}
		}
	case ImmBlock:
		if p := pos + 1; p < len(code) {
			switch t := ValueType(code[p]); {
			case t == 0x40:
				in.Block = BlockType{Kind: BlockEmpty}
			case t.Valid():
				in.Block = BlockType{Kind: BlockValue, Value: t}
			default:
				return r.next(in)
			}
			in.Pos, in.Op, r.pos = pos, Opcode(b), pos+2
			return nil
		}
	case ImmI32, ImmI64:
		// One byte of signed LEB128: bit 6 is the sign.
		if p := pos + 1; p < len(code) && code[p] < 0x80 {
			v := int64(code[p]) << 57 >> 57
			if b == byte(OpI32Const) {
				v = int64(uint32(v))
			}
			in.Pos, in.Op, in.Value, r.pos = pos, Opcode(b), uint64(v), pos+2
			return nil
		}
	}
	return r.next(in)
}

// shortU32 decodes an unsigned LEB128 of one or two bytes at code[p:].
// n is 0 when it is longer or runs past the end: the caller then
// decodes it the general way.
func shortU32(code []byte, p int) (v uint32, n int) {
	if p < len(code) && code[p] < 0x80 {
		return uint32(code[p]), 1
	}
	if p+1 < len(code) && code[p+1] < 0x80 {
		return uint32(code[p]&0x7f) | uint32(code[p+1])<<7, 2
	}
	return 0, 0
}

// next decodes any instruction, or reports why the bytes are not one.
func (r *Reader) next(in *Instr) error {
	in.Pos = r.pos
	b, err := r.byte()
	if err != nil {
		return err
	}
	op := Opcode(b)
	if b == 0xfc || b == 0xfd {
		sub, err := r.u32()
		if err != nil {
			return err
		}
		if sub > 0xff {
			return r.errorf(in.Pos, "illegal opcode %02x %x", b, sub)
		}
		op = Opcode(b)<<8 | Opcode(sub)
	}
	info := op.info()
	if info.name == "" {
		if op > 0xff {
			return r.errorf(in.Pos, "illegal opcode %02x %x", byte(op>>8), byte(op))
		}
		return r.errorf(in.Pos, "illegal opcode %02x", b)
	}
	in.Op = op
	return r.immediates(in, info.imm)
}

func (r *Reader) immediates(in *Instr, imm ImmKind) (err error) {
	switch imm {
	case ImmNone:
	case ImmBlock:
		at := r.pos
		v, n, e := leb128.DecodeInt33(r.code[r.pos:])
		if e != nil {
			return r.lebErr(at, e)
		}
		r.pos += n
		switch {
		case v == -64: // 0x40
			in.Block = BlockType{Kind: BlockEmpty}
		case v < 0:
			t := ValueType(v & 0x7f)
			if n != 1 || !t.Valid() {
				return r.errorf(at, "malformed value type 0x%02x", r.code[at])
			}
			in.Block = BlockType{Kind: BlockValue, Value: t}
		default:
			if v > 0xffffffff {
				return r.errorf(at, "integer too large")
			}
			in.Block = BlockType{Kind: BlockTypeIndex, TypeIndex: uint32(v)}
		}
	case ImmLabel, ImmFunc, ImmLocal, ImmGlobal, ImmTable, ImmData, ImmElem:
		in.Index, err = r.u32()
	case ImmBrTable:
		var n uint32
		if n, err = r.u32(); err != nil {
			return err
		}
		// Each label takes at least one byte: a count past the remaining
		// bytes is malformed and must not size an allocation.
		if int64(n) > int64(len(r.code)-r.pos) {
			return r.errorf(r.pos, "%s", r.endMsg)
		}
		in.Labels = in.Labels[:0]
		for i := uint32(0); i < n; i++ {
			l, err := r.u32()
			if err != nil {
				return err
			}
			in.Labels = append(in.Labels, l)
		}
		in.Index, err = r.u32()
	case ImmCallIndirect:
		if in.Index, err = r.u32(); err != nil {
			return err
		}
		in.Index2, err = r.u32()
	case ImmMemArg, ImmMemArgLane:
		if in.Align, err = r.u32(); err != nil {
			return err
		}
		if in.MemOffset, err = r.u32(); err != nil {
			return err
		}
		if imm == ImmMemArgLane {
			in.Lane, err = r.byte()
		}
	case ImmZeroByte:
		err = r.zeroByte()
	case ImmI32:
		v, n, e := leb128.DecodeInt32(r.code[r.pos:])
		if e != nil {
			return r.lebErr(r.pos, e)
		}
		r.pos += n
		in.Value = uint64(uint32(v))
	case ImmI64:
		v, n, e := leb128.DecodeInt64(r.code[r.pos:])
		if e != nil {
			return r.lebErr(r.pos, e)
		}
		r.pos += n
		in.Value = uint64(v)
	case ImmF32:
		var b []byte
		if b, err = r.bytes(4); err == nil {
			in.Value = uint64(binary.LittleEndian.Uint32(b))
		}
	case ImmF64:
		var b []byte
		if b, err = r.bytes(8); err == nil {
			in.Value = binary.LittleEndian.Uint64(b)
		}
	case ImmV128, ImmShuffle:
		var b []byte
		if b, err = r.bytes(16); err == nil {
			copy(in.V128[:], b)
		}
	case ImmLane:
		in.Lane, err = r.byte()
	case ImmSelectT:
		var n uint32
		if n, err = r.u32(); err != nil {
			return err
		}
		if int64(n) > int64(len(r.code)-r.pos) {
			return r.errorf(r.pos, "%s", r.endMsg)
		}
		in.Types = in.Types[:0]
		for i := uint32(0); i < n; i++ {
			at := r.pos
			b, err := r.byte()
			if err != nil {
				return err
			}
			if t := ValueType(b); t.Valid() {
				in.Types = append(in.Types, t)
			} else {
				return r.errorf(at, "malformed value type 0x%02x", b)
			}
		}
	case ImmRefType:
		at := r.pos
		var b byte
		if b, err = r.byte(); err != nil {
			return err
		}
		if t := ValueType(b); t.IsRef() {
			in.RefType = t
		} else {
			return r.errorf(at, "malformed reference type")
		}
	case ImmMemoryInit:
		if in.Index, err = r.u32(); err != nil {
			return err
		}
		err = r.zeroByte()
	case ImmMemoryCopy:
		if err = r.zeroByte(); err != nil {
			return err
		}
		err = r.zeroByte()
	case ImmTableInit:
		if in.Index, err = r.u32(); err != nil {
			return err
		}
		in.Index2, err = r.u32()
	case ImmTableCopy:
		if in.Index, err = r.u32(); err != nil {
			return err
		}
		in.Index2, err = r.u32()
	default:
		panic("wasm: unhandled immediate kind")
	}
	return err
}
