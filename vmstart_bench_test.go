package wasmvisor_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wasmvisor/wasmvisor"
)

// touchWasm is a module without imports whose export "touch" stores its
// argument at the address it names and loads it back: one page of
// memory, written and read on every call.
//
//	(module
//	  (memory (export "memory") 1)
//	  (func (export "touch") (param i32) (result i32)
//	    local.get 0  local.get 0  i32.store
//	    local.get 0  i32.load))
var touchWasm = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
	0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f, // type: (i32) -> i32
	0x03, 0x02, 0x01, 0x00, // function 0 has type 0
	0x05, 0x03, 0x01, 0x00, 0x01, // memory: min 1 page
	0x07, 0x12, 0x02, // exports: 2
	0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00,
	0x05, 't', 'o', 'u', 'c', 'h', 0x00, 0x00,
	0x0a, 0x10, 0x01, 0x0e, 0x00, // code: 1 body of 14 bytes, no locals
	0x20, 0x00, 0x20, 0x00, 0x36, 0x02, 0x00, // local.get 0, local.get 0, i32.store align=2 offset=0
	0x20, 0x00, 0x28, 0x02, 0x00, // local.get 0, i32.load align=2 offset=0
	0x0b, // end
}

// vmStarter instantiates the compiled touch module in a VM-isolated
// runtime, calls it and closes the instance: what an embedder pays to
// run a fresh sandbox per request.
type vmStarter struct {
	rt       *wasmvisor.Runtime
	compiled *wasmvisor.CompiledModule
}

// newVMStarter sets up the runtime, or skips tb where KVM is not
// available (failing instead under WASMVISOR_REQUIRE_KVM=1).
func newVMStarter(tb testing.TB) *vmStarter {
	tb.Helper()
	if err := wasmvisor.IsolationVM.Available(); err != nil {
		if os.Getenv("WASMVISOR_REQUIRE_KVM") == "1" {
			tb.Fatalf("KVM unavailable: %v (WASMVISOR_REQUIRE_KVM=1: KVM tests must run here)", err)
		}
		tb.Skip("KVM unavailable: " + err.Error())
	}
	ctx := context.Background()
	rt := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{Isolation: wasmvisor.IsolationVM})
	tb.Cleanup(func() { rt.Close(ctx) })
	if got := rt.Isolation(); got != wasmvisor.IsolationVM {
		tb.Fatalf("runtime isolation is %v, want vm", got)
	}
	compiled, err := rt.CompileModule(ctx, touchWasm)
	if err != nil {
		tb.Fatal(err)
	}
	return &vmStarter{rt: rt, compiled: compiled}
}

// start runs one instantiate, call and close, and returns how long it took.
func (s *vmStarter) start(ctx context.Context, i int) (time.Duration, error) {
	t0 := time.Now()
	mod, err := s.rt.InstantiateModule(ctx, s.compiled, wasmvisor.ModuleConfig{})
	if err != nil {
		return 0, err
	}
	addr := uint64(i%16_000) * 4
	res, err := mod.ExportedFunction("touch").Call(ctx, addr)
	if cerr := mod.Close(ctx); err == nil {
		err = cerr
	}
	d := time.Since(t0)
	if err != nil {
		return 0, err
	}
	if res[0] != addr {
		return 0, fmt.Errorf("touch(%d) = %d", addr, res[0])
	}
	return d, nil
}

// run does n starts on g goroutines at once and returns every start's
// latency.
func (s *vmStarter) run(ctx context.Context, n, g int) ([]time.Duration, error) {
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, g)
	for w := range g {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				d, err := s.start(ctx, i)
				if err != nil {
					errs[w] = err
					next.Store(int64(n))
					return
				}
				lat[i] = d
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return lat, nil
}

// percentile returns the p-th percentile (0 < p ≤ 100) of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// usage is the process's open descriptors and resident set.
type usage struct {
	fds int
	rss int64 // bytes
	vms int64 // live micro-VMs
}

// measureUsage reads the process's usage once the VM pool's background
// work has settled: returned VMs are reset, and surplus ones (made when
// more calls ran at once than the pool held) torn down, only after the
// starts stop, and ready VMs above the pool's size only after a second
// without a start. So it waits until readings 50 ms apart agree on the
// descriptors for longer than that second, for at most ten seconds.
func measureUsage(tb testing.TB) usage {
	tb.Helper()
	last, same := readUsage(tb), 0
	for deadline := time.Now().Add(10 * time.Second); same < 25 && time.Now().Before(deadline); {
		runtime.GC()
		time.Sleep(50 * time.Millisecond)
		u := readUsage(tb)
		if u.fds == last.fds {
			same++
		} else {
			same = 0
		}
		last = u
	}
	return last
}

