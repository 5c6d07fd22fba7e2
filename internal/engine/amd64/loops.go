package amd64

import (
	"slices"

	asm "github.com/wasmvisor/wasmvisor/internal/asm/amd64"
	"github.com/wasmvisor/wasmvisor/internal/engine/ir"
)

// Loop pinning keeps the slots an innermost loop uses most in slot
// registers for the loop's whole extent, so that values carried round
// the back edge are neither stored before it nor loaded after the loop
// head, as the write-back cache alone (flushed and dropped at every
// label) would do.
//
// A loop's region runs from its head to its last back edge (and the
// rest of that br_table's entries). It qualifies when every instruction
// in it keeps the slot cache (writeBack) or only branches (br_if, jmp,
// br_table, return, unreachable): nothing in it calls, exits to the
// host, or reads or writes slots in memory, so the pinned registers can
// be the only truth inside; and when no branch from outside it lands
// inside it but on its head. Regions that qualify contain no other loop
// head, so they never overlap.
//
// The pinned slots are loaded on the way in, by every entry: the head's
// own label (fall-through and branches from outside) is bound before the
// loads, and back edges jump past them to an inner label. Inside, reads
// and writes go to the registers and the slots are stale. The pinned
// slots the loop writes are stored on every way out that resumes: each
// branch out of the region goes through a stub that stores them (br_table
// entries included), return stores them, the fall-through past the last
// back edge stores them, and the in-process interrupt poll at the head
// stores them before its exit and loads them all again after it (Go
// neither keeps those registers nor promises the slots unchanged). A trap
// leaves them unwritten, as it leaves dirty cache registers: it ends the
// call and nothing reads the frames it abandons.
//
// Loops that call or exit are not pinned: every call and exit would have
// to store and reload the pinned registers, which the write-back cache
// alone does about as cheaply.

// maxPins is how many of slotRegs a loop may pin; the rest stay for the
// temporaries of the write-back cache. Templates copy what ld and st
// hand them at once, and may hold one operand from operand while ld
// takes another register, so two are left; loopCost decides how many
// of these a loop is better off with.
const maxPins = 5

// pin is a slot that a slot register holds for a loop's extent.
type pin struct {
	slot    uint32
	reg     int // index into slotRegs
	written bool
}

// loopRegion is an innermost loop whose slots may be pinned.
type loopRegion struct {
	head, end int // instructions [head, end)
	// inner is where back edges go: past the loads of the pinned slots.
	inner *asm.Label
	pins  []pin
	// spareLen says that nothing in the region reads the memory's
	// length (no access, no memory.size), so that the cache may use its
	// register there (lenReg, see cacheN); every way out of the region
	// that resumes reloads the length.
	spareLen bool
}

// readsMemLen reports whether a pinnable instruction uses the memory's
// length register: memory accesses check their bounds against it (on
// the in-process target) and memory.size reads it.
func readsMemLen(op ir.Opcode) bool {
	_, access := accessFor(op)
	return access || op == ir.OpMemorySize
}

// loopExit is a stub, emitted after the function, that stores a loop's
// written pinned slots and jumps to a branch's target outside the loop.
type loopExit struct {
	l, target *asm.Label
	from      *loopRegion
}

// pinnable reports whether the loop's instructions all keep the slot
// cache or only branch.
func pinnable(op ir.Opcode) bool {
	switch op {
	case ir.OpBrTable, ir.OpReturn, ir.OpUnreachable:
		return true
	}
	return writesBack(op) || ir.IsBranch(op)
}

