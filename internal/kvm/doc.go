// Package kvm is the Linux KVM ioctl layer: opening /dev/kvm, creating
// VMs and vCPUs, registering memory slots, and entering the guest.
//
// It is a thin, allocation-free mapping of the kernel's API
// (Documentation/virt/kvm/api.rst) onto golang.org/x/sys/unix, which has no
// KVM definitions. Structs that the kernel reads or writes mirror the
// x86-64 C structs of <linux/kvm.h> and <asm/kvm.h> field for field; their
// sizes and offsets are checked by tests. Policy (what to map, how to set
// up the CPU, what an exit means) lives in the packages above, under
// internal/vm.
//
// Only x86-64 is supported; on other architectures the package builds but
// Open reports that KVM is unavailable.
package kvm
