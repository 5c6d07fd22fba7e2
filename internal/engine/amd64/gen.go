package amd64

import (
	"fmt"
	"slices"

	"github.com/wasmvisor/wasmvisor/api"
	asm "github.com/wasmvisor/wasmvisor/internal/asm/amd64"
	"github.com/wasmvisor/wasmvisor/internal/engine/ir"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// Registers pinned by generated code. The rest are scratch within an
// instruction, except slotRegs, which cache slots within straight-line
// code; slots are written back before every call and exit, so calls
// save nothing but the pinned registers they change.
const (
	rCtx    = asm.R15 // *execCtx
	rVM     = asm.R14 // the instance's state block
	rMem    = asm.R13 // memory 0's base
	rMemLen = asm.R12 // memory 0's length in bytes
	rFP     = asm.RBX // the frame: slot i is at [rFP + 8*i]
)

// pcEntry maps a return address inside a function (an offset from the
// module's code start) to the module offset of the WebAssembly
// instruction that called or exited there.
type pcEntry struct {
	pc     uint32
	offset uint32
}

// funcCode is where one function's machine code is, and its return
// addresses, sorted by pc.
type funcCode struct {
	start, end uint32
	index      uint32 // in the module's function index space
	pcs        []pcEntry
}

// slowInstr is an instruction machine code hands to Go (see exitStep).
type slowInstr struct {
	in ir.Instr
	// shuffles holds the lane immediate of an i8x16.shuffle, which
	// in.Imm then indexes.
	shuffles [][16]byte
	offset   uint32
	// frame is the slot count of the function's frame, which bounds
	// the slots the instruction may touch: a host that finds the frame
	// pointer somewhere it does not trust checks the whole frame first.
	frame uint32
}

// gen translates the slot form of one module's functions into machine
// code for a target.
type gen struct {
	t *Target
	a asm.Asm
	m *wasm.Module
	l layout
	// fnLab are the functions' labels: in the module's Asm all of them;
	// in a worker's (see piece) the function's own and, made as calls
	// use them, extern ones for the functions it calls (listed in
	// called).
	fnLab  []*asm.Label
	called []uint32
	funcs  []funcCode
	// slow are the instructions handed to Go: the module's, or a worker's
	// function's, whose indices in the code (at slowArgs) join rebases.
	slow     []slowInstr
	slowArgs []int
	labels   []*asm.Label // per instruction of the current function, or nil

	exitStub *asm.Label
	// copyRoutine is the module's memory.copy routine (emitCopyRoutine).
	copyRoutine *asm.Label
	// fillRoutine is its memory.fill routine (emitFillRoutine).
	fillRoutine *asm.Label
	// sharedExits are stubs for the exits every function makes (traps,
	// interrupts, calls to Go), by exit code and argument: a site calls
	// one in five bytes instead of writing both words itself, so
	// a memory access's bounds check costs 11 bytes of code, not 29.
	// Indexed as sharedExitKeys.
	sharedExits [numSharedExits]*asm.Label
	// nearExits are the current function's stubs that jump to shared
	// ones, for its out-of-line exits (see outOfLine); nil: none.
	nearExits [numSharedExits]*asm.Label
	fn        *ir.Func
	cur       *funcCode
	pc        int // index of the instruction being translated
	traps     []trapSite
	backEdges []backEdge
	frameOff  uint32 // module offset of the function's first instruction
	// resultSlots is how many slots the function's results take, from
	// slot 0: all of its frame a caller reads after it returns.
	resultSlots uint32

	// The register the previous instruction stored its result from
	// still holds it when nothing was emitted since (see ld and st).
	cacheReg   asm.Reg
	cacheSlot  uint32
	cacheW     asm.Width
	cacheEnd   int // code offset right after that store; -1: none
	instrStart int // code offset where the current instruction starts
	slots      slotCache
	// keepSlots is set by a translation that changed slots only through
	// st (or, for a constant, through its slot register): the slot cache
	// stays valid.
	keepSlots bool
	// lazy is set while translating an instruction whose template reads
	// slots only through ld, operand and aluSlot and writes them only
	// through st: its results may stay in slot registers (see slotRegs).
	lazy bool
	// zeroLocals and writtenLocals are localsReadFirst's result and
	// workspace.
	zeroLocals, writtenLocals []bool
	// lastRead, seen, readAt and seenGen are lastReads' result and
	// workspace.
	lastRead []int32
	seen     []uint32
	readAt   []int32
	seenGen  uint32

	// regions are the function's loops whose slots may be pinned
	// (loops.go), loop the one being translated (nil: none), loopExits
	// the stubs of branches out of them; loopEnd, regionOf, uses and
	// line are workspace.
	regions []loopRegion
	loop    *loopRegion
	// lenFree says that the memory's length register is the cache's
	// too, inside a loop that spares it (see cacheN).
	lenFree bool
	// probe, when set (by writeback.go's init), is told of every slot a
	// template reads.
	probe func(s uint32)
	// pending is the constant left to a store (constStored).
	pending   pendingConst
	checks    passedChecks
	loopExits []loopExit
	loopEnd   []int32
	regionOf  []int32
	uses      []uint32
	line      uint32

	// pcsBuf and refsBuf collect a worker's current function's return
	// addresses and references (piece), kept in pcsChunk and refsChunk.
	pcsBuf    []pcEntry
	refsBuf   []pieceRef
	pcsChunk  chunkOf[pcEntry]
	refsChunk chunkOf[pieceRef]
}

// trapSite is an out-of-line exit for a trap, emitted after the body,
// and reached by the branch whose rel32 field is at at.
type trapSite struct {
	at     int
	kind   api.TrapKind
	offset uint32
}

// backEdge is an out-of-line interrupt poll exit, at a loop head or a
// function's entry.
type backEdge struct {
	l, back *asm.Label
	offset  uint32
	// pins are the slots the loop keeps in registers: stored before the
	// exit and loaded after it.
	pins []pin
}

// generate translates every function m defines, on every CPU (join).
// The code starts with the entry thunk (offset 0) and the exit stub.
func generate(t *Target, m *wasm.Module) (mem *execMem, funcs []funcCode, slow []slowInstr, err error) {
	return generateInto(t, m, reserveCode)
}

// generateInto is generate assembling into the arena reserve makes, which
// is told as each function is done (codeArena.done): an arena that is a
// file's mapping then hands finished code and tables to the file as it
// goes.
func generateInto(t *Target, m *wasm.Module, reserve func(n int) (*codeArena, error)) (mem *execMem, funcs []funcCode, slow []slowInstr, err error) {
	g := &gen{t: t, m: m, l: layoutOf(t, m)}
	// About six bytes of machine code per byte of WebAssembly code
	// (measured on the Go compiler and the sightglass programs); only
	// address space is reserved, so the margin costs nothing, and code
	// that outgrows it is still right, only copied once more.
	size := 0
	for i := range m.Codes {
		size += len(m.Codes[i].Body)
	}
	arena, err := reserve(12*size + 1<<16)
	if err != nil {
		return nil, nil, nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("generating machine code: %v", r)
		}
		if err != nil {
			arena.release(0)
			return
		}
		mem, err = arena.seal(g.a.Bytes())
	}()
	g.a.UseBuffer(arena.buf())
	g.exitStub = g.a.NewLabel()
	// The entry thunk at offset 0, the target's guest routines at a
	// fixed offset after it, then the exit stub.
	t.emitEntry(g)
	if t.emitGuestRoutines != nil {
		if g.a.Len() > vmGuestRoutines {
			panic("the entry thunk outgrew its room before the guest routines")
		}
		g.a.AlignTo(vmGuestRoutines)
		t.emitGuestRoutines(g)
	}
	g.a.AlignTo(16)
	g.a.Bind(g.exitStub)
	t.emitExitStub(&g.a)
	g.emitSharedExits()
	g.emitCopyRoutine()
	g.emitFillRoutine()

	g.fnLab = make([]*asm.Label, len(m.Codes))
	for i := range g.fnLab {
		g.fnLab[i] = g.a.NewLabel()
	}
	g.funcs = make([]funcCode, len(m.Codes))
	if err := g.join(arena); err != nil {
		return nil, nil, nil, err
	}
	if _, err := g.a.Finish(); err != nil {
		return nil, nil, nil, err
	}
	return nil, g.funcs, g.slow, nil // mem is set on the way out
}

