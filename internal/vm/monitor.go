package vm

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wasmvisor/wasmvisor/internal/kvm"
	"github.com/wasmvisor/wasmvisor/internal/linmem"
	"github.com/wasmvisor/wasmvisor/internal/vm/x86"
)

// Config sizes the VMs of a Monitor. Zero values pick the defaults.
type Config struct {
	// StackSize is the guest stack, rounded up to 2 MiB; default 2 MiB,
	// at most 256 MiB.
	StackSize uint64
	// CodeSize is the room for guest code, rounded up to 2 MiB; default
	// 64 MiB, at most 1 GiB. Untouched room costs no memory.
	CodeSize uint64
	// DataSize is the data region at DataBase, rounded up to 2 MiB;
	// default 0 (none), at most MaxDataSize. Untouched room costs no
	// memory.
	DataSize uint64
	// PoolSize is how many ready VMs the monitor keeps for Get once
	// calls keep coming (before the first Get it makes one, and none
	// while there was only one: see fillTarget); zero means the default
	// of 2, negative means none.
	PoolSize int
	// MaxPoolSize is how many ready VMs it keeps at most, once calls
	// have needed that many at once: returned VMs are reset and kept up
	// to it rather than torn down and made again, and those above
	// PoolSize are torn down after a second without a Get. Zero means
	// 16 (or PoolSize, if larger).
	MaxPoolSize int
	// Parallel bounds the guests running at once (see Turn): zero
	// means one per CPU the Go scheduler uses (GOMAXPROCS), negative
	// means no bound.
	Parallel int
	// Device is the KVM device; empty means /dev/kvm.
	Device string
	// ExposeData makes the data region reachable by the guest only where
	// VM.ExposeData opened it, so that a reset scrubs just that; without
	// it the guest reaches all of it. It has no effect where the VM does
	// not keep KVM's shadow tables across users (VM.keep).
	ExposeData bool
}

// Monitor creates, pools and recycles VMs. One per process is enough;
// it is safe for concurrent use.
type Monitor struct {
	sys                           *kvm.System
	cpuid                         []kvm.CPUIDEntry
	cr4                           uint64
	setTSS                        bool   // KVM wants KVM_SET_TSS_ADDR (Intel hosts)
	readonlyMem                   bool   // KVM offers read-only memory slots
	maxGPA                        uint64 // the end of the vCPU's physical address space
	stackSize, codeSize, dataSize uint64
	poolSize, maxPool             int
	device                        string
	exposeData                    bool
	// turns holds a token per guest running under Turn; nil is no bound.
	turns chan struct{}

	// tss, guarded by tssMu, is how VMs load TR; nil until the first VM
	// is created (see tssFor).
	tssMu sync.Mutex
	tss   *TSSSetup

	mu sync.Mutex
	// readied, guarded by mu, is closed (and replaced) when a VM joins
	// the pool, which wakes every Get waiting for one.
	readied chan struct{}
	ready   []*VM // reset VMs, the most recently pooled last
	queue   []*VM // returned VMs waiting for reset
	surplus []*VM // VMs waiting for teardown
	inReset *VM   // the VM the worker is resetting, or nil
	// inResetHost is the address inReset kept slots for when its reset
	// began (its mems change during the reset).
	inResetHost uintptr
	waiters     int  // Gets waiting on readied
	busy        bool // the worker is resetting, creating or destroying
	resetting   bool // the worker is resetting
	creating    bool // the worker is making a VM for the pool
	closed      bool
	err         error // the worker's last failure to fill the pool
	// promised are the host addresses of memories placed where a
	// pooled VM kept slots (Choose), until their first Get or their
	// release: a Get for other memory leaves those VMs alone.
	promised map[uintptr]struct{}
	unplace  func() // takes the monitor out of linmem's placers
	// want is how many VMs should exist, raised past the live ones when
	// a Get for memory found no VM that kept slots for it (see grow),
	// and dropped when the pool shrinks back; lastGrow is when the
	// worker last made a VM for it.
	want     int64
	lastGrow time.Time

	wake chan struct{} // pokes the worker; capacity 1
	done chan struct{}
	wg   sync.WaitGroup

	created, pooled atomic.Int64 // VMs created; Gets served from the pool
	matched         atomic.Int64 // Gets for memory served by a VM with its slots
	// keeps is set once a VM was made that keeps memory slots across
	// users (VM.keep): only then can more VMs save a Get new slots.
	keeps     atomic.Bool
	destroyed atomic.Int64 // VMs torn down
	gets      atomic.Int64 // calls of Get

	lastGet atomic.Int64 // time of the last Get, in Unix nanoseconds
}

