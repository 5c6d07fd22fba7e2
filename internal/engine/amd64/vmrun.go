package amd64

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"
	"unsafe"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/engine"
	"github.com/wasmvisor/wasmvisor/internal/engine/interp"
	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/vm"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// A call into code of the VM target runs in a micro-VM of its own,
// taken from the monitor's pool for the call and given back after it.
// Machine code reaches an instance only through its state block (R14),
// the store's objects the block points at (functions, globals, tables)
// and its memory window, so the session lays out a guest copy of each in
// the VM's data region, at guest addresses, with the field offsets of
// the store's types: the code is the same whichever target runs it, only
// the addresses differ.
//
// The store stays the truth between calls. Globals are copied in at the
// start and out at the end and around every call to the host (which may
// read or set them); tables are compared with their copies after every
// exit (an exit is where the host can change them); memories are the
// instance's own pages, mapped into their windows, so neither side
// copies them.
//
// The data region holds the state from its start and the value stack at
// its end; the unmapped space after the region is the value stack's
// guard.
const (
	// vmDataSize is each VM's data region. Untouched pages cost nothing.
	vmDataSize = vm.MaxDataSize
	// vmValueGuard is what the code generator may count on of the guard
	// after the value stack: the unmapped space up to the memory windows,
	// rounded down.
	vmValueGuard = 256 << 20
	// vmMaxStack is the largest machine stack a VM has (vm.Config).
	vmMaxStack = 256 << 20
)

// The guard is at least what the code generator counts on.
const _ uint64 = vm.MemoryBase - (vm.DataBase + vmDataSize) - vmValueGuard

// Sizes of the guest copies of store objects: each is as long as the
// last field machine code reads, so those fields sit at the offsets they
// have in the store's types.
var (
	vmFuncRecord   = roundUp8(max(offFuncEntry+8, offFuncCtx+8, offFuncTypeID+4))
	vmGlobalRecord = roundUp8(offGlobalVal + 16)
	vmTableRecord  = roundUp8(offTableFuncs + 24)
)

func roundUp8(n int32) uint64 { return uint64(n+7) &^ 7 }

// vmExits serves VM code's exits; the session is the Entry's Env.
var vmExits vm.Table

func init() {
	// Registered here, not in vmExits's initializer: the handler leads
	// back to vmCall, which refers to vmExits.
	if err := vmExits.Register(vmHypercallExit, func(c *vm.Call) (uint64, error) {
		return 0, c.Env.(*vmSession).exit(c)
	}); err != nil {
		panic(err)
	}
}

// vmSession is one call from Go running in a VM.
type vmSession struct {
	e     *Engine
	cs    *callState
	stats *engine.ExitStats // nil when the caller does not count
	v     *vm.VM
	// turn is whether the call holds a turn of the monitor's
	// (vm.Monitor.Turn); nil for a call re-entering from a host
	// function, which takes none.
	turn *bool
	data []byte // the VM's data region; guest address DataBase+i is data[i]
	used uint64 // bytes of the state area laid out
	// vstack and vend bound the value stack in data.
	vstack, vend uint64

	mods  []*vmModule // by guest address
	insts map[*store.Instance]*vmInst
	// byCtx finds an instance by its state block's guest address.
	byCtx map[uint64]*vmInst
	// funcs are the guest copies of functions, and recs the reverse.
	funcs   map[*store.Function]uint64
	recs    map[uint64]*store.Function
	globals map[*store.Global]uint64
	tables  map[*store.Table]*vmTable
	mems    map[*store.Memory]*vmMemory
	// zero is the offset of a zero word: the length of no memory.
	zero uint64
	// servers are the data of the callers' servers of the WASI calls
	// the guest serves (guest.go), which the host refreshes at every
	// exit.
	servers []*vmServer
}

type vmModule struct {
	mod  *Module
	base uint64 // guest address of its code
}

type vmInst struct {
	inst   *store.Instance
	mod    *vmModule
	block  uint64 // offset of its state block in data
	closed uint64 // offset of its closed word
}

type vmTable struct {
	t   *store.Table
	rec uint64 // offset of the record
	arr uint64 // offset of the element array
	cap int
	// len is the table's length the array was last synced to, and
	// changes the table's count of changes then.
	len     int
	changes uint64
	synced  bool
}

