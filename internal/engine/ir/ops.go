package ir

import "unsafe"

// Instr is one instruction of the slot form. Slots are indices into the
// frame (8 bytes each, slot i at byte 8*i). The meaning of the fields
// depends on Op; below and in the comments on the opcodes, a, b, c and
// imm stand for A, B, C and Imm:
//
//	arithmetic    a = destination, b = first operand, c = second operand
//	with constant a = destination, b = operand, imm = constant
//	branches      a = target, in bytes from the next instruction (int32,
//	              a multiple of InstrSize; see Target);
//	              b and c (or imm) the operands
//	loads         a = destination, b = address, imm = static offset
//	stores        b = address, c = value, imm = static offset
//
// i32 values are kept zero-extended in their slot, f32 values as their
// bits in the low half; a v128 takes two consecutive slots, low half
// first.
//
// 24 bytes: Op and three 32-bit operands fill 16, the 64-bit immediate
// the rest. Narrower operands would cap frames at 65536 slots.
type Instr struct {
	Op      Opcode
	A, B, C uint32
	Imm     uint64
}

// InstrSize is the size of an Instr: branch offsets are multiples of it.
const InstrSize = unsafe.Sizeof(Instr{})

// Target returns the index of the instruction that the branch at index pc
// (IsBranch(in.Op)) jumps to.
func (in *Instr) Target(pc int) int {
	return pc + 1 + int(int32(in.A))/int(InstrSize)
}

//go:generate go run mkopnames.go

// Opcode is an instruction of the slot form. Scalar opcodes are dense
// from zero so that the interpreter's switch compiles to a jump table.
// SIMD opcodes are OpSIMD plus the instruction's 0xFD sub-opcode: a is
// the result's slot (if it has one), b and c the first two operands'
// slots, and imm the third operand's slot (v128.bitselect), the static
// offset (loads and stores), the offset | lane<<32 (lane loads and
// stores), the lane (extract and replace) or the index into
// Func.Shuffles (i8x16.shuffle).
type Opcode uint16

