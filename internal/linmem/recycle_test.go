package linmem

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestRecycle: a memory made after another of its size was closed gets
// its reservation back, at the same address, and finds none of what the
// first held: neither what it wrote nor the image it was made from.
func TestRecycle(t *testing.T) {
	img, err := NewImage(bytes.Repeat([]byte{7}, 2*PageSize))
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	for _, tc := range []struct {
		name  string
		first Config
	}{
		{"written", Config{MinPages: 2, MaxPages: 8}},
		{"from an image", Config{MinPages: 2, MaxPages: 8, Image: img}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first, err := New(tc.first)
			if err != nil {
				t.Fatal(err)
			}
			first.Bytes()[100] = 42
			if _, ok := first.Grow(1); !ok {
				t.Fatal("grow failed")
			}
			base := first.Base()
			if err := first.Close(); err != nil {
				t.Fatal(err)
			}
			second, err := New(Config{MinPages: 1, MaxPages: 8})
			if err != nil {
				t.Fatal(err)
			}
			defer second.Close()
			if second.Base() != base {
				t.Errorf("second memory at %#x, not at the first's %#x", second.Base(), base)
			}
			if !bytes.Equal(second.Bytes(), make([]byte, PageSize)) {
				t.Error("the second memory holds the first's bytes")
			}
			// Its second page, which the first had, is not accessible
			// until it grows, and then zero.
			if _, ok := second.Grow(2); !ok || !bytes.Equal(second.Bytes(), make([]byte, 3*PageSize)) {
				t.Error("grown pages hold the first's bytes")
			}
		})
	}
}

// TestRecycle_addressSpaceLimit: under an address-space limit that the
// kept reservations fill, a memory of another size is still made: they
// are given back first.
func TestRecycle_addressSpaceLimit(t *testing.T) {
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_AS, &old); err != nil {
		t.Fatal(err)
	}
	// Fill the pool with small reservations, then allow little more
	// address space than is mapped now.
	var mems []*Memory
	for range maxRecycled {
		m, err := New(Config{MinPages: 1, MaxPages: 16 << 10}) // 1 GiB reservations
		if err != nil {
			t.Fatal(err)
		}
		mems = append(mems, m)
	}
	for _, m := range mems {
		m.Close()
	}
	defer drainRecycled()
	mapped := addressSpace(t)
	lim := unix.Rlimit{Cur: mapped + 2<<30, Max: old.Max}
	if err := unix.Setrlimit(unix.RLIMIT_AS, &lim); err != nil {
		t.Skipf("cannot limit the address space: %v", err)
	}
	defer unix.Setrlimit(unix.RLIMIT_AS, &old)
	m, err := New(Config{MinPages: 1, MaxPages: MaxPages, Guard: DefaultGuard}) // 8 GiB
	if err != nil {
		t.Fatalf("with the kept reservations given back: %v", err)
	}
	m.Close()
}

// addressSpace returns the process's mapped address space (VmSize).
func addressSpace(t *testing.T) uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip(err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmSize:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Skip("no VmSize")
	return 0
}

// choosePlacer picks the reservation at want, and records releases.
type choosePlacer struct {
	want     uintptr
	seen     []uintptr
	released []uintptr
}

func (p *choosePlacer) Choose(bases []uintptr) int {
	p.seen = append(p.seen[:0], bases...)
	for i, b := range bases {
		if b == p.want {
			return i
		}
	}
	return -1
}

func (p *choosePlacer) Released(base uintptr) { p.released = append(p.released, base) }

// TestPlacer: a registered Placer sees the kept reservations of the
// size asked for and decides which one a new memory reuses, not only
// the most recently closed; it hears of every close; and once
// unregistered it is asked nothing.
func TestPlacer(t *testing.T) {
	cfg := Config{MinPages: 1, MaxPages: 5}
	var mems [3]*Memory
	for i := range mems {
		m, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		mems[i] = m
	}
	bases := [3]uintptr{mems[0].Base(), mems[1].Base(), mems[2].Base()}
	p := &choosePlacer{want: bases[0]}
	unregister := RegisterPlacer(p)
	for _, m := range mems {
		m.Close()
	}
	if len(p.released) != 3 || p.released[0] != bases[0] || p.released[2] != bases[2] {
		t.Errorf("released %#x, want %#x", p.released, bases)
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if m.Base() != bases[0] {
		t.Errorf("memory at %#x, not at the chosen %#x (kept: %#x)", m.Base(), bases[0], p.seen)
	}
	if len(p.seen) < 3 {
		t.Errorf("the placer saw %#x, want at least the three closed", p.seen)
	}
	m.Close()
	unregister()
	p.seen = nil
	m, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if p.seen != nil {
		t.Error("an unregistered placer was asked")
	}
	// Without a placer's choice, the most recently closed comes back.
	if m.Base() != bases[0] {
		t.Errorf("memory at %#x, not at the most recently closed %#x", m.Base(), bases[0])
	}
}
