package linmem

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// PageSize is the WebAssembly page size.
const PageSize = 65536

// MaxPages is the page limit of a 32-bit memory (4 GiB).
const MaxPages = 65536

// BaseAlign is the alignment of every memory's base address: 2 MiB, so
// that the host can back the memory with transparent huge pages and the
// micro-VM can map it into a guest with 2 MiB pages. Under a shadow MMU,
// each guest page first touched costs a fault; huge pages make that one
// fault per 2 MiB instead of per 4 KiB.
const BaseAlign = 2 << 20

// DefaultGuard is the inaccessible range reserved after the largest
// possible memory. With 4 GiB of memory and 4 GiB of guard, any address
// a 32-bit index plus a 32-bit offset can form stays inside the
// reservation, so compiled code may rely on faults instead of checks.
const DefaultGuard = 4 << 30

// Config describes a memory to create.
type Config struct {
	MinPages uint32
	// MaxPages is the most pages the memory may grow to: the lower of the
	// type's maximum and the runtime's limit. At most MaxPages (65536).
	MaxPages uint32
	// Guard is how many bytes to reserve, inaccessible, after MaxPages.
	// Zero means no guard; use DefaultGuard with a 65536-page maximum to
	// cover every 33-bit effective address.
	Guard uint64
	// Image, if not nil, is the memory's initial contents: MinPages must
	// be its size. The memory maps it copy-on-write instead of starting
	// zeroed (see Image).
	Image *Image
}

// Memory is one linear memory.
//
// Bytes returned by Bytes stay valid, at the same address, until Close;
// after a Grow, call Bytes again to see the new length.
type Memory struct {
	mu      sync.Mutex // serializes Grow and Close
	raw     []byte     // what mmap returned, for munmap; nil after Close
	mapping []byte     // the whole reservation, aligned in raw; nil after Close
	buf     []byte     // accessible part: len is the current size
	// ready is how much of the mapping is readable and writable: the
	// current size, or more after Prepare.
	ready    uint64
	maxPages uint32
	image    bool // an Image is mapped over the first pages
	cleanup  runtime.Cleanup
}

// ErrClosed is returned for a memory used after Close.
var ErrClosed = errors.New("linear memory is closed")

// New reserves address space for cfg and makes the first MinPages pages
// accessible. The pages read as zero, or as cfg.Image.
func New(cfg Config) (*Memory, error) {
	if cfg.MaxPages > MaxPages {
		return nil, fmt.Errorf("maximum of %d pages exceeds %d", cfg.MaxPages, MaxPages)
	}
	if cfg.MinPages > cfg.MaxPages {
		return nil, fmt.Errorf("minimum of %d pages exceeds maximum of %d", cfg.MinPages, cfg.MaxPages)
	}
	if cfg.Image != nil && cfg.Image.Pages() != cfg.MinPages {
		return nil, fmt.Errorf("memory image of %d pages for a memory of %d", cfg.Image.Pages(), cfg.MinPages)
	}
	size := uint64(cfg.MaxPages)*PageSize + cfg.Guard
	if size == 0 {
		// A memory of max 0 pages still needs a distinct, valid base.
		size = uint64(unix.Getpagesize())
	}
	// Over-reserve so that the base can be aligned; the slack stays
	// PROT_NONE and costs address space only.
	raw, rw, err := reserve(int(size + BaseAlign))
	if err != nil {
		return nil, fmt.Errorf("reserving %d bytes for linear memory: %w", size, err)
	}
	lead := uint64(alignedBase(raw) - uintptr(unsafe.Pointer(&raw[0])))
	mapping := raw[lead : lead+size : lead+size]
	m := &Memory{raw: raw, mapping: mapping, maxPages: cfg.MaxPages, image: cfg.Image != nil}
	m.buf = mapping[:0]
	need := uint64(cfg.MinPages) * PageSize
	if rw > need {
		// A recycled reservation left read-write past this memory's
		// size: those bytes are zero, but must not be reachable.
		err = unix.Mprotect(mapping[need:rw], unix.PROT_NONE)
		if err != nil {
			release(raw, 0)
			return nil, fmt.Errorf("protecting linear memory [%#x, %#x): %w", need, rw, err)
		}
	}
	if need > 0 {
		err := m.commit(min(rw, need), need)
		if err == nil && cfg.Image != nil {
			// Over the committed pages, inside the same reservation:
			// the layout compiled code and the micro-VM rely on stays.
			err = cfg.Image.mapInto(mapping)
		}
		if err != nil {
			release(raw, 0)
			return nil, err
		}
	}
	m.buf = mapping[:uint64(cfg.MinPages)*PageSize]
	m.ready = need
	// A forgotten Close must not leak gigabytes of address space.
	m.cleanup = runtime.AddCleanup(m, func(b []byte) { unix.Munmap(b) }, raw)
	return m, nil
}