// Creating and destroying VMs contends with an instance starting on
// another thread: both take process-wide kernel locks (the mm's mmap lock;
// registering KVM's MMU notifier takes every lock of the address space),
// and a refill running during a start made the start's memory attach ten
// times slower here. So the worker does those only after quietPeriod
// without a Get, unless maxSurplus VMs wait for teardown. Resets take no
// such locks and run at once.
const (
	quietPeriod = time.Millisecond
	maxSurplus  = 4
	// idleShrink is how long the pool keeps ready VMs above its size
	// without a Get.
	idleShrink     = time.Second
	defaultMaxPool = 16
	// resetWait bounds how long Get waits for a VM being reset, and
	// createWait for one the worker is making (which takes 1.5–2.5 ms
	// here, and making another at the same time would slow both).
	resetWait  = 2 * time.Millisecond
	createWait = 10 * time.Millisecond
	// growInterval spaces the VMs the worker makes while calls keep
	// coming (see Monitor.want): making one slows the starts running
	// meanwhile, so the pool grows by one at a time.
	growInterval = 5 * time.Millisecond
)

// requiredCaps are what a KVM must offer the monitor. For
// KVM_CAP_SYNC_REGS the kernel answers with the register groups it can
// sync, all of which are needed; for the others, with a count.
var requiredCaps = []struct {
	cap  kvm.Cap
	need int
	mask bool
	why  string
}{
	{kvm.CapUserMemory, 1, false, "memory slots backed by host memory"},
	{kvm.CapSyncRegs, kvm.SyncRegs | kvm.SyncSregs | kvm.SyncEvents, true, "registers exchanged without an ioctl per exit"},
	{kvm.CapImmediateExit, 1, false, "stopping a guest at its deadline"},
	{kvm.CapNrMemslots, numSlots, false, "memory slots for the arena, linear memories and shared code"},
}

// capReadonlyMem is KVM_CAP_READONLY_MEM: where KVM offers it, shared
// code gets read-only slots, so that not even a bug in the guest's page
// tables could let the guest write the host's code.
const capReadonlyMem kvm.Cap = 81

