package pagetable

import (
	"encoding/binary"
	"fmt"
)

// Sizes of the pages an entry can map.
const (
	PageSize     = 4 << 10
	HugePageSize = 2 << 20
)

// Entry bits (SDM Vol. 3A, Tables 4-15 to 4-20).
const (
	present  = 1 << 0
	writable = 1 << 1
	user     = 1 << 2
	accessed = 1 << 5
	dirty    = 1 << 6
	huge     = 1 << 7 // PS: the PDE maps a 2 MiB page
	noExec   = 1 << 63

	addrMask = 0x000F_FFFF_FFFF_F000 // physical address bits 51:12
)

// MaxVirtual is the end of the lower canonical half: the guest's whole
// address space lives below it.
const MaxVirtual = 1 << 47

// maxPhysical is the architectural limit on physical addresses.
const maxPhysical = 1 << 52

// Perm is what the guest may do with a mapping. Reading is implied.
type Perm uint8

// Permission bits for Map.
const (
	Write Perm = 1 << iota
	Exec
	User // ring 3 may access; without it only ring 0 may
)

func (p Perm) String() string {
	s := []byte("r--s")
	if p&Write != 0 {
		s[1] = 'w'
	}
	if p&Exec != 0 {
		s[2] = 'x'
	}
	if p&User != 0 {
		s[3] = 'u'
	}
	return string(s)
}

// leafBits returns the entry bits for p. Accessed and dirty are set up
// front so that the CPU (or a shadow MMU emulating it) never has to write
// them back into the tables.
func (p Perm) leafBits() uint64 {
	b := uint64(present | accessed | dirty)
	if p&Write != 0 {
		b |= writable
	}
	if p&Exec == 0 {
		b |= noExec
	}
	if p&User != 0 {
		b |= user
	}
	return b
}

// Tables is one address space. It is not safe for concurrent use; the
// monitor changes it only while the guest is stopped.
type Tables struct {
	pool []byte // host view of the page-table pool
	base uint64 // guest-physical address of pool[0]
	used int    // pages handed out; page 0 is the root (PML4)

	// parked holds the page tables that a huge page displaced, by the
	// address of the directory entry that linked them: a table once
	// linked below an entry is only ever linked there again (see Unmap).
	parked map[uint64]uint64
}

// New returns an empty address space whose tables are allocated from pool,
// which the guest sees at guest-physical address base. pool must be a
// whole number of pages and base page-aligned. The root is zeroed; the
// rest of the pool is zeroed as it is handed out.
func New(pool []byte, base uint64) (*Tables, error) {
	if len(pool) < PageSize || len(pool)%PageSize != 0 {
		return nil, fmt.Errorf("page-table pool of %d bytes is not a positive number of %d-byte pages", len(pool), PageSize)
	}
	if base%PageSize != 0 || base >= maxPhysical || uint64(len(pool)) > maxPhysical-base {
		return nil, fmt.Errorf("page-table pool at guest-physical %#x is not page-aligned or beyond the physical address space", base)
	}
	t := &Tables{pool: pool, base: base}
	t.Reset()
	return t, nil
}

// Root returns the guest-physical address of the top-level table, the
// value for CR3.
func (t *Tables) Root() uint64 { return t.base }

// PagesUsed returns how many pages of the pool hold tables.
func (t *Tables) PagesUsed() int { return t.used }

// Capacity returns the number of pages in the pool.
func (t *Tables) Capacity() int { return len(t.pool) / PageSize }

// Reset empties the address space and returns every table page to the
// pool. Only the pages handed out since the last Reset are cleared.
func (t *Tables) Reset() {
	clear(t.pool[:max(t.used, 1)*PageSize])
	t.used = 1
	clear(t.parked)
}

// entry returns the 8-byte entry idx of the table at guest-physical
// address table.
func (t *Tables) entry(table uint64, idx uint64) []byte {
	off := table - t.base + idx*8
	return t.pool[off : off+8 : off+8]
}

func (t *Tables) get(table, idx uint64) uint64 {
	return binary.LittleEndian.Uint64(t.entry(table, idx))
}

func (t *Tables) set(table, idx, v uint64) {
	binary.LittleEndian.PutUint64(t.entry(table, idx), v)
}

// inPool reports whether table, an address some entry links, is a page
// of the pool. Map links no other; a guest that writes tables itself
// (see the package comment) may have linked anything, which the host
// must refuse rather than follow.
func (t *Tables) inPool(table uint64) bool {
	return table >= t.base && table-t.base < uint64(len(t.pool))
}