type vmMemory struct {
	m      *store.Memory
	window int
	length uint64 // offset of the memory's record (memRecLen...)
	// synced is the length the guest last saw from the host, and grown
	// how often the host grew the memory since the session began.
	synced uint64
	grown  int
}

// lendAfter is how many growths the host serves before it lends the
// guest the tables to grow a memory by itself (vm.VM.LendGrowth): a VM
// that lent them is torn down after the call instead of pooled, which
// costs a program that grows its memory once or twice more than the
// exits saved; one that keeps growing (a Go program's heap) gains.
const lendAfter = 2

func (s *vmSession) guest(off uint64) uint64 { return vm.DataBase + off }

func (s *vmSession) put64(off, v uint64) { binary.LittleEndian.PutUint64(s.data[off:], v) }
func (s *vmSession) get64(off uint64) uint64 {
	return binary.LittleEndian.Uint64(s.data[off:])
}

// alloc lays out n bytes (a multiple of 8) of the state area, zeroed,
// and lets the guest reach it and the value stack.
func (s *vmSession) alloc(n uint64) (uint64, error) {
	if n > s.vstack-s.used {
		return 0, fmt.Errorf("instance state of more than %d bytes does not fit the VM's data region", s.vstack)
	}
	if err := s.v.ExposeData(s.used+n, s.vstack); err != nil {
		return 0, err
	}
	off := s.used
	s.used += n
	clear(s.data[off:s.used])
	return off, nil
}

// vmCall runs f in a VM: the VM target's Call, of which cs is the
// record.
func (e *Engine) vmCall(cs *callState, f *store.Function, code *Code, stack []uint64) error {
	ctx := cs.ctx
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	cs.ctx = runCtx
	var interrupt uint32
	// turn says whether the call holds one of the monitor's turns; a
	// host function gives it up while it runs (vmSession.callOut).
	var turn bool
	if cs.reentry == 0 {
		// Before BeginCall: a wait for a turn holds up no release of
		// closed instances' memories. The turn is given back after Put
		// (defers run last first).
		turn = e.mon.Turn()
		defer func() {
			if turn {
				e.mon.EndTurn()
			}
		}()
		// Close stops the guest through the run's context.
		cs.call.Kick = cancel
		if !f.Instance.BeginCall(&cs.call, &interrupt) {
			return &api.Trap{Kind: api.TrapModuleClosed}
		}
		defer cs.call.End()
	}
	if err := e.vmStackFits(); err != nil {
		return err
	}
	// A VM that kept slots for this memory's host pages needs none made.
	var memory uintptr
	if m := f.Instance.Memory(); m != nil && m.Lin != nil {
		memory = m.Lin.Base()
	}
	v, err := e.mon.GetFor(memory)
	if err != nil {
		return fmt.Errorf("getting a micro-VM: %w", err)
	}
	defer e.mon.Put(v)
	s := &vmSession{
		e: e, cs: cs, v: v, data: v.Data(), stats: engine.ExitStatsFrom(ctx),
		insts:   map[*store.Instance]*vmInst{},
		byCtx:   map[uint64]*vmInst{},
		funcs:   map[*store.Function]uint64{},
		recs:    map[uint64]*store.Function{},
		globals: map[*store.Global]uint64{},
		tables:  map[*store.Table]*vmTable{},
		mems:    map[*store.Memory]*vmMemory{},
	}
	if cs.reentry == 0 {
		s.turn = &turn
	}
	s.vend = uint64(len(s.data))
	s.vstack = s.vend - uint64(e.valueBytes)
	if err := s.load(f.Instance); err != nil {
		return &api.Trap{Kind: api.TrapInternal, Detail: fmt.Sprintf("preparing the micro-VM: %v", err)}
	}
	if err := s.syncIn(); err != nil {
		return &api.Trap{Kind: api.TrapInternal, Detail: fmt.Sprintf("preparing the micro-VM: %v", err)}
	}
	n := max(f.ParamSlots, f.ResultSlots)
	if uint64(n)*8 > s.vend-s.vstack {
		return &api.Trap{Kind: api.TrapCallStackExhausted, Detail: fmt.Sprintf("%d values of params or results exceed the stack of %d bytes", n, e.valueBytes)}
	}
	frame := s.slots(s.vstack, n)
	copy(frame, stack[:f.ParamSlots])

	vi := s.insts[f.Instance]
	page := v.ContextPage()
	binary.LittleEndian.PutUint64(page[ctxStackEnd:], s.guest(s.vend))
	target := vi.mod.base + uint64(code.mod.funcs[code.idx].start)
	started := time.Now()
	_, err = v.Run(runCtx, &vm.Entry{
		Addr:       vi.mod.base, // the module's entry thunk
		Args:       [6]uint64{vm.ContextAddr, s.guest(vi.block), s.guest(s.vstack), target, s.stackStart()},
		Hypercalls: &vmExits,
		Env:        s,
	})
	if s.stats != nil {
		s.stats.AddCall(time.Since(started))
		if err == nil {
			s.stats.Add("return", 0)
		}
	}
	if gerr := s.takeGrowth(); gerr != nil && err == nil {
		err = &api.Trap{Kind: api.TrapInternal, Detail: gerr.Error()}
	}
	s.globalsOut()
	s.drainServers(true)
	if err != nil {
		return s.runError(err)
	}
	copy(stack, frame[:f.ResultSlots])
	return nil
}