// NewMonitor opens /dev/kvm and checks that it can run guests as this
// package needs. Its error says what is missing.
func NewMonitor(cfg Config) (*Monitor, error) {
	stack, err := roundSize("stack", cfg.StackSize, defaultStack, maxStack)
	if err != nil {
		return nil, err
	}
	code, err := roundSize("code region", cfg.CodeSize, defaultCode, maxCode)
	if err != nil {
		return nil, err
	}
	data, err := roundSize("data region", cfg.DataSize, 0, MaxDataSize)
	if err != nil {
		return nil, err
	}
	pool := cfg.PoolSize
	switch {
	case pool == 0:
		pool = defaultPool
	case pool < 0:
		pool = 0
	}
	maxPool := cfg.MaxPoolSize
	if maxPool <= 0 {
		maxPool = defaultMaxPool
	}
	maxPool = max(maxPool, pool)
	device := cfg.Device
	if device == "" {
		device = kvm.DevicePath
	}
	sys, err := kvm.OpenPath(device)
	if err != nil {
		return nil, err
	}
	if err := CheckCaps(sys); err != nil {
		sys.Close()
		return nil, err
	}
	cpuid, err := sys.SupportedCPUID()
	if err != nil {
		sys.Close()
		return nil, err
	}
	tss, err := sys.CheckExtension(kvm.CapSetTSSAddr)
	if err != nil {
		sys.Close()
		return nil, err
	}
	ro, err := sys.CheckExtension(capReadonlyMem)
	if err != nil {
		sys.Close()
		return nil, err
	}
	m := &Monitor{
		sys: sys, cpuid: cpuid, cr4: extraCR4(cpuid), setTSS: tss > 0,
		readonlyMem: ro > 0, maxGPA: 1 << physBits(cpuid),
		stackSize: stack, codeSize: code, dataSize: data, poolSize: pool, device: device,
		maxPool: maxPool, exposeData: cfg.ExposeData,
		readied:  make(chan struct{}),
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
		promised: map[uintptr]struct{}{},
	}
	switch {
	case cfg.Parallel == 0:
		m.turns = make(chan struct{}, runtime.GOMAXPROCS(0))
	case cfg.Parallel > 0:
		m.turns = make(chan struct{}, cfg.Parallel)
	}
	m.unplace = linmem.RegisterPlacer(m)
	m.wg.Add(1)
	go m.worker()
	return m, nil
}

// CheckCaps reports the first capability sys lacks for the monitor.
func CheckCaps(sys *kvm.System) error {
	for _, c := range requiredCaps {
		n, err := sys.CheckExtension(c.cap)
		if err != nil {
			return err
		}
		if (c.mask && n&c.need != c.need) || (!c.mask && n < c.need) {
			return fmt.Errorf("KVM lacks %v (%s): the kernel reports %d, need %d", c.cap, c.why, n, c.need)
		}
	}
	return nil
}

func roundSize(what string, v, def, limit uint64) (uint64, error) {
	if v == 0 {
		return def, nil
	}
	if v > limit {
		return 0, fmt.Errorf("%s of %d bytes exceeds the limit of %d", what, v, limit)
	}
	return (v + hugePage - 1) &^ (hugePage - 1), nil
}

// extraCR4 returns the hardening bits the vCPU's CPUID allows: SMEP, so
// that ring 0 never executes guest pages, and UMIP, so that ring 3 cannot
// read descriptor-table addresses.
func extraCR4(cpuid []kvm.CPUIDEntry) uint64 {
	var cr4 uint64
	for _, e := range cpuid {
		if e.Function == 7 && e.Index == 0 {
			if e.EBX&(1<<7) != 0 {
				cr4 |= x86.CR4SMEP
			}
			if e.ECX&(1<<2) != 0 {
				cr4 |= x86.CR4UMIP
			}
		}
	}
	return cr4
}

// physBits returns the vCPU's physical address width, which bounds the
// guest-physical addresses its page tables can name: leaf 0x80000008,
// or 36 bits, the architectural minimum, where the leaf is missing.
func physBits(cpuid []kvm.CPUIDEntry) uint {
	for _, e := range cpuid {
		if e.Function == 0x8000_0008 && e.EAX&0xFF >= 36 {
			return uint(e.EAX & 0xFF)
		}
	}
	return 36
}

// Get returns a VM: a ready one from the pool, or a new one when the pool
// is empty.
func (m *Monitor) Get() (*VM, error) { return m.GetFor(0) }

