package kvm

import (
	"testing"
	"unsafe"
)

// TestABI_Layout checks every struct shared with the kernel against the
// sizes and offsets of the C structs in <linux/kvm.h> (x86-64), as printed
// by a C program with sizeof/offsetof.
func TestABI_Layout(t *testing.T) {
	var (
		regs   Regs
		seg    Segment
		sregs  Sregs
		events VCPUEvents
		sync   SyncRegsBlock
		run    Run
		region UserspaceMemoryRegion
		io     IOExit
		ie     InternalErrorExit
	)
	tests := []struct {
		name      string
		got, want uintptr
	}{
		{"sizeof kvm_regs", unsafe.Sizeof(regs), 144},
		{"kvm_regs.rip", unsafe.Offsetof(regs.RIP), 128},
		{"kvm_regs.rflags", unsafe.Offsetof(regs.RFLAGS), 136},
		{"sizeof kvm_segment", unsafe.Sizeof(seg), 24},
		{"kvm_segment.selector", unsafe.Offsetof(seg.Selector), 12},
		{"kvm_segment.type", unsafe.Offsetof(seg.Type), 14},
		{"kvm_segment.unusable", unsafe.Offsetof(seg.Unusable), 22},
		{"sizeof kvm_dtable", unsafe.Sizeof(DTable{}), 16},
		{"sizeof kvm_sregs", unsafe.Sizeof(sregs), 312},
		{"kvm_sregs.tr", unsafe.Offsetof(sregs.TR), 144},
		{"kvm_sregs.gdt", unsafe.Offsetof(sregs.GDT), 192},
		{"kvm_sregs.idt", unsafe.Offsetof(sregs.IDT), 208},
		{"kvm_sregs.cr0", unsafe.Offsetof(sregs.CR0), 224},
		{"kvm_sregs.efer", unsafe.Offsetof(sregs.EFER), 264},
		{"kvm_sregs.interrupt_bitmap", unsafe.Offsetof(sregs.InterruptBitmap), 280},
		{"sizeof kvm_vcpu_events", unsafe.Sizeof(events), 64},
		{"kvm_vcpu_events.sipi_vector", unsafe.Offsetof(events.SIPIVector), 16},
		{"kvm_vcpu_events.flags", unsafe.Offsetof(events.Flags), 20},
		{"kvm_vcpu_events.smi", unsafe.Offsetof(events.SMI), 24},
		{"kvm_vcpu_events.triple_fault", unsafe.Offsetof(events.TripleFault), 28},
		{"kvm_vcpu_events.exception_has_payload", unsafe.Offsetof(events.ExceptionHasPayload), 55},
		{"kvm_vcpu_events.exception_payload", unsafe.Offsetof(events.ExceptionPayload), 56},
		{"sizeof kvm_sync_regs", unsafe.Sizeof(sync), 520},
		{"kvm_sync_regs.sregs", unsafe.Offsetof(sync.Sregs), 144},
		{"kvm_sync_regs.events", unsafe.Offsetof(sync.Events), 456},
		{"sizeof kvm_run", unsafe.Sizeof(run), 2352},
		{"kvm_run.immediate_exit", unsafe.Offsetof(run.ImmediateExit), 1},
		{"kvm_run.exit_reason", unsafe.Offsetof(run.ExitReason), 8},
		{"kvm_run.flags", unsafe.Offsetof(run.Flags), 14},
		{"kvm_run.cr8", unsafe.Offsetof(run.CR8), 16},
		{"kvm_run.apic_base", unsafe.Offsetof(run.APICBase), 24},
		{"kvm_run.io", unsafe.Offsetof(run.exit), 32},
		{"kvm_run.kvm_valid_regs", unsafe.Offsetof(run.ValidRegs), 288},
		{"kvm_run.kvm_dirty_regs", unsafe.Offsetof(run.DirtyRegs), 296},
		{"kvm_run.s", unsafe.Offsetof(run.S), 304},
		{"kvm_run.io.size", unsafe.Offsetof(io.Size), 1},
		{"kvm_run.io.port", unsafe.Offsetof(io.Port), 2},
		{"kvm_run.io.count", unsafe.Offsetof(io.Count), 4},
		{"kvm_run.io.data_offset", unsafe.Offsetof(io.DataOffset), 8},
		{"kvm_run.internal.ndata", unsafe.Offsetof(ie.NData), 4},
		{"kvm_run.internal.data", unsafe.Offsetof(ie.Data), 8},
		{"sizeof kvm_userspace_memory_region", unsafe.Sizeof(region), 32},
		{"kvm_userspace_memory_region.userspace_addr", unsafe.Offsetof(region.UserspaceAddr), 24},
		{"sizeof kvm_dirty_log", unsafe.Sizeof(dirtyLog{}), 16},
		{"sizeof kvm_enable_cap", unsafe.Sizeof(enableCap{}), 104},
		{"sizeof kvm_cpuid_entry2", unsafe.Sizeof(CPUIDEntry{}), 40},
		{"sizeof kvm_cpuid2", unsafe.Sizeof(cpuidHeader{}), 8},
		{"sizeof kvm_msr_entry", unsafe.Sizeof(MSREntry{}), 16},
		{"sizeof kvm_msrs", unsafe.Sizeof(msrsHeader{}), 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %d, want %d", tc.got, tc.want)
			}
		})
	}
}

