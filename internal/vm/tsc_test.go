package vm

import (
	"context"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/asm/amd64"
)

// TestVM_TSC checks that the host's view of the guest's time-stamp
// counter brackets what the guest reads: guest code can tell time from
// it, anchored by the host, without an exit.
func TestVM_TSC(t *testing.T) {
	m := newMonitor(t, Config{})
	v, err := m.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Put(v)
	tsc, ok := v.TSC()
	if !ok {
		t.Skip("this KVM gives no guest TSC rate")
	}
	if tsc.Hz < 100e6 {
		t.Fatalf("TSC at %d Hz", tsc.Hz)
	}
	code := assemble(t, func(a *amd64.Asm) {
		a.Raw(0x0F, 0x31) // rdtsc
		a.ShiftImm(amd64.ShShl, amd64.W64, amd64.RDX, 32)
		a.Alu(amd64.AluOr, amd64.W64, amd64.RAX, amd64.RDX)
		a.Ret()
	})
	if err := v.LoadCode(code); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		before := tsc.Now()
		res, err := v.Run(context.Background(), &Entry{})
		after := tsc.Now()
		if err != nil {
			t.Fatal(err)
		}
		// The host's reads of KVM's counter take microseconds either
		// side: allow 100 µs.
		slack := tsc.Hz / 10000
		if res[0]+slack < before || res[0] > after+slack {
			t.Errorf("guest read %d, host saw [%d, %d]", res[0], before, after)
		}
	}
}
