package vm

import (
	"sync"
	"testing"
	"time"

	"github.com/wasmvisor/wasmvisor/internal/linmem"
)

// TestMonitor_PlacesMemory has 4 goroutines make a memory, get a VM for
// it, attach it, give the VM back and close the memory two rounds later,
// as a store releases a closed instance's memory only once the calls
// that began before its close have ended. Memories then outnumber the
// VMs; once the pool has grown to them, nearly every Get must find a VM
// that kept slots for its memory's address (Choose placed the memory
// there), where taking the most recently closed reservation found one
// for few of them.
func TestMonitor_PlacesMemory(t *testing.T) {
	m := newMonitor(t, Config{})
	v, err := m.Get()
	if err != nil {
		t.Fatal(err)
	}
	keep := v.keep
	m.Put(v)
	if !keep {
		t.Skip("VMs here do not keep memory slots across users (KVM's SLOT_ZAP_ALL quirk stays on)")
	}
	const (
		goroutines = 4
		rounds     = 75 // a phase's, per goroutine
		late       = 2  // rounds a closed memory waits before it is released
	)
	run := func(rounds int) error {
		var pending []*linmem.Memory
		defer func() {
			for _, mem := range pending {
				mem.Close()
			}
		}()
		for range rounds {
			mem, err := linmem.New(linmem.Config{MinPages: 1, MaxPages: 16, Guard: linmem.DefaultGuard})
			if err != nil {
				return err
			}
			v, err := m.GetFor(mem.Base())
			if err != nil {
				mem.Close()
				return err
			}
			err = v.AttachMemory(mem)
			m.Put(v)
			pending = append(pending, mem)
			if len(pending) > late {
				pending[0].Close()
				pending = pending[1:]
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	phase := func() {
		t.Helper()
		var wg sync.WaitGroup
		errs := make([]error, goroutines)
		for g := range goroutines {
			wg.Go(func() { errs[g] = run(rounds) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	// While Gets keep coming the pool grows by one VM per growInterval,
	// so how far a phase of a few milliseconds gets depends on the
	// machine's speed: phases run until one leaves no VM to make, and
	// the next is counted.
	for range 50 {
		before := m.Stats().Created
		phase()
		waitPoolGrown(t, m)
		if m.Stats().Created == before {
			break
		}
	}
	matched0, gets0 := m.Stats().Matched, m.gets.Load()
	phase()
	st := m.Stats()
	matched, gets := st.Matched-matched0, m.gets.Load()-gets0
	t.Logf("counted phase: %d of %d Gets found their memory's slots; %d VMs made in all, %d live", matched, gets, st.Created, st.Live)
	if gets == 0 || matched*10 < gets*8 {
		t.Errorf("%d of %d Gets found a VM with their memory's slots, want at least 80%%", matched, gets)
	}
}

// waitPoolGrown waits until m's worker has made the VMs the pool wants.
func waitPoolGrown(t *testing.T, m *Monitor) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		m.mu.Lock()
		growing := m.creating || m.created.Load()-m.destroyed.Load() < m.want
		m.mu.Unlock()
		if !growing {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the pool is still growing after 10 s: %+v", m.Stats())
		}
	}
}

// TestMonitor_Turn: no more guests than Config.Parallel get a turn at
// once; a caller past them waits, and goes ahead without one after
// turnWait, or gets one as soon as a turn is given back. TryTurn never
// waits.
func TestMonitor_Turn(t *testing.T) {
	m := newMonitor(t, Config{Parallel: 1})
	if !m.Turn() {
		t.Fatal("the first Turn got none")
	}
	start := time.Now()
	if m.Turn() {
		t.Fatal("a second Turn got one while the first was held")
	}
	if d := time.Since(start); d < turnWait {
		t.Errorf("the second Turn gave up after %v, before turnWait (%v)", d, turnWait)
	}
	if m.TryTurn() {
		t.Fatal("TryTurn got a turn while the only one was held")
	}
	got := make(chan bool)
	go func() { got <- m.Turn() }()
	time.Sleep(turnWait / 4)
	m.EndTurn()
	if !<-got {
		t.Error("a Turn waiting when the turn was given back got none")
	}
	m.EndTurn()
	if !m.TryTurn() {
		t.Error("TryTurn got none while the turn was free")
	}
	m.EndTurn()

	if unbounded := newMonitor(t, Config{Parallel: -1}); unbounded.Turn() {
		t.Error("Turn gave a turn without a bound")
	}
}