// stackStart is where the machine stack starts: as far above its guard
// as the engine's limit on call depth allows, whatever the VM's stack
// size (which the monitor rounds up), so that calls nest as deep in a VM
// as in-process.
func (s *vmSession) stackStart() uint64 {
	bottom := uint64(vm.StackTop - len(s.v.Stack()))
	return min(bottom+uint64(s.e.nativeBytes+nativeSlack)&^15, vm.StackTop-16)
}

// slots returns n value slots at offset off of the data region.
func (s *vmSession) slots(off uint64, n uint32) []uint64 {
	return unsafe.Slice((*uint64)(unsafe.Pointer(&s.data[off])), n)
}

// load lays out inst and every instance of this engine's code whose
// functions it imports, directly or through others: the code that can
// run without leaving the VM. Functions of other instances are called
// through the host.
func (s *vmSession) load(root *store.Instance) error {
	var err error
	if s.zero, err = s.alloc(8); err != nil {
		return err
	}
	queue := []*store.Instance{root}
	for len(queue) > 0 {
		inst := queue[0]
		queue = queue[1:]
		if s.insts[inst] != nil {
			continue
		}
		if inst.Closed() && inst != root {
			// Its memory may be gone: calls to it go through the host,
			// which refuses them.
			continue
		}
		if inst.EngineState == nil && s.ownsCode(inst) {
			// An instance whose instantiation failed after its
			// functions were placed in another's table: the spec keeps
			// them callable.
			if err := s.e.Instantiated(inst); err != nil {
				return err
			}
		}
		st, ok := inst.EngineState.(*instanceState)
		if !ok || st.mod.t != s.e.t {
			if inst == root {
				return fmt.Errorf("instance %q has no code for the %s target", inst.Name, s.e.t.Name)
			}
			continue
		}
		vi := &vmInst{inst: inst}
		if vi.mod, err = s.module(st.mod); err != nil {
			return err
		}
		if vi.block, err = s.alloc(uint64(st.mod.layout.size)); err != nil {
			return err
		}
		if vi.closed, err = s.alloc(8); err != nil {
			return err
		}
		s.insts[inst] = vi
		s.byCtx[s.guest(vi.block)] = vi
		for _, f := range inst.Funcs {
			if f.Instance != inst && f.Instance != nil && s.insts[f.Instance] == nil {
				queue = append(queue, f.Instance)
			}
		}
	}
	// Blocks once every instance has its place, since functions point at
	// their instances' blocks.
	for _, vi := range s.insts {
		if err := s.fillBlock(vi); err != nil {
			return err
		}
	}
	return nil
}

// ownsCode reports whether inst has functions of code this engine's
// target made.
func (s *vmSession) ownsCode(inst *store.Instance) bool {
	for _, f := range inst.Funcs {
		if c, ok := f.Code.(*Code); ok && f.Instance == inst {
			return c.mod.t == s.e.t
		}
	}
	return false
}

// module maps mod's code into the VM once.
func (s *vmSession) module(mod *Module) (*vmModule, error) {
	for _, m := range s.mods {
		if m.mod == mod {
			return m, nil
		}
	}
	base, err := s.v.MapCode(mod.mem.pages())
	if err != nil {
		return nil, err
	}
	m := &vmModule{mod: mod, base: base}
	i, _ := slices.BinarySearchFunc(s.mods, base, func(m *vmModule, b uint64) int { return cmp.Compare(m.base, b) })
	s.mods = slices.Insert(s.mods, i, m)
	return m, nil
}

