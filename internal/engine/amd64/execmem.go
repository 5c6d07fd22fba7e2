package amd64

import (
	"fmt"
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// execMem is machine code mapped W^X: written while the mapping is
// read-write, then made read-execute and never written again.
type execMem struct {
	b []byte
}

// codeArena is a read-write mapping that code is assembled into in
// place, so that a large module's code is neither zeroed by the Go heap,
// copied as its buffer grows, nor copied again into executable memory.
// Only its address space is reserved up front: the kernel supplies
// pages as the assembler first touches them.
type codeArena struct {
	base unsafe.Pointer
	size int
	// file, where set, is the file whose pages at off the arena maps
	// (reserveFileCode); code is written through the mapping, or, where
	// the file cannot be mapped (shared is false), at seal. dropped is
	// how much of it done gave back, n the code's length once sealed.
	file    *os.File
	off     int64
	shared  bool
	dropped int
	n       int
	// onDone, where set, is told of each function done (see done).
	onDone func(i int, f *funcCode)
}

// hugePage is the size of the pages code is placed for.
const hugePage = 2 << 20

// reserveCode maps an arena of at least n bytes, rounded up to pages,
// starting on a 2 MiB boundary and advised to use huge pages. Code in
// huge pages takes fewer TLB entries, and a micro-VM that maps it
// (vm.VM.MapCode keeps the offset within a huge page) faults it in per
// 2 MiB rather than per 4 KiB: measured on 100 MiB of code under nested
// KVM, 5 ms instead of 400 ms for the first pass through it.
func reserveCode(n int) (*codeArena, error) {
	size := roundPage(max(n, 1))
	p, err := unix.MmapPtr(-1, 0, nil, uintptr(size+hugePage), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		return nil, fmt.Errorf("reserving %d bytes for machine code: %w", size, err)
	}
	lead := int((hugePage - uintptr(p)%hugePage) % hugePage)
	if lead > 0 {
		unix.MunmapPtr(p, uintptr(lead))
	}
	base := unsafe.Add(p, lead)
	if trail := hugePage - lead; trail > 0 {
		unix.MunmapPtr(unsafe.Add(base, size), uintptr(trail))
	}
	// Advice only: code is right in small pages too.
	_, _, _ = unix.Syscall(unix.SYS_MADVISE, uintptr(base), uintptr(size), unix.MADV_HUGEPAGE)
	return &codeArena{base: base, size: size}, nil
}

// buf returns the arena as an empty slice to append code to.
func (a *codeArena) buf() []byte { return unsafe.Slice((*byte)(a.base), a.size)[:0] }

// dropEvery is how much code a file's arena lets the process hold
// mapped before done gives its pages back.
var dropEvery = 4 << 20

// done is told by the generator that defined function i, whose place
// and tables are f, is finished, and that the first n bytes of the arena
// hold finished functions. onDone then takes f's tables (CompileToFile
// writes them out), and an arena that maps a file takes their pages out of
// the process (they stay in the page cache, on their way to the file),
// so that compiling a large module to a file holds a few megabytes of
// its code rather than all of it. Later writes to those pages, such as
// the assembler patching a call to a function placed since, fault them
// back in from the page cache: nothing written is lost, which is why
// the arena is a shared mapping of the file and not anonymous memory
// written out behind the generator.
func (a *codeArena) done(i int, f *funcCode, n int) {
	if a.onDone != nil {
		a.onDone(i, f)
	}
	if !a.shared {
		return // anonymous memory: what it holds would be lost
	}
	end := min(n, a.size) &^ (pageSize - 1)
	if end-a.dropped < dropEvery {
		return
	}
	// From the start: pages faulted in again by patches go too.
	// Advice only: if it fails, the pages stay until the arena is
	// unmapped.
	_, _, _ = unix.Syscall(unix.SYS_MADVISE, uintptr(a.base), uintptr(end), unix.MADV_DONTNEED)
	a.dropped = end
}

// seal makes code executable where it lies if it is in the arena (the
// assembler did not outgrow it), and otherwise copies it into a mapping
// of its own. Either way the arena's unused pages are returned, and the
// arena must not be used again. An arena that maps a file instead leaves
// code in the file (writing it there if the assembler outgrew the
// arena), unmaps it and returns nil; its length is then a.n.
func (a *codeArena) seal(code []byte) (*execMem, error) {
	if a.file != nil {
		return nil, a.sealFile(code)
	}
	if len(code) == 0 || unsafe.Pointer(unsafe.SliceData(code)) != a.base {
		a.release(0)
		return mapCode(code)
	}
	used := roundPage(len(code))
	a.release(used)
	b := unsafe.Slice((*byte)(a.base), used)
	if err := unix.Mprotect(b, unix.PROT_READ|unix.PROT_EXEC); err != nil {
		unix.MunmapPtr(a.base, uintptr(used))
		return nil, fmt.Errorf("making machine code executable: %w", err)
	}
	return newExecMem(a.base, used, len(code)), nil
}

// sealFile is seal for an arena that maps a file.
func (a *codeArena) sealFile(code []byte) error {
	inArena := len(code) > 0 && unsafe.Pointer(unsafe.SliceData(code)) == a.base
	a.n = len(code)
	// Unless the code lies in the file's mapping, it is written now:
	// where it outgrew the arena, the file holds a stale prefix and the
	// assembler's own buffer is the code.
	if (!inArena || !a.shared) && len(code) > 0 {
		if _, err := a.file.WriteAt(code, a.off); err != nil {
			a.release(0)
			return fmt.Errorf("writing machine code: %w", err)
		}
	}
	a.release(0)
	return nil
}

// reserveFileCode maps n bytes (rounded up to pages) of f at off, a
// multiple of the page size, shared and read-write, extending f to hold
// them; the file is sparse until code is written. The arena's seal
// leaves the code in f. The mapping is never made executable.
func reserveFileCode(f *os.File, off int64, n int) (*codeArena, error) {
	if off%int64(pageSize) != 0 {
		return nil, fmt.Errorf("machine code at offset %d of %s, not on a page boundary", off, f.Name())
	}
	size := roundPage(max(n, 1))
	if err := f.Truncate(off + int64(size)); err != nil {
		return nil, fmt.Errorf("making room for machine code: %w", err)
	}
	p, err := mmapShared(int(f.Fd()), off, nil, uintptr(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		// A file system that cannot map files shared (some network
		// and FUSE ones): the code is assembled in memory and
		// written at seal, as a compile to memory would hold it.
		a, err := reserveCode(n)
		if err != nil {
			return nil, err
		}
		a.file, a.off = f, off
		return a, nil
	}
	return &codeArena{base: p, size: size, file: f, off: off, shared: true}, nil
}

// mmapShared maps a file for reserveFileCode; tests make it fail.
var mmapShared = unix.MmapPtr

// release unmaps the arena past its first keep bytes.
func (a *codeArena) release(keep int) {
	if keep < a.size {
		unix.MunmapPtr(unsafe.Add(a.base, keep), uintptr(a.size-keep))
	}
}

// mapCode copies code into a fresh executable mapping.
func mapCode(code []byte) (*execMem, error) {
	size := roundPage(max(len(code), 1))
	p, err := unix.MmapPtr(-1, 0, nil, uintptr(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, fmt.Errorf("mapping %d bytes of machine code: %w", size, err)
	}
	b := unsafe.Slice((*byte)(p), size)
	copy(b, code)
	if err := unix.Mprotect(b, unix.PROT_READ|unix.PROT_EXEC); err != nil {
		unix.MunmapPtr(p, uintptr(size))
		return nil, fmt.Errorf("making machine code executable: %w", err)
	}
	return newExecMem(p, size, len(code)), nil
}

// mapCodeFile maps n bytes of code from f at off, a multiple of the page
// size, private and read-execute, at an address placed as reserveCode
// places it. The pages come from the page cache as the code first runs,
// and are shared with every process that maps the same file.
func mapCodeFile(f *os.File, off int64, n int) (*execMem, error) {
	a, err := reserveCode(n)
	if err != nil {
		return nil, err
	}
	p, err := unix.MmapPtr(int(f.Fd()), off, a.base, uintptr(a.size), unix.PROT_READ|unix.PROT_EXEC, unix.MAP_PRIVATE|unix.MAP_FIXED)
	if err != nil {
		a.release(0)
		return nil, fmt.Errorf("mapping %d bytes of machine code from %s: %w", n, f.Name(), err)
	}
	return newExecMem(p, a.size, n), nil
}

// newExecMem wraps the size-byte mapping at p, whose first n bytes are
// code. The mapping is released by a cleanup when the returned value
// becomes unreachable, so code stays mapped as long as something (a
// compiled module, a function that an instance still calls) holds it.
func newExecMem(p unsafe.Pointer, size, n int) *execMem {
	m := &execMem{b: unsafe.Slice((*byte)(p), n)}
	// The mapping is not Go memory: its address is kept as a number.
	runtime.AddCleanup(m, func(p uintptr) { unix.Syscall(unix.SYS_MUNMAP, p, uintptr(size), 0) }, uintptr(p))
	return m
}

// addr returns the address of the byte at off.
func (m *execMem) addr(off int) uintptr {
	return uintptr(unsafe.Pointer(unsafe.SliceData(m.b))) + uintptr(off)
}

// pages returns the whole pages that hold the code, for mapping them
// elsewhere (a micro-VM's guest).
func (m *execMem) pages() []byte {
	return unsafe.Slice(unsafe.SliceData(m.b), roundPage(len(m.b)))
}

// contains reports whether pc lies in the code.
func (m *execMem) contains(pc uintptr) bool {
	base := m.addr(0)
	return pc >= base && pc < base+uintptr(len(m.b))
}

var pageSize = unix.Getpagesize()