// GetFor is Get for a caller that will attach as memory 0 the linear
// memory whose host address is memory. It prefers a VM that kept memory
// slots for that address (see VM.keep), which then needs no new ones: a
// ready one, else a returned one it resets on the caller's thread (a
// reset costs less than making and deleting a slot), else the one the
// worker is resetting, which it waits for. Otherwise it takes the VM
// pooled longest whose address no other caller's memory was placed at
// (Choose), whose kept address is the least likely to come back, so
// that callers do not take each other's.
func (m *Monitor) GetFor(memory uintptr) (*VM, error) {
	m.lastGet.Store(time.Now().UnixNano())
	m.gets.Add(1)
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	timedOut := false
	for {
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return nil, fmt.Errorf("monitor is closed")
		}
		if memory != 0 {
			delete(m.promised, memory)
		}
		v := take(&m.ready, memory, true)
		fresh, match := v != nil, v != nil
		if v == nil {
			v = take(&m.queue, memory, true)
			match = v != nil
		}
		// The VM that kept this memory's slots is being reset by the
		// worker: it is ready in microseconds, sooner than another VM's
		// slots are replaced.
		wait := v == nil && !timedOut && memory != 0 && m.inReset != nil && m.inResetHost == memory
		if v == nil && !wait {
			v = m.takeOther(&m.ready)
			fresh = v != nil
		}
		if v == nil && !wait {
			// A returned VM is ready sooner than a new one (creating a
			// VM takes milliseconds, and a teardown later): take one the
			// worker has not got to and reset it here, so that callers
			// outrunning the worker reuse VMs instead of making ever
			// more of them.
			v = m.takeOther(&m.queue)
		}
		if memory != 0 && !match && !wait && m.keeps.Load() {
			// Instances of this memory's address outnumber the VMs
			// that keep slots; another VM lets the next one find its
			// own rather than take another address's, whose slots
			// cost milliseconds under nested KVM to replace.
			m.want = max(m.want, min(m.created.Load()-m.destroyed.Load()+1, int64(m.maxPool)))
		}
		creating := m.creating
		wait = wait || (v == nil && !timedOut && (m.resetting || creating))
		readied := m.readied
		if wait {
			m.waiters++
		}
		m.mu.Unlock()
		m.poke()
		if match {
			m.matched.Add(1)
		}
		if fresh {
			m.pooled.Add(1)
			return v, nil
		}
		if v != nil {
			if v.broken == nil {
				if err := v.reset(); err != nil {
					v.broken = err
				}
			}
			if v.broken == nil {
				m.pooled.Add(1)
				return v, nil
			}
			m.mu.Lock()
			m.surplus = append(m.surplus, v)
			m.mu.Unlock()
			continue
		}
		if !wait {
			return m.create()
		}
		if timer == nil {
			d := resetWait
			if creating {
				d = createWait
			}
			timer = time.NewTimer(d)
		}
		select {
		case <-readied:
		case <-timer.C:
			timedOut = true
		}
		m.mu.Lock()
		m.waiters--
		m.mu.Unlock()
	}
}

// keptHost returns the host address v kept memory slots for in window
// 0, or 0. v must not be changing: pooled, queued, or about to be reset.
func keptHost(v *VM) uintptr {
	if w := &v.mems[0]; len(w.ends) > 0 {
		return uintptr(w.host)
	}
	return 0
}

// take removes a VM from list (the ready or the returned ones, oldest
// first) and returns it: with match, one that kept memory slots for host
// address memory, else the oldest; nil when there is none. m.mu is held.
func take(list *[]*VM, memory uintptr, match bool) *VM {
	l := *list
	i := -1
	switch {
	case match && memory != 0:
		for j := len(l) - 1; j >= 0; j-- {
			if keptHost(l[j]) == memory {
				i = j
				break
			}
		}
	case !match && len(l) > 0:
		i = 0
	}
	if i < 0 {
		return nil
	}
	return remove(list, i)
}

// takeOther removes from list the oldest VM whose kept address no
// memory was placed at, or else the oldest, and returns it; nil when
// list is empty. m.mu is held.
func (m *Monitor) takeOther(list *[]*VM) *VM {
	l := *list
	if len(l) == 0 {
		return nil
	}
	for j, v := range l {
		if h := keptHost(v); h == 0 {
			return remove(list, j)
		} else if _, ok := m.promised[h]; !ok {
			return remove(list, j)
		}
	}
	return remove(list, 0)
}

// remove takes the i-th VM out of list, keeping the order.
func remove(list *[]*VM, i int) *VM {
	l := *list
	v := l[i]
	copy(l[i:], l[i+1:])
	l[len(l)-1] = nil
	*list = l[:len(l)-1]
	return v
}