// findLoops finds the function's loop regions that qualify for pinning.
// loopEnd[h] is one past the last back edge to h (0: h is no loop head).
func (g *gen) findLoops(loopEnd []int32) {
	code := g.fn.Code
	g.regions = g.regions[:0]
	for h := 0; h < len(code); h++ {
		if loopEnd[h] == 0 {
			continue
		}
		end := int(loopEnd[h])
		for end < len(code) && code[end].Op == ir.OpBrTableEntry {
			end++
		}
		ok := true
		for pc := h; pc < end && ok; pc++ {
			ok = pinnable(code[pc].Op) && (pc == h || loopEnd[pc] == 0)
		}
		if ok {
			spare := true
			for pc := h; pc < end && spare; pc++ {
				spare = !readsMemLen(code[pc].Op)
			}
			g.regions = append(g.regions, loopRegion{head: h, end: end, spareLen: spare})
		}
	}
	if len(g.regions) == 0 {
		return
	}
	// Drop regions that a branch from outside enters anywhere but at
	// the head. Regions are disjoint: regionOf says which one holds an
	// instruction.
	in := slices.Grow(g.regionOf[:0], len(code)+1)[:len(code)+1]
	for pc := range in {
		in[pc] = -1
	}
	for k, r := range g.regions {
		for pc := r.head; pc < r.end; pc++ {
			in[pc] = int32(k)
		}
	}
	g.regionOf = in
	bad := false
	for pc := range code {
		if !ir.IsBranch(code[pc].Op) {
			continue
		}
		t := code[pc].Target(pc)
		if k := in[t]; k >= 0 && t != g.regions[k].head && in[pc] != k {
			g.regions[k].end = -1
			bad = true
		}
	}
	if bad {
		g.regions = slices.DeleteFunc(g.regions, func(r loopRegion) bool { return r.end < 0 })
	}
	// enterLoop's tallies: marks are line numbers that only grow within
	// the function, so one clearing serves every loop.
	n := int(g.fn.FrameSlots)
	g.uses = slices.Grow(g.uses[:0], 4*n)[:4*n]
	clear(g.uses)
	g.line = 0
}

// enterLoop, at the head of region r after its label is bound, picks
// the slots to pin, loads them and binds the inner label back edges go
// to.
//
// A slot's worth is what the write-back cache alone would spend on it
// per iteration: a load for each straight line whose first access
// reads it, a store for each straight line that leaves it written. A
// temporary written and read within one line costs nothing and is left
// to the cache; slots worth less than two are not pinned.
func (g *gen) enterLoop(r *loopRegion) {
	code := g.fn.Code
	n := g.fn.FrameSlots
	worth, wrote, read, seen := g.uses[:n], g.uses[n:2*n], g.uses[2*n:3*n], g.uses[3*n:]
	g.line++
	line := g.line
	// distinct counts the slots the current line touches; pressure is
	// the most any line touches. touched lists the slots with a worth,
	// to reset when done.
	distinct, pressure := 0, 0
	var written, touched []uint32
	touch := func(s uint32) {
		if seen[s] != line {
			seen[s] = line
			distinct++
			pressure = max(pressure, distinct)
		}
	}
	use := func(s uint32) {
		if s >= n {
			return
		}
		touch(s)
		if wrote[s] != line && read[s] != line {
			read[s] = line
			if worth[s]++; worth[s] == 1 {
				touched = append(touched, s)
			}
		}
	}
	for pc := r.head; pc < r.end; pc++ {
		in := &code[pc]
		if g.labels[pc] != nil {
			line, distinct = line+1, 0
		}
		if !writesBack(in.Op) {
			if in.Op == ir.OpBrTable || in.Op >= ir.OpBrIfNez32 && in.Op <= ir.OpBrIfI64GeUI {
				use(in.B)
				use(in.C)
			}
			line, distinct = line+1, 0
			continue
		}
		use(in.B)
		use(in.C)
		if in.Op == ir.OpSelect {
			use(uint32(in.Imm))
		}
		if !definesA(in.Op) {
			use(in.A)
		} else if in.A < n {
			touch(in.A)
			written = append(written, in.A)
			if wrote[in.A] = line; g.lastRead[pc] < 0 {
				if worth[in.A]++; worth[in.A] == 1 {
					touched = append(touched, in.A)
				}
			}
		}
	}
	g.line = line
	// A loop that leaves the memory's length register free has it
	// as one more register, for pins or the cache.
	extra := 0
	if r.spareLen {
		extra = 1
		g.lenFree = true
	}
	most := maxPins + extra
	cands := make([]uint32, 0, most+1)
	for _, s := range touched {
		if worth[s] < 2 {
			continue
		}
		k, _ := slices.BinarySearchFunc(cands, s, func(c, s uint32) int { return int(worth[s]) - int(worth[c]) })
		if k < most {
			cands = slices.Insert(cands, k, s)
			if len(cands) > most {
				cands = cands[:most]
			}
		}
	}
	// Each pin takes a register from the temporaries. Where no line
	// touches more slots than the pins leave registers, that costs
	// nothing; elsewhere keep the prefix of the candidates that costs
	// least, fewer pins on a tie, trying more only while each pin
	// gains.
	if pressure+len(cands) > cacheRegs+extra {
		best, keep := g.loopCost(r, nil, extra), 0
		for k := 1; k <= len(cands); k++ {
			cost := g.loopCost(r, cands[:k], extra)
			if cost >= best {
				break
			}
			best, keep = cost, k
		}
		cands = cands[:keep]
	}
	for _, s := range touched {
		worth[s] = 0
	}
	r.pins = r.pins[:0]
	c := &g.slots
	for k, s := range cands {
		i := cacheRegs - 1 - k + extra // the length register first, where free
		r.pins = append(r.pins, pin{slot: s, reg: i, written: slices.Contains(written, s)})
		g.a.Load(asm.W64, slotRegs[i], slot(s))
		c.slot[i], c.w[i], c.valid[i], c.dirty[i], c.pinned[i] = s, asm.W64, true, false, true
		c.touch(i)
	}
	if tracePins != nil {
		tracePins(g.fn, r.head, r.pins)
	}
	r.inner = g.a.NewLabel()
	g.a.Bind(r.inner)
	g.loop = r
}

