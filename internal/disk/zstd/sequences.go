package zstd

// Sequence codes (RFC 8878, 3.1.1.3.2.1.1 "Sequence Codes for Lengths
// and Offsets"): baselines and extra bits of literal and match lengths.
var (
	llBase = [36]uint32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
		16, 18, 20, 22, 24, 28, 32, 40, 48, 64, 128, 256, 512, 1024, 2048, 4096,
		8192, 16384, 32768, 65536}
	llBits = [36]uint8{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	mlBase = [53]uint32{3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
		19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34,
		35, 37, 39, 41, 43, 47, 51, 59, 67, 83, 99, 131, 259, 515, 1027, 2051,
		4099, 8195, 16387, 32771, 65539}
	mlBits = [53]uint8{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
)

// Predefined distributions (RFC 8878, 3.1.1.3.2.2 "Default
// Distributions").
var (
	llDefault = mustTable([]int16{4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1,
		2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1, -1, -1, -1, -1}, 6)
	mlDefault = mustTable([]int16{1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1}, 6)
	ofDefault = mustTable([]int16{1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1}, 5)
)

func mustTable(norm []int16, log uint) *fseTable {
	t, err := buildFSETable(norm, log)
	if err != nil {
		panic(err)
	}
	return t
}

// maxOffsetCode bounds offset codes: offsets up to 2^31 are more than
// any window a decoder accepts.
const maxOffsetCode = 31

// sequences decodes and executes the sequences section of a block (RFC
// 8878, 3.1.1.3.2 "Sequences Section" and 3.1.2 "Sequence Execution").
func (d *decoder) sequences(src []byte) error {
	if len(src) == 0 {
		return errf("missing sequences section")
	}
	var nbSeq, pos int
	switch b0 := int(src[0]); {
	case b0 == 0:
		// Only literals.
		return d.emit(d.literals)
	case b0 < 128:
		nbSeq, pos = b0, 1
	case b0 < 255:
		if len(src) < 2 {
			return errf("truncated sequence count")
		}
		nbSeq, pos = (b0-128)<<8+int(src[1]), 2
	default:
		if len(src) < 3 {
			return errf("truncated sequence count")
		}
		nbSeq, pos = int(src[1])+int(src[2])<<8+0x7f00, 3
	}
	if pos >= len(src) {
		return errf("missing symbol compression modes")
	}
	modes := src[pos]
	pos++
	if modes&3 != 0 {
		return errf("reserved bits set in symbol compression modes")
	}
	var err error
	tables := []struct {
		t         **fseTable
		mode      byte
		def       *fseTable
		maxLog    uint
		maxSymbol int
	}{
		{&d.ll, modes >> 6, llDefault, 9, 35},
		{&d.of, modes >> 4 & 3, ofDefault, 8, maxOffsetCode},
		{&d.ml, modes >> 2 & 3, mlDefault, 9, 52},
	}
	for _, tb := range tables {
		switch tb.mode {
		case 0: // predefined
			*tb.t = tb.def
		case 1: // RLE
			if pos >= len(src) {
				return errf("truncated RLE sequence table")
			}
			if int(src[pos]) > tb.maxSymbol {
				return errf("RLE sequence symbol %d exceeds %d", src[pos], tb.maxSymbol)
			}
			*tb.t = rleTable(src[pos])
			pos++
		case 2: // FSE-compressed
			var n int
			if *tb.t, n, err = readFSETable(src[pos:], tb.maxLog, tb.maxSymbol); err != nil {
				return err
			}
			pos += n
		case 3: // repeat
			if *tb.t == nil {
				return errf("repeated sequence table without a previous one")
			}
		}
	}
	if pos >= len(src) {
		return errf("missing sequence bitstream")
	}
	br, err := newBackReader(src[pos:])
	if err != nil {
		return err
	}
	var ll, of, ml fseState
	ll.init(d.ll, &br)
	of.init(d.of, &br)
	ml.init(d.ml, &br)
	lits := d.literals
	for i := 0; i < nbSeq; i++ {
		ofCode, llCode, mlCode := of.symbol(), ll.symbol(), ml.symbol()
		if ofCode > maxOffsetCode || llCode >= 36 || mlCode >= 53 {
			return errf("sequence code out of range")
		}
		ofValue := int(1)<<ofCode + int(br.read(uint(ofCode)))
		matchLen := int(mlBase[mlCode]) + int(br.read(uint(mlBits[mlCode])))
		litLen := int(llBase[llCode]) + int(br.read(uint(llBits[llCode])))
		if i+1 < nbSeq {
			ll.update(&br)
			ml.update(&br)
			of.update(&br)
		}
		if br.overflowed() {
			return errf("sequence bitstream overrun")
		}
		offset, err := d.offset(ofValue, litLen)
		if err != nil {
			return err
		}
		if litLen > len(lits) {
			return errf("sequence needs %d literals, %d left", litLen, len(lits))
		}
		if err := d.emit(lits[:litLen]); err != nil {
			return err
		}
		lits = lits[litLen:]
		if err := d.match(offset, matchLen); err != nil {
			return err
		}
	}
	if !br.done() {
		return errf("sequence bitstream not consumed exactly")
	}
	return d.emit(lits)
}

// offset turns an offset value into an offset and updates the repeat
// offsets (RFC 8878, 3.1.2.5 "Repeat Offsets").
func (d *decoder) offset(ofValue, litLen int) (int, error) {
	if ofValue > 3 {
		off := ofValue - 3
		d.rep = [3]int{off, d.rep[0], d.rep[1]}
		return off, nil
	}
	idx := ofValue - 1
	if litLen == 0 {
		idx++
	}
	var off int
	switch idx {
	case 0:
		return d.rep[0], nil
	case 1:
		off = d.rep[1]
		d.rep[1] = d.rep[0]
	case 2:
		off = d.rep[2]
		d.rep[2], d.rep[1] = d.rep[1], d.rep[0]
	case 3:
		off = d.rep[0] - 1
		if off == 0 {
			return 0, errf("repeat offset 0")
		}
		d.rep[2], d.rep[1] = d.rep[1], d.rep[0]
	}
	d.rep[0] = off
	return off, nil
}

// match copies n bytes from offset back in the frame's output; the ranges
// may overlap, which repeats the last offset bytes.
func (d *decoder) match(offset, n int) error {
	if offset > len(d.out)-d.frameStart {
		return errf("match offset %d reaches before the frame's %d bytes", offset, len(d.out)-d.frameStart)
	}
	full := false
	if room := cap(d.out) - len(d.out); n > room {
		n, full = room, true
	}
	start := len(d.out) - offset
	for i := range n {
		d.out = append(d.out, d.out[start+i])
	}
	if full {
		return errFull
	}
	return nil
}
