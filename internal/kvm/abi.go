package kvm

import "unsafe"

// Ioctl request numbers, from <linux/kvm.h> as built for x86-64. The
// direction and size bits are part of each number, so a struct of the
// wrong size would be rejected by the kernel; TestIoctlNumbers recomputes
// them from the struct sizes.
const (
	ioctlGetAPIVersion       = 0xAE00
	ioctlCreateVM            = 0xAE01
	ioctlCheckExtension      = 0xAE03
	ioctlGetVCPUMmapSize     = 0xAE04
	ioctlGetSupportedCPUID   = 0xC008AE05
	ioctlCreateVCPU          = 0xAE41
	ioctlGetDirtyLog         = 0x4010AE42
	ioctlSetUserMemoryRegion = 0x4020AE46
	ioctlSetTSSAddr          = 0xAE47
	ioctlRun                 = 0xAE80
	ioctlGetRegs             = 0x8090AE81
	ioctlSetRegs             = 0x4090AE82
	ioctlGetSregs            = 0x8138AE83
	ioctlSetSregs            = 0x4138AE84
	ioctlGetMSRs             = 0xC008AE88
	ioctlSetMSRs             = 0x4008AE89
	ioctlSetCPUID2           = 0x4008AE90
	ioctlGetVCPUEvents       = 0x8040AE9F
	ioctlSetVCPUEvents       = 0x4040AEA0
	ioctlEnableCap           = 0x4068AEA3
	ioctlGetTSCKHz           = 0xAEA3
)

// APIVersion is the only KVM API version there has ever been; the kernel
// promises never to change it (api.rst, KVM_GET_API_VERSION).
const APIVersion = 12

// Cap is a KVM capability number for CheckExtension (KVM_CAP_*).
type Cap uint32

// Capabilities the monitor uses or reports.
const (
	CapUserMemory      Cap = 3   // KVM_CAP_USER_MEMORY
	CapSetTSSAddr      Cap = 4   // KVM_CAP_SET_TSS_ADDR
	CapExtCPUID        Cap = 7   // KVM_CAP_EXT_CPUID
	CapNrMemslots      Cap = 10  // KVM_CAP_NR_MEMSLOTS
	CapSyncRegs        Cap = 74  // KVM_CAP_SYNC_REGS
	CapImmediateExit   Cap = 136 // KVM_CAP_IMMEDIATE_EXIT
	CapMemoryFaultInfo Cap = 232 // KVM_CAP_MEMORY_FAULT_INFO
	CapDisableQuirks2  Cap = 213 // KVM_CAP_DISABLE_QUIRKS2
)

// QuirkSlotZapAll is KVM_X86_QUIRK_SLOT_ZAP_ALL, an argument of
// CapDisableQuirks2: with the quirk, deleting any memory slot drops every
// shadow page table of the VM; without it, only the deleted slot's.
const QuirkSlotZapAll = 1 << 7

// String returns the kernel's name for c.
func (c Cap) String() string {
	switch c {
	case CapUserMemory:
		return "KVM_CAP_USER_MEMORY"
	case CapSetTSSAddr:
		return "KVM_CAP_SET_TSS_ADDR"
	case CapExtCPUID:
		return "KVM_CAP_EXT_CPUID"
	case CapNrMemslots:
		return "KVM_CAP_NR_MEMSLOTS"
	case CapSyncRegs:
		return "KVM_CAP_SYNC_REGS"
	case CapImmediateExit:
		return "KVM_CAP_IMMEDIATE_EXIT"
	case CapMemoryFaultInfo:
		return "KVM_CAP_MEMORY_FAULT_INFO"
	case CapDisableQuirks2:
		return "KVM_CAP_DISABLE_QUIRKS2"
	}
	return "KVM_CAP_" + itoa(uint64(c))
}

// ExitReason says why KVM_RUN returned to user space (KVM_EXIT_*).
type ExitReason uint32

// Exit reasons the monitor handles; any other is reported by number.
const (
	ExitUnknown       ExitReason = 0
	ExitException     ExitReason = 1
	ExitIO            ExitReason = 2
	ExitDebug         ExitReason = 4
	ExitHLT           ExitReason = 5
	ExitMMIO          ExitReason = 6
	ExitShutdown      ExitReason = 8
	ExitFailEntry     ExitReason = 9
	ExitIntr          ExitReason = 10
	ExitInternalError ExitReason = 17
	ExitSystemEvent   ExitReason = 24
	ExitMemoryFault   ExitReason = 39
)

