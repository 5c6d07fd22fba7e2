package pages

import (
	"encoding/binary"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Size is the host's page size these functions work in.
const Size = 4096

// pagemap is the process's /proc/self/pagemap, opened on first use; nil
// where it cannot be read.
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

// examineFactor bounds, as a multiple of ZeroTouched's limit, the
// bytes in memory it reads to tell zero pages from written ones: where
// transparent huge pages back b, a single write brings 2 MiB in.
const examineFactor = 4

// ZeroTouched zeroes the pages of b, anonymous memory aligned to Size,
// that are in memory or swapped out and hold anything, and reports
// whether b now reads as zero throughout. With limit ≥ 0 it gives up,
// reporting false and b perhaps partly zeroed, once more than limit
// bytes were to be cleared or more than examineFactor times limit bytes
// in memory were to be read. It reports false too where the page map
// cannot be read: the caller then empties b by other means. Reading the
// map costs 8 bytes a page, so callers bound b.
func ZeroTouched(b []byte, limit int) bool {
	if len(b) == 0 {
		return true
	}
	f := pagemap()
	if f == nil || uintptr(unsafe.Pointer(&b[0]))%Size != 0 {
		return false
	}
	var entries [512]uint64
	buf := unsafe.Slice((*byte)(unsafe.Pointer(&entries[0])), len(entries)*8)
	pages := (len(b) + Size - 1) / Size
	first := uintptr(unsafe.Pointer(&b[0])) / Size
	cleared, examined := 0, 0
	for done := 0; done < pages; {
		n := min(pages-done, len(entries))
		if _, err := f.ReadAt(buf[:n*8], int64(first+uintptr(done))*8); err != nil {
			return false
		}
		for i := range n {
			if entries[i]&(pmPresent|pmSwapped) == 0 {
				continue
			}
			p := b[(done+i)*Size : min((done+i+1)*Size, len(b))]
			// Pages in memory that read as zero are mostly the shared
			// zero page, or the rest of a huge or large page the kernel
			// allocated for one touch: writing them would allocate or
			// copy. Checking them costs a read, so a limit bounds it.
			if examined += len(p); limit >= 0 && examined > examineFactor*limit {
				return false
			}
			if isZero(p) {
				continue
			}
			if cleared += len(p); limit >= 0 && cleared > limit {
				return false
			}
			clear(p)
		}
		done += n
	}
	return true
}

// SwapConfigured reports whether the host has swap space, where a page
// of anonymous memory may be out of memory and still hold data, which
// mincore(2) reports as absent. It reports true if it cannot tell.
func SwapConfigured() bool {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return true
	}
	return si.Totalswap != 0
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
