package linmem

import (
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/wasmvisor/wasmvisor/internal/pages"
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
	raws    []kept // LIFO: the most recently closed last
	placers []Placer
	// bases and index are reserve's scratch: the candidates' bases and
	// where each is in raws.
	bases []uintptr
	index []int
}

// kept is a closed memory's reservation. rw is how many bytes from its
// aligned base were left read-write by a release that zeroed them in
// place (zeroInPlace), 0 if all of it is inaccessible again.
type kept struct {
	raw []byte
	rw  uint64
}

// A Placer chooses which kept reservation a new memory reuses. Which
// address a memory gets decides whether a micro-VM finds memory slots
// and warm shadow page tables for it: a pooled VM keeps them for the
// last address its memory had, and with several instances running at
// once the most recently closed reservation is seldom the one whose VM
// is free. The VM monitor registers one, so that a memory lands where
// a VM that is not in use kept its slots.
type Placer interface {
	// Choose returns the index in bases (the base addresses memories of
	// the size asked for would have, the most recently closed last) of
	// the reservation to reuse, or -1 to leave the choice to the next
	// Placer and, after the last, to take the most recently closed. It
	// is called with the list of kept reservations locked, and must
	// not create or close memories.
	Choose(bases []uintptr) int
	// Released says that the memory at base was closed.
	Released(base uintptr)
}

// RegisterPlacer adds p to the Placers reserve consults, in the order
// registered, and returns the function that removes it again.
func RegisterPlacer(p Placer) (unregister func()) {
	recycled.Lock()
	recycled.placers = append(recycled.placers, p)
	recycled.Unlock()
	return func() {
		recycled.Lock()
		defer recycled.Unlock()
		for i, q := range recycled.placers {
			if q == p {
				recycled.placers = append(recycled.placers[:i:i], recycled.placers[i+1:]...)
				return
			}
		}
	}
}

// alignedBase is where a memory made in reservation raw starts.
func alignedBase(raw []byte) uintptr {
	a := uintptr(unsafe.Pointer(unsafe.SliceData(raw)))
	return a + (BaseAlign-a%BaseAlign)%BaseAlign
}

// reserve returns a reservation of n bytes, inaccessible but for the
// first rw bytes from its aligned base, which read as zero: a recycled
// one if one of that size is kept, the one a Placer chooses if any does,
// else the most recently closed.
func reserve(n int) (raw []byte, rw uint64, err error) {
	recycled.Lock()
	bases, index := recycled.bases[:0], recycled.index[:0]
	for i, k := range recycled.raws {
		if len(k.raw) == n {
			bases, index = append(bases, alignedBase(k.raw)), append(index, i)
		}
	}
	recycled.bases, recycled.index = bases, index
	if len(index) > 0 {
		pick := len(index) - 1
		for _, p := range recycled.placers {
			if c := p.Choose(bases); c >= 0 && c < len(index) {
				pick = c
				break
			}
		}
		i := index[pick]
		k := recycled.raws[i]
		recycled.raws = append(recycled.raws[:i], recycled.raws[i+1:]...)
		recycled.Unlock()
		return k.raw, k.rw, nil
	}
	recycled.Unlock()
	raw, err = mmapReservation(n)
	if err == unix.ENOMEM && drainRecycled() {
		// Kept reservations count against an address-space limit
		// (RLIMIT_AS) as much as live ones: give them back first.
		raw, err = mmapReservation(n)
	}
	return raw, 0, err
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
	for _, k := range raws {
		unix.Munmap(k.raw)
	}
	return len(raws) > 0
}

// Zeroing a closed memory's pages in place, rather than replacing its
// mapping, keeps the pages and every translation of them: the next
// memory at that address finds them present, where a replaced mapping
// makes each first touch fault in the host and, in a micro-VM that kept
// its memory slot, in the guest as well (tens of microseconds a page
// under nested KVM). Only memories that touched little are zeroed:
// beyond zeroLimit, clearing costs more than faulting afresh, and the
// zeroed pages would stay resident while the reservation waits for
// reuse. zeroScanLimit bounds the address space a release scans for
// touched pages.
const (
	zeroLimit     = 1 << 20
	zeroScanLimit = 64 << 20
)

// zeroInPlace zeroes b, a released memory's accessible bytes, where it
// touched little, and reports whether it did.
func zeroInPlace(b []byte) bool {
	return len(b) <= zeroScanLimit && pages.ZeroTouched(b, zeroLimit)
}

// release empties raw, a reservation from reserve, and keeps it for
// reuse, or unmaps it if enough are kept or it cannot be emptied. rw is
// how many bytes from its aligned base are read-write and hold only
// anonymous memory; where those pages were few (zeroInPlace), they are
// zeroed and stay mapped, else the whole reservation is replaced by a
// fresh inaccessible mapping.
func release(raw []byte, rw uint64) error {
	recycled.Lock()
	placers := recycled.placers
	recycled.Unlock()
	base := alignedBase(raw)
	for _, p := range placers {
		p.Released(base)
	}
	var err error
	lead := base - uintptr(unsafe.Pointer(unsafe.SliceData(raw)))
	if rw == 0 || !zeroInPlace(raw[lead:lead+uintptr(rw)]) {
		rw = 0
		_, err = unix.MmapPtr(-1, 0, unsafe.Pointer(unsafe.SliceData(raw)), uintptr(len(raw)), unix.PROT_NONE,
			unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE|unix.MAP_FIXED)
	}
	if err == nil {
		recycled.Lock()
		if len(recycled.raws) < maxRecycled {
			recycled.raws = append(recycled.raws, kept{raw, rw})
			recycled.Unlock()
			return nil
		}
		recycled.Unlock()
	}
	return unix.Munmap(raw)
}
