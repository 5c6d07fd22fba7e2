package amd64

import (
	"context"
	"encoding/binary"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/engine"
	"github.com/wasmvisor/wasmvisor/internal/kvm/kvmtest"
	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/vm"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// vmMonitors are the tests' monitors, one per stack limit, kept for the
// whole test binary as a process keeps its own.
var vmMonitors struct {
	sync.Mutex
	m map[int]*vm.Monitor
}

// vmEngine returns an engine of the VM target with a stack limit of
// maxStackBytes, skipping t where KVM is missing.
func vmEngine(t testing.TB, maxStackBytes int) *Engine {
	t.Helper()
	kvmtest.Require(t)
	vmMonitors.Lock()
	defer vmMonitors.Unlock()
	mon := vmMonitors.m[maxStackBytes]
	if mon == nil {
		var err error
		cfg, err := VMConfig(maxStackBytes)
		if err != nil {
			t.Fatal(err)
		}
		mon, err = vm.NewMonitor(cfg)
		if err != nil {
			kvmtest.Skip(t, err)
			return nil
		}
		if vmMonitors.m == nil {
			vmMonitors.m = map[int]*vm.Monitor{}
		}
		vmMonitors.m[maxStackBytes] = mon
	}
	return New(Config{MaxStackBytes: maxStackBytes, Target: VM, Monitor: mon})
}

// forTargets runs test for each target: in-process, and in micro-VMs
// where KVM works. newEngine makes an engine of the target.
func forTargets(t *testing.T, test func(t *testing.T, newEngine func(Config) *Engine)) {
	t.Run("in-process", func(t *testing.T) { test(t, New) })
	t.Run("micro-vm", func(t *testing.T) {
		test(t, func(cfg Config) *Engine { return vmEngine(t, cfg.MaxStackBytes) })
	})
}

// TestVMGuestClock checks the clock routine a VM serves host functions
// that read clocks with (store.GuestClockTimeGet): the realtime and monotonic
// clocks without an exit, close to the host's; other clocks through the
// host function; an address outside memory as EFAULT.
func TestVMGuestClock(t *testing.T) {
	e := vmEngine(t, 0)
	s := store.New()
	start := time.Now()
	var hostCalls int
	sig := wasm.FuncType{Params: vts(vI32, vI64, vI32), Results: vts(vI32)}
	hostInstance(t, s, "env", store.HostFunc{Export: "clock", Type: sig,
		Fn: func(_ context.Context, m api.Module, stack []uint64) error {
			hostCalls++
			stack[0] = 0
			return nil
		},
		Guest: store.Guest{Kind: store.GuestClockTimeGet, Server: func(api.Module) store.GuestServer {
			return clockServer{start}
		}}})
	inst := compiledInstance(t, e, s, tmod{
		memory:  &wasm.Limits{Min: 1},
		imports: []timport{{"env", "clock", sig.Params, sig.Results}},
		funcs: []tfn{
			{name: "read", params: vts(vI32, vI32), results: vts(vI32), body: wcode(wget(0), wi64(0), wget(1), wcall(0))},
			{name: "get", params: vts(vI32), results: vts(vI64), body: wcode(wget(0), wmem(wasm.OpI64Load, 0))},
		},
	}.build(t), "test")
	var stats engine.ExitStats
	ctx := engine.WithExitStats(context.Background(), &stats)
	read := func(id, addr uint32) uint64 {
		t.Helper()
		res, err := invoke(ctx, e, exported(t, inst, "read"), uint64(id), uint64(addr))
		if err != nil {
			t.Fatal(err)
		}
		return res[0]
	}
	get := func(addr uint32) uint64 {
		t.Helper()
		res, err := invoke(ctx, e, exported(t, inst, "get"), uint64(addr))
		if err != nil {
			t.Fatal(err)
		}
		return res[0]
	}
	// A guest's clock read lies between the host's readings before and
	// after the call, less what anchoring may be off by (the counter's
	// rate is known to a part in a million). The call itself may be
	// slow: under an emulated CPU it takes tens of milliseconds.
	const slack = 5 * time.Millisecond
	before := time.Now().UnixNano()
	if errno := read(0, 8); errno != 0 {
		t.Fatalf("realtime: errno %d", errno)
	}
	if got, after := int64(get(8)), time.Now().UnixNano(); got > after || got < before-int64(slack) {
		t.Errorf("realtime %d, host %d to %d", got, before, after)
	}
	var last uint64
	for i := range 3 {
		before := uint64(time.Since(start))
		if errno := read(1, 16); errno != 0 {
			t.Fatalf("monotonic: errno %d", errno)
		}
		got, after := get(16), uint64(time.Since(start))
		if got < last || got > after || got+uint64(slack) < before {
			t.Errorf("monotonic read %d: %d after %d, host %d to %d", i, got, last, before, after)
		}
		last = got
	}
	if hostCalls != 0 {
		t.Errorf("the host function served %d reads of clocks 0 and 1", hostCalls)
	}
	if c := stats.Counts(); c.ByCause["env.clock"] != 0 {
		t.Errorf("reads of clocks 0 and 1 exited: %v", c.ByCause)
	}
	if errno := read(2, 8); errno != 0 || hostCalls != 1 {
		t.Errorf("clock 2: errno %d, %d host calls; want the host function's 0, 1", errno, hostCalls)
	}
	if errno := read(0, 65536-4); errno != store.GuestFault {
		t.Errorf("address past memory: errno %d, want %d", errno, store.GuestFault)
	}
}

// clockServer serves the host's clocks, from start for the monotonic
// one, and nothing else.
type clockServer struct{ start time.Time }

func (c clockServer) Clocks() (uint64, uint64) {
	now := time.Now()
	return uint64(now.UnixNano()), uint64(now.Sub(c.start))
}
func (clockServer) Args() []string                                      { return nil }
func (clockServer) Environ() []string                                   { return nil }
func (clockServer) Random([]byte) error                                 { return nil }
func (clockServer) UnreadRandom([]byte)                                 {}
func (clockServer) Buffered(uint32) bool                                { return false }
func (clockServer) WriteBuffered(context.Context, uint32, []byte) error { return nil }
func (clockServer) Fdstat(uint32) ([24]byte, uint16)                    { return [24]byte{}, 8 }
func (clockServer) Prestat(uint32) (string, uint16)                     { return "", 8 }
func (clockServer) SetFdflags(uint32, uint64) uint16                    { return 8 }
func (clockServer) Closable(uint32) bool                                { return false }
func (clockServer) CloseLater(uint32)                                   {}
func (clockServer) DirEnd(uint32) uint64                                { return 0 }
func (clockServer) DirRead(uint32)                                      {}

// TestVMStackTooLarge: a stack limit larger than a VM's data region can
// hold is refused with an error, by VMConfig and by a call, never by a
// fault in the host.
func TestVMStackTooLarge(t *testing.T) {
	if _, err := VMConfig(1 << 30); err == nil || !strings.Contains(err.Error(), "max-wasm-stack") {
		t.Errorf("VMConfig(1 GiB): %v, want the limit named", err)
	}
	base := vmEngine(t, 0)
	e := New(Config{MaxStackBytes: 1 << 30, Target: VM, Monitor: base.mon})
	s := store.New()
	inst := compiledInstance(t, e, s, tmod{funcs: []tfn{{name: "f", results: vts(vI32), body: wcode(wi32(1))}}}.build(t), "test")
	if _, err := invoke(context.Background(), e, exported(t, inst, "f")); err == nil || !strings.Contains(err.Error(), "max-wasm-stack") {
		t.Errorf("call with a 1 GiB stack: %v, want the limit named", err)
	}
}

// TestVMTurnWhileHostRuns: a call in a VM holds one of the monitor's
// turns while its guest runs, gives it up while a host function it
// called runs (which may wait on the world for long), and gives back
// what it holds when it ends.
func TestVMTurnWhileHostRuns(t *testing.T) {
	kvmtest.Require(t)
	cfg, err := VMConfig(0)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Parallel = 1
	mon, err := vm.NewMonitor(cfg)
	if err != nil {
		kvmtest.Skip(t, err)
		return
	}
	defer mon.Close()
	e := New(Config{Target: VM, Monitor: mon})
	s := store.New()
	entered, release := make(chan bool), make(chan struct{})
	sig := wasm.FuncType{}
	hostInstance(t, s, "env", store.HostFunc{Export: "wait", Type: sig,
		Fn: func(context.Context, api.Module, []uint64) error {
			free := mon.TryTurn()
			if free {
				mon.EndTurn()
			}
			entered <- free
			<-release
			return nil
		}})
	inst := compiledInstance(t, e, s, tmod{
		imports: []timport{{"env", "wait", nil, nil}},
		funcs:   []tfn{{name: "run", body: wcode(wcall(0))}},
	}.build(t), "test")
	done := make(chan error)
	go func() {
		_, err := invoke(context.Background(), e, exported(t, inst, "run"))
		done <- err
	}()
	if !<-entered {
		t.Error("the turn was held while a host function ran")
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !mon.TryTurn() {
		t.Fatal("the call kept its turn after it ended")
	}
	mon.EndTurn()
}

// TestVMGrowInGuest checks memory.grow served in the guest once the host
// lent it the page tables: the host grows the first lendAfter times in a
// call, then once per 2 MiB the memory reaches into; a host function and
// later calls see every page grown in the guest, an access past them
// faults, and growth stops at the maximum.
func TestVMGrowInGuest(t *testing.T) {
	e := vmEngine(t, 0)
	s := store.New()
	var inst *store.Instance
	hostInstance(t, s, "env", store.HostFunc{Export: "peek", Type: wasm.FuncType{Params: vts(vI32), Results: vts(vI32)},
		Fn: func(_ context.Context, _ api.Module, st []uint64) error {
			mem := inst.Memories[0].Bytes()
			if st[0]+4 > uint64(len(mem)) {
				st[0] = math.MaxUint32
				return nil
			}
			st[0] = uint64(binary.LittleEndian.Uint32(mem[st[0]:]))
			return nil
		}})
	const maxPages = 40
	inst = compiledInstance(t, e, s, tmod{
		imports: []timport{{"env", "peek", vts(vI32), vts(vI32)}},
		memory:  &wasm.Limits{Min: 1, Max: maxPages, HasMax: true},
		funcs: []tfn{
			// Grows by one page n times, storing the previous size in
			// the last word of each new page; returns the size.
			/* 1 */ {name: "grow_each", params: vts(vI32), results: vts(vI32), locals: []wasm.LocalGroup{{Count: 1, Type: vI32}}, body: wcode(
				wloop(wvoid),
				wi32(1), wmem0(wasm.OpMemoryGrow), wtee(1),
				wi32(1), wop(wasm.OpI32Add), wi32(16), wop(wasm.OpI32Shl), wi32(4), wop(wasm.OpI32Sub),
				wget(1), wmem(wasm.OpI32Store, 0),
				wget(0), wi32(1), wop(wasm.OpI32Sub), wtee(0), wbrIf(0),
				wop(wasm.OpEnd),
				wmem0(wasm.OpMemorySize))},
			// grow_each, then the host reads the last word.
			/* 2 */ {name: "grow_peek", params: vts(vI32), results: vts(vI32), body: wcode(
				wget(0), wcall(1), wi32(16), wop(wasm.OpI32Shl), wi32(4), wop(wasm.OpI32Sub), wcall(0))},
			/* 3 */ {name: "grow", params: vts(vI32), results: vts(vI32), body: wcode(wget(0), wmem0(wasm.OpMemoryGrow))},
			/* 4 */ {name: "load", params: vts(vI32), results: vts(vI32), body: wcode(wget(0), wmem(wasm.OpI32Load, 0))},
		},
	}.build(t), "test")
	var stats engine.ExitStats
	ctx := engine.WithExitStats(context.Background(), &stats)
	exits := func() int { return int(stats.Counts().ByCause["step MemoryGrow"]) }
	call := func(name string, args ...uint64) (uint64, error) {
		r, err := invoke(ctx, e, exported(t, inst, name), args...)
		if err != nil {
			return 0, err
		}
		return r[0] & math.MaxUint32, nil
	}
	mustCall := func(want uint64, name string, args ...uint64) {
		t.Helper()
		if got, err := call(name, args...); err != nil || got != want {
			t.Fatalf("%s%v = %#x, %v; want %#x", name, args, got, err, want)
		}
	}
	const P = 65536
	mustCall(20, "grow_peek", 20) // pages 1 to 21, all in the first 2 MiB
	if n := exits(); n != lendAfter {
		t.Errorf("21 pages in one call: %d exits to grow, want %d", n, lendAfter)
	}
	if n := len(inst.Memories[0].Bytes()); n != 21*P {
		t.Fatalf("the store's memory has %#x bytes, want %#x", n, 21*P)
	}
	mustCall(20, "load", 21*P-4)
	mustCall(5, "load", 6*P-4)
	if _, err := call("load", 21*P); kindOf(err) != api.TrapOutOfBoundsMemory {
		t.Fatalf("load past the memory grown in the guest: %v", err)
	}
	// Up to the maximum, past the first 2 MiB: one more exit to map the
	// page after them, which begins the next loan.
	before := exits()
	mustCall(maxPages, "grow_each", maxPages-21)
	if n := exits() - before; n != lendAfter+1 {
		t.Errorf("pages 22 to 40: %d exits to grow, want %d", n, lendAfter+1)
	}
	mustCall(39, "load", maxPages*P-4)
	mustCall(31, "load", 32*P-4)
	mustCall(32, "load", 33*P-4)
	mustCall(math.MaxUint32, "grow", 1)
	mustCall(maxPages, "grow", 0)
	if _, err := call("load", maxPages*P-2); kindOf(err) != api.TrapOutOfBoundsMemory {
		t.Fatalf("load straddling the maximum: %v", err)
	}
}
