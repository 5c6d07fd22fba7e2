package qcow2

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Header fields and limits, from the "Header" section of qcow2.txt.
const (
	magic = 0x514649fb // "QFI\xfb"

	headerV2Size = 72
	headerV3Min  = 104

	minClusterBits = 9
	maxClusterBits = 21

	// maxL1Bytes bounds the L1 table read at open, as QEMU does
	// (QCOW_MAX_L1_SIZE); it covers far more than any disk.
	maxL1Bytes = 32 << 20
	// maxBackingName is the longest backing file name QEMU writes.
	maxBackingName = 1023

	incompatDirty        = 1 << 0
	incompatCorrupt      = 1 << 1
	incompatDataFile     = 1 << 2
	incompatCompression  = 1 << 3
	incompatExtendedL2   = 1 << 4
	incompatKnown        = incompatDirty | incompatCorrupt | incompatDataFile | incompatCompression | incompatExtendedL2
	extBackingFormat     = 0xe2792aca
	extFeatureNameTable  = 0x6803f857
	extEnd               = 0
	featureNameEntrySize = 48

	compressionDeflate = 0
	compressionZstd    = 1
)

// header is the parsed, validated image header.
type header struct {
	version       uint32
	clusterBits   uint32
	size          uint64 // virtual disk size in bytes
	l1Size        uint32
	l1Offset      uint64
	incompat      uint64
	compression   uint8
	backingName   string
	backingFormat string
}

// FeatureError is an image that uses a feature this reader does not
// support, such as encryption or an unknown incompatible feature bit.
type FeatureError struct {
	Feature string
}

func (e *FeatureError) Error() string {
	return fmt.Sprintf("qcow2: unsupported feature: %s; convert the image with qemu-img convert -O qcow2 IMAGE OUT.qcow2", e.Feature)
}

// readHeader parses and checks the header of an image file of fileSize
// bytes. Every offset it returns has been checked to lie inside the file.
func readHeader(r io.ReaderAt, fileSize int64) (*header, error) {
	var b [headerV3Min + 8]byte
	n, err := r.ReadAt(b[:], 0)
	if n < headerV2Size {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("qcow2: read header: %w", err)
	}
	be := binary.BigEndian
	if be.Uint32(b[0:]) != magic {
		return nil, fmt.Errorf("qcow2: bad magic %#x", be.Uint32(b[0:]))
	}
	h := &header{
		version:     be.Uint32(b[4:]),
		clusterBits: be.Uint32(b[20:]),
		size:        be.Uint64(b[24:]),
		l1Size:      be.Uint32(b[36:]),
		l1Offset:    be.Uint64(b[40:]),
	}
	backingOffset := be.Uint64(b[8:])
	backingSize := be.Uint32(b[16:])
	cryptMethod := be.Uint32(b[32:])

	headerLen := uint32(headerV2Size)
	switch h.version {
	case 2:
	case 3:
		if n < headerV3Min {
			return nil, fmt.Errorf("qcow2: version 3 header truncated at %d bytes", n)
		}
		h.incompat = be.Uint64(b[72:])
		headerLen = be.Uint32(b[100:])
		if headerLen < headerV3Min || headerLen%8 != 0 {
			return nil, fmt.Errorf("qcow2: invalid header length %d", headerLen)
		}
		if headerLen > headerV3Min && n > headerV3Min {
			h.compression = b[104]
		}
	default:
		return nil, &FeatureError{Feature: fmt.Sprintf("version %d", h.version)}
	}

	if h.clusterBits < minClusterBits || h.clusterBits > maxClusterBits {
		return nil, fmt.Errorf("qcow2: cluster_bits %d outside [%d, %d]", h.clusterBits, minClusterBits, maxClusterBits)
	}
	clusterSize := uint64(1) << h.clusterBits
	if uint64(headerLen) > clusterSize {
		return nil, fmt.Errorf("qcow2: header length %d exceeds the cluster size %d", headerLen, clusterSize)
	}
	if cryptMethod != 0 {
		return nil, &FeatureError{Feature: fmt.Sprintf("encryption (method %d)", cryptMethod)}
	}
	if err := checkIncompat(r, h, headerLen, clusterSize); err != nil {
		return nil, err
	}
	if h.incompat&incompatCompression == 0 && h.compression != compressionDeflate {
		return nil, fmt.Errorf("qcow2: compression type %d set without the compression-type feature bit", h.compression)
	}
	if h.compression != compressionDeflate && h.compression != compressionZstd {
		return nil, &FeatureError{Feature: fmt.Sprintf("compression type %d", h.compression)}
	}
	if h.incompat&incompatExtendedL2 != 0 && h.clusterBits < 14 {
		return nil, fmt.Errorf("qcow2: extended L2 entries need clusters of at least 16 KiB, not %d bytes", clusterSize)
	}

	// The L1 table must cover the virtual size and lie inside the file.
	if h.size > 1<<62 {
		return nil, fmt.Errorf("qcow2: virtual size %d too large", h.size)
	}
	l2Entries := clusterSize / l2EntrySize(h)
	needL1 := divRoundUp(divRoundUp(h.size, clusterSize), l2Entries)
	if uint64(h.l1Size) < needL1 {
		return nil, fmt.Errorf("qcow2: L1 table of %d entries cannot map the virtual size %d (needs %d)", h.l1Size, h.size, needL1)
	}
	if uint64(h.l1Size)*8 > maxL1Bytes {
		return nil, fmt.Errorf("qcow2: L1 table of %d entries exceeds %d bytes", h.l1Size, maxL1Bytes)
	}
	if h.l1Size > 0 {
		if h.l1Offset%clusterSize != 0 {
			return nil, fmt.Errorf("qcow2: L1 table offset %#x is not cluster aligned", h.l1Offset)
		}
		if err := checkRange(h.l1Offset, uint64(h.l1Size)*8, uint64(fileSize)); err != nil {
			return nil, fmt.Errorf("qcow2: L1 table: %w", err)
		}
	}

	if err := readExtensions(r, h, headerLen, clusterSize, fileSize); err != nil {
		return nil, err
	}
	if backingOffset != 0 {
		if backingSize == 0 || backingSize > maxBackingName {
			return nil, fmt.Errorf("qcow2: backing file name length %d outside [1, %d]", backingSize, maxBackingName)
		}
		if backingOffset > clusterSize {
			return nil, fmt.Errorf("qcow2: backing file name at %#x is outside the first cluster", backingOffset)
		}
		if err := checkRange(backingOffset, uint64(backingSize), uint64(fileSize)); err != nil {
			return nil, fmt.Errorf("qcow2: backing file name: %w", err)
		}
		name := make([]byte, backingSize)
		if _, err := r.ReadAt(name, int64(backingOffset)); err != nil {
			return nil, fmt.Errorf("qcow2: read backing file name: %w", err)
		}
		h.backingName = string(name)
	}
	return h, nil
}

