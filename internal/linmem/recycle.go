package linmem

import (
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A closed memory's reservation is kept for the next memory of its size
// instead of being unmapped, emptied first: replaced in place by a fresh
// inaccessible mapping, which drops every page it held (and any image
// mapped over it) just as unmapping would. Memories then come back at
// the same few addresses, which is what lets a micro-VM keep the memory
// slots and shadow page tables of an address from one instance to the
// next (vm.Monitor.GetFor); with fresh reservations, instances running
// side by side landed at ever new addresses and each start made and
// deleted a slot. The reservations cost address space only.

// maxRecycled bounds the reservations kept: a few per concurrent
// instance a process typically runs.
const maxRecycled = 32

var recycled struct {
	sync.Mutex
	raws [][]byte // LIFO: the most recently closed last
}

// reserve returns an inaccessible reservation of n bytes: a recycled
// one if one of that size is kept.
func reserve(n int) ([]byte, error) {
	recycled.Lock()
	for i := len(recycled.raws) - 1; i >= 0; i-- {
		if raw := recycled.raws[i]; len(raw) == n {
			recycled.raws = append(recycled.raws[:i], recycled.raws[i+1:]...)
			recycled.Unlock()
			return raw, nil
		}
	}
	recycled.Unlock()
	raw, err := mmapReservation(n)
	if err == unix.ENOMEM && drainRecycled() {
		// Kept reservations count against an address-space limit
		// (RLIMIT_AS) as much as live ones: give them back first.
		raw, err = mmapReservation(n)
	}
	return raw, err
}

func mmapReservation(n int) ([]byte, error) {
	return unix.Mmap(-1, 0, n, unix.PROT_NONE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
}

// drainRecycled unmaps every kept reservation and reports whether there
// was any.
func drainRecycled() bool {
	recycled.Lock()
	raws := recycled.raws
	recycled.raws = nil
	recycled.Unlock()
	for _, raw := range raws {
		unix.Munmap(raw)
	}
	return len(raws) > 0
}

// release empties raw, a reservation from reserve, and keeps it for
// reuse, or unmaps it if enough are kept or it cannot be emptied.
func release(raw []byte) error {
	_, err := unix.MmapPtr(-1, 0, unsafe.Pointer(unsafe.SliceData(raw)), uintptr(len(raw)), unix.PROT_NONE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE|unix.MAP_FIXED)
	if err == nil {
		recycled.Lock()
		if len(recycled.raws) < maxRecycled {
			recycled.raws = append(recycled.raws, raw)
			recycled.Unlock()
			return nil
		}
		recycled.Unlock()
	}
	return unix.Munmap(raw)
}
