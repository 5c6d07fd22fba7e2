package kvm

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// DevicePath is where the KVM device lives.
const DevicePath = "/dev/kvm"

// ErrUnsupportedArch is returned by Open on anything but linux/amd64: the
// structs in this package have the x86-64 layout.
var ErrUnsupportedArch = errors.New("kvm: only linux/amd64 is supported")

// ioctl issues an ioctl whose argument is a pointer. Taking an
// unsafe.Pointer and converting it in the Syscall argument list keeps the
// pointee alive and in place for the call.
//
// A signal can interrupt ioctls other than KVM_RUN too (KVM_CREATE_VM
// waits for locks interruptibly), and the Go runtime signals its threads
// all the time, so EINTR is retried: these ioctls have no effect when they
// fail that way.
func ioctl(fd int, req uintptr, arg unsafe.Pointer) (uintptr, error) {
	for {
		r, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
		switch errno {
		case 0:
			return r, nil
		case unix.EINTR:
			continue
		}
		return r, errno
	}
}

// ioctlGet reads a structure the kernel fills in, with an ioctl named
// name in errors.
func ioctlGet[T any](fd int, req uintptr, name string) (T, error) {
	var v T
	if _, err := ioctl(fd, req, unsafe.Pointer(&v)); err != nil {
		return v, fmt.Errorf("%s: %w", name, err)
	}
	return v, nil
}

// ioctlSet passes a structure to the kernel, with an ioctl named name in
// errors.
func ioctlSet[T any](fd int, req uintptr, name string, v *T) error {
	if _, err := ioctl(fd, req, unsafe.Pointer(v)); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// ioctlInt issues an ioctl whose argument is an integer, retrying EINTR
// like ioctl.
func ioctlInt(fd int, req, arg uintptr) (uintptr, error) {
	for {
		r, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, arg)
		switch errno {
		case 0:
			return r, nil
		case unix.EINTR:
			continue
		}
		return r, errno
	}
}

// System is an open /dev/kvm: the handle for system ioctls and for
// creating VMs. It is safe for concurrent use.
type System struct {
	fd       int
	vcpuMmap int // size of a vCPU's shared mapping (KVM_GET_VCPU_MMAP_SIZE)
}

// Open opens DevicePath and checks the API version. Errors wrap the
// underlying errno, so callers can tell a missing device (ENOENT) from a
// permission problem (EACCES).
func Open() (*System, error) { return OpenPath(DevicePath) }

// OpenPath is Open for a device at another path.
func OpenPath(path string) (*System, error) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		return nil, ErrUnsupportedArch
	}
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	s := &System{fd: fd}
	v, err := ioctlInt(fd, ioctlGetAPIVersion, 0)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("KVM_GET_API_VERSION on %s: %w", path, err)
	}
	if v != APIVersion {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: KVM API version %d, want %d", path, v, APIVersion)
	}
	n, err := ioctlInt(fd, ioctlGetVCPUMmapSize, 0)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("KVM_GET_VCPU_MMAP_SIZE: %w", err)
	}
	if n < unsafe.Sizeof(Run{}) {
		unix.Close(fd)
		return nil, fmt.Errorf("vCPU mapping of %d bytes is smaller than struct kvm_run (%d)", n, unsafe.Sizeof(Run{}))
	}
	s.vcpuMmap = int(n)
	return s, nil
}

// Close closes the device. VMs created from it stay valid.
func (s *System) Close() error { return unix.Close(s.fd) }

// CheckExtension returns the kernel's answer for a capability: 0 when
// absent, otherwise 1 or a capability-specific number.
func (s *System) CheckExtension(c Cap) (int, error) {
	r, err := ioctlInt(s.fd, ioctlCheckExtension, uintptr(c))
	if err != nil {
		return 0, fmt.Errorf("KVM_CHECK_EXTENSION %v: %w", c, err)
	}
	return int(r), nil
}

// maxCPUIDEntries bounds the CPUID table; the kernel's own limit
// (KVM_MAX_CPUID_ENTRIES) is 256.
const maxCPUIDEntries = 1024