// fillBlock writes vi's state block: the guest view of its memory and of
// its functions, globals, tables and types.
func (s *vmSession) fillBlock(vi *vmInst) error {
	inst, l := vi.inst, vi.mod.mod.layout
	b := vi.block
	s.put64(b+vmMemLenPtr, s.guest(s.zero))
	if m := inst.Memory(); m != nil {
		mm, err := s.memory(m)
		if err != nil {
			return err
		}
		s.put64(b+vmMemBase, vm.MemoryWindowBase(mm.window))
		s.put64(b+vmMemLenPtr, s.guest(mm.length))
	}
	s.put64(b+vmInstance, 0) // the host finds instances through byCtx
	s.put64(b+vmClosedPtr, s.guest(vi.closed))
	for i, f := range inst.Funcs {
		r, err := s.function(f)
		if err != nil {
			return err
		}
		if f.Guest.Kind != store.GuestNone && f.Instance != inst {
			if r, err = s.guestRoutine(vi, f, r); err != nil {
				return err
			}
		}
		s.put64(b+uint64(l.fn(uint32(i))), r)
	}
	for i, g := range inst.Globals {
		r, err := s.global(g)
		if err != nil {
			return err
		}
		s.put64(b+uint64(l.global(uint32(i))), r)
	}
	for i, t := range inst.Tables {
		r, err := s.table(t)
		if err != nil {
			return err
		}
		s.put64(b+uint64(l.table(uint32(i))), s.guest(r.rec))
	}
	for i, id := range inst.Types {
		s.put64(b+uint64(l.typ(uint32(i))), uint64(id))
	}
	return nil
}

// function returns the guest address of f's copy, made on first use:
// its entry and state block when its instance runs in the VM, no entry
// (so that calls go through the host) otherwise.
func (s *vmSession) function(f *store.Function) (uint64, error) {
	if f == nil {
		return 0, nil
	}
	if r, ok := s.funcs[f]; ok {
		return r, nil
	}
	off, err := s.alloc(vmFuncRecord)
	if err != nil {
		return 0, err
	}
	if vi := s.insts[f.Instance]; vi != nil && f.Host == nil {
		if c, ok := f.Code.(*Code); ok && c.mod == vi.mod.mod {
			s.put64(off+uint64(offFuncEntry), vi.mod.base+uint64(c.mod.funcs[c.idx].start))
			s.put64(off+uint64(offFuncCtx), s.guest(vi.block))
		}
	}
	binary.LittleEndian.PutUint32(s.data[off+uint64(offFuncTypeID):], uint32(f.TypeID))
	r := s.guest(off)
	s.funcs[f], s.recs[r] = r, f
	return r, nil
}

func (s *vmSession) global(g *store.Global) (uint64, error) {
	if r, ok := s.globals[g]; ok {
		return r, nil
	}
	off, err := s.alloc(vmGlobalRecord)
	if err != nil {
		return 0, err
	}
	r := s.guest(off)
	s.globals[g] = r
	return r, nil
}

func (s *vmSession) table(t *store.Table) (*vmTable, error) {
	if vt := s.tables[t]; vt != nil {
		return vt, nil
	}
	off, err := s.alloc(vmTableRecord)
	if err != nil {
		return nil, err
	}
	vt := &vmTable{t: t, rec: off}
	s.tables[t] = vt
	return vt, nil
}

func (s *vmSession) memory(m *store.Memory) (*vmMemory, error) {
	if mm := s.mems[m]; mm != nil {
		return mm, nil
	}
	off, err := s.alloc(memRecSize)
	if err != nil {
		return nil, err
	}
	w := len(s.mems)
	if err := s.v.AttachMemoryAt(w, m.Lin); err != nil {
		return nil, err
	}
	mm := &vmMemory{m: m, window: w, length: off, synced: uint64(len(m.Lin.Bytes()))}
	s.mems[m] = mm
	return mm, nil
}

// syncIn brings every guest copy up to date with the store: at the
// start, and after the host ran.
func (s *vmSession) syncIn() error {
	s.globalsIn()
	return s.syncTablesAndMemories()
}