// String returns the kernel's name for r.
func (r ExitReason) String() string {
	switch r {
	case ExitUnknown:
		return "KVM_EXIT_UNKNOWN"
	case ExitException:
		return "KVM_EXIT_EXCEPTION"
	case ExitIO:
		return "KVM_EXIT_IO"
	case ExitDebug:
		return "KVM_EXIT_DEBUG"
	case ExitHLT:
		return "KVM_EXIT_HLT"
	case ExitMMIO:
		return "KVM_EXIT_MMIO"
	case ExitShutdown:
		return "KVM_EXIT_SHUTDOWN"
	case ExitFailEntry:
		return "KVM_EXIT_FAIL_ENTRY"
	case ExitIntr:
		return "KVM_EXIT_INTR"
	case ExitInternalError:
		return "KVM_EXIT_INTERNAL_ERROR"
	case ExitSystemEvent:
		return "KVM_EXIT_SYSTEM_EVENT"
	case ExitMemoryFault:
		return "KVM_EXIT_MEMORY_FAULT"
	}
	return "KVM_EXIT_" + itoa(uint64(r))
}

// Memory slot flags (KVM_MEM_*).
const (
	MemLogDirtyPages = 1 << 0
	MemReadonly      = 1 << 1
)

// Sync-register groups for Run.ValidRegs and Run.DirtyRegs
// (KVM_SYNC_X86_*).
const (
	SyncRegs   = 1 << 0
	SyncSregs  = 1 << 1
	SyncEvents = 1 << 2
)

// IO exit directions (KVM_EXIT_IO_*).
const (
	IOIn  = 0
	IOOut = 1
)

// Regs mirrors struct kvm_regs: the general-purpose registers.
type Regs struct {
	RAX, RBX, RCX, RDX uint64
	RSI, RDI, RSP, RBP uint64
	R8, R9, R10, R11   uint64
	R12, R13, R14, R15 uint64
	RIP, RFLAGS        uint64
}

// Segment mirrors struct kvm_segment: a segment register with its hidden
// descriptor cache unpacked.
type Segment struct {
	Base     uint64
	Limit    uint32
	Selector uint16
	Type     uint8
	Present  uint8
	DPL      uint8
	DB       uint8
	S        uint8
	L        uint8
	G        uint8
	AVL      uint8
	Unusable uint8
	_        uint8
}

// DTable mirrors struct kvm_dtable: a GDTR or IDTR.
type DTable struct {
	Base  uint64
	Limit uint16
	_     [3]uint16
}

// Sregs mirrors struct kvm_sregs: segment, descriptor-table and control
// registers.
type Sregs struct {
	CS, DS, ES, FS, GS, SS Segment
	TR, LDT                Segment
	GDT, IDT               DTable
	CR0, CR2, CR3, CR4     uint64
	CR8                    uint64
	EFER                   uint64
	APICBase               uint64
	InterruptBitmap        [4]uint64
}

// VCPUEvents mirrors struct kvm_vcpu_events: pending exceptions,
// interrupts, NMIs and SMIs. The monitor only ever clears it, so the
// unions inside are kept as bytes.
type VCPUEvents struct {
	Exception struct {
		Injected     uint8
		Nr           uint8
		HasErrorCode uint8
		Pending      uint8
		ErrorCode    uint32
	}
	Interrupt struct {
		Injected uint8
		Nr       uint8
		Soft     uint8
		Shadow   uint8
	}
	NMI struct {
		Injected uint8
		Pending  uint8
		Masked   uint8
		_        uint8
	}
	SIPIVector uint32
	Flags      uint32
	SMI        struct {
		SMM          uint8
		Pending      uint8
		SMMInsideNMI uint8
		LatchedInit  uint8
	}
	TripleFault struct {
		Pending uint8
	}
	_                   [26]uint8
	ExceptionHasPayload uint8
	ExceptionPayload    uint64
}

// SyncRegsBlock mirrors struct kvm_sync_regs for x86: the register groups
// the kernel copies into and out of the run structure around KVM_RUN when
// KVM_CAP_SYNC_REGS is in use, saving a get/set ioctl per exit.
type SyncRegsBlock struct {
	Regs   Regs
	Sregs  Sregs
	Events VCPUEvents
}

