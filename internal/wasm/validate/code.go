package validate

import (
	"sort"

	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// unknown is the operand type that the polymorphic stack yields after
// unreachable, br, br_table and return: it matches every type.
const unknown wasm.ValueType = 0

// denseLocals is the most locals that are expanded into one type per
// local; beyond it (a hostile declaration of millions of locals) they are
// looked up by binary search in the compressed groups.
const denseLocals = 1 << 14

// singleType holds a one-element slice per value type, so that block
// types [t] need no allocation.
var singleType [256][]wasm.ValueType

func init() {
	for _, t := range []wasm.ValueType{wasm.ValueTypeI32, wasm.ValueTypeI64, wasm.ValueTypeF32,
		wasm.ValueTypeF64, wasm.ValueTypeV128, wasm.ValueTypeFuncref, wasm.ValueTypeExternref} {
		singleType[t] = []wasm.ValueType{t}
	}
}

// ctrlFrame is an entry of the control stack.
// See https://www.w3.org/TR/wasm-core-2/#algo-valid
type ctrlFrame struct {
	op          wasm.Opcode // block, loop, if, else; block for the function itself
	fn          bool        // the function's own frame
	params      []wasm.ValueType
	results     []wasm.ValueType
	height      int  // operand stack height at entry
	unreachable bool // the rest of the block is dead code: the stack is polymorphic
}

// labelTypes are the operand types a branch to the frame carries.
func (f *ctrlFrame) labelTypes() []wasm.ValueType {
	if f.op == wasm.OpLoop {
		return f.params
	}
	return f.results
}

func (f *ctrlFrame) name() string {
	switch {
	case f.fn:
		return "function"
	case f.op == wasm.OpElse:
		return "if"
	}
	return f.op.String()
}

// function validates the body of function idx, of type ft.
// See https://www.w3.org/TR/wasm-core-2/#valid-func
func (v *validator) function(idx uint32, ft *wasm.FuncType, code *wasm.Code) error {
	v.fn = int64(idx)
	v.r.Reset(code.Body, code.BodyOffset)
	if err := v.setLocals(ft, code); err != nil {
		return err
	}
	v.results = ft.Results
	v.vals = v.vals[:0]
	v.ctrls = append(v.ctrls[:0], ctrlFrame{op: wasm.OpBlock, fn: true, results: ft.Results})
	for len(v.ctrls) > 0 {
		if v.r.EOF() {
			return errMissingEnd(&v.r)
		}
		if err := v.r.Next(&v.in); err != nil {
			return err
		}
		if err := v.instr(); err != nil {
			return err
		}
	}
	if !v.r.EOF() {
		return errTrailing(&v.r)
	}
	return nil
}

// setLocals prepares local lookups for one function after the policy
// checks of its size, before anything is expanded.
func (v *validator) setLocals(ft *wasm.FuncType, code *wasm.Code) error {
	p := v.p
	total := uint64(len(ft.Params))
	for _, g := range code.Locals {
		total += uint64(g.Count)
	}
	// The location is formatted only for an error: it quotes the
	// function's name, which would cost more than validating a small body.
	locLazy := func() Location {
		loc := v.loc(false)
		loc.Offset = code.BodyOffset
		return loc
	}
	if size := uint64(len(code.Body)); !p.MaxFunctionSize.Allows(size) {
		return p.limit(locLazy(), p.MaxFunctionSize, size, "body size", "byte", "max-function-size")
	}
	if !p.MaxLocals.Allows(total) {
		return p.limit(locLazy(), p.MaxLocals, total, "number of locals (parameters included)", "", "max-locals")
	}
	v.numLocals = total
	v.locals = append(v.locals[:0], ft.Params...)
	v.sparse = total > denseLocals
	v.groupEnds, v.groupTypes = v.groupEnds[:0], v.groupTypes[:0]
	end := uint64(0)
	for _, g := range code.Locals {
		if err := v.valueType(locLazy, g.Type); err != nil {
			return err
		}
		if v.sparse {
			end += uint64(g.Count)
			v.groupEnds = append(v.groupEnds, end)
			v.groupTypes = append(v.groupTypes, g.Type)
			continue
		}
		for j := uint32(0); j < g.Count; j++ {
			v.locals = append(v.locals, g.Type)
		}
	}
	return nil
}

// localType returns the type of local idx.
func (v *validator) localType(idx uint32) (wasm.ValueType, bool) {
	if uint64(idx) < uint64(len(v.locals)) {
		return v.locals[idx], true
	}
	if !v.sparse || uint64(idx) >= v.numLocals {
		return 0, false
	}
	rel := uint64(idx) - uint64(len(v.locals))
	g := sort.Search(len(v.groupEnds), func(i int) bool { return v.groupEnds[i] > rel })
	return v.groupTypes[g], true
}

func (v *validator) push(t wasm.ValueType) { v.vals = append(v.vals, t) }

func (v *validator) pushAll(ts []wasm.ValueType) {
	if len(ts) == 1 { // most results: appending a slice calls memmove
		v.vals = append(v.vals, ts[0])
		return
	}
	v.vals = append(v.vals, ts...)
}

// popAny pops an operand of any type; unknown on the polymorphic stack.
func (v *validator) popAny() (wasm.ValueType, error) {
	f := &v.ctrls[len(v.ctrls)-1]
	n := len(v.vals)
	if n == f.height {
		if f.unreachable {
			return unknown, nil
		}
		return 0, v.errorf("type mismatch: expected an operand, but the stack is empty")
	}
	t := v.vals[n-1]
	v.vals = v.vals[:n-1]
	return t, nil
}

// pop pops an operand that must have type want.
func (v *validator) pop(want wasm.ValueType) error {
	f := &v.ctrls[len(v.ctrls)-1]
	n := len(v.vals)
	if n == f.height {
		if f.unreachable {
			return nil
		}
		return v.errorf("type mismatch: expected %s, but the stack is empty", want)
	}
	got := v.vals[n-1]
	v.vals = v.vals[:n-1]
	if got != want && got != unknown {
		return v.errorf("type mismatch: expected %s, got %s", want, got)
	}
	return nil
}

// popAll pops operands of types ts (the last one first).
func (v *validator) popAll(ts []wasm.ValueType) error {
	for i := len(ts) - 1; i >= 0; i-- {
		if err := v.pop(ts[i]); err != nil {
			return err
		}
	}
	return nil
}

func (v *validator) pushCtrl(op wasm.Opcode, params, results []wasm.ValueType) {
	v.ctrls = append(v.ctrls, ctrlFrame{op: op, params: params, results: results, height: len(v.vals)})
	v.pushAll(params)
}

// popCtrl checks that the innermost block left exactly its results and
// pops it.
func (v *validator) popCtrl() (ctrlFrame, error) {
	f := v.ctrls[len(v.ctrls)-1]
	if err := v.popAll(f.results); err != nil {
		return f, err
	}
	if extra := len(v.vals) - f.height; extra != 0 {
		return f, v.errorf("type mismatch: %s leaves %d extra %s on the stack", f.name(), extra, pluralWord(extra, "value"))
	}
	v.ctrls = v.ctrls[:len(v.ctrls)-1]
	return f, nil
}

func pluralWord(n int, w string) string {
	if n == 1 {
		return w
	}
	return w + "s"
}

// setUnreachable makes the rest of the innermost block dead code.
func (v *validator) setUnreachable() {
	f := &v.ctrls[len(v.ctrls)-1]
	v.vals = v.vals[:f.height]
	f.unreachable = true
}

// label returns the frame that branch depth l targets.
func (v *validator) label(l uint32) (*ctrlFrame, error) {
	if uint64(l) >= uint64(len(v.ctrls)) {
		return nil, v.errorf("unknown label %d", l)
	}
	return &v.ctrls[len(v.ctrls)-1-int(l)], nil
}

// blockType resolves the type immediate of block, loop and if.
// See https://www.w3.org/TR/wasm-core-2/#valid-blocktype
func (v *validator) blockType() (params, results []wasm.ValueType, err error) {
	bt := &v.in.Block
	switch bt.Kind {
	case wasm.BlockValue:
		if err := v.valueType(v.instrLoc, bt.Value); err != nil {
			return nil, nil, err
		}
		return nil, singleType[bt.Value], nil
	case wasm.BlockTypeIndex:
		if bt.TypeIndex >= uint32(len(v.m.Types)) {
			return nil, nil, v.errorf("unknown type %d", bt.TypeIndex)
		}
		ft := &v.m.Types[bt.TypeIndex]
		if (len(ft.Params) > 0 || len(ft.Results) > 1) && !v.p.Enabled(MultiValue) {
			return nil, nil, v.p.featureError(v.loc(true), MultiValue, "a block type with parameters or several results")
		}
		return ft.Params, ft.Results, nil
	}
	return nil, nil, nil
}

func (v *validator) instrLoc() Location { return v.loc(true) }

// memory checks that the module has memory 0, which every memory
// instruction of 2.0 uses.
func (v *validator) memory() error {
	if v.m.NumMemories() == 0 {
		return v.errorf("unknown memory 0")
	}
	return nil
}

// memarg checks a load's or store's memory and alignment.
// See https://www.w3.org/TR/wasm-core-2/#valid-instr-memory
func (v *validator) memarg() error {
	if err := v.memory(); err != nil {
		return err
	}
	if natural := accessLog2(v.in.Op); v.in.Align > natural {
		return v.errorf("alignment must not be larger than natural: 2^%d for a %d-byte access", v.in.Align, 1<<natural)
	}
	return nil
}

// table returns the type of table idx.
func (v *validator) table(idx uint32) (wasm.TableType, error) {
	tt, ok := v.m.TableType(idx)
	if !ok {
		return tt, v.errorf("unknown table %d", idx)
	}
	return tt, nil
}

// elemType returns the reference type of element segment idx.
func (v *validator) elemType(idx uint32) (wasm.ValueType, error) {
	if idx >= uint32(len(v.m.Elems)) {
		return 0, v.errorf("unknown elem segment %d", idx)
	}
	return v.m.Elems[idx].Type, nil
}

// dataIndex checks a data segment index of memory.init or data.drop,
// which is malformed without a data count section: a one-pass compiler
// must know the number of segments before it reads the code.
func (v *validator) dataIndex(idx uint32) error {
	if !v.m.HasDataCount {
		return errDataCount(&v.r, &v.in)
	}
	if idx >= v.m.DataCount {
		return v.errorf("unknown data segment %d", idx)
	}
	return nil
}

// instr validates the instruction in v.in.
// See https://www.w3.org/TR/wasm-core-2/#valid-instr
func (v *validator) instr() error {
	// The instructions most code is made of (locals, constants,
	// numeric instructions, loads and stores) are checked here, before
	// the general switch, whose frame cost more than they do.
	op := v.in.Op
	switch {
	case op >= wasm.OpLocalGet && op <= wasm.OpLocalTee:
		return v.local(op)
	case v.p.Disabled != 0 && opFeature(op) != 0:
	case op >= wasm.OpI32Const && op <= wasm.OpI64Extend32S:
		return v.signature(op)
	case op >= wasm.OpI32Load && op <= wasm.OpI64Store32:
		if err := v.memarg(); err != nil {
			return err
		}
		return v.signature(op)
	}
	return v.anyInstr()
}

// local validates local.get, local.set or local.tee.
func (v *validator) local(op wasm.Opcode) error {
	t, ok := v.localType(v.in.Index)
	if !ok {
		return v.errorf("unknown local %d", v.in.Index)
	}
	if op != wasm.OpLocalGet {
		if err := v.pop(t); err != nil {
			return err
		}
	}
	if op != wasm.OpLocalSet {
		v.push(t)
	}
	return nil
}

// signature pops op's parameters and pushes its results: all there is
// to validating an instruction with a fixed operand signature, once its
// immediates are checked.
func (v *validator) signature(op wasm.Opcode) error {
	sig := op.Signature()
	if sig == nil {
		return v.errorf("instruction not supported by the validator")
	}
	// Operands of the right types above the block's height, as almost
	// always: replaced by the results at once. Anything else (too few,
	// an unknown type, a mismatch) takes popAll, which says what is wrong.
	ps, n := sig.Params, len(v.vals)
	if k := n - len(ps); k >= v.ctrls[len(v.ctrls)-1].height && sameTypes(v.vals[k:], ps) {
		v.vals = v.vals[:k]
		v.pushAll(sig.Results)
		return nil
	}
	if err := v.popAll(ps); err != nil {
		return err
	}
	v.pushAll(sig.Results)
	return nil
}

// anyInstr is instr for every instruction.
func (v *validator) anyInstr() error {
	m := v.m
	in := &v.in
	op := in.Op
	if v.p.Disabled != 0 {
		if f := opFeature(op); f != 0 && !v.p.Enabled(f) {
			return v.p.featureError(v.loc(true), f, op.String())
		}
	}
	switch op {
	case wasm.OpUnreachable:
		v.setUnreachable()
		return nil
	case wasm.OpNop:
		return nil
	case wasm.OpBlock, wasm.OpLoop, wasm.OpIf:
		params, results, err := v.blockType()
		if err != nil {
			return err
		}
		if op == wasm.OpIf {
			if err := v.pop(wasm.ValueTypeI32); err != nil {
				return err
			}
		}
		if err := v.popAll(params); err != nil {
			return err
		}
		v.pushCtrl(op, params, results)
		return nil
	case wasm.OpElse:
		if v.ctrls[len(v.ctrls)-1].op != wasm.OpIf {
			return errElse(&v.r, in)
		}
		f, err := v.popCtrl()
		if err != nil {
			return err
		}
		v.pushCtrl(wasm.OpElse, f.params, f.results)
		return nil
	case wasm.OpEnd:
		f, err := v.popCtrl()
		if err != nil {
			return err
		}
		if f.op == wasm.OpIf && !sameTypes(f.params, f.results) {
			// Without else, the else branch is empty: it must turn the
			// parameters into the results by doing nothing.
			return v.errorf("type mismatch: if without else must have the same parameters and results, has %s -> %s",
				typeList(f.params), typeList(f.results))
		}
		v.pushAll(f.results)
		return nil
	case wasm.OpBr:
		f, err := v.label(in.Index)
		if err != nil {
			return err
		}
		if err := v.popAll(f.labelTypes()); err != nil {
			return err
		}
		v.setUnreachable()
		return nil
	case wasm.OpBrIf:
		f, err := v.label(in.Index)
		if err != nil {
			return err
		}
		if err := v.pop(wasm.ValueTypeI32); err != nil {
			return err
		}
		lt := f.labelTypes()
		if err := v.popAll(lt); err != nil {
			return err
		}
		v.pushAll(lt)
		return nil
	case wasm.OpBrTable:
		return v.brTable()
	case wasm.OpReturn:
		if err := v.popAll(v.results); err != nil {
			return err
		}
		v.setUnreachable()
		return nil
	case wasm.OpCall:
		ft := m.FuncType(in.Index)
		if ft == nil {
			return v.errorf("unknown function %d", in.Index)
		}
		return v.call(ft)
	case wasm.OpCallIndirect:
		tt, err := v.table(in.Index2)
		if err != nil {
			return err
		}
		if in.Index2 != 0 && !v.p.Enabled(ReferenceTypes) {
			return v.p.featureError(v.loc(true), ReferenceTypes, "call_indirect through a table other than 0")
		}
		if in.Index >= uint32(len(m.Types)) {
			return v.errorf("unknown type %d", in.Index)
		}
		if tt.ElemType != wasm.ValueTypeFuncref {
			return v.errorf("type mismatch: call_indirect needs a funcref table, table %d holds %s", in.Index2, tt.ElemType)
		}
		if err := v.pop(wasm.ValueTypeI32); err != nil {
			return err
		}
		return v.call(&m.Types[in.Index])
	case wasm.OpDrop:
		_, err := v.popAny()
		return err
	case wasm.OpSelect:
		return v.selectUntyped()
	case wasm.OpSelectT:
		if len(in.Types) != 1 {
			return v.errorf("invalid result arity: select takes one type, got %d", len(in.Types))
		}
		t := in.Types[0]
		if err := v.valueType(v.instrLoc, t); err != nil {
			return err
		}
		if err := v.pop(wasm.ValueTypeI32); err != nil {
			return err
		}
		if err := v.pop(t); err != nil {
			return err
		}
		if err := v.pop(t); err != nil {
			return err
		}
		v.push(t)
		return nil
	case wasm.OpLocalGet, wasm.OpLocalSet, wasm.OpLocalTee:
		return v.local(op)
	case wasm.OpGlobalGet, wasm.OpGlobalSet:
		gt, ok := m.GlobalType(in.Index)
		if !ok {
			return v.errorf("unknown global %d", in.Index)
		}
		if op == wasm.OpGlobalGet {
			v.push(gt.ValType)
			return nil
		}
		if !gt.Mutable {
			return v.errorf("global is immutable: global %d", in.Index)
		}
		return v.pop(gt.ValType)
	case wasm.OpTableGet, wasm.OpTableSet, wasm.OpTableGrow, wasm.OpTableFill:
		tt, err := v.table(in.Index)
		if err != nil {
			return err
		}
		return v.tableAccess(op, tt.ElemType)
	case wasm.OpRefNull:
		v.push(in.RefType)
		return nil
	case wasm.OpRefIsNull:
		t, err := v.popAny()
		if err != nil {
			return err
		}
		if t != unknown && !t.IsRef() {
			return v.errorf("type mismatch: expected a reference, got %s", t)
		}
		v.push(wasm.ValueTypeI32)
		return nil
	case wasm.OpRefFunc:
		if in.Index >= m.NumFuncs() {
			return v.errorf("unknown function %d", in.Index)
		}
		if !v.isDeclared(in.Index) {
			return v.errorf("undeclared function reference: function %d is not named in an element segment, export or global initializer", in.Index)
		}
		v.push(wasm.ValueTypeFuncref)
		return nil
	case wasm.OpMemoryInit:
		if err := v.memory(); err != nil {
			return err
		}
		if err := v.dataIndex(in.Index); err != nil {
			return err
		}
	case wasm.OpDataDrop:
		if err := v.dataIndex(in.Index); err != nil {
			return err
		}
	case wasm.OpMemoryCopy, wasm.OpMemoryFill, wasm.OpMemorySize, wasm.OpMemoryGrow:
		if err := v.memory(); err != nil {
			return err
		}
	case wasm.OpTableInit:
		tt, err := v.table(in.Index2)
		if err != nil {
			return err
		}
		et, err := v.elemType(in.Index)
		if err != nil {
			return err
		}
		if in.Index2 != 0 && !v.p.Enabled(ReferenceTypes) {
			return v.p.featureError(v.loc(true), ReferenceTypes, "table.init of a table other than 0")
		}
		if et != tt.ElemType {
			return v.errorf("type mismatch: elem segment %d of %s cannot initialize table %d of %s", in.Index, et, in.Index2, tt.ElemType)
		}
	case wasm.OpElemDrop:
		if _, err := v.elemType(in.Index); err != nil {
			return err
		}
	case wasm.OpTableCopy:
		dst, err := v.table(in.Index)
		if err != nil {
			return err
		}
		src, err := v.table(in.Index2)
		if err != nil {
			return err
		}
		if (in.Index != 0 || in.Index2 != 0) && !v.p.Enabled(ReferenceTypes) {
			return v.p.featureError(v.loc(true), ReferenceTypes, "table.copy between tables other than 0")
		}
		if dst.ElemType != src.ElemType {
			return v.errorf("type mismatch: table.copy from table %d of %s to table %d of %s", in.Index2, src.ElemType, in.Index, dst.ElemType)
		}
	case wasm.OpTableSize:
		if _, err := v.table(in.Index); err != nil {
			return err
		}
	case wasm.OpI8x16Shuffle:
		for _, l := range in.V128 {
			if l >= 32 {
				return v.errorf("invalid lane index %d: i8x16.shuffle selects from 32 lanes", l)
			}
		}
	default:
		switch op.Imm() {
		case wasm.ImmMemArg:
			if err := v.memarg(); err != nil {
				return err
			}
		case wasm.ImmMemArgLane:
			if err := v.memarg(); err != nil {
				return err
			}
			if n := 16 >> accessLog2(op); in.Lane >= byte(n) {
				return v.errorf("invalid lane index %d: %s has %d lanes", in.Lane, op, n)
			}
		case wasm.ImmLane:
			if n := laneCount(op); in.Lane >= n {
				return v.errorf("invalid lane index %d: %s has %d lanes", in.Lane, op, n)
			}
		}
	}
	// Everything that reaches here has a fixed operand signature.
	return v.signature(op)
}

// call pops the parameters of ft and pushes its results.
func (v *validator) call(ft *wasm.FuncType) error {
	if err := v.popAll(ft.Params); err != nil {
		return err
	}
	v.pushAll(ft.Results)
	return nil
}

// selectUntyped validates select without a type immediate, which 2.0
// allows only for numeric and vector operands, so that an engine never
// has to know the type of a reference it selects.
func (v *validator) selectUntyped() error {
	if err := v.pop(wasm.ValueTypeI32); err != nil {
		return err
	}
	t1, err := v.popAny()
	if err != nil {
		return err
	}
	t2, err := v.popAny()
	if err != nil {
		return err
	}
	if t1.IsRef() || t2.IsRef() {
		return v.errorf("type mismatch: select without a type needs numeric or vector operands, got %s", typeList([]wasm.ValueType{t2, t1}))
	}
	if t1 != t2 && t1 != unknown && t2 != unknown {
		return v.errorf("type mismatch: select operands differ: %s and %s", t2, t1)
	}
	if t1 == unknown {
		t1 = t2
	}
	v.push(t1)
	return nil
}

// brTable validates br_table: every target must take the same number of
// operands, and the operands must match each target's types.
func (v *validator) brTable() error {
	in := &v.in
	if err := v.pop(wasm.ValueTypeI32); err != nil {
		return err
	}
	def, err := v.label(in.Index)
	if err != nil {
		return err
	}
	arity := len(def.labelTypes())
	for _, l := range in.Labels {
		f, err := v.label(l)
		if err != nil {
			return err
		}
		lt := f.labelTypes()
		if len(lt) != arity {
			return v.errorf("type mismatch: br_table target %d takes %d operands, the default target %d takes %d", l, len(lt), in.Index, arity)
		}
		// Pop and push back what was popped: on the polymorphic stack
		// unknown operands must stay unknown for the next target.
		base := len(v.vals) - len(lt)
		if h := v.ctrls[len(v.ctrls)-1].height; base < h {
			base = h
		}
		v.scratch = append(v.scratch[:0], v.vals[base:]...)
		if err := v.popAll(lt); err != nil {
			return err
		}
		v.pushBack(lt)
	}
	if err := v.popAll(def.labelTypes()); err != nil {
		return err
	}
	v.setUnreachable()
	return nil
}

// pushBack restores the operands that popAll(lt) just took: the values
// saved in v.scratch, preceded by unknowns for those the polymorphic
// stack supplied.
func (v *validator) pushBack(lt []wasm.ValueType) {
	for i := len(v.scratch); i < len(lt); i++ {
		v.push(unknown)
	}
	v.pushAll(v.scratch)
}

// tableAccess types table.get, table.set, table.grow and table.fill on a
// table of reference type rt.
func (v *validator) tableAccess(op wasm.Opcode, rt wasm.ValueType) error {
	i32 := wasm.ValueTypeI32
	switch op {
	case wasm.OpTableGet: // [i32] -> [rt]
		if err := v.pop(i32); err != nil {
			return err
		}
		v.push(rt)
		return nil
	case wasm.OpTableSet: // [i32 rt] -> []
		if err := v.pop(rt); err != nil {
			return err
		}
		return v.pop(i32)
	case wasm.OpTableGrow: // [rt i32] -> [i32]
		if err := v.pop(i32); err != nil {
			return err
		}
		if err := v.pop(rt); err != nil {
			return err
		}
		v.push(i32)
		return nil
	}
	// table.fill: [i32 rt i32] -> []
	if err := v.pop(i32); err != nil {
		return err
	}
	if err := v.pop(rt); err != nil {
		return err
	}
	return v.pop(i32)
}

func sameTypes(a, b []wasm.ValueType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// accessLog2 is log2 of the bytes a memory instruction accesses, which is
// the largest alignment exponent it may declare.
func accessLog2(op wasm.Opcode) uint32 {
	switch op {
	case wasm.OpI32Load8S, wasm.OpI32Load8U, wasm.OpI64Load8S, wasm.OpI64Load8U,
		wasm.OpI32Store8, wasm.OpI64Store8, wasm.OpV128Load8Splat,
		wasm.OpV128Load8Lane, wasm.OpV128Store8Lane:
		return 0
	case wasm.OpI32Load16S, wasm.OpI32Load16U, wasm.OpI64Load16S, wasm.OpI64Load16U,
		wasm.OpI32Store16, wasm.OpI64Store16, wasm.OpV128Load16Splat,
		wasm.OpV128Load16Lane, wasm.OpV128Store16Lane:
		return 1
	case wasm.OpI32Load, wasm.OpF32Load, wasm.OpI64Load32S, wasm.OpI64Load32U,
		wasm.OpI32Store, wasm.OpF32Store, wasm.OpI64Store32, wasm.OpV128Load32Splat,
		wasm.OpV128Load32Zero, wasm.OpV128Load32Lane, wasm.OpV128Store32Lane:
		return 2
	case wasm.OpI64Load, wasm.OpF64Load, wasm.OpI64Store, wasm.OpF64Store,
		wasm.OpV128Load8x8S, wasm.OpV128Load8x8U, wasm.OpV128Load16x4S, wasm.OpV128Load16x4U,
		wasm.OpV128Load32x2S, wasm.OpV128Load32x2U, wasm.OpV128Load64Splat,
		wasm.OpV128Load64Zero, wasm.OpV128Load64Lane, wasm.OpV128Store64Lane:
		return 3
	}
	return 4 // v128.load, v128.store
}

// laneCount is the number of lanes of the shape an extract_lane or
// replace_lane instruction works on.
func laneCount(op wasm.Opcode) byte {
	switch op {
	case wasm.OpI8x16ExtractLaneS, wasm.OpI8x16ExtractLaneU, wasm.OpI8x16ReplaceLane:
		return 16
	case wasm.OpI16x8ExtractLaneS, wasm.OpI16x8ExtractLaneU, wasm.OpI16x8ReplaceLane:
		return 8
	case wasm.OpI32x4ExtractLane, wasm.OpI32x4ReplaceLane, wasm.OpF32x4ExtractLane, wasm.OpF32x4ReplaceLane:
		return 4
	}
	return 2 // i64x2, f64x2
}

// opFeature is the feature that introduced op, or 0 for 1.0 instructions.
func opFeature(op wasm.Opcode) Features {
	switch {
	case op>>8 == 0xfd:
		return SIMD
	case op >= wasm.OpI32TruncSatF32S && op <= wasm.OpI64TruncSatF64U:
		return SaturatingConversions
	case op >= wasm.OpMemoryInit && op <= wasm.OpTableCopy:
		return BulkMemory
	case op >= wasm.OpTableGrow && op <= wasm.OpTableFill,
		op == wasm.OpTableGet, op == wasm.OpTableSet, op == wasm.OpSelectT,
		op == wasm.OpRefNull, op == wasm.OpRefIsNull, op == wasm.OpRefFunc:
		return ReferenceTypes
	case op >= wasm.OpI32Extend8S && op <= wasm.OpI64Extend32S:
		return SignExtension
	}
	return 0
}
