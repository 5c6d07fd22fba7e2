package zstd

import "math/bits"

// maxHuffBits is the longest Huffman code zstd allows (RFC 8878, 4.2.1).
const maxHuffBits = 11

// huffEntry decodes one code: the symbol and the code's length.
type huffEntry struct {
	symbol uint8
	nbBits uint8
}

// huffTable is a single-lookup decoding table indexed by the next
// maxBits bits of a stream.
type huffTable struct {
	maxBits uint
	entries []huffEntry
}

// readHuffTable reads a Huffman tree description (RFC 8878, 4.2.1
// "Huffman Tree Description") from the start of src and returns the table
// and the bytes it took.
func readHuffTable(src []byte) (*huffTable, int, error) {
	if len(src) == 0 {
		return nil, 0, errf("missing Huffman tree description")
	}
	var weights [256]uint8
	var n, used int
	header := int(src[0])
	if header < 128 {
		// FSE-compressed weights: an FSE table, then a bitstream of
		// two interleaved states.
		if header == 0 || 1+header > len(src) {
			return nil, 0, errf("Huffman weights of %d bytes overrun the block", header)
		}
		data := src[1 : 1+header]
		t, tlen, err := readFSETable(data, 6, 255)
		if err != nil {
			return nil, 0, err
		}
		if tlen >= len(data) {
			return nil, 0, errf("Huffman weights: no bitstream after the FSE table")
		}
		br, err := newBackReader(data[tlen:])
		if err != nil {
			return nil, 0, err
		}
		var s1, s2 fseState
		s1.init(t, &br)
		s2.init(t, &br)
		for {
			if n >= 255 {
				return nil, 0, errf("more than 255 Huffman weights")
			}
			weights[n] = s1.symbol()
			n++
			s1.update(&br)
			if br.overflowed() {
				weights[n] = s2.symbol()
				n++
				break
			}
			if n >= 255 {
				return nil, 0, errf("more than 255 Huffman weights")
			}
			weights[n] = s2.symbol()
			n++
			s2.update(&br)
			if br.overflowed() {
				weights[n] = s1.symbol()
				n++
				break
			}
		}
		used = 1 + header
	} else {
		// Direct weights: 4 bits each.
		n = header - 127
		used = 1 + (n+1)/2
		if used > len(src) {
			return nil, 0, errf("Huffman weights of %d bytes overrun the block", used-1)
		}
		for i := 0; i < n; i++ {
			b := src[1+i/2]
			if i%2 == 0 {
				weights[i] = b >> 4
			} else {
				weights[i] = b & 0xf
			}
		}
	}
	t, err := buildHuffTable(weights[:n])
	return t, used, err
}

// buildHuffTable completes the weights with the implied last one and
// lays out the codes: lower weights (longer codes) first, in symbol order
// within a weight (RFC 8878, 4.2.1.3 "Huffman Tree Description").
func buildHuffTable(weights []uint8) (*huffTable, error) {
	if len(weights) > 255 {
		return nil, errf("more than 255 Huffman weights")
	}
	var sum uint32
	for _, w := range weights {
		if w > maxHuffBits {
			return nil, errf("Huffman weight %d exceeds %d", w, maxHuffBits)
		}
		if w > 0 {
			sum += 1 << (w - 1)
		}
	}
	if sum == 0 {
		return nil, errf("Huffman weights are all zero")
	}
	maxBits := uint(bits.Len32(sum))
	if maxBits > maxHuffBits {
		return nil, errf("Huffman code longer than %d bits", maxHuffBits)
	}
	left := uint32(1)<<maxBits - sum
	if left&(left-1) != 0 {
		return nil, errf("Huffman weights do not complete to a power of two")
	}
	all := make([]uint8, len(weights)+1)
	copy(all, weights)
	all[len(weights)] = uint8(bits.Len32(left))

	var rankStart [maxHuffBits + 2]uint32
	for _, w := range all {
		if w > 0 {
			rankStart[w] += 1 << (w - 1)
		}
	}
	next := uint32(0)
	for w := 1; w <= int(maxBits); w++ {
		count := rankStart[w]
		rankStart[w] = next
		next += count
	}
	t := &huffTable{maxBits: maxBits, entries: make([]huffEntry, 1<<maxBits)}
	for s, w := range all {
		if w == 0 {
			continue
		}
		e := huffEntry{symbol: uint8(s), nbBits: uint8(maxBits + 1 - uint(w))}
		length := uint32(1) << (w - 1)
		for i := rankStart[w]; i < rankStart[w]+length; i++ {
			t.entries[i] = e
		}
		rankStart[w] += length
	}
	return t, nil
}

// decodeStream decodes exactly len(dst) symbols from one Huffman stream,
// which must be consumed exactly.
func (t *huffTable) decodeStream(dst, src []byte) error {
	br, err := newBackReader(src)
	if err != nil {
		return err
	}
	for i := range dst {
		e := t.entries[br.peek(t.maxBits)]
		dst[i] = e.symbol
		br.skip(uint(e.nbBits))
	}
	if !br.done() {
		return errf("Huffman stream of %d bytes not consumed exactly", len(src))
	}
	return nil
}
