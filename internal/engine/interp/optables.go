package interp

import "github.com/wasmvisor/wasmvisor/internal/wasm"

// binInfo maps a binary WebAssembly instruction to its internal forms.
type binInfo struct {
	op opcode
	// imm is the form with a constant second operand; 0 if none.
	imm opcode
	// swapImm is the form to use when the first operand is the constant:
	// the same operation for commutative ones, the mirrored comparison
	// for orderings (k < x is x > k); 0 if none.
	swapImm opcode
}

var (
	binOps   = map[wasm.Opcode]binInfo{}
	unOps    = map[wasm.Opcode]opcode{}
	loadOps  = map[wasm.Opcode]opcode{}
	storeOps = map[wasm.Opcode]opcode{}
	// retypeOps reinterpret their operand: the slot's bits already are
	// the result (i32 values are kept zero-extended, floats as bits).
	retypeOps = map[wasm.Opcode]bool{
		wasm.OpI32ReinterpretF32: true, wasm.OpF32ReinterpretI32: true,
		wasm.OpI64ReinterpretF64: true, wasm.OpF64ReinterpretI64: true,
		wasm.OpI64ExtendI32U: true,
	}
)

// Fused address forms of loads and stores (see ops.go); 0 where a form
// does not exist.
var (
	loadAI, loadAR, loadK    [opScalarEnd]opcode
	storeAI, storeAR, storeK [opScalarEnd]opcode
)

func init() {
	for _, f := range []struct{ op, ai, ar, k opcode }{
		{opI32Load, opI32LoadAI, opI32LoadAR, opI32LoadK},
		{opI64Load32U, opI32LoadAI, opI32LoadAR, opI32LoadK},
		{opI64Load, opI64LoadAI, opI64LoadAR, opI64LoadK},
		{opI32Load8S, opI32Load8SAI, opI32Load8SAR, 0},
		{opI32Load8U, opI32Load8UAI, opI32Load8UAR, opI32Load8UK},
		{opI64Load8U, opI32Load8UAI, opI32Load8UAR, opI32Load8UK},
		{opI32Load16S, opI32Load16SAI, opI32Load16SAR, 0},
		{opI32Load16U, opI32Load16UAI, opI32Load16UAR, 0},
		{opI64Load16U, opI32Load16UAI, opI32Load16UAR, 0},
	} {
		loadAI[f.op], loadAR[f.op], loadK[f.op] = f.ai, f.ar, f.k
	}
	for _, f := range []struct{ op, ai, ar, k opcode }{
		{opStore32, opStore32AI, opStore32AR, opStore32K},
		{opStore64, opStore64AI, opStore64AR, opStore64K},
		{opStore8, opStore8AI, opStore8AR, opStore8K},
		{opStore16, opStore16AI, opStore16AR, 0},
	} {
		storeAI[f.op], storeAR[f.op], storeK[f.op] = f.ai, f.ar, f.k
	}
}

// shape says how the compiler translates an instruction with a fixed
// signature; the maps above are folded into one dense table of shapes,
// indexed like the opcode table, so that compiling an instruction costs
// an array index rather than several map lookups.
type shape struct {
	kind shapeKind
	bin  binInfo // shapeBinary
	op   opcode  // shapeUnary, shapeLoad, shapeStore
}

type shapeKind uint8

const (
	shapeOther shapeKind = iota
	shapeBinary
	shapeUnary
	shapeRetype
	shapeLoad
	shapeStore
)

var shapes [3 * 256]shape

// shapeIndex maps an opcode to its entry in shapes: single-byte opcodes,
// then the 0xFC and 0xFD prefixed ones. Other prefixes share entry 0
// (unreachable), whose shape is shapeOther.
func shapeIndex(op wasm.Opcode) int {
	switch op >> 8 {
	case 0:
		return int(op)
	case 0xfc:
		return 256 + int(op&0xff)
	case 0xfd:
		return 512 + int(op&0xff)
	}
	return 0
}

