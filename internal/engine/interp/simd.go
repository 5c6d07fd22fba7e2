package interp

import (
	"encoding/binary"
	"math"
	"math/bits"
	"unsafe"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/engine/ir"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// SIMD instructions run out of the main loop: they are rare in the code
// the interpreter is tuned for, and keeping them apart keeps the hot
// switch small. A v128 is two slots, low half first, and is handled here
// as 16 little-endian bytes.
// See https://www.w3.org/TR/wasm-core-2/#vector-instructions%E2%91%A0

type v128 [16]byte

func getV(fp unsafe.Pointer, i uint32) (v v128) {
	binary.LittleEndian.PutUint64(v[:8], *sl(fp, i))
	binary.LittleEndian.PutUint64(v[8:], *sl(fp, i+1))
	return v
}

func setV(fp unsafe.Pointer, i uint32, v v128) {
	*sl(fp, i) = binary.LittleEndian.Uint64(v[:8])
	*sl(fp, i+1) = binary.LittleEndian.Uint64(v[8:])
}

func (v *v128) u16(i int) uint16      { return binary.LittleEndian.Uint16(v[2*i:]) }
func (v *v128) u32(i int) uint32      { return binary.LittleEndian.Uint32(v[4*i:]) }
func (v *v128) u64(i int) uint64      { return binary.LittleEndian.Uint64(v[8*i:]) }
func (v *v128) set16(i int, x uint16) { binary.LittleEndian.PutUint16(v[2*i:], x) }
func (v *v128) set32(i int, x uint32) { binary.LittleEndian.PutUint32(v[4*i:], x) }
func (v *v128) set64(i int, x uint64) { binary.LittleEndian.PutUint64(v[8*i:], x) }

// Lane-wise helpers. f receives and returns lane bits.
func map8(a v128, f func(x uint8) uint8) (r v128) {
	for i := range 16 {
		r[i] = f(a[i])
	}
	return r
}

func map16(a v128, f func(x uint16) uint16) (r v128) {
	for i := range 8 {
		r.set16(i, f(a.u16(i)))
	}
	return r
}

func map32(a v128, f func(x uint32) uint32) (r v128) {
	for i := range 4 {
		r.set32(i, f(a.u32(i)))
	}
	return r
}

func map64(a v128, f func(x uint64) uint64) (r v128) {
	for i := range 2 {
		r.set64(i, f(a.u64(i)))
	}
	return r
}

func zip8(a, b v128, f func(x, y uint8) uint8) (r v128) {
	for i := range 16 {
		r[i] = f(a[i], b[i])
	}
	return r
}

func zip16(a, b v128, f func(x, y uint16) uint16) (r v128) {
	for i := range 8 {
		r.set16(i, f(a.u16(i), b.u16(i)))
	}
	return r
}

func zip32(a, b v128, f func(x, y uint32) uint32) (r v128) {
	for i := range 4 {
		r.set32(i, f(a.u32(i), b.u32(i)))
	}
	return r
}

func zip64(a, b v128, f func(x, y uint64) uint64) (r v128) {
	for i := range 2 {
		r.set64(i, f(a.u64(i), b.u64(i)))
	}
	return r
}

// mask turns a lane predicate into all ones or zero.
func mask8(b bool) uint8 {
	if b {
		return 0xff
	}
	return 0
}

func mask16(b bool) uint16 {
	if b {
		return 0xffff
	}
	return 0
}

func mask32(b bool) uint32 {
	if b {
		return 0xffffffff
	}
	return 0
}

func mask64(b bool) uint64 {
	if b {
		return math.MaxUint64
	}
	return 0
}

func sat8s(x int32) uint8 { return uint8(int8(min(max(x, math.MinInt8), math.MaxInt8))) }
func sat8u(x int32) uint8 { return uint8(min(max(x, 0), math.MaxUint8)) }
func sat16s(x int32) uint16 {
	return uint16(int16(min(max(x, math.MinInt16), math.MaxInt16)))
}
func sat16u(x int32) uint16 { return uint16(min(max(x, 0), math.MaxUint16)) }

func fl32(x uint32) float32 { return math.Float32frombits(x) }
func fb32(f float32) uint32 { return math.Float32bits(f) }
func fl64(x uint64) float64 { return math.Float64frombits(x) }
func fb64(f float64) uint64 { return math.Float64bits(f) }

// simd executes one SIMD instruction and returns a trap kind, or 0.
func simd(in *ir.Instr, fn *ir.Func, fp unsafe.Pointer, memBase unsafe.Pointer, memLen uint64) api.TrapKind {
	op := wasm.Opcode(in.Op-ir.OpSIMD) | 0xfd00
	// Memory instructions first: they are the only ones that trap.
	switch op {
	case wasm.OpV128Load, wasm.OpV128Load8x8S, wasm.OpV128Load8x8U, wasm.OpV128Load16x4S,
		wasm.OpV128Load16x4U, wasm.OpV128Load32x2S, wasm.OpV128Load32x2U, wasm.OpV128Load8Splat,
		wasm.OpV128Load16Splat, wasm.OpV128Load32Splat, wasm.OpV128Load64Splat, wasm.OpV128Load32Zero,
		wasm.OpV128Load64Zero:
		return simdLoad(op, in, fp, memBase, memLen)
	case wasm.OpV128Store:
		ea := uint64(uint32(*sl(fp, in.B))) + in.Imm
		if ea+16 > memLen {
			return api.TrapOutOfBoundsMemory
		}
		v := getV(fp, in.C)
		copy(unsafe.Slice((*byte)(unsafe.Add(memBase, uintptr(ea))), 16), v[:])
		return 0
	case wasm.OpV128Load8Lane, wasm.OpV128Load16Lane, wasm.OpV128Load32Lane, wasm.OpV128Load64Lane,
		wasm.OpV128Store8Lane, wasm.OpV128Store16Lane, wasm.OpV128Store32Lane, wasm.OpV128Store64Lane:
		return simdLane(op, in, fp, memBase, memLen)
	}

	switch op {
	case wasm.OpI8x16Shuffle:
		a, b := getV(fp, in.B), getV(fp, in.C)
		var r v128
		for i, l := range fn.Shuffles[in.Imm] {
			if l < 16 {
				r[i] = a[l]
			} else {
				r[i] = b[l&15]
			}
		}
		setV(fp, in.A, r)
		return 0
	case wasm.OpI8x16Swizzle:
		a, s := getV(fp, in.B), getV(fp, in.C)
		var r v128
		for i, l := range s {
			if l < 16 {
				r[i] = a[l]
			}
		}
		setV(fp, in.A, r)
		return 0
	}

	// Scalar-producing and scalar-taking instructions.
	switch op {
	case wasm.OpI8x16Splat:
		x := uint8(*sl(fp, in.B))
		setV(fp, in.A, map8(v128{}, func(uint8) uint8 { return x }))
		return 0
	case wasm.OpI16x8Splat:
		x := uint16(*sl(fp, in.B))
		setV(fp, in.A, map16(v128{}, func(uint16) uint16 { return x }))
		return 0
	case wasm.OpI32x4Splat, wasm.OpF32x4Splat:
		x := uint32(*sl(fp, in.B))
		setV(fp, in.A, map32(v128{}, func(uint32) uint32 { return x }))
		return 0
	case wasm.OpI64x2Splat, wasm.OpF64x2Splat:
		x := *sl(fp, in.B)
		*sl(fp, in.A), *sl(fp, in.A+1) = x, x
		return 0
	case wasm.OpI8x16ExtractLaneS:
		v := getV(fp, in.B)
		*sl(fp, in.A) = uint64(uint32(int32(int8(v[in.Imm&15]))))
		return 0
	case wasm.OpI8x16ExtractLaneU:
		v := getV(fp, in.B)
		*sl(fp, in.A) = uint64(v[in.Imm&15])
		return 0
	case wasm.OpI16x8ExtractLaneS:
		v := getV(fp, in.B)
		*sl(fp, in.A) = uint64(uint32(int32(int16(v.u16(int(in.Imm & 7))))))
		return 0
	case wasm.OpI16x8ExtractLaneU:
		v := getV(fp, in.B)
		*sl(fp, in.A) = uint64(v.u16(int(in.Imm & 7)))
		return 0
	case wasm.OpI32x4ExtractLane, wasm.OpF32x4ExtractLane:
		v := getV(fp, in.B)
		*sl(fp, in.A) = uint64(v.u32(int(in.Imm & 3)))
		return 0
	case wasm.OpI64x2ExtractLane, wasm.OpF64x2ExtractLane:
		*sl(fp, in.A) = *sl(fp, in.B+uint32(in.Imm&1))
		return 0
	case wasm.OpI8x16ReplaceLane:
		v := getV(fp, in.B)
		v[in.Imm&15] = uint8(*sl(fp, in.C))
		setV(fp, in.A, v)
		return 0
	case wasm.OpI16x8ReplaceLane:
		v := getV(fp, in.B)
		v.set16(int(in.Imm&7), uint16(*sl(fp, in.C)))
		setV(fp, in.A, v)
		return 0
	case wasm.OpI32x4ReplaceLane, wasm.OpF32x4ReplaceLane:
		v := getV(fp, in.B)
		v.set32(int(in.Imm&3), uint32(*sl(fp, in.C)))
		setV(fp, in.A, v)
		return 0
	case wasm.OpI64x2ReplaceLane, wasm.OpF64x2ReplaceLane:
		v := getV(fp, in.B)
		v.set64(int(in.Imm&1), *sl(fp, in.C))
		setV(fp, in.A, v)
		return 0
	case wasm.OpV128AnyTrue:
		*sl(fp, in.A) = b2u(*sl(fp, in.B)|*sl(fp, in.B+1) != 0)
		return 0
	case wasm.OpI8x16AllTrue, wasm.OpI16x8AllTrue, wasm.OpI32x4AllTrue, wasm.OpI64x2AllTrue:
		v := getV(fp, in.B)
		w := laneBytes(op)
		all := true
		for i := 0; i < 16; i += w {
			nz := false
			for k := 0; k < w; k++ {
				nz = nz || v[i+k] != 0
			}
			all = all && nz
		}
		*sl(fp, in.A) = b2u(all)
		return 0
	case wasm.OpI8x16Bitmask, wasm.OpI16x8Bitmask, wasm.OpI32x4Bitmask, wasm.OpI64x2Bitmask:
		v := getV(fp, in.B)
		w := laneBytes(op)
		var m uint64
		for i := 0; i < 16/w; i++ {
			m |= uint64(v[i*w+w-1]>>7) << i
		}
		*sl(fp, in.A) = m
		return 0
	case wasm.OpI8x16Shl, wasm.OpI8x16ShrS, wasm.OpI8x16ShrU, wasm.OpI16x8Shl, wasm.OpI16x8ShrS,
		wasm.OpI16x8ShrU, wasm.OpI32x4Shl, wasm.OpI32x4ShrS, wasm.OpI32x4ShrU, wasm.OpI64x2Shl,
		wasm.OpI64x2ShrS, wasm.OpI64x2ShrU:
		setV(fp, in.A, simdShift(op, getV(fp, in.B), uint32(*sl(fp, in.C))))
		return 0
	case wasm.OpV128Bitselect:
		a, b, c := getV(fp, in.B), getV(fp, in.C), getV(fp, uint32(in.Imm))
		var r v128
		for i := range r {
			r[i] = a[i]&c[i] | b[i]&^c[i]
		}
		setV(fp, in.A, r)
		return 0
	}

	// The rest take one or two vectors and produce one.
	a := getV(fp, in.B)
	var b v128
	if sig := op.Signature(); len(sig.Params) == 2 {
		b = getV(fp, in.C)
	}
	r, ok := simdBinary(op, a, b)
	if !ok {
		r, ok = simdUnary(op, a)
	}
	if !ok {
		return api.TrapInternal
	}
	setV(fp, in.A, r)
	return 0
}

// laneBytes is the lane width of the lane-wise instructions that need it
// at run time (all_true, bitmask, the lane loads and stores).
func laneBytes(op wasm.Opcode) int {
	switch op {
	case wasm.OpI8x16AllTrue, wasm.OpI8x16Bitmask, wasm.OpV128Load8Lane, wasm.OpV128Store8Lane:
		return 1
	case wasm.OpI16x8AllTrue, wasm.OpI16x8Bitmask, wasm.OpV128Load16Lane, wasm.OpV128Store16Lane:
		return 2
	case wasm.OpI32x4AllTrue, wasm.OpI32x4Bitmask, wasm.OpV128Load32Lane, wasm.OpV128Store32Lane:
		return 4
	}
	return 8
}

func simdLoad(op wasm.Opcode, in *ir.Instr, fp unsafe.Pointer, memBase unsafe.Pointer, memLen uint64) api.TrapKind {
	var n uint64
	switch op {
	case wasm.OpV128Load:
		n = 16
	case wasm.OpV128Load8Splat:
		n = 1
	case wasm.OpV128Load16Splat:
		n = 2
	case wasm.OpV128Load32Splat, wasm.OpV128Load32Zero:
		n = 4
	default: // the 8-byte loads: extending, 64-bit splat and zero
		n = 8
	}
	ea := uint64(uint32(*sl(fp, in.B))) + in.Imm
	if ea+n > memLen {
		return api.TrapOutOfBoundsMemory
	}
	m := unsafe.Slice((*byte)(unsafe.Add(memBase, uintptr(ea))), n)
	var r v128
	switch op {
	case wasm.OpV128Load:
		copy(r[:], m)
	case wasm.OpV128Load8x8S:
		for i := range 8 {
			r.set16(i, uint16(int16(int8(m[i]))))
		}
	case wasm.OpV128Load8x8U:
		for i := range 8 {
			r.set16(i, uint16(m[i]))
		}
	case wasm.OpV128Load16x4S:
		for i := range 4 {
			r.set32(i, uint32(int32(int16(binary.LittleEndian.Uint16(m[2*i:])))))
		}
	case wasm.OpV128Load16x4U:
		for i := range 4 {
			r.set32(i, uint32(binary.LittleEndian.Uint16(m[2*i:])))
		}
	case wasm.OpV128Load32x2S:
		for i := range 2 {
			r.set64(i, uint64(int64(int32(binary.LittleEndian.Uint32(m[4*i:])))))
		}
	case wasm.OpV128Load32x2U:
		for i := range 2 {
			r.set64(i, uint64(binary.LittleEndian.Uint32(m[4*i:])))
		}
	case wasm.OpV128Load8Splat, wasm.OpV128Load16Splat, wasm.OpV128Load32Splat, wasm.OpV128Load64Splat:
		for i := 0; i < 16; i += int(n) {
			copy(r[i:], m)
		}
	case wasm.OpV128Load32Zero, wasm.OpV128Load64Zero:
		copy(r[:], m)
	}
	setV(fp, in.A, r)
	return 0
}

func simdLane(op wasm.Opcode, in *ir.Instr, fp unsafe.Pointer, memBase unsafe.Pointer, memLen uint64) api.TrapKind {
	n := uint64(laneBytes(op))
	ea := uint64(uint32(*sl(fp, in.B))) + uint64(uint32(in.Imm))
	if ea+n > memLen {
		return api.TrapOutOfBoundsMemory
	}
	m := unsafe.Slice((*byte)(unsafe.Add(memBase, uintptr(ea))), n)
	lane := int(in.Imm>>32) % int(16/n)
	v := getV(fp, in.C)
	switch op {
	case wasm.OpV128Load8Lane, wasm.OpV128Load16Lane, wasm.OpV128Load32Lane, wasm.OpV128Load64Lane:
		copy(v[lane*int(n):], m)
		setV(fp, in.A, v)
	default:
		copy(m, v[lane*int(n):lane*int(n)+int(n)])
	}
	return 0
}

func simdShift(op wasm.Opcode, a v128, k uint32) v128 {
	switch op {
	case wasm.OpI8x16Shl:
		return map8(a, func(x uint8) uint8 { return x << (k & 7) })
	case wasm.OpI8x16ShrS:
		return map8(a, func(x uint8) uint8 { return uint8(int8(x) >> (k & 7)) })
	case wasm.OpI8x16ShrU:
		return map8(a, func(x uint8) uint8 { return x >> (k & 7) })
	case wasm.OpI16x8Shl:
		return map16(a, func(x uint16) uint16 { return x << (k & 15) })
	case wasm.OpI16x8ShrS:
		return map16(a, func(x uint16) uint16 { return uint16(int16(x) >> (k & 15)) })
	case wasm.OpI16x8ShrU:
		return map16(a, func(x uint16) uint16 { return x >> (k & 15) })
	case wasm.OpI32x4Shl:
		return map32(a, func(x uint32) uint32 { return x << (k & 31) })
	case wasm.OpI32x4ShrS:
		return map32(a, func(x uint32) uint32 { return uint32(int32(x) >> (k & 31)) })
	case wasm.OpI32x4ShrU:
		return map32(a, func(x uint32) uint32 { return x >> (k & 31) })
	case wasm.OpI64x2Shl:
		return map64(a, func(x uint64) uint64 { return x << (k & 63) })
	case wasm.OpI64x2ShrS:
		return map64(a, func(x uint64) uint64 { return uint64(int64(x) >> (k & 63)) })
	}
	return map64(a, func(x uint64) uint64 { return x >> (k & 63) })
}

// simdBinary computes the two-vector instructions; ok is false for an
// opcode it does not handle.
func simdBinary(op wasm.Opcode, a, b v128) (v128, bool) {
	switch op {
	case wasm.OpV128And:
		return zip64(a, b, func(x, y uint64) uint64 { return x & y }), true
	case wasm.OpV128Andnot:
		return zip64(a, b, func(x, y uint64) uint64 { return x &^ y }), true
	case wasm.OpV128Or:
		return zip64(a, b, func(x, y uint64) uint64 { return x | y }), true
	case wasm.OpV128Xor:
		return zip64(a, b, func(x, y uint64) uint64 { return x ^ y }), true

	case wasm.OpI8x16Eq:
		return zip8(a, b, func(x, y uint8) uint8 { return mask8(x == y) }), true
	case wasm.OpI8x16Ne:
		return zip8(a, b, func(x, y uint8) uint8 { return mask8(x != y) }), true
	case wasm.OpI8x16LtS:
		return zip8(a, b, func(x, y uint8) uint8 { return mask8(int8(x) < int8(y)) }), true
	case wasm.OpI8x16LtU:
		return zip8(a, b, func(x, y uint8) uint8 { return mask8(x < y) }), true
	case wasm.OpI8x16GtS:
		return zip8(a, b, func(x, y uint8) uint8 { return mask8(int8(x) > int8(y)) }), true
	case wasm.OpI8x16GtU:
		return zip8(a, b, func(x, y uint8) uint8 { return mask8(x > y) }), true
	case wasm.OpI8x16LeS:
		return zip8(a, b, func(x, y uint8) uint8 { return mask8(int8(x) <= int8(y)) }), true
	case wasm.OpI8x16LeU:
		return zip8(a, b, func(x, y uint8) uint8 { return mask8(x <= y) }), true
	case wasm.OpI8x16GeS:
		return zip8(a, b, func(x, y uint8) uint8 { return mask8(int8(x) >= int8(y)) }), true
	case wasm.OpI8x16GeU:
		return zip8(a, b, func(x, y uint8) uint8 { return mask8(x >= y) }), true
	case wasm.OpI16x8Eq:
		return zip16(a, b, func(x, y uint16) uint16 { return mask16(x == y) }), true
	case wasm.OpI16x8Ne:
		return zip16(a, b, func(x, y uint16) uint16 { return mask16(x != y) }), true
	case wasm.OpI16x8LtS:
		return zip16(a, b, func(x, y uint16) uint16 { return mask16(int16(x) < int16(y)) }), true
	case wasm.OpI16x8LtU:
		return zip16(a, b, func(x, y uint16) uint16 { return mask16(x < y) }), true
	case wasm.OpI16x8GtS:
		return zip16(a, b, func(x, y uint16) uint16 { return mask16(int16(x) > int16(y)) }), true
	case wasm.OpI16x8GtU:
		return zip16(a, b, func(x, y uint16) uint16 { return mask16(x > y) }), true
	case wasm.OpI16x8LeS:
		return zip16(a, b, func(x, y uint16) uint16 { return mask16(int16(x) <= int16(y)) }), true
	case wasm.OpI16x8LeU:
		return zip16(a, b, func(x, y uint16) uint16 { return mask16(x <= y) }), true
	case wasm.OpI16x8GeS:
		return zip16(a, b, func(x, y uint16) uint16 { return mask16(int16(x) >= int16(y)) }), true
	case wasm.OpI16x8GeU:
		return zip16(a, b, func(x, y uint16) uint16 { return mask16(x >= y) }), true
	case wasm.OpI32x4Eq:
		return zip32(a, b, func(x, y uint32) uint32 { return mask32(x == y) }), true
	case wasm.OpI32x4Ne:
		return zip32(a, b, func(x, y uint32) uint32 { return mask32(x != y) }), true
	case wasm.OpI32x4LtS:
		return zip32(a, b, func(x, y uint32) uint32 { return mask32(int32(x) < int32(y)) }), true
	case wasm.OpI32x4LtU:
		return zip32(a, b, func(x, y uint32) uint32 { return mask32(x < y) }), true
	case wasm.OpI32x4GtS:
		return zip32(a, b, func(x, y uint32) uint32 { return mask32(int32(x) > int32(y)) }), true
	case wasm.OpI32x4GtU:
		return zip32(a, b, func(x, y uint32) uint32 { return mask32(x > y) }), true
	case wasm.OpI32x4LeS:
		return zip32(a, b, func(x, y uint32) uint32 { return mask32(int32(x) <= int32(y)) }), true
	case wasm.OpI32x4LeU:
		return zip32(a, b, func(x, y uint32) uint32 { return mask32(x <= y) }), true
	case wasm.OpI32x4GeS:
		return zip32(a, b, func(x, y uint32) uint32 { return mask32(int32(x) >= int32(y)) }), true
	case wasm.OpI32x4GeU:
		return zip32(a, b, func(x, y uint32) uint32 { return mask32(x >= y) }), true
	case wasm.OpI64x2Eq:
		return zip64(a, b, func(x, y uint64) uint64 { return mask64(x == y) }), true
	case wasm.OpI64x2Ne:
		return zip64(a, b, func(x, y uint64) uint64 { return mask64(x != y) }), true
	case wasm.OpI64x2LtS:
		return zip64(a, b, func(x, y uint64) uint64 { return mask64(int64(x) < int64(y)) }), true
	case wasm.OpI64x2GtS:
		return zip64(a, b, func(x, y uint64) uint64 { return mask64(int64(x) > int64(y)) }), true
	case wasm.OpI64x2LeS:
		return zip64(a, b, func(x, y uint64) uint64 { return mask64(int64(x) <= int64(y)) }), true
	case wasm.OpI64x2GeS:
		return zip64(a, b, func(x, y uint64) uint64 { return mask64(int64(x) >= int64(y)) }), true

	case wasm.OpF32x4Eq:
		return zip32(a, b, func(x, y uint32) uint32 { return mask32(fl32(x) == fl32(y)) }), true
	case wasm.OpF32x4Ne:
		return zip32(a, b, func(x, y uint32) uint32 { return mask32(fl32(x) != fl32(y)) }), true
	case wasm.OpF32x4Lt:
		return zip32(a, b, func(x, y uint32) uint32 { return mask32(fl32(x) < fl32(y)) }), true
	case wasm.OpF32x4Gt:
		return zip32(a, b, func(x, y uint32) uint32 { return mask32(fl32(x) > fl32(y)) }), true
	case wasm.OpF32x4Le:
		return zip32(a, b, func(x, y uint32) uint32 { return mask32(fl32(x) <= fl32(y)) }), true
	case wasm.OpF32x4Ge:
		return zip32(a, b, func(x, y uint32) uint32 { return mask32(fl32(x) >= fl32(y)) }), true
	case wasm.OpF64x2Eq:
		return zip64(a, b, func(x, y uint64) uint64 { return mask64(fl64(x) == fl64(y)) }), true
	case wasm.OpF64x2Ne:
		return zip64(a, b, func(x, y uint64) uint64 { return mask64(fl64(x) != fl64(y)) }), true
	case wasm.OpF64x2Lt:
		return zip64(a, b, func(x, y uint64) uint64 { return mask64(fl64(x) < fl64(y)) }), true
	case wasm.OpF64x2Gt:
		return zip64(a, b, func(x, y uint64) uint64 { return mask64(fl64(x) > fl64(y)) }), true
	case wasm.OpF64x2Le:
		return zip64(a, b, func(x, y uint64) uint64 { return mask64(fl64(x) <= fl64(y)) }), true
	case wasm.OpF64x2Ge:
		return zip64(a, b, func(x, y uint64) uint64 { return mask64(fl64(x) >= fl64(y)) }), true

	case wasm.OpI8x16NarrowI16x8S, wasm.OpI8x16NarrowI16x8U:
		sat := sat8s
		if op == wasm.OpI8x16NarrowI16x8U {
			sat = sat8u
		}
		var r v128
		for i := range 8 {
			r[i] = sat(int32(int16(a.u16(i))))
			r[8+i] = sat(int32(int16(b.u16(i))))
		}
		return r, true
	case wasm.OpI16x8NarrowI32x4S, wasm.OpI16x8NarrowI32x4U:
		sat := sat16s
		if op == wasm.OpI16x8NarrowI32x4U {
			sat = sat16u
		}
		var r v128
		for i := range 4 {
			r.set16(i, sat(int32(a.u32(i))))
			r.set16(4+i, sat(int32(b.u32(i))))
		}
		return r, true

	case wasm.OpI8x16Add:
		return zip8(a, b, func(x, y uint8) uint8 { return x + y }), true
	case wasm.OpI8x16AddSatS:
		return zip8(a, b, func(x, y uint8) uint8 { return sat8s(int32(int8(x)) + int32(int8(y))) }), true
	case wasm.OpI8x16AddSatU:
		return zip8(a, b, func(x, y uint8) uint8 { return sat8u(int32(x) + int32(y)) }), true
	case wasm.OpI8x16Sub:
		return zip8(a, b, func(x, y uint8) uint8 { return x - y }), true
	case wasm.OpI8x16SubSatS:
		return zip8(a, b, func(x, y uint8) uint8 { return sat8s(int32(int8(x)) - int32(int8(y))) }), true
	case wasm.OpI8x16SubSatU:
		return zip8(a, b, func(x, y uint8) uint8 { return sat8u(int32(x) - int32(y)) }), true
	case wasm.OpI8x16MinS:
		return zip8(a, b, func(x, y uint8) uint8 { return uint8(min(int8(x), int8(y))) }), true
	case wasm.OpI8x16MinU:
		return zip8(a, b, func(x, y uint8) uint8 { return min(x, y) }), true
	case wasm.OpI8x16MaxS:
		return zip8(a, b, func(x, y uint8) uint8 { return uint8(max(int8(x), int8(y))) }), true
	case wasm.OpI8x16MaxU:
		return zip8(a, b, func(x, y uint8) uint8 { return max(x, y) }), true
	case wasm.OpI8x16AvgrU:
		return zip8(a, b, func(x, y uint8) uint8 { return uint8((uint16(x) + uint16(y) + 1) / 2) }), true

	case wasm.OpI16x8Add:
		return zip16(a, b, func(x, y uint16) uint16 { return x + y }), true
	case wasm.OpI16x8AddSatS:
		return zip16(a, b, func(x, y uint16) uint16 { return sat16s(int32(int16(x)) + int32(int16(y))) }), true
	case wasm.OpI16x8AddSatU:
		return zip16(a, b, func(x, y uint16) uint16 { return sat16u(int32(x) + int32(y)) }), true
	case wasm.OpI16x8Sub:
		return zip16(a, b, func(x, y uint16) uint16 { return x - y }), true
	case wasm.OpI16x8SubSatS:
		return zip16(a, b, func(x, y uint16) uint16 { return sat16s(int32(int16(x)) - int32(int16(y))) }), true
	case wasm.OpI16x8SubSatU:
		return zip16(a, b, func(x, y uint16) uint16 { return sat16u(int32(x) - int32(y)) }), true
	case wasm.OpI16x8Mul:
		return zip16(a, b, func(x, y uint16) uint16 { return x * y }), true
	case wasm.OpI16x8MinS:
		return zip16(a, b, func(x, y uint16) uint16 { return uint16(min(int16(x), int16(y))) }), true
	case wasm.OpI16x8MinU:
		return zip16(a, b, func(x, y uint16) uint16 { return min(x, y) }), true
	case wasm.OpI16x8MaxS:
		return zip16(a, b, func(x, y uint16) uint16 { return uint16(max(int16(x), int16(y))) }), true
	case wasm.OpI16x8MaxU:
		return zip16(a, b, func(x, y uint16) uint16 { return max(x, y) }), true
	case wasm.OpI16x8AvgrU:
		return zip16(a, b, func(x, y uint16) uint16 { return uint16((uint32(x) + uint32(y) + 1) / 2) }), true
	case wasm.OpI16x8Q15mulrSatS:
		return zip16(a, b, func(x, y uint16) uint16 {
			return sat16s((int32(int16(x))*int32(int16(y)) + 0x4000) >> 15)
		}), true
	case wasm.OpI16x8ExtmulLowI8x16S, wasm.OpI16x8ExtmulHighI8x16S, wasm.OpI16x8ExtmulLowI8x16U, wasm.OpI16x8ExtmulHighI8x16U:
		off := 0
		if op == wasm.OpI16x8ExtmulHighI8x16S || op == wasm.OpI16x8ExtmulHighI8x16U {
			off = 8
		}
		signed := op == wasm.OpI16x8ExtmulLowI8x16S || op == wasm.OpI16x8ExtmulHighI8x16S
		var r v128
		for i := range 8 {
			x, y := a[off+i], b[off+i]
			if signed {
				r.set16(i, uint16(int16(int8(x))*int16(int8(y))))
			} else {
				r.set16(i, uint16(x)*uint16(y))
			}
		}
		return r, true

	case wasm.OpI32x4Add:
		return zip32(a, b, func(x, y uint32) uint32 { return x + y }), true
	case wasm.OpI32x4Sub:
		return zip32(a, b, func(x, y uint32) uint32 { return x - y }), true
	case wasm.OpI32x4Mul:
		return zip32(a, b, func(x, y uint32) uint32 { return x * y }), true
	case wasm.OpI32x4MinS:
		return zip32(a, b, func(x, y uint32) uint32 { return uint32(min(int32(x), int32(y))) }), true
	case wasm.OpI32x4MinU:
		return zip32(a, b, func(x, y uint32) uint32 { return min(x, y) }), true
	case wasm.OpI32x4MaxS:
		return zip32(a, b, func(x, y uint32) uint32 { return uint32(max(int32(x), int32(y))) }), true
	case wasm.OpI32x4MaxU:
		return zip32(a, b, func(x, y uint32) uint32 { return max(x, y) }), true
	case wasm.OpI32x4DotI16x8S:
		var r v128
		for i := range 4 {
			p := int32(int16(a.u16(2*i)))*int32(int16(b.u16(2*i))) + int32(int16(a.u16(2*i+1)))*int32(int16(b.u16(2*i+1)))
			r.set32(i, uint32(p))
		}
		return r, true
	case wasm.OpI32x4ExtmulLowI16x8S, wasm.OpI32x4ExtmulHighI16x8S, wasm.OpI32x4ExtmulLowI16x8U, wasm.OpI32x4ExtmulHighI16x8U:
		off := 0
		if op == wasm.OpI32x4ExtmulHighI16x8S || op == wasm.OpI32x4ExtmulHighI16x8U {
			off = 4
		}
		signed := op == wasm.OpI32x4ExtmulLowI16x8S || op == wasm.OpI32x4ExtmulHighI16x8S
		var r v128
		for i := range 4 {
			x, y := a.u16(off+i), b.u16(off+i)
			if signed {
				r.set32(i, uint32(int32(int16(x))*int32(int16(y))))
			} else {
				r.set32(i, uint32(x)*uint32(y))
			}
		}
		return r, true

	case wasm.OpI64x2Add:
		return zip64(a, b, func(x, y uint64) uint64 { return x + y }), true
	case wasm.OpI64x2Sub:
		return zip64(a, b, func(x, y uint64) uint64 { return x - y }), true
	case wasm.OpI64x2Mul:
		return zip64(a, b, func(x, y uint64) uint64 { return x * y }), true
	case wasm.OpI64x2ExtmulLowI32x4S, wasm.OpI64x2ExtmulHighI32x4S, wasm.OpI64x2ExtmulLowI32x4U, wasm.OpI64x2ExtmulHighI32x4U:
		off := 0
		if op == wasm.OpI64x2ExtmulHighI32x4S || op == wasm.OpI64x2ExtmulHighI32x4U {
			off = 2
		}
		signed := op == wasm.OpI64x2ExtmulLowI32x4S || op == wasm.OpI64x2ExtmulHighI32x4S
		var r v128
		for i := range 2 {
			x, y := a.u32(off+i), b.u32(off+i)
			if signed {
				r.set64(i, uint64(int64(int32(x))*int64(int32(y))))
			} else {
				r.set64(i, uint64(x)*uint64(y))
			}
		}
		return r, true

	case wasm.OpF32x4Add:
		return zip32(a, b, func(x, y uint32) uint32 { return fb32(fl32(x) + fl32(y)) }), true
	case wasm.OpF32x4Sub:
		return zip32(a, b, func(x, y uint32) uint32 { return fb32(fl32(x) - fl32(y)) }), true
	case wasm.OpF32x4Mul:
		return zip32(a, b, func(x, y uint32) uint32 { return fb32(fl32(x) * fl32(y)) }), true
	case wasm.OpF32x4Div:
		return zip32(a, b, func(x, y uint32) uint32 { return fb32(fl32(x) / fl32(y)) }), true
	case wasm.OpF32x4Min:
		return zip32(a, b, fmin32), true
	case wasm.OpF32x4Max:
		return zip32(a, b, fmax32), true
	case wasm.OpF32x4Pmin:
		return zip32(a, b, func(x, y uint32) uint32 {
			if fl32(y) < fl32(x) {
				return y
			}
			return x
		}), true
	case wasm.OpF32x4Pmax:
		return zip32(a, b, func(x, y uint32) uint32 {
			if fl32(x) < fl32(y) {
				return y
			}
			return x
		}), true
	case wasm.OpF64x2Add:
		return zip64(a, b, func(x, y uint64) uint64 { return fb64(fl64(x) + fl64(y)) }), true
	case wasm.OpF64x2Sub:
		return zip64(a, b, func(x, y uint64) uint64 { return fb64(fl64(x) - fl64(y)) }), true
	case wasm.OpF64x2Mul:
		return zip64(a, b, func(x, y uint64) uint64 { return fb64(fl64(x) * fl64(y)) }), true
	case wasm.OpF64x2Div:
		return zip64(a, b, func(x, y uint64) uint64 { return fb64(fl64(x) / fl64(y)) }), true
	case wasm.OpF64x2Min:
		return zip64(a, b, fmin64), true
	case wasm.OpF64x2Max:
		return zip64(a, b, fmax64), true
	case wasm.OpF64x2Pmin:
		return zip64(a, b, func(x, y uint64) uint64 {
			if fl64(y) < fl64(x) {
				return y
			}
			return x
		}), true
	case wasm.OpF64x2Pmax:
		return zip64(a, b, func(x, y uint64) uint64 {
			if fl64(x) < fl64(y) {
				return y
			}
			return x
		}), true
	}
	return v128{}, false
}

// simdUnary computes the one-vector instructions.
func simdUnary(op wasm.Opcode, a v128) (v128, bool) {
	switch op {
	case wasm.OpV128Not:
		return map64(a, func(x uint64) uint64 { return ^x }), true
	case wasm.OpI8x16Abs:
		return map8(a, func(x uint8) uint8 {
			if int8(x) < 0 {
				return -x
			}
			return x
		}), true
	case wasm.OpI8x16Neg:
		return map8(a, func(x uint8) uint8 { return -x }), true
	case wasm.OpI8x16Popcnt:
		return map8(a, func(x uint8) uint8 { return uint8(bits.OnesCount8(x)) }), true
	case wasm.OpI16x8Abs:
		return map16(a, func(x uint16) uint16 {
			if int16(x) < 0 {
				return -x
			}
			return x
		}), true
	case wasm.OpI16x8Neg:
		return map16(a, func(x uint16) uint16 { return -x }), true
	case wasm.OpI32x4Abs:
		return map32(a, func(x uint32) uint32 {
			if int32(x) < 0 {
				return -x
			}
			return x
		}), true
	case wasm.OpI32x4Neg:
		return map32(a, func(x uint32) uint32 { return -x }), true
	case wasm.OpI64x2Abs:
		return map64(a, func(x uint64) uint64 {
			if int64(x) < 0 {
				return -x
			}
			return x
		}), true
	case wasm.OpI64x2Neg:
		return map64(a, func(x uint64) uint64 { return -x }), true

	case wasm.OpI16x8ExtendLowI8x16S, wasm.OpI16x8ExtendHighI8x16S, wasm.OpI16x8ExtendLowI8x16U, wasm.OpI16x8ExtendHighI8x16U:
		off := 0
		if op == wasm.OpI16x8ExtendHighI8x16S || op == wasm.OpI16x8ExtendHighI8x16U {
			off = 8
		}
		signed := op == wasm.OpI16x8ExtendLowI8x16S || op == wasm.OpI16x8ExtendHighI8x16S
		var r v128
		for i := range 8 {
			if signed {
				r.set16(i, uint16(int16(int8(a[off+i]))))
			} else {
				r.set16(i, uint16(a[off+i]))
			}
		}
		return r, true
	case wasm.OpI32x4ExtendLowI16x8S, wasm.OpI32x4ExtendHighI16x8S, wasm.OpI32x4ExtendLowI16x8U, wasm.OpI32x4ExtendHighI16x8U:
		off := 0
		if op == wasm.OpI32x4ExtendHighI16x8S || op == wasm.OpI32x4ExtendHighI16x8U {
			off = 4
		}
		signed := op == wasm.OpI32x4ExtendLowI16x8S || op == wasm.OpI32x4ExtendHighI16x8S
		var r v128
		for i := range 4 {
			if signed {
				r.set32(i, uint32(int32(int16(a.u16(off+i)))))
			} else {
				r.set32(i, uint32(a.u16(off+i)))
			}
		}
		return r, true
	case wasm.OpI64x2ExtendLowI32x4S, wasm.OpI64x2ExtendHighI32x4S, wasm.OpI64x2ExtendLowI32x4U, wasm.OpI64x2ExtendHighI32x4U:
		off := 0
		if op == wasm.OpI64x2ExtendHighI32x4S || op == wasm.OpI64x2ExtendHighI32x4U {
			off = 2
		}
		signed := op == wasm.OpI64x2ExtendLowI32x4S || op == wasm.OpI64x2ExtendHighI32x4S
		var r v128
		for i := range 2 {
			if signed {
				r.set64(i, uint64(int64(int32(a.u32(off+i)))))
			} else {
				r.set64(i, uint64(a.u32(off+i)))
			}
		}
		return r, true
	case wasm.OpI16x8ExtaddPairwiseI8x16S, wasm.OpI16x8ExtaddPairwiseI8x16U:
		var r v128
		for i := range 8 {
			if op == wasm.OpI16x8ExtaddPairwiseI8x16S {
				r.set16(i, uint16(int16(int8(a[2*i]))+int16(int8(a[2*i+1]))))
			} else {
				r.set16(i, uint16(a[2*i])+uint16(a[2*i+1]))
			}
		}
		return r, true
	case wasm.OpI32x4ExtaddPairwiseI16x8S, wasm.OpI32x4ExtaddPairwiseI16x8U:
		var r v128
		for i := range 4 {
			if op == wasm.OpI32x4ExtaddPairwiseI16x8S {
				r.set32(i, uint32(int32(int16(a.u16(2*i)))+int32(int16(a.u16(2*i+1)))))
			} else {
				r.set32(i, uint32(a.u16(2*i))+uint32(a.u16(2*i+1)))
			}
		}
		return r, true

	case wasm.OpF32x4Abs:
		return map32(a, func(x uint32) uint32 { return x &^ (1 << 31) }), true
	case wasm.OpF32x4Neg:
		return map32(a, func(x uint32) uint32 { return x ^ (1 << 31) }), true
	case wasm.OpF32x4Sqrt:
		return map32(a, sqrt32), true
	case wasm.OpF32x4Ceil:
		return map32(a, func(x uint32) uint32 { return round32(x, math.Ceil) }), true
	case wasm.OpF32x4Floor:
		return map32(a, func(x uint32) uint32 { return round32(x, math.Floor) }), true
	case wasm.OpF32x4Trunc:
		return map32(a, func(x uint32) uint32 { return round32(x, math.Trunc) }), true
	case wasm.OpF32x4Nearest:
		return map32(a, func(x uint32) uint32 { return round32(x, math.RoundToEven) }), true
	case wasm.OpF64x2Abs:
		return map64(a, func(x uint64) uint64 { return x &^ (1 << 63) }), true
	case wasm.OpF64x2Neg:
		return map64(a, func(x uint64) uint64 { return x ^ (1 << 63) }), true
	case wasm.OpF64x2Sqrt:
		return map64(a, sqrt64), true
	case wasm.OpF64x2Ceil:
		return map64(a, func(x uint64) uint64 { return round64(x, math.Ceil) }), true
	case wasm.OpF64x2Floor:
		return map64(a, func(x uint64) uint64 { return round64(x, math.Floor) }), true
	case wasm.OpF64x2Trunc:
		return map64(a, func(x uint64) uint64 { return round64(x, math.Trunc) }), true
	case wasm.OpF64x2Nearest:
		return map64(a, func(x uint64) uint64 { return round64(x, math.RoundToEven) }), true

	case wasm.OpI32x4TruncSatF32x4S:
		return map32(a, func(x uint32) uint32 { return uint32(satS32(float64(fl32(x)))) }), true
	case wasm.OpI32x4TruncSatF32x4U:
		return map32(a, func(x uint32) uint32 { return uint32(satU32(float64(fl32(x)))) }), true
	case wasm.OpF32x4ConvertI32x4S:
		return map32(a, func(x uint32) uint32 { return fb32(float32(int32(x))) }), true
	case wasm.OpF32x4ConvertI32x4U:
		return map32(a, func(x uint32) uint32 { return fb32(float32(x)) }), true
	case wasm.OpI32x4TruncSatF64x2SZero, wasm.OpI32x4TruncSatF64x2UZero:
		var r v128
		for i := range 2 {
			if op == wasm.OpI32x4TruncSatF64x2SZero {
				r.set32(i, uint32(satS32(fl64(a.u64(i)))))
			} else {
				r.set32(i, uint32(satU32(fl64(a.u64(i)))))
			}
		}
		return r, true
	case wasm.OpF64x2ConvertLowI32x4S, wasm.OpF64x2ConvertLowI32x4U:
		var r v128
		for i := range 2 {
			if op == wasm.OpF64x2ConvertLowI32x4S {
				r.set64(i, fb64(float64(int32(a.u32(i)))))
			} else {
				r.set64(i, fb64(float64(a.u32(i))))
			}
		}
		return r, true
	case wasm.OpF32x4DemoteF64x2Zero:
		var r v128
		for i := range 2 {
			r.set32(i, fb32(float32(fl64(a.u64(i)))))
		}
		return r, true
	case wasm.OpF64x2PromoteLowF32x4:
		var r v128
		for i := range 2 {
			r.set64(i, fb64(float64(fl32(a.u32(i)))))
		}
		return r, true
	}
	return v128{}, false
}
