package vm

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/vm/x86"
)

// TestChooseTSS pins the TR type the probe settles on for each kind of
// CPU, modelled by what a ring-3 out does under each type, and the types
// it tries on the way: a CPU that refuses a type at VM entry must never be
// entered with it.
func TestChooseTSS(t *testing.T) {
	entryFails := errors.New("KVM could not enter the guest: hardware reason 0x80000021")
	type cpu map[x86.TSSType]error // absent: #GP at the out; nil: out reaches the host
	gp := errors.New("#GP")
	tests := []struct {
		name  string
		cpu   cpu
		want  x86.TSSType
		tried []x86.TSSType
		err   string
	}{
		// VMX checks that TR is busy at VM entry (invalid guest state).
		{"Intel VT-x", cpu{x86.TSSBusy: nil, x86.TSSAvailable: entryFails}, x86.TSSBusy, []x86.TSSType{x86.TSSBusy}, ""},
		// SVM checks neither at VMRUN nor at the I/O check.
		{"AMD-V", cpu{x86.TSSBusy: nil, x86.TSSAvailable: nil}, x86.TSSBusy, []x86.TSSType{x86.TSSBusy}, ""},
		// Measured on the nested KVM these machines have.
		{"PVM", cpu{x86.TSSBusy: nil}, x86.TSSBusy, []x86.TSSType{x86.TSSBusy}, ""},
		// QEMU's helper for the I/O check wants type 9.
		{"QEMU's emulated SVM", cpu{x86.TSSBusy: gp, x86.TSSAvailable: nil}, x86.TSSAvailable, []x86.TSSType{x86.TSSBusy, x86.TSSAvailable}, ""},
		{"neither works", cpu{x86.TSSBusy: gp, x86.TSSAvailable: gp}, 0, []x86.TSSType{x86.TSSBusy, x86.TSSAvailable}, "with a busy TSS in TR and with an available one"},
		// A busy TR that fails otherwise says nothing about the other type.
		{"entry fails with busy", cpu{x86.TSSBusy: entryFails, x86.TSSAvailable: nil}, 0, []x86.TSSType{x86.TSSBusy}, "probing the guest's TSS with a busy TSS (type 0xB): KVM could not enter"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var tried []x86.TSSType
			s, err := chooseTSS(func(typ x86.TSSType) (bool, error) {
				tried = append(tried, typ)
				err, ok := tc.cpu[typ]
				switch {
				case !ok || err == gp:
					return false, nil
				case err != nil:
					return false, err
				}
				return true, nil
			})
			if !slices.Equal(tried, tc.tried) || !slices.Equal(s.Tried, tc.tried) {
				t.Errorf("tried %v (reported %v), want %v", tried, s.Tried, tc.tried)
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || s.Type != tc.want {
				t.Fatalf("got %v, %v; want %v", s.Type, err, tc.want)
			}
		})
	}
}

// TestMonitor_TSS checks the probe on this host: its choice makes
// hypercalls work (the other tests show that), matches what this kind of
// KVM should take, is cached for the next monitor, and the kind is logged,
// which CI reports.
func TestMonitor_TSS(t *testing.T) {
	m := newMonitor(t, Config{PoolSize: -1})
	if _, ok := m.TSS(); ok {
		t.Fatal("TSS known before the first VM")
	}
	v, err := m.Get()
	if err != nil {
		t.Fatal(err)
	}
	m.Put(v)
	s, ok := m.TSS()
	if !ok {
		t.Fatal("TSS unknown after the first VM")
	}
	host := probeHost()
	t.Logf("KVM kind: %s; %v", host, s)
	if want, known := host.expectTSS(); known && s.Type != want {
		t.Errorf("%s: the probe chose a %v, want a %v", host, s.Type, want)
	}
	if s.Tried[len(s.Tried)-1] != s.Type {
		t.Errorf("the probe's last try %v is not its choice %v", s.Tried, s.Type)
	}
	m2 := newMonitor(t, Config{PoolSize: -1})
	v2, err := m2.Get()
	if err != nil {
		t.Fatal(err)
	}
	m2.Put(v2)
	if s2, _ := m2.TSS(); s2.Type != s.Type || !slices.Equal(s2.Tried, s.Tried) {
		t.Errorf("second monitor: %v, want the cached %v", s2, s)
	}
}
