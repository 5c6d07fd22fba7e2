package vm

import (
	"errors"
	"time"

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
// where the guest cannot tell time by it (KVM does not say the rate, or
// the guest's counter runs at another rate than the host's, as with TSC
// scaling).
func (v *VM) TSC() (TSC, bool) { return v.tsc, v.tsc.Hz != 0 }

// measureTSC finds the guest counter's offset and rate. The first VM of
// a monitor reads the offset twice, a millisecond apart: the same offset
// both times means the counters run at one rate, which holds for every
// VM after it.
func (v *VM) measureTSC() error {
	khz, err := v.cpu.TSCKHz()
	if err != nil {
		return err
	}
	if khz == 0 {
		return errors.New("KVM reports no TSC frequency")
	}
	offset, err := v.tscOffset()
	if err != nil {
		return err
	}
	m := v.mon
	m.tscOnce.Do(func() {
		time.Sleep(time.Millisecond)
		again, err := v.tscOffset()
		// A millisecond of a scaled counter would drift by thousands of
		// ticks; the reads themselves take some microseconds.
		if d := again - offset; err != nil || d < -int64(khz)/100 || d > int64(khz)/100 {
			m.tscErr = errors.New("the guest's time-stamp counter runs at another rate than the host's")
		}
	})
	if m.tscErr != nil {
		return m.tscErr
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
