package zstd

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrFormat is the error all malformed input wraps.
var ErrFormat = errors.New("zstd: malformed input")

func errf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrFormat}, args...)...)
}

// Frame constants (RFC 8878, 3.1.1 "Zstandard Frames").
const (
	frameMagic         = 0xfd2fb528
	skippableMagicMask = 0xfffffff0
	skippableMagic     = 0x184d2a50
	maxBlockSize       = 128 << 10
)

// Decompress decodes the frames in src into dst until dst is full or src
// ends, and returns the bytes written. Like QEMU, it stops without error
// when dst is full, even in the middle of a frame: a qcow2 cluster is
// exactly one buffer long.
func Decompress(dst, src []byte) (int, error) {
	d := &decoder{out: dst[:0:len(dst)]}
	for len(src) > 0 && len(d.out) < cap(d.out) {
		if len(src) < 4 {
			return len(d.out), errf("%d trailing bytes are not a frame", len(src))
		}
		magic := binary.LittleEndian.Uint32(src)
		if magic&skippableMagicMask == skippableMagic {
			if len(src) < 8 {
				return len(d.out), errf("truncated skippable frame")
			}
			n := uint64(binary.LittleEndian.Uint32(src[4:]))
			if n > uint64(len(src)-8) {
				return len(d.out), errf("skippable frame of %d bytes overruns the input", n)
			}
			src = src[8+n:]
			continue
		}
		if magic != frameMagic {
			return len(d.out), errf("bad frame magic %#08x", magic)
		}
		n, err := d.frame(src[4:])
		if err == errFull {
			break
		}
		if err != nil {
			return len(d.out), err
		}
		src = src[4+n:]
	}
	return len(d.out), nil
}

// errFull stops decoding when the output buffer is full.
var errFull = errors.New("zstd: output full")

// decoder holds the state that lives across the blocks of a frame.
type decoder struct {
	out        []byte // output so far; its capacity is the limit
	frameStart int    // where the current frame's output begins
	rep        [3]int // repeat offsets
	huff       *huffTable
	ll, of, ml *fseTable // tables for the Repeat mode
	literals   []byte    // scratch for one block's literals
}

// frame decodes one frame (after its magic) and returns the input bytes
// it took.
func (d *decoder) frame(src []byte) (int, error) {
	if len(src) < 1 {
		return 0, errf("truncated frame header")
	}
	fhd := src[0]
	fcsFlag := fhd >> 6
	single := fhd&0x20 != 0
	if fhd&0x08 != 0 {
		return 0, errf("reserved bit set in frame header")
	}
	checksum := fhd&0x04 != 0
	dictLen := []int{0, 1, 2, 4}[fhd&3]
	fcsLen := []int{0, 2, 4, 8}[fcsFlag]
	if fcsFlag == 0 && single {
		fcsLen = 1
	}
	pos := 1
	if !single {
		pos++ // window descriptor: the window only bounds offsets, which are checked against the output
	}
	if len(src) < pos+dictLen+fcsLen {
		return 0, errf("truncated frame header")
	}
	var dictID uint32
	for i := 0; i < dictLen; i++ {
		dictID |= uint32(src[pos+i]) << (8 * i)
	}
	if dictID != 0 {
		return 0, errf("frame needs dictionary %d", dictID)
	}
	pos += dictLen + fcsLen

	d.frameStart = len(d.out)
	d.rep = [3]int{1, 4, 8}
	d.huff, d.ll, d.of, d.ml = nil, nil, nil, nil
	for {
		if len(src) < pos+3 {
			return 0, errf("truncated block header")
		}
		h := uint32(src[pos]) | uint32(src[pos+1])<<8 | uint32(src[pos+2])<<16
		pos += 3
		last := h&1 != 0
		typ := (h >> 1) & 3
		size := int(h >> 3)
		switch typ {
		case 0: // raw
			if size > len(src)-pos {
				return 0, errf("raw block of %d bytes overruns the input", size)
			}
			if err := d.emit(src[pos : pos+size]); err != nil {
				return 0, err
			}
			pos += size
		case 1: // RLE: one byte, repeated size times
			if pos >= len(src) {
				return 0, errf("truncated RLE block")
			}
			if err := d.emitRun(src[pos], size); err != nil {
				return 0, err
			}
			pos++
		case 2:
			if size > len(src)-pos || size > maxBlockSize {
				return 0, errf("compressed block of %d bytes overruns the input or the block limit", size)
			}
			if err := d.block(src[pos : pos+size]); err != nil {
				return 0, err
			}
			pos += size
		default:
			return 0, errf("reserved block type")
		}
		if last {
			break
		}
	}
	if checksum {
		if len(src) < pos+4 {
			return 0, errf("truncated content checksum")
		}
		want := binary.LittleEndian.Uint32(src[pos:])
		if got := uint32(xxh64(d.out[d.frameStart:])); got != want {
			return 0, errf("content checksum %#08x, frame says %#08x", got, want)
		}
		pos += 4
	}
	return pos, nil
}

// emit appends b to the output; when the output is full it appends what
// fits and returns errFull.
func (d *decoder) emit(b []byte) error {
	room := cap(d.out) - len(d.out)
	if len(b) > room {
		d.out = append(d.out, b[:room]...)
		return errFull
	}
	d.out = append(d.out, b...)
	return nil
}

