package vmdk

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
	"sync"

	"github.com/wasmvisor/wasmvisor/internal/disk/lru"
)

// Hosted sparse extent header ("Hosted Sparse Extent Header") and limits.
const (
	sparseMagic = 0x564d444b // "KDMV"
	sectorSize  = 512

	flagZeroedGTE  = 1 << 2
	flagCompressed = 1 << 16
	flagMarkers    = 1 << 17

	compressNone    = 0
	compressDeflate = 1

	gdAtEnd = 0xffffffffffffffff // streamOptimized: the footer has the real header

	// maxSectors keeps every byte offset below 2^62.
	maxSectors = 1 << 53
	// maxGrainSectors bounds a grain (and so a decompression buffer) to
	// 8 MiB; VMware and QEMU write 64 KiB grains.
	maxGrainSectors = 1 << 14
	// maxGTEs bounds a grain table, as QEMU does.
	maxGTEs = 512 << 10
	// maxGDBytes bounds the grain directory read at open.
	maxGDBytes = 32 << 20

	markerSize   = 12 // lba uint64 + size uint32, then the compressed data
	markerFooter = 3  // marker types in a metadata marker's type field
	markerEOS    = 0

	cacheBytes = 4 << 20
)

// sparseHeader is the parsed header of a hosted sparse extent.
type sparseHeader struct {
	version     uint32
	flags       uint32
	capacity    uint64 // sectors
	grainSize   uint64 // sectors
	descOffset  uint64 // sectors
	descSize    uint64 // sectors
	gtes        uint32 // entries per grain table
	gdOffset    uint64 // sectors
	compression uint16
}

func parseSparseHeader(b []byte) (*sparseHeader, error) {
	le := binary.LittleEndian
	if len(b) < 79 || le.Uint32(b) != sparseMagic {
		return nil, fmt.Errorf("vmdk: not a sparse extent header")
	}
	h := &sparseHeader{
		version:     le.Uint32(b[4:]),
		flags:       le.Uint32(b[8:]),
		capacity:    le.Uint64(b[12:]),
		grainSize:   le.Uint64(b[20:]),
		descOffset:  le.Uint64(b[28:]),
		descSize:    le.Uint64(b[36:]),
		gtes:        le.Uint32(b[44:]),
		gdOffset:    le.Uint64(b[56:]),
		compression: le.Uint16(b[77:]),
	}
	return h, nil
}

func (h *sparseHeader) check() error {
	switch {
	case h.version < 1 || h.version > 3:
		return fmt.Errorf("vmdk: unsupported sparse extent version %d", h.version)
	case h.capacity > maxSectors:
		return fmt.Errorf("vmdk: capacity of %d sectors is too large", h.capacity)
	case h.grainSize == 0 || h.grainSize&(h.grainSize-1) != 0 || h.grainSize > maxGrainSectors:
		return fmt.Errorf("vmdk: grain size of %d sectors is not a power of two up to %d", h.grainSize, maxGrainSectors)
	case h.gtes == 0 || h.gtes > maxGTEs:
		return fmt.Errorf("vmdk: %d entries per grain table outside [1, %d]", h.gtes, maxGTEs)
	case h.compression != compressNone && h.compression != compressDeflate:
		return fmt.Errorf("vmdk: unknown compression algorithm %d", h.compression)
	case h.flags&flagCompressed != 0 && h.compression != compressDeflate:
		return fmt.Errorf("vmdk: compressed grains without a compression algorithm")
	}
	return nil
}

// sparseExtent reads a hosted sparse extent ("Hosted Sparse Extents"): a
// grain directory of grain tables of grain sector numbers.
type sparseExtent struct {
	f        Device
	fileSize uint64
	h        *sparseHeader
	gd       []uint32 // sector offsets of the grain tables; 0: none

	mu     sync.Mutex
	tables *lru.Cache[uint32, []byte] // grain tables by sector
	grains *lru.Cache[uint32, []byte] // decompressed grains by sector
}

// openSparse reads the header (or, for streamOptimized, the footer) and
// the grain directory of the sparse extent f.
func openSparse(f Device) (*sparseExtent, error) {
	size := f.Size()
	var b [sectorSize]byte
	if _, err := f.ReadAt(b[:], 0); err != nil {
		return nil, fmt.Errorf("vmdk: read sparse header: %w", err)
	}
	h, err := parseSparseHeader(b[:])
	if err != nil {
		return nil, err
	}
	if h.gdOffset == gdAtEnd {
		if h, err = readFooter(f, size); err != nil {
			return nil, err
		}
	}
	if err := h.check(); err != nil {
		return nil, err
	}
	e := &sparseExtent{
		f:        f,
		fileSize: uint64(size),
		h:        h,
		tables:   lru.New[uint32, []byte](cacheBytes),
		grains:   lru.New[uint32, []byte](cacheBytes),
	}
	grainBytes := h.grainSize * sectorSize
	coverage := grainBytes * uint64(h.gtes) // bytes mapped by one grain table
	n := (h.capacity*sectorSize + coverage - 1) / coverage
	if n*4 > maxGDBytes || n*4 > e.fileSize {
		return nil, fmt.Errorf("vmdk: grain directory of %d entries does not fit in the %d-byte file", n, size)
	}
	if err := checkRange(h.gdOffset, n*4, e.fileSize); err != nil {
		return nil, fmt.Errorf("vmdk: grain directory: %w", err)
	}
	raw := make([]byte, n*4)
	if _, err := f.ReadAt(raw, int64(h.gdOffset*sectorSize)); err != nil {
		return nil, fmt.Errorf("vmdk: read grain directory: %w", err)
	}
	e.gd = make([]uint32, n)
	for i := range e.gd {
		e.gd[i] = binary.LittleEndian.Uint32(raw[i*4:])
	}
	return e, nil
}

