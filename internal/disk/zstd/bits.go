package zstd

import "encoding/binary"

// backReader reads a bitstream backwards, as Huffman and FSE streams are
// read (RFC 8878, 4.1 "Bitstream"): the last byte holds a 1 bit above the
// final bits, and values are read from the end toward the start, the
// first bit read being the most significant. Bits before the start read
// as zeros; pos going negative is how a decoder notices it read too far.
type backReader struct {
	data []byte
	pos  int // bits not yet read: the next read ends at bit pos
}

func newBackReader(data []byte) (backReader, error) {
	if len(data) == 0 {
		return backReader{}, errf("empty bitstream")
	}
	last := data[len(data)-1]
	if last == 0 {
		return backReader{}, errf("bitstream without its end marker")
	}
	hb := 7
	for last>>hb == 0 {
		hb--
	}
	return backReader{data: data, pos: (len(data)-1)*8 + hb}, nil
}

// peek returns the next n bits (n ≤ 32) without consuming them.
func (b *backReader) peek(n uint) uint64 {
	if n == 0 {
		return 0
	}
	start := b.pos - int(n)
	if start >= 0 {
		return b.at(start) & (1<<n - 1)
	}
	// Part of the value lies before the stream: those bits are zero.
	have := int(n) + start
	if have <= 0 {
		return 0
	}
	return (b.at(0) & (1<<uint(have) - 1)) << uint(-start)
}

// at returns the bits from bit position start upward (at least 32).
func (b *backReader) at(start int) uint64 {
	i := start >> 3
	var w [8]byte
	copy(w[:], b.data[i:])
	return binary.LittleEndian.Uint64(w[:]) >> (start & 7)
}

func (b *backReader) read(n uint) uint64 {
	v := b.peek(n)
	b.pos -= int(n)
	return v
}

func (b *backReader) skip(n uint) { b.pos -= int(n) }

// overflowed reports whether more bits were read than the stream has.
func (b *backReader) overflowed() bool { return b.pos < 0 }

// done reports whether the stream was read exactly to its start.
func (b *backReader) done() bool { return b.pos == 0 }

// fwdReader reads bits forward, least significant first, as FSE table
// descriptions are written (RFC 8878, 4.1.1).
type fwdReader struct {
	data []byte
	pos  int // bits read
}

func (f *fwdReader) peek(n uint) uint64 {
	i := f.pos >> 3
	var w [8]byte
	if i < len(f.data) {
		copy(w[:], f.data[i:])
	}
	return binary.LittleEndian.Uint64(w[:]) >> (f.pos & 7) & (1<<n - 1)
}

func (f *fwdReader) skip(n uint) { f.pos += int(n) }

// bytesUsed is the number of whole bytes the bits read so far touch.
func (f *fwdReader) bytesUsed() int { return (f.pos + 7) >> 3 }