// traceInstr, when set (by the code dump of the tests), is told where
// each instruction's machine code starts, as an offset from the start
// of its function's piece (join.go), one function at a time.
var traceInstr func(fn *ir.Func, pc, codeOff int)

func slot(i uint32) asm.Mem { return asm.M(rFP, int32(i)*8) }

// slotRegs cache slot values within straight-line code: no template
// of the instructions that keep the cache (g.lazy) uses them as scratch.
// A value st put in one stays there until a label, a call, or an
// instruction that may write slots other than through st.
//
// The cache is write-back within straight-line code: st of an integer,
// memory or move instruction only puts its result in a slot register
// and marks it dirty, and the slot is written when the register is
// reused for another slot, or by flush, before anything that reads
// slots from memory or leaves the straight line: a branch target or a
// branch, a call, an exit to the host, any instruction without a
// register-aware template. A temporary that is overwritten while still
// in its register (most of them: the slot form reuses operand-stack
// slots at once) is never stored. Only a trap leaves with dirty
// registers: it ends the call, and nothing reads the frames it
// abandons (backtraces come from return addresses, not slots). A return
// stores only the results (flushResults): the caller reads nothing else
// of the frame.
//
// Inside an innermost loop that neither calls nor exits, up to maxPins
// of them hold the loop's most used slots for its whole extent instead
// (pinned, see loops.go): loaded on entry, the truth inside, stored on
// every way out.
//
// RBP is one of them: generated code keeps no frame pointer (its frames
// are found through return addresses), and Go's own is saved on entry
// and restored by the exit stub; while guest code runs, Go unwinds the
// goroutine from where it entered the system call, not from RBP.
//
// R12, the memory's length, is the last entry but serves only inside
// loops that neither access memory nor ask its size (loopRegion.spareLen):
// there it is free, as a pin or for any slot, and the loop reloads the
// length on every way out.
var slotRegs = [...]asm.Reg{asm.R8, asm.R9, asm.R10, asm.R11, asm.RSI, asm.RDI, asm.RBP, rMemLen}

// cacheRegs is how many of slotRegs, the first, the cache may always
// use; lenReg is the index of the memory's length register.
const (
	cacheRegs = len(slotRegs) - 1
	lenReg    = cacheRegs
)

// cacheN is how many of slotRegs, the first, the cache uses now.
func (g *gen) cacheN() int {
	if g.lenFree {
		return cacheRegs + 1
	}
	return cacheRegs
}

// slotCache says which slot each of slotRegs holds.
type slotCache struct {
	slot  [len(slotRegs)]uint32
	w     [len(slotRegs)]asm.Width // asm.W32: upper half known zero
	valid [len(slotRegs)]bool
	// dirty marks a register whose slot in the frame is older.
	dirty [len(slotRegs)]bool
	// writer is the instruction whose result a dirty register holds.
	writer [len(slotRegs)]int32
	// pinned marks a register that holds its slot for the extent of a
	// loop (loops.go): the register is the truth, it is never dirty,
	// flushed, evicted or cleared, and the loop stores it on its way
	// out.
	pinned [len(slotRegs)]bool
	// locked marks, while into chooses a register, the ones holding
	// operands the instruction has yet to read.
	locked [len(slotRegs)]bool
	// used orders the entries by their last use, for eviction.
	used  [len(slotRegs)]uint32
	clock uint32
}

func (c *slotCache) find(s uint32) int {
	for i := range c.slot {
		// The slot first: it rarely matches, and most entries are valid.
		if c.slot[i] == s && c.valid[i] {
			return i
		}
	}
	return -1
}

func (c *slotCache) touch(i int) {
	c.clock++
	c.used[i] = c.clock
}

// victim returns the entry to reuse: a free one, else one whose value
// is dead (see dead), else the one whose slot is needed last (Belady's
// choice): read furthest ahead in the straight line, or not within
// lookahead instructions of it. Among equals a clean entry goes before a
// dirty one, which costs a store, and then the least recently used. The
// operands of the instruction being translated count as needed at once,
// so a template never loses one it has loaded. A pinned or locked entry
// is never taken.
func (g *gen) victim() int {
	c := &g.slots
	var next [len(slotRegs)]int // instructions to the next read; 0: none seen
	pending := 0
	for i := range g.cacheN() {
		if c.pinned[i] || c.locked[i] {
			continue
		}
		if !c.valid[i] || c.dirty[i] && g.dead(c.writer[i]) {
			c.dirty[i] = false
			return i
		}
		pending++
	}
	if pending == 0 {
		return -1
	}
	g.nextReads(&next, pending)
	best := -1
	for i := range g.cacheN() {
		if c.pinned[i] || c.locked[i] {
			continue
		}
		if best < 0 {
			best = i
			continue
		}
		ni, nb := next[i], next[best]
		switch {
		case ni != nb && (ni == 0 || nb != 0 && ni > nb):
			best = i
		case ni == nb && c.dirty[i] != c.dirty[best] && !c.dirty[i]:
			best = i
		case ni == nb && c.dirty[i] == c.dirty[best] && c.used[i] < c.used[best]:
			best = i
		}
	}
	return best
}

