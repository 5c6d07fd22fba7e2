package ir

import "github.com/wasmvisor/wasmvisor/internal/wasm"

// binInfo maps a binary WebAssembly instruction to its internal forms.
type binInfo struct {
	op Opcode
	// imm is the form with a constant second operand; 0 if none.
	imm Opcode
	// swapImm is the form to use when the first operand is the constant:
	// the same operation for commutative ones, the mirrored comparison
	// for orderings (k < x is x > k); 0 if none.
	swapImm Opcode
}

var (
	binOps   = map[wasm.Opcode]binInfo{}
	unOps    = map[wasm.Opcode]Opcode{}
	loadOps  = map[wasm.Opcode]Opcode{}
	storeOps = map[wasm.Opcode]Opcode{}
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
	loadAI, loadAR, loadK    [OpScalarEnd]Opcode
	storeAI, storeAR, storeK [OpScalarEnd]Opcode
)

func init() {
	for _, f := range []struct{ op, ai, ar, k Opcode }{
		{OpI32Load, OpI32LoadAI, OpI32LoadAR, OpI32LoadK},
		{OpI64Load32U, OpI32LoadAI, OpI32LoadAR, OpI32LoadK},
		{OpI64Load, OpI64LoadAI, OpI64LoadAR, OpI64LoadK},
		{OpI32Load8S, OpI32Load8SAI, OpI32Load8SAR, 0},
		{OpI32Load8U, OpI32Load8UAI, OpI32Load8UAR, OpI32Load8UK},
		{OpI64Load8U, OpI32Load8UAI, OpI32Load8UAR, OpI32Load8UK},
		{OpI32Load16S, OpI32Load16SAI, OpI32Load16SAR, 0},
		{OpI32Load16U, OpI32Load16UAI, OpI32Load16UAR, 0},
		{OpI64Load16U, OpI32Load16UAI, OpI32Load16UAR, 0},
	} {
		loadAI[f.op], loadAR[f.op], loadK[f.op] = f.ai, f.ar, f.k
	}
	for _, f := range []struct{ op, ai, ar, k Opcode }{
		{OpStore32, OpStore32AI, OpStore32AR, OpStore32K},
		{OpStore64, OpStore64AI, OpStore64AR, OpStore64K},
		{OpStore8, OpStore8AI, OpStore8AR, OpStore8K},
		{OpStore16, OpStore16AI, OpStore16AR, 0},
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
	op   Opcode  // shapeUnary, shapeLoad, shapeStore
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
	brOf   [OpScalarEnd]Opcode
	invert [OpScalarEnd]Opcode
)

func init() {
	bin := func(w wasm.Opcode, op, imm, swapImm Opcode) { binOps[w] = binInfo{op, imm, swapImm} }
	bin(wasm.OpI32Add, OpI32Add, OpI32AddI, OpI32AddI)
	bin(wasm.OpI32Sub, OpI32Sub, 0, 0) // x - k becomes x + (-k) in the compiler
	bin(wasm.OpI32Mul, OpI32Mul, OpI32MulI, OpI32MulI)
	bin(wasm.OpI32DivS, OpI32DivS, 0, 0)
	bin(wasm.OpI32DivU, OpI32DivU, 0, 0)
	bin(wasm.OpI32RemS, OpI32RemS, 0, 0)
	bin(wasm.OpI32RemU, OpI32RemU, 0, 0)
	bin(wasm.OpI32And, OpI32And, OpI32AndI, OpI32AndI)
	bin(wasm.OpI32Or, OpI32Or, OpI32OrI, OpI32OrI)
	bin(wasm.OpI32Xor, OpI32Xor, OpI32XorI, OpI32XorI)
	bin(wasm.OpI32Shl, OpI32Shl, OpI32ShlI, 0)
	bin(wasm.OpI32ShrS, OpI32ShrS, OpI32ShrSI, 0)
	bin(wasm.OpI32ShrU, OpI32ShrU, OpI32ShrUI, 0)
	bin(wasm.OpI32Rotl, OpI32Rotl, OpI32RotlI, 0)
	bin(wasm.OpI32Rotr, OpI32Rotr, 0, 0) // by a constant: rotl, see compiler.numeric
	bin(wasm.OpI32Eq, OpI32Eq, OpI32EqI, OpI32EqI)
	bin(wasm.OpI32Ne, OpI32Ne, OpI32NeI, OpI32NeI)
	bin(wasm.OpI32LtS, OpI32LtS, OpI32LtSI, OpI32GtSI)
	bin(wasm.OpI32LtU, OpI32LtU, OpI32LtUI, OpI32GtUI)
	bin(wasm.OpI32GtS, OpI32GtS, OpI32GtSI, OpI32LtSI)
	bin(wasm.OpI32GtU, OpI32GtU, OpI32GtUI, OpI32LtUI)
	bin(wasm.OpI32LeS, OpI32LeS, OpI32LeSI, OpI32GeSI)
	bin(wasm.OpI32LeU, OpI32LeU, OpI32LeUI, OpI32GeUI)
	bin(wasm.OpI32GeS, OpI32GeS, OpI32GeSI, OpI32LeSI)
	bin(wasm.OpI32GeU, OpI32GeU, OpI32GeUI, OpI32LeUI)

	bin(wasm.OpI64Add, OpI64Add, OpI64AddI, OpI64AddI)
	bin(wasm.OpI64Sub, OpI64Sub, 0, 0)
	bin(wasm.OpI64Mul, OpI64Mul, OpI64MulI, OpI64MulI)
	bin(wasm.OpI64DivS, OpI64DivS, 0, 0)
	bin(wasm.OpI64DivU, OpI64DivU, 0, 0)
	bin(wasm.OpI64RemS, OpI64RemS, 0, 0)
	bin(wasm.OpI64RemU, OpI64RemU, 0, 0)
	bin(wasm.OpI64And, OpI64And, OpI64AndI, OpI64AndI)
	bin(wasm.OpI64Or, OpI64Or, OpI64OrI, OpI64OrI)
	bin(wasm.OpI64Xor, OpI64Xor, OpI64XorI, OpI64XorI)
	bin(wasm.OpI64Shl, OpI64Shl, OpI64ShlI, 0)
	bin(wasm.OpI64ShrS, OpI64ShrS, OpI64ShrSI, 0)
	bin(wasm.OpI64ShrU, OpI64ShrU, OpI64ShrUI, 0)
	bin(wasm.OpI64Rotl, OpI64Rotl, OpI64RotlI, 0)
	bin(wasm.OpI64Rotr, OpI64Rotr, 0, 0)
	bin(wasm.OpI64Eq, OpI64Eq, OpI64EqI, OpI64EqI)
	bin(wasm.OpI64Ne, OpI64Ne, OpI64NeI, OpI64NeI)
	bin(wasm.OpI64LtS, OpI64LtS, OpI64LtSI, OpI64GtSI)
	bin(wasm.OpI64LtU, OpI64LtU, OpI64LtUI, OpI64GtUI)
	bin(wasm.OpI64GtS, OpI64GtS, OpI64GtSI, OpI64LtSI)
	bin(wasm.OpI64GtU, OpI64GtU, OpI64GtUI, OpI64LtUI)
	bin(wasm.OpI64LeS, OpI64LeS, OpI64LeSI, OpI64GeSI)
	bin(wasm.OpI64LeU, OpI64LeU, OpI64LeUI, OpI64GeUI)
	bin(wasm.OpI64GeS, OpI64GeS, OpI64GeSI, OpI64LeSI)
	bin(wasm.OpI64GeU, OpI64GeU, OpI64GeUI, OpI64LeUI)

	for w, op := range map[wasm.Opcode]Opcode{
		wasm.OpF32Add: OpF32Add, wasm.OpF32Sub: OpF32Sub, wasm.OpF32Mul: OpF32Mul, wasm.OpF32Div: OpF32Div,
		wasm.OpF32Min: OpF32Min, wasm.OpF32Max: OpF32Max, wasm.OpF32Copysign: OpF32Copysign,
		wasm.OpF32Eq: OpF32Eq, wasm.OpF32Ne: OpF32Ne, wasm.OpF32Lt: OpF32Lt, wasm.OpF32Gt: OpF32Gt,
		wasm.OpF32Le: OpF32Le, wasm.OpF32Ge: OpF32Ge,
		wasm.OpF64Add: OpF64Add, wasm.OpF64Sub: OpF64Sub, wasm.OpF64Mul: OpF64Mul, wasm.OpF64Div: OpF64Div,
		wasm.OpF64Min: OpF64Min, wasm.OpF64Max: OpF64Max, wasm.OpF64Copysign: OpF64Copysign,
		wasm.OpF64Eq: OpF64Eq, wasm.OpF64Ne: OpF64Ne, wasm.OpF64Lt: OpF64Lt, wasm.OpF64Gt: OpF64Gt,
		wasm.OpF64Le: OpF64Le, wasm.OpF64Ge: OpF64Ge,
	} {
		bin(w, op, 0, 0)
	}

	for w, op := range map[wasm.Opcode]Opcode{
		wasm.OpI32Eqz: OpI32Eqz, wasm.OpI32Clz: OpI32Clz, wasm.OpI32Ctz: OpI32Ctz, wasm.OpI32Popcnt: OpI32Popcnt,
		wasm.OpI64Eqz: OpI64Eqz, wasm.OpI64Clz: OpI64Clz, wasm.OpI64Ctz: OpI64Ctz, wasm.OpI64Popcnt: OpI64Popcnt,
		wasm.OpF32Abs: OpF32Abs, wasm.OpF32Neg: OpF32Neg, wasm.OpF32Ceil: OpF32Ceil, wasm.OpF32Floor: OpF32Floor,
		wasm.OpF32Trunc: OpF32Trunc, wasm.OpF32Nearest: OpF32Nearest, wasm.OpF32Sqrt: OpF32Sqrt,
		wasm.OpF64Abs: OpF64Abs, wasm.OpF64Neg: OpF64Neg, wasm.OpF64Ceil: OpF64Ceil, wasm.OpF64Floor: OpF64Floor,
		wasm.OpF64Trunc: OpF64Trunc, wasm.OpF64Nearest: OpF64Nearest, wasm.OpF64Sqrt: OpF64Sqrt,
		wasm.OpI32WrapI64:      OpI32WrapI64,
		wasm.OpI32TruncF32S:    OpI32TruncF32S,
		wasm.OpI32TruncF32U:    OpI32TruncF32U,
		wasm.OpI32TruncF64S:    OpI32TruncF64S,
		wasm.OpI32TruncF64U:    OpI32TruncF64U,
		wasm.OpI64ExtendI32S:   OpI64ExtendI32S,
		wasm.OpI64TruncF32S:    OpI64TruncF32S,
		wasm.OpI64TruncF32U:    OpI64TruncF32U,
		wasm.OpI64TruncF64S:    OpI64TruncF64S,
		wasm.OpI64TruncF64U:    OpI64TruncF64U,
		wasm.OpF32ConvertI32S:  OpF32ConvertI32S,
		wasm.OpF32ConvertI32U:  OpF32ConvertI32U,
		wasm.OpF32ConvertI64S:  OpF32ConvertI64S,
		wasm.OpF32ConvertI64U:  OpF32ConvertI64U,
		wasm.OpF32DemoteF64:    OpF32DemoteF64,
		wasm.OpF64ConvertI32S:  OpF64ConvertI32S,
		wasm.OpF64ConvertI32U:  OpF64ConvertI32U,
		wasm.OpF64ConvertI64S:  OpF64ConvertI64S,
		wasm.OpF64ConvertI64U:  OpF64ConvertI64U,
		wasm.OpF64PromoteF32:   OpF64PromoteF32,
		wasm.OpI32Extend8S:     OpI32Extend8S,
		wasm.OpI32Extend16S:    OpI32Extend16S,
		wasm.OpI64Extend8S:     OpI64Extend8S,
		wasm.OpI64Extend16S:    OpI64Extend16S,
		wasm.OpI64Extend32S:    OpI64Extend32S,
		wasm.OpI32TruncSatF32S: OpI32TruncSatF32S,
		wasm.OpI32TruncSatF32U: OpI32TruncSatF32U,
		wasm.OpI32TruncSatF64S: OpI32TruncSatF64S,
		wasm.OpI32TruncSatF64U: OpI32TruncSatF64U,
		wasm.OpI64TruncSatF32S: OpI64TruncSatF32S,
		wasm.OpI64TruncSatF32U: OpI64TruncSatF32U,
		wasm.OpI64TruncSatF64S: OpI64TruncSatF64S,
		wasm.OpI64TruncSatF64U: OpI64TruncSatF64U,
		wasm.OpRefIsNull:       OpI64Eqz, // null is 0 for both reference types
	} {
		unOps[w] = op
	}

	for w, op := range map[wasm.Opcode]Opcode{
		wasm.OpI32Load: OpI32Load, wasm.OpF32Load: OpI32Load, wasm.OpI64Load: OpI64Load, wasm.OpF64Load: OpI64Load,
		wasm.OpI32Load8S: OpI32Load8S, wasm.OpI32Load8U: OpI32Load8U,
		wasm.OpI32Load16S: OpI32Load16S, wasm.OpI32Load16U: OpI32Load16U,
		wasm.OpI64Load8S: OpI64Load8S, wasm.OpI64Load8U: OpI64Load8U,
		wasm.OpI64Load16S: OpI64Load16S, wasm.OpI64Load16U: OpI64Load16U,
		wasm.OpI64Load32S: OpI64Load32S, wasm.OpI64Load32U: OpI64Load32U,
	} {
		loadOps[w] = op
	}
	for w, op := range map[wasm.Opcode]Opcode{
		wasm.OpI32Store: OpStore32, wasm.OpF32Store: OpStore32, wasm.OpI64Store32: OpStore32,
		wasm.OpI64Store: OpStore64, wasm.OpF64Store: OpStore64,
		wasm.OpI32Store8: OpStore8, wasm.OpI64Store8: OpStore8,
		wasm.OpI32Store16: OpStore16, wasm.OpI64Store16: OpStore16,
	} {
		storeOps[w] = op
	}

	cmp := func(op, br, inv Opcode) { brOf[op] = br; invert[op] = inv }
	cmp(OpI32Eq, OpBrIfI32Eq, OpI32Ne)
	cmp(OpI32Ne, OpBrIfI32Ne, OpI32Eq)
	cmp(OpI32LtS, OpBrIfI32LtS, OpI32GeS)
	cmp(OpI32LtU, OpBrIfI32LtU, OpI32GeU)
	cmp(OpI32GtS, OpBrIfI32GtS, OpI32LeS)
	cmp(OpI32GtU, OpBrIfI32GtU, OpI32LeU)
	cmp(OpI32LeS, OpBrIfI32LeS, OpI32GtS)
	cmp(OpI32LeU, OpBrIfI32LeU, OpI32GtU)
	cmp(OpI32GeS, OpBrIfI32GeS, OpI32LtS)
	cmp(OpI32GeU, OpBrIfI32GeU, OpI32LtU)
	cmp(OpI32EqI, OpBrIfI32EqI, OpI32NeI)
	cmp(OpI32NeI, OpBrIfI32NeI, OpI32EqI)
	cmp(OpI32LtSI, OpBrIfI32LtSI, OpI32GeSI)
	cmp(OpI32LtUI, OpBrIfI32LtUI, OpI32GeUI)
	cmp(OpI32GtSI, OpBrIfI32GtSI, OpI32LeSI)
	cmp(OpI32GtUI, OpBrIfI32GtUI, OpI32LeUI)
	cmp(OpI32LeSI, OpBrIfI32LeSI, OpI32GtSI)
	cmp(OpI32LeUI, OpBrIfI32LeUI, OpI32GtUI)
	cmp(OpI32GeSI, OpBrIfI32GeSI, OpI32LtSI)
	cmp(OpI32GeUI, OpBrIfI32GeUI, OpI32LtUI)
	cmp(OpI64Eq, OpBrIfI64Eq, OpI64Ne)
	cmp(OpI64Ne, OpBrIfI64Ne, OpI64Eq)
	cmp(OpI64LtS, OpBrIfI64LtS, OpI64GeS)
	cmp(OpI64LtU, OpBrIfI64LtU, OpI64GeU)
	cmp(OpI64GtS, OpBrIfI64GtS, OpI64LeS)
	cmp(OpI64GtU, OpBrIfI64GtU, OpI64LeU)
	cmp(OpI64LeS, OpBrIfI64LeS, OpI64GtS)
	cmp(OpI64LeU, OpBrIfI64LeU, OpI64GtU)
	cmp(OpI64GeS, OpBrIfI64GeS, OpI64LtS)
	cmp(OpI64GeU, OpBrIfI64GeU, OpI64LtU)
	cmp(OpI64EqI, OpBrIfI64EqI, OpI64NeI)
	cmp(OpI64NeI, OpBrIfI64NeI, OpI64EqI)
	cmp(OpI64LtSI, OpBrIfI64LtSI, OpI64GeSI)
	cmp(OpI64LtUI, OpBrIfI64LtUI, OpI64GeUI)
	cmp(OpI64GtSI, OpBrIfI64GtSI, OpI64LeSI)
	cmp(OpI64GtUI, OpBrIfI64GtUI, OpI64LeUI)
	cmp(OpI64LeSI, OpBrIfI64LeSI, OpI64GtSI)
	cmp(OpI64LeUI, OpBrIfI64LeUI, OpI64GtUI)
	cmp(OpI64GeSI, OpBrIfI64GeSI, OpI64LtSI)
	cmp(OpI64GeUI, OpBrIfI64GeUI, OpI64LtUI)
	// eqz x is "x == 0": branch on it directly, and its negation is nez.
	cmp(OpI32Eqz, OpBrIfEqz32, OpScalarEnd)
	cmp(OpI64Eqz, OpBrIfEqz64, OpScalarEnd)
	buildShapes()
}
