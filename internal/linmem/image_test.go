package linmem

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// pattern returns pages of memory whose bytes are non-zero only in the
// given 4 KiB host pages.
func pattern(pages uint32, nonzero ...int) []byte {
	b := make([]byte, int(pages)*PageSize)
	for _, p := range nonzero {
		for i := range hostPage {
			b[p*hostPage+i] = byte(p + i + 1)
		}
	}
	return b
}

func TestImage_Restore(t *testing.T) {
	const chunkPages = BaseAlign / hostPage
	tests := []struct {
		name        string
		pages       uint32
		nonzero     []int
		wantExtents int
	}{
		{"empty", 0, nil, 0},
		{"all zero", 4, nil, 0},
		{"first page", 1, []int{0}, 1},
		{"last host page", 3, []int{3*PageSize/hostPage - 1}, 1},
		{"two chunks apart", 128, []int{1, 3 * chunkPages}, 2},
		{"adjacent chunks coalesce", 128, []int{chunkPages - 1, chunkPages}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := pattern(tc.pages, tc.nonzero...)
			img, err := NewImage(want)
			if err != nil {
				t.Fatal(err)
			}
			defer img.Close()
			if img.Pages() != tc.pages || img.Stored() != uint64(len(tc.nonzero))*hostPage || len(img.extents) != tc.wantExtents {
				t.Fatalf("pages %d, stored %d, extents %v", img.Pages(), img.Stored(), img.extents)
			}
			// Two memories from the image: each sees the image, writes
			// of one reach neither the other nor the image.
			a, err := New(Config{MinPages: tc.pages, MaxPages: tc.pages + 2, Guard: DefaultGuard, Image: img})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			if !bytes.Equal(a.Bytes(), want) {
				t.Fatal("memory differs from its image")
			}
			if a.Base()%BaseAlign != 0 || a.Reserved() != uint64(tc.pages+2)*PageSize+DefaultGuard {
				t.Fatalf("base %#x, reserved %d: layout changed", a.Base(), a.Reserved())
			}
			for i := range a.Bytes() {
				a.Bytes()[i] ^= 0x5a
			}
			if _, ok := a.Grow(2); !ok || a.Bytes()[len(a.Bytes())-1] != 0 {
				t.Fatal("memory from an image does not grow zeroed")
			}
			b, err := New(Config{MinPages: tc.pages, MaxPages: tc.pages, Image: img})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if !bytes.Equal(b.Bytes(), want) {
				t.Fatal("a memory's writes reached another made from the same image")
			}
			got := make([]byte, len(want))
			if n, err := img.ReadAt(got, 0); n != len(want) && err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatal("a memory's writes reached its image")
			}
		})
	}
}

func TestImage_Errors(t *testing.T) {
	if _, err := NewImage(make([]byte, PageSize+1)); err == nil {
		t.Error("an image of a partial page was made")
	}
	img, err := NewImage(pattern(2, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{MinPages: 1, MaxPages: 4, Image: img}); err == nil {
		t.Error("a memory smaller than its image was made")
	}
	if err := img.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{MinPages: 2, MaxPages: 4, Image: img}); err == nil {
		t.Error("a memory was made from a closed image")
	}
	if err := img.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// restoreWrite makes a memory from img, writes dirty host pages spread
// over it, and closes it: what an instance of a snapshot costs in
// memory when it touches a few pages.
func restoreWrite(b *testing.B, img *Image, dirty int) {
	for b.Loop() {
		m, err := New(Config{MinPages: img.Pages(), MaxPages: img.Pages(), Guard: DefaultGuard, Image: img})
		if err != nil {
			b.Fatal(err)
		}
		buf := m.Bytes()
		step := len(buf) / dirty
		for i := range dirty {
			buf[i*step]++
		}
		m.Close()
	}
}

// fullImage is an image of size bytes, every page of it non-zero: the
// worst case, where all of it is mapped from the file.
func fullImage(tb testing.TB, size int) *Image {
	b := bytes.Repeat([]byte{0xa5}, size)
	img, err := NewImage(b)
	if err != nil {
		tb.Fatal(err)
	}
	return img
}

var imageSizes = []int{1 << 20, 256 << 20}

// BenchmarkImageRestore makes memories from a 1 MiB and a 256 MiB image
// and writes 16 pages of each: the time is the same.
func BenchmarkImageRestore(b *testing.B) {
	for _, size := range imageSizes {
		img := fullImage(b, size)
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) { restoreWrite(b, img, 16) })
		img.Close()
	}
}

// TestImageRestore_SizeIndependent measures BenchmarkImageRestore's two
// sizes and fails if restoring 256 times the memory costs even a few
// times more: a copy of the image would cost about 256 times more.
func TestImageRestore_SizeIndependent(t *testing.T) {
	if testing.Short() {
		t.Skip("measures")
	}
	var per []time.Duration
	for _, size := range imageSizes {
		img := fullImage(t, size)
		// The least of three runs: the machine is shared.
		best := time.Duration(1 << 62)
		for range 3 {
			r := testing.Benchmark(func(b *testing.B) { restoreWrite(b, img, 16) })
			best = min(best, time.Duration(r.NsPerOp()))
		}
		img.Close()
		per = append(per, best)
	}
	ratio := float64(per[1]) / float64(per[0])
	t.Logf("restore and 16 dirty pages: 1 MiB image %v, 256 MiB image %v, ratio %.2f", per[0], per[1], ratio)
	if ratio > 4 {
		t.Errorf("restoring a 256 MiB image costs %.1f times a 1 MiB one", ratio)
	}
}