// lookahead is how many instructions victim looks ahead for reads.
const lookahead = 24

// nextReads sets next[i], for the cache entries victim may take
// (pending of them), to 1 + the distance to the first instruction of
// the straight line that may read entry i's slot, from the one being
// translated; it leaves 0 for a slot written before it is read, or not
// read within lookahead instructions or before the straight line ends.
// Operands are read conservatively, as lastReads reads them: a slot
// read too soon only keeps its register longer.
func (g *gen) nextReads(next *[len(slotRegs)]int, pending int) {
	c := &g.slots
	code := g.fn.Code
	var done [len(slotRegs)]bool
	end := min(len(code), g.pc+lookahead)
	for k := g.pc; k < end && pending > 0; k++ {
		in := &code[k]
		if k > g.pc && (g.labels[k] != nil || !writesBack(in.Op)) {
			return
		}
		// The instruction being translated may read any operand.
		def := k > g.pc && definesA(in.Op)
		for i := range g.cacheN() {
			if done[i] || c.pinned[i] || c.locked[i] {
				continue
			}
			s := c.slot[i]
			switch {
			case mayRead(in, s, def):
				next[i] = k - g.pc + 1
			case def && s == in.A:
				// Overwritten before it is read: not needed.
			default:
				continue
			}
			done[i] = true
			pending--
		}
	}
}

// clear empties the cache but for pinned entries; flush must have
// written back the rest.
func (c *slotCache) clear() {
	if c.dirty != [len(slotRegs)]bool{} {
		panic("slot cache cleared with unwritten slots")
	}
	c.valid = c.pinned
}

// flush writes every dirty slot register back to its slot. The stores
// change no register and no flag, so the cache stays valid.
func (g *gen) flush() {
	c := &g.slots
	if c.dirty == [len(slotRegs)]bool{} {
		return // most often: one compare rather than a loop
	}
	for i := range c.slot {
		if c.valid[i] && c.dirty[i] {
			g.a.Store(asm.W64, slot(c.slot[i]), slotRegs[i])
			c.dirty[i] = false
		}
	}
}

// flushResults writes back, before a return, the dirty slot registers
// that hold the function's results, and forgets that the others are
// dirty: after the return the caller reads the results and nothing else
// of the frame (its slots above the results are operand-stack slots
// that the call consumed), so storing them would be wasted.
func (g *gen) flushResults() {
	c := &g.slots
	for i := range c.slot {
		if c.valid[i] && c.dirty[i] {
			if c.slot[i] < g.resultSlots {
				g.a.Store(asm.W64, slot(c.slot[i]), slotRegs[i])
			}
			c.dirty[i] = false
		}
	}
}

// entry returns a slot register to hold slot s, writing back the slot
// its previous value belonged to if that is dirty.
func (g *gen) entry(s uint32) int {
	c := &g.slots
	i := c.find(s)
	if i < 0 {
		i = g.victim()
		if c.valid[i] && c.dirty[i] {
			g.a.Store(asm.W64, slot(c.slot[i]), slotRegs[i])
		}
		c.slot[i], c.valid[i], c.dirty[i] = s, true, false
	}
	c.touch(i)
	return i
}

// into returns the slot register that is to receive slot s's new value,
// for a template that computes its result in place rather than in a
// scratch register that st then copies: the register already holding s,
// else one taken as entry takes it, but none of keep, registers that
// hold operands still to be read. It fails (ok false) when every other
// register is pinned or kept. The caller writes the register and then
// calls wrote.
func (g *gen) into(s uint32, keep ...asm.Reg) (i int, ok bool) {
	c := &g.slots
	if i = c.find(s); i >= 0 {
		c.touch(i)
		return i, true
	}
	for _, r := range keep {
		if k := slotIndex(r); k >= 0 {
			c.locked[k] = true
		}
	}
	i = g.victim()
	c.locked = [len(slotRegs)]bool{}
	if i < 0 {
		return -1, false
	}
	if c.valid[i] && c.dirty[i] {
		g.a.Store(asm.W64, slot(c.slot[i]), slotRegs[i])
	}
	c.slot[i], c.valid[i], c.dirty[i] = s, true, false
	c.touch(i)
	return i, true
}

// wrote records that slot register i, which into gave for slot s, now
// holds the instruction's result, w bytes wide, as st would.
func (g *gen) wrote(i int, w asm.Width) {
	c := &g.slots
	if !g.lazy {
		g.a.Store(asm.W64, slot(c.slot[i]), slotRegs[i])
	}
	c.w[i], c.dirty[i], c.writer[i] = w, g.lazy && !c.pinned[i], int32(g.pc)
	g.cacheEnd = -1
}

// spare reports whether entry could take a register without evicting a
// locked or pinned one.
func (g *gen) spare() bool {
	c := &g.slots
	for i := range g.cacheN() {
		if !c.pinned[i] && !c.locked[i] {
			return true
		}
	}
	return false
}

// slotIndex returns r's index in slotRegs, or -1.
func slotIndex(r asm.Reg) int {
	if int(r) < len(slotIndexOf) {
		return int(slotIndexOf[r])
	}
	return -1
}

// slotIndexOf is slotIndex by register: the templates ask it of every
// operand they hold, and a search of slotRegs was 1% of a compile.
var slotIndexOf = func() (t [16]int8) {
	for r := range t {
		t[r] = int8(slices.Index(slotRegs[:], asm.Reg(r)))
	}
	return t
}()

// holding returns a register that holds slot s's value, and the width of
// that value (a W32 value has its upper half zero), if one does: one of
// slotRegs, or, as the first thing an instruction emits, the register
// the previous instruction stored its result from.
func (g *gen) holding(s uint32) (asm.Reg, asm.Width, bool) {
	if g.probe != nil {
		g.probe(s)
	}
	if n := g.a.Len(); g.cacheEnd == n && g.instrStart == n && g.cacheSlot == s {
		return g.cacheReg, g.cacheW, true
	}
	if i := g.slots.find(s); i >= 0 {
		g.slots.touch(i)
		return slotRegs[i], g.slots.w[i], true
	}
	return 0, 0, false
}

// ld loads slot s into r, w bytes wide (a 32-bit load zero-extends),
// from a register that holds it when one does: a dependent chain of
// instructions then waits on registers, not on store-to-load forwarding.
// In write-back code a slot loaded from the frame is kept in a slot
// register too, so that the locals a loop body reads again and again are
// loaded once per straight line.
func (g *gen) ld(w asm.Width, r asm.Reg, s uint32) {
	a := &g.a
	if h, hw, ok := g.holding(s); ok {
		switch {
		case w == asm.W32 && hw != asm.W32:
			a.MovRR(asm.W32, r, h)
		case r != h:
			a.MovRR(asm.W64, r, h)
		}
		return
	}
	if g.lazy && g.readAgain(s) {
		i := g.entry(s)
		g.slots.w[i] = asm.W64
		a.Load(asm.W64, slotRegs[i], slot(s))
		a.MovRR(w, r, slotRegs[i])
		return
	}
	a.Load(w, r, slot(s))
}

