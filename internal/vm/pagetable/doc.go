// Package pagetable builds x86-64 4-level page tables for a micro-VM
// guest inside a pool of guest-physical memory that the host owns.
//
// The host writes the tables directly; the guest never sees them mapped
// (the CPU walks them by physical address), so a guest cannot change its
// own address space. See the Intel SDM, Vol. 3A, section 4.5 "4-Level
// Paging and 5-Level Paging", for the entry formats used here.
//
// Tables only ever turn a not-present entry into a present one. Under a
// shadow MMU (KVM without EPT, as with PVM) the hypervisor caches the
// translations of present entries and does not notice the host writing
// guest memory, but it re-walks the guest tables on every fault through a
// not-present entry. Taking mappings away therefore needs Reset followed
// by a flush of the hypervisor's shadow tables, which is the monitor's job.
package pagetable
