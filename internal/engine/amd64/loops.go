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
// temporaries of the write-back cache. Templates read at most two slots
// and write one, and one of them may hold an operand from operand while
// ld takes another register, so three are left.
const maxPins = 4

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
			g.regions = append(g.regions, loopRegion{head: h, end: end})
		}
	}
	if len(g.regions) == 0 {
		return
	}
	// Drop regions that a branch from outside enters anywhere but at
	// the head. Regions are disjoint and sorted, so one search finds
	// the region of an instruction.
	in := func(pc int) int {
		k, found := slices.BinarySearchFunc(g.regions, pc, func(r loopRegion, pc int) int {
			switch {
			case pc < r.head:
				return 1
			case pc >= r.end:
				return -1
			}
			return 0
		})
		if !found {
			return -1
		}
		return k
	}
	bad := false
	for pc := range code {
		if !ir.IsBranch(code[pc].Op) {
			continue
		}
		t := code[pc].Target(pc)
		if k := in(t); k >= 0 && t != g.regions[k].head && in(pc) != k {
			g.regions[k].end = -1
			bad = true
		}
	}
	if bad {
		g.regions = slices.DeleteFunc(g.regions, func(r loopRegion) bool { return r.end < 0 })
	}
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
	g.uses = slices.Grow(g.uses[:0], 3*int(n))[:3*n]
	clear(g.uses)
	worth, wrote, read := g.uses[:n], g.uses[n:2*n], g.uses[2*n:]
	line := uint32(1)
	var written []uint32
	use := func(s uint32) {
		if s < n && wrote[s] != line && read[s] != line {
			read[s] = line
			worth[s]++
		}
	}
	for pc := r.head; pc < r.end; pc++ {
		in := &code[pc]
		if g.labels[pc] != nil {
			line++
		}
		if !writesBack(in.Op) {
			if in.Op == ir.OpBrTable || in.Op >= ir.OpBrIfNez32 && in.Op <= ir.OpBrIfI64GeUI {
				use(in.B)
				use(in.C)
			}
			line++
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
			written = append(written, in.A)
			if wrote[in.A] = line; g.lastRead[pc] < 0 {
				worth[in.A]++
			}
		}
	}
	cands := make([]uint32, 0, maxPins+1)
	for s := range n {
		if worth[s] < 2 {
			continue
		}
		k, _ := slices.BinarySearchFunc(cands, s, func(c, s uint32) int { return int(worth[s]) - int(worth[c]) })
		if k < maxPins {
			cands = slices.Insert(cands, k, s)
			if len(cands) > maxPins {
				cands = cands[:maxPins]
			}
		}
	}
	r.pins = r.pins[:0]
	c := &g.slots
	for k, s := range cands {
		i := len(slotRegs) - 1 - k
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
}

// storePins stores the pinned slots a loop writes.
func (g *gen) storePins(pins []pin) {
	for _, p := range pins {
		if p.written {
			g.a.Store(asm.W64, slot(p.slot), slotRegs[p.reg])
		}
	}
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