// readAgain reports whether slot s may be read again after the
// instruction being translated, within lookahead instructions of its
// straight line, before it is written: only then is a slot loaded from
// the frame worth a slot register, whose taking may cost another value
// a store and a load. (A register kept for a read further ahead would
// mostly be taken for another value before it.)
func (g *gen) readAgain(s uint32) bool {
	code := g.fn.Code
	if in := &code[g.pc]; in.B == s && in.C == s {
		return true
	}
	end := min(len(code), g.pc+lookahead)
	for k := g.pc + 1; k < end; k++ {
		in := &code[k]
		if g.labels[k] != nil || !writesBack(in.Op) {
			return false
		}
		def := definesA(in.Op)
		if mayRead(in, s, def) {
			return true
		}
		if def && s == in.A {
			return false
		}
	}
	return false
}

// operand returns slot s as a register operand if a register holds it.
// Its upper half is not zeroed: for instructions that read w bytes.
func (g *gen) operand(s uint32) (asm.Reg, bool) {
	r, _, ok := g.holding(s)
	return r, ok
}

// aluSlot applies op to r and slot s, w bytes wide, reading s from a
// register that holds it when one does.
func (g *gen) aluSlot(op asm.AluOp, w asm.Width, r asm.Reg, s uint32) {
	if h, ok := g.operand(s); ok {
		g.a.Alu(op, w, r, h)
	} else {
		g.a.AluLoad(op, w, r, slot(s))
	}
}

// xload loads the low w bytes (W32 or W64) of slot s into x, zeroing the
// rest of x, from a general register that holds it when one does.
func (g *gen) xload(w asm.Width, x asm.XReg, s uint32) {
	if r, ok := g.operand(s); ok {
		g.a.MovqToX(w, x, r)
		return
	}
	if w == asm.W64 {
		g.a.SSELoad(asm.Movq, x, slot(s))
	} else {
		g.a.SSELoad(asm.Movss, x, slot(s))
	}
}

// st stores r, holding a result w bytes wide (a W32 result has its upper
// half zero), into slot s, and remembers that r, and a slot register,
// hold it. In write-back code (g.lazy) the slot itself is written later.
func (g *gen) st(w asm.Width, s uint32, r asm.Reg) {
	a := &g.a
	if !g.lazy {
		a.Store(asm.W64, slot(s), r)
	}
	i := g.entry(s)
	a.MovRR(asm.W64, slotRegs[i], r)
	g.slots.w[i], g.slots.dirty[i], g.slots.writer[i] = w, g.lazy && !g.slots.pinned[i], int32(g.pc)
	g.cacheReg, g.cacheSlot, g.cacheW, g.cacheEnd = r, s, w, a.Len()
}

// function translates defined function i into g.cur.
func (g *gen) function(i int, fn *ir.Func) {
	a := &g.a
	g.fn = fn
	g.cur.index = fn.FuncIndex
	g.traps, g.backEdges = g.traps[:0], g.backEdges[:0]
	g.frameOff = 0
	g.resultSlots = 0
	if ft := g.m.FuncType(fn.FuncIndex); ft != nil {
		for _, t := range ft.Results {
			g.resultSlots++
			if t == wasm.ValueTypeV128 {
				g.resultSlots++
			}
		}
	}
	if len(fn.Offsets) > 0 {
		g.frameOff = fn.Offsets[0]
	}
	a.AlignTo(16)
	g.cur.start = uint32(a.Len())
	a.Bind(g.funcLabel(uint32(i)))

	// Branch targets get labels; loop heads (targets of back edges) poll
	// for interrupts, once an iteration whichever branch closes it.
	g.labels = slices.Grow(g.labels[:0], len(fn.Code)+1)[:len(fn.Code)+1]
	clear(g.labels)
	g.loopEnd = slices.Grow(g.loopEnd[:0], len(fn.Code)+1)[:len(fn.Code)+1]
	clear(g.loopEnd)
	for pc := range fn.Code {
		if in := &fn.Code[pc]; ir.IsBranch(in.Op) {
			t := in.Target(pc)
			if g.labels[t] == nil {
				g.labels[t] = a.NewLabel()
			}
			if t <= pc {
				g.loopEnd[t] = max(g.loopEnd[t], int32(pc+1))
			}
		}
	}

	g.pending.pc = -1
	g.lastReads()
	g.findLoops(g.loopEnd)
	g.loop, g.loopExits = nil, g.loopExits[:0]
	next := 0 // the next of g.regions
	// The prologue's traps are at the function's entry, not at the
	// instruction g.pc was left at by the function before.
	g.pc = 0
	g.prologue()
	g.cacheEnd = -1
	g.slots = slotCache{}
	g.checks.clear()
	g.lenFree = false
	for pc := 0; pc < len(fn.Code); pc++ {
		g.pc = pc
		if g.loop != nil && pc == g.loop.end {
			g.leaveLoop()
		}
		if l := g.labels[pc]; l != nil {
			g.flush()
			a.Bind(l)
			g.cacheEnd = -1 // other paths arrive here
			g.slots.clear()
			g.checks.clear()
			if next < len(g.regions) && g.regions[next].head == pc {
				g.enterLoop(&g.regions[next])
				next++
			}
			if g.loopEnd[pc] != 0 && g.t.PollInterrupts {
				g.poll(g.offset())
			}
		}
		g.instrStart = a.Len()
		if traceInstr != nil {
			traceInstr(fn, pc, a.Len())
		}
		g.keepSlots = false
		in := &fn.Code[pc]
		g.instr(in)
		if !g.keepSlots {
			g.slots.clear()
		}
		switch {
		case !g.lazy:
			g.checks.clear() // it may write any slot
		case g.checks.n > 0 && definesA(in.Op):
			g.checks.forget(in.A)
		}
		if in.Op == ir.OpBrTable {
			// Its entries, which brTable made the jump table of, are
			// no instructions (and no branch targets; a region
			// holding them ends past them).
			pc += int(in.C) + 1
		}
	}
	if g.loop != nil {
		g.leaveLoop()
	}
	g.flush()
	if l := g.labels[len(fn.Code)]; l != nil {
		a.Bind(l)
		a.Ret()
	}
	g.outOfLine()
	g.cur.end = uint32(a.Len())
}

