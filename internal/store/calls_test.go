package store

import (
	"sync/atomic"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

func memInstance(t *testing.T, s *Store) *Instance {
	t.Helper()
	inst, err := s.Instantiate(&wasm.Module{Memories: []wasm.MemoryType{{Limits: lim(1)}}}, "", nil, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

func released(inst *Instance) bool { return inst.Memories[0].Lin.Base() == 0 }

// TestCalls_release checks when a closed instance's memory is released:
// at once without calls, after the calls that began before the Close,
// whatever calls began after it.
func TestCalls_release(t *testing.T) {
	s := New()
	a, b := memInstance(t, s), memInstance(t, s)

	var wa, wb uint32
	var ca, cb, cl, cx Call
	a.BeginCall(&ca, &wa)
	b.BeginCall(&cb, &wb)
	a.Close()
	if !ca.Closed() || atomic.LoadUint32(&wa) != 1 {
		t.Error("Close did not stop the call in the instance")
	}
	if cb.Closed() || atomic.LoadUint32(&wb) != 0 {
		t.Error("Close stopped a call in another instance")
	}
	if a.BeginCall(&cx, &wa) {
		t.Error("a call began in a closed instance")
	}
	later := memInstance(t, s)
	var wl uint32
	later.BeginCall(&cl, &wl) // began after the Close: does not hold it up

	ca.End()
	if released(a) {
		t.Fatal("memory released while a call from before the Close (in another instance) runs")
	}
	cb.End()
	if !released(a) {
		t.Fatal("memory not released after the calls from before the Close ended")
	}
	cl.End()

	c := memInstance(t, s)
	c.Close()
	if !released(c) {
		t.Error("memory of an instance closed without calls not released at once")
	}
}

// BenchmarkBeginEnd measures what registering a call adds to every call
// from Go.
func BenchmarkBeginEnd(b *testing.B) {
	s := New()
	inst, err := s.Instantiate(&wasm.Module{}, "", nil, Limits{})
	if err != nil {
		b.Fatal(err)
	}
	var c Call
	var w uint32
	for b.Loop() {
		inst.BeginCall(&c, &w)
		c.End()
	}
}
