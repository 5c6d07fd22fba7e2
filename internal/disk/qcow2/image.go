package qcow2

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/wasmvisor/wasmvisor/internal/disk/lru"
)

// Device is what an image is read from, and what a backing image is:
// random-access bytes of a fixed size. disk.Device satisfies it.
type Device interface {
	io.ReaderAt
	Size() int64
	Close() error
}

// Options configure Open.
type Options struct {
	// OpenBacking opens the image's backing file, with name as stored in
	// the image and format from its backing format extension ("" when the
	// image does not say). When nil, an image that has a backing file is
	// refused. Detecting backing-chain loops is the opener's job: it is
	// the one that knows which files it has opened.
	OpenBacking func(name, format string) (Device, error)
	// CacheSize bounds the memory for L2 tables and for decompressed
	// clusters, each; 0 means DefaultCacheSize.
	CacheSize int64
}

// DefaultCacheSize is the default bound on each of the L2 table and
// decompressed cluster caches: with 64 KiB clusters, 4 MiB of L2 tables map
// 32 GiB of disk.
const DefaultCacheSize = 4 << 20

// L1 and L2 entry bits ("Cluster mapping").
const (
	offsetMask     = 0x00fffffffffffe00 // bits 9-55: host offset
	l2Compressed   = 1 << 62
	l2Zero         = 1 << 0
	compSectorSize = 512
)

// Image is an open qcow2 image. It implements [Device] and is safe for
// concurrent use.
type Image struct {
	f           Device
	fileSize    uint64
	h           *header
	clusterSize uint64
	l2Entries   uint64
	l1          []uint64
	backing     Device // nil: unallocated clusters read as zeros

	// mu guards the caches. It is never held during data reads, so
	// readers of different clusters do not wait for each other.
	mu       sync.Mutex
	l2Cache  *lru.Cache[uint64, []byte] // L2 tables by host offset
	clusters *lru.Cache[uint64, []byte] // decompressed clusters by L2 entry
}

// Open reads the image header and L1 table from f and opens the backing
// file, if any. The image owns f and the backing device: Close closes both.
// When Open fails, the caller still owns f.
//
// See qcow2.txt, "Header" and "Cluster mapping".
func Open(f Device, opts Options) (*Image, error) {
	fileSize := f.Size()
	if fileSize < 0 {
		return nil, fmt.Errorf("qcow2: negative file size %d", fileSize)
	}
	h, err := readHeader(f, fileSize)
	if err != nil {
		return nil, err
	}
	cacheSize := opts.CacheSize
	if cacheSize <= 0 {
		cacheSize = DefaultCacheSize
	}
	img := &Image{
		f:           f,
		fileSize:    uint64(fileSize),
		h:           h,
		clusterSize: 1 << h.clusterBits,
		l2Cache:     lru.New[uint64, []byte](cacheSize),
		clusters:    lru.New[uint64, []byte](cacheSize),
	}
	img.l2Entries = img.clusterSize / l2EntrySize(h)
	if err := img.readL1(); err != nil {
		return nil, err
	}
	if h.backingName != "" {
		if opts.OpenBacking == nil {
			return nil, fmt.Errorf("qcow2: image has backing file %q and no way to open it was given", h.backingName)
		}
		b, err := opts.OpenBacking(h.backingName, h.backingFormat)
		if err != nil {
			return nil, fmt.Errorf("qcow2: backing file %q: %w", h.backingName, err)
		}
		img.backing = b
	}
	return img, nil
}

func (img *Image) readL1() error {
	raw := make([]byte, uint64(img.h.l1Size)*8)
	if _, err := img.f.ReadAt(raw, int64(img.h.l1Offset)); err != nil {
		return fmt.Errorf("qcow2: read L1 table: %w", err)
	}
	img.l1 = make([]uint64, img.h.l1Size)
	for i := range img.l1 {
		img.l1[i] = binary.BigEndian.Uint64(raw[i*8:])
	}
	return nil
}

// Size returns the virtual disk size.
func (img *Image) Size() int64 { return int64(img.h.size) }

// Backing returns the backing file name and format stored in the image.
func (img *Image) Backing() (name, format string) {
	return img.h.backingName, img.h.backingFormat
}

// Close closes the image file and its backing chain.
func (img *Image) Close() error {
	err := img.f.Close()
	if img.backing != nil {
		err = errors.Join(err, img.backing.Close())
	}
	return err
}

// kind is how a run of guest bytes is stored.
type kind uint8

const (
	kindZero       kind = iota // reads as zeros
	kindBacking                // unallocated: read from the backing file
	kindData                   // at host offset in the image file
	kindCompressed             // inside the compressed cluster described by host
)