// offset returns the module offset of the instruction being translated.
func (g *gen) offset() uint32 {
	if g.pc < len(g.fn.Offsets) {
		return g.fn.Offsets[g.pc]
	}
	return g.frameOff
}

// returnAddr records that the code just emitted ends in a call or exit
// whose return address is the current position.
func (g *gen) returnAddr(offset uint32) {
	g.cur.pcs = append(g.cur.pcs, pcEntry{pc: uint32(g.a.Len()), offset: offset})
}

// exit emits an exit with code and arg.
func (g *gen) exit(code uint32, arg uint32, offset uint32) {
	if k := sharedExitIndex(code, arg); k >= 0 {
		stub := g.nearExits[k]
		if stub == nil {
			stub = g.sharedExits[k]
		}
		g.a.Call(stub)
	} else {
		g.storeExit(code, arg)
		g.t.emitExit(g)
	}
	g.returnAddr(offset)
}

// storeExit stores an exit's code and argument for Go, and returns the
// offset of the argument's 32 bits in the code.
func (g *gen) storeExit(code, arg uint32) (argAt int) {
	g.a.StoreImm(asm.W32, asm.M(rCtx, ctxExitArg), int32(arg))
	argAt = g.a.Len() - 4
	g.a.StoreImm(asm.W32, asm.M(rCtx, ctxExitCode), int32(code))
	return argAt
}

// sharedExitKeys are the exits with a stub of their own (emitSharedExits),
// by exit code and argument, in the order sharedExitIndex gives.
var sharedExitKeys = func() [][2]uint32 {
	shared := [][2]uint32{{exitInterrupt, 0}, {exitCall, 0}}
	for k := api.TrapUnreachable; k <= api.TrapInternal; k++ {
		shared = append(shared, [2]uint32{exitTrap, uint32(k)})
	}
	return shared
}()

const numSharedExits = 2 + int(api.TrapInternal-api.TrapUnreachable) + 1

// sharedExitIndex returns the index in sharedExitKeys of the exit with
// code and arg, or -1 if it has no stub.
func sharedExitIndex(code, arg uint32) int {
	switch {
	case code == exitInterrupt && arg == 0:
		return 0
	case code == exitCall && arg == 0:
		return 1
	case code == exitTrap && arg >= uint32(api.TrapUnreachable) && arg <= uint32(api.TrapInternal):
		return 2 + int(arg-uint32(api.TrapUnreachable))
	}
	return -1
}

// emitSharedExits emits the module's shared exit stubs, before any
// function, so that every call to one is a backward reference the
// assembler resolves at once.
func (g *gen) emitSharedExits() {
	for k, e := range sharedExitKeys {
		l := g.a.NewLabel()
		g.a.Bind(l)
		g.storeExit(e[0], e[1])
		g.t.emitSharedExitTail(g)
		g.sharedExits[k] = l
	}
}

// trapIf emits a branch, taken on c, to an exit that raises kind for
// the current instruction. The exit is emitted after the body
// (outOfLine), which patches the branch: sites are many (every memory
// access has one) and reached by one branch each, so they need no label.
func (g *gen) trapIf(c asm.Cond, kind api.TrapKind) {
	g.a.JccRel(c, 0)
	g.traps = append(g.traps, trapSite{at: g.a.Len() - 4, kind: kind, offset: g.offset()})
}

// trapAlways is trapIf with a branch always taken.
func (g *gen) trapAlways(kind api.TrapKind) {
	g.a.JmpRel(0)
	g.traps = append(g.traps, trapSite{at: g.a.Len() - 4, kind: kind, offset: g.offset()})
}

func (g *gen) outOfLine() {
	a := &g.a
	// The exits below call stubs of the function's own, each a jump to
	// the module's shared stub: calls the assembler resolves at once,
	// where each call to the shared stub would be a reference for join
	// to resolve (a function has hundreds of trap sites, and few kinds).
	// The jump keeps the site's return address on the stack.
	near := func(code, arg uint32) {
		if k := sharedExitIndex(code, arg); k >= 0 && g.nearExits[k] == nil {
			g.nearExits[k] = a.NewLabel()
			a.Bind(g.nearExits[k])
			a.Jmp(g.sharedExits[k])
		}
	}
	for _, t := range g.traps {
		near(exitTrap, uint32(t.kind))
	}
	if len(g.backEdges) > 0 {
		near(exitInterrupt, 0)
	}
	defer clear(g.nearExits[:])
	for _, t := range g.traps {
		a.PatchRel32(t.at, a.Len())
		g.exit(exitTrap, uint32(t.kind), t.offset)
		a.Ud2()
	}
	for _, b := range g.backEdges {
		a.Bind(b.l)
		g.storePins(b.pins)
		g.exit(exitInterrupt, 0, b.offset)
		g.loadPins(b.pins)
		a.Jmp(b.back)
	}
	for _, e := range g.loopExits {
		a.Bind(e.l)
		g.storePins(e.from.pins)
		if e.from.spareLen {
			g.reloadMem(false)
		}
		a.Jmp(e.target)
	}
}

// prologue checks the stacks and the interrupt flag and zeroes the
// declared locals.
func (g *gen) prologue() {
	a := &g.a
	fn := g.fn
	// Without CheckStack, a frame that could reach past the value
	// stack's guard is still checked: the guard catches only frames
	// smaller than itself.
	if g.t.CheckStack || uint64(fn.FrameSlots)*8 >= g.t.ValueGuard {
		a.Lea(asm.W64, asm.RAX, asm.M(rFP, int32(fn.FrameSlots)*8))
		a.AluLoad(asm.AluCmp, asm.W64, asm.RAX, asm.M(rCtx, ctxStackEnd))
		g.trapIf(asm.CondA, api.TrapCallStackExhausted)
	}
	if g.t.CheckStack {
		a.AluLoad(asm.AluCmp, asm.W64, asm.RSP, asm.M(rCtx, ctxNativeLim))
		g.trapIf(asm.CondB, api.TrapCallStackExhausted)
	}
	if g.t.PollInterrupts {
		g.poll(g.frameOff)
	}
	if n := fn.LocalSlots; n > 0 {
		zero := g.localsReadFirst()
		k := uint32(0)
		for _, z := range zero {
			if z {
				k++
			}
		}
		if k <= 16 {
			if k > 0 {
				a.MovImm(asm.W32, asm.RAX, 0)
			}
			for i, z := range zero {
				if z {
					a.Store(asm.W64, slot(fn.ParamSlots+uint32(i)), asm.RAX)
				}
			}
		} else {
			// rep stosq: RDI = destination, RCX = count, RAX = 0.
			a.Lea(asm.W64, asm.RDI, slot(fn.ParamSlots))
			a.MovImm(asm.W32, asm.RCX, uint64(n))
			a.MovImm(asm.W32, asm.RAX, 0)
			a.Raw(0xF3, 0x48, 0xAB)
		}
	}
}

