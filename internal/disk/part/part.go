package part

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
	"unicode/utf16"
)

// Scheme is the kind of partition table.
type Scheme string

// The partition table schemes Read knows.
const (
	GPT Scheme = "gpt"
	MBR Scheme = "mbr"
)

// ErrNoTable means the disk has no partition table Read recognizes.
var ErrNoTable = errors.New("no partition table")

// Table is a disk's partition table.
type Table struct {
	Scheme     Scheme
	SectorSize int // logical sector size the table uses (512 or 4096)
	Partitions []Partition
}

// Partition is one used slot of the table.
type Partition struct {
	Number int   // Linux's partition number: 1-based slot, MBR logical from 5
	Start  int64 // byte offset on the disk
	Size   int64 // length in bytes
	// Type is the GPT partition type GUID in its canonical upper-case
	// text form, or the MBR type byte as "0x83".
	Type string
	Name string // GPT partition name; empty for MBR
	// Linux reports whether the type marks a Linux file system: MBR 0x83,
	// GPT "Linux filesystem data" or a Discoverable Partitions root, /usr,
	// /home, /srv or /var type.
	Linux bool
}

// Limits that keep a hostile table from costing memory or time.
const (
	maxEntryArray = 1 << 20 // bytes of GPT partition entries
	maxLogical    = 256     // MBR logical partitions
)

// Read reads the partition table of the disk r of size bytes. It returns
// ErrNoTable when there is neither a GPT nor an MBR.
func Read(r io.ReaderAt, size int64) (*Table, error) {
	var mbr [512]byte
	if _, err := r.ReadAt(mbr[:], 0); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, ErrNoTable
		}
		return nil, fmt.Errorf("read sector 0: %w", err)
	}
	entries, hasMBR := mbrEntries(&mbr)
	for _, ss := range []int64{512, 4096} {
		t, err := readGPT(r, size, ss)
		if err == nil {
			return t, nil
		}
		if !errors.Is(err, errNoGPT) {
			return nil, err
		}
	}
	if !hasMBR {
		return nil, ErrNoTable
	}
	for _, e := range entries {
		if e.typ == 0xee {
			return nil, fmt.Errorf("gpt: protective MBR without a valid GPT header at LBA 1")
		}
	}
	return readMBR(r, size, entries)
}

// mbrEntry is one 16-byte entry of a partition table sector.
type mbrEntry struct {
	status byte
	typ    byte
	lba    uint32
	count  uint32
}

// mbrEntries decodes the four entries of a partition table sector. It
// reports false if the sector has no boot signature or an entry's status
// byte is neither 0x00 nor 0x80, which tells a file system's boot sector
// from an MBR.
func mbrEntries(sector *[512]byte) ([4]mbrEntry, bool) {
	var es [4]mbrEntry
	if sector[510] != 0x55 || sector[511] != 0xaa {
		return es, false
	}
	for i := range es {
		b := sector[446+16*i:]
		es[i] = mbrEntry{
			status: b[0],
			typ:    b[4],
			lba:    binary.LittleEndian.Uint32(b[8:]),
			count:  binary.LittleEndian.Uint32(b[12:]),
		}
		if es[i].status != 0 && es[i].status != 0x80 {
			return es, false
		}
	}
	return es, true
}

func isExtended(typ byte) bool { return typ == 0x05 || typ == 0x0f || typ == 0x85 }

// readMBR builds the table from the MBR's primary entries and the chain of
// extended boot records of its extended partition.
func readMBR(r io.ReaderAt, size int64, entries [4]mbrEntry) (*Table, error) {
	t := &Table{Scheme: MBR, SectorSize: 512}
	var ext *mbrEntry
	for i, e := range entries {
		switch {
		case e.typ == 0 || e.count == 0:
		case isExtended(e.typ):
			if ext != nil {
				return nil, fmt.Errorf("mbr: more than one extended partition")
			}
			ext = &entries[i]
		default:
			t.Partitions = append(t.Partitions, mbrPartition(i+1, 0, e))
		}
	}
	if ext == nil {
		return t, nil
	}
	// Each EBR holds a logical partition relative to itself and a link
	// to the next EBR relative to the extended partition's start.
	base := int64(ext.lba)
	next := int64(0)
	seen := map[int64]bool{}
	for n := 5; ; n++ {
		if n-4 > maxLogical {
			return nil, fmt.Errorf("mbr: more than %d logical partitions", maxLogical)
		}
		at := base + next
		if seen[at] {
			return nil, fmt.Errorf("mbr: extended boot record chain loops at sector %d", at)
		}
		seen[at] = true
		var ebr [512]byte
		if at*512 >= size {
			return nil, fmt.Errorf("mbr: extended boot record at sector %d is past the end of the disk", at)
		}
		if _, err := r.ReadAt(ebr[:], at*512); err != nil {
			return nil, fmt.Errorf("mbr: read extended boot record at sector %d: %w", at, err)
		}
		es, ok := mbrEntries(&ebr)
		if !ok {
			return nil, fmt.Errorf("mbr: extended boot record at sector %d has no boot signature", at)
		}
		if es[0].typ != 0 && es[0].count != 0 {
			t.Partitions = append(t.Partitions, mbrPartition(n, at, es[0]))
		}
		if !isExtended(es[1].typ) || es[1].lba == 0 {
			return t, nil
		}
		next = int64(es[1].lba)
	}
}

func mbrPartition(n int, base int64, e mbrEntry) Partition {
	return Partition{
		Number: n,
		Start:  (base + int64(e.lba)) * 512,
		Size:   int64(e.count) * 512,
		Type:   fmt.Sprintf("%#02x", e.typ),
		Linux:  e.typ == 0x83,
	}
}

var errNoGPT = errors.New("no GPT header")

