package leb128

import "errors"

// Errors use the spec test suite's wording.
var (
	ErrUnexpectedEnd = errors.New("unexpected end")
	ErrTooLong       = errors.New("integer representation too long")
	ErrTooLarge      = errors.New("integer too large")
)

// DecodeUint32 decodes an unsigned 32-bit LEB128 from b and returns the
// value and the number of bytes read.
func DecodeUint32(b []byte) (uint32, int, error) {
	// Fast path for the most common case of one byte.
	if len(b) > 0 && b[0] < 0x80 {
		return uint32(b[0]), 1, nil
	}
	v, n, err := decodeUnsigned(b, 32)
	return uint32(v), n, err
}

// DecodeUint64 decodes an unsigned 64-bit LEB128.
func DecodeUint64(b []byte) (uint64, int, error) {
	return decodeUnsigned(b, 64)
}

// DecodeInt32 decodes a signed 32-bit LEB128.
func DecodeInt32(b []byte) (int32, int, error) {
	v, n, err := decodeSigned(b, 32)
	return int32(v), n, err
}

// DecodeInt33 decodes a signed 33-bit LEB128 (block types), returned in an
// int64.
func DecodeInt33(b []byte) (int64, int, error) {
	return decodeSigned(b, 33)
}

// DecodeInt64 decodes a signed 64-bit LEB128.
func DecodeInt64(b []byte) (int64, int, error) {
	return decodeSigned(b, 64)
}

func decodeUnsigned(b []byte, bits uint) (uint64, int, error) {
	maxBytes := int((bits + 6) / 7)
	var v uint64
	var shift uint
	for i := 0; ; i++ {
		if i >= len(b) {
			return 0, i, ErrUnexpectedEnd
		}
		c := b[i]
		if i == maxBytes-1 {
			// Last permitted byte: no continuation, and only the bits
			// that fit in the type may be set.
			if c&0x80 != 0 {
				return 0, i + 1, ErrTooLong
			}
			if rem := bits - shift; rem < 7 && c>>rem != 0 {
				return 0, i + 1, ErrTooLarge
			}
			return v | uint64(c)<<shift, i + 1, nil
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, i + 1, nil
		}
		shift += 7
	}
}

func decodeSigned(b []byte, bits uint) (int64, int, error) {
	maxBytes := int((bits + 6) / 7)
	var v int64
	var shift uint
	for i := 0; ; i++ {
		if i >= len(b) {
			return 0, i, ErrUnexpectedEnd
		}
		c := b[i]
		if i == maxBytes-1 {
			if c&0x80 != 0 {
				return 0, i + 1, ErrTooLong
			}
			// The bits above the type's width, including the sign bit
			// of the payload, must all equal the type's sign bit.
			rem := bits - shift // payload bits that belong to the value
			if rem < 7 {
				signAndAbove := byte(0x7f) &^ (1<<(rem-1) - 1)
				if x := c & signAndAbove; x != 0 && x != signAndAbove {
					return 0, i + 1, ErrTooLarge
				}
			}
			v |= int64(c&0x7f) << shift
			shift += 7
			if shift < 64 {
				v = v << (64 - shift) >> (64 - shift)
			}
			return v, i + 1, nil
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v, i + 1, nil
		}
	}
}

// AppendUint32 appends the LEB128 encoding of v.
func AppendUint32(dst []byte, v uint32) []byte { return AppendUint64(dst, uint64(v)) }

// AppendUint64 appends the LEB128 encoding of v.
func AppendUint64(dst []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(dst, c)
		}
		dst = append(dst, c|0x80)
	}
}

// AppendInt64 appends the signed LEB128 encoding of v.
func AppendInt64(dst []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(dst, c)
		}
		dst = append(dst, c|0x80)
	}
}