// next returns the table that entry idx of table points to, allocating
// and linking a new one if the entry is empty.
func (t *Tables) next(table, idx uint64, va uint64) (uint64, error) {
	e := t.get(table, idx)
	if e&present != 0 {
		if e&huge != 0 {
			return 0, fmt.Errorf("virtual %#x is already mapped by a huge page", va)
		}
		if !t.inPool(e & addrMask) {
			return 0, fmt.Errorf("the tables for virtual %#x link a page outside the pool", va)
		}
		return e & addrMask, nil
	}
	key := table + idx*8
	if child, ok := t.parked[key]; ok {
		delete(t.parked, key)
		t.set(table, idx, child|present|writable|user|accessed)
		return child, nil
	}
	if t.used == t.Capacity() {
		return 0, fmt.Errorf("page-table pool of %d pages exhausted mapping virtual %#x", t.Capacity(), va)
	}
	off := uint64(t.used) * PageSize
	t.used++
	clear(t.pool[off : off+PageSize])
	child := t.base + off
	// Intermediate entries grant everything; the leaf decides. The CPU
	// combines the levels, so a user leaf needs user set all the way down.
	t.set(table, idx, child|present|writable|user|accessed)
	return child, nil
}

func indexes(va uint64) (pml4, pdpt, pd, pt uint64) {
	return va >> 39 & 511, va >> 30 & 511, va >> 21 & 511, va >> 12 & 511
}

// Map maps size bytes of virtual addresses from va onto physical addresses
// from pa with permission p. Addresses and size must be page-aligned.
// Where va and pa are both 2 MiB-aligned and at least 2 MiB remain, one
// huge page is used. Mapping over an existing mapping is an error: entries
// are never changed once present (see the package comment).
func (t *Tables) Map(va, pa, size uint64, p Perm) error { return t.mapRange(va, pa, size, p, true) }

// MapSmall is Map with 4 KiB pages only. Use it where the host memory
// behind pa cannot be backed by huge pages: a shadow MMU then splits each
// guest huge page anyway, and pays more for it than for small ones.
func (t *Tables) MapSmall(va, pa, size uint64, p Perm) error {
	return t.mapRange(va, pa, size, p, false)
}

func (t *Tables) mapRange(va, pa, size uint64, p Perm, hugeOK bool) error {
	if va%PageSize != 0 || pa%PageSize != 0 || size%PageSize != 0 {
		return fmt.Errorf("mapping [%#x, +%#x) to %#x: not page-aligned", va, size, pa)
	}
	if va >= MaxVirtual || size > MaxVirtual-va {
		return fmt.Errorf("mapping [%#x, +%#x): beyond the lower half of the address space", va, size)
	}
	if pa >= maxPhysical || size > maxPhysical-pa {
		return fmt.Errorf("mapping [%#x, +%#x) to %#x: beyond the physical address space", va, size, pa)
	}
	bits := p.leafBits()
	for size > 0 {
		i4, i3, i2, i1 := indexes(va)
		pdpt, err := t.next(t.Root(), i4, va)
		if err != nil {
			return err
		}
		pd, err := t.next(pdpt, i3, va)
		if err != nil {
			return err
		}
		if hugeOK && va%HugePageSize == 0 && pa%HugePageSize == 0 && size >= HugePageSize {
			if e := t.get(pd, i2); e&present != 0 {
				if e&huge != 0 || !t.empty(e&addrMask) {
					return fmt.Errorf("virtual %#x is already mapped", va)
				}
				// A table emptied by Unmap: park it for this entry.
				if t.parked == nil {
					t.parked = map[uint64]uint64{}
				}
				t.parked[pd+i2*8] = e & addrMask
			}
			t.set(pd, i2, pa|bits|huge)
			va, pa, size = va+HugePageSize, pa+HugePageSize, size-HugePageSize
			continue
		}
		pt, err := t.next(pd, i2, va)
		if err != nil {
			return err
		}
		if t.get(pt, i1)&present != 0 {
			return fmt.Errorf("virtual %#x is already mapped", va)
		}
		t.set(pt, i1, pa|bits)
		va, pa, size = va+PageSize, pa+PageSize, size-PageSize
	}
	return nil
}

// empty reports whether the table at guest-physical address table has
// no present entry.
func (t *Tables) empty(table uint64) bool {
	for idx := range uint64(PageSize / 8) {
		if t.get(table, idx)&present != 0 {
			return false
		}
	}
	return true
}

