package amd64

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// execMem is machine code mapped W^X: written while the mapping is
// read-write, then made read-execute and never written again.
type execMem struct {
	b []byte
}

// mapCode copies code into a fresh executable mapping. The mapping is
// released by a cleanup when the returned value becomes unreachable, so
// code stays mapped as long as something (a compiled module, a function
// that an instance still calls) holds it.
func mapCode(code []byte) (*execMem, error) {
	size := (len(code) + pageSize - 1) &^ (pageSize - 1)
	if size == 0 {
		size = pageSize
	}
	b, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, fmt.Errorf("mapping %d bytes of machine code: %w", size, err)
	}
	copy(b, code)
	if err := unix.Mprotect(b, unix.PROT_READ|unix.PROT_EXEC); err != nil {
		unix.Munmap(b)
		return nil, fmt.Errorf("making machine code executable: %w", err)
	}
	m := &execMem{b: b[:len(code)]}
	runtime.AddCleanup(m, func(b []byte) { unix.Munmap(b) }, b)
	return m, nil
}

// addr returns the address of the byte at off.
func (m *execMem) addr(off int) uintptr {
	return uintptr(unsafe.Pointer(unsafe.SliceData(m.b))) + uintptr(off)
}

// contains reports whether pc lies in the code.
func (m *execMem) contains(pc uintptr) bool {
	base := m.addr(0)
	return pc >= base && pc < base+uintptr(len(m.b))
}

var pageSize = unix.Getpagesize()
