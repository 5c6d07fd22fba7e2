package ext4

import "encoding/binary"

// In-inode extended attributes ("Extended Attributes"): after the extra
// inode fields, a magic number and then entries, ended by four zero bytes.
const (
	xattrMagic       = 0xea020000
	xattrEntryHeader = 16
	xattrIndexSystem = 7 // name prefix "system."
)

// inlineXattr returns the value of the system.data attribute from the
// in-inode attribute area ibody, which holds an inline-data inode's bytes
// beyond the 60 in i_block ("Inline Data"). A missing attribute is an
// empty value, as the kernel treats it.
func inlineXattr(ino Ino, ibody []byte, hasExtra bool) ([]byte, error) {
	le := binary.LittleEndian
	if !hasExtra || len(ibody) < 4 || le.Uint32(ibody) != xattrMagic {
		return nil, nil
	}
	area := ibody[4:] // value offsets count from the first entry
	for off := 0; off+4 <= len(area) && le.Uint32(area[off:]) != 0; {
		if off+xattrEntryHeader > len(area) {
			return nil, corrupt(ino, "in-inode extended attribute entry at %d overruns the inode", off)
		}
		e := area[off:]
		nameLen := int(e[0])
		size := (xattrEntryHeader + nameLen + 3) &^ 3
		if off+size > len(area) {
			return nil, corrupt(ino, "in-inode extended attribute name at %d overruns the inode", off)
		}
		if e[1] == xattrIndexSystem && string(e[xattrEntryHeader:xattrEntryHeader+nameLen]) == "data" {
			if le.Uint32(e[4:]) != 0 {
				return nil, corrupt(ino, "inline data stored in an extended attribute inode")
			}
			voff, vsize := int(le.Uint16(e[2:])), int(le.Uint32(e[8:]))
			if voff > len(area) || vsize > len(area)-voff {
				return nil, corrupt(ino, "inline data value [%d, +%d) overruns the inode", voff, vsize)
			}
			// Copy: the inode outlives the cached block it came from.
			return append([]byte(nil), area[voff:voff+vsize]...), nil
		}
		off += size
	}
	return nil, nil
}

// inlineData returns the data of an inline-data inode: i_block followed by
// the system.data attribute, cut to the file size.
func inlineData(ino Ino, in *inode) ([]byte, error) {
	avail := uint64(iBlockSize + len(in.inline))
	if in.size > avail {
		return nil, corrupt(ino, "inline file of %d bytes has only %d bytes of inline data", in.size, avail)
	}
	b := make([]byte, 0, in.size)
	b = append(b, in.block[:min(in.size, iBlockSize)]...)
	if in.size > iBlockSize {
		b = append(b, in.inline[:in.size-iBlockSize]...)
	}
	return b, nil
}
