package api

import "math"

// The uint64 encoding of values: i32 and f32 use the low 32 bits (the
// upper bits are zero in results and ignored in parameters), f32 and f64
// are their IEEE 754 bit patterns, so NaN payloads survive the trip.
// References are opaque: 0 is null.

// EncodeI32 encodes an i32.
func EncodeI32(v int32) uint64 { return uint64(uint32(v)) }

// DecodeI32 decodes an i32.
func DecodeI32(v uint64) int32 { return int32(uint32(v)) }

// EncodeU32 encodes an unsigned i32.
func EncodeU32(v uint32) uint64 { return uint64(v) }

// DecodeU32 decodes an unsigned i32.
func DecodeU32(v uint64) uint32 { return uint32(v) }

// EncodeI64 encodes an i64.
func EncodeI64(v int64) uint64 { return uint64(v) }

// EncodeF32 encodes an f32 as its bit pattern.
func EncodeF32(v float32) uint64 { return uint64(math.Float32bits(v)) }

// DecodeF32 decodes an f32 from its bit pattern.
func DecodeF32(v uint64) float32 { return math.Float32frombits(uint32(v)) }

// EncodeF64 encodes an f64 as its bit pattern.
func EncodeF64(v float64) uint64 { return math.Float64bits(v) }

// DecodeF64 decodes an f64 from its bit pattern.
func DecodeF64(v uint64) float64 { return math.Float64frombits(v) }