// readFooter returns the header copy a streamOptimized extent keeps in
// its footer, which is authoritative when the header's gdOffset is
// GD_AT_END ("The Stream-Optimized Compressed Sparse Extent"): a footer
// marker, the footer, then the end-of-stream marker, one sector each.
func readFooter(f Device, size int64) (*sparseHeader, error) {
	if size < 3*sectorSize {
		return nil, fmt.Errorf("vmdk: stream-optimized extent of %d bytes has no room for a footer", size)
	}
	var b [3 * sectorSize]byte
	if _, err := f.ReadAt(b[:], size-3*sectorSize); err != nil {
		return nil, fmt.Errorf("vmdk: read footer: %w", err)
	}
	le := binary.LittleEndian
	if le.Uint32(b[12:]) != markerFooter || le.Uint32(b[2*sectorSize+12:]) != markerEOS {
		return nil, fmt.Errorf("vmdk: stream-optimized extent without a footer and end-of-stream marker")
	}
	h, err := parseSparseHeader(b[sectorSize:])
	if err != nil {
		return nil, fmt.Errorf("vmdk: footer: %w", err)
	}
	if h.gdOffset == gdAtEnd {
		return nil, fmt.Errorf("vmdk: footer does not locate the grain directory")
	}
	return h, nil
}

// descriptor returns the descriptor embedded in the extent, if any.
func (e *sparseExtent) descriptor() (*descriptor, error) {
	if e.h.descOffset == 0 || e.h.descSize == 0 {
		return nil, nil
	}
	if e.h.descSize*sectorSize > maxDescriptor {
		return nil, fmt.Errorf("vmdk: embedded descriptor of %d sectors is too large", e.h.descSize)
	}
	if err := checkRange(e.h.descOffset, e.h.descSize*sectorSize, e.fileSize); err != nil {
		return nil, fmt.Errorf("vmdk: embedded descriptor: %w", err)
	}
	b := make([]byte, e.h.descSize*sectorSize)
	if _, err := e.f.ReadAt(b, int64(e.h.descOffset*sectorSize)); err != nil {
		return nil, fmt.Errorf("vmdk: read embedded descriptor: %w", err)
	}
	return parseDescriptor(b)
}

func (e *sparseExtent) size() uint64 { return e.h.capacity * sectorSize }

// grainKind says how a grain is stored.
type grainKind uint8

const (
	grainZero grainKind = iota
	grainData
	grainCompressed
)

// lookup maps byte offset pos of the extent to the run that starts there
// and ends at the end of its grain: kind and, for data, the file offset
// of pos; for compressed grains, the grain's sector.
func (e *sparseExtent) lookup(pos uint64) (kind grainKind, at uint64, n uint64, err error) {
	grainBytes := e.h.grainSize * sectorSize
	grain := pos / grainBytes
	inGrain := pos % grainBytes
	n = grainBytes - inGrain
	gdIndex := grain / uint64(e.h.gtes)
	if gdIndex >= uint64(len(e.gd)) {
		return 0, 0, 0, fmt.Errorf("vmdk: offset %#x beyond the grain directory", pos)
	}
	if e.gd[gdIndex] == 0 {
		return grainZero, 0, n, nil
	}
	gt, err := e.table(e.gd[gdIndex])
	if err != nil {
		return 0, 0, 0, fmt.Errorf("vmdk: offset %#x: %w", pos, err)
	}
	sector := binary.LittleEndian.Uint32(gt[grain%uint64(e.h.gtes)*4:])
	switch {
	case sector == 0:
		return grainZero, 0, n, nil
	case sector == 1 && e.h.flags&flagZeroedGTE != 0:
		return grainZero, 0, n, nil
	case e.h.flags&flagCompressed != 0:
		return grainCompressed, uint64(sector), n, nil
	}
	return grainData, uint64(sector)*sectorSize + inGrain, n, nil
}

// table returns the grain table at sector.
func (e *sparseExtent) table(sector uint32) ([]byte, error) {
	e.mu.Lock()
	t, ok := e.tables.Get(sector)
	e.mu.Unlock()
	if ok {
		return t, nil
	}
	size := uint64(e.h.gtes) * 4
	if err := checkRange(uint64(sector), size, e.fileSize); err != nil {
		return nil, fmt.Errorf("grain table: %w", err)
	}
	t = make([]byte, size)
	if _, err := e.f.ReadAt(t, int64(sector)*sectorSize); err != nil {
		return nil, fmt.Errorf("read grain table at sector %d: %w", sector, err)
	}
	e.mu.Lock()
	e.tables.Add(sector, t, int64(size))
	e.mu.Unlock()
	return t, nil
}

