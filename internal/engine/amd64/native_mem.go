package amd64

import (
	"github.com/wasmvisor/wasmvisor/api"
	asm "github.com/wasmvisor/wasmvisor/internal/asm/amd64"
	"github.com/wasmvisor/wasmvisor/internal/engine/ir"
)

// access describes a scalar load or store of the slot form.
type access struct {
	size  uint8     // bytes accessed
	w     asm.Width // register width of the loaded value
	sx    bool      // sign-extend a narrow load
	store bool
	mode  addrMode
}

type addrMode uint8

const (
	addrPlain addrMode = iota // address slot b, offset imm
	addrImm                   // "AI": address uint32(b + uint32(imm)), offset imm>>32
	addrReg                   // "AR": address uint32(b + c), offset imm
	addrConst                 // "K": effective address imm
)

var accesses = map[ir.Opcode]access{
	ir.OpI32Load:    {size: 4, w: asm.W32},
	ir.OpI64Load:    {size: 8, w: asm.W64},
	ir.OpI32Load8S:  {size: 1, w: asm.W32, sx: true},
	ir.OpI32Load8U:  {size: 1, w: asm.W32},
	ir.OpI32Load16S: {size: 2, w: asm.W32, sx: true},
	ir.OpI32Load16U: {size: 2, w: asm.W32},
	ir.OpI64Load8S:  {size: 1, w: asm.W64, sx: true},
	ir.OpI64Load8U:  {size: 1, w: asm.W64},
	ir.OpI64Load16S: {size: 2, w: asm.W64, sx: true},
	ir.OpI64Load16U: {size: 2, w: asm.W64},
	ir.OpI64Load32S: {size: 4, w: asm.W64, sx: true},
	ir.OpI64Load32U: {size: 4, w: asm.W64},
	ir.OpStore32:    {size: 4, store: true},
	ir.OpStore64:    {size: 8, store: true},
	ir.OpStore8:     {size: 1, store: true},
	ir.OpStore16:    {size: 2, store: true},

	ir.OpI32LoadAI:    {size: 4, w: asm.W32, mode: addrImm},
	ir.OpI64LoadAI:    {size: 8, w: asm.W64, mode: addrImm},
	ir.OpI32Load8SAI:  {size: 1, w: asm.W32, sx: true, mode: addrImm},
	ir.OpI32Load8UAI:  {size: 1, w: asm.W32, mode: addrImm},
	ir.OpI32Load16SAI: {size: 2, w: asm.W32, sx: true, mode: addrImm},
	ir.OpI32Load16UAI: {size: 2, w: asm.W32, mode: addrImm},
	ir.OpI32LoadAR:    {size: 4, w: asm.W32, mode: addrReg},
	ir.OpI64LoadAR:    {size: 8, w: asm.W64, mode: addrReg},
	ir.OpI32Load8SAR:  {size: 1, w: asm.W32, sx: true, mode: addrReg},
	ir.OpI32Load8UAR:  {size: 1, w: asm.W32, mode: addrReg},
	ir.OpI32Load16SAR: {size: 2, w: asm.W32, sx: true, mode: addrReg},
	ir.OpI32Load16UAR: {size: 2, w: asm.W32, mode: addrReg},
	ir.OpI32LoadK:     {size: 4, w: asm.W32, mode: addrConst},
	ir.OpI64LoadK:     {size: 8, w: asm.W64, mode: addrConst},
	ir.OpI32Load8UK:   {size: 1, w: asm.W32, mode: addrConst},
	ir.OpStore32AI:    {size: 4, store: true, mode: addrImm},
	ir.OpStore64AI:    {size: 8, store: true, mode: addrImm},
	ir.OpStore8AI:     {size: 1, store: true, mode: addrImm},
	ir.OpStore16AI:    {size: 2, store: true, mode: addrImm},
	ir.OpStore32AR:    {size: 4, store: true, mode: addrReg},
	ir.OpStore64AR:    {size: 8, store: true, mode: addrReg},
	ir.OpStore8AR:     {size: 1, store: true, mode: addrReg},
	ir.OpStore16AR:    {size: 2, store: true, mode: addrReg},
	ir.OpStore32K:     {size: 4, store: true, mode: addrConst},
	ir.OpStore64K:     {size: 8, store: true, mode: addrConst},
	ir.OpStore8K:      {size: 1, store: true, mode: addrConst},
}

