// Package pagetable builds x86-64 4-level page tables for a micro-VM
// guest inside a pool of guest-physical memory that the host owns.
//
// The host writes the tables directly; the guest sees none of them
// mapped (the CPU walks them by physical address) but the last-level
// tables of a linear memory's window that the monitor lends it to grow
// into (vm.VM.LendGrowth). A guest that can change one entry can change
// them all, so the host follows no link it finds that points outside
// the pool, and a VM whose guest had such a loan is never reused. See the Intel SDM, Vol. 3A, section 4.5 "4-Level
// Paging and 5-Level Paging", for the entry formats used here.
//
// Under a shadow MMU (KVM without EPT, as with PVM) the hypervisor caches
// the translations of present entries and does not notice the host
// writing guest memory, but it re-walks the guest tables on every fault
// through a not-present entry. So Map only turns not-present entries
// present, and Unmap takes only leaves away, never a table: a table page
// stays linked below the entry that first linked it (a huge page that
// displaces it parks it for that entry), so that whatever the hypervisor
// cached of the tables above a leaf stays true. The monitor makes the
// hypervisor drop the leaves Unmap took away by deleting the memory slots
// behind them; Reset starts afresh and needs a flush of every shadow
// table.
package pagetable