// loopCost estimates the loads and stores of slots one pass through
// region r costs when pins are pinned: it replays the write-back cache
// on the remaining slot registers as the templates use it (ld of the
// first operand and st of the result take a register, other operands
// are read from one or from the frame; a register whose value is dead,
// as lastReads says, is taken without a store; all dirty ones are
// stored before a branch and the cache is dropped at a label). A long
// straight line with more live values than registers, such as an
// unrolled cipher round, can lose more to the registers pins take than
// the pins save at the back edge.
func (g *gen) loopCost(r *loopRegion, pins []uint32, extra int) int {
	sim := cacheSim{g: g, pins: pins, free: cacheRegs + extra - len(pins)}
	code := g.fn.Code
	for pc := r.head; pc < r.end; pc++ {
		in := &code[pc]
		sim.pc = int32(pc)
		if g.labels[pc] != nil {
			sim.flush()
			sim.valid = [len(slotRegs)]bool{}
		}
		if !writesBack(in.Op) {
			sim.flush()
			if in.Op == ir.OpBrTable || in.Op >= ir.OpBrIfNez32 && in.Op <= ir.OpBrIfI64GeUI {
				sim.read(in.B, false)
				sim.read(in.C, false)
			}
			continue
		}
		sim.read(in.B, true)
		sim.read(in.C, false)
		if in.Op == ir.OpSelect {
			sim.read(uint32(in.Imm), true)
		}
		if !definesA(in.Op) {
			sim.read(in.A, false)
		} else if in.A < g.fn.FrameSlots && !sim.pinned(in.A) {
			i := sim.find(in.A)
			if i < 0 {
				i = sim.take(in.A)
			}
			sim.dirty[i], sim.writer[i] = true, int32(pc)
		}
	}
	return sim.cost
}

// cacheSim is loopCost's model of the slot cache, on the first free
// entries.
type cacheSim struct {
	g      *gen
	pins   []uint32
	free   int
	pc     int32
	cost   int
	clock  uint32
	valid  [len(slotRegs)]bool
	dirty  [len(slotRegs)]bool
	slot   [len(slotRegs)]uint32
	writer [len(slotRegs)]int32
	used   [len(slotRegs)]uint32
}

func (c *cacheSim) pinned(s uint32) bool {
	for _, p := range c.pins {
		if p == s {
			return true
		}
	}
	return false
}

// find returns the entry holding s, marked used, or -1.
func (c *cacheSim) find(s uint32) int {
	for i := range c.free {
		if c.valid[i] && c.slot[i] == s {
			c.clock++
			c.used[i] = c.clock
			return i
		}
	}
	return -1
}

