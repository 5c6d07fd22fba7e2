package zstd

import "math/bits"

// fseEntry is one state of an FSE decoding table: the symbol it decodes
// and how to reach the next state.
type fseEntry struct {
	symbol uint8
	nbBits uint8
	base   uint16
}

// fseTable is a decoding table of 2^log states.
type fseTable struct {
	log     uint
	entries []fseEntry
}

// maxFSELog is the largest accuracy log any zstd table may have
// (sequences allow 9; Huffman weights 6).
const maxFSELog = 9

// readFSETable reads an FSE table description from the start of src
// (RFC 8878, 4.1.1 "FSE Table Description") and builds its decoding
// table. It returns the bytes the description took.
func readFSETable(src []byte, maxLog uint, maxSymbol int) (*fseTable, int, error) {
	f := fwdReader{data: src}
	log := uint(f.peek(4)) + 5
	f.skip(4)
	if log > maxLog {
		return nil, 0, errf("FSE accuracy log %d exceeds %d", log, maxLog)
	}
	var norm [256]int16
	remaining := 1<<log + 1
	threshold := 1 << log
	nbBits := log + 1
	symbol := 0
	prev0 := false
	for remaining > 1 {
		if prev0 {
			// A zero count is followed by 2-bit repeat flags: 3
			// means three more zeros and another flag.
			n0 := symbol
			for f.peek(2) == 3 {
				n0 += 3
				f.skip(2)
				if n0 > maxSymbol+1 || f.pos > len(src)*8 {
					return nil, 0, errf("FSE table description: zero run past symbol %d", maxSymbol)
				}
			}
			n0 += int(f.peek(2))
			f.skip(2)
			if n0 > maxSymbol+1 {
				return nil, 0, errf("FSE table description: zero run past symbol %d", maxSymbol)
			}
			symbol = n0 // the skipped counts are already zero
		}
		if symbol > maxSymbol {
			return nil, 0, errf("FSE table description: more than %d symbols", maxSymbol+1)
		}
		max := 2*threshold - 1 - remaining
		var count int
		if v := int(f.peek(nbBits - 1)); v < max {
			count = v
			f.skip(nbBits - 1)
		} else {
			count = int(f.peek(nbBits))
			if count >= threshold {
				count -= max
			}
			f.skip(nbBits)
		}
		count-- // -1 is a probability "less than 1"
		if count >= 0 {
			remaining -= count
		} else {
			remaining--
		}
		norm[symbol] = int16(count)
		symbol++
		prev0 = count == 0
		if remaining < threshold {
			if remaining <= 1 {
				break
			}
			nbBits = uint(bits.Len(uint(remaining)))
			threshold = 1 << (nbBits - 1)
		}
		if f.pos > len(src)*8 {
			return nil, 0, errf("FSE table description overruns its %d bytes", len(src))
		}
	}
	if remaining != 1 || f.pos > len(src)*8 {
		return nil, 0, errf("FSE table description does not add up to 2^%d", log)
	}
	t, err := buildFSETable(norm[:symbol], log)
	return t, f.bytesUsed(), err
}

// buildFSETable spreads the symbols over the states and computes each
// state's transition (RFC 8878, 4.1.1, "FSE Decoding Table").
func buildFSETable(norm []int16, log uint) (*fseTable, error) {
	size := 1 << log
	t := &fseTable{log: log, entries: make([]fseEntry, size)}
	var next [256]uint16
	high := size - 1
	for s, c := range norm {
		if c == -1 {
			t.entries[high].symbol = uint8(s)
			high--
			next[s] = 1
		} else {
			next[s] = uint16(c)
		}
	}
	step := size>>1 + size>>3 + 3
	mask := size - 1
	pos := 0
	for s, c := range norm {
		for i := 0; i < int(c); i++ {
			t.entries[pos].symbol = uint8(s)
			pos = (pos + step) & mask
			for pos > high {
				pos = (pos + step) & mask
			}
		}
	}
	if pos != 0 {
		return nil, errf("FSE table: symbols do not fill the table")
	}
	for i := range t.entries {
		e := &t.entries[i]
		n := next[e.symbol]
		next[e.symbol]++
		if n == 0 {
			return nil, errf("FSE table: symbol %d has no probability", e.symbol)
		}
		e.nbBits = uint8(log - uint(bits.Len16(n)-1))
		e.base = uint16(int(n)<<e.nbBits - size)
	}
	return t, nil
}

// rleTable is the one-state table of an RLE-coded sequence field.
func rleTable(symbol uint8) *fseTable {
	return &fseTable{log: 0, entries: []fseEntry{{symbol: symbol}}}
}

// fseState is a decoder's current state in a table.
type fseState struct {
	t     *fseTable
	state uint64
}

func (s *fseState) init(t *fseTable, br *backReader) {
	s.t = t
	s.state = br.read(t.log)
}

func (s *fseState) symbol() uint8 { return s.t.entries[s.state].symbol }

func (s *fseState) update(br *backReader) {
	e := s.t.entries[s.state]
	s.state = uint64(e.base) + br.read(uint(e.nbBits))
}
