package linmem

import (
	"bytes"
	"testing"
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