// checkIncompat refuses images whose incompatible feature bits this reader
// cannot honour, naming them from the image's feature name table when it
// has one.
func checkIncompat(r io.ReaderAt, h *header, headerLen uint32, clusterSize uint64) error {
	switch {
	case h.incompat&incompatCorrupt != 0:
		return fmt.Errorf("qcow2: image is marked corrupt; repair it with qemu-img check -r all")
	case h.incompat&incompatDataFile != 0:
		return &FeatureError{Feature: "external data file"}
	}
	unknown := h.incompat &^ incompatKnown
	if unknown == 0 {
		return nil
	}
	bit := 0
	for unknown&(1<<bit) == 0 {
		bit++
	}
	name := featureName(r, headerLen, clusterSize, bit)
	if name == "" {
		name = fmt.Sprintf("incompatible feature bit %d", bit)
	}
	return &FeatureError{Feature: name}
}

// featureName looks up an incompatible feature bit in the feature name
// table header extension; "" when the image does not name it.
func featureName(r io.ReaderAt, headerLen uint32, clusterSize uint64, bit int) string {
	name := ""
	_ = walkExtensions(r, headerLen, clusterSize, func(typ uint32, data []byte) error {
		if typ != extFeatureNameTable {
			return nil
		}
		for i := 0; i+featureNameEntrySize <= len(data); i += featureNameEntrySize {
			e := data[i : i+featureNameEntrySize]
			if e[0] == 0 && int(e[1]) == bit {
				name = cString(e[2:])
			}
		}
		return nil
	})
	return name
}

// readExtensions reads the header extensions this reader uses.
func readExtensions(r io.ReaderAt, h *header, headerLen uint32, clusterSize uint64, fileSize int64) error {
	return walkExtensions(r, headerLen, min(clusterSize, uint64(fileSize)), func(typ uint32, data []byte) error {
		if typ == extBackingFormat {
			h.backingFormat = string(data)
		}
		return nil
	})
}

// walkExtensions calls fn for each header extension, which follow the
// header inside the first cluster ("Header extensions").
func walkExtensions(r io.ReaderAt, headerLen uint32, limit uint64, fn func(typ uint32, data []byte) error) error {
	if limit <= uint64(headerLen) {
		return nil
	}
	buf := make([]byte, limit-uint64(headerLen))
	n, err := r.ReadAt(buf, int64(headerLen))
	if err != nil && err != io.EOF {
		return fmt.Errorf("qcow2: read header extensions: %w", err)
	}
	buf = buf[:n]
	for off := 0; off+8 <= len(buf); {
		typ := binary.BigEndian.Uint32(buf[off:])
		length := uint64(binary.BigEndian.Uint32(buf[off+4:]))
		if typ == extEnd {
			return nil
		}
		off += 8
		if length > uint64(len(buf)-off) {
			return fmt.Errorf("qcow2: header extension %#x of %d bytes overruns the first cluster", typ, length)
		}
		if err := fn(typ, buf[off:off+int(length)]); err != nil {
			return err
		}
		off += int((length + 7) &^ 7)
	}
	return nil
}

func l2EntrySize(h *header) uint64 {
	if h.incompat&incompatExtendedL2 != 0 {
		return 16
	}
	return 8
}

// checkRange reports whether [off, off+n) lies inside [0, limit).
func checkRange(off, n, limit uint64) error {
	if off > limit || n > limit-off {
		return fmt.Errorf("range [%#x, +%d) outside the %d-byte file", off, n, limit)
	}
	return nil
}

func divRoundUp(a, b uint64) uint64 { return (a + b - 1) / b }

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