// GPT header field offsets (UEFI 2.10, table 5.5 "GPT Header").
const (
	gptSignature = "EFI PART"
	gptMinHeader = 92
	gptMinEntry  = 128
)

// readGPT reads the GPT of a disk with sector size ss: the primary header
// at LBA 1, or the backup at the last LBA when the primary is damaged.
func readGPT(r io.ReaderAt, size, ss int64) (*Table, error) {
	if size < 3*ss {
		return nil, errNoGPT
	}
	h, perr := readGPTHeader(r, ss, 1, size)
	if errors.Is(perr, errNoGPT) {
		return nil, perr
	}
	if perr != nil {
		// The primary exists but is damaged: try the backup.
		var berr error
		h, berr = readGPTHeader(r, ss, size/ss-1, size)
		if berr != nil {
			return nil, fmt.Errorf("gpt: primary header: %w; backup header: %v", perr, berr)
		}
	}
	return h, nil
}

func readGPTHeader(r io.ReaderAt, ss, lba, size int64) (*Table, error) {
	buf := make([]byte, ss)
	if _, err := r.ReadAt(buf, lba*ss); err != nil {
		return nil, fmt.Errorf("read LBA %d: %w", lba, err)
	}
	if string(buf[:8]) != gptSignature {
		if lba == 1 {
			return nil, errNoGPT
		}
		return nil, fmt.Errorf("no GPT signature at LBA %d", lba)
	}
	le := binary.LittleEndian
	hsize := le.Uint32(buf[12:])
	if hsize < gptMinHeader || int64(hsize) > ss {
		return nil, fmt.Errorf("header size %d outside [%d, %d]", hsize, gptMinHeader, ss)
	}
	want := le.Uint32(buf[16:])
	hdr := append([]byte(nil), buf[:hsize]...)
	clear(hdr[16:20])
	if got := crc32.ChecksumIEEE(hdr); got != want {
		return nil, fmt.Errorf("header CRC32 %#08x, header says %#08x", got, want)
	}
	if my := le.Uint64(buf[24:]); my != uint64(lba) {
		return nil, fmt.Errorf("header at LBA %d says it is at LBA %d", lba, my)
	}
	entriesLBA := le.Uint64(buf[72:])
	count := uint64(le.Uint32(buf[80:]))
	esize := uint64(le.Uint32(buf[84:]))
	if esize < gptMinEntry || esize%8 != 0 || esize > maxEntryArray {
		return nil, fmt.Errorf("partition entry size %d invalid", esize)
	}
	if count*esize > maxEntryArray {
		return nil, fmt.Errorf("%d partition entries of %d bytes exceed %d bytes", count, esize, maxEntryArray)
	}
	total := uint64(size / ss)
	if entriesLBA >= total || count*esize > (total-entriesLBA)*uint64(ss) {
		return nil, fmt.Errorf("partition entry array at LBA %d is past the end of the disk", entriesLBA)
	}
	arr := make([]byte, count*esize)
	if _, err := r.ReadAt(arr, int64(entriesLBA)*ss); err != nil {
		return nil, fmt.Errorf("read partition entries: %w", err)
	}
	if got, want := crc32.ChecksumIEEE(arr), le.Uint32(buf[88:]); got != want {
		return nil, fmt.Errorf("partition entry array CRC32 %#08x, header says %#08x", got, want)
	}
	t := &Table{Scheme: GPT, SectorSize: int(ss)}
	for i := uint64(0); i < count; i++ {
		e := arr[i*esize : (i+1)*esize]
		typ := guidString(e[0:16])
		if typ == zeroGUID {
			continue
		}
		first, last := le.Uint64(e[32:]), le.Uint64(e[40:])
		if last < first || last > 1<<62/uint64(ss) {
			return nil, fmt.Errorf("gpt: partition %d has invalid LBA range %d-%d", i+1, first, last)
		}
		t.Partitions = append(t.Partitions, Partition{
			Number: int(i + 1),
			Start:  int64(first) * ss,
			Size:   int64(last-first+1) * ss,
			Type:   typ,
			Name:   utf16Name(e[56:128]),
			Linux:  linuxGUIDs[typ],
		})
	}
	return t, nil
}

const zeroGUID = "00000000-0000-0000-0000-000000000000"

// linuxGUIDs are the GPT type GUIDs of Linux file systems: "Linux
// filesystem data" and the Discoverable Partitions Specification's root
// (x86-64, AArch64, x86, ARM, RISC-V 64), /usr (x86-64), /home, /srv and
// /var types.
var linuxGUIDs = map[string]bool{
	"0FC63DAF-8483-4772-8E79-3D69D8477DE4": true,
	"4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709": true,
	"B921B045-1DF0-41C3-AF44-4C6F280D3FAE": true,
	"44479540-F297-41B2-9AF7-D131D5F0458A": true,
	"69DAD710-2CE4-4E3C-B16C-21A1D49ABED3": true,
	"72EC70A6-CF74-40E6-BD49-4BDA08E8F224": true,
	"8484680C-9521-48C6-9C11-B0720656F69E": true,
	"933AC7E1-2EB4-4F13-B844-0E14E2AEF915": true,
	"3B8F8425-20E0-4F3B-907F-1A25A76F98E8": true,
	"4D21B016-B534-45C2-A9FB-5C16E091FD2D": true,
}

// guidString formats a GUID stored in mixed endianness: the first three
// fields little-endian, the rest as bytes.
func guidString(b []byte) string {
	le := binary.LittleEndian
	return strings.ToUpper(fmt.Sprintf("%08x-%04x-%04x-%x-%x",
		le.Uint32(b[0:]), le.Uint16(b[4:]), le.Uint16(b[6:]), b[8:10], b[10:16]))
}

func utf16Name(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}