// SupportedCPUID returns the CPUID leaves KVM can present to a guest
// (KVM_GET_SUPPORTED_CPUID).
func (s *System) SupportedCPUID() ([]CPUIDEntry, error) {
	for n := 64; n <= maxCPUIDEntries; n *= 2 {
		buf := make([]uint64, (unsafe.Sizeof(cpuidHeader{})+uintptr(n)*unsafe.Sizeof(CPUIDEntry{}))/8)
		hdr := (*cpuidHeader)(unsafe.Pointer(&buf[0]))
		hdr.NEnt = uint32(n)
		_, err := ioctl(s.fd, ioctlGetSupportedCPUID, unsafe.Pointer(&buf[0]))
		if err == unix.E2BIG {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("KVM_GET_SUPPORTED_CPUID: %w", err)
		}
		if hdr.NEnt > uint32(n) {
			return nil, fmt.Errorf("KVM_GET_SUPPORTED_CPUID returned %d entries for room for %d", hdr.NEnt, n)
		}
		entries := unsafe.Slice((*CPUIDEntry)(unsafe.Add(unsafe.Pointer(&buf[0]), unsafe.Sizeof(cpuidHeader{}))), hdr.NEnt)
		return append([]CPUIDEntry(nil), entries...), nil
	}
	return nil, fmt.Errorf("KVM_GET_SUPPORTED_CPUID: more than %d entries", maxCPUIDEntries)
}

// CreateVM creates a VM with the default machine type.
func (s *System) CreateVM() (*VM, error) {
	fd, err := ioctlInt(s.fd, ioctlCreateVM, 0)
	if err != nil {
		return nil, fmt.Errorf("KVM_CREATE_VM: %w", err)
	}
	unix.CloseOnExec(int(fd))
	return &VM{fd: int(fd), vcpuMmap: s.vcpuMmap}, nil
}

// VM is one virtual machine: its memory slots and vCPUs. Methods may be
// called concurrently, as the kernel serializes VM ioctls itself.
type VM struct {
	fd       int
	vcpuMmap int
}

// FD returns the VM's file descriptor.
func (v *VM) FD() int { return v.fd }

// Close releases the VM. The kernel frees it once every vCPU of it is
// closed as well.
func (v *VM) Close() error { return unix.Close(v.fd) }

// CheckExtension is System.CheckExtension asked of this VM, whose answer
// may differ from the system's (api.rst, KVM_CHECK_EXTENSION).
func (v *VM) CheckExtension(c Cap) (int, error) {
	r, err := ioctlInt(v.fd, ioctlCheckExtension, uintptr(c))
	if err != nil {
		return 0, fmt.Errorf("KVM_CHECK_EXTENSION %v on VM: %w", c, err)
	}
	return int(r), nil
}

// SetUserMemoryRegion creates, changes or (with MemorySize zero) deletes
// a memory slot. The host memory must stay mapped while the slot exists.
func (v *VM) SetUserMemoryRegion(r UserspaceMemoryRegion) error {
	if _, err := ioctl(v.fd, ioctlSetUserMemoryRegion, unsafe.Pointer(&r)); err != nil {
		return fmt.Errorf("KVM_SET_USER_MEMORY_REGION slot %d [%#x, +%#x) at %#x: %w",
			r.Slot, r.GuestPhysAddr, r.MemorySize, r.UserspaceAddr, err)
	}
	return nil
}

// SetTSSAddr gives KVM three pages of guest-physical address space at
// addr, which Intel hosts need for emulating real mode (api.rst,
// KVM_SET_TSS_ADDR). The pages must not overlap any memory slot.
func (v *VM) SetTSSAddr(addr uint64) error {
	if _, err := ioctlInt(v.fd, ioctlSetTSSAddr, uintptr(addr)); err != nil {
		return fmt.Errorf("KVM_SET_TSS_ADDR %#x: %w", addr, err)
	}
	return nil
}

// GetDirtyLog fills bitmap with one bit per page of the slot, set for
// pages the guest wrote since the last call, and write-protects them
// again. The slot must have MemLogDirtyPages; bitmap must have a bit for
// each of its pages.
func (v *VM) GetDirtyLog(slot uint32, bitmap []uint64) error {
	if len(bitmap) == 0 {
		return fmt.Errorf("KVM_GET_DIRTY_LOG slot %d: empty bitmap", slot)
	}
	l := dirtyLog{Slot: slot, Bitmap: uint64(uintptr(unsafe.Pointer(&bitmap[0])))}
	_, err := ioctl(v.fd, ioctlGetDirtyLog, unsafe.Pointer(&l))
	runtime.KeepAlive(bitmap)
	if err != nil {
		return fmt.Errorf("KVM_GET_DIRTY_LOG slot %d: %w", slot, err)
	}
	return nil
}