func (m *Memory) commit(from, to uint64) error {
	if to <= from {
		return nil
	}
	if err := unix.Mprotect(m.mapping[from:to], unix.PROT_READ|unix.PROT_WRITE); err != nil {
		return fmt.Errorf("committing linear memory [%#x, %#x): %w", from, to, err)
	}
	return nil
}

// Bytes returns the accessible memory. Its length is the current size.
func (m *Memory) Bytes() []byte { return m.buf }

// Base returns the address of the first byte, a multiple of BaseAlign.
// It never changes.
func (m *Memory) Base() uintptr {
	return uintptr(unsafe.Pointer(unsafe.SliceData(m.mapping)))
}

// LenAddr returns the address of a word that always holds the current
// size in bytes: compiled code reads it to bounds-check accesses without
// calling into Go. It stays valid until Close.
func (m *Memory) LenAddr() uintptr {
	// The length field of the buf slice header.
	return uintptr(unsafe.Pointer(&m.buf)) + unsafe.Sizeof(uintptr(0))
}

// Pages returns the current size in pages.
func (m *Memory) Pages() uint32 { return uint32(uint64(len(m.buf)) / PageSize) }

// MaxPages returns the most pages the memory may grow to.
func (m *Memory) MaxPages() uint32 { return m.maxPages }

// Reserved returns the size of the whole reservation, guard included.
func (m *Memory) Reserved() uint64 { return uint64(len(m.mapping)) }

// Grow adds delta pages and returns the previous size in pages. ok is
// false, and the memory unchanged, when the result would exceed the
// maximum or the host refuses to commit the pages.
func (m *Memory) Grow(delta uint32) (prev uint32, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mapping == nil {
		return 0, false
	}
	prev = m.Pages()
	if delta == 0 {
		return prev, true
	}
	next := uint64(prev) + uint64(delta)
	if next > uint64(m.maxPages) {
		return prev, false
	}
	if err := m.commit(max(uint64(len(m.buf)), m.ready), next*PageSize); err != nil {
		return prev, false
	}
	m.buf = m.mapping[:next*PageSize]
	m.ready = max(m.ready, uint64(len(m.buf)))
	return prev, true
}

// Prepare makes the first size bytes of the reservation readable and
// writable without growing the memory, for a user of the host pages that
// grows it without Grow and tells later: a micro-VM whose guest maps its
// own new pages (package vm). size is a multiple of PageSize, at most
// MaxPages of them. Close clears what was prepared as it clears the
// memory.
func (m *Memory) Prepare(size uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mapping == nil {
		return ErrClosed
	}
	if size%PageSize != 0 || size > uint64(m.maxPages)*PageSize {
		return fmt.Errorf("preparing %#x bytes of a linear memory of at most %d pages", size, m.maxPages)
	}
	if size <= m.ready {
		return nil
	}
	if err := m.commit(m.ready, size); err != nil {
		return err
	}
	m.ready = size
	return nil
}

// Close releases the memory. Slices from Bytes must not be used after.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mapping == nil {
		return nil
	}
	m.cleanup.Stop()
	rw := max(uint64(len(m.buf)), m.ready)
	if m.image {
		rw = 0 // file pages: replaced, not zeroed
	}
	err := release(m.raw, rw)
	m.raw, m.mapping, m.buf = nil, nil, nil
	return err
}