// accessOf is accesses as an array indexed by opcode: the generator
// looks every instruction up, and a map lookup costs several times an
// index.
var accessOf [ir.OpScalarEnd]struct {
	access
	ok bool
}

func init() {
	for op, acc := range accesses {
		accessOf[op].access, accessOf[op].ok = acc, true
	}
}

// accessFor returns the access op makes, if it is a scalar load or store.
func accessFor(op ir.Opcode) (access, bool) {
	if op >= ir.OpScalarEnd {
		return access{}, false
	}
	return accessOf[op].access, accessOf[op].ok
}

func widthOfSize(n uint8) asm.Width {
	switch n {
	case 1:
		return asm.W8
	case 2:
		return asm.W16
	case 4:
		return asm.W32
	}
	return asm.W64
}

func (g *gen) nativeMem(in *ir.Instr) bool {
	acc, ok := accessFor(in.Op)
	if !ok {
		return false
	}
	a := &g.a
	m := g.address(in, acc.mode, uint64(acc.size), true)
	if acc.store {
		val := storedSlot(in, acc)
		if v, ok := g.storedConst(val); ok {
			a.StoreImm(widthOfSize(acc.size), m, v)
			return true
		}
		r, ok := g.operand(val)
		if !ok {
			r = asm.RCX
			// The address may be in a slot register, which ld must not
			// take for the value.
			k := -1
			if m.HasIndex {
				k = slotIndex(m.Index)
			}
			if k >= 0 {
				g.slots.locked[k] = true
				if g.lazy && g.spare() {
					g.ld(asm.W64, r, val)
				} else {
					a.Load(asm.W64, r, slot(val))
				}
				g.slots.locked = [len(slotRegs)]bool{}
			} else {
				g.ld(asm.W64, r, val)
			}
		}
		a.Store(widthOfSize(acc.size), m, r)
		return true
	}
	// Into the result's slot register when there is one to take: m
	// uses no slot register, so any may be.
	if i, ok := g.into(in.A); ok {
		d := slotRegs[i]
		if acc.sx {
			a.LoadSX(acc.w, widthOfSize(acc.size), d, m)
		} else {
			a.Load(widthOfSize(acc.size), d, m)
		}
		g.wrote(i, acc.w)
		return true
	}
	if acc.sx {
		a.LoadSX(acc.w, widthOfSize(acc.size), asm.RCX, m)
	} else if acc.size == 8 {
		a.Load(asm.W64, asm.RCX, m)
	} else {
		a.Load(widthOfSize(acc.size), asm.RCX, m)
	}
	g.st(acc.w, in.A, asm.RCX)
	return true
}

// effectiveAddr computes the address of an access of size bytes,
// checking it against the memory's length when the target asks, and
// returns the memory operand that reaches it. It uses RAX and RDX.
func (g *gen) effectiveAddr(in *ir.Instr, mode addrMode, size uint64) asm.Mem {
	return g.address(in, mode, size, false)
}