// readAt fills p with the extent's bytes at pos; p does not cross the
// extent's end.
func (e *sparseExtent) readAt(p []byte, pos uint64) error {
	for len(p) > 0 {
		kind, at, n, err := e.lookup(pos)
		if err != nil {
			return err
		}
		n = min(n, uint64(len(p)))
		// Merge the following grains stored right after this one, so a
		// large read of an uncompressed extent is one file read.
		for kind != grainCompressed && n < uint64(len(p)) {
			k2, at2, n2, err := e.lookup(pos + n)
			if err != nil || k2 != kind || (kind == grainData && at2 != at+n) {
				break
			}
			n = min(n+n2, uint64(len(p)))
		}
		switch kind {
		case grainZero:
			clear(p[:n])
		case grainData:
			if err := readPadded(e.f, p[:n], at); err != nil {
				return err
			}
		case grainCompressed:
			g, err := e.compressedGrain(uint32(at))
			if err != nil {
				return fmt.Errorf("vmdk: offset %#x: %w", pos, err)
			}
			copy(p[:n], g[pos%(e.h.grainSize*sectorSize):])
		}
		p = p[n:]
		pos += n
	}
	return nil
}

// compressedGrain returns the decompressed grain at sector. With markers
// the grain starts with its LBA and compressed size ("Grain Marker");
// the data is a zlib stream (RFC 1950).
func (e *sparseExtent) compressedGrain(sector uint32) ([]byte, error) {
	e.mu.Lock()
	g, ok := e.grains.Get(sector)
	e.mu.Unlock()
	if ok {
		return g, nil
	}
	grainBytes := e.h.grainSize * sectorSize
	off := uint64(sector) * sectorSize
	if off >= e.fileSize {
		return nil, fmt.Errorf("compressed grain at sector %d beyond the %d-byte file", sector, e.fileSize)
	}
	// Compressed data never exceeds the deflate worst case of the grain.
	var src []byte
	if e.h.flags&flagMarkers != 0 {
		var m [markerSize]byte
		if _, err := e.f.ReadAt(m[:], int64(off)); err != nil {
			return nil, fmt.Errorf("read grain marker at sector %d: %w", sector, err)
		}
		size := uint64(binary.LittleEndian.Uint32(m[8:]))
		if size == 0 || size > grainBytes+grainBytes/8+1024 {
			return nil, fmt.Errorf("grain marker at sector %d: compressed size %d out of range", sector, size)
		}
		if off+markerSize+size > e.fileSize {
			return nil, fmt.Errorf("compressed grain at sector %d: %d bytes overrun the %d-byte file", sector, size, e.fileSize)
		}
		src = make([]byte, size)
		if _, err := e.f.ReadAt(src, int64(off+markerSize)); err != nil {
			return nil, fmt.Errorf("read compressed grain at sector %d: %w", sector, err)
		}
	} else {
		src = make([]byte, min(grainBytes+grainBytes/8+1024, e.fileSize-off))
		if _, err := e.f.ReadAt(src, int64(off)); err != nil && err != io.EOF {
			return nil, fmt.Errorf("read compressed grain at sector %d: %w", sector, err)
		}
	}
	zr, err := zlib.NewReader(bytes.NewReader(src))
	if err != nil {
		return nil, fmt.Errorf("compressed grain at sector %d: %w", sector, err)
	}
	g = make([]byte, grainBytes)
	if _, err := io.ReadFull(zr, g); err != nil {
		// QEMU compresses only the bytes up to the disk's end, so the
		// last grain may be short: accept a stream that ended cleanly,
		// and read the rest as zeros (g is zeroed already).
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			_, err = zr.Read(make([]byte, 1))
		}
		if err != io.EOF {
			return nil, fmt.Errorf("compressed grain at sector %d: %w", sector, err)
		}
	}
	e.mu.Lock()
	e.grains.Add(sector, g, int64(len(g)))
	e.mu.Unlock()
	return g, nil
}

// checkRange reports whether the byte range [sector*512, +n) lies inside
// a file of limit bytes.
func checkRange(sector, n, limit uint64) error {
	off := sector * sectorSize
	if sector > limit/sectorSize || off > limit || n > limit-off {
		return fmt.Errorf("range [%#x, +%d) outside the %d-byte file", off, n, limit)
	}
	return nil
}

// readPadded reads p from f at off, with bytes past the end of f as zeros,
// as QEMU does for extents shorter than they claim.
func readPadded(f Device, p []byte, off uint64) error {
	n := 0
	if size := uint64(f.Size()); off < size {
		var err error
		n, err = f.ReadAt(p[:min(uint64(len(p)), size-off)], int64(off))
		if err != nil && err != io.EOF {
			return fmt.Errorf("vmdk: read at %#x: %w", off, err)
		}
	}
	clear(p[n:])
	return nil
}
