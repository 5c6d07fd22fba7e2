package amd64

import (
	"bytes"
	"testing"
	"unsafe"
)

// TestCodeArena checks both ways code leaves an arena: made executable
// where it was assembled, and copied when it outgrew the arena.
func TestCodeArena(t *testing.T) {
	for _, tt := range []struct {
		name    string
		n       int
		inPlace bool
	}{
		{"fits", pageSize + 10, true},
		{"fills it exactly", 2 * pageSize, true},
		{"outgrows it", 2*pageSize + 1, false},
		{"empty", 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, err := reserveCode(2 * pageSize)
			if err != nil {
				t.Fatal(err)
			}
			want := bytes.Repeat([]byte{0xc3}, tt.n)
			code := append(a.buf(), want...)
			mem, err := a.seal(code)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(mem.b, want) {
				t.Fatal("sealed code differs from what was assembled")
			}
			if inPlace := unsafe.Pointer(unsafe.SliceData(mem.b)) == a.base; inPlace != tt.inPlace {
				t.Errorf("code stayed in the arena: %v, want %v", inPlace, tt.inPlace)
			}
		})
	}
}