// buildShapes fills shapes once the maps are built.
func buildShapes() {
	for w, b := range binOps {
		shapes[shapeIndex(w)] = shape{kind: shapeBinary, bin: b}
	}
	for w, op := range unOps {
		shapes[shapeIndex(w)] = shape{kind: shapeUnary, op: op}
	}
	for w := range retypeOps {
		shapes[shapeIndex(w)] = shape{kind: shapeRetype}
	}
	for w, op := range loadOps {
		shapes[shapeIndex(w)] = shape{kind: shapeLoad, op: op}
	}
	for w, op := range storeOps {
		shapes[shapeIndex(w)] = shape{kind: shapeStore, op: op}
	}
}

// brOf maps a comparison (or eqz) to the branch taken when it holds;
// invert maps an integer comparison to its negation.
var (
	brOf   [opScalarEnd]opcode
	invert [opScalarEnd]opcode
)

func init() {
	bin := func(w wasm.Opcode, op, imm, swapImm opcode) { binOps[w] = binInfo{op, imm, swapImm} }
	bin(wasm.OpI32Add, opI32Add, opI32AddI, opI32AddI)
	bin(wasm.OpI32Sub, opI32Sub, 0, 0) // x - k becomes x + (-k) in the compiler
	bin(wasm.OpI32Mul, opI32Mul, opI32MulI, opI32MulI)
	bin(wasm.OpI32DivS, opI32DivS, 0, 0)
	bin(wasm.OpI32DivU, opI32DivU, 0, 0)
	bin(wasm.OpI32RemS, opI32RemS, 0, 0)
	bin(wasm.OpI32RemU, opI32RemU, 0, 0)
	bin(wasm.OpI32And, opI32And, opI32AndI, opI32AndI)
	bin(wasm.OpI32Or, opI32Or, opI32OrI, opI32OrI)
	bin(wasm.OpI32Xor, opI32Xor, opI32XorI, opI32XorI)
	bin(wasm.OpI32Shl, opI32Shl, opI32ShlI, 0)
	bin(wasm.OpI32ShrS, opI32ShrS, opI32ShrSI, 0)
	bin(wasm.OpI32ShrU, opI32ShrU, opI32ShrUI, 0)
	bin(wasm.OpI32Rotl, opI32Rotl, opI32RotlI, 0)
	bin(wasm.OpI32Rotr, opI32Rotr, 0, 0) // by a constant: rotl, see compiler.numeric
	bin(wasm.OpI32Eq, opI32Eq, opI32EqI, opI32EqI)
	bin(wasm.OpI32Ne, opI32Ne, opI32NeI, opI32NeI)
	bin(wasm.OpI32LtS, opI32LtS, opI32LtSI, opI32GtSI)
	bin(wasm.OpI32LtU, opI32LtU, opI32LtUI, opI32GtUI)
	bin(wasm.OpI32GtS, opI32GtS, opI32GtSI, opI32LtSI)
	bin(wasm.OpI32GtU, opI32GtU, opI32GtUI, opI32LtUI)
	bin(wasm.OpI32LeS, opI32LeS, opI32LeSI, opI32GeSI)
	bin(wasm.OpI32LeU, opI32LeU, opI32LeUI, opI32GeUI)
	bin(wasm.OpI32GeS, opI32GeS, opI32GeSI, opI32LeSI)
	bin(wasm.OpI32GeU, opI32GeU, opI32GeUI, opI32LeUI)

	bin(wasm.OpI64Add, opI64Add, opI64AddI, opI64AddI)
	bin(wasm.OpI64Sub, opI64Sub, 0, 0)
	bin(wasm.OpI64Mul, opI64Mul, opI64MulI, opI64MulI)
	bin(wasm.OpI64DivS, opI64DivS, 0, 0)
	bin(wasm.OpI64DivU, opI64DivU, 0, 0)
	bin(wasm.OpI64RemS, opI64RemS, 0, 0)
	bin(wasm.OpI64RemU, opI64RemU, 0, 0)
	bin(wasm.OpI64And, opI64And, opI64AndI, opI64AndI)
	bin(wasm.OpI64Or, opI64Or, opI64OrI, opI64OrI)
	bin(wasm.OpI64Xor, opI64Xor, opI64XorI, opI64XorI)
	bin(wasm.OpI64Shl, opI64Shl, opI64ShlI, 0)
	bin(wasm.OpI64ShrS, opI64ShrS, opI64ShrSI, 0)
	bin(wasm.OpI64ShrU, opI64ShrU, opI64ShrUI, 0)
	bin(wasm.OpI64Rotl, opI64Rotl, opI64RotlI, 0)
	bin(wasm.OpI64Rotr, opI64Rotr, 0, 0)
	bin(wasm.OpI64Eq, opI64Eq, opI64EqI, opI64EqI)
	bin(wasm.OpI64Ne, opI64Ne, opI64NeI, opI64NeI)
	bin(wasm.OpI64LtS, opI64LtS, opI64LtSI, opI64GtSI)
	bin(wasm.OpI64LtU, opI64LtU, opI64LtUI, opI64GtUI)
	bin(wasm.OpI64GtS, opI64GtS, opI64GtSI, opI64LtSI)
	bin(wasm.OpI64GtU, opI64GtU, opI64GtUI, opI64LtUI)
	bin(wasm.OpI64LeS, opI64LeS, opI64LeSI, opI64GeSI)
	bin(wasm.OpI64LeU, opI64LeU, opI64LeUI, opI64GeUI)
	bin(wasm.OpI64GeS, opI64GeS, opI64GeSI, opI64LeSI)
	bin(wasm.OpI64GeU, opI64GeU, opI64GeUI, opI64LeUI)

	for w, op := range map[wasm.Opcode]opcode{
		wasm.OpF32Add: opF32Add, wasm.OpF32Sub: opF32Sub, wasm.OpF32Mul: opF32Mul, wasm.OpF32Div: opF32Div,
		wasm.OpF32Min: opF32Min, wasm.OpF32Max: opF32Max, wasm.OpF32Copysign: opF32Copysign,
		wasm.OpF32Eq: opF32Eq, wasm.OpF32Ne: opF32Ne, wasm.OpF32Lt: opF32Lt, wasm.OpF32Gt: opF32Gt,
		wasm.OpF32Le: opF32Le, wasm.OpF32Ge: opF32Ge,
		wasm.OpF64Add: opF64Add, wasm.OpF64Sub: opF64Sub, wasm.OpF64Mul: opF64Mul, wasm.OpF64Div: opF64Div,
		wasm.OpF64Min: opF64Min, wasm.OpF64Max: opF64Max, wasm.OpF64Copysign: opF64Copysign,
		wasm.OpF64Eq: opF64Eq, wasm.OpF64Ne: opF64Ne, wasm.OpF64Lt: opF64Lt, wasm.OpF64Gt: opF64Gt,
		wasm.OpF64Le: opF64Le, wasm.OpF64Ge: opF64Ge,
	} {
		bin(w, op, 0, 0)
	}

	for w, op := range map[wasm.Opcode]opcode{
		wasm.OpI32Eqz: opI32Eqz, wasm.OpI32Clz: opI32Clz, wasm.OpI32Ctz: opI32Ctz, wasm.OpI32Popcnt: opI32Popcnt,
		wasm.OpI64Eqz: opI64Eqz, wasm.OpI64Clz: opI64Clz, wasm.OpI64Ctz: opI64Ctz, wasm.OpI64Popcnt: opI64Popcnt,
		wasm.OpF32Abs: opF32Abs, wasm.OpF32Neg: opF32Neg, wasm.OpF32Ceil: opF32Ceil, wasm.OpF32Floor: opF32Floor,
		wasm.OpF32Trunc: opF32Trunc, wasm.OpF32Nearest: opF32Nearest, wasm.OpF32Sqrt: opF32Sqrt,
		wasm.OpF64Abs: opF64Abs, wasm.OpF64Neg: opF64Neg, wasm.OpF64Ceil: opF64Ceil, wasm.OpF64Floor: opF64Floor,
		wasm.OpF64Trunc: opF64Trunc, wasm.OpF64Nearest: opF64Nearest, wasm.OpF64Sqrt: opF64Sqrt,
		wasm.OpI32WrapI64:      opI32WrapI64,
		wasm.OpI32TruncF32S:    opI32TruncF32S,
		wasm.OpI32TruncF32U:    opI32TruncF32U,
		wasm.OpI32TruncF64S:    opI32TruncF64S,
		wasm.OpI32TruncF64U:    opI32TruncF64U,
		wasm.OpI64ExtendI32S:   opI64ExtendI32S,
		wasm.OpI64TruncF32S:    opI64TruncF32S,
		wasm.OpI64TruncF32U:    opI64TruncF32U,
		wasm.OpI64TruncF64S:    opI64TruncF64S,
		wasm.OpI64TruncF64U:    opI64TruncF64U,
		wasm.OpF32ConvertI32S:  opF32ConvertI32S,
		wasm.OpF32ConvertI32U:  opF32ConvertI32U,
		wasm.OpF32ConvertI64S:  opF32ConvertI64S,
		wasm.OpF32ConvertI64U:  opF32ConvertI64U,
		wasm.OpF32DemoteF64:    opF32DemoteF64,
		wasm.OpF64ConvertI32S:  opF64ConvertI32S,
		wasm.OpF64ConvertI32U:  opF64ConvertI32U,
		wasm.OpF64ConvertI64S:  opF64ConvertI64S,
		wasm.OpF64ConvertI64U:  opF64ConvertI64U,
		wasm.OpF64PromoteF32:   opF64PromoteF32,
		wasm.OpI32Extend8S:     opI32Extend8S,
		wasm.OpI32Extend16S:    opI32Extend16S,
		wasm.OpI64Extend8S:     opI64Extend8S,
		wasm.OpI64Extend16S:    opI64Extend16S,
		wasm.OpI64Extend32S:    opI64Extend32S,
		wasm.OpI32TruncSatF32S: opI32TruncSatF32S,
		wasm.OpI32TruncSatF32U: opI32TruncSatF32U,
		wasm.OpI32TruncSatF64S: opI32TruncSatF64S,
		wasm.OpI32TruncSatF64U: opI32TruncSatF64U,
		wasm.OpI64TruncSatF32S: opI64TruncSatF32S,
		wasm.OpI64TruncSatF32U: opI64TruncSatF32U,
		wasm.OpI64TruncSatF64S: opI64TruncSatF64S,
		wasm.OpI64TruncSatF64U: opI64TruncSatF64U,
		wasm.OpRefIsNull:       opI64Eqz, // null is 0 for both reference types
	} {
		unOps[w] = op
	}

	for w, op := range map[wasm.Opcode]opcode{
		wasm.OpI32Load: opI32Load, wasm.OpF32Load: opI32Load, wasm.OpI64Load: opI64Load, wasm.OpF64Load: opI64Load,
		wasm.OpI32Load8S: opI32Load8S, wasm.OpI32Load8U: opI32Load8U,
		wasm.OpI32Load16S: opI32Load16S, wasm.OpI32Load16U: opI32Load16U,
		wasm.OpI64Load8S: opI64Load8S, wasm.OpI64Load8U: opI64Load8U,
		wasm.OpI64Load16S: opI64Load16S, wasm.OpI64Load16U: opI64Load16U,
		wasm.OpI64Load32S: opI64Load32S, wasm.OpI64Load32U: opI64Load32U,
	} {
		loadOps[w] = op
	}
	for w, op := range map[wasm.Opcode]opcode{
		wasm.OpI32Store: opStore32, wasm.OpF32Store: opStore32, wasm.OpI64Store32: opStore32,
		wasm.OpI64Store: opStore64, wasm.OpF64Store: opStore64,
		wasm.OpI32Store8: opStore8, wasm.OpI64Store8: opStore8,
		wasm.OpI32Store16: opStore16, wasm.OpI64Store16: opStore16,
	} {
		storeOps[w] = op
	}

	cmp := func(op, br, inv opcode) { brOf[op] = br; invert[op] = inv }
	cmp(opI32Eq, opBrIfI32Eq, opI32Ne)
	cmp(opI32Ne, opBrIfI32Ne, opI32Eq)
	cmp(opI32LtS, opBrIfI32LtS, opI32GeS)
	cmp(opI32LtU, opBrIfI32LtU, opI32GeU)
	cmp(opI32GtS, opBrIfI32GtS, opI32LeS)
	cmp(opI32GtU, opBrIfI32GtU, opI32LeU)
	cmp(opI32LeS, opBrIfI32LeS, opI32GtS)
	cmp(opI32LeU, opBrIfI32LeU, opI32GtU)
	cmp(opI32GeS, opBrIfI32GeS, opI32LtS)
	cmp(opI32GeU, opBrIfI32GeU, opI32LtU)
	cmp(opI32EqI, opBrIfI32EqI, opI32NeI)
	cmp(opI32NeI, opBrIfI32NeI, opI32EqI)
	cmp(opI32LtSI, opBrIfI32LtSI, opI32GeSI)
	cmp(opI32LtUI, opBrIfI32LtUI, opI32GeUI)
	cmp(opI32GtSI, opBrIfI32GtSI, opI32LeSI)
	cmp(opI32GtUI, opBrIfI32GtUI, opI32LeUI)
	cmp(opI32LeSI, opBrIfI32LeSI, opI32GtSI)
	cmp(opI32LeUI, opBrIfI32LeUI, opI32GtUI)
	cmp(opI32GeSI, opBrIfI32GeSI, opI32LtSI)
	cmp(opI32GeUI, opBrIfI32GeUI, opI32LtUI)
	cmp(opI64Eq, opBrIfI64Eq, opI64Ne)
	cmp(opI64Ne, opBrIfI64Ne, opI64Eq)
	cmp(opI64LtS, opBrIfI64LtS, opI64GeS)
	cmp(opI64LtU, opBrIfI64LtU, opI64GeU)
	cmp(opI64GtS, opBrIfI64GtS, opI64LeS)
	cmp(opI64GtU, opBrIfI64GtU, opI64LeU)
	cmp(opI64LeS, opBrIfI64LeS, opI64GtS)
	cmp(opI64LeU, opBrIfI64LeU, opI64GtU)
	cmp(opI64GeS, opBrIfI64GeS, opI64LtS)
	cmp(opI64GeU, opBrIfI64GeU, opI64LtU)
	cmp(opI64EqI, opBrIfI64EqI, opI64NeI)
	cmp(opI64NeI, opBrIfI64NeI, opI64EqI)
	cmp(opI64LtSI, opBrIfI64LtSI, opI64GeSI)
	cmp(opI64LtUI, opBrIfI64LtUI, opI64GeUI)
	cmp(opI64GtSI, opBrIfI64GtSI, opI64LeSI)
	cmp(opI64GtUI, opBrIfI64GtUI, opI64LeUI)
	cmp(opI64LeSI, opBrIfI64LeSI, opI64GtSI)
	cmp(opI64LeUI, opBrIfI64LeUI, opI64GtUI)
	cmp(opI64GeSI, opBrIfI64GeSI, opI64LtSI)
	cmp(opI64GeUI, opBrIfI64GeUI, opI64LtUI)
	// eqz x is "x == 0": branch on it directly, and its negation is nez.
	cmp(opI32Eqz, opBrIfEqz32, opScalarEnd)
	cmp(opI64Eqz, opBrIfEqz64, opScalarEnd)
	buildShapes()
}
