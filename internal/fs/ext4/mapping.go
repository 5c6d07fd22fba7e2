package ext4

import (
	"encoding/binary"
	"sort"
)

// run maps logical blocks [lblk, lblk+n) of a file to physical blocks
// [pblk, pblk+n), or says that they read as zeros (a hole or an unwritten
// extent).
type run struct {
	lblk, n uint64
	pblk    uint64
	zero    bool
}

// maxLogical is one past the largest logical block number: extents and
// block maps address 2^32 blocks.
const maxLogical = 1 << 32

// mapBlock returns the run of the file's blocks that starts at logical
// block lblk. A hole past the last mapped block extends to maxLogical; the
// caller clips runs to the file size.
func (fsys *FS) mapBlock(ino Ino, in *inode, lblk uint64) (run, error) {
	if lblk >= maxLogical {
		return run{lblk: lblk, n: 1, zero: true}, nil
	}
	if in.flags&flagExtents != 0 {
		return fsys.mapExtent(ino, in, lblk)
	}
	return fsys.mapIndirect(ino, in, lblk)
}

// Extent tree nodes ("Extent Tree"): a 12-byte header, then 12-byte
// index entries (interior nodes) or extents (leaves).
const (
	extentMagic     = 0xf30a
	extentEntrySize = 12
	// maxExtentDepth is the kernel's limit (EXT4_MAX_EXTENT_DEPTH); each
	// level must be exactly one less deep than its parent, which also
	// stops a tree whose blocks point back at themselves.
	maxExtentDepth = 5
	// unwrittenLen: an extent length above it marks an unwritten
	// (preallocated) extent of length-unwrittenLen blocks.
	unwrittenLen = 32768
)

// mapExtent walks the extent tree from the root in i_block to the leaf
// that covers lblk.
func (fsys *FS) mapExtent(ino Ino, in *inode, lblk uint64) (run, error) {
	le := binary.LittleEndian
	node := in.block[:]
	end := uint64(maxLogical) // first logical block past this subtree
	wantDepth := -1
	for {
		if len(node) < extentEntrySize || le.Uint16(node) != extentMagic {
			return run{}, corrupt(ino, "extent tree node without the extent magic")
		}
		entries, max, depth := int(le.Uint16(node[2:])), int(le.Uint16(node[4:])), int(le.Uint16(node[6:]))
		switch {
		case max > (len(node)-extentEntrySize)/extentEntrySize || entries > max:
			return run{}, corrupt(ino, "extent tree node with %d of %d entries does not fit %d bytes", entries, max, len(node))
		case wantDepth < 0 && depth > maxExtentDepth:
			return run{}, corrupt(ino, "extent tree depth %d exceeds %d", depth, maxExtentDepth)
		case wantDepth >= 0 && depth != wantDepth:
			return run{}, corrupt(ino, "extent tree node at depth %d where %d was expected", depth, wantDepth)
		}
		ents := node[extentEntrySize : extentEntrySize*(1+entries)]
		start := func(i int) uint64 { return uint64(le.Uint32(ents[i*extentEntrySize:])) }
		// i is the last entry that starts at or before lblk.
		i := sort.Search(entries, func(i int) bool { return start(i) > lblk }) - 1
		if i+1 < entries {
			end = min(end, start(i+1))
		}
		if i < 0 {
			return run{lblk: lblk, n: end - lblk, zero: true}, nil
		}
		e := ents[i*extentEntrySize:]
		if depth > 0 {
			child := uint64(le.Uint32(e[4:])) | uint64(le.Uint16(e[8:]))<<32
			b, err := fsys.block(ino, child)
			if err != nil {
				return run{}, err
			}
			node, wantDepth = b, depth-1
			continue
		}
		first, length := start(i), uint64(le.Uint16(e[4:]))
		unwritten := length > unwrittenLen
		if unwritten {
			length -= unwrittenLen
		}
		if lblk >= first+length {
			return run{lblk: lblk, n: end - lblk, zero: true}, nil
		}
		pstart := uint64(le.Uint16(e[6:]))<<32 | uint64(le.Uint32(e[8:]))
		if pstart == 0 || pstart >= fsys.sb.blocksCount || length > fsys.sb.blocksCount-pstart {
			return run{}, corrupt(ino, "extent of %d blocks at block %d is outside the file system", length, pstart)
		}
		n := min(first+length, end) - lblk
		return run{lblk: lblk, n: n, pblk: pstart + lblk - first, zero: unwritten}, nil
	}
}

// Block maps of ext2/3 files ("Direct/Indirect Block Addressing"): twelve
// direct pointers, then one single, one double and one triple indirect.
const directBlocks = 12

// mapIndirect maps lblk through the inode's block map. Runs are
// extended over following pointers in the same table that continue the
// physical range (or the hole).
func (fsys *FS) mapIndirect(ino Ino, in *inode, lblk uint64) (run, error) {
	le := binary.LittleEndian
	if lblk < directBlocks {
		ptrs := make([]byte, 4*directBlocks)
		copy(ptrs, in.block[:])
		return fsys.runInTable(ino, ptrs, lblk, lblk)
	}
	perBlock := fsys.sb.blockSize / 4
	rel := lblk - directBlocks
	span := uint64(1) // blocks mapped by one pointer at the current level
	for level := 1; level <= 3; level++ {
		span *= perBlock
		if rel >= span {
			rel -= span
			continue
		}
		// Descend from i_block[11+level] through level tables.
		ptr := uint64(le.Uint32(in.block[4*(directBlocks-1+level):]))
		for sub := span; ; {
			if ptr == 0 {
				return run{lblk: lblk, n: sub - rel%sub, zero: true}, nil
			}
			table, err := fsys.block(ino, ptr)
			if err != nil {
				return run{}, err
			}
			sub /= perBlock
			idx := rel / sub % perBlock
			if sub == 1 {
				return fsys.runInTable(ino, table, idx, lblk)
			}
			ptr = uint64(le.Uint32(table[idx*4:]))
		}
	}
	return run{lblk: lblk, n: maxLogical - lblk, zero: true}, nil
}

// runInTable returns the run starting at pointer idx of a table of block
// pointers, for logical block lblk.
func (fsys *FS) runInTable(ino Ino, table []byte, idx, lblk uint64) (run, error) {
	le := binary.LittleEndian
	count := uint64(len(table) / 4)
	first := uint64(le.Uint32(table[idx*4:]))
	if first >= fsys.sb.blocksCount {
		return run{}, corrupt(ino, "block pointer %d is outside the file system", first)
	}
	n := uint64(1)
	for idx+n < count {
		p := uint64(le.Uint32(table[(idx+n)*4:]))
		if (first == 0 && p != 0) || (first != 0 && p != first+n) {
			break
		}
		n++
	}
	return run{lblk: lblk, n: n, pblk: first, zero: first == 0}, nil
}