// localsReadFirst says which of the function's declared locals it must
// zero on entry: all but those that its first straight line of
// write-back instructions writes before anything may read them (as
// lastReads reads operands: b and c, a when not written, a select's
// condition). Compilers declare locals for most temporaries, which are
// written first; a zeroing store costs as much as the instruction that
// overwrites it.
func (g *gen) localsReadFirst() []bool {
	fn := g.fn
	lo, n := fn.ParamSlots, fn.LocalSlots
	zero := slices.Grow(g.zeroLocals[:0], int(n))[:n]
	for i := range zero {
		zero[i] = true
	}
	g.zeroLocals = zero
	written := slices.Grow(g.writtenLocals[:0], int(n))[:n]
	clear(written)
	g.writtenLocals = written
	read := func(s uint32) {
		if s >= lo && s < lo+n && !written[s-lo] {
			written[s-lo] = true // read first: stays zeroed
		}
	}
	for pc := range fn.Code {
		in := &fn.Code[pc]
		if g.labels[pc] != nil || !writesBack(in.Op) {
			break
		}
		read(in.B)
		read(in.C)
		def := definesA(in.Op)
		if !def {
			read(in.A)
		}
		if in.Op == ir.OpSelect {
			read(uint32(in.Imm))
		}
		if def && in.A >= lo && in.A < lo+n && !written[in.A-lo] {
			written[in.A-lo], zero[in.A-lo] = true, false
		}
	}
	return zero
}

// poll exits to Go if the interrupt flag is set, continuing after.
func (g *gen) poll(offset uint32) {
	a := &g.a
	out, back := a.NewLabel(), a.NewLabel()
	a.AluMemImm(asm.AluCmp, asm.W32, asm.M(rCtx, ctxInterrupt), 0)
	a.Jcc(asm.CondNE, out)
	a.Bind(back)
	var pins []pin
	if g.loop != nil {
		pins = g.loop.pins
	}
	g.backEdges = append(g.backEdges, backEdge{l: out, back: back, offset: offset, pins: pins})
}

// condBranch emits a conditional branch to the instruction's target.
func (g *gen) condBranch(c asm.Cond, in *ir.Instr) {
	g.a.Jcc(c, g.branchTo(in.Target(g.pc)))
}

// reloadMem reloads the memory registers after code that may have
// changed the instance (R14) or grown its memory.
func (g *gen) reloadMem(base bool) {
	a := &g.a
	if base {
		a.Load(asm.W64, rMem, asm.M(rVM, vmMemBase))
	}
	a.Load(asm.W64, asm.RAX, asm.M(rVM, vmMemLenPtr))
	a.Load(asm.W64, rMemLen, asm.M(asm.RAX, 0))
}

// instr translates one instruction.
func (g *gen) instr(in *ir.Instr) {
	a := &g.a
	switch in.Op {
	case ir.OpUnreachable, ir.OpJmp, ir.OpBrTable, ir.OpBrTableEntry, ir.OpReturn:
		g.keepSlots = true // they write no slot
	}
	g.lazy = writesBack(in.Op)
	switch {
	case in.Op == ir.OpReturn:
		g.flushResults()
	case !g.lazy:
		g.dropConsumed(in)
		g.flush()
	}
	switch op := in.Op; op {
	case ir.OpUnreachable:
		g.trapAlways(api.TrapUnreachable)
	case ir.OpJmp:
		t := in.Target(g.pc)
		if e, ok := g.threaded(t); ok {
			if traceThreaded != nil {
				traceThreaded(g.fn, g.pc)
			}
			if g.loopEnd[t] == 0 || !g.t.PollInterrupts {
				a.Jmp(g.labels[e])
				break
			}
			// The poll the br_table's loop head makes; an interrupt
			// takes the jump the long way, through it.
			a.AluMemImm(asm.AluCmp, asm.W32, asm.M(rCtx, ctxInterrupt), 0)
			a.Jcc(asm.CondE, g.labels[e])
		}
		a.Jmp(g.branchTo(t))
	case ir.OpBrTable:
		g.brTable(in)
	case ir.OpBrTableEntry:
		// Data of the preceding br_table.
	case ir.OpReturn:
		if g.loop != nil {
			g.storePins(g.resultPins(g.loop.pins))
		}
		a.Ret()
	case ir.OpCallLocal:
		// Every call level takes 16 bytes of machine stack, as calls
		// that save the instance register do, so that the stack limit
		// is a limit on depth whatever the calls.
		a.Lea(asm.W64, rFP, slot(in.A))
		a.Push(rVM) // not a code address, so never taken for a frame
		a.Call(g.funcLabel(in.B))
		g.returnAddr(g.offset())
		a.Lea(asm.W64, asm.RSP, asm.M(asm.RSP, 8))
		a.Lea(asm.W64, rFP, asm.M(rFP, -int32(in.A)*8))
		g.reloadMem(false)
	case ir.OpCallImport:
		a.Load(asm.W64, asm.RAX, asm.M(rVM, g.l.fn(in.B)))
		g.callFunc(in)
	case ir.OpCallIndirect:
		g.callIndirect(in)
	case ir.OpMov:
		g.keepSlots = true
		// From the register holding the value straight into the
		// destination's, not through a scratch one.
		if h, hw, ok := g.holding(in.B); ok {
			if i, ok := g.into(in.A, h); ok {
				if slotRegs[i] != h {
					a.MovRR(asm.W64, slotRegs[i], h)
				}
				g.wrote(i, hw)
				break
			}
		}
		g.ld(asm.W64, asm.RAX, in.B)
		g.st(asm.W64, in.A, asm.RAX)
	case ir.OpMov128:
		a.SSELoad(asm.Movdqu, asm.X0, slot(in.B))
		a.SSEStore(asm.MovdquStore, slot(in.A), asm.X0)
	case ir.OpConst:
		g.keepSlots = true
		if g.constStored(in) {
			break
		}
		// Into a slot register, as st would put a result: a constant
		// that the next instructions read (most are) is never stored.
		i := g.entry(in.A)
		a.MovImm(asm.W64, slotRegs[i], in.Imm)
		w := asm.W64
		if in.Imm <= 0xFFFFFFFF {
			w = asm.W32
		}
		g.slots.w[i], g.slots.dirty[i], g.slots.writer[i] = w, !g.slots.pinned[i], int32(g.pc)
	case ir.OpConst128:
		g.storeConst(slot(in.A), in.Imm)
		g.storeConst(slot(in.A+1), uint64(in.C)<<32|uint64(in.B))
	case ir.OpSelect:
		g.ld(asm.W64, asm.RAX, in.C)
		g.ld(asm.W64, asm.RCX, in.B)
		g.ld(asm.W32, asm.RDX, uint32(in.Imm))
		a.Test(asm.W32, asm.RDX, asm.RDX)
		a.Cmov(asm.CondNE, asm.W64, asm.RAX, asm.RCX)
		g.st(asm.W64, in.A, asm.RAX)
		g.keepSlots = true
	case ir.OpGlobalGet:
		g.keepSlots = true
		if g.l.inlines(in.B) {
			at := asm.M(rVM, g.l.global(in.B))
			if i, ok := g.into(in.A); ok {
				a.Load(asm.W64, slotRegs[i], at)
				g.wrote(i, asm.W64)
			} else {
				a.Load(asm.W64, asm.RAX, at)
				g.st(asm.W64, in.A, asm.RAX)
			}
			break
		}
		a.Load(asm.W64, asm.RAX, asm.M(rVM, g.l.global(in.B)))
		a.Load(asm.W64, asm.RAX, asm.M(asm.RAX, offGlobalVal))
		g.st(asm.W64, in.A, asm.RAX)
		g.keepSlots = true
	case ir.OpGlobalGet128:
		a.Load(asm.W64, asm.RAX, asm.M(rVM, g.l.global(in.B)))
		a.SSELoad(asm.Movdqu, asm.X0, asm.M(asm.RAX, offGlobalVal))
		a.SSEStore(asm.MovdquStore, slot(in.A), asm.X0)
	case ir.OpGlobalSet:
		g.keepSlots = true
		if g.l.inlines(in.A) {
			r, ok := g.operand(in.B)
			if !ok {
				r = asm.RCX
				g.ld(asm.W64, r, in.B)
			}
			a.Store(asm.W64, asm.M(rVM, g.l.global(in.A)), r)
			break
		}
		g.ld(asm.W64, asm.RCX, in.B)
		a.Load(asm.W64, asm.RAX, asm.M(rVM, g.l.global(in.A)))
		a.Store(asm.W64, asm.M(asm.RAX, offGlobalVal), asm.RCX)
		g.keepSlots = true
	case ir.OpGlobalSet128:
		a.Load(asm.W64, asm.RAX, asm.M(rVM, g.l.global(in.A)))
		a.SSELoad(asm.Movdqu, asm.X0, slot(in.B))
		a.SSEStore(asm.MovdquStore, asm.M(asm.RAX, offGlobalVal), asm.X0)
	case ir.OpMemoryGrow:
		if g.t.GrowInGuest {
			g.growInGuest(in)
		} else {
			g.step(in)
		}
	default:
		if !g.native(in) {
			g.step(in)
		}
	}
}

