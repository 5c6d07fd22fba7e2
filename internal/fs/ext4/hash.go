package ext4

import "math/bits"

// Directory hash versions ("Hash Tree Directories", dx_root_info's
// hash_version). The unsigned variants differ in how name bytes above 0x7f
// enter the hash: file systems made on machines where char is unsigned
// set EXT2_FLAGS_UNSIGNED_HASH.
const (
	hashLegacy          = 0
	hashHalfMD4         = 1
	hashTEA             = 2
	hashLegacyUnsigned  = 3
	hashHalfMD4Unsigned = 4
	hashTEAUnsigned     = 5
	hashSipHash         = 6
	htreeEOF32          = 0x7fffffff
)

// dirHash computes the 32-bit hash of a name that orders an htree
// directory ("Directory Hash"), with its low bit clear.
func dirHash(name []byte, version uint8, seed [4]uint32) uint32 {
	var hash uint32
	buf := [4]uint32{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476}
	if seed != [4]uint32{} {
		buf = seed
	}
	unsigned := version >= hashLegacyUnsigned
	switch version {
	case hashLegacy, hashLegacyUnsigned:
		hash = legacyHash(name, unsigned)
	case hashHalfMD4, hashHalfMD4Unsigned:
		var in [8]uint32
		for p := name; len(p) > 0; p = p[min(32, len(p)):] {
			str2hashbuf(p, in[:], unsigned)
			halfMD4(&buf, &in)
		}
		hash = buf[1]
	case hashTEA, hashTEAUnsigned:
		var in [4]uint32
		for p := name; len(p) > 0; p = p[min(16, len(p)):] {
			str2hashbuf(p, in[:], unsigned)
			tea(&buf, &in)
		}
		hash = buf[0]
	}
	hash &^= 1
	if hash == htreeEOF32<<1 {
		hash = (htreeEOF32 - 1) << 1
	}
	return hash
}

// signedByte is a name byte as C's signed or unsigned char promotes it.
func signedByte(c byte, unsigned bool) uint32 {
	if unsigned {
		return uint32(c)
	}
	return uint32(int32(int8(c)))
}

// legacyHash is the original ext3 directory hash (dx_hack_hash).
func legacyHash(name []byte, unsigned bool) uint32 {
	h0, h1 := uint32(0x12a3fe2d), uint32(0x37abe8f9)
	for _, c := range name {
		h := h1 + (h0 ^ signedByte(c, unsigned)*7152373)
		if h&0x80000000 != 0 {
			h -= 0x7fffffff
		}
		h1, h0 = h0, h
	}
	return h0 << 1
}

// str2hashbuf packs up to 4*len(out) bytes of msg into out, four bytes per
// word, big-endian within a word, padded with a pattern of the length.
func str2hashbuf(msg []byte, out []uint32, unsigned bool) {
	n := len(msg)
	pad := uint32(n) | uint32(n)<<8
	pad |= pad << 16
	val := pad
	if n > 4*len(out) {
		n = 4 * len(out)
	}
	o := 0
	for i := 0; i < n; i++ {
		val = signedByte(msg[i], unsigned) + val<<8
		if i%4 == 3 {
			out[o] = val
			o++
			val = pad
		}
	}
	if o < len(out) {
		out[o] = val
		o++
	}
	for ; o < len(out); o++ {
		out[o] = pad
	}
}

// tea is 16 rounds of the Tiny Encryption Algorithm over buf[0:2], keyed
// by in, added back into buf.
func tea(buf *[4]uint32, in *[4]uint32) {
	const delta = 0x9e3779b9
	var sum uint32
	b0, b1 := buf[0], buf[1]
	a, b, c, d := in[0], in[1], in[2], in[3]
	for range 16 {
		sum += delta
		b0 += ((b1 << 4) + a) ^ (b1 + sum) ^ ((b1 >> 5) + b)
		b1 += ((b0 << 4) + c) ^ (b0 + sum) ^ ((b0 >> 5) + d)
	}
	buf[0] += b0
	buf[1] += b1
}

// halfMD4 is the MD4 compression function cut to three rounds of eight
// steps over eight input words, as the ext3 directory hash defines it.
func halfMD4(buf *[4]uint32, in *[8]uint32) {
	const k2, k3 = 0x5a827999, 0x6ed9eba1
	f := func(x, y, z uint32) uint32 { return z ^ (x & (y ^ z)) }
	g := func(x, y, z uint32) uint32 { return (x & y) + ((x ^ y) & z) }
	h := func(x, y, z uint32) uint32 { return x ^ y ^ z }
	a, b, c, d := buf[0], buf[1], buf[2], buf[3]
	step := func(fn func(x, y, z uint32) uint32, w *uint32, x, y, z, m uint32, s int) {
		*w = bits.RotateLeft32(*w+fn(x, y, z)+m, s)
	}
	// Round 1.
	step(f, &a, b, c, d, in[0], 3)
	step(f, &d, a, b, c, in[1], 7)
	step(f, &c, d, a, b, in[2], 11)
	step(f, &b, c, d, a, in[3], 19)
	step(f, &a, b, c, d, in[4], 3)
	step(f, &d, a, b, c, in[5], 7)
	step(f, &c, d, a, b, in[6], 11)
	step(f, &b, c, d, a, in[7], 19)
	// Round 2.
	step(g, &a, b, c, d, in[1]+k2, 3)
	step(g, &d, a, b, c, in[3]+k2, 5)
	step(g, &c, d, a, b, in[5]+k2, 9)
	step(g, &b, c, d, a, in[7]+k2, 13)
	step(g, &a, b, c, d, in[0]+k2, 3)
	step(g, &d, a, b, c, in[2]+k2, 5)
	step(g, &c, d, a, b, in[4]+k2, 9)
	step(g, &b, c, d, a, in[6]+k2, 13)
	// Round 3.
	step(h, &a, b, c, d, in[3]+k3, 3)
	step(h, &d, a, b, c, in[7]+k3, 9)
	step(h, &c, d, a, b, in[2]+k3, 11)
	step(h, &b, c, d, a, in[6]+k3, 15)
	step(h, &a, b, c, d, in[1]+k3, 3)
	step(h, &d, a, b, c, in[5]+k3, 9)
	step(h, &c, d, a, b, in[0]+k3, 11)
	step(h, &b, c, d, a, in[4]+k3, 15)
	buf[0] += a
	buf[1] += b
	buf[2] += c
	buf[3] += d
}
