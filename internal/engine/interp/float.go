package interp

import (
	"math"
	"math/bits"
)

// Floating-point operations whose WebAssembly semantics differ from Go's
// or from the hardware's defaults. Values are bit patterns throughout, so
// NaN payloads and signs are exactly what the spec allows.
// See https://www.w3.org/TR/wasm-core-2/#floating-point-operations%E2%91%A0

const (
	f32Quiet = 1 << 22
	f64Quiet = 1 << 51
)

func f32(v uint64) float32 { return math.Float32frombits(uint32(v)) }
func f64(v uint64) float64 { return math.Float64frombits(v) }
func b32(f float32) uint64 { return uint64(math.Float32bits(f)) }
func b64(f float64) uint64 { return math.Float64bits(f) }

func isNaN32(x uint32) bool { return x&0x7fffffff > 0x7f800000 }
func isNaN64(x uint64) bool { return x&0x7fffffffffffffff > 0x7ff0000000000000 }

// fmin32 is f32.min: a NaN operand gives a NaN (quieted: canonical stays
// canonical), and -0 is below +0.
func fmin32(x, y uint32) uint32 {
	switch {
	case isNaN32(x):
		return x | f32Quiet
	case isNaN32(y):
		return y | f32Quiet
	}
	fx, fy := math.Float32frombits(x), math.Float32frombits(y)
	switch {
	case fx < fy:
		return x
	case fy < fx:
		return y
	}
	return x | y // equal: only ±0 differ, and the sign bit wins
}

func fmax32(x, y uint32) uint32 {
	switch {
	case isNaN32(x):
		return x | f32Quiet
	case isNaN32(y):
		return y | f32Quiet
	}
	fx, fy := math.Float32frombits(x), math.Float32frombits(y)
	switch {
	case fx > fy:
		return x
	case fy > fx:
		return y
	}
	return x & y // equal: +0 wins over -0
}

func fmin64(x, y uint64) uint64 {
	switch {
	case isNaN64(x):
		return x | f64Quiet
	case isNaN64(y):
		return y | f64Quiet
	}
	fx, fy := math.Float64frombits(x), math.Float64frombits(y)
	switch {
	case fx < fy:
		return x
	case fy < fx:
		return y
	}
	return x | y
}

func fmax64(x, y uint64) uint64 {
	switch {
	case isNaN64(x):
		return x | f64Quiet
	case isNaN64(y):
		return y | f64Quiet
	}
	fx, fy := math.Float64frombits(x), math.Float64frombits(y)
	switch {
	case fx > fy:
		return x
	case fy > fx:
		return y
	}
	return x & y
}

// round32 applies a float64 rounding function to an f32. Every f32 is
// exact in float64 and the rounded integer is again an f32, so this is
// exact; a NaN comes back quieted.
func round32(x uint32, f func(float64) float64) uint32 {
	if isNaN32(x) {
		return x | f32Quiet
	}
	return math.Float32bits(float32(f(float64(math.Float32frombits(x)))))
}

func round64(x uint64, f func(float64) float64) uint64 {
	if isNaN64(x) {
		return x | f64Quiet
	}
	return math.Float64bits(f(math.Float64frombits(x)))
}

func sqrt32(x uint32) uint32 {
	if isNaN32(x) {
		return x | f32Quiet
	}
	// The double-precision root of a single rounds correctly to single.
	return math.Float32bits(float32(math.Sqrt(float64(math.Float32frombits(x)))))
}

func sqrt64(x uint64) uint64 {
	if isNaN64(x) {
		return x | f64Quiet
	}
	return math.Float64bits(math.Sqrt(math.Float64frombits(x)))
}

// Truncations to integers. ok is false for NaN (invalid conversion);
// inRange is false when the truncated value does not fit (overflow).

func truncS32(x float64) (v uint64, nan, ovf bool) {
	if x != x {
		return 0, true, false
	}
	if x <= -2147483649 || x >= 2147483648 {
		return 0, false, true
	}
	return uint64(uint32(int32(x))), false, false
}

func truncU32(x float64) (v uint64, nan, ovf bool) {
	if x != x {
		return 0, true, false
	}
	if x <= -1 || x >= 4294967296 {
		return 0, false, true
	}
	return uint64(uint32(x)), false, false
}

func truncS64(x float64) (v uint64, nan, ovf bool) {
	if x != x {
		return 0, true, false
	}
	if x < -9223372036854775808 || x >= 9223372036854775808 {
		return 0, false, true
	}
	return uint64(int64(x)), false, false
}

func truncU64(x float64) (v uint64, nan, ovf bool) {
	if x != x {
		return 0, true, false
	}
	if x <= -1 || x >= 18446744073709551616 {
		return 0, false, true
	}
	return uint64(x), false, false
}

// Saturating truncations: NaN is 0, out-of-range values clamp.

func satS32(x float64) uint64 {
	switch {
	case x != x:
		return 0
	case x <= math.MinInt32:
		return 0x80000000
	case x >= math.MaxInt32:
		return math.MaxInt32
	}
	return uint64(uint32(int32(x)))
}

func satU32(x float64) uint64 {
	switch {
	case x != x || x <= 0:
		return 0
	case x >= math.MaxUint32:
		return math.MaxUint32
	}
	return uint64(uint32(x))
}

func satS64(x float64) uint64 {
	switch {
	case x != x:
		return 0
	case x <= math.MinInt64:
		return 1 << 63
	case x >= math.MaxInt64:
		return math.MaxInt64
	}
	return uint64(int64(x))
}

func satU64(x float64) uint64 {
	switch {
	case x != x || x <= 0:
		return 0
	case x >= math.MaxUint64:
		return math.MaxUint64
	}
	return uint64(x)
}

func rotl32(x, k uint64) uint64 { return uint64(bits.RotateLeft32(uint32(x), int(k&31))) }
func rotr32(x, k uint64) uint64 { return uint64(bits.RotateLeft32(uint32(x), -int(k&31))) }
func rotl64(x, k uint64) uint64 { return bits.RotateLeft64(x, int(k&63)) }
func rotr64(x, k uint64) uint64 { return bits.RotateLeft64(x, -int(k&63)) }