// constStored reports whether in, a constant, is left to the next
// instruction, a store of it to memory that pops it, which then stores
// it as an immediate (see storedConst): Go's code stores constants
// (return addresses before calls, zeros) about as often as anything
// else. The slot is not written; a register that held it no longer
// does.
func (g *gen) constStored(in *ir.Instr) bool {
	code, pc := g.fn.Code, g.pc
	if pc+1 >= len(code) || g.labels[pc+1] != nil || in.A < g.stackSlots() {
		return false
	}
	next := &code[pc+1]
	acc, ok := accessFor(next.Op)
	if !ok || !acc.store || storedSlot(next, acc) != in.A || next.B == in.A ||
		acc.mode == addrReg && next.C == in.A || acc.size == 8 && int64(in.Imm) != int64(int32(in.Imm)) {
		return false
	}
	if i := g.slots.find(in.A); i >= 0 {
		if g.slots.pinned[i] {
			return false
		}
		g.slots.valid[i], g.slots.dirty[i] = false, false
	}
	g.cacheEnd = -1
	g.pending = pendingConst{pc: pc, slot: in.A, val: in.Imm}
	return true
}

// pendingConst is the constant constStored left to the store after it.
type pendingConst struct {
	pc   int
	slot uint32
	val  uint64
}

// storedConst returns the constant a store of slot s stores, if
// constStored left it to the store being translated.
func (g *gen) storedConst(s uint32) (int32, bool) {
	p := &g.pending
	if p.pc < 0 || p.pc != g.pc-1 || p.slot != s {
		return 0, false
	}
	p.pc = -1
	return int32(p.val), true
}

// storedSlot is the slot whose value store instruction in stores.
func storedSlot(in *ir.Instr, acc access) uint32 {
	if acc.mode == addrReg {
		return in.A
	}
	return in.C
}

// stackSlots is the first of the function's operand-stack slots, which
// follow its parameters and locals: a value in one is popped by the
// instruction that reads it (see pops).
func (g *gen) stackSlots() uint32 { return g.fn.ParamSlots + g.fn.LocalSlots }

// dropConsumed forgets, before a conditional branch or a br_table is
// translated, that the slot registers holding its operands are dirty
// when those are operand-stack slots: the branch pops them, so neither
// of its ways reads them before writing them again, and storing them
// would be wasted (Go's code tests a comparison's result so at nearly
// every branch). The registers keep the values for the branch itself.
func (g *gen) dropConsumed(in *ir.Instr) {
	op := in.Op
	var b, c bool // whether B, C are operands
	switch {
	case op == ir.OpBrTable || op >= ir.OpBrIfNez32 && op <= ir.OpBrIfEqz64:
		b = true
	case op < ir.OpScalarEnd && cmpOf[op].family != 0:
		f := &cmpFamilies[cmpOf[op].family-1]
		b, c = f.branch, f.branch && !f.imm
	}
	if !b {
		return // most instructions: no branch
	}
	stack := g.stackSlots()
	for _, s := range [2]struct {
		slot uint32
		is   bool
	}{{in.B, b}, {in.C, c}} {
		if !s.is || s.slot < stack {
			continue
		}
		if i := g.slots.find(s.slot); i >= 0 && !g.slots.pinned[i] {
			g.slots.dirty[i] = false
		}
	}
}

// storeConst stores a 64-bit constant into m.
func (g *gen) storeConst(m asm.Mem, v uint64) {
	if int64(v) == int64(int32(v)) {
		g.a.StoreImm(asm.W64, m, int32(v))
		return
	}
	g.a.MovImm(asm.W64, asm.RAX, v)
	g.a.Store(asm.W64, m, asm.RAX)
}

