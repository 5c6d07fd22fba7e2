package store

import (
	"sync"
	"sync/atomic"
)

// Calls in flight and the memories of closed instances waiting for them.
//
// Closing an instance must not unmap a memory that a running call may
// still touch: its code may be in the middle of a loop, or a host
// function may be reading it. So an engine registers every call it
// enters from Go (BeginCall), Close interrupts the calls that entered
// the instance, and the memories' release waits until every call that
// began before the Close has ended. Calls that begin after it cannot
// enter the closed instance, so they do not hold the release up.
//
// The store counts calls in two phases, so that a call costs two atomic
// additions and an uncontended lock: Close moves new calls to the other
// phase and releases the memories when the old phase's count drains.
// A Close while a drain is under way waits for the next one.
type callSet struct {
	phase atomic.Uint32
	count [2]atomic.Int64

	mu       sync.Mutex
	draining bool      // the memories in batch wait for phase 1-phase to drain
	batch    []*Memory // guarded by mu
	waiting  []*Memory // retired during a drain, for the next one; guarded by mu
}

// Call is the store's record of a call into an instance from Go. Engines
// keep one per running call (its zero value is ready for BeginCall).
type Call struct {
	// Kick, when set, is called (with the instance's lock held, so it
	// must not block) after Close set the interrupt word: for engines
	// whose code cannot poll the word, such as code in a micro-VM.
	Kick func()

	store      *Store
	inst       *Instance
	phase      uint32
	interrupt  *uint32
	closed     atomic.Bool
	prev, next *Call // in inst's list of calls
}

// BeginCall registers c as a call entering inst from Go. interrupt is the
// word the engine polls while the call runs: Close sets it (to 1) to
// stop the call, and the engine learns from c.Closed why. It reports
// false, registering nothing, if inst is closed; the caller reports that
// as a trap. Every BeginCall that reports true needs an End.
func (inst *Instance) BeginCall(c *Call, interrupt *uint32) bool {
	s := inst.storeOrDetached()
	// Counted before closed is checked: a Close that this call does not
	// see has not moved the phase yet, so it waits for the call.
	c.phase = s.calls.phase.Load()
	s.calls.count[c.phase].Add(1)
	inst.callsMu.Lock()
	if inst.Closed() {
		inst.callsMu.Unlock()
		s.calls.end(c.phase)
		return false
	}
	c.store, c.inst, c.interrupt = s, inst, interrupt
	c.closed.Store(false)
	c.prev, c.next = nil, inst.calls
	if inst.calls != nil {
		inst.calls.prev = c
	}
	inst.calls = c
	inst.callsMu.Unlock()
	return true
}

// Closed reports whether the call's instance was closed while it ran.
func (c *Call) Closed() bool { return c.closed.Load() }

// End unregisters the call; the memories that waited only for it are
// released.
func (c *Call) End() {
	inst := c.inst
	inst.callsMu.Lock()
	if c.prev != nil {
		c.prev.next = c.next
	} else {
		inst.calls = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	}
	inst.callsMu.Unlock()
	// Close no longer reaches c: it is as BeginCall found it.
	c.prev, c.next, c.inst, c.interrupt, c.Kick = nil, nil, nil, nil, nil
	c.closed.Store(false)
	c.store.calls.end(c.phase)
}

func (cs *callSet) end(phase uint32) {
	if cs.count[phase].Add(-1) == 0 {
		cs.drain()
	}
}

// detached stands in for the store of an instance made without one.
var detached = New()

func (inst *Instance) storeOrDetached() *Store {
	if inst.store == nil {
		return detached
	}
	return inst.store
}

// retire stops the calls that entered inst, which Close has marked
// closed, and releases its memories once no call that began before now
// is running.
func (s *Store) retire(inst *Instance) {
	inst.callsMu.Lock()
	for c := inst.calls; c != nil; c = c.next {
		c.closed.Store(true)
		atomic.StoreUint32(c.interrupt, 1)
		if c.Kick != nil {
			c.Kick()
		}
	}
	inst.callsMu.Unlock()
	cs := &s.calls
	cs.mu.Lock()
	cs.waiting = append(cs.waiting, inst.Memories...)
	cs.mu.Unlock()
	cs.drain()
}

// drain releases the batch if the phase it waits for has no calls left,
// and starts the next drain for the memories retired meanwhile.
func (cs *callSet) drain() {
	for {
		cs.mu.Lock()
		if cs.draining {
			if cs.count[1-cs.phase.Load()].Load() != 0 {
				cs.mu.Unlock()
				return // the last call of the old phase drains it
			}
			batch := cs.batch
			cs.batch, cs.draining = nil, false
			cs.mu.Unlock()
			for _, m := range batch {
				m.release()
			}
			continue
		}
		if len(cs.waiting) == 0 {
			cs.mu.Unlock()
			return
		}
		// Calls from now on count in the other phase; the waiting
		// memories wait only for the calls counted so far.
		cs.batch, cs.waiting = cs.waiting, nil
		cs.draining = true
		cs.phase.Store(1 - cs.phase.Load())
		cs.mu.Unlock()
	}
}