// dead reports whether entry i holds a dirty value no one reads again.
func (c *cacheSim) dead(i int) bool {
	r := c.g.lastRead[c.writer[i]]
	return c.dirty[i] && r >= 0 && r < c.pc
}

// take returns an entry for s, evicting as victim does: a free one or a
// dead value, else the least recently used clean one, else the least
// recently used, which costs a store.
func (c *cacheSim) take(s uint32) int {
	best := -1
	for i := range c.free {
		if !c.valid[i] || c.dead(i) {
			best = i
			break
		}
		if best < 0 || c.dirty[i] != c.dirty[best] && !c.dirty[i] ||
			c.dirty[i] == c.dirty[best] && c.used[i] < c.used[best] {
			best = i
		}
	}
	if c.valid[best] && c.dirty[best] && !c.dead(best) {
		c.cost++
	}
	c.clock++
	c.slot[best], c.valid[best], c.dirty[best], c.used[best] = s, true, false, c.clock
	return best
}

// read counts a load of s unless a register holds it; alloc says the
// template loads it into a slot register (ld), not straight into an
// instruction's operand.
func (c *cacheSim) read(s uint32, alloc bool) {
	if s >= c.g.fn.FrameSlots || c.pinned(s) || c.find(s) >= 0 {
		return
	}
	c.cost++
	if alloc {
		c.take(s)
	}
}

// flush counts the stores of the dirty entries.
func (c *cacheSim) flush() {
	for i := range c.free {
		if c.valid[i] && c.dirty[i] {
			c.cost++
			c.dirty[i] = false
		}
	}
}

// leaveLoop ends the current region where control falls out of it past
// its last back edge: the pinned slots the loop wrote are stored, unless
// nothing falls through.
func (g *gen) leaveLoop() {
	r := g.loop
	g.loop = nil
	c := &g.slots
	last := g.fn.Code[r.end-1].Op
	falls := last != ir.OpJmp && last != ir.OpBrTableEntry
	if falls {
		g.storePins(r.pins)
	}
	for _, p := range r.pins {
		c.pinned[p.reg] = false
		c.valid[p.reg] = falls
	}
	if r.spareLen {
		// The length register goes back to holding the length; a
		// value the cache kept there reaches its slot first.
		if falls {
			if c.valid[lenReg] && c.dirty[lenReg] {
				g.a.Store(asm.W64, slot(c.slot[lenReg]), slotRegs[lenReg])
			}
			g.reloadMem(false)
		}
		c.valid[lenReg], c.dirty[lenReg] = false, false
		g.lenFree = false
	}
}

// storePins stores the pinned slots a loop writes.
func (g *gen) storePins(pins []pin) {
	for _, p := range pins {
		if p.written {
			g.a.Store(asm.W64, slot(p.slot), slotRegs[p.reg])
		}
	}
}

// resultPins returns the pins that hold the function's results, the
// only ones a return must store (see flushResults). It reuses no
// memory of pins.
func (g *gen) resultPins(pins []pin) []pin {
	var out []pin
	for _, p := range pins {
		if p.slot < g.resultSlots {
			out = append(out, p)
		}
	}
	return out
}

// loadPins loads every pinned slot into its register.
func (g *gen) loadPins(pins []pin) {
	for _, p := range pins {
		g.a.Load(asm.W64, slotRegs[p.reg], slot(p.slot))
	}
}

// branchTo returns the label a branch from the instruction being
// translated to instruction t jumps to: past the loads of the pinned
// slots for a back edge of the current loop, through a stub that stores
// them for a branch out of it.
func (g *gen) branchTo(t int) *asm.Label {
	r := g.loop
	switch {
	case r == nil || t > r.head && t < r.end:
		return g.labels[t]
	case t == r.head:
		return r.inner
	}
	target := g.labels[t]
	if !slices.ContainsFunc(r.pins, func(p pin) bool { return p.written }) {
		return target
	}
	for _, e := range g.loopExits {
		if e.target == target && e.from == r {
			return e.l
		}
	}
	l := g.a.NewLabel()
	g.loopExits = append(g.loopExits, loopExit{l: l, target: target, from: r})
	return l
}

// tracePins, when set (by tests), is told which slots each loop pins.
var tracePins func(fn *ir.Func, head int, pins []pin)