// Unmap takes the leaf mappings of size bytes from va out of the tables:
// huge pages wholly inside the range and small pages. It keeps every
// table, linked where it was, so that a table page always serves the same
// addresses: a shadow MMU that missed the host's writes can then hold
// stale translations only in leaves, which the monitor drops by deleting
// the memory slots behind them. va and size must be page-aligned, and a
// huge page may not straddle either end.
func (t *Tables) Unmap(va, size uint64) error {
	if va%PageSize != 0 || size%PageSize != 0 || va >= MaxVirtual || size > MaxVirtual-va {
		return fmt.Errorf("unmapping [%#x, +%#x): not page-aligned or beyond the lower half", va, size)
	}
	for size > 0 {
		i4, i3, i2, i1 := indexes(va)
		step := uint64(HugePageSize) - va%HugePageSize
		pd, ok := t.lookupTable(t.Root(), i4, i3)
		if !ok {
			// Nothing mapped in this GiB.
			step = 1<<30 - va%(1<<30)
		} else if e := t.get(pd, i2); e&present != 0 {
			if e&huge != 0 {
				if va%HugePageSize != 0 || size < HugePageSize {
					return fmt.Errorf("unmapping [%#x, +%#x): a huge page straddles the range", va, size)
				}
				t.set(pd, i2, 0)
			} else if !t.inPool(e & addrMask) {
				return fmt.Errorf("the tables for virtual %#x link a page outside the pool", va)
			} else {
				n := min(step, size) / PageSize
				for i := range n {
					t.set(e&addrMask, i1+i, 0)
				}
			}
		}
		step = min(step, size)
		va, size = va+step, size-step
	}
	return nil
}

// lookupTable returns the page directory for pml4 index i4 and
// page-directory-pointer index i3, if linked.
func (t *Tables) lookupTable(root, i4, i3 uint64) (uint64, bool) {
	e := t.get(root, i4)
	if e&present == 0 || e&huge != 0 || !t.inPool(e&addrMask) {
		return 0, false
	}
	e = t.get(e&addrMask, i3)
	if e&present == 0 || e&huge != 0 || !t.inPool(e&addrMask) {
		return 0, false
	}
	return e & addrMask, true
}

// LeafTable returns the guest-physical address of the last-level table
// that maps va, linking a new one if none does yet; an error if va lies
// in a huge page.
func (t *Tables) LeafTable(va uint64) (uint64, error) {
	if va >= MaxVirtual {
		return 0, fmt.Errorf("virtual %#x is beyond the lower half of the address space", va)
	}
	i4, i3, i2, _ := indexes(va)
	pdpt, err := t.next(t.Root(), i4, va)
	if err != nil {
		return 0, err
	}
	pd, err := t.next(pdpt, i3, va)
	if err != nil {
		return 0, err
	}
	return t.next(pd, i2, va)
}

// Leaf returns the last-level entry that maps the 4 KiB page at pa with
// permission p. The entry of the page at pa+k*PageSize is Leaf(pa, p) +
// k*PageSize: the address bits are the only ones that change.
func Leaf(pa uint64, p Perm) uint64 { return pa&addrMask | p.leafBits() }

// Lookup translates va as the CPU would and returns the physical address
// and the effective permission, or ok false when va is not mapped.
func (t *Tables) Lookup(va uint64) (pa uint64, p Perm, ok bool) {
	if va >= MaxVirtual {
		return 0, 0, false
	}
	i4, i3, i2, i1 := indexes(va)
	table := t.Root()
	eff := uint64(writable | user) // narrowed by each level
	nx := false
	for level, idx := range [4]uint64{i4, i3, i2, i1} {
		e := t.get(table, idx)
		if e&present == 0 {
			return 0, 0, false
		}
		eff &= e
		nx = nx || e&noExec != 0
		if level == 2 && e&huge != 0 {
			return e&addrMask&^(HugePageSize-1) | va&(HugePageSize-1), perm(eff, nx), true
		}
		if level == 3 {
			return e&addrMask | va&(PageSize-1), perm(eff, nx), true
		}
		table = e & addrMask
		if !t.inPool(table) {
			return 0, 0, false // a table outside the pool: not built by Map
		}
	}
	return 0, 0, false
}

func perm(bits uint64, nx bool) Perm {
	var p Perm
	if bits&writable != 0 {
		p |= Write
	}
	if bits&user != 0 {
		p |= User
	}
	if !nx {
		p |= Exec
	}
	return p
}