// TestIoctlNumbers recomputes the request numbers with the kernel's
// _IO/_IOR/_IOW/_IOWR encoding from the Go struct sizes, so that a struct
// and its request cannot disagree.
func TestIoctlNumbers(t *testing.T) {
	const (
		none  = 0
		write = 1
		read  = 2
	)
	enc := func(dir uintptr, nr uintptr, size uintptr) uintptr {
		return dir<<30 | size<<16 | 0xAE<<8 | nr
	}
	tests := []struct {
		name string
		got  uintptr
		want uintptr
	}{
		{"KVM_GET_API_VERSION", ioctlGetAPIVersion, enc(none, 0x00, 0)},
		{"KVM_CREATE_VM", ioctlCreateVM, enc(none, 0x01, 0)},
		{"KVM_CHECK_EXTENSION", ioctlCheckExtension, enc(none, 0x03, 0)},
		{"KVM_GET_VCPU_MMAP_SIZE", ioctlGetVCPUMmapSize, enc(none, 0x04, 0)},
		{"KVM_GET_SUPPORTED_CPUID", ioctlGetSupportedCPUID, enc(read|write, 0x05, unsafe.Sizeof(cpuidHeader{}))},
		{"KVM_CREATE_VCPU", ioctlCreateVCPU, enc(none, 0x41, 0)},
		{"KVM_GET_DIRTY_LOG", ioctlGetDirtyLog, enc(write, 0x42, unsafe.Sizeof(dirtyLog{}))},
		{"KVM_SET_USER_MEMORY_REGION", ioctlSetUserMemoryRegion, enc(write, 0x46, unsafe.Sizeof(UserspaceMemoryRegion{}))},
		{"KVM_SET_TSS_ADDR", ioctlSetTSSAddr, enc(none, 0x47, 0)},
		{"KVM_RUN", ioctlRun, enc(none, 0x80, 0)},
		{"KVM_GET_REGS", ioctlGetRegs, enc(read, 0x81, unsafe.Sizeof(Regs{}))},
		{"KVM_SET_REGS", ioctlSetRegs, enc(write, 0x82, unsafe.Sizeof(Regs{}))},
		{"KVM_GET_SREGS", ioctlGetSregs, enc(read, 0x83, unsafe.Sizeof(Sregs{}))},
		{"KVM_SET_SREGS", ioctlSetSregs, enc(write, 0x84, unsafe.Sizeof(Sregs{}))},
		{"KVM_GET_MSRS", ioctlGetMSRs, enc(read|write, 0x88, unsafe.Sizeof(msrsHeader{}))},
		{"KVM_SET_MSRS", ioctlSetMSRs, enc(write, 0x89, unsafe.Sizeof(msrsHeader{}))},
		{"KVM_SET_CPUID2", ioctlSetCPUID2, enc(write, 0x90, unsafe.Sizeof(cpuidHeader{}))},
		{"KVM_GET_VCPU_EVENTS", ioctlGetVCPUEvents, enc(read, 0x9f, unsafe.Sizeof(VCPUEvents{}))},
		{"KVM_SET_VCPU_EVENTS", ioctlSetVCPUEvents, enc(write, 0xa0, unsafe.Sizeof(VCPUEvents{}))},
		{"KVM_ENABLE_CAP", ioctlEnableCap, enc(write, 0xa3, unsafe.Sizeof(enableCap{}))},
		{"KVM_GET_TSC_KHZ", ioctlGetTSCKHz, enc(none, 0xa3, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %#x, want %#x", tc.got, tc.want)
			}
		})
	}
}

func TestExitReason_String(t *testing.T) {
	tests := []struct {
		r    ExitReason
		want string
	}{
		{ExitIO, "KVM_EXIT_IO"},
		{ExitShutdown, "KVM_EXIT_SHUTDOWN"},
		{ExitMemoryFault, "KVM_EXIT_MEMORY_FAULT"},
		{ExitReason(77), "KVM_EXIT_77"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.r.String(); got != tc.want {
				t.Errorf("got %q", got)
			}
		})
	}
}

func TestCap_String(t *testing.T) {
	tests := []struct {
		c    Cap
		want string
	}{
		{CapSyncRegs, "KVM_CAP_SYNC_REGS"},
		{CapImmediateExit, "KVM_CAP_IMMEDIATE_EXIT"},
		{Cap(0), "KVM_CAP_0"},
		{Cap(1234), "KVM_CAP_1234"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.c.String(); got != tc.want {
				t.Errorf("got %q", got)
			}
		})
	}
}
