package pages

import (
	"bytes"
	"testing"

	"golang.org/x/sys/unix"
)

// sink keeps a read the test makes from being optimized away.
var sink byte

// TestZeroTouched: touched pages read as zero after, and the limit
// stops the clearing.
func TestZeroTouched(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write []int // pages written
		limit int
		want  bool
	}{
		{"nothing touched", nil, -1, true},
		{"two pages, no limit", []int{1, 15}, -1, true},
		{"two pages, within the limit", []int{1, 15}, 16 * Size, true},
		{"three pages, past the limit", []int{0, 1, 2}, 2 * Size, false},
		{"present pages past examineFactor times the limit", nil, Size / 8, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := unix.Mmap(-1, 0, 16*Size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Munmap(b)
			sink = b[3*Size] // read only: the shared zero page is mapped
			for _, p := range tc.write {
				b[p*Size+9] = 0x5a
			}
			if got := ZeroTouched(b, tc.limit); got != tc.want {
				t.Fatalf("ZeroTouched = %v, want %v", got, tc.want)
			}
			if tc.want && !bytes.Equal(b, make([]byte, len(b))) {
				t.Error("bytes left after ZeroTouched")
			}
		})
	}
}