func (d *decoder) emitRun(c byte, n int) error {
	if n > maxBlockSize {
		return errf("RLE block of %d bytes exceeds the block limit", n)
	}
	full := false
	if room := cap(d.out) - len(d.out); n > room {
		n, full = room, true
	}
	for range n {
		d.out = append(d.out, c)
	}
	if full {
		return errFull
	}
	return nil
}

// block decodes a compressed block (RFC 8878, 3.1.1.3 "Compressed
// Blocks"): literals, then sequences that interleave them with matches.
func (d *decoder) block(src []byte) error {
	n, err := d.readLiterals(src)
	if err != nil {
		return err
	}
	return d.sequences(src[n:])
}

// readLiterals decodes the literals section into d.literals and returns
// its size (RFC 8878, 3.1.1.3.1 "Literals Section").
func (d *decoder) readLiterals(src []byte) (int, error) {
	if len(src) == 0 {
		return 0, errf("empty compressed block")
	}
	typ := src[0] & 3
	sizeFormat := (src[0] >> 2) & 3
	if typ <= 1 { // raw or RLE
		var regen, hlen int
		switch sizeFormat {
		case 0, 2:
			regen, hlen = int(src[0]>>3), 1
		case 1:
			if len(src) < 2 {
				return 0, errf("truncated literals header")
			}
			regen, hlen = int(src[0]>>4)|int(src[1])<<4, 2
		case 3:
			if len(src) < 3 {
				return 0, errf("truncated literals header")
			}
			regen, hlen = int(src[0]>>4)|int(src[1])<<4|int(src[2])<<12, 3
		}
		if regen > maxBlockSize {
			return 0, errf("%d literals exceed the block limit", regen)
		}
		if typ == 0 {
			if regen > len(src)-hlen {
				return 0, errf("raw literals overrun the block")
			}
			d.literals = append(d.literals[:0], src[hlen:hlen+regen]...)
			return hlen + regen, nil
		}
		if hlen >= len(src) {
			return 0, errf("truncated RLE literals")
		}
		d.literals = d.literals[:0]
		for range regen {
			d.literals = append(d.literals, src[hlen])
		}
		return hlen + 1, nil
	}

	// Huffman-coded: compressed (with a tree) or treeless (the
	// previous block's tree).
	var regen, csize, hlen int
	streams := 4
	switch sizeFormat {
	case 0, 1:
		if len(src) < 3 {
			return 0, errf("truncated literals header")
		}
		v := uint32(src[0]) | uint32(src[1])<<8 | uint32(src[2])<<16
		regen, csize, hlen = int(v>>4&0x3ff), int(v>>14&0x3ff), 3
		if sizeFormat == 0 {
			streams = 1
		}
	case 2:
		if len(src) < 4 {
			return 0, errf("truncated literals header")
		}
		v := binary.LittleEndian.Uint32(src)
		regen, csize, hlen = int(v>>4&0x3fff), int(v>>18), 4
	case 3:
		if len(src) < 5 {
			return 0, errf("truncated literals header")
		}
		v := binary.LittleEndian.Uint64(append(src[:5:5], 0, 0, 0))
		regen, csize, hlen = int(v>>4&0x3ffff), int(v>>22&0x3ffff), 5
	}
	if regen > maxBlockSize {
		return 0, errf("%d literals exceed the block limit", regen)
	}
	if csize > len(src)-hlen {
		return 0, errf("compressed literals overrun the block")
	}
	data := src[hlen : hlen+csize]
	if typ == 2 {
		t, n, err := readHuffTable(data)
		if err != nil {
			return 0, err
		}
		d.huff = t
		data = data[n:]
	} else if d.huff == nil {
		return 0, errf("treeless literals without a previous Huffman tree")
	}
	if cap(d.literals) < regen {
		d.literals = make([]byte, regen, maxBlockSize)
	}
	d.literals = d.literals[:regen]
	if streams == 1 {
		if err := d.huff.decodeStream(d.literals, data); err != nil {
			return 0, err
		}
		return hlen + csize, nil
	}
	if len(data) < 6 {
		return 0, errf("truncated literal stream jump table")
	}
	var sizes [4]int
	sizes[0] = int(binary.LittleEndian.Uint16(data[0:]))
	sizes[1] = int(binary.LittleEndian.Uint16(data[2:]))
	sizes[2] = int(binary.LittleEndian.Uint16(data[4:]))
	sizes[3] = len(data) - 6 - sizes[0] - sizes[1] - sizes[2]
	if sizes[3] < 1 {
		return 0, errf("literal stream sizes exceed the literals")
	}
	seg := (regen + 3) / 4
	if 3*seg > regen {
		return 0, errf("%d literals are too few for four streams", regen)
	}
	data = data[6:]
	out := d.literals
	for i := range 4 {
		n := seg
		if i == 3 {
			n = regen - 3*seg
		}
		if err := d.huff.decodeStream(out[:n], data[:sizes[i]]); err != nil {
			return 0, err
		}
		out, data = out[n:], data[sizes[i]:]
	}
	return hlen + csize, nil
}
