package linmem

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestRecycle_zeroedInPlace: a closed memory that touched little is
// zeroed where it is, so that the next memory at its address finds its
// pages present (no fault, in the host or in a micro-VM that kept the
// slot) and zero, with what lies past its own size inaccessible; one
// that touched more than zeroLimit is replaced by a fresh mapping.
func TestRecycle_zeroedInPlace(t *testing.T) {
	for _, tc := range []struct {
		name    string
		touch   int // bytes written from the start, one byte per host page
		inPlace bool
	}{
		{"a few pages", 5 * hostPage, true},
		{"nothing", 0, true},
		{"more than the limit", zeroLimit + 16*hostPage, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const pages = 32 // 2 MiB
			first, err := New(Config{MinPages: pages, MaxPages: pages})
			if err != nil {
				t.Fatal(err)
			}
			b := first.Bytes()
			for off := 0; off < tc.touch; off += hostPage {
				b[off+7] = 0xa5
			}
			base := first.Base()
			if err := first.Close(); err != nil {
				t.Fatal(err)
			}
			second, err := New(Config{MinPages: 1, MaxPages: pages})
			if err != nil {
				t.Fatal(err)
			}
			defer second.Close()
			if second.Base() != base {
				t.Skipf("second memory at %#x, not at the first's %#x (another test's memory came between)", second.Base(), base)
			}
			if tc.touch > 0 {
				if got := present(t, base); got != tc.inPlace {
					t.Errorf("first page present after reuse: %v, want %v", got, tc.inPlace)
				}
			}
			if !bytes.Equal(second.Bytes(), make([]byte, PageSize)) {
				t.Error("the second memory holds the first's bytes")
			}
			if perms := protection(t, base+PageSize); perms[0] != '-' {
				t.Errorf("the page past the second memory's size is %q, want it inaccessible", perms)
			}
			if _, ok := second.Grow(pages - 1); !ok {
				t.Fatal("grow failed")
			}
			if !bytes.Equal(second.Bytes(), make([]byte, pages*PageSize)) {
				t.Error("grown pages hold the first's bytes")
			}
		})
	}
}

// TestZeroInPlace: a range past zeroScanLimit is refused untouched.
func TestZeroInPlace(t *testing.T) {
	m, err := New(Config{MinPages: 1, MaxPages: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if zeroInPlace(unsafe.Slice(&m.Bytes()[0], zeroScanLimit+hostPage)) {
		t.Error("zeroInPlace scanned a range past zeroScanLimit")
	}
}

// present reports whether the host page at addr is in memory.
func present(t *testing.T, addr uintptr) bool {
	t.Helper()
	var vec [1]byte
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, addr, hostPage, uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Fatal(errno)
	}
	return vec[0]&1 != 0
}

// protection returns the permissions ("rw-p", "---p") of the mapping
// holding addr, from /proc/self/maps.
func protection(t *testing.T, addr uintptr) string {
	t.Helper()
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var from, to uintptr
		var perms string
		if _, err := fmt.Sscanf(sc.Text(), "%x-%x %s", &from, &to, &perms); err != nil {
			continue
		}
		if from <= addr && addr < to {
			return perms
		}
	}
	t.Fatalf("no mapping holds %#x", addr)
	return ""
}