// Run mirrors struct kvm_run, the page shared with the kernel through the
// vCPU file's mmap. Its exit-specific union is kept as bytes and read
// through the typed accessors (IO, MMIO, FailEntry, InternalError,
// MemoryFault).
//
// The vCPU's thread owns every field while KVM_RUN is not executing;
// ImmediateExit is the exception, written from other threads with
// VCPU.Kick.
type Run struct {
	RequestInterruptWindow     uint8
	ImmediateExit              uint8
	_                          [6]uint8
	ExitReason                 ExitReason
	ReadyForInterruptInjection uint8
	IFFlag                     uint8
	Flags                      uint16
	CR8                        uint64
	APICBase                   uint64
	exit                       [256]byte
	// ValidRegs selects the register groups the kernel copies out on
	// exit; DirtyRegs those it copies in on the next KVM_RUN.
	ValidRegs uint64
	DirtyRegs uint64
	S         SyncRegsBlock
	_         [2048 - unsafe.Sizeof(SyncRegsBlock{})]byte
}

// IOExit mirrors the io member of kvm_run's exit union (KVM_EXIT_IO). The
// data of an access is at DataOffset bytes from the start of the run
// structure.
type IOExit struct {
	Direction  uint8
	Size       uint8
	Port       uint16
	Count      uint32
	DataOffset uint64
}

// FailEntryExit mirrors the fail_entry member (KVM_EXIT_FAIL_ENTRY).
type FailEntryExit struct {
	HardwareEntryFailureReason uint64
	CPU                        uint32
}

// InternalErrorExit mirrors the internal member
// (KVM_EXIT_INTERNAL_ERROR).
type InternalErrorExit struct {
	Suberror uint32
	NData    uint32
	Data     [16]uint64
}

// MemoryFaultExit mirrors the memory_fault member (KVM_EXIT_MEMORY_FAULT):
// the guest touched guest-physical memory KVM could not map.
type MemoryFaultExit struct {
	Flags uint64
	GPA   uint64
	Size  uint64
}

// IO returns the exit union as an IO exit.
func (r *Run) IO() *IOExit { return (*IOExit)(unsafe.Pointer(&r.exit)) }

// FailEntry returns the exit union as a failed-entry exit.
func (r *Run) FailEntry() *FailEntryExit { return (*FailEntryExit)(unsafe.Pointer(&r.exit)) }

// InternalError returns the exit union as an internal-error exit.
func (r *Run) InternalError() *InternalErrorExit {
	return (*InternalErrorExit)(unsafe.Pointer(&r.exit))
}

// MemoryFault returns the exit union as a memory-fault exit.
func (r *Run) MemoryFault() *MemoryFaultExit {
	return (*MemoryFaultExit)(unsafe.Pointer(&r.exit))
}

// UserspaceMemoryRegion mirrors struct kvm_userspace_memory_region: one
// memory slot mapping guest-physical addresses to host memory.
type UserspaceMemoryRegion struct {
	Slot          uint32
	Flags         uint32
	GuestPhysAddr uint64
	MemorySize    uint64 // bytes; zero deletes the slot
	UserspaceAddr uint64
}

// dirtyLog mirrors struct kvm_dirty_log.
type dirtyLog struct {
	Slot   uint32
	_      uint32
	Bitmap uint64 // pointer to a bitmap with one bit per page of the slot
}

// enableCap mirrors struct kvm_enable_cap.
type enableCap struct {
	Cap   uint32
	Flags uint32
	Args  [4]uint64
	_     [64]uint8
}

// CPUIDEntry mirrors struct kvm_cpuid_entry2.
type CPUIDEntry struct {
	Function uint32
	Index    uint32
	Flags    uint32
	EAX      uint32
	EBX      uint32
	ECX      uint32
	EDX      uint32
	_        [3]uint32
}

// cpuidHeader mirrors the fixed part of struct kvm_cpuid2; the entries
// follow it in memory.
type cpuidHeader struct {
	NEnt uint32
	_    uint32
}

// MSREntry mirrors struct kvm_msr_entry.
type MSREntry struct {
	Index uint32
	_     uint32
	Data  uint64
}

// msrsHeader mirrors the fixed part of struct kvm_msrs.
type msrsHeader struct {
	NMSRs uint32
	_     uint32
}

func itoa(v uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}
