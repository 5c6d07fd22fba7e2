package spectest

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// externOffset separates the script's extern references from null: the
// script's (ref.extern n) is the host value n+1, so (ref.extern 0) is
// not the null reference 0.
const externOffset = 1

func laneBits(laneType string) (int, error) {
	switch laneType {
	case "i8":
		return 8, nil
	case "i16":
		return 16, nil
	case "i32", "f32":
		return 32, nil
	case "i64", "f64":
		return 64, nil
	}
	return 0, fmt.Errorf("unknown lane type %q", laneType)
}

// encode converts an argument to its slots.
func encode(v value) ([]uint64, error) {
	s := v.scalar()
	switch v.Type {
	case "i32", "f32":
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%s value %q: %w", v.Type, s, err)
		}
		return []uint64{n}, nil
	case "i64", "f64":
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s value %q: %w", v.Type, s, err)
		}
		return []uint64{n}, nil
	case "funcref", "externref":
		if s == "null" {
			return []uint64{0}, nil
		}
		if v.Type == "funcref" {
			return nil, fmt.Errorf("non-null funcref argument %q is not supported", s)
		}
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("externref value %q: %w", s, err)
		}
		return []uint64{n + externOffset}, nil
	case "v128":
		lanes, err := v.lanes()
		if err != nil {
			return nil, err
		}
		w, err := laneBits(v.LaneType)
		if err != nil {
			return nil, err
		}
		var b [16]byte
		for i, l := range lanes {
			n, err := strconv.ParseUint(l, 10, w)
			if err != nil {
				return nil, fmt.Errorf("v128 lane %q: %w", l, err)
			}
			putLane(b[:], i, w, n)
		}
		return []uint64{binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])}, nil
	}
	return nil, fmt.Errorf("unknown value type %q", v.Type)
}

func putLane(b []byte, i, w int, n uint64) {
	off := i * w / 8
	for k := 0; k < w/8; k++ {
		b[off+k] = byte(n >> (8 * k))
	}
}

func getLane(b []byte, i, w int) uint64 {
	off := i * w / 8
	var n uint64
	for k := 0; k < w/8; k++ {
		n |= uint64(b[off+k]) << (8 * k)
	}
	return n
}

// slots is how many result slots a value of type t takes.
func slots(t string) int {
	if t == "v128" {
		return 2
	}
	return 1
}

// matchScalar compares bits of width w (32 or 64) against an expected
// scalar: exact bits, or a NaN pattern for floats.
func matchScalar(exp string, bits uint64, w int, float bool) (bool, error) {
	if float && strings.HasPrefix(exp, "nan:") {
		var quiet, expMask, fracMask uint64
		if w == 32 {
			bits &= 0xffffffff
			quiet, expMask, fracMask = 1<<22, 0x7f800000, 1<<23-1
		} else {
			quiet, expMask, fracMask = 1<<51, 0x7ff0000000000000, 1<<52-1
		}
		isNaN := bits&expMask == expMask && bits&fracMask != 0
		switch exp {
		case "nan:canonical":
			return isNaN && bits&fracMask == quiet, nil
		case "nan:arithmetic":
			return isNaN && bits&quiet != 0, nil
		}
		return false, fmt.Errorf("unknown NaN pattern %q", exp)
	}
	n, err := strconv.ParseUint(exp, 10, w)
	if err != nil {
		return false, fmt.Errorf("expected value %q: %w", exp, err)
	}
	if w == 32 {
		return uint32(bits) == uint32(n) && (float || bits>>32 == 0), nil
	}
	return bits == n, nil
}

// match compares a result (its slots) against an expected value.
func match(exp value, got []uint64) (bool, error) {
	s := exp.scalar()
	switch exp.Type {
	case "i32":
		return matchScalar(s, got[0], 32, false)
	case "f32":
		return matchScalar(s, got[0], 32, true)
	case "i64":
		return matchScalar(s, got[0], 64, false)
	case "f64":
		return matchScalar(s, got[0], 64, true)
	case "funcref":
		switch s {
		case "":
			return got[0] != 0, nil // any non-null reference
		case "null":
			return got[0] == 0, nil
		}
		return false, fmt.Errorf("non-null funcref expectation %q is not supported", s)
	case "externref":
		switch s {
		case "":
			return got[0] != 0, nil
		case "null":
			return got[0] == 0, nil
		}
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return false, fmt.Errorf("externref value %q: %w", s, err)
		}
		return got[0] == n+externOffset, nil
	case "v128":
		lanes, err := exp.lanes()
		if err != nil {
			return false, err
		}
		w, err := laneBits(exp.LaneType)
		if err != nil {
			return false, err
		}
		var b [16]byte
		binary.LittleEndian.PutUint64(b[:8], got[0])
		binary.LittleEndian.PutUint64(b[8:], got[1])
		float := exp.LaneType[0] == 'f'
		for i, l := range lanes {
			ok, err := matchScalar(l, getLane(b[:], i, w), w, float)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	}
	return false, fmt.Errorf("unknown value type %q", exp.Type)
}

// format shows a result as the script would write it.
func format(t, laneType string, got []uint64) string {
	switch t {
	case "i32":
		return fmt.Sprintf("i32:%d", uint32(got[0]))
	case "i64":
		return fmt.Sprintf("i64:%d", got[0])
	case "f32":
		return fmt.Sprintf("f32:%d (%v)", uint32(got[0]), math.Float32frombits(uint32(got[0])))
	case "f64":
		return fmt.Sprintf("f64:%d (%v)", got[0], math.Float64frombits(got[0]))
	case "funcref", "externref":
		if got[0] == 0 {
			return t + ":null"
		}
		if t == "externref" {
			return fmt.Sprintf("externref:%d", got[0]-externOffset)
		}
		return "funcref:non-null"
	case "v128":
		var b [16]byte
		binary.LittleEndian.PutUint64(b[:8], got[0])
		binary.LittleEndian.PutUint64(b[8:], got[1])
		w, err := laneBits(laneType)
		if err != nil {
			w = 32
		}
		parts := make([]string, 0, 128/w)
		for i := 0; i < 128/w; i++ {
			parts = append(parts, strconv.FormatUint(getLane(b[:], i, w), 10))
		}
		return fmt.Sprintf("v128:%s[%s]", laneType, strings.Join(parts, " "))
	}
	return fmt.Sprint(got)
}

// formatExpected shows an expected value.
func formatExpected(v value) string {
	if v.Type == "v128" {
		lanes, _ := v.lanes()
		return fmt.Sprintf("v128:%s[%s]", v.LaneType, strings.Join(lanes, " "))
	}
	if s := v.scalar(); s != "" {
		return v.Type + ":" + s
	}
	return v.Type + ":non-null"
}