// maxPromised bounds the addresses remembered as promised: a memory
// released without Close (its runtime cleanup) is never forgotten
// otherwise.
const maxPromised = 256

// Choose implements linmem.Placer: of the reservations a new memory
// may reuse, it picks the most recently closed one whose address a VM
// kept slots for, a ready VM first, then the one being reset, then a
// returned one, and promises that address to the memory so that other
// callers' Gets leave its VM alone. With instances running side by
// side, the most recently closed reservation is otherwise seldom the
// one whose VM is free, and nearly every call then replaced a VM's
// memory slot, which costs milliseconds of shadow faults and slot
// changes under nested KVM.
func (m *Monitor) Choose(bases []uintptr) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return -1
	}
	best, rank := -1, 0
	for i := len(bases) - 1; i >= 0 && rank < 3; i-- {
		b := bases[i]
		if _, ok := m.promised[b]; ok {
			continue
		}
		r := 0
		switch {
		case holds(m.ready, b):
			r = 3
		case m.inReset != nil && m.inResetHost == b:
			r = 2
		case holds(m.queue, b):
			r = 1
		}
		if r > rank {
			best, rank = i, r
		}
	}
	if best >= 0 {
		if len(m.promised) >= maxPromised {
			clear(m.promised)
		}
		m.promised[bases[best]] = struct{}{}
	}
	return best
}

// holds reports whether a VM of list kept slots for host address b.
func holds(list []*VM, b uintptr) bool {
	for _, v := range list {
		if keptHost(v) == b {
			return true
		}
	}
	return false
}

// Released implements linmem.Placer: a memory closed before its first
// call no longer holds its VM.
func (m *Monitor) Released(base uintptr) {
	m.mu.Lock()
	delete(m.promised, base)
	m.mu.Unlock()
}

// fillTarget is how many ready VMs the worker makes VMs for: one before
// the first Get, so that a new process's first call finds a VM made
// while the process was loading its program; none more while that was
// the only call, since a command runs one program and a VM made during
// its run only contends with it for the kernel's locks; PoolSize once
// calls keep coming. Returned VMs are pooled whatever the target.
func (m *Monitor) fillTarget() int {
	switch m.gets.Load() {
	case 0:
		return min(m.poolSize, 1)
	case 1:
		return 0
	}
	return m.poolSize
}

func (m *Monitor) create() (*VM, error) {
	v, err := m.newVM()
	if err != nil {
		return nil, err
	}
	m.created.Add(1)
	v.counted = true
	if v.keep {
		m.keeps.Store(true)
	}
	return v, nil
}

// PoolStats is a snapshot of what a monitor holds.
type PoolStats struct {
	// Live counts the VMs that exist: in use, pooled, waiting for a
	// reset or for teardown.
	Live int64
	// Ready counts the reset VMs waiting in the pool, and Returned the
	// VMs given back and not reset or torn down yet.
	Ready, Returned int
	// Created counts the VMs ever made, and Reused the Gets served with
	// a VM used before.
	Created, Reused int64
	// Matched counts the Gets for memory served by a VM that kept memory
	// slots for its address (GetFor).
	Matched int64
}

// Stats returns what the monitor holds now.
func (m *Monitor) Stats() PoolStats {
	m.mu.Lock()
	returned, ready := len(m.queue)+len(m.surplus), len(m.ready)
	m.mu.Unlock()
	created := m.created.Load()
	return PoolStats{
		Live:     created - m.destroyed.Load(),
		Ready:    ready,
		Returned: returned,
		Created:  created,
		Reused:   m.pooled.Load(),
		Matched:  m.matched.Load(),
	}
}

// turnWait bounds how long Turn waits: a guest that computes for long
// holds its turn, and others then go ahead without one rather than wait
// for it.
const turnWait = 20 * time.Millisecond

