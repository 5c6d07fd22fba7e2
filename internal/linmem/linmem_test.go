package linmem

import "testing"

func TestMemory_GrowKeepsBase(t *testing.T) {
	m, err := New(Config{MinPages: 1, MaxPages: 4, Guard: DefaultGuard})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	base := m.Base()
	m.Bytes()[PageSize-1] = 42
	tests := []struct {
		delta    uint32
		wantPrev uint32
		wantOK   bool
	}{
		{0, 1, true},
		{2, 1, true},
		{2, 3, false},
		{1, 3, true},
		{1, 4, false},
	}
	for _, tc := range tests {
		prev, ok := m.Grow(tc.delta)
		if prev != tc.wantPrev || ok != tc.wantOK {
			t.Fatalf("Grow(%d) = (%d, %v), want (%d, %v)", tc.delta, prev, ok, tc.wantPrev, tc.wantOK)
		}
	}
	if m.Base() != base {
		t.Fatal("memory moved on grow")
	}
	b := m.Bytes()
	if len(b) != 4*PageSize || b[PageSize-1] != 42 || b[4*PageSize-1] != 0 {
		t.Fatalf("unexpected contents after grow: len %d", len(b))
	}
	if m.Reserved() != 4*PageSize+DefaultGuard {
		t.Fatalf("Reserved = %d", m.Reserved())
	}
}

func TestNew_Limits(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero pages", Config{}, true},
		{"full 4GiB reservation", Config{MaxPages: MaxPages, Guard: DefaultGuard}, true},
		{"min above max", Config{MinPages: 2, MaxPages: 1}, false},
		{"max above 4GiB", Config{MaxPages: MaxPages + 1}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(tc.cfg)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v", err)
			}
			if m != nil {
				if err := m.Close(); err != nil {
					t.Fatal(err)
				}
				if _, ok := m.Grow(1); ok {
					t.Fatal("grow after close succeeded")
				}
			}
		})
	}
}

func TestMemory_BaseAligned(t *testing.T) {
	for _, max := range []uint32{0, 1, 3, 40} {
		m, err := New(Config{MinPages: 0, MaxPages: max})
		if err != nil {
			t.Fatal(err)
		}
		if m.Base()%BaseAlign != 0 {
			t.Errorf("max %d: base %#x is not %d-aligned", max, m.Base(), BaseAlign)
		}
		if err := m.Close(); err != nil {
			t.Errorf("max %d: Close: %v", max, err)
		}
	}
}