const (
	OpUnreachable  Opcode = iota
	OpJmp                 // a = target
	OpBrTable             // b = index slot, c = number of labels; c+1 OpBrTableEntry follow
	OpBrTableEntry        // a = target
	OpReturn
	OpCallLocal    // a = argument base slot, b = index among the functions the module defines
	OpCallImport   // a = argument base slot, b = function index (an import)
	OpCallIndirect // a = argument base slot, b = type index, c = element index slot, imm = table
	OpMov          // a = b
	OpMov128       // a:a+1 = b:b+1
	OpConst        // a = imm
	OpConst128     // a = imm, a+1 = uint64(c)<<32 | b
	OpSelect       // a = imm-slot != 0 ? b : c
	OpSelect128
	OpGlobalGet // a = globals[b]
	OpGlobalGet128
	OpGlobalSet // globals[a] = b
	OpGlobalSet128
	OpGlobalSetRef
	OpRefFunc      // a = reference to function b
	OpGlobalGetRef // a = globals[b], a funcref
	OpTableGetRef  // a = tables[imm][b], a funcref table

	// Fused branches: a = target. Conditional on a slot (b) and a slot (c)
	// or a constant (imm).
	OpBrIfNez32
	OpBrIfEqz32
	OpBrIfNez64
	OpBrIfEqz64
	OpBrIfI32Eq
	OpBrIfI32Ne
	OpBrIfI32LtS
	OpBrIfI32LtU
	OpBrIfI32GtS
	OpBrIfI32GtU
	OpBrIfI32LeS
	OpBrIfI32LeU
	OpBrIfI32GeS
	OpBrIfI32GeU
	OpBrIfI32EqI
	OpBrIfI32NeI
	OpBrIfI32LtSI
	OpBrIfI32LtUI
	OpBrIfI32GtSI
	OpBrIfI32GtUI
	OpBrIfI32LeSI
	OpBrIfI32LeUI
	OpBrIfI32GeSI
	OpBrIfI32GeUI
	OpBrIfI64Eq
	OpBrIfI64Ne
	OpBrIfI64LtS
	OpBrIfI64LtU
	OpBrIfI64GtS
	OpBrIfI64GtU
	OpBrIfI64LeS
	OpBrIfI64LeU
	OpBrIfI64GeS
	OpBrIfI64GeU
	OpBrIfI64EqI
	OpBrIfI64NeI
	OpBrIfI64LtSI
	OpBrIfI64LtUI
	OpBrIfI64GtSI
	OpBrIfI64GtUI
	OpBrIfI64LeSI
	OpBrIfI64LeUI
	OpBrIfI64GeSI
	OpBrIfI64GeUI

	// Loads: a = destination, b = address slot, imm = offset.
	OpI32Load
	OpI64Load
	OpI32Load8S
	OpI32Load8U
	OpI32Load16S
	OpI32Load16U
	OpI64Load8S
	OpI64Load8U
	OpI64Load16S
	OpI64Load16U
	OpI64Load32S
	OpI64Load32U
	// Stores: b = address slot, c = value slot, imm = offset.
	OpStore32
	OpStore64
	OpStore8
	OpStore16

	// Loads and stores with the address computation fused in. "AI":
	// address = uint32(b + uint32(imm)), static offset imm>>32. "AR":
	// address = uint32(b + c) for loads (static offset imm); for stores
	// the value is in a, so address = uint32(b + c), offset imm. "K": a
	// constant address, the effective address in imm.
	OpI32LoadAI
	OpI64LoadAI
	OpI32Load8SAI
	OpI32Load8UAI
	OpI32Load16SAI
	OpI32Load16UAI
	OpI32LoadAR
	OpI64LoadAR
	OpI32Load8SAR
	OpI32Load8UAR
	OpI32Load16SAR
	OpI32Load16UAR
	OpI32LoadK
	OpI64LoadK
	OpI32Load8UK
	OpStore32AI
	OpStore64AI
	OpStore8AI
	OpStore16AI
	OpStore32AR
	OpStore64AR
	OpStore8AR
	OpStore16AR
	OpStore32K
	OpStore64K
	OpStore8K
	// a = b + (c << imm), from i32.shl by a constant feeding i32.add.
	OpI32AddShl

	OpMemorySize // a = size in pages
	OpMemoryGrow // a = grow(b)
	OpMemoryInit // segment imm: copy c bytes... see exec
	OpDataDrop
	OpMemoryCopy
	OpMemoryFill
	OpTableGet
	OpTableSet
	OpTableSize
	OpTableGrow
	OpTableFill
	OpTableCopy
	OpTableInit
	OpElemDrop

	// i32 arithmetic and comparison: a = b op c.
	OpI32Add
	OpI32Sub
	OpI32Mul
	OpI32DivS
	OpI32DivU
	OpI32RemS
	OpI32RemU
	OpI32And
	OpI32Or
	OpI32Xor
	OpI32Shl
	OpI32ShrS
	OpI32ShrU
	OpI32Rotl
	OpI32Rotr
	OpI32Eq
	OpI32Ne
	OpI32LtS
	OpI32LtU
	OpI32GtS
	OpI32GtU
	OpI32LeS
	OpI32LeU
	OpI32GeS
	OpI32GeU
	// With a constant: a = b op imm.
	OpI32AddI
	OpI32MulI
	OpI32AndI
	OpI32OrI
	OpI32XorI
	OpI32ShlI
	OpI32ShrSI
	OpI32ShrUI
	OpI32RotlI // rotr by k is rotl by -k
	OpI32EqI
	OpI32NeI
	OpI32LtSI
	OpI32LtUI
	OpI32GtSI
	OpI32GtUI
	OpI32LeSI
	OpI32LeUI
	OpI32GeSI
	OpI32GeUI

	OpI64Add
	OpI64Sub
	OpI64Mul
	OpI64DivS
	OpI64DivU
	OpI64RemS
	OpI64RemU
	OpI64And
	OpI64Or
	OpI64Xor
	OpI64Shl
	OpI64ShrS
	OpI64ShrU
	OpI64Rotl
	OpI64Rotr
	OpI64Eq
	OpI64Ne
	OpI64LtS
	OpI64LtU
	OpI64GtS
	OpI64GtU
	OpI64LeS
	OpI64LeU
	OpI64GeS
	OpI64GeU
	OpI64AddI
	OpI64MulI
	OpI64AndI
	OpI64OrI
	OpI64XorI
	OpI64ShlI
	OpI64ShrSI
	OpI64ShrUI
	OpI64RotlI
	OpI64EqI
	OpI64NeI
	OpI64LtSI
	OpI64LtUI
	OpI64GtSI
	OpI64GtUI
	OpI64LeSI
	OpI64LeUI
	OpI64GeSI
	OpI64GeUI

	OpF32Add
	OpF32Sub
	OpF32Mul
	OpF32Div
	OpF32Min
	OpF32Max
	OpF32Copysign
	OpF32Eq
	OpF32Ne
	OpF32Lt
	OpF32Gt
	OpF32Le
	OpF32Ge
	OpF64Add
	OpF64Sub
	OpF64Mul
	OpF64Div
	OpF64Min
	OpF64Max
	OpF64Copysign
	OpF64Eq
	OpF64Ne
	OpF64Lt
	OpF64Gt
	OpF64Le
	OpF64Ge

	// Unary: a = op b.
	OpI32Eqz
	OpI32Clz
	OpI32Ctz
	OpI32Popcnt
	OpI64Eqz
	OpI64Clz
	OpI64Ctz
	OpI64Popcnt
	OpF32Abs
	OpF32Neg
	OpF32Ceil
	OpF32Floor
	OpF32Trunc
	OpF32Nearest
	OpF32Sqrt
	OpF64Abs
	OpF64Neg
	OpF64Ceil
	OpF64Floor
	OpF64Trunc
	OpF64Nearest
	OpF64Sqrt
	OpI32WrapI64
	OpI32TruncF32S
	OpI32TruncF32U
	OpI32TruncF64S
	OpI32TruncF64U
	OpI64ExtendI32S
	OpI64ExtendI32U // never emitted: i32 slots are kept zero-extended, so the operand already is the result
	OpI64TruncF32S
	OpI64TruncF32U
	OpI64TruncF64S
	OpI64TruncF64U
	OpF32ConvertI32S
	OpF32ConvertI32U
	OpF32ConvertI64S
	OpF32ConvertI64U
	OpF32DemoteF64
	OpF64ConvertI32S
	OpF64ConvertI32U
	OpF64ConvertI64S
	OpF64ConvertI64U
	OpF64PromoteF32
	OpI32Extend8S
	OpI32Extend16S
	OpI64Extend8S
	OpI64Extend16S
	OpI64Extend32S
	OpI32TruncSatF32S
	OpI32TruncSatF32U
	OpI32TruncSatF64S
	OpI32TruncSatF64U
	OpI64TruncSatF32S
	OpI64TruncSatF32U
	OpI64TruncSatF64S
	OpI64TruncSatF64U

	OpScalarEnd // first value past the scalar opcodes
)

// OpSIMD is the base of the SIMD opcodes: OpSIMD + the 0xFD sub-opcode.
const OpSIMD Opcode = 0x1000

// IsControl reports whether op transfers control: a branch (IsBranch),
// br_table and its entries, return or a call. Every other instruction
// either traps or goes on with the next one.
func IsControl(op Opcode) bool {
	switch op {
	case OpBrTable, OpBrTableEntry, OpReturn, OpCallLocal, OpCallImport, OpCallIndirect:
		return true
	}
	return IsBranch(op)
}