// EnableCap enables a VM capability with up to four arguments.
func (v *VM) EnableCap(c Cap, args ...uint64) error {
	if len(args) > 4 {
		return fmt.Errorf("KVM_ENABLE_CAP %v: %d arguments, at most 4", c, len(args))
	}
	e := enableCap{Cap: uint32(c)}
	copy(e.Args[:], args)
	if _, err := ioctl(v.fd, ioctlEnableCap, unsafe.Pointer(&e)); err != nil {
		return fmt.Errorf("KVM_ENABLE_CAP %v: %w", c, err)
	}
	return nil
}

// CreateVCPU creates vCPU id and maps its run structure.
func (v *VM) CreateVCPU(id int) (*VCPU, error) {
	fd, err := ioctlInt(v.fd, ioctlCreateVCPU, uintptr(id))
	if err != nil {
		return nil, fmt.Errorf("KVM_CREATE_VCPU %d: %w", id, err)
	}
	unix.CloseOnExec(int(fd))
	m, err := unix.Mmap(int(fd), 0, v.vcpuMmap, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		unix.Close(int(fd))
		return nil, fmt.Errorf("mapping the run structure of vCPU %d: %w", id, err)
	}
	return &VCPU{fd: int(fd), mapping: m, run: (*Run)(unsafe.Pointer(&m[0]))}, nil
}

// VCPU is one virtual CPU. Its ioctls should come from one goroutine at a
// time (the kernel takes the vCPU's mutex); Kick is the exception and may
// be called from anywhere.
type VCPU struct {
	fd      int
	mapping []byte // the shared run page(s); nil after Close
	run     *Run
}

// FD returns the vCPU's file descriptor.
func (c *VCPU) FD() int { return c.fd }

// RunData returns the run structure shared with the kernel.
func (c *VCPU) RunData() *Run { return c.run }

// IOData returns the data bytes of the current IO exit, or nil when the
// kernel's offset and size do not fit the shared mapping.
func (c *VCPU) IOData() []byte {
	io := c.run.IO()
	n := uint64(io.Size) * uint64(io.Count)
	size := uint64(len(c.mapping))
	if io.DataOffset > size || n > size-io.DataOffset {
		return nil
	}
	return c.mapping[io.DataOffset : io.DataOffset+n]
}

// Run enters the guest (KVM_RUN) and returns when it exits to user space.
// An exit interrupted by a signal, or refused because ImmediateExit is
// set, returns unix.EINTR unwrapped so that callers can test for it
// cheaply; other errors are wrapped.
func (c *VCPU) Run() error {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(c.fd), ioctlRun, 0)
	switch errno {
	case 0:
		return nil
	case unix.EINTR:
		return unix.EINTR
	}
	return fmt.Errorf("KVM_RUN: %w", errno)
}

// immediateExitWord is the 32-bit word of the run structure that holds
// ImmediateExit (byte 1, little-endian), so that other threads can set it
// atomically.
func (c *VCPU) immediateExitWord() *uint32 {
	return (*uint32)(unsafe.Pointer(&c.run.RequestInterruptWindow))
}

// SetImmediateExit sets or clears immediate_exit: while set, KVM_RUN
// returns EINTR without entering the guest. Setting it before signalling
// the vCPU's thread closes the race where the signal arrives just before
// KVM_RUN (api.rst, KVM_CAP_IMMEDIATE_EXIT). Safe to call from any
// goroutine.
func (c *VCPU) SetImmediateExit(on bool) {
	if on {
		atomic.OrUint32(c.immediateExitWord(), 1<<8)
	} else {
		atomic.AndUint32(c.immediateExitWord(), ^uint32(1<<8))
	}
}

// Regs reads the general-purpose registers (KVM_GET_REGS).
func (c *VCPU) Regs() (Regs, error) {
	return ioctlGet[Regs](c.fd, ioctlGetRegs, "KVM_GET_REGS")
}

// SetRegs writes the general-purpose registers (KVM_SET_REGS).
func (c *VCPU) SetRegs(r *Regs) error {
	return ioctlSet(c.fd, ioctlSetRegs, "KVM_SET_REGS", r)
}

// Sregs reads the special registers (KVM_GET_SREGS).
func (c *VCPU) Sregs() (Sregs, error) {
	return ioctlGet[Sregs](c.fd, ioctlGetSregs, "KVM_GET_SREGS")
}

// SetSregs writes the special registers (KVM_SET_SREGS).
func (c *VCPU) SetSregs(s *Sregs) error {
	return ioctlSet(c.fd, ioctlSetSregs, "KVM_SET_SREGS", s)
}