// globalsIn copies the store's globals into the guest.
func (s *vmSession) globalsIn() {
	for g, r := range s.globals {
		off := r - vm.DataBase
		s.put64(off+uint64(offGlobalVal), g.Val)
		s.put64(off+uint64(offGlobalVal)+8, g.Hi)
	}
}

// syncTablesAndMemories brings tables, memory lengths and closed flags
// up to date: what an instruction run on the host may change.
func (s *vmSession) syncTablesAndMemories() error {
	for _, vt := range s.tables {
		if err := s.syncTable(vt); err != nil {
			return err
		}
	}
	if err := s.v.SyncMemories(); err != nil {
		return err
	}
	for _, mm := range s.mems {
		n := uint64(len(mm.m.Lin.Bytes()))
		s.put64(mm.length+memRecLen, n)
		if n == mm.synced {
			continue
		}
		mm.synced = n
		mm.grown++
		if mm.grown >= lendAfter {
			loan, err := s.v.LendGrowth(mm.window)
			if err != nil {
				return err
			}
			s.put64(mm.length+memRecLoanEnd, loan.End)
			s.put64(mm.length+memRecTables, loan.Tables)
			s.put64(mm.length+memRecEntry, loan.Entry)
		}
	}
	for _, vi := range s.insts {
		if vi.inst.Closed() {
			s.put64(vi.closed, 1)
		}
	}
	return nil
}

// syncTable makes vt's copy match its table, if the table changed since
// the last time (most exits change none): the elements the changes
// since touched, where the table remembers them, or all of them. The
// array grows in place where it was the last thing laid out (a table
// that grows a step at a time), so that it takes no more of the data
// region than twice the table. Elements past the length are never
// read: the guest checks indices against it.
func (s *vmSession) syncTable(vt *vmTable) error {
	funcs := vt.t.Funcs
	if vt.synced && vt.t.Changes == vt.changes && len(funcs) == vt.len {
		return nil
	}
	lo, hi := 0, len(funcs)
	if vt.synced {
		if l, h, ok := vt.t.ChangedSince(vt.changes); ok {
			lo, hi = int(l), min(int(h), len(funcs))
		}
	}
	vt.synced, vt.changes = true, vt.t.Changes
	if len(funcs) > vt.cap {
		c := max(len(funcs), 2*vt.cap, 8)
		if vt.cap > 0 && vt.arr+8*uint64(vt.cap) == s.used && 8*uint64(c-vt.cap) <= s.vstack-s.used {
			s.used += 8 * uint64(c-vt.cap)
		} else {
			arr, err := s.alloc(8 * uint64(c))
			if err != nil {
				return err
			}
			copy(s.data[arr:arr+8*uint64(vt.len)], s.data[vt.arr:])
			vt.arr = arr
			s.put64(vt.rec+uint64(offTableFuncs), s.guest(arr))
		}
		vt.cap = c
		s.put64(vt.rec+uint64(offTableFuncs)+16, uint64(c))
	}
	for i := lo; i < hi; i++ {
		r, err := s.function(funcs[i])
		if err != nil {
			return err
		}
		s.put64(vt.arr+8*uint64(i), r)
	}
	vt.len = len(funcs)
	s.put64(vt.rec+uint64(offTableFuncs)+8, uint64(len(funcs)))
	return nil
}

// globalsOut copies the guest's globals back into the store.
func (s *vmSession) globalsOut() {
	for g, r := range s.globals {
		off := r - vm.DataBase
		lo, hi := s.get64(off+uint64(offGlobalVal)), s.get64(off+uint64(offGlobalVal)+8)
		if !g.Type.Mutable {
			continue
		}
		if g.Type.ValType == wasm.ValueTypeFuncref {
			g.SetRef(lo)
		} else {
			g.Val = lo
		}
		g.Hi = hi
	}
}

// exit serves an exit hypercall: the execution context (the context
// page) says why the code exited, as in-process.
func (s *vmSession) exit(c *vm.Call) error {
	if cpl := c.CPL(); cpl != 3 {
		// Compiled code runs in user mode only; anything else is a
		// monitor bug, never served.
		return s.trap(api.TrapInternal, fmt.Sprintf("exit from privilege level %d", cpl))
	}
	if s.stats == nil {
		return s.serve(c.ContextPage())
	}
	start := time.Now()
	cause := s.cause(c.ContextPage())
	err := s.serve(c.ContextPage())
	s.stats.Add(cause, time.Since(start))
	return err
}