// address is effectiveAddr; with fold, an address slot that a slot
// register holds zero-extended (the result of a 32-bit operation, as
// most addresses are) is the memory operand's index itself, not copied
// into RAX first. The caller must then keep that register until the
// access: ld may take it for another slot.
func (g *gen) address(in *ir.Instr, mode addrMode, size uint64, fold bool) asm.Mem {
	a := &g.a
	// Whether the access needs a check of its own: not when one that
	// reached at least as far through the same address passed.
	check := g.t.CheckBounds
	switch {
	case !check:
	case mode == addrPlain:
		check = !g.checks.passed(in.B, in.Imm+size)
	case mode == addrConst:
		check = !g.checks.passed(constAddress, in.Imm+size)
	}
	if fold && mode == addrPlain && in.Imm+size <= 1<<31-1 {
		if h, hw, ok := g.holding(in.B); ok && hw == asm.W32 && slotIndex(h) >= 0 {
			if check {
				a.Lea(asm.W64, asm.RDX, asm.M(h, int32(in.Imm+size)))
				a.Alu(asm.AluCmp, asm.W64, asm.RDX, rMemLen)
				g.trapIf(asm.CondA, api.TrapOutOfBoundsMemory)
			}
			return asm.MI(rMem, h, 1, int32(in.Imm))
		}
	}
	var offset uint64
	switch mode {
	case addrConst:
		end := in.Imm + size
		if check {
			if end <= 1<<31-1 {
				a.AluImm(asm.AluCmp, asm.W64, rMemLen, int32(end))
			} else {
				a.MovImm(asm.W64, asm.RDX, end)
				a.Alu(asm.AluCmp, asm.W64, rMemLen, asm.RDX)
			}
			g.trapIf(asm.CondB, api.TrapOutOfBoundsMemory)
		}
		if in.Imm <= 1<<31-1 {
			return asm.M(rMem, int32(in.Imm))
		}
		a.MovImm(asm.W64, asm.RAX, in.Imm)
		return asm.MI(rMem, asm.RAX, 1, 0)
	case addrPlain:
		g.ld(asm.W32, asm.RAX, in.B)
		offset = in.Imm
	case addrImm:
		g.ld(asm.W32, asm.RAX, in.B)
		a.AluImm(asm.AluAdd, asm.W32, asm.RAX, int32(uint32(in.Imm)))
		offset = in.Imm >> 32
	case addrReg:
		g.ld(asm.W32, asm.RAX, in.B)
		g.aluSlot(asm.AluAdd, asm.W32, asm.RAX, in.C)
		offset = in.Imm
	}
	// RAX holds the 32-bit index, zero-extended.
	if offset+size > 1<<31-1 {
		a.MovImm(asm.W64, asm.RDX, offset)
		a.Alu(asm.AluAdd, asm.W64, asm.RAX, asm.RDX)
		offset = 0
	}
	if check {
		a.Lea(asm.W64, asm.RDX, asm.M(asm.RAX, int32(offset+size)))
		a.Alu(asm.AluCmp, asm.W64, asm.RDX, rMemLen)
		g.trapIf(asm.CondA, api.TrapOutOfBoundsMemory)
	}
	return asm.MI(rMem, asm.RAX, 1, int32(offset))
}

// passedChecks are the bounds checks made in the straight-line code
// being translated, by address slot (or constAddress) and the end of
// the access they let through. Memory never shrinks, so an access
// through the same address that ends no further cannot fail while the
// slot keeps its value: the generator forgets a slot's entry when an
// instruction writes the slot, and all of them at a label (other paths
// arrive) and after any instruction that may write other slots than
// its result (calls, exits to Go). Go's code reads and writes its stack
// through one address many times in a row; about a third of its
// checks go.
type passedChecks struct {
	n    int
	slot [8]uint32
	end  [8]uint64
}

// constAddress stands for the constant address 0 in passedChecks.
const constAddress = ^uint32(0)

func (c *passedChecks) clear() { c.n = 0 }

// passed reports whether an access through slot ending at end needs no
// check, and records that it passes otherwise (the caller checks it).
func (c *passedChecks) passed(slot uint32, end uint64) bool {
	for i := range c.n {
		if c.slot[i] == slot {
			if end <= c.end[i] {
				return true
			}
			c.end[i] = end
			return false
		}
	}
	if c.n < len(c.slot) {
		c.slot[c.n], c.end[c.n] = slot, end
		c.n++
	}
	return false
}

// forget drops slot's entry: the slot was written.
func (c *passedChecks) forget(slot uint32) {
	for i := range c.n {
		if c.slot[i] == slot {
			c.n--
			c.slot[i], c.end[i] = c.slot[c.n], c.end[c.n]
			return
		}
	}
}
