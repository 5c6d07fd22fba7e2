package vm

import (
	"context"
	"errors"
	"testing"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/asm/amd64"
	"github.com/wasmvisor/wasmvisor/internal/linmem"
)

// growInGuest maps pages within a loan as compiled code does: rdi =
// Loan.Tables, rsi = Loan.Entry, rdx = the size, rcx = the new size;
// then it reads the byte at window offset r8 and returns it.
func growInGuest(a *amd64.Asm) {
	EmitMapLoaned(a, amd64.RDI, amd64.RSI, amd64.RDX, amd64.RCX, amd64.RAX, amd64.R9)
	a.MovImm(amd64.W64, amd64.R9, MemoryBase)
	a.Load(amd64.W8, amd64.RAX, amd64.MI(amd64.R9, amd64.R8, 1, 0))
	a.Ret()
}

// TestVM_LendGrowth checks a guest growing its memory within a loan: the
// pages it maps are the memory's, the rest of the window still faults,
// the host takes the growth in only within the loan, maps what it grows
// itself after it, and never reuses the VM.
func TestVM_LendGrowth(t *testing.T) {
	m := newMonitor(t, Config{})
	code := assemble(t, growInGuest)
	mem := newMemory(t, 3, 100)
	v := acquire(t, m, code, mem)
	loan, err := v.LendGrowth(0)
	if err != nil {
		t.Fatal(err)
	}
	if loan.End != hugePage || loan.Tables != GrowTables(0) {
		t.Fatalf("loan %+v, want up to %#x with tables at %#x", loan, hugePage, GrowTables(0))
	}
	const P = linmem.PageSize
	run := func(size, next, read uint64) (uint64, error) {
		res, err := v.Run(context.Background(), &Entry{Args: [6]uint64{loan.Tables, loan.Entry, size, next, read}})
		return res[0] & 0xFF, err
	}
	outOfBounds := func(err error, addr uint64) bool {
		var trap *Trap
		return errors.As(err, &trap) && trap.Kind == api.TrapOutOfBoundsMemory && trap.Addr == addr
	}

	// The guest maps pages 3 and 4 and reads the last byte of page 4.
	mem.Bytes()[:5*P][5*P-1] = 42
	if got, err := run(3*P, 5*P, 5*P-1); err != nil || got != 42 {
		t.Fatalf("read after growing in the guest: %d, %v", got, err)
	}
	if _, err := run(5*P, 5*P, 5*P); !outOfBounds(err, 5*P) {
		t.Fatalf("read past the grown memory: %v", err)
	}
	for _, bad := range []uint64{2 * P, 5*P + 1, hugePage + P} {
		if err := v.AcceptGrowth(0, bad); err == nil {
			t.Errorf("AcceptGrowth(%#x) succeeded", bad)
		}
	}
	if mem.Pages() != 3 {
		t.Fatalf("a refused growth grew the memory to %d pages", mem.Pages())
	}
	if err := v.AcceptGrowth(0, 5*P); err != nil || mem.Pages() != 5 {
		t.Fatalf("AcceptGrowth: %v, %d pages", err, mem.Pages())
	}
	// The host grows past the loan: small pages up to its end, then
	// whatever the host maps.
	if prev, ok := v.GrowMemory(40); !ok || prev != 5 {
		t.Fatalf("GrowMemory: %d, %v", prev, ok)
	}
	mem.Bytes()[45*P-1] = 7
	if got, err := run(45*P, 45*P, 45*P-1); err != nil || got != 7 {
		t.Fatalf("read after the host grew the memory: %d, %v", got, err)
	}
	if _, err := run(45*P, 45*P, 45*P); !outOfBounds(err, 45*P) {
		t.Fatalf("read past the memory the host grew: %v", err)
	}
	m.Put(v)
	if !errors.Is(v.broken, errLent) {
		t.Fatalf("after Put, a VM that lent tables is %v, want it torn down", v.broken)
	}
}

// TestVM_LendGrowth_Nothing checks that a memory whose size ends on a
// 2 MiB boundary, or that cannot grow, gets no loan and leaves the VM
// reusable.
func TestVM_LendGrowth_Nothing(t *testing.T) {
	m := newMonitor(t, Config{})
	code := assemble(t, func(a *amd64.Asm) { a.Ret() })
	for _, tc := range []struct {
		name       string
		pages, max uint32
	}{
		{"on a boundary", 32, 100},
		{"at its maximum", 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := instance(t, m, code, newMemory(t, tc.pages, tc.max))
			loan, err := v.LendGrowth(0)
			if err != nil || loan.End != 0 || v.lent {
				t.Fatalf("loan %+v, %v; lent %v", loan, err, v.lent)
			}
		})
	}
}