// cause names what the exit the context page describes is for, for
// ExitStats.
func (s *vmSession) cause(page []byte) string {
	switch binary.LittleEndian.Uint32(page[ctxExitCode:]) {
	case exitTrap:
		return "trap"
	case exitCall:
		if f := s.recs[binary.LittleEndian.Uint64(page[ctxExitPtr:])]; f != nil {
			if f.Host != nil && f.Instance != nil {
				return f.Instance.Name + "." + f.Name
			}
			return "call through the host"
		}
	case exitStep:
		vi := s.byCtx[binary.LittleEndian.Uint64(page[ctxVMCtx:])]
		if idx := binary.LittleEndian.Uint32(page[ctxExitArg:]); vi != nil && int(idx) < len(vi.mod.mod.slow) {
			return "step " + vi.mod.mod.slow[idx].in.Op.String()
		}
	}
	return "unknown"
}

// takeGrowth makes the store's memories as large as the guest grew them
// within their loans (growInGuest): the host reads nothing of a memory
// before it knows its size.
func (s *vmSession) takeGrowth() error {
	for _, mm := range s.mems {
		n := s.get64(mm.length + memRecLen)
		if n == mm.synced {
			continue
		}
		if err := s.v.AcceptGrowth(mm.window, n); err != nil {
			return err
		}
		mm.synced = n
	}
	return nil
}

// serve serves the exit the context page describes.
func (s *vmSession) serve(page []byte) error {
	if err := s.takeGrowth(); err != nil {
		return s.trap(api.TrapInternal, err.Error())
	}
	code := binary.LittleEndian.Uint32(page[ctxExitCode:])
	arg := binary.LittleEndian.Uint32(page[ctxExitArg:])
	s.drainServers(code == exitCall && s.recs[binary.LittleEndian.Uint64(page[ctxExitPtr:])].IsGuest(store.GuestRandomGet))
	// The host may read and set globals (a host function through the
	// API, a reference global's global.set run on the host): it sees
	// the guest's values and the guest sees what it set.
	var err error
	switch code {
	case exitTrap:
		return s.trap(api.TrapKind(arg), "")
	case exitCall:
		s.globalsOut()
		err = s.callOut(page)
	case exitStep:
		s.globalsOut()
		err = s.step(page, arg)
	default:
		return s.trap(api.TrapInternal, fmt.Sprintf("machine code exited with unknown code %d", code))
	}
	if err != nil {
		return err
	}
	s.globalsIn()
	if err := s.syncTablesAndMemories(); err != nil {
		return s.trap(api.TrapInternal, err.Error())
	}
	s.refreshServers()
	if s.cs.call.Closed() {
		return s.trap(api.TrapModuleClosed, "")
	}
	return nil
}

// frameAt returns the offset in data of the frame at guest address fp
// with n slots, or false when the frame is not inside the value stack:
// the host never follows a guest address it has not checked.
func (s *vmSession) frameAt(fp uint64, n uint32) (uint64, bool) {
	off := fp - vm.DataBase
	if fp < vm.DataBase || off < s.vstack || off > s.vend || uint64(n)*8 > s.vend-off || off%8 != 0 {
		return 0, false
	}
	return off, true
}

func (s *vmSession) callOut(page []byte) error {
	rec := binary.LittleEndian.Uint64(page[ctxExitPtr:])
	f := s.recs[rec]
	caller := s.byCtx[binary.LittleEndian.Uint64(page[ctxVMCtx:])]
	if f == nil || caller == nil {
		return s.trap(api.TrapInternal, "call through the host of an unknown function")
	}
	n := max(f.ParamSlots, f.ResultSlots)
	off, ok := s.frameAt(binary.LittleEndian.Uint64(page[ctxExitArgs:]), n)
	if !ok {
		return s.trap(api.TrapInternal, "call through the host with its arguments outside the stack")
	}
	args := s.slots(off, n)
	cs := s.cs
	if cs.hostCtx == nil {
		cs.hostCtx = context.WithValue(cs.ctx, ctxKey{}, cs)
	}
	if f.Host == nil && f.Instance.Closed() {
		return s.trap(api.TrapModuleClosed, fmt.Sprintf("calling function %d of %q", f.Index, f.Instance.Name))
	}
	var err error
	if f.Host != nil {
		// A host function may block (a read from a socket, a sleep):
		// meanwhile its turn goes to another guest, and it takes one
		// back only if one is free, so a guest that waits on the world
		// never holds one up for long.
		if s.turn != nil && *s.turn {
			s.e.mon.EndTurn()
			*s.turn = false
		}
		err = callHost(cs.hostCtx, f, caller.inst.Handle, args)
		if s.turn != nil {
			*s.turn = s.e.mon.TryTurn()
		}
	} else {
		err = s.e.Call(cs.hostCtx, f, args)
	}
	if err != nil {
		var t *api.Trap
		if errors.As(err, &t) && t.Frames == nil {
			t.Frames = append([]api.Frame{{Module: f.Instance.Name, FuncIndex: f.Index, FuncName: f.Name, Host: true}}, s.backtrace(0)...)
		}
		return err
	}
	return nil
}

