package interp

// instr is one instruction of the internal form. Slots are indices into
// the frame (8 bytes each). The meaning of the fields depends on op:
//
//	arithmetic    a = destination, b = first operand, c = second operand
//	with constant a = destination, b = operand, imm = constant
//	branches      a = target, in bytes from the next instruction (int32);
//	              b and c (or imm) the operands
//	loads         a = destination, b = address, imm = static offset
//	stores        b = address, c = value, imm = static offset
//
// 24 bytes: op and three 32-bit operands fill 16, the 64-bit immediate
// the rest. Narrower operands would cap frames at 65536 slots.
type instr struct {
	op      opcode
	a, b, c uint32
	imm     uint64
}

//go:generate go run mkopnames.go

// opcode is an internal instruction. Scalar opcodes are dense from zero so
// that the interpreter's switch compiles to a jump table; SIMD opcodes are
// opSIMD plus the instruction's 0xFD sub-opcode and are executed out of
// line.
type opcode uint16

const (
	opUnreachable  opcode = iota
	opJmp                 // a = target
	opBrTable             // b = index slot, c = number of labels; c+1 opBrTableEntry follow
	opBrTableEntry        // a = target
	opReturn
	opCallLocal    // a = argument base slot, b = index among the functions the module defines
	opCallImport   // a = argument base slot, b = function index (an import)
	opCallIndirect // a = argument base slot, b = type index, c = element index slot, imm = table
	opMov          // a = b
	opMov128       // a:a+1 = b:b+1
	opConst        // a = imm
	opConst128     // a = imm, a+1 = uint64(c)<<32 | b
	opSelect       // a = imm-slot != 0 ? b : c
	opSelect128
	opGlobalGet // a = globals[b]
	opGlobalGet128
	opGlobalSet // globals[a] = b
	opGlobalSet128
	opGlobalSetRef
	opRefFunc      // a = reference to function b
	opGlobalGetRef // a = globals[b], a funcref
	opTableGetRef  // a = tables[imm][b], a funcref table

	// Fused branches: a = target. Conditional on a slot (b) and a slot (c)
	// or a constant (imm).
	opBrIfNez32
	opBrIfEqz32
	opBrIfNez64
	opBrIfEqz64
	opBrIfI32Eq
	opBrIfI32Ne
	opBrIfI32LtS
	opBrIfI32LtU
	opBrIfI32GtS
	opBrIfI32GtU
	opBrIfI32LeS
	opBrIfI32LeU
	opBrIfI32GeS
	opBrIfI32GeU
	opBrIfI32EqI
	opBrIfI32NeI
	opBrIfI32LtSI
	opBrIfI32LtUI
	opBrIfI32GtSI
	opBrIfI32GtUI
	opBrIfI32LeSI
	opBrIfI32LeUI
	opBrIfI32GeSI
	opBrIfI32GeUI
	opBrIfI64Eq
	opBrIfI64Ne
	opBrIfI64LtS
	opBrIfI64LtU
	opBrIfI64GtS
	opBrIfI64GtU
	opBrIfI64LeS
	opBrIfI64LeU
	opBrIfI64GeS
	opBrIfI64GeU
	opBrIfI64EqI
	opBrIfI64NeI
	opBrIfI64LtSI
	opBrIfI64LtUI
	opBrIfI64GtSI
	opBrIfI64GtUI
	opBrIfI64LeSI
	opBrIfI64LeUI
	opBrIfI64GeSI
	opBrIfI64GeUI

	// Loads: a = destination, b = address slot, imm = offset.
	opI32Load
	opI64Load
	opI32Load8S
	opI32Load8U
	opI32Load16S
	opI32Load16U
	opI64Load8S
	opI64Load8U
	opI64Load16S
	opI64Load16U
	opI64Load32S
	opI64Load32U
	// Stores: b = address slot, c = value slot, imm = offset.
	opStore32
	opStore64
	opStore8
	opStore16

	// Loads and stores with the address computation fused in. "AI":
	// address = uint32(b + uint32(imm)), static offset imm>>32. "AR":
	// address = uint32(b + c) for loads (static offset imm); for stores
	// the value is in a, so address = uint32(b + c), offset imm. "K": a
	// constant address, the effective address in imm.
	opI32LoadAI
	opI64LoadAI
	opI32Load8SAI
	opI32Load8UAI
	opI32Load16SAI
	opI32Load16UAI
	opI32LoadAR
	opI64LoadAR
	opI32Load8SAR
	opI32Load8UAR
	opI32Load16SAR
	opI32Load16UAR
	opI32LoadK
	opI64LoadK
	opI32Load8UK
	opStore32AI
	opStore64AI
	opStore8AI
	opStore16AI
	opStore32AR
	opStore64AR
	opStore8AR
	opStore16AR
	opStore32K
	opStore64K
	opStore8K
	// a = b + (c << imm), from i32.shl by a constant feeding i32.add.
	opI32AddShl

	opMemorySize // a = size in pages
	opMemoryGrow // a = grow(b)
	opMemoryInit // segment imm: copy c bytes... see exec
	opDataDrop
	opMemoryCopy
	opMemoryFill
	opTableGet
	opTableSet
	opTableSize
	opTableGrow
	opTableFill
	opTableCopy
	opTableInit
	opElemDrop

	// i32 arithmetic and comparison: a = b op c.
	opI32Add
	opI32Sub
	opI32Mul
	opI32DivS
	opI32DivU
	opI32RemS
	opI32RemU
	opI32And
	opI32Or
	opI32Xor
	opI32Shl
	opI32ShrS
	opI32ShrU
	opI32Rotl
	opI32Rotr
	opI32Eq
	opI32Ne
	opI32LtS
	opI32LtU
	opI32GtS
	opI32GtU
	opI32LeS
	opI32LeU
	opI32GeS
	opI32GeU
	// With a constant: a = b op imm.
	opI32AddI
	opI32MulI
	opI32AndI
	opI32OrI
	opI32XorI
	opI32ShlI
	opI32ShrSI
	opI32ShrUI
	opI32RotlI // rotr by k is rotl by -k
	opI32EqI
	opI32NeI
	opI32LtSI
	opI32LtUI
	opI32GtSI
	opI32GtUI
	opI32LeSI
	opI32LeUI
	opI32GeSI
	opI32GeUI

	opI64Add
	opI64Sub
	opI64Mul
	opI64DivS
	opI64DivU
	opI64RemS
	opI64RemU
	opI64And
	opI64Or
	opI64Xor
	opI64Shl
	opI64ShrS
	opI64ShrU
	opI64Rotl
	opI64Rotr
	opI64Eq
	opI64Ne
	opI64LtS
	opI64LtU
	opI64GtS
	opI64GtU
	opI64LeS
	opI64LeU
	opI64GeS
	opI64GeU
	opI64AddI
	opI64MulI
	opI64AndI
	opI64OrI
	opI64XorI
	opI64ShlI
	opI64ShrSI
	opI64ShrUI
	opI64RotlI
	opI64EqI
	opI64NeI
	opI64LtSI
	opI64LtUI
	opI64GtSI
	opI64GtUI
	opI64LeSI
	opI64LeUI
	opI64GeSI
	opI64GeUI

	opF32Add
	opF32Sub
	opF32Mul
	opF32Div
	opF32Min
	opF32Max
	opF32Copysign
	opF32Eq
	opF32Ne
	opF32Lt
	opF32Gt
	opF32Le
	opF32Ge
	opF64Add
	opF64Sub
	opF64Mul
	opF64Div
	opF64Min
	opF64Max
	opF64Copysign
	opF64Eq
	opF64Ne
	opF64Lt
	opF64Gt
	opF64Le
	opF64Ge

	// Unary: a = op b.
	opI32Eqz
	opI32Clz
	opI32Ctz
	opI32Popcnt
	opI64Eqz
	opI64Clz
	opI64Ctz
	opI64Popcnt
	opF32Abs
	opF32Neg
	opF32Ceil
	opF32Floor
	opF32Trunc
	opF32Nearest
	opF32Sqrt
	opF64Abs
	opF64Neg
	opF64Ceil
	opF64Floor
	opF64Trunc
	opF64Nearest
	opF64Sqrt
	opI32WrapI64
	opI32TruncF32S
	opI32TruncF32U
	opI32TruncF64S
	opI32TruncF64U
	opI64ExtendI32S
	opI64ExtendI32U
	opI64TruncF32S
	opI64TruncF32U
	opI64TruncF64S
	opI64TruncF64U
	opF32ConvertI32S
	opF32ConvertI32U
	opF32ConvertI64S
	opF32ConvertI64U
	opF32DemoteF64
	opF64ConvertI32S
	opF64ConvertI32U
	opF64ConvertI64S
	opF64ConvertI64U
	opF64PromoteF32
	opI32Extend8S
	opI32Extend16S
	opI64Extend8S
	opI64Extend16S
	opI64Extend32S
	opI32TruncSatF32S
	opI32TruncSatF32U
	opI32TruncSatF64S
	opI32TruncSatF64U
	opI64TruncSatF32S
	opI64TruncSatF32U
	opI64TruncSatF64S
	opI64TruncSatF64U

	opScalarEnd // first value past the scalar opcodes
)

// opSIMD is the base of the SIMD opcodes: opSIMD + the 0xFD sub-opcode.
const opSIMD opcode = 0x1000