// extent is a run of guest bytes stored the same way.
type extent struct {
	kind kind
	host uint64 // kindData: host offset of the first byte; kindCompressed: L2 entry
	n    uint64 // length in bytes
}

// ReadAt reads the virtual disk. Bytes past Size read as io.EOF; damaged
// metadata gives an error naming the guest offset.
func (img *Image) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("qcow2: read at negative offset %d", off)
	}
	var eof error
	if uint64(off) >= img.h.size {
		return 0, io.EOF
	}
	if uint64(len(p)) > img.h.size-uint64(off) {
		p = p[:img.h.size-uint64(off)]
		eof = io.EOF
	}
	done := 0
	for done < len(p) {
		pos := uint64(off) + uint64(done)
		e, err := img.run(pos, uint64(len(p)-done))
		if err != nil {
			return done, err
		}
		if err := img.readExtent(p[done:done+int(e.n)], pos, e); err != nil {
			return done, err
		}
		done += int(e.n)
	}
	return done, eof
}

// run returns the longest run of bytes from guest offset pos, up to max
// bytes, that one read can serve: contiguous data clusters are merged so
// that a large read of an uncompressed image is one host read.
func (img *Image) run(pos, max uint64) (extent, error) {
	e, err := img.lookup(pos)
	if err != nil {
		return e, err
	}
	e.n = min(e.n, max)
	if e.kind == kindCompressed {
		return e, nil
	}
	for e.n < max {
		next, err := img.lookup(pos + e.n)
		if err != nil || next.kind != e.kind || (e.kind == kindData && next.host != e.host+e.n) {
			break // an error is reported when the read gets there
		}
		e.n = min(e.n+next.n, max)
	}
	return e, nil
}

// lookup maps guest offset pos to the extent that starts there and ends
// at the end of its cluster (or subcluster).
func (img *Image) lookup(pos uint64) (extent, error) {
	cluster := pos >> img.h.clusterBits
	inCluster := pos & (img.clusterSize - 1)
	unallocated := extent{kind: kindZero, n: img.clusterSize - inCluster}
	if img.backing != nil {
		unallocated.kind = kindBacking
	}
	l1Index := cluster / img.l2Entries
	if l1Index >= uint64(len(img.l1)) {
		return extent{}, fmt.Errorf("qcow2: guest offset %#x beyond the L1 table", pos)
	}
	l2Offset := img.l1[l1Index] & offsetMask
	if l2Offset == 0 {
		return unallocated, nil
	}
	table, err := img.l2Table(l2Offset)
	if err != nil {
		return extent{}, fmt.Errorf("qcow2: guest offset %#x: %w", pos, err)
	}
	i := cluster % img.l2Entries
	entrySize := l2EntrySize(img.h)
	entry := binary.BigEndian.Uint64(table[i*entrySize:])
	host := entry & offsetMask

	if entry&l2Compressed != 0 {
		return extent{kind: kindCompressed, host: entry, n: img.clusterSize - inCluster}, nil
	}
	if entrySize == 16 {
		return img.subcluster(pos, host, binary.BigEndian.Uint64(table[i*16+8:]), unallocated)
	}
	switch {
	case img.h.version >= 3 && entry&l2Zero != 0:
		return extent{kind: kindZero, n: img.clusterSize - inCluster}, nil
	case host == 0:
		return unallocated, nil
	case host%img.clusterSize != 0:
		return extent{}, fmt.Errorf("qcow2: guest offset %#x: data cluster at unaligned host offset %#x", pos, host)
	}
	return extent{kind: kindData, host: host + inCluster, n: img.clusterSize - inCluster}, nil
}

// subcluster maps pos in a cluster with an extended L2 entry, whose bitmap
// has an "allocated" bit (0-31) and a "reads as zero" bit (32-63) per
// subcluster ("Extended L2 Entries").
func (img *Image) subcluster(pos, host, bitmap uint64, unallocated extent) (extent, error) {
	scSize := img.clusterSize / 32
	inCluster := pos & (img.clusterSize - 1)
	sc := inCluster / scSize
	n := scSize - inCluster%scSize
	alloc, zero := bitmap>>sc&1 != 0, bitmap>>(32+sc)&1 != 0
	switch {
	case alloc && zero:
		return extent{}, fmt.Errorf("qcow2: guest offset %#x: subcluster both allocated and zero", pos)
	case zero:
		return extent{kind: kindZero, n: n}, nil
	case !alloc:
		unallocated.n = n
		return unallocated, nil
	case host == 0 || host%img.clusterSize != 0:
		return extent{}, fmt.Errorf("qcow2: guest offset %#x: allocated subcluster in cluster at invalid host offset %#x", pos, host)
	}
	return extent{kind: kindData, host: host + inCluster, n: n}, nil
}

