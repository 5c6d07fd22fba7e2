package kvm_test

import (
	"errors"
	"io/fs"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/wasmvisor/wasmvisor/internal/kvm"
	"github.com/wasmvisor/wasmvisor/internal/kvm/kvmtest"
)

func TestOpenPath_Errors(t *testing.T) {
	tests := []struct {
		name string
		path string
		is   error
	}{
		{"missing", "/nonexistent/kvm", fs.ErrNotExist},
		{"not KVM", "/dev/null", unix.ENOTTY},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := kvm.OpenPath(tc.path)
			if !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want %v", err, tc.is)
			}
		})
	}
}

// TestVCPU_Lifecycle drives the ioctls against the real device: a VM, a
// vCPU, register round trips, and KVM_RUN refused by immediate_exit.
func TestVCPU_Lifecycle(t *testing.T) {
	kvmtest.Require(t)
	sys, err := kvm.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	if n, err := sys.CheckExtension(kvm.CapUserMemory); err != nil || n == 0 {
		t.Fatalf("KVM_CAP_USER_MEMORY = %d, %v", n, err)
	}
	cpuid, err := sys.SupportedCPUID()
	if err != nil || len(cpuid) == 0 {
		t.Fatalf("SupportedCPUID: %d entries, %v", len(cpuid), err)
	}
	vm, err := sys.CreateVM()
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Close()
	mem, err := unix.Mmap(-1, 0, 1<<16, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(mem)
	region := kvm.UserspaceMemoryRegion{Slot: 0, MemorySize: uint64(len(mem)), UserspaceAddr: addrOf(mem)}
	if err := vm.SetUserMemoryRegion(region); err != nil {
		t.Fatal(err)
	}
	region.GuestPhysAddr = 1 << 60 // beyond any physical address width
	if err := vm.SetUserMemoryRegion(region); err == nil {
		t.Error("an overlapping or impossible slot was accepted")
	}
	cpu, err := vm.CreateVCPU(0)
	if err != nil {
		t.Fatal(err)
	}
	defer cpu.Close()
	if err := cpu.SetCPUID(cpuid); err != nil {
		t.Fatal(err)
	}
	regs := kvm.Regs{RAX: 0x1234, RIP: 0x1000, RFLAGS: 2}
	if err := cpu.SetRegs(&regs); err != nil {
		t.Fatal(err)
	}
	got, err := cpu.Regs()
	if err != nil || got.RAX != 0x1234 || got.RIP != 0x1000 {
		t.Fatalf("Regs = %+v, %v", got, err)
	}
	sregs, err := cpu.Sregs()
	if err != nil {
		t.Fatal(err)
	}
	if err := cpu.SetSregs(&sregs); err != nil {
		t.Fatal(err)
	}
	if _, err := cpu.Events(); err != nil {
		t.Fatal(err)
	}
	cpu.SetImmediateExit(true)
	if err := cpu.Run(); err != unix.EINTR {
		t.Fatalf("KVM_RUN with immediate_exit: %v, want EINTR", err)
	}
	if cpu.RunData().ImmediateExit != 1 {
		t.Fatal("immediate_exit not set in the run structure")
	}
	cpu.SetImmediateExit(false)
	if cpu.RunData().ImmediateExit != 0 {
		t.Fatal("immediate_exit not cleared")
	}
	if err := cpu.Close(); err != nil {
		t.Fatal(err)
	}
	if err := cpu.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
