package vm

import (
	"sync"
	"sync/atomic"
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
		rounds     = 150
		late       = 2 // rounds a closed memory waits before it is released
	)
	// The first half grows the pool; the second is counted from the
	// moment the last goroutine reaches the half, which takes the
	// snapshot before any goes on.
	var matched0, gets0 int64
	var arrived atomic.Int32
	counting := make(chan struct{})
	half := func() {
		if arrived.Add(1) == goroutines {
			matched0, gets0 = m.Stats().Matched, m.gets.Load()
			close(counting)
		}
		<-counting
	}
	run := func(rounds int) error {
		var pending []*linmem.Memory
		defer func() {
			for _, mem := range pending {
				mem.Close()
			}
		}()
		for i := range rounds {
			if i == rounds/2 {
				half()
			}
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
	st := m.Stats()
	matched, gets := st.Matched-matched0, m.gets.Load()-gets0
	t.Logf("second half: %d of %d Gets found their memory's slots; %d VMs made in all, %d live", matched, gets, st.Created, st.Live)
	if gets == 0 || matched*10 < gets*8 {
		t.Errorf("%d of %d Gets found a VM with their memory's slots, want at least 80%%", matched, gets)
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