// Events reads pending exceptions and interrupts (KVM_GET_VCPU_EVENTS).
func (c *VCPU) Events() (VCPUEvents, error) {
	return ioctlGet[VCPUEvents](c.fd, ioctlGetVCPUEvents, "KVM_GET_VCPU_EVENTS")
}

// SetEvents writes pending exceptions and interrupts
// (KVM_SET_VCPU_EVENTS).
func (c *VCPU) SetEvents(e *VCPUEvents) error {
	return ioctlSet(c.fd, ioctlSetVCPUEvents, "KVM_SET_VCPU_EVENTS", e)
}

// SetCPUID sets the CPUID leaves the guest sees (KVM_SET_CPUID2).
func (c *VCPU) SetCPUID(entries []CPUIDEntry) error {
	if len(entries) > maxCPUIDEntries {
		return fmt.Errorf("KVM_SET_CPUID2: %d entries, at most %d", len(entries), maxCPUIDEntries)
	}
	hs, es := unsafe.Sizeof(cpuidHeader{}), unsafe.Sizeof(CPUIDEntry{})
	buf := make([]uint64, (hs+uintptr(len(entries))*es)/8)
	(*cpuidHeader)(unsafe.Pointer(&buf[0])).NEnt = uint32(len(entries))
	copy(unsafe.Slice((*CPUIDEntry)(unsafe.Add(unsafe.Pointer(&buf[0]), hs)), len(entries)), entries)
	if _, err := ioctl(c.fd, ioctlSetCPUID2, unsafe.Pointer(&buf[0])); err != nil {
		return fmt.Errorf("KVM_SET_CPUID2: %w", err)
	}
	return nil
}

// GetMSRs reads the model-specific registers msrs names (KVM_GET_MSRS)
// into their Data.
func (c *VCPU) GetMSRs(msrs []MSREntry) error {
	hs, es := unsafe.Sizeof(msrsHeader{}), unsafe.Sizeof(MSREntry{})
	buf := make([]uint64, (hs+uintptr(len(msrs))*es)/8)
	(*msrsHeader)(unsafe.Pointer(&buf[0])).NMSRs = uint32(len(msrs))
	entries := unsafe.Slice((*MSREntry)(unsafe.Add(unsafe.Pointer(&buf[0]), hs)), len(msrs))
	copy(entries, msrs)
	n, err := ioctl(c.fd, ioctlGetMSRs, unsafe.Pointer(&buf[0]))
	if err != nil {
		return fmt.Errorf("KVM_GET_MSRS: %w", err)
	}
	if int(n) != len(msrs) {
		return fmt.Errorf("KVM_GET_MSRS: MSR %#x refused", msrs[n].Index)
	}
	copy(msrs, entries)
	return nil
}

// TSCKHz returns the frequency of the vCPU's time-stamp counter in kHz
// (KVM_GET_TSC_KHZ).
func (c *VCPU) TSCKHz() (uint32, error) {
	n, err := ioctl(c.fd, ioctlGetTSCKHz, nil)
	if err != nil {
		return 0, fmt.Errorf("KVM_GET_TSC_KHZ: %w", err)
	}
	return uint32(n), nil
}

// SetMSRs writes model-specific registers (KVM_SET_MSRS).
func (c *VCPU) SetMSRs(msrs []MSREntry) error {
	hs, es := unsafe.Sizeof(msrsHeader{}), unsafe.Sizeof(MSREntry{})
	buf := make([]uint64, (hs+uintptr(len(msrs))*es)/8)
	(*msrsHeader)(unsafe.Pointer(&buf[0])).NMSRs = uint32(len(msrs))
	copy(unsafe.Slice((*MSREntry)(unsafe.Add(unsafe.Pointer(&buf[0]), hs)), len(msrs)), msrs)
	n, err := ioctl(c.fd, ioctlSetMSRs, unsafe.Pointer(&buf[0]))
	if err != nil {
		return fmt.Errorf("KVM_SET_MSRS: %w", err)
	}
	if int(n) != len(msrs) {
		return fmt.Errorf("KVM_SET_MSRS: MSR %#x refused", msrs[n].Index)
	}
	return nil
}

// Close unmaps the run structure and closes the vCPU.
func (c *VCPU) Close() error {
	if c.mapping == nil {
		return nil
	}
	err := unix.Munmap(c.mapping)
	c.mapping, c.run = nil, nil
	if cerr := unix.Close(c.fd); err == nil {
		err = cerr
	}
	return err
}