// Turn waits, for at most turnWait, until fewer guests run under a turn
// than Config.Parallel allows, and reports whether the caller got a
// turn, which it gives back with EndTurn once its VM is back (Put).
// Guests beyond the CPUs do not run sooner, only side by side: on 2
// CPUs, four instances started at once each took as long as one after
// another, with a 99th percentile 7 times as long (5–6 ms against
// 0.8 ms), since the threads of their VMs and of their resets then
// contend for the CPUs and the kernel's locks of the address space.
// Every VM call from Go takes one; a call re-entering from a host
// function must not, as its caller holds one.
func (m *Monitor) Turn() bool {
	if m.turns == nil {
		return false
	}
	select {
	case m.turns <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(turnWait)
	defer t.Stop()
	select {
	case m.turns <- struct{}{}:
		return true
	case <-t.C:
		return false
	}
}

// TryTurn is Turn without the wait: it takes a turn only if one is
// free.
func (m *Monitor) TryTurn() bool {
	if m.turns == nil {
		return false
	}
	select {
	case m.turns <- struct{}{}:
		return true
	default:
		return false
	}
}

// EndTurn gives back a turn Turn or TryTurn gave.
func (m *Monitor) EndTurn() { <-m.turns }

// Put gives a VM back. Its linear memories and shared code are taken out
// of the guest at once, so the caller may close those memories and unmap
// that code on return; the reset (or the teardown, for a VM that failed
// or lent its guest page tables) happens in the background.
func (m *Monitor) Put(v *VM) {
	if v == nil {
		return
	}
	if v.broken == nil {
		v.unmap(true)
	}
	if v.lent && v.broken == nil {
		v.broken = errLent
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		v.destroy()
		return
	}
	m.queue = append(m.queue, v)
	m.mu.Unlock()
	m.poke()
}

func (m *Monitor) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// worker resets returned VMs, tears down the ones not needed, and keeps
// the pool full, all off the callers' path.
func (m *Monitor) worker() {
	defer m.wg.Done()
	for {
		m.mu.Lock()
		if m.closed {
			m.busy = false
			m.mu.Unlock()
			return
		}
		var reset, destroy *VM
		fill := false
		target := m.fillTarget()
		quiet := time.Until(time.Unix(0, m.lastGet.Load()).Add(quietPeriod))
		idle := time.Until(time.Unix(0, m.lastGet.Load()).Add(idleShrink))
		growing := m.created.Load()-m.destroyed.Load() < m.want
		grow := time.Until(m.lastGrow.Add(growInterval))
		switch {
		case len(m.surplus) >= maxSurplus:
			// Past the bound, teardown comes first even while calls
			// keep coming: surplus VMs hold memory and descriptors.
			destroy = m.popSurplus()
		case len(m.queue) > 0:
			reset = m.queue[0]
			m.queue[0] = nil
			m.queue = m.queue[1:]
			m.inReset, m.inResetHost = reset, keptHost(reset)
		case len(m.surplus) > 0 && quiet <= 0:
			destroy = m.popSurplus()
		case len(m.ready) < target && m.err == nil && quiet <= 0:
			fill = true
		case growing && m.err == nil && (quiet <= 0 || grow <= 0):
			// Even while calls keep coming, but spaced out.
			fill = true
			m.lastGrow = time.Now()
		case len(m.ready) > m.poolSize && idle <= 0:
			// Calls needed more VMs than the pool keeps, but not
			// lately: give the extra ones back, the longest unused first.
			destroy = m.ready[0]
			m.ready[0] = nil
			m.ready = m.ready[1:]
			m.want = 0
		}
		waiting := len(m.surplus) > 0 || (len(m.ready) < target && m.err == nil) || (growing && m.err == nil)
		shrinking := len(m.ready) > m.poolSize
		m.busy = reset != nil || destroy != nil || fill || waiting || shrinking
		m.resetting = reset != nil
		m.creating = fill
		m.mu.Unlock()

		switch {
		case reset != nil:
			m.recycle(reset)
			m.mu.Lock()
			if m.inReset == reset {
				// Torn down rather than pooled: whoever waited for it
				// takes another.
				m.inReset, m.inResetHost = nil, 0
				m.wakeWaiters()
			}
			m.mu.Unlock()
		case destroy != nil:
			destroy.destroy()
		case fill:
			v, err := m.create()
			if err == nil {
				err = v.warm()
			}
			if err != nil {
				if v != nil {
					v.destroy()
				}
				// Stop trying until something changes; Get still works
				// by creating VMs itself, and reports the error.
				m.mu.Lock()
				m.err = err
				m.mu.Unlock()
				continue
			}
			if !m.offer(v) {
				v.destroy()
			}
		case waiting:
			next := quiet
			if growing {
				next = min(next, grow)
			}
			select {
			case <-time.After(max(next, 50*time.Microsecond)):
			case <-m.wake:
			case <-m.done:
			}
		case shrinking:
			select {
			case <-time.After(max(idle, 50*time.Microsecond)):
			case <-m.wake:
			case <-m.done:
			}
		default:
			select {
			case <-m.wake:
				m.mu.Lock()
				m.err = nil
				m.mu.Unlock()
			case <-m.done:
			}
		}
	}
}

// popSurplus takes the last surplus VM; m.mu is held.
func (m *Monitor) popSurplus() *VM {
	v := m.surplus[len(m.surplus)-1]
	m.surplus[len(m.surplus)-1] = nil // a destroyed VM must not stay reachable
	m.surplus = m.surplus[:len(m.surplus)-1]
	return v
}

// recycle resets a returned VM and pools it, or queues it for teardown
// when it failed or the pool is at its largest (without resetting it
// first).
func (m *Monitor) recycle(v *VM) {
	m.mu.Lock()
	full := len(m.ready) >= m.maxPool
	if full {
		m.surplus = append(m.surplus, v)
	}
	m.mu.Unlock()
	if full {
		return
	}
	if v.broken == nil {
		if err := v.reset(); err != nil {
			v.broken = err
		}
	}
	if v.broken == nil && m.offer(v) {
		return
	}
	m.mu.Lock()
	m.surplus = append(m.surplus, v)
	m.mu.Unlock()
}

// offer pools v, unless the pool is at its largest.
func (m *Monitor) offer(v *VM) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.ready) >= m.maxPool {
		return false
	}
	m.ready = append(m.ready, v)
	if m.inReset == v {
		m.inReset, m.inResetHost = nil, 0
	}
	m.wakeWaiters()
	return true
}

