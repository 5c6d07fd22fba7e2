package vm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wasmvisor/wasmvisor/internal/asm/amd64"
	"github.com/wasmvisor/wasmvisor/internal/kvm"
	"github.com/wasmvisor/wasmvisor/internal/vm/x86"
)

// BenchResult holds the medians Bench measured.
type BenchResult struct {
	// ColdStart is creating a VM and running a guest function that
	// returns at once: VM, vCPU, arena, page tables and the first entry
	// with all its shadow-MMU faults.
	ColdStart time.Duration
	// PooledStart is the same with a VM from the pool, code loaded and a
	// one-page linear memory attached: what starting an instance costs.
	PooledStart time.Duration
	// Hypercall is one round trip from the guest through the handler
	// table to a handler that does nothing and back into the guest.
	Hypercall time.Duration
	// RawExit is one round trip of the same out instruction with no
	// dispatch at all: the floor Hypercall is measured against.
	RawExit time.Duration
	// Runs is how many samples each median is of; PoolMisses counts
	// pooled starts that found the pool empty and created a VM.
	Runs, PoolMisses int
}

// benchHypercall is the number the benchmark's handler uses.
const benchHypercall = 1

// Bench measures VM start and exit costs on this host with runs samples
// each. It uses the monitor's pool, so it disturbs other users of the
// monitor; it is meant for `wasmvisor check --bench`.
func (m *Monitor) Bench(runs int) (BenchResult, error) {
	if runs < 1 {
		return BenchResult{}, fmt.Errorf("bench needs at least one run, got %d", runs)
	}
	res := BenchResult{Runs: runs}
	ret, err := benchCode(func(a *amd64.Asm) { a.Ret() })
	if err != nil {
		return res, err
	}
	// mov r12, rdi; loop: mov eax, 1; out 0xf0, al; dec r12; jne loop; ret
	loop, err := benchCode(func(a *amd64.Asm) {
		a.MovRR(amd64.W64, amd64.R12, amd64.RDI)
		top := a.NewLabel()
		a.Bind(top)
		a.MovImm(amd64.W32, amd64.RAX, benchHypercall)
		a.Out(HypercallPort)
		a.Dec(amd64.W64, amd64.R12)
		a.Jcc(amd64.CondNE, top)
		a.Ret()
	})
	if err != nil {
		return res, err
	}
	ctx := context.Background()

	cold := make([]time.Duration, 0, runs)
	for range runs {
		m.quiesce(time.Second)
		start := time.Now()
		v, err := m.create()
		if err != nil {
			return res, err
		}
		if err := v.LoadCode(ret); err != nil {
			return res, err
		}
		if _, err := v.Run(ctx, &Entry{}); err != nil {
			return res, fmt.Errorf("cold start: %w", err)
		}
		cold = append(cold, time.Since(start))
		m.Put(v)
	}
	res.ColdStart = median(cold)

	pooled := make([]time.Duration, 0, runs)
	for range runs {
		m.quiesce(time.Second)
		mem, err := memoryOf(1, 1)
		if err != nil {
			return res, err
		}
		hits := m.pooled.Load()
		start := time.Now()
		v, err := m.Get()
		if err == nil {
			err = v.LoadCode(ret)
		}
		if err == nil {
			err = v.AttachMemory(mem)
		}
		if err == nil {
			_, err = v.Run(ctx, &Entry{})
		}
		pooled = append(pooled, time.Since(start))
		if m.pooled.Load() == hits {
			res.PoolMisses++
		}
		m.Put(v)
		mem.Close()
		if err != nil {
			return res, fmt.Errorf("pooled start: %w", err)
		}
	}
	res.PooledStart = median(pooled)

	v, err := m.Get()
	if err != nil {
		return res, err
	}
	defer m.Put(v)
	if err := v.LoadCode(loop); err != nil {
		return res, err
	}
	// Hypercall and raw rounds alternate so that both see the same load on
	// the host; a shared machine's noise otherwise swamps the difference.
	const rounds = 10
	per := max(runs/rounds, 2)
	var stamps []time.Time
	var tab Table
	if err := tab.Register(benchHypercall, func(*Call) (uint64, error) {
		stamps = append(stamps, time.Now())
		return 0, nil
	}); err != nil {
		return res, err
	}
	var hc, raw []time.Duration
	for range rounds {
		stamps = make([]time.Time, 0, per+1)
		if _, err := v.Run(ctx, &Entry{Args: [6]uint64{uint64(per + 1)}, Hypercalls: &tab}); err != nil {
			return res, fmt.Errorf("hypercall loop: %w", err)
		}
		hc = append(hc, deltas(stamps)...)
		r, err := v.rawExits(per + 1)
		if err != nil {
			return res, err
		}
		raw = append(raw, deltas(r)...)
	}
	res.Hypercall, res.RawExit = median(hc), median(raw)
	return res, nil
}

// rawExits runs the loop already loaded at CodeBase and re-enters it at
// each exit without looking at anything but the exit reason, recording
// the time of each exit.
func (v *VM) rawExits(n int) ([]time.Time, error) {
	r := v.run
	r.S.Regs = kvm.Regs{RIP: CodeBase, RSP: StackTop - 8, RFLAGS: x86.RFLAGSFixed, RDI: ^uint64(0)}
	r.S.Sregs = v.sregs
	r.S.Events = kvm.VCPUEvents{}
	r.DirtyRegs = kvm.SyncRegs | kvm.SyncSregs | kvm.SyncEvents
	r.ValidRegs = kvm.SyncRegs
	defer func() { r.ValidRegs = kvm.SyncRegs | kvm.SyncSregs }()
	stamps := make([]time.Time, 0, n)
	for len(stamps) < n {
		err := v.cpu.Run()
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			v.broken = err
			return nil, err
		}
		if r.ExitReason != kvm.ExitIO {
			v.broken = v.exitError()
			return nil, v.broken
		}
		stamps = append(stamps, time.Now())
	}
	return stamps, nil
}

func benchCode(emit func(a *amd64.Asm)) ([]byte, error) {
	var a amd64.Asm
	emit(&a)
	code, err := a.Finish()
	if err != nil {
		return nil, errors.New("bench: " + err.Error())
	}
	return code, nil
}

func deltas(ts []time.Time) []time.Duration {
	d := make([]time.Duration, 0, len(ts))
	for i := 1; i < len(ts); i++ {
		d = append(d, ts[i].Sub(ts[i-1]))
	}
	return d
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
