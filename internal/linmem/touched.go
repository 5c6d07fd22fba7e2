package linmem

import (
	"encoding/binary"
	"os"
	"sync"
	"unsafe"
)

// Zeroing a closed memory's pages in place, rather than replacing its
// mapping, keeps the pages and every translation of them: the next
// memory at that address finds them present, where a replaced mapping
// makes each first touch fault in the host, and, in a micro-VM that
// kept its memory slot, fault in the guest as well (tens of
// microseconds a page under nested KVM). Only memories that touched
// little are zeroed: beyond zeroLimit, clearing costs more than faulting
// afresh, and the zeroed pages would stay resident while the
// reservation waits for reuse. zeroScanLimit bounds how much address
// space a release scans for touched pages before giving up.
const (
	zeroLimit     = 1 << 20
	zeroScanLimit = 64 << 20
)

// pagemap is the process's /proc/self/pagemap, opened on first use; nil
// where it cannot be read (then nothing is zeroed in place).
var pagemap = sync.OnceValue(func() *os.File {
	f, err := os.Open("/proc/self/pagemap")
	if err != nil {
		return nil
	}
	return f
})

// Bits of a pagemap entry (Documentation/admin-guide/mm/pagemap.rst).
const (
	pmPresent = 1 << 63
	pmSwapped = 1 << 62
)

// zeroTouched zeroes the pages of b, which is read-write anonymous
// memory aligned to the host's page, that hold anything, and reports
// whether b now reads as zero throughout. It reports false, leaving b
// partly zeroed perhaps, when b is larger than zeroScanLimit, when more
// than zeroLimit bytes were touched, when a page was swapped out (its
// contents are not where they can be cleared), or when the page map
// cannot be read: the caller then empties b by other means.
func zeroTouched(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	f := pagemap()
	if f == nil || len(b) > zeroScanLimit || uintptr(unsafe.Pointer(&b[0]))%hostPage != 0 {
		return false
	}
	var entries [512]uint64
	buf := unsafe.Slice((*byte)(unsafe.Pointer(&entries[0])), len(entries)*8)
	pages := (len(b) + hostPage - 1) / hostPage
	first := uintptr(unsafe.Pointer(&b[0])) / hostPage
	touched := 0
	for done := 0; done < pages; {
		n := min(pages-done, len(entries))
		if _, err := f.ReadAt(buf[:n*8], int64(first+uintptr(done))*8); err != nil {
			return false
		}
		for i := range n {
			e := binary.NativeEndian.Uint64(buf[i*8:])
			switch {
			case e&pmSwapped != 0:
				return false
			case e&pmPresent == 0:
				continue
			}
			p := b[(done+i)*hostPage : min((done+i+1)*hostPage, len(b))]
			// A page only read maps the shared zero page: writing it
			// would allocate one.
			if isZero(p) {
				continue
			}
			if touched += len(p); touched > zeroLimit {
				return false
			}
			clear(p)
		}
		done += n
	}
	return true
}

// isZero reports whether every byte of p is zero.
func isZero(p []byte) bool {
	for len(p) >= 8 {
		if binary.NativeEndian.Uint64(p) != 0 {
			return false
		}
		p = p[8:]
	}
	for _, c := range p {
		if c != 0 {
			return false
		}
	}
	return true
}