// step hands the instruction to Go: the interpreter's implementation
// runs it on the frame. For instructions without a native translation.
func (g *gen) step(in *ir.Instr) {
	s := slowInstr{in: *in, offset: g.offset(), frame: g.fn.FrameSlots}
	if in.Op == ir.OpSIMD+0x0D && int(in.Imm) < len(g.fn.Shuffles) {
		s.shuffles = [][16]byte{g.fn.Shuffles[in.Imm]}
		s.in.Imm = 0
	}
	g.slow = append(g.slow, s)
	// Not a shared exit: the argument is the function's own index into
	// g.slow, which join turns into the module's.
	g.slowArgs = append(g.slowArgs, g.storeExit(exitStep, uint32(len(g.slow)-1)))
	g.t.emitExit(g)
	g.returnAddr(s.offset)
}

// threaded returns where a jump to t ends when t is a br_table whose
// index the instruction before the jump set to a constant: code from
// Go's compiler closes each of its loops so, through the br_table that
// dispatches on its resume point at the function's head, and jumping
// straight to the entry saves that dispatch's indirect jump. The
// constant is still stored (the jump flushes it), so the entry is
// reached with the frame the br_table would have left.
func (g *gen) threaded(t int) (int, bool) {
	code, pc := g.fn.Code, g.pc
	if pc == 0 || g.labels[pc] != nil || g.loop != nil || t >= len(code) || code[t].Op != ir.OpBrTable {
		return 0, false
	}
	set := &code[pc-1]
	if set.Op != ir.OpConst || set.A != code[t].B {
		return 0, false
	}
	k := t + 1 + int(min(uint64(uint32(set.Imm)), uint64(code[t].C)))
	e := code[k].Target(k)
	// Never into a loop whose slots are pinned but at its head.
	for i := range g.regions {
		r := &g.regions[i]
		if t >= r.head && t < r.end || e > r.head && e < r.end {
			return 0, false
		}
	}
	return e, true
}

// traceThreaded, when set (by tests), is told of each jump threaded.
var traceThreaded func(fn *ir.Func, pc int)

// brTable jumps through a table of the entries' targets, relative to
// the table; an index past the last entry takes the last, the default.
func (g *gen) brTable(in *ir.Instr) {
	a := &g.a
	n := int(in.C) // labels; entry n is the default
	g.ld(asm.W32, asm.RAX, in.B)
	entries := g.fn.Code[g.pc+1 : g.pc+2+n]
	if in.B < g.fn.ParamSlots && n > 0 {
		// A switch on an argument: code from Go's compiler starts each
		// function with one on the point to resume at, which is 0 but
		// when a goroutine's stack is rebuilt. Taking entry 0 before the
		// table spares a call the table's load and indirect jump.
		a.Test(asm.W32, asm.RAX, asm.RAX)
		a.Jcc(asm.CondE, g.branchTo(entries[0].Target(g.pc+1)))
	}
	a.MovImm(asm.W32, asm.RCX, uint64(n))
	a.Alu(asm.AluCmp, asm.W32, asm.RAX, asm.RCX)
	a.Cmov(asm.CondA, asm.W32, asm.RAX, asm.RCX)
	table := a.NewLabel()
	a.JmpTable(asm.RAX, asm.RCX, table)
	a.AlignTo(4)
	a.Bind(table)
	for e := range entries {
		a.AddLabelOffset32(g.branchTo(entries[e].Target(g.pc+1+e)), table)
	}
}

// callFunc calls the *store.Function in RAX with its frame at slot A:
// directly when it has machine code, through Go otherwise.
func (g *gen) callFunc(in *ir.Instr) {
	a := &g.a
	viaGo, done := a.NewLabel(), a.NewLabel()
	a.Load(asm.W64, asm.RCX, asm.M(asm.RAX, offFuncEntry))
	a.Test(asm.W64, asm.RCX, asm.RCX)
	a.Jcc(asm.CondE, viaGo)
	// A closed instance's memory may be gone: Go refuses the call.
	a.Load(asm.W64, asm.RDX, asm.M(asm.RAX, offFuncCtx))
	a.Load(asm.W64, asm.RSI, asm.M(asm.RDX, vmClosedPtr))
	a.AluMemImm(asm.AluCmp, asm.W32, asm.M(asm.RSI, 0), 0)
	a.Jcc(asm.CondNE, viaGo)
	a.Push(rVM)
	a.MovRR(asm.W64, rVM, asm.RDX)
	// The callee may belong to another instance: its memory registers.
	a.Load(asm.W64, rMem, asm.M(rVM, vmMemBase))
	a.Load(asm.W64, asm.RDX, asm.M(rVM, vmMemLenPtr))
	a.Load(asm.W64, rMemLen, asm.M(asm.RDX, 0))
	a.Lea(asm.W64, rFP, slot(in.A))
	a.CallReg(asm.RCX)
	g.returnAddr(g.offset())
	a.Lea(asm.W64, rFP, asm.M(rFP, -int32(in.A)*8))
	a.Pop(rVM)
	// A host function the callee called may have closed this instance.
	a.Load(asm.W64, asm.RDX, asm.M(rVM, vmClosedPtr))
	a.AluMemImm(asm.AluCmp, asm.W32, asm.M(asm.RDX, 0), 0)
	g.trapIf(asm.CondNE, api.TrapModuleClosed)
	a.Jmp(done)
	a.Bind(viaGo)
	a.Store(asm.W64, asm.M(rCtx, ctxExitPtr), asm.RAX)
	a.Lea(asm.W64, asm.RCX, slot(in.A))
	a.Store(asm.W64, asm.M(rCtx, ctxExitArgs), asm.RCX)
	g.exit(exitCall, 0, g.offset())
	a.Bind(done)
	g.reloadMem(true)
}

// callIndirect checks the table element and its type, then calls it.
func (g *gen) callIndirect(in *ir.Instr) {
	a := &g.a
	a.Load(asm.W64, asm.RAX, asm.M(rVM, g.l.table(uint32(in.Imm))))
	a.Load(asm.W32, asm.RCX, slot(in.C))
	a.AluLoad(asm.AluCmp, asm.W64, asm.RCX, asm.M(asm.RAX, offTableFuncs+8))
	g.trapIf(asm.CondAE, api.TrapUndefinedElement)
	a.Load(asm.W64, asm.RAX, asm.M(asm.RAX, offTableFuncs))
	a.Load(asm.W64, asm.RAX, asm.MI(asm.RAX, asm.RCX, 8, 0))
	a.Test(asm.W64, asm.RAX, asm.RAX)
	g.trapIf(asm.CondE, api.TrapUninitializedElement)
	a.Load(asm.W32, asm.RCX, asm.M(rVM, g.l.typ(in.B)))
	a.AluLoad(asm.AluCmp, asm.W32, asm.RCX, asm.M(asm.RAX, offFuncTypeID))
	g.trapIf(asm.CondNE, api.TrapIndirectCallTypeMismatch)
	g.callFunc(in)
}