// wakeWaiters wakes every Get waiting for a VM, each of which looks for
// its own (a VM with its memory's slots, or any); m.mu is held.
func (m *Monitor) wakeWaiters() {
	if m.waiters > 0 {
		close(m.readied)
		m.readied = make(chan struct{})
	}
}

// quiesce waits until the worker has nothing queued and the pool is full,
// or timeout passes.
func (m *Monitor) quiesce(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		m.mu.Lock()
		idle := len(m.queue) == 0 && len(m.surplus) == 0 && (!m.busy || len(m.ready) > m.poolSize) &&
			(len(m.ready) >= m.fillTarget() || m.err != nil)
		m.mu.Unlock()
		if idle {
			return true
		}
		m.poke()
		time.Sleep(200 * time.Microsecond)
	}
	return false
}

// Close stops the background worker and tears down every VM the monitor
// holds. VMs handed out and not yet returned are torn down when Put.
func (m *Monitor) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.mu.Unlock()
	m.unplace()
	close(m.done)
	m.wg.Wait()
	// The worker is gone, and Put now destroys what it is given, so the
	// queue and the pool can only shrink from here.
	m.mu.Lock()
	held := append(append(m.queue, m.surplus...), m.ready...)
	m.queue, m.surplus, m.ready = nil, nil, nil
	m.mu.Unlock()
	for _, v := range held {
		v.destroy()
	}
	return m.sys.Close()
}
