package ir

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// Module is the slot form of a module's code.
type Module struct {
	// Funcs are the functions the module defines, in order: Funcs[i] is
	// function NumImported+i of the module's function index space.
	Funcs       []*Func
	NumImported uint32 // imported functions
}

// Func is the slot form of one function body, shared by every instance of
// its module. Its frame is FrameSlots slots: ParamSlots of parameters
// (filled by the caller, and where the results are left on return),
// LocalSlots of declared locals (zeroed on entry), then the operand
// stack.
type Func struct {
	// Module is the module Func belongs to; nil for a function
	// translated alone by CompileFunc.
	Module *Module
	Code   []Instr
	// Offsets[i] is the module offset of the WebAssembly instruction that
	// Code[i] came from, for backtraces.
	Offsets []uint32
	// Shuffles holds the lane immediates of i8x16.shuffle instructions.
	Shuffles [][16]byte
	// ParamSlots are filled by the caller; LocalSlots more are zeroed on
	// entry; FrameSlots is the whole frame, operand slots included.
	ParamSlots, LocalSlots, FrameSlots uint32
	FuncIndex                          uint32 // in the module's function index space

	// A Func of a module from Lazy is translated on first use: lazy is
	// where from, state says whether it was (funcReady) or failed
	// (funcFailed, err says why).
	lazy  *lazySource
	state uint32
	err   error
}

const (
	funcPending = iota
	funcReady
	funcFailed
)

// Ready reports whether f is translated: its fields other than Module and
// FuncIndex may be used. Every Func but one of Lazy's is.
func (f *Func) Ready() bool { return atomic.LoadUint32(&f.state) == funcReady || f.lazy == nil }

// Translate translates f if it is not yet, and returns the translator's
// error, if it failed (a bug: m was valid). Safe for concurrent use.
func (f *Func) Translate() error {
	if f.Ready() {
		return nil
	}
	src := f.lazy
	src.mu.Lock()
	defer src.mu.Unlock()
	switch atomic.LoadUint32(&f.state) {
	case funcReady:
		return nil
	case funcFailed:
		return f.err
	}
	if src.c == nil {
		src.c = newCompiler(src.m)
	}
	g, err := src.c.compileSafely(int(f.FuncIndex - src.m.NumImportedFuncs()))
	if err != nil {
		f.err = err
		atomic.StoreUint32(&f.state, funcFailed)
		return err
	}
	f.Code, f.Offsets, f.Shuffles = g.Code, g.Offsets, g.Shuffles
	f.ParamSlots, f.LocalSlots, f.FrameSlots = g.ParamSlots, g.LocalSlots, g.FrameSlots
	// Stored last: a reader that sees funcReady sees the fields above.
	atomic.StoreUint32(&f.state, funcReady)
	return nil
}

// lazySource translates the functions of one module on demand, one at a
// time, with one translator.
type lazySource struct {
	m  *wasm.Module
	mu sync.Mutex
	c  *compiler
}

// Lazy returns m's functions untranslated: each is translated by its
// first Translate, so that the functions of a large module that never
// run cost neither time nor memory (most of a compiler's, in one run).
// m must be valid and must not change.
func Lazy(m *wasm.Module) *Module {
	mod := &Module{Funcs: make([]*Func, len(m.Codes)), NumImported: m.NumImportedFuncs()}
	src := &lazySource{m: m}
	fns := make([]Func, len(m.Codes))
	for i := range fns {
		fns[i] = Func{Module: mod, FuncIndex: mod.NumImported + uint32(i), lazy: src}
		mod.Funcs[i] = &fns[i]
	}
	return mod
}

// MaxFrameSlots bounds the frame of one function (parameters, locals and
// operand stack) at 8 MiB. Real code stays far below; the bound keeps a
// hostile declaration of billions of locals from sizing anything.
const MaxFrameSlots = 1 << 20

