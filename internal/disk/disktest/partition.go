package disktest

import (
	"encoding/binary"
	"hash/crc32"
	"unicode/utf16"
)

// Part is a partition for GPT or MBR to lay out: Type is a GPT type GUID
// in text form ("0FC63DAF-8483-4772-8E79-3D69D8477DE4") or, for MBR, the
// type byte in MBRType. Start and Size are in 512-byte sectors.
type Part struct {
	Type    string
	MBRType byte
	Name    string
	Start   uint64
	Size    uint64
}

// Linux file system partition types.
const (
	LinuxGUID = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
	// EFIGUID is the EFI system partition, a type that is not Linux's.
	EFIGUID = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
)

// GPT writes a protective MBR, the primary and backup GPT headers and a
// 128-entry partition array for parts into disk (whose length is the disk
// size), as the UEFI specification lays them out with 512-byte sectors.
func GPT(disk []byte, parts []Part) {
	const ss = 512
	sectors := uint64(len(disk) / ss)
	le := binary.LittleEndian
	// Protective MBR: one 0xEE partition covering the disk.
	mbr := disk[:ss]
	e := mbr[446:]
	e[4] = 0xee
	le.PutUint32(e[8:], 1)
	le.PutUint32(e[12:], uint32(min(sectors-1, 0xffffffff)))
	mbr[510], mbr[511] = 0x55, 0xaa

	entries := make([]byte, 128*128)
	for i, p := range parts {
		ent := entries[i*128:]
		putGUID(ent[0:], p.Type)
		putGUID(ent[16:], "01234567-89AB-CDEF-0123-456789ABCDE"+string(rune('0'+i)))
		le.PutUint64(ent[32:], p.Start)
		le.PutUint64(ent[40:], p.Start+p.Size-1)
		for j, c := range utf16.Encode([]rune(p.Name)) {
			le.PutUint16(ent[56+2*j:], c)
		}
	}
	arrayCRC := crc32.ChecksumIEEE(entries)
	header := func(my, alt, entriesLBA uint64) []byte {
		h := make([]byte, 92)
		copy(h, "EFI PART")
		le.PutUint32(h[8:], 0x00010000)
		le.PutUint32(h[12:], 92)
		le.PutUint64(h[24:], my)
		le.PutUint64(h[32:], alt)
		le.PutUint64(h[40:], 34)
		le.PutUint64(h[48:], sectors-34)
		putGUID(h[56:], "DEADBEEF-0000-1111-2222-333344445555")
		le.PutUint64(h[72:], entriesLBA)
		le.PutUint32(h[80:], 128)
		le.PutUint32(h[84:], 128)
		le.PutUint32(h[88:], arrayCRC)
		le.PutUint32(h[16:], crc32.ChecksumIEEE(h))
		return h
	}
	copy(disk[ss:], header(1, sectors-1, 2))
	copy(disk[2*ss:], entries)
	copy(disk[(sectors-33)*ss:], entries)
	copy(disk[(sectors-1)*ss:], header(sectors-1, 1, sectors-33))
}

// MBR writes an MBR partition table for parts into disk. Parts after the
// third go into logical partitions of an extended partition in slot 4,
// which spans from the fourth part's start (minus one sector for its
// extended boot record) to the end of the last.
func MBR(disk []byte, parts []Part) {
	le := binary.LittleEndian
	entry := func(sector []byte, slot int, typ byte, start, size uint64) {
		e := sector[446+16*slot:]
		e[4] = typ
		le.PutUint32(e[8:], uint32(start))
		le.PutUint32(e[12:], uint32(size))
		sector[510], sector[511] = 0x55, 0xaa
	}
	for i, p := range parts[:min(3, len(parts))] {
		entry(disk, i, p.MBRType, p.Start, p.Size)
	}
	if len(parts) <= 3 {
		return
	}
	logical := parts[3:]
	extStart := logical[0].Start - 1
	last := logical[len(logical)-1]
	entry(disk, 3, 0x05, extStart, last.Start+last.Size-extStart)
	for i, p := range logical {
		ebr := p.Start - 1
		sector := disk[ebr*512 : ebr*512+512]
		entry(sector, 0, p.MBRType, 1, p.Size)
		if i+1 < len(logical) {
			next := logical[i+1].Start - 1
			entry(sector, 1, 0x05, next-extStart, logical[i+1].Size+1)
		}
	}
}

// putGUID stores a GUID in text form with GPT's mixed endianness.
func putGUID(b []byte, s string) {
	hex := func(s string) []byte {
		out := make([]byte, len(s)/2)
		for i := range out {
			out[i] = unhex(s[2*i])<<4 | unhex(s[2*i+1])
		}
		return out
	}
	le := binary.LittleEndian
	le.PutUint32(b[0:], binary.BigEndian.Uint32(hex(s[0:8])))
	le.PutUint16(b[4:], binary.BigEndian.Uint16(hex(s[9:13])))
	le.PutUint16(b[6:], binary.BigEndian.Uint16(hex(s[14:18])))
	copy(b[8:10], hex(s[19:23]))
	copy(b[10:16], hex(s[24:36]))
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 0
}