func readUsage(tb testing.TB) usage {
	tb.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		tb.Fatal(err)
	}
	statm, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		tb.Fatal(err)
	}
	f := bytes.Fields(statm)
	if len(f) < 2 {
		tb.Fatalf("/proc/self/statm: %q", statm)
	}
	pages, err := strconv.ParseInt(string(f[1]), 10, 64)
	if err != nil {
		tb.Fatalf("/proc/self/statm: %v", err)
	}
	return usage{fds: len(ents), rss: pages * int64(os.Getpagesize()), vms: wasmvisor.MicroVMPool().Live}
}

// Allowed growth between warm-up and the end of a run: a descriptor or
// two may be in flight (a VM being torn down), and the Go heap and the
// pool's VMs move a few MiB either way.
const (
	fdSlack  = 2
	rssSlack = 16 << 20
	vmSlack  = 1
)

// checkFlat fails tb if usage grew from before to after by more than the
// slack.
func checkFlat(tb testing.TB, before, after usage) {
	tb.Helper()
	if after.fds > before.fds+fdSlack {
		tb.Errorf("open descriptors grew from %d after warm-up to %d", before.fds, after.fds)
	}
	if after.rss > before.rss+rssSlack {
		tb.Errorf("RSS grew from %.1f MiB after warm-up to %.1f MiB", mib(before.rss), mib(after.rss))
	}
	if after.vms > before.vms+vmSlack {
		tb.Errorf("live micro-VMs grew from %d after warm-up to %d", before.vms, after.vms)
	}
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

var vmStartConcurrency = []int{1, 4}

func concurrencyName(g int) string {
	if g == 1 {
		return "sequential"
	}
	return fmt.Sprintf("goroutines=%d", g)
}

// BenchmarkVMStart measures instantiating the compiled touch module in a
// VM-isolated runtime, calling it once and closing it, one start after
// another and from 4 goroutines at once. ns/op is wall time per start
// (throughput); p50-ns and p99-ns are the latency of one start as its
// goroutine sees it. It also reports how the process's descriptors and
// RSS moved from after a warm-up to the end, and fails if they grew.
// Run it with -benchtime=10000x for 10,000 starts.
func BenchmarkVMStart(b *testing.B) {
	for _, g := range vmStartConcurrency {
		b.Run(concurrencyName(g), func(b *testing.B) {
			s := newVMStarter(b)
			ctx := context.Background()
			if _, err := s.run(ctx, 500*g, g); err != nil {
				b.Fatal(err)
			}
			before := measureUsage(b)
			b.ResetTimer()
			lat, err := s.run(ctx, b.N, g)
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			after := measureUsage(b)
			slices.Sort(lat)
			b.ReportMetric(float64(percentile(lat, 50).Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(percentile(lat, 99).Nanoseconds()), "p99-ns")
			b.ReportMetric(float64(after.fds-before.fds), "fd-growth")
			b.ReportMetric(mib(after.rss-before.rss), "rss-growth-MiB")
			b.Logf("%d starts on %d goroutines: p50 %v, p99 %v; descriptors %d → %d, RSS %.1f → %.1f MiB",
				b.N, g, percentile(lat, 50), percentile(lat, 99), before.fds, after.fds, mib(before.rss), mib(after.rss))
			checkFlat(b, before, after)
		})
	}
}

// TestVMStartResourcesFlat starts the touch module 500 times, one after
// another and from 4 goroutines, and checks that the process holds no
// more descriptors or memory afterwards than after a warm-up: a pooled
// VM or an instance's memory that a start forgot to give back would show.
func TestVMStartResourcesFlat(t *testing.T) {
	n := 500
	if testing.Short() {
		n = 100
	}
	for _, g := range vmStartConcurrency {
		t.Run(concurrencyName(g), func(t *testing.T) {
			s := newVMStarter(t)
			ctx := context.Background()
			if _, err := s.run(ctx, 100*g, g); err != nil {
				t.Fatal(err)
			}
			before := measureUsage(t)
			lat, err := s.run(ctx, n, g)
			if err != nil {
				t.Fatal(err)
			}
			after := measureUsage(t)
			slices.Sort(lat)
			t.Logf("%d starts: p50 %v, p99 %v; descriptors %d → %d, RSS %.1f → %.1f MiB",
				n, percentile(lat, 50), percentile(lat, 99), before.fds, after.fds, mib(before.rss), mib(after.rss))
			checkFlat(t, before, after)
		})
	}
}
