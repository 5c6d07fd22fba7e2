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
