package pagetable

import (
	"strings"
	"testing"
)

func newTables(t *testing.T, pages int) *Tables {
	t.Helper()
	tab, err := New(make([]byte, pages*PageSize), 0x10_0000)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		size    int
		base    uint64
		wantErr string
	}{
		{"one page", PageSize, 0x1000, ""},
		{"empty", 0, 0x1000, "not a positive number"},
		{"ragged", PageSize + 1, 0x1000, "not a positive number"},
		{"unaligned base", PageSize, 0x1001, "not page-aligned"},
		{"beyond physical", PageSize, 1 << 52, "beyond the physical"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(make([]byte, tc.size), tc.base)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestTables_Map(t *testing.T) {
	type probe struct {
		va   uint64
		pa   uint64
		perm Perm
		ok   bool
	}
	tests := []struct {
		name   string
		va, pa uint64
		size   uint64
		perm   Perm
		small  bool
		probes []probe
		pages  int // table pages used, root included
	}{
		{
			name: "one small page", va: 0x40_0000, pa: 0x9000, size: PageSize, perm: Write | User,
			probes: []probe{
				{0x40_0000, 0x9000, Write | User, true},
				{0x40_0fff, 0x9fff, Write | User, true},
				{0x40_1000, 0, 0, false},
				{0x3f_f000, 0, 0, false},
			},
			pages: 4,
		},
		{
			name: "huge pages where aligned", va: 1 << 32, pa: 1 << 32, size: 3*HugePageSize + 2*PageSize, perm: Write | User,
			probes: []probe{
				{1 << 32, 1 << 32, Write | User, true},
				{1<<32 + 3*HugePageSize - 1, 1<<32 + 3*HugePageSize - 1, Write | User, true},
				{1<<32 + 3*HugePageSize + PageSize + 5, 1<<32 + 3*HugePageSize + PageSize + 5, Write | User, true},
				{1<<32 + 3*HugePageSize + 2*PageSize, 0, 0, false},
			},
			pages: 4, // root, PDPT, PD, one PT for the tail
		},
		{
			name: "small pages when asked", va: 1 << 32, pa: 1 << 32, size: HugePageSize, perm: Write | User, small: true,
			probes: []probe{{1<<32 + 0x1234, 1<<32 + 0x1234, Write | User, true}},
			pages:  4,
		},
		{
			name: "misaligned physical address stays small", va: 0x20_0000, pa: 0x20_1000, size: HugePageSize, perm: Exec | User,
			probes: []probe{{0x20_0000, 0x20_1000, Exec | User, true}, {0x3f_ffff, 0x40_0fff, Exec | User, true}},
			pages:  4,
		},
		{
			name: "supervisor read-only", va: 0x1000, pa: 0x1000, size: PageSize, perm: 0,
			probes: []probe{{0x1000, 0x1000, 0, true}},
			pages:  4,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab := newTables(t, 16)
			var err error
			if tc.small {
				err = tab.MapSmall(tc.va, tc.pa, tc.size, tc.perm)
			} else {
				err = tab.Map(tc.va, tc.pa, tc.size, tc.perm)
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range tc.probes {
				pa, perm, ok := tab.Lookup(p.va)
				if ok != p.ok || (ok && (pa != p.pa || perm != p.perm)) {
					t.Errorf("Lookup(%#x) = %#x, %v, %v; want %#x, %v, %v", p.va, pa, perm, ok, p.pa, p.perm, p.ok)
				}
			}
			if tab.PagesUsed() != tc.pages {
				t.Errorf("PagesUsed = %d, want %d", tab.PagesUsed(), tc.pages)
			}
		})
	}
}

func TestTables_MapErrors(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(*Tables) error
		va, pa  uint64
		size    uint64
		wantErr string
	}{
		{"unaligned va", nil, 0x1001, 0, PageSize, "not page-aligned"},
		{"unaligned size", nil, 0x1000, 0, 10, "not page-aligned"},
		{"upper half", nil, MaxVirtual, 0, PageSize, "beyond the lower half"},
		{"wraps the lower half", nil, MaxVirtual - PageSize, 0, 2 * PageSize, "beyond the lower half"},
		{"beyond physical", nil, 0, 1<<52 - PageSize, 2 * PageSize, "beyond the physical"},
		{"remap small", func(t *Tables) error { return t.Map(0x5000, 0, PageSize, 0) }, 0x5000, 0x1000, PageSize, "already mapped"},
		{"remap huge", func(t *Tables) error { return t.Map(0, 0, HugePageSize, 0) }, 0, 0, HugePageSize, "already mapped"},
		{"small inside huge", func(t *Tables) error { return t.Map(0, 0, HugePageSize, 0) }, 0x3000, 0, PageSize, "huge page"},
		{"pool exhausted", nil, 0, 0, 4 * HugePageSize, "exhausted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab := newTables(t, 4)
			if tc.setup != nil {
				if err := tc.setup(tab); err != nil {
					t.Fatal(err)
				}
			}
			var err error
			if tc.name == "pool exhausted" {
				err = tab.MapSmall(tc.va, tc.pa, tc.size, 0)
			} else {
				err = tab.Map(tc.va, tc.pa, tc.size, 0)
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestTables_Reset(t *testing.T) {
	tab := newTables(t, 8)
	if err := tab.Map(0x40_0000, 0x1000, PageSize, Write); err != nil {
		t.Fatal(err)
	}
	tab.Reset()
	if _, _, ok := tab.Lookup(0x40_0000); ok {
		t.Fatal("mapping survived Reset")
	}
	if tab.PagesUsed() != 1 {
		t.Fatalf("PagesUsed = %d after Reset", tab.PagesUsed())
	}
	// The freed table pages are handed out again, zeroed.
	if err := tab.Map(0x80_0000, 0x2000, PageSize, 0); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := tab.Lookup(0x40_0000); ok {
		t.Fatal("stale entry visible through a reused table page")
	}
}

func TestTables_LeafBits(t *testing.T) {
	tab := newTables(t, 8)
	if err := tab.Map(0, 0x7000, PageSize, Write|User); err != nil {
		t.Fatal(err)
	}
	// Walk by hand: the leaf must carry present, writable, user, accessed,
	// dirty and no-execute, so the CPU never writes A/D bits back.
	pdpt := tab.get(tab.Root(), 0) & addrMask
	pd := tab.get(pdpt, 0) & addrMask
	pt := tab.get(pd, 0) & addrMask
	got := tab.get(pt, 0)
	want := uint64(0x7000 | present | writable | user | accessed | dirty | noExec)
	if got != want {
		t.Fatalf("leaf = %#x, want %#x", got, want)
	}
}

func TestPerm_String(t *testing.T) {
	tests := []struct {
		p    Perm
		want string
	}{
		{0, "r--s"},
		{Write | User, "rw-u"},
		{Exec | User, "r-xu"},
		{Write | Exec, "rwxs"},
	}
	for _, tc := range tests {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("%d: got %q, want %q", tc.p, got, tc.want)
		}
	}
}

// FuzzTables_Map maps arbitrary ranges and checks that Map either fails
// cleanly or produces a translation Lookup agrees with; it must never
// panic or write outside its pool.
func FuzzTables_Map(f *testing.F) {
	f.Add(uint64(0x40_0000), uint64(0x1000), uint64(PageSize), uint8(3), false)
	f.Add(uint64(1<<32), uint64(1<<32), uint64(3*HugePageSize), uint8(1), false)
	f.Add(uint64(MaxVirtual-PageSize), uint64(0), uint64(PageSize), uint8(0), true)
	f.Fuzz(func(t *testing.T, va, pa, size uint64, perm uint8, small bool) {
		size %= 8 * HugePageSize
		tab := newTables(t, 8)
		p := Perm(perm) & (Write | Exec | User)
		var err error
		if small {
			err = tab.MapSmall(va, pa, size, p)
		} else {
			err = tab.Map(va, pa, size, p)
		}
		if err != nil || size == 0 {
			return
		}
		for _, off := range []uint64{0, size / 2 &^ (PageSize - 1), size - PageSize} {
			got, gp, ok := tab.Lookup(va + off)
			if !ok || got != pa+off || gp != p {
				t.Fatalf("Lookup(%#x) = %#x, %v, %v; want %#x, %v", va+off, got, gp, ok, pa+off, p)
			}
		}
	})
}

// TestTables_Unmap takes mappings out and maps other sizes at the same
// addresses: entries go, tables stay linked where they were, and a table
// a huge page displaced comes back below the same entry.
func TestTables_Unmap(t *testing.T) {
	const (
		va = 0x1_0000_0000
		pa = 0x4000_0000
	)
	tests := []struct {
		name        string
		first, next uint64 // bytes mapped before and after the Unmap
		small       bool   // map the first with MapSmall
	}{
		{"small then huge", 64 << 10, 4 << 20, false},
		{"huge then small", 4 << 20, 64 << 10, false},
		{"huge and small then less", 2<<20 + 64<<10, 2 << 20, false},
		{"small pages then small", 3 << 20, 1 << 20, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab := newTables(t, 16)
			mapIt := func(size uint64, small bool) {
				t.Helper()
				f := tab.Map
				if small {
					f = tab.MapSmall
				}
				if err := f(va, pa, size, User|Write); err != nil {
					t.Fatal(err)
				}
			}
			mapIt(tc.first, tc.small)
			if err := tab.Unmap(va, tc.first); err != nil {
				t.Fatal(err)
			}
			for off := uint64(0); off < tc.first; off += PageSize {
				if _, _, ok := tab.Lookup(va + off); ok {
					t.Fatalf("%#x still mapped after Unmap", va+off)
				}
			}
			mapIt(tc.next, false)
			mapIt2 := func() {
				t.Helper()
				if err := tab.Unmap(va, tc.next); err != nil {
					t.Fatal(err)
				}
				mapIt(tc.first, tc.small)
			}
			for off := uint64(0); off < tc.next; off += PageSize {
				if got, _, ok := tab.Lookup(va + off); !ok || got != pa+off {
					t.Fatalf("Lookup(%#x) = %#x, %v; want %#x", va+off, got, ok, pa+off)
				}
			}
			if _, _, ok := tab.Lookup(va + tc.next); ok {
				t.Fatalf("%#x mapped past the end", va+tc.next)
			}
			// Back and forth between the shapes: no table is allocated
			// again.
			used := tab.PagesUsed()
			for range 3 {
				mapIt2()
				if err := tab.Unmap(va, tc.first); err != nil {
					t.Fatal(err)
				}
				mapIt(tc.next, false)
			}
			if got := tab.PagesUsed(); got != used {
				t.Errorf("%d pages used after switching shapes, %d before", got, used)
			}
		})
	}
	t.Run("straddling huge page", func(t *testing.T) {
		tab := newTables(t, 16)
		if err := tab.Map(va, pa, 2<<20, User); err != nil {
			t.Fatal(err)
		}
		if err := tab.Unmap(va, 1<<20); err == nil || !strings.Contains(err.Error(), "straddles") {
			t.Fatalf("err = %v, want a huge page straddling the range", err)
		}
	})
}

// TestTables_LeafTable checks that LeafTable returns the table Map fills
// and that Leaf gives the entries Map writes.
func TestTables_LeafTable(t *testing.T) {
	tab := newTables(t, 8)
	const va, pa = 0x1_0000_0000, 0x2_0000_0000
	table, err := tab.LeafTable(va + 3*PageSize)
	if err != nil {
		t.Fatal(err)
	}
	if err := tab.MapSmall(va, pa, 4*PageSize, User|Write); err != nil {
		t.Fatal(err)
	}
	for k := range uint64(4) {
		if got, want := tab.get(table, k), Leaf(pa, User|Write)+k*PageSize; got != want {
			t.Errorf("entry %d = %#x, want %#x", k, got, want)
		}
	}
	if err := tab.Map(va+HugePageSize, pa+HugePageSize, HugePageSize, User); err != nil {
		t.Fatal(err)
	}
	if _, err := tab.LeafTable(va + HugePageSize); err == nil || !strings.Contains(err.Error(), "huge page") {
		t.Fatalf("LeafTable in a huge page: err = %v", err)
	}
}

// TestTables_RefusesForeignLinks checks that tables a guest rewrote to
// link pages outside the pool make Map, Unmap, LeafTable and Lookup fail
// rather than read or write outside the pool.
func TestTables_RefusesForeignLinks(t *testing.T) {
	const va = 0x1_0000_0000
	for _, link := range []uint64{0, 0x10_0000 + 64*PageSize, 1 << 40} {
		tab := newTables(t, 8)
		if err := tab.MapSmall(va, 0x2_0000_0000, PageSize, User|Write); err != nil {
			t.Fatal(err)
		}
		pdpt := tab.get(tab.Root(), 0) & addrMask
		pd := tab.get(pdpt, 4) & addrMask
		tab.set(pd, 0, link|present|writable|user) // the page directory's entry for va
		if err := tab.MapSmall(va+PageSize, 0x2_0000_0000+PageSize, PageSize, User); err == nil {
			t.Errorf("link %#x: Map followed it", link)
		}
		if err := tab.Unmap(va, PageSize); err == nil {
			t.Errorf("link %#x: Unmap followed it", link)
		}
		if _, err := tab.LeafTable(va); err == nil {
			t.Errorf("link %#x: LeafTable followed it", link)
		}
		if _, _, ok := tab.Lookup(va); ok {
			t.Errorf("link %#x: Lookup followed it", link)
		}
	}
}