// Compile translates every function m defines, on up to GOMAXPROCS
// goroutines. m must be valid. A panic in the translator (a bug) is
// returned as an *api.Trap of kind api.TrapInternal.
func Compile(m *wasm.Module) (*Module, error) {
	n := len(m.Codes)
	if n != len(m.Funcs) {
		return nil, fmt.Errorf("%d function bodies for %d functions", n, len(m.Funcs))
	}
	mod := &Module{Funcs: make([]*Func, n), NumImported: m.NumImportedFuncs()}
	errs := make([]error, n)
	spread(m, Workers(m, runtime.GOMAXPROCS(0)), func() func(c *compiler, i int) bool {
		return func(c *compiler, i int) bool {
			mod.Funcs[i], errs[i] = c.compileSafely(i)
			if mod.Funcs[i] != nil {
				mod.Funcs[i].Module = mod
			}
			return true
		}
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return mod, nil
}

// EachOn translates every function m defines on up to workers
// goroutines (see Workers), the caller's among them, and hands each
// result to yield on the goroutine that translated it, as soon as it is
// done. Each goroutine calls newYield once, on itself, for the yield it
// uses, so that a consumer keeps its workspace per goroutine:
// translation and what the consumer makes of it (machine code) then both
// run on every CPU. Nothing is kept after yield returns (the Func and its slices
// are reused), and the Funcs have no Module. The first error, from the
// translator or from a yield, stops the work and is returned; stopped,
// where not nil, is called when it happens, so that a yield that waits
// for another goroutine's result can stop waiting.
func EachOn(m *wasm.Module, workers int, newYield func() func(i int, f *Func) error, stopped func()) error {
	if n := len(m.Codes); n != len(m.Funcs) {
		return fmt.Errorf("%d function bodies for %d functions", n, len(m.Funcs))
	}
	var (
		stop  atomic.Bool
		mu    sync.Mutex
		first error
	)
	spread(m, workers, func() func(c *compiler, i int) bool {
		yield := newYield()
		return func(c *compiler, i int) bool {
			if stop.Load() {
				return false
			}
			f, err := c.compileSafely(i)
			if err == nil {
				err = yield(i, f)
				c.spare = f
			}
			if err != nil {
				mu.Lock()
				isFirst := first == nil
				if isFirst {
					first = err
				}
				mu.Unlock()
				stop.Store(true)
				if isFirst && stopped != nil {
					stopped()
				}
				return false
			}
			return true
		}
	})
	return first
}

// Workers is how many of cpus goroutines are worth translating m's
// functions on: a goroutine for every 64 functions at most, since small
// modules are not worth one.
func Workers(m *wasm.Module, cpus int) int {
	return max(1, min(cpus, 1+len(m.Codes)/64))
}

// spread runs work for every function m defines on up to workers
// goroutines (the caller's among them), each with a translator of its
// own and the work function newWork made for it. work returning false
// stops the goroutine that ran it.
func spread(m *wasm.Module, workers int, newWork func() func(c *compiler, i int) bool) {
	n := len(m.Codes)
	workers = max(1, min(workers, n))
	var next atomic.Int64
	run := func() {
		c := newCompiler(m)
		work := newWork()
		for {
			i := int(next.Add(1) - 1)
			if i >= n || !work(c, i) {
				return
			}
		}
	}
	var wg sync.WaitGroup
	for range workers - 1 {
		wg.Go(run)
	}
	run()
	wg.Wait()
}

// compileSafely translates the i-th function m defines. A panic (a
// compiler bug) becomes an error: it may run on a goroutine of its own,
// where nothing else could recover it.
func (c *compiler) compileSafely(i int) (fn *Func, err error) {
	defer func() {
		if r := recover(); r != nil {
			fn, err = nil, compilerPanic(r)
			c.reset()
		}
	}()
	return c.compile(c.m.NumImportedFuncs()+uint32(i), &c.m.Codes[i])
}

// CompileFunc translates function fidx of m, which m defines, alone: the
// result's Module is nil. m must be valid.
func CompileFunc(m *wasm.Module, fidx uint32) (*Func, error) {
	n := m.NumImportedFuncs()
	if fidx < n || fidx-n >= uint32(len(m.Codes)) {
		return nil, fmt.Errorf("function %d is not defined by the module", fidx)
	}
	return newCompiler(m).compileSafely(int(fidx - n))
}

// compilerPanic reports a compiler bug as an internal trap, with the
// stack where it happened.
func compilerPanic(r any) error {
	buf := make([]byte, 4096)
	buf = buf[:runtime.Stack(buf, false)]
	return &api.Trap{Kind: api.TrapInternal, Detail: fmt.Sprintf("compiling: %v\n%s", r, buf)}
}

// scratchSlot stands for the frame's scratch slot (one past the operand
// stack) until the frame size is known.
const scratchSlot = ^uint32(0)

type opndKind uint8

const (
	kTemp  opndKind = iota // in its natural slot
	kLocal                 // still in a local's slot
	kConst                 // a constant not yet written anywhere
)

// opnd is an entry of the compile-time operand stack. It has four
// fields, kind and type together in one, because the Go compiler keeps a
// struct of at most four in registers: with five, every operand popped
// went through memory, in copies that stalled on the stores before
// them.
type opnd struct {
	opndClass
	nat  uint32 // natural slot: where the entry lives once materialized
	slot uint32 // where it is now, for kTemp and kLocal
	val  uint64 // kConst
}

// opndClass is what an operand is and its type.
type opndClass struct {
	kind opndKind
	typ  wasm.ValueType
}

type ctrlKind uint8

const (
	ctrlBlock ctrlKind = iota
	ctrlLoop
	ctrlIf
	ctrlFunc
)

// ctrl is a control frame: a block, loop, if or the function body.
type ctrl struct {
	kind     ctrlKind
	stackLen int    // operand entries below the frame's params
	height   uint32 // natural slot of the first param / result
	params   []wasm.ValueType
	results  []wasm.ValueType
	start    int   // loop: index of the first instruction
	fixups   []int // instructions that branch to the end
	elseFix  int   // if: the branch to the else arm, or -1
	// unreachable: the rest of the current arm can never execute.
	unreachable bool
	// dead: the whole frame is inside unreachable code; nothing is
	// emitted for it.
	dead bool
}

func (f *ctrl) labelTypes() []wasm.ValueType {
	if f.kind == ctrlLoop {
		return f.params
	}
	return f.results
}

// compiler translates function bodies of one module. It is reused across
// functions to keep allocation per function low.
type compiler struct {
	m  *wasm.Module
	fn *Func
	// spare, when set, is a Func its consumer is done with, whose
	// buffers the next translation reuses (see EachOn). A pool shared
	// by the workers was emptied by every collection, and the Funcs
	// grew again from nothing.
	spare  *Func
	stack  []opnd
	ctrls  []ctrl
	height uint32 // next free natural slot
	maxH   uint32
	// locals[i] is the slot of local i; ltypes[i] its type.
	locals []uint32
	ltypes []wasm.ValueType
	// last is the index of the last instruction when its destination is
	// the top operand's natural slot and may be rewritten, else -1.
	last        int
	off         uint32 // module offset of the instruction being compiled
	r           wasm.Reader
	in          wasm.Instr
	err         error
	usedScratch bool
	moves       []pmove
	// localRefs are the stack positions of the kLocal operands, in
	// ascending order.
	localRefs []int
}

func newCompiler(m *wasm.Module) *compiler {
	return &compiler{m: m}
}

// newFunc returns an empty Func for function fidx, reusing the spare
// one's buffers when there is one.
func (c *compiler) newFunc(fidx uint32) *Func {
	if f := c.spare; f != nil {
		c.spare = nil
		*f = Func{Code: f.Code[:0], Offsets: f.Offsets[:0], Shuffles: f.Shuffles[:0], FuncIndex: fidx}
		return f
	}
	return &Func{FuncIndex: fidx}
}

// reset drops the state of a compilation that was abandoned.
func (c *compiler) reset() {
	*c = compiler{m: c.m}
}

func slotsOf(ts []wasm.ValueType) uint32 {
	n := uint32(0)
	for _, t := range ts {
		n += uint32(t.Slots())
	}
	return n
}

// compile translates the body of function fidx, whose code is body.
func (c *compiler) compile(fidx uint32, body *wasm.Code) (*Func, error) {
	sig := c.m.FuncType(fidx)
	if sig == nil {
		return nil, fmt.Errorf("function %d: unknown type", fidx)
	}
	nlocals := uint64(len(sig.Params)) + body.NumLocals
	if nlocals > MaxFrameSlots {
		return nil, fmt.Errorf("function %d: %d locals exceed the limit of %d", fidx, nlocals, MaxFrameSlots)
	}
	c.fn = c.newFunc(fidx)
	c.stack, c.ctrls, c.localRefs = c.stack[:0], c.ctrls[:0], c.localRefs[:0]
	c.locals, c.ltypes = c.locals[:0], c.ltypes[:0]
	c.err, c.usedScratch = nil, false
	slot := uint32(0)
	for _, t := range sig.Params {
		c.locals, c.ltypes = append(c.locals, slot), append(c.ltypes, t)
		slot += uint32(t.Slots())
	}
	c.fn.ParamSlots = slot
	for _, g := range body.Locals {
		for i := uint32(0); i < g.Count; i++ {
			c.locals, c.ltypes = append(c.locals, slot), append(c.ltypes, g.Type)
			slot += uint32(g.Type.Slots())
		}
	}
	c.fn.LocalSlots = slot - c.fn.ParamSlots
	c.height, c.maxH = slot, slot
	c.last = -1
	c.pushCtrl(ctrl{kind: ctrlFunc, results: sig.Results, elseFix: -1})

	c.r.Reset(body.Body, body.BodyOffset)
	for len(c.ctrls) > 0 && c.err == nil {
		if err := c.r.Next(&c.in); err != nil {
			return nil, fmt.Errorf("function %d: %w", fidx, err)
		}
		c.off = uint32(body.BodyOffset + uint64(c.in.Pos))
		c.instr(&c.in)
	}
	if c.err != nil {
		return nil, fmt.Errorf("function %d at offset 0x%x: %w", fidx, c.off, c.err)
	}
	if !c.r.EOF() {
		return nil, fmt.Errorf("function %d: instructions after the final end", fidx)
	}
	c.emit(Instr{Op: OpUnreachable}) // so that no instruction pointer runs off the code
	for j := range c.fn.Code {
		if in := &c.fn.Code[j]; IsBranch(in.Op) {
			in.A = uint32(int32(int(in.A)-(j+1)) * int32(InstrSize))
		}
	}
	frame := c.maxH
	if c.usedScratch {
		for i := range c.fn.Code {
			in := &c.fn.Code[i]
			if in.Op == OpMov && in.A == scratchSlot {
				in.A = frame
			}
			if in.Op == OpMov && in.B == scratchSlot {
				in.B = frame
			}
		}
		frame++
	}
	if frame > MaxFrameSlots {
		return nil, fmt.Errorf("function %d: frame of %d slots exceeds the limit of %d", fidx, frame, MaxFrameSlots)
	}
	c.fn.FrameSlots = frame
	fn := c.fn
	c.fn = nil
	return fn, nil
}

// IsBranch reports whether op's field A is a branch target (see
// Instr.Target).
func IsBranch(op Opcode) bool {
	return op == OpJmp || op == OpBrTableEntry || op >= OpBrIfNez32 && op <= OpBrIfI64GeUI
}

func (c *compiler) fail(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf(format, args...)
	}
}

func (c *compiler) emit(in Instr) int {
	c.fn.Code = append(c.fn.Code, in)
	c.fn.Offsets = append(c.fn.Offsets, c.off)
	c.last = -1
	return len(c.fn.Code) - 1
}

// emitResult emits an instruction whose destination (field a) is the
// natural slot of the operand just pushed, and which reads all its
// sources before writing it: a following local.set may redirect it.
func (c *compiler) emitResult(in Instr) {
	c.last = c.emit(in)
}

// push adds a temporary of type t and returns its natural slot.
func (c *compiler) push(t wasm.ValueType) uint32 {
	s := c.height
	c.stack = append(c.stack, opnd{opndClass: opndClass{kTemp, t}, nat: s, slot: s})
	c.height += uint32(t.Slots())
	if c.height > c.maxH {
		c.maxH = c.height
	}
	return s
}

// maxLocalRefs bounds how many operands may still read their local's
// slot. Each local.set looks at all of them, so the bound keeps
// compilation linear for code that piles up thousands of local.gets.
const maxLocalRefs = 32

func (c *compiler) pushLocal(t wasm.ValueType, slot uint32) {
	if len(c.localRefs) == maxLocalRefs {
		c.materialize(c.localRefs[0])
	}
	c.push(t)
	top := &c.stack[len(c.stack)-1]
	top.kind, top.slot = kLocal, slot
	c.localRefs = append(c.localRefs, len(c.stack)-1)
}

// repush puts back an operand just popped, unchanged (local.tee).
func (c *compiler) repush(o opnd) {
	if o.kind == kLocal {
		c.pushLocal(o.typ, o.slot)
		return
	}
	c.push(o.typ)
	c.stack[len(c.stack)-1] = o
}

// truncate drops the operands above the first n.
func (c *compiler) truncate(n int) {
	c.stack = c.stack[:n]
	for len(c.localRefs) > 0 && c.localRefs[len(c.localRefs)-1] >= n {
		c.localRefs = c.localRefs[:len(c.localRefs)-1]
	}
}

func (c *compiler) pushConst(t wasm.ValueType, v uint64) {
	c.push(t)
	top := &c.stack[len(c.stack)-1]
	top.kind, top.val = kConst, v
}

func (c *compiler) pop() opnd {
	f := &c.ctrls[len(c.ctrls)-1]
	if len(c.stack) <= f.stackLen {
		c.fail("operand stack underflow")
		return opnd{opndClass: opndClass{kTemp, wasm.ValueTypeI32}, nat: c.height, slot: c.height}
	}
	o := c.stack[len(c.stack)-1]
	c.truncate(len(c.stack) - 1)
	c.height = o.nat
	return o
}

// use returns a slot holding o's value, writing a constant to o's
// natural slot first. o must have been popped, so that slot is free.
func (c *compiler) use(o opnd) uint32 {
	if o.kind == kConst {
		c.emit(Instr{Op: OpConst, A: o.nat, Imm: o.val})
		return o.nat
	}
	return o.slot
}

// materialize moves stack entry i into its natural slot.
func (c *compiler) materialize(i int) {
	o := &c.stack[i]
	switch o.kind {
	case kLocal:
		for k, p := range c.localRefs {
			if p == i {
				c.localRefs = append(c.localRefs[:k], c.localRefs[k+1:]...)
				break
			}
		}
		if o.typ == wasm.ValueTypeV128 {
			c.emit(Instr{Op: OpMov128, A: o.nat, B: o.slot})
		} else {
			c.emit(Instr{Op: OpMov, A: o.nat, B: o.slot})
		}
	case kConst:
		c.emit(Instr{Op: OpConst, A: o.nat, Imm: o.val})
	default:
		return
	}
	o.kind, o.slot = kTemp, o.nat
}

// preserveLocal materializes every entry that still reads local slot ls,
// before the local changes. It reports whether it emitted anything.
func (c *compiler) preserveLocal(ls uint32) bool {
	emitted := false
	for k := 0; k < len(c.localRefs); {
		if i := c.localRefs[k]; c.stack[i].slot == ls {
			c.materialize(i) // removes localRefs[k]
			emitted = true
			continue
		}
		k++
	}
	return emitted
}

func (c *compiler) blockSig(bt wasm.BlockType) (params, results []wasm.ValueType) {
	switch bt.Kind {
	case wasm.BlockValue:
		return nil, []wasm.ValueType{bt.Value}
	case wasm.BlockTypeIndex:
		if bt.TypeIndex >= uint32(len(c.m.Types)) {
			c.fail("unknown type %d", bt.TypeIndex)
			return nil, nil
		}
		ft := &c.m.Types[bt.TypeIndex]
		return ft.Params, ft.Results
	}
	return nil, nil
}

func (c *compiler) top() *ctrl { return &c.ctrls[len(c.ctrls)-1] }

// setUnreachable marks the rest of the current arm dead.
func (c *compiler) setUnreachable() {
	f := c.top()
	f.unreachable = true
	c.truncate(f.stackLen)
	c.height = c.stackHeight()
}

// stackHeight is the slot height of the current operand stack.
func (c *compiler) stackHeight() uint32 {
	if n := len(c.stack); n > 0 {
		o := c.stack[n-1]
		return o.nat + uint32(o.typ.Slots())
	}
	return c.fn.ParamSlots + c.fn.LocalSlots
}

// enter opens a block, loop or if frame: entries below it stop reading
// locals (the block may set them, on some paths only) and its params
// move to their natural slots, where every path into the block puts them.
func (c *compiler) enter(kind ctrlKind, bt wasm.BlockType) *ctrl {
	params, results := c.blockSig(bt)
	if len(c.stack)-c.top().stackLen < len(params) {
		c.fail("operand stack underflow")
		return c.top()
	}
	for len(c.localRefs) > 0 {
		c.materialize(c.localRefs[0])
	}
	for i := len(c.stack) - len(params); i < len(c.stack); i++ {
		c.materialize(i)
	}
	f := ctrl{kind: kind, stackLen: len(c.stack) - len(params), params: params, results: results, elseFix: -1}
	f.height = c.height - slotsOf(params)
	if kind == ctrlLoop {
		f.start = len(c.fn.Code)
		c.last = -1
	}
	return c.pushCtrl(f)
}

// pushCtrl pushes f with the fixups buffer that the last frame popped
// from the same depth left behind: blocks come and go by the million,
// and each branching one grew a buffer of its own.
func (c *compiler) pushCtrl(f ctrl) *ctrl {
	n := len(c.ctrls)
	if n < cap(c.ctrls) {
		f.fixups = c.ctrls[:n+1][n].fixups[:0]
	}
	c.ctrls = append(c.ctrls, f)
	return &c.ctrls[n]
}

// pmove is one slot-to-slot (or constant-to-slot) move of a branch.
type pmove struct {
	dst, src uint32
	isConst  bool
	val      uint64
}

// branchMoves lists the moves that put the label values of target into
// its slots.
func (c *compiler) branchMoves(target *ctrl) []pmove {
	types := target.labelTypes()
	n := len(types)
	c.moves = c.moves[:0]
	if len(c.stack) < n {
		c.fail("operand stack underflow")
		return nil
	}
	dst := target.height
	if target.kind == ctrlFunc {
		dst = 0
	}
	for _, o := range c.stack[len(c.stack)-n:] {
		w := uint32(o.typ.Slots())
		switch {
		case o.kind == kConst:
			c.moves = append(c.moves, pmove{dst: dst, isConst: true, val: o.val})
		case o.slot != dst:
			for k := uint32(0); k < w; k++ {
				c.moves = append(c.moves, pmove{dst: dst + k, src: o.slot + k})
			}
		}
		dst += w
	}
	return c.moves
}

// emitMoves performs moves as a parallel assignment: no destination is
// written while another move still has to read it, and a cycle goes
// through the scratch slot. A move becomes ready when the last reader of
// its destination has been emitted, so the work is linear in the number
// of moves.
func (c *compiler) emitMoves(ms []pmove) {
	var pending, consts []pmove
	for _, mv := range ms {
		if mv.isConst {
			consts = append(consts, mv)
		} else if mv.dst != mv.src {
			pending = append(pending, mv)
		}
	}
	if len(pending) == 1 {
		c.emit(Instr{Op: OpMov, A: pending[0].dst, B: pending[0].src})
	} else if len(pending) > 1 {
		readers := make(map[uint32][]int, len(pending)) // slot -> moves reading it
		writer := make(map[uint32]int, len(pending))    // slot -> the move writing it
		for i, mv := range pending {
			readers[mv.src] = append(readers[mv.src], i)
			writer[mv.dst] = i
		}
		left := make(map[uint32]int, len(pending)) // slot -> pending readers
		for s, r := range readers {
			left[s] = len(r)
		}
		done := make([]bool, len(pending))
		var ready []int
		for i, mv := range pending {
			if left[mv.dst] == 0 {
				ready = append(ready, i)
			}
		}
		next := 0 // scan position for a move still pending, to break a cycle
		for remaining := len(pending); remaining > 0; {
			for len(ready) > 0 {
				i := ready[len(ready)-1]
				ready = ready[:len(ready)-1]
				mv := pending[i]
				c.emit(Instr{Op: OpMov, A: mv.dst, B: mv.src})
				done[i] = true
				remaining--
				if left[mv.src]--; left[mv.src] == 0 {
					if j, ok := writer[mv.src]; ok && !done[j] {
						ready = append(ready, j)
					}
				}
			}
			if remaining == 0 {
				break
			}
			// Only cycles are left: keep one destination's old value in
			// the scratch slot and let its readers read that instead.
			for done[next] {
				next++
			}
			d := pending[next].dst
			c.emit(Instr{Op: OpMov, A: scratchSlot, B: d})
			c.usedScratch = true
			for _, j := range readers[d] {
				pending[j].src = scratchSlot
			}
			left[d] = 0
			ready = append(ready, next)
		}
	}
	for _, mv := range consts {
		c.emit(Instr{Op: OpConst, A: mv.dst, Imm: mv.val})
	}
}

// jumpTo emits an unconditional jump to target's label.
func (c *compiler) jumpTo(target *ctrl) {
	if target.kind == ctrlFunc {
		c.emit(Instr{Op: OpReturn})
		return
	}
	j := c.emit(Instr{Op: OpJmp})
	c.setTarget(j, target)
}

// setTarget points branch j at target's label: a loop's start, or the
// end of any other block once it is known.
func (c *compiler) setTarget(j int, target *ctrl) {
	if target.kind == ctrlLoop {
		c.fn.Code[j].A = uint32(target.start)
	} else {
		target.fixups = append(target.fixups, j)
	}
}

func (c *compiler) label(depth uint32) *ctrl {
	if int(depth) >= len(c.ctrls) {
		c.fail("unknown label %d", depth)
		return c.top()
	}
	return &c.ctrls[len(c.ctrls)-1-int(depth)]
}

// condBranch emits a branch taken when cond is non-zero (whenTrue) or
// zero, fusing it with the comparison that produced cond when that was
// the last instruction. It returns the branch to point at a target.
func (c *compiler) condBranch(cond opnd, whenTrue bool) int {
	if cond.kind == kTemp && c.last >= 0 && c.fn.Code[c.last].A == cond.slot {
		in := &c.fn.Code[c.last]
		op := in.Op
		if op < OpScalarEnd && brOf[op] != 0 {
			switch {
			case op == OpI32Eqz || op == OpI64Eqz:
				// eqz x branches when x == 0; its negation when x != 0.
				br := brOf[op]
				if !whenTrue {
					br = OpBrIfNez32
					if op == OpI64Eqz {
						br = OpBrIfNez64
					}
				}
				in.Op = br
			case whenTrue:
				in.Op = brOf[op]
			default:
				in.Op = brOf[invert[op]]
			}
			in.A = 0
			j := c.last
			c.last = -1
			return j
		}
	}
	s := c.use(cond)
	op := OpBrIfNez32
	if !whenTrue {
		op = OpBrIfEqz32
	}
	return c.emit(Instr{Op: op, B: s})
}

// bind makes every pending branch to f's end point here.
func (c *compiler) bind(f *ctrl) {
	here := uint32(len(c.fn.Code))
	for _, j := range f.fixups {
		c.fn.Code[j].A = here
	}
	f.fixups = f.fixups[:0]
	if f.elseFix >= 0 {
		c.fn.Code[f.elseFix].A = here
		f.elseFix = -1
	}
	c.last = -1
}

// resetTo makes the operand stack what it is on entry to f's label:
// the entries below f, then types as temporaries in their natural slots.
func (c *compiler) resetTo(f *ctrl, types []wasm.ValueType) {
	c.truncate(f.stackLen)
	c.height = f.height
	for _, t := range types {
		c.push(t)
	}
	c.last = -1
}

// finishArm materializes the results of a reachable arm in their slots.
func (c *compiler) finishArm(f *ctrl) {
	if f.unreachable {
		return
	}
	n := len(f.results)
	if len(c.stack)-f.stackLen != n {
		c.fail("type mismatch: %d values at end of block, %d expected", len(c.stack)-f.stackLen, n)
		return
	}
	for i := len(c.stack) - n; i < len(c.stack); i++ {
		c.materialize(i)
	}
}

func (c *compiler) local(idx uint32) (uint32, wasm.ValueType) {
	if idx >= uint32(len(c.locals)) {
		c.fail("unknown local %d", idx)
		return 0, wasm.ValueTypeI32
	}
	return c.locals[idx], c.ltypes[idx]
}

// instr compiles one WebAssembly instruction.
func (c *compiler) instr(in *wasm.Instr) {
	f := c.top()
	if f.unreachable || f.dead {
		switch in.Op {
		case wasm.OpBlock, wasm.OpLoop, wasm.OpIf:
			c.pushCtrl(ctrl{dead: true, stackLen: len(c.stack), height: c.height, elseFix: -1})
			return
		case wasm.OpElse:
			if f.dead {
				return
			}
		case wasm.OpEnd:
			if f.dead {
				c.ctrls = c.ctrls[:len(c.ctrls)-1]
				return
			}
		default:
			return
		}
	}

	switch op := in.Op; op {
	case wasm.OpNop:
	case wasm.OpUnreachable:
		c.emit(Instr{Op: OpUnreachable})
		c.setUnreachable()
	case wasm.OpBlock:
		c.enter(ctrlBlock, in.Block)
	case wasm.OpLoop:
		c.enter(ctrlLoop, in.Block)
	case wasm.OpIf:
		cond := c.pop()
		nf := c.enter(ctrlIf, in.Block)
		// The arms start with the same operands: the false branch must
		// come after the params were materialized.
		nf.elseFix = c.condBranch(cond, false)
	case wasm.OpElse:
		if f.kind != ctrlIf {
			c.fail("else without if")
			return
		}
		c.finishArm(f)
		if !f.unreachable {
			f.fixups = append(f.fixups, c.emit(Instr{Op: OpJmp}))
		}
		if f.elseFix >= 0 {
			c.fn.Code[f.elseFix].A = uint32(len(c.fn.Code))
			f.elseFix = -1
		}
		f.unreachable = false
		c.resetTo(f, f.params)
	case wasm.OpEnd:
		c.finishArm(f)
		if f.kind == ctrlFunc {
			if !f.unreachable {
				c.ret()
			}
			c.ctrls = c.ctrls[:0]
			return
		}
		c.bind(f)
		c.resetTo(f, f.results)
		c.ctrls = c.ctrls[:len(c.ctrls)-1]
	case wasm.OpBr:
		t := c.label(in.Index)
		c.emitMoves(c.branchMoves(t))
		c.jumpTo(t)
		c.setUnreachable()
	case wasm.OpBrIf:
		cond := c.pop()
		t := c.label(in.Index)
		ms := c.branchMoves(t)
		if len(ms) == 0 && t.kind != ctrlFunc {
			c.setTarget(c.condBranch(cond, true), t)
			return
		}
		skip := c.condBranch(cond, false)
		c.emitMoves(ms)
		c.jumpTo(t)
		c.fn.Code[skip].A = uint32(len(c.fn.Code))
		c.last = -1
	case wasm.OpBrTable:
		c.brTable(in)
	case wasm.OpReturn:
		c.ret()
		c.setUnreachable()
	case wasm.OpCall:
		ft := c.m.FuncType(in.Index)
		if ft == nil {
			c.fail("unknown function %d", in.Index)
			return
		}
		base := c.args(ft)
		if n := c.m.NumImportedFuncs(); in.Index >= n {
			c.emit(Instr{Op: OpCallLocal, A: base, B: in.Index - n})
		} else {
			c.emit(Instr{Op: OpCallImport, A: base, B: in.Index})
		}
		for _, t := range ft.Results {
			c.push(t)
		}
	case wasm.OpCallIndirect:
		if in.Index >= uint32(len(c.m.Types)) {
			c.fail("unknown type %d", in.Index)
			return
		}
		ft := &c.m.Types[in.Index]
		elem := c.pop()
		base := c.args(ft)
		es := c.use(elem)
		c.emit(Instr{Op: OpCallIndirect, A: base, B: in.Index, C: es, Imm: uint64(in.Index2)})
		for _, t := range ft.Results {
			c.push(t)
		}
	case wasm.OpDrop:
		c.pop()
	case wasm.OpSelect, wasm.OpSelectT:
		cond := c.pop()
		y := c.pop()
		x := c.pop()
		cs, ys, xs := c.use(cond), c.use(y), c.use(x)
		dst := c.push(x.typ)
		sop := OpSelect
		if x.typ == wasm.ValueTypeV128 {
			sop = OpSelect128
		}
		c.emitResult(Instr{Op: sop, A: dst, B: xs, C: ys, Imm: uint64(cs)})
	case wasm.OpLocalGet:
		ls, t := c.local(in.Index)
		c.pushLocal(t, ls)
	case wasm.OpLocalSet:
		ls, _ := c.local(in.Index)
		v := c.pop()
		c.setLocal(ls, v)
	case wasm.OpLocalTee:
		ls, _ := c.local(in.Index)
		v := c.pop()
		if !(v.kind == kLocal && v.slot == ls) && c.setLocal(ls, v) {
			v.kind, v.slot = kLocal, ls
		}
		c.repush(v)
	case wasm.OpGlobalGet:
		gt, ok := c.m.GlobalType(in.Index)
		if !ok {
			c.fail("unknown global %d", in.Index)
			return
		}
		dst := c.push(gt.ValType)
		gop := OpGlobalGet
		switch gt.ValType {
		case wasm.ValueTypeV128:
			gop = OpGlobalGet128
		case wasm.ValueTypeFuncref:
			gop = OpGlobalGetRef
		}
		c.emitResult(Instr{Op: gop, A: dst, B: in.Index})
	case wasm.OpGlobalSet:
		gt, ok := c.m.GlobalType(in.Index)
		if !ok {
			c.fail("unknown global %d", in.Index)
			return
		}
		v := c.pop()
		gop := OpGlobalSet
		switch gt.ValType {
		case wasm.ValueTypeV128:
			gop = OpGlobalSet128
		case wasm.ValueTypeFuncref:
			gop = OpGlobalSetRef
		}
		c.emit(Instr{Op: gop, A: in.Index, B: c.use(v)})
	case wasm.OpI32Const:
		c.pushConst(wasm.ValueTypeI32, in.Value)
	case wasm.OpI64Const:
		c.pushConst(wasm.ValueTypeI64, in.Value)
	case wasm.OpF32Const:
		c.pushConst(wasm.ValueTypeF32, in.Value)
	case wasm.OpF64Const:
		c.pushConst(wasm.ValueTypeF64, in.Value)
	case wasm.OpRefNull:
		c.pushConst(in.RefType, 0)
	case wasm.OpRefFunc:
		dst := c.push(wasm.ValueTypeFuncref)
		c.emitResult(Instr{Op: OpRefFunc, A: dst, B: in.Index})
	case wasm.OpMemorySize:
		dst := c.push(wasm.ValueTypeI32)
		c.emitResult(Instr{Op: OpMemorySize, A: dst})
	case wasm.OpMemoryGrow:
		d := c.pop()
		ds := c.use(d)
		dst := c.push(wasm.ValueTypeI32)
		c.emitResult(Instr{Op: OpMemoryGrow, A: dst, B: ds})
	case wasm.OpMemoryInit, wasm.OpMemoryCopy, wasm.OpMemoryFill, wasm.OpTableFill,
		wasm.OpTableCopy, wasm.OpTableInit:
		n, s, d := c.pop(), c.pop(), c.pop()
		ns, ss, ds := c.use(n), c.use(s), c.use(d)
		bop := bulkOps[op]
		c.emit(Instr{Op: bop, A: ds, B: ss, C: ns, Imm: uint64(in.Index) | uint64(in.Index2)<<32})
	case wasm.OpDataDrop:
		c.emit(Instr{Op: OpDataDrop, Imm: uint64(in.Index)})
	case wasm.OpElemDrop:
		c.emit(Instr{Op: OpElemDrop, Imm: uint64(in.Index)})
	case wasm.OpTableGet:
		i := c.pop()
		is := c.use(i)
		tt, _ := c.m.TableType(in.Index)
		dst := c.push(tt.ElemType)
		top := OpTableGet
		if tt.ElemType == wasm.ValueTypeFuncref {
			top = OpTableGetRef
		}
		c.emitResult(Instr{Op: top, A: dst, B: is, Imm: uint64(in.Index)})
	case wasm.OpTableSet:
		v, i := c.pop(), c.pop()
		vs, is := c.use(v), c.use(i)
		c.emit(Instr{Op: OpTableSet, B: is, C: vs, Imm: uint64(in.Index)})
	case wasm.OpTableSize:
		dst := c.push(wasm.ValueTypeI32)
		c.emitResult(Instr{Op: OpTableSize, A: dst, Imm: uint64(in.Index)})
	case wasm.OpTableGrow:
		n, v := c.pop(), c.pop()
		ns, vs := c.use(n), c.use(v)
		dst := c.push(wasm.ValueTypeI32)
		c.emitResult(Instr{Op: OpTableGrow, A: dst, B: vs, C: ns, Imm: uint64(in.Index)})
	default:
		c.numeric(in)
	}
}

var bulkOps = map[wasm.Opcode]Opcode{wasm.OpMemoryInit: OpMemoryInit, wasm.OpMemoryCopy: OpMemoryCopy,
	wasm.OpMemoryFill: OpMemoryFill, wasm.OpTableFill: OpTableFill, wasm.OpTableCopy: OpTableCopy,
	wasm.OpTableInit: OpTableInit}

// ret returns from the function with the results on top of the stack.
// A single result computed by the last instruction is written straight
// to slot 0, where the caller expects it: nothing else reads the frame
// after it.
func (c *compiler) ret() {
	f := &c.ctrls[0]
	if len(f.results) == 1 && len(c.stack) > 0 {
		if _, ok := c.producer(c.stack[len(c.stack)-1]); ok {
			c.fn.Code[c.last].A = 0
			c.emit(Instr{Op: OpReturn})
			return
		}
	}
	c.emitMoves(c.branchMoves(f))
	c.emit(Instr{Op: OpReturn})
}

// setLocal stores v in local slot ls. It reports whether the instruction
// that produced v was redirected to write the local itself.
func (c *compiler) setLocal(ls uint32, v opnd) bool {
	if v.kind == kLocal && v.slot == ls {
		return false
	}
	preserved := c.preserveLocal(ls)
	if !preserved && v.kind == kTemp && c.last >= 0 && c.fn.Code[c.last].A == v.slot {
		c.fn.Code[c.last].A = ls
		c.last = -1
		return true
	}
	switch {
	case v.kind == kConst:
		c.emit(Instr{Op: OpConst, A: ls, Imm: v.val})
	case v.typ == wasm.ValueTypeV128:
		c.emit(Instr{Op: OpMov128, A: ls, B: v.slot})
	default:
		c.emit(Instr{Op: OpMov, A: ls, B: v.slot})
	}
	return false
}

// args materializes the arguments of a call of type ft in consecutive
// natural slots, where the callee's frame will start, pops them and
// returns the first slot.
func (c *compiler) args(ft *wasm.FuncType) uint32 {
	n := len(ft.Params)
	if len(c.stack)-c.top().stackLen < n {
		c.fail("operand stack underflow")
		return c.height
	}
	for i := len(c.stack) - n; i < len(c.stack); i++ {
		c.materialize(i)
	}
	for i := 0; i < n; i++ {
		c.pop()
	}
	return c.height
}

func (c *compiler) brTable(in *wasm.Instr) {
	idx := c.pop()
	is := c.use(idx)
	n := len(in.Labels)
	c.emit(Instr{Op: OpBrTable, B: is, C: uint32(n)})
	first := len(c.fn.Code)
	for i := 0; i <= n; i++ {
		c.emit(Instr{Op: OpBrTableEntry})
	}
	// One trampoline per distinct label that needs moves.
	tramp := map[uint32]uint32{}
	var late []int
	for i := 0; i <= n; i++ {
		depth := in.Index
		if i < n {
			depth = in.Labels[i]
		}
		t := c.label(depth)
		if len(c.branchMoves(t)) == 0 && t.kind != ctrlFunc {
			c.setTarget(first+i, t)
			continue
		}
		late = append(late, i)
	}
	for _, i := range late {
		depth := in.Index
		if i < n {
			depth = in.Labels[i]
		}
		if at, ok := tramp[depth]; ok {
			c.fn.Code[first+i].A = at
			continue
		}
		at := uint32(len(c.fn.Code))
		tramp[depth] = at
		c.fn.Code[first+i].A = at
		t := c.label(depth)
		c.emitMoves(c.branchMoves(t))
		c.jumpTo(t)
	}
	c.setUnreachable()
}

// numeric compiles the instructions with a fixed signature.
func (c *compiler) numeric(in *wasm.Instr) {
	op := in.Op
	if op>>8 == 0xfd {
		c.simd(in)
		return
	}
	sh := &shapes[shapeIndex(op)]
	switch sh.kind {
	case shapeBinary:
		bi := sh.bin
		rt := op.Signature().Results[0]
		y := c.pop()
		x := c.pop()
		switch {
		case y.kind == kConst && (op == wasm.OpI32Sub || op == wasm.OpI64Sub):
			k := -y.val
			if op == wasm.OpI32Sub {
				k = uint64(uint32(k))
				xs := c.use(x)
				c.emitResult(Instr{Op: OpI32AddI, A: c.push(rt), B: xs, Imm: k})
			} else {
				xs := c.use(x)
				c.emitResult(Instr{Op: OpI64AddI, A: c.push(rt), B: xs, Imm: k})
			}
		case y.kind == kConst && (op == wasm.OpI32Rotr || op == wasm.OpI64Rotr):
			rop, k := OpI32RotlI, uint64(-y.val&31)
			if op == wasm.OpI64Rotr {
				rop, k = OpI64RotlI, -y.val&63
			}
			xs := c.use(x)
			c.emitResult(Instr{Op: rop, A: c.push(rt), B: xs, Imm: k})
		case y.kind == kConst && bi.imm != 0:
			xs := c.use(x)
			c.emitResult(Instr{Op: bi.imm, A: c.push(rt), B: xs, Imm: y.val})
		case x.kind == kConst && bi.swapImm != 0:
			ys := c.use(y)
			c.emitResult(Instr{Op: bi.swapImm, A: c.push(rt), B: ys, Imm: x.val})
		case op == wasm.OpI32Add && c.addShl(x, y):
		default:
			xs, ys := c.use(x), c.use(y)
			c.emitResult(Instr{Op: bi.op, A: c.push(rt), B: xs, C: ys})
		}
		return
	case shapeUnary:
		uop := sh.op
		rt := wasm.ValueTypeI32 // ref.is_null has no fixed signature
		if sig := op.Signature(); sig != nil {
			rt = sig.Results[0]
		}
		x := c.pop()
		if uop == OpI32Eqz || uop == OpI64Eqz {
			if inv, ok := c.negation(x); ok {
				c.fuse(Instr{Op: inv.Op, A: c.push(rt), B: inv.B, C: inv.C, Imm: inv.Imm})
				return
			}
		}
		xs := c.use(x)
		c.emitResult(Instr{Op: uop, A: c.push(rt), B: xs})
		return
	case shapeRetype:
		if len(c.stack) <= c.top().stackLen {
			c.fail("operand stack underflow")
			return
		}
		c.stack[len(c.stack)-1].typ = op.Signature().Results[0]
		return
	case shapeLoad:
		lop := sh.op
		rt := op.Signature().Results[0]
		addr := c.pop()
		off := uint64(in.MemOffset)
		switch prod, ok := c.producer(addr); {
		case addr.kind == kConst && loadK[lop] != 0:
			c.emitResult(Instr{Op: loadK[lop], A: c.push(rt), Imm: uint64(uint32(addr.val)) + off})
		case ok && prod.Op == OpI32AddI && loadAI[lop] != 0:
			c.fuse(Instr{Op: loadAI[lop], A: c.push(rt), B: prod.B, Imm: prod.Imm&0xffffffff | off<<32})
		case ok && prod.Op == OpI32Add && loadAR[lop] != 0:
			c.fuse(Instr{Op: loadAR[lop], A: c.push(rt), B: prod.B, C: prod.C, Imm: off})
		case ok && prod.Op == OpI32WrapI64:
			// Loads read only the low 32 bits of the address slot.
			c.fuse(Instr{Op: lop, A: c.push(rt), B: prod.B, Imm: off})
		default:
			as := c.use(addr)
			c.emitResult(Instr{Op: lop, A: c.push(rt), B: as, Imm: off})
		}
		return
	case shapeStore:
		sop := sh.op
		v := c.pop()
		addr := c.pop()
		off := uint64(in.MemOffset)
		// A constant value would have to be written to its slot first,
		// after the instruction the fused forms replace.
		prod, ok := c.producer(addr)
		switch {
		case v.kind == kConst:
		case addr.kind == kConst && storeK[sop] != 0:
			c.emit(Instr{Op: storeK[sop], C: v.slot, Imm: uint64(uint32(addr.val)) + off})
			return
		case ok && prod.Op == OpI32AddI && storeAI[sop] != 0:
			c.fuse(Instr{Op: storeAI[sop], B: prod.B, C: v.slot, Imm: prod.Imm&0xffffffff | off<<32})
			c.last = -1
			return
		case ok && prod.Op == OpI32Add && storeAR[sop] != 0:
			c.fuse(Instr{Op: storeAR[sop], A: v.slot, B: prod.B, C: prod.C, Imm: off})
			c.last = -1
			return
		case ok && prod.Op == OpI32WrapI64:
			c.fuse(Instr{Op: sop, B: prod.B, C: v.slot, Imm: off})
			c.last = -1
			return
		}
		vs, as := c.use(v), c.use(addr)
		c.emit(Instr{Op: sop, B: as, C: vs, Imm: off})
		return
	}
	c.fail("unsupported instruction %s", op)
}

// addShl fuses x + y, where one operand was just computed by i32.shl by a
// constant and the other is in a slot, into one instruction. It reports
// whether it did.
func (c *compiler) addShl(x, y opnd) bool {
	for _, p := range [2][2]opnd{{x, y}, {y, x}} {
		shifted, other := p[0], p[1]
		if prod, ok := c.producer(shifted); ok && prod.Op == OpI32ShlI && other.kind != kConst {
			c.fuse(Instr{Op: OpI32AddShl, A: c.push(wasm.ValueTypeI32), B: other.slot, C: prod.B, Imm: prod.Imm & 31})
			return true
		}
	}
	return false
}

// producer returns the last instruction if it computed o, which was just
// popped: that instruction can then be folded into o's consumer.
func (c *compiler) producer(o opnd) (Instr, bool) {
	if o.kind != kTemp || c.last < 0 || c.fn.Code[c.last].A != o.slot {
		return Instr{}, false
	}
	return c.fn.Code[c.last], true
}

// negation returns, for an eqz of x, the comparison that computes it
// in place of the one that produced x: its inverse, or x != 0 for the
// eqz of an eqz. Go's compiler tests its booleans, which are i64s, as
// "i64.eqz, i64.extend_i32_u, i64.eqz, i32.eqz, if": so the test folds
// into one comparison, and that into the branch (condBranch).
func (c *compiler) negation(x opnd) (Instr, bool) {
	prod, ok := c.producer(x)
	if !ok || prod.Op >= OpScalarEnd || brOf[prod.Op] == 0 {
		return Instr{}, false
	}
	switch prod.Op {
	case OpI32Eqz:
		return Instr{Op: OpI32NeI, B: prod.B}, true
	case OpI64Eqz:
		return Instr{Op: OpI64NeI, B: prod.B}, true
	}
	return Instr{Op: invert[prod.Op], B: prod.B, C: prod.C, Imm: prod.Imm}, true
}

// fuse replaces the last instruction, which computed an operand of in,
// with in.
func (c *compiler) fuse(in Instr) {
	j := c.last
	c.fn.Code[j] = in
	c.fn.Offsets[j] = c.off
	c.last = j
}

// simd compiles a 0xFD instruction: operands by the opcode's signature,
// immediates packed into imm.
func (c *compiler) simd(in *wasm.Instr) {
	op := in.Op
	if op == wasm.OpV128Const {
		dst := c.push(wasm.ValueTypeV128)
		lo := binary.LittleEndian.Uint64(in.V128[:8])
		hi := binary.LittleEndian.Uint64(in.V128[8:])
		c.emitResult(Instr{Op: OpConst128, A: dst, B: uint32(hi), C: uint32(hi >> 32), Imm: lo})
		return
	}
	sig := op.Signature()
	if sig == nil {
		c.fail("unsupported instruction %s", op)
		return
	}
	np := len(sig.Params)
	if np > 3 || len(sig.Results) > 1 {
		c.fail("unsupported instruction %s", op)
		return
	}
	var ops [3]opnd
	for i := np - 1; i >= 0; i-- {
		ops[i] = c.pop()
	}
	var slots [3]uint32
	for i := 0; i < np; i++ {
		slots[i] = c.use(ops[i])
	}
	out := Instr{Op: OpSIMD + Opcode(op&0xff), B: slots[0], C: slots[1]}
	switch op.Imm() {
	case wasm.ImmNone:
		out.Imm = uint64(slots[2])
	case wasm.ImmMemArg:
		out.Imm = uint64(in.MemOffset)
	case wasm.ImmMemArgLane:
		out.Imm = uint64(in.MemOffset) | uint64(in.Lane)<<32
	case wasm.ImmLane:
		out.Imm = uint64(in.Lane)
	case wasm.ImmShuffle:
		out.Imm = uint64(len(c.fn.Shuffles))
		c.fn.Shuffles = append(c.fn.Shuffles, in.V128)
	default:
		c.fail("unsupported immediate of %s", op)
		return
	}
	if len(sig.Results) == 1 {
		out.A = c.push(sig.Results[0])
		c.emitResult(out)
		return
	}
	c.emit(out)
}