func (s *vmSession) step(page []byte, idx uint32) error {
	vi := s.byCtx[binary.LittleEndian.Uint64(page[ctxVMCtx:])]
	if vi == nil || int(idx) >= len(vi.mod.mod.slow) {
		return s.trap(api.TrapInternal, "slow instruction exit from unknown code")
	}
	in := &vi.mod.mod.slow[idx]
	off, ok := s.frameAt(binary.LittleEndian.Uint64(page[ctxFP:]), in.frame)
	if !ok {
		return s.trap(api.TrapInternal, "slow instruction exit with its frame outside the stack")
	}
	if kind := interp.Step(&in.in, vi.inst, unsafe.Pointer(&s.data[off]), in.shuffles); kind != 0 {
		return s.trap(kind, "")
	}
	return nil
}

// trap returns a trap of kind raised by the code at the last exit, with
// the backtrace from there.
func (s *vmSession) trap(kind api.TrapKind, detail string) *api.Trap {
	t := &api.Trap{Kind: kind, Detail: detail}
	if kind == api.TrapCallStackExhausted && detail == "" {
		t.Detail = fmt.Sprintf("more than %d bytes of stack or %d calls deep", s.e.valueBytes, s.e.nativeBytes/nativeFrameBytes)
	}
	t.Frames = s.backtrace(0)
	return t
}

// runError turns what Run returned into the engine's error: a VM trap
// into the trap the in-process tier reports for the same cause.
func (s *vmSession) runError(err error) error {
	var vt *vm.Trap
	if !errors.As(err, &vt) {
		return err
	}
	page := s.v.ContextPage()
	// Frames from where the guest stopped: its rip, then the return
	// addresses above its rsp.
	binary.LittleEndian.PutUint64(page[ctxJitSP:], vt.RSP)
	frames := s.backtrace(vt.RIP)
	t := &api.Trap{Kind: vt.Kind, Frames: frames}
	switch vt.Kind {
	case api.TrapTimeout, api.TrapInterrupted:
		if s.cs.call.Closed() {
			t.Kind = api.TrapModuleClosed
			break
		}
		if cerr := s.cs.ctx.Err(); cerr != nil {
			it := interruptTrap(cerr)
			it.Frames = frames
			t = it
		}
	case api.TrapCallStackExhausted:
		t.Detail = fmt.Sprintf("more than %d bytes of stack or %d calls deep", s.e.valueBytes, s.e.nativeBytes/nativeFrameBytes)
	case api.TrapInternal:
		if vt.Exception && vt.Addr >= vm.DataBase+uint64(len(s.data)) && vt.Addr < vm.MemoryBase {
			// The value stack's guard.
			t.Kind = api.TrapCallStackExhausted
			t.Detail = fmt.Sprintf("more than %d bytes of stack or %d calls deep", s.e.valueBytes, s.e.nativeBytes/nativeFrameBytes)
			break
		}
		t.Detail = vt.Error()
	}
	return t
}

