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
