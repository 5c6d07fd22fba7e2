package vm

import (
	"fmt"

	"github.com/wasmvisor/wasmvisor/internal/kvm"
)

// msrTSC is IA32_TIME_STAMP_COUNTER.
const msrTSC = 0x10

// hostTSC reads the host's time-stamp counter (tsc_amd64.s).
//
//go:noescape
func hostTSC() uint64

// TSC is how the guest's time-stamp counter relates to the host's, for
// guest code that tells time without an exit (as a vDSO does): the guest
// reads rdtsc, the host publishes a pair of a counter value and a time.
type TSC struct {
	// Offset is the guest's counter minus the host's.
	Offset int64
	// Hz is the counter's frequency.
	Hz uint64
}

// Now returns the guest's counter now, as the host computes it.
func (t TSC) Now() uint64 { return uint64(int64(hostTSC()) + t.Offset) }

// TSC returns how the guest's counter relates to the host's, or false
// where the guest cannot tell time by it (KVM does not say the rate).
func (v *VM) TSC() (TSC, bool) { return v.tsc, v.tsc.Hz != 0 }

// measureTSC finds the guest counter's offset and rate. KVM gives a new
// vCPU the host's rate unless told otherwise (KVM_SET_TSC_KHZ, which the
// monitor never uses), so the rate it reports is the host's: the one
// the host kernel calibrated at boot.
func (v *VM) measureTSC() error {
	khz, err := v.cpu.TSCKHz()
	if err != nil {
		return err
	}
	if khz < 100_000 || khz > 10_000_000 {
		return fmt.Errorf("KVM reports a TSC of %d kHz", khz)
	}
	offset, err := v.tscOffset()
	if err != nil {
		return err
	}
	v.tsc = TSC{Offset: offset, Hz: uint64(khz) * 1000}
	return nil
}

// tscOffset reads the guest's counter through KVM between two reads of
// the host's, three times, and keeps the reading whose window was
// narrowest: a thread preempted in the ioctl would otherwise put the
// guest's clocks off by as long as it waited.
func (v *VM) tscOffset() (int64, error) {
	var best int64
	width := uint64(1<<64 - 1)
	for range 3 {
		msr := []kvm.MSREntry{{Index: msrTSC}}
		before := hostTSC()
		if err := v.cpu.GetMSRs(msr); err != nil {
			return 0, err
		}
		after := hostTSC()
		if w := after - before; w < width {
			width, best = w, int64(msr[0].Data)-int64(before/2+after/2)
		}
	}
	return best, nil
}
