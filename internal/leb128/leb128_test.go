package leb128

import (
	"errors"
	"math"
	"testing"
)

func TestDecodeUint32(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want uint32
		n    int
		err  error
	}{
		{"zero", []byte{0}, 0, 1, nil},
		{"one byte", []byte{0x7f}, 127, 1, nil},
		{"two bytes", []byte{0x80, 0x01}, 128, 2, nil},
		{"padded zero", []byte{0x80, 0x80, 0x80, 0x80, 0x00}, 0, 5, nil},
		{"max", []byte{0xff, 0xff, 0xff, 0xff, 0x0f}, math.MaxUint32, 5, nil},
		{"unused bits set", []byte{0xff, 0xff, 0xff, 0xff, 0x1f}, 0, 5, ErrTooLarge},
		{"too long", []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 0, 5, ErrTooLong},
		{"truncated", []byte{0x80, 0x80}, 0, 2, ErrUnexpectedEnd},
		{"empty", nil, 0, 0, ErrUnexpectedEnd},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, n, err := DecodeUint32(tc.in)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err == nil && (got != tc.want || n != tc.n) {
				t.Fatalf("got (%d, %d), want (%d, %d)", got, n, tc.want, tc.n)
			}
		})
	}
}

func TestDecodeInt32(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want int32
		err  error
	}{
		{"minus one", []byte{0x7f}, -1, nil},
		{"63", []byte{0x3f}, 63, nil},
		{"64", []byte{0xc0, 0x00}, 64, nil},
		{"-64", []byte{0x40}, -64, nil},
		{"min", []byte{0x80, 0x80, 0x80, 0x80, 0x78}, math.MinInt32, nil},
		{"max", []byte{0xff, 0xff, 0xff, 0xff, 0x07}, math.MaxInt32, nil},
		{"padded -1", []byte{0xff, 0xff, 0xff, 0xff, 0x7f}, -1, nil},
		{"bad sign extension", []byte{0xff, 0xff, 0xff, 0xff, 0x0f}, 0, ErrTooLarge},
		{"bad sign extension neg", []byte{0x80, 0x80, 0x80, 0x80, 0x70}, 0, ErrTooLarge},
		{"too long", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, 0, ErrTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := DecodeInt32(tc.in)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err == nil && got != tc.want {
				t.Fatalf("got %d, want %d", got, tc.want)
			}
		})
	}
}

func TestDecodeInt64(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want int64
		err  error
	}{
		{"min", []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f}, math.MinInt64, nil},
		{"max", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00}, math.MaxInt64, nil},
		{"bad tail", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 0, ErrTooLarge},
		{"bad tail neg", []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7e}, 0, ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := DecodeInt64(tc.in)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err == nil && got != tc.want {
				t.Fatalf("got %d, want %d", got, tc.want)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	for _, v := range []int64{0, 1, -1, 63, 64, -64, -65, math.MaxInt32, math.MinInt32, math.MaxInt64, math.MinInt64} {
		b := AppendInt64(nil, v)
		got, n, err := DecodeInt64(b)
		if err != nil || got != v || n != len(b) {
			t.Errorf("%d: got (%d, %d, %v) from % x", v, got, n, err, b)
		}
	}
	for _, v := range []uint64{0, 1, 127, 128, math.MaxUint32, math.MaxUint64} {
		b := AppendUint64(nil, v)
		got, n, err := DecodeUint64(b)
		if err != nil || got != v || n != len(b) {
			t.Errorf("%d: got (%d, %d, %v) from % x", v, got, n, err, b)
		}
	}
}

func TestDecodeInt33(t *testing.T) {
	// -64 (0x40) is the empty block type; a 33-bit value may use 5 bytes.
	if v, _, err := DecodeInt33([]byte{0x40}); err != nil || v != -64 {
		t.Fatalf("got %d, %v", v, err)
	}
	if v, _, err := DecodeInt33([]byte{0xff, 0xff, 0xff, 0xff, 0x0f}); err != nil || v != 0xffffffff {
		t.Fatalf("got %d, %v", v, err)
	}
	if _, _, err := DecodeInt33([]byte{0xff, 0xff, 0xff, 0xff, 0x1f}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte{0x80, 0x80, 0x80, 0x80, 0x78})
	f.Fuzz(func(t *testing.T, b []byte) {
		if v, n, err := DecodeInt64(b); err == nil {
			if got, _, _ := DecodeInt64(AppendInt64(nil, v)); got != v || n > 10 {
				t.Fatalf("round trip %d", v)
			}
		}
		DecodeInt32(b)
		DecodeInt33(b)
		DecodeUint32(b)
		DecodeUint64(b)
	})
}