// backtrace walks the guest's machine stack from the last exit (or from
// a fault at pc, when pc is not zero) as the in-process backtrace walks
// its own: return addresses of the code generator's, each with the
// caller's state block above it.
func (s *vmSession) backtrace(pc uint64) []api.Frame {
	const maxFrames = 64
	page := s.v.ContextPage()
	stack := s.v.Stack()
	top := uint64(vm.StackTop)
	bottom := top - uint64(len(stack))
	word := func(a uint64) (uint64, bool) {
		if a < bottom || a+8 > top {
			return 0, false
		}
		return binary.LittleEndian.Uint64(stack[a-bottom:]), true
	}
	var out []api.Frame
	sp := binary.LittleEndian.Uint64(page[ctxJitSP:])
	vmctx := binary.LittleEndian.Uint64(page[ctxVMCtx:])
	if pc != 0 {
		if mod, fc := s.lookupPC(pc); fc != nil {
			fr := api.Frame{FuncIndex: fc.index}
			if vi := s.instanceOfCode(mod, vmctx); vi != nil {
				fr.Module, fr.FuncName = vi.inst.Name, vi.inst.FuncName(fc.index)
			}
			out = append(out, fr)
		}
	}
	first := true
	for a := sp; a < top && len(out) < maxFrames; a += 8 {
		ret, _ := word(a)
		mod, fc := s.lookupPC(ret)
		if fc == nil {
			continue
		}
		off := uint32(ret - mod.base)
		i, found := slices.BinarySearchFunc(fc.pcs, off, func(e pcEntry, off uint32) int { return cmp.Compare(e.pc, off) })
		if !found {
			continue
		}
		fr := api.Frame{FuncIndex: fc.index, Offset: uint64(fc.pcs[i].offset)}
		ctx := vmctx
		if !(first && pc == 0) {
			if w, ok := word(a + 8); ok {
				ctx = w
			}
		}
		first = false
		if vi := s.instanceOfCode(mod, ctx); vi != nil {
			fr.Module, fr.FuncName = vi.inst.Name, vi.inst.FuncName(fc.index)
		}
		out = append(out, fr)
	}
	return out
}

// instanceOfCode returns the instance whose block is vmctx if it runs
// mod's code, or the only instance that does.
func (s *vmSession) instanceOfCode(mod *vmModule, vmctx uint64) *vmInst {
	if vi := s.byCtx[vmctx]; vi != nil && vi.mod == mod {
		return vi
	}
	var found *vmInst
	for _, vi := range s.insts {
		if vi.mod == mod {
			if found != nil {
				return nil
			}
			found = vi
		}
	}
	return found
}

// lookupPC returns the module and function whose code holds guest
// address pc.
func (s *vmSession) lookupPC(pc uint64) (*vmModule, *funcCode) {
	i := sort.Search(len(s.mods), func(i int) bool { return s.mods[i].base > pc }) - 1
	if i < 0 {
		return nil, nil
	}
	m := s.mods[i]
	if pc-m.base >= uint64(len(m.mod.mem.b)) {
		return nil, nil
	}
	off := uint32(pc - m.base)
	mod := m.mod
	j := sort.Search(len(mod.byAddr), func(j int) bool { return mod.funcs[mod.byAddr[j]].end > off })
	if j < len(mod.byAddr) && off >= mod.funcs[mod.byAddr[j]].start {
		return m, &mod.funcs[mod.byAddr[j]]
	}
	return m, nil
}

// VMConfig returns the monitor configuration the VM target needs for a
// stack limit of maxStackBytes (zero means the default): a machine stack
// for the call depth the limit allows, and the data region for instance
// state and the value stack.
func VMConfig(maxStackBytes int) (vm.Config, error) {
	e := New(Config{MaxStackBytes: maxStackBytes})
	if err := e.vmStackFits(); err != nil {
		return vm.Config{}, err
	}
	return vm.Config{
		// The monitor's largest stack bounds the depth of a call in a VM
		// under a very large limit; past it, the guard traps as the
		// limit would.
		StackSize: min(uint64(e.nativeBytes+nativeSlack), vmMaxStack),
		DataSize:  vmDataSize,
		// The guest reaches the state laid out and the value stack only,
		// so a reset scrubs those rather than the whole region.
		ExposeData: true,
	}, nil
}

// vmMaxValueStack is the largest value stack a VM holds: half its data
// region, the rest for instance state.
const vmMaxValueStack = vmDataSize / 2

// vmStackFits says why the engine's stack limit does not fit a VM.
func (e *Engine) vmStackFits() error {
	if e.valueBytes > vmMaxValueStack {
		return fmt.Errorf("a stack of %d bytes (-W max-wasm-stack) exceeds the %d a micro-VM holds", e.valueBytes, vmMaxValueStack)
	}
	return nil
}
