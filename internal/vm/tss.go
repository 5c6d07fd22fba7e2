package vm

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/wasmvisor/wasmvisor/internal/vm/x86"
)

// TSSSetup is the type TR holds for the guest's TSS, found by a probe at
// the first VM a process creates on a device.
//
// Every hypercall is a ring-3 out that the CPU checks against the I/O
// permission bitmap of the TSS in TR. Intel VMX refuses to enter a guest
// whose TR is not busy; QEMU's emulated CPU (the nested SVM of a CI
// machine without KVM) refuses the I/O check, with #GP, unless TR is
// available; AMD hardware and PVM accept a busy TR. So the probe tries
// busy first, which is right everywhere but under the emulator, and takes
// available only when a busy TR made the probe's out fault: it never
// enters an Intel guest with a TR that VMX rejects.
type TSSSetup struct {
	Type x86.TSSType
	// Tried lists the types the probe ran, in order; the last is Type.
	Tried []x86.TSSType
}

func (s TSSSetup) String() string {
	if len(s.Tried) > 1 {
		return fmt.Sprintf("TR holds an %v: ring-3 out faulted #GP with a %v (QEMU's emulated CPU does that)", s.Type, s.Tried[0])
	}
	return fmt.Sprintf("TR holds a %v, as ltr leaves it and Intel VT-x requires; ring-3 out reaches the host with it", s.Type)
}

// tssOrder is the order in which the probe tries TR types: see TSSSetup.
var tssOrder = []x86.TSSType{x86.TSSBusy, x86.TSSAvailable}

// chooseTSS runs try with each type of tssOrder until the probe's out
// reaches the host (ok). A fault of the out moves on to the next type;
// any other failure ends the probe, since trying a type that the CPU may
// reject at VM entry is only safe once busy has been seen to enter.
func chooseTSS(try func(x86.TSSType) (ok bool, err error)) (TSSSetup, error) {
	var s TSSSetup
	for _, t := range tssOrder {
		s.Tried = append(s.Tried, t)
		ok, err := try(t)
		if err != nil {
			return s, fmt.Errorf("probing the guest's TSS with a %v: %w", t, err)
		}
		if ok {
			s.Type = t
			return s, nil
		}
	}
	return s, errors.New("ring-3 out to the hypercall port faults #GP with a busy TSS in TR and with an available one: " +
		"this CPU does not honour the TSS's I/O permission bitmap, which hypercalls need")
}

// tssSetups caches each device's TSSSetup for the life of the process:
// the CPU under a running process does not change, so only the first VM
// pays for the probe.
var tssSetups sync.Map // device path -> TSSSetup

// tssFor returns the monitor's TSSSetup, probing it on v (a new VM that
// has not run yet) when this process has not probed the device before.
func (m *Monitor) tssFor(v *VM) (TSSSetup, error) {
	m.tssMu.Lock()
	defer m.tssMu.Unlock()
	if m.tss != nil {
		return *m.tss, nil
	}
	if s, ok := tssSetups.Load(m.device); ok {
		setup := s.(TSSSetup)
		m.tss = &setup
		return setup, nil
	}
	setup, err := chooseTSS(v.probeTSS)
	if err != nil {
		return setup, err
	}
	tssSetups.Store(m.device, setup)
	m.tss = &setup
	return setup, nil
}

// TSS returns how the monitor's VMs load TR, or false before the monitor
// has created its first VM.
func (m *Monitor) TSS() (TSSSetup, bool) {
	m.tssMu.Lock()
	defer m.tssMu.Unlock()
	if m.tss == nil {
		return TSSSetup{}, false
	}
	return *m.tss, true
}

// setTR makes t the type TR holds in every later run of v.
func (v *VM) setTR(t x86.TSSType) {
	l := v.layout
	l.TRType = t
	v.sregs = x86.UserSregs(l)
}

// probeTSS runs the smallest guest that makes a hypercall with TR holding
// t: the trampoline calling a bare ret, so that its HypercallReturn is
// the one ring-3 out. It reports whether the out reached the host (true)
// or faulted #GP (false); anything else is an error. The VM is left as
// new but for the trampoline's pushes on its stack.
func (v *VM) probeTSS(t x86.TSSType) (bool, error) {
	v.setTR(t)
	if err := v.LoadCode([]byte{0xC3}); err != nil { // ret
		return false, err
	}
	defer v.LoadCode(nil)
	_, err := v.enter(context.Background(), CodeBase, &Entry{})
	var trap *Trap
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &trap) && trap.Exception && trap.Vector == x86.GP && trap.RIP == sysTramp+tramp.returned-2:
		return false, nil
	}
	return false, err
}