// l2Table returns the L2 table at host offset off, from the cache or the
// file.
func (img *Image) l2Table(off uint64) ([]byte, error) {
	img.mu.Lock()
	t, ok := img.l2Cache.Get(off)
	img.mu.Unlock()
	if ok {
		return t, nil
	}
	if off%img.clusterSize != 0 {
		return nil, fmt.Errorf("L2 table at unaligned offset %#x", off)
	}
	if err := checkRange(off, img.clusterSize, img.fileSize); err != nil {
		return nil, fmt.Errorf("L2 table: %w", err)
	}
	t = make([]byte, img.clusterSize)
	if _, err := img.f.ReadAt(t, int64(off)); err != nil {
		return nil, fmt.Errorf("read L2 table at %#x: %w", off, err)
	}
	img.mu.Lock()
	img.l2Cache.Add(off, t, int64(len(t)))
	img.mu.Unlock()
	return t, nil
}

// readExtent fills p with the guest bytes at pos described by e.
func (img *Image) readExtent(p []byte, pos uint64, e extent) error {
	switch e.kind {
	case kindZero:
		clear(p)
	case kindBacking:
		return readPadded(img.backing, p, int64(pos), "backing file")
	case kindData:
		// Like QEMU, read data clusters past the end of the file as
		// zeros: a preallocated image may be shorter than its clusters.
		return readPadded(img.f, p, int64(e.host), "data cluster")
	case kindCompressed:
		c, err := img.compressedCluster(e.host)
		if err != nil {
			return fmt.Errorf("qcow2: guest offset %#x: %w", pos, err)
		}
		inCluster := pos & (img.clusterSize - 1)
		copy(p, c[inCluster:])
	}
	return nil
}

// readPadded reads p from r at off, with bytes past the end of r as zeros.
func readPadded(r Device, p []byte, off int64, what string) error {
	n := 0
	if off < r.Size() {
		var err error
		n, err = r.ReadAt(p[:min(int64(len(p)), r.Size()-off)], off)
		if err != nil && err != io.EOF {
			return fmt.Errorf("qcow2: read %s at %#x: %w", what, off, err)
		}
	}
	clear(p[n:])
	return nil
}

// compressedCluster returns the decompressed cluster described by the L2
// entry. The descriptor holds the host offset in its low x bits and the
// number of further 512-byte sectors in bits x-61, where
// x = 62 - (cluster_bits - 8) ("Compressed Clusters Descriptor").
func (img *Image) compressedCluster(entry uint64) ([]byte, error) {
	img.mu.Lock()
	c, ok := img.clusters.Get(entry)
	img.mu.Unlock()
	if ok {
		return c, nil
	}
	shift := 62 - (img.h.clusterBits - 8)
	off := entry & (1<<shift - 1)
	sectors := (entry>>shift)&(1<<(img.h.clusterBits-8)-1) + 1
	size := sectors*compSectorSize - off%compSectorSize
	if off >= img.fileSize {
		return nil, fmt.Errorf("compressed cluster at %#x beyond the %d-byte file", off, img.fileSize)
	}
	// The last compressed cluster may claim sectors past the end of the
	// file; the stream ends before them.
	size = min(size, img.fileSize-off)
	src := make([]byte, size)
	if _, err := img.f.ReadAt(src, int64(off)); err != nil && err != io.EOF {
		return nil, fmt.Errorf("read compressed cluster at %#x: %w", off, err)
	}
	c = make([]byte, img.clusterSize)
	if err := img.decompress(c, src); err != nil {
		return nil, fmt.Errorf("compressed cluster at %#x: %w", off, err)
	}
	img.mu.Lock()
	img.clusters.Add(entry, c, int64(len(c)))
	img.mu.Unlock()
	return c, nil
}

// decompress fills dst, a whole cluster, from the compressed data src: raw
// deflate (RFC 1951) or a zstd frame, by the image's compression type.
func (img *Image) decompress(dst, src []byte) error {
	switch img.h.compression {
	case compressionDeflate:
		r := flate.NewReader(bytes.NewReader(src))
		defer r.Close()
		if _, err := io.ReadFull(r, dst); err != nil {
			return fmt.Errorf("deflate: %w", err)
		}
		return nil
	case compressionZstd:
		return decompressZstd(dst, src)
	}
	return &FeatureError{Feature: fmt.Sprintf("compression type %d", img.h.compression)}
}
