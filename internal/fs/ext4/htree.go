package ext4

import (
	"encoding/binary"
	"errors"
	"sort"
)

// errBadHtree is a hashed directory whose index cannot be used; the
// lookup falls back to scanning the directory's blocks, which stay valid
// as a linear directory whatever the index says.
var errBadHtree = errors.New("ext4: damaged htree index")

// Hash tree layout ("Hash Tree Directories"). The root block starts with
// the "." and ".." entries, then dx_root_info, then the index entries;
// an interior node starts with an empty entry covering the block. Index
// entries are {hash, block} pairs, the first of which holds {limit,
// count} in place of its hash.
const (
	dxRootInfoOff  = 24
	dxNodeOff      = 8
	dxEntrySize    = 8
	dxBlockMask    = 0x0fffffff
	maxHtreeLevels = 3 // interior levels below the root with largedir; 2 without
)

// dxFrame is one node of a lookup's path: its entries and the one taken.
type dxFrame struct {
	entries []byte
	count   int
	at      int
}

func (f *dxFrame) hash(i int) uint32 {
	if i == 0 {
		return 0
	}
	return binary.LittleEndian.Uint32(f.entries[i*dxEntrySize:])
}

func (f *dxFrame) block(i int) uint64 {
	return uint64(binary.LittleEndian.Uint32(f.entries[i*dxEntrySize+4:]) & dxBlockMask)
}

// dxLookup finds name in a hashed directory: it descends the index to
// the leaf block whose hash range holds the name's hash and searches it,
// then the following leaves while their first hash continues the same
// value (names whose hashes collide may span leaves). 0 means not found;
// errBadHtree means the index is damaged.
func (fsys *FS) dxLookup(dir Ino, in *inode, name string) (Ino, error) {
	root, err := fsys.dirBlock(dir, in, 0)
	if err != nil {
		return 0, err
	}
	version := root[dxRootInfoOff+4]
	infoLen := int(root[dxRootInfoOff+5])
	levels := int(root[dxRootInfoOff+6])
	maxLevels := maxHtreeLevels - 1
	if fsys.sb.hasIncompat(incompatLargeDir) {
		maxLevels = maxHtreeLevels
	}
	if infoLen < 8 || dxRootInfoOff+infoLen > len(root) || version >= hashSipHash || levels >= maxLevels || root[dxRootInfoOff+7]&1 != 0 {
		return 0, errBadHtree
	}
	if version <= hashTEA && fsys.sb.flags&flagUnsignedHash != 0 {
		version += hashLegacyUnsigned
	}
	target := dirHash([]byte(name), version, fsys.sb.hashSeed)

	// Descend from the root to the leaf for target.
	path := make([]dxFrame, 0, levels+1)
	node := root[dxRootInfoOff+infoLen:]
	for {
		f, err := dxNode(node)
		if err != nil {
			return 0, err
		}
		f.at = sort.Search(f.count, func(i int) bool { return f.hash(i) > target }) - 1
		if f.at < 0 {
			return 0, errBadHtree // entry 0 has hash 0, so only a bad count gets here
		}
		path = append(path, f)
		if len(path) > levels {
			break
		}
		if node, err = fsys.dxInterior(dir, in, f.block(f.at)); err != nil {
			return 0, err
		}
	}
	// A directory has no more leaves than blocks; visiting more means
	// the index loops.
	budget := min(in.size, fsys.maxDir) / fsys.sb.blockSize
	for {
		if budget == 0 {
			return 0, errBadHtree
		}
		budget--
		leaf := &path[len(path)-1]
		b, err := fsys.dirBlock(dir, in, leaf.block(leaf.at))
		if err != nil {
			return 0, err
		}
		var found Ino
		if _, err := fsys.iterBlock(dir, b, 0, 0, func(d dirent) (bool, error) {
			if string(d.name) == name {
				found = d.ino
				return false, nil
			}
			return true, nil
		}); err != nil || found != 0 {
			return found, err
		}
		// Step to the next entry at the deepest level that has one,
		// if it continues the target hash (collision bit aside).
		i := len(path) - 1
		for i >= 0 && path[i].at+1 >= path[i].count {
			i--
		}
		if i < 0 {
			return 0, nil
		}
		path[i].at++
		if path[i].hash(path[i].at)&^1 != target {
			return 0, nil
		}
		path = path[:i+1]
		for len(path) <= levels {
			top := &path[len(path)-1]
			node, err := fsys.dxInterior(dir, in, top.block(top.at))
			if err != nil {
				return 0, err
			}
			f, err := dxNode(node)
			if err != nil {
				return 0, err
			}
			path = append(path, f)
		}
	}
}

// dxNode reads the count and limit at the start of a node's entries.
func dxNode(entries []byte) (dxFrame, error) {
	if len(entries) < dxEntrySize {
		return dxFrame{}, errBadHtree
	}
	limit := int(binary.LittleEndian.Uint16(entries))
	count := int(binary.LittleEndian.Uint16(entries[2:]))
	if count == 0 || count > limit || limit*dxEntrySize > len(entries) {
		return dxFrame{}, errBadHtree
	}
	return dxFrame{entries: entries, count: count}, nil
}

// dxInterior returns the entries of the interior index node in directory
// block lblk, which starts with an empty entry that covers the block.
func (fsys *FS) dxInterior(dir Ino, in *inode, lblk uint64) ([]byte, error) {
	b, err := fsys.dirBlock(dir, in, lblk)
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	if le.Uint32(b) != 0 || (uint64(le.Uint16(b[4:])) != fsys.sb.blockSize && !(len(b) == 65536 && le.Uint16(b[4:]) == 0)) {
		return nil, errBadHtree
	}
	return b[dxNodeOff:], nil
}

// dirBlock returns logical block lblk of a hashed directory. A block the
// index points at but the directory does not have is index damage.
func (fsys *FS) dirBlock(dir Ino, in *inode, lblk uint64) ([]byte, error) {
	if lblk >= in.size/fsys.sb.blockSize {
		return nil, errBadHtree
	}
	r, err := fsys.mapBlock(dir, in, lblk)
	if err != nil {
		return nil, err
	}
	if r.zero {
		return nil, errBadHtree
	}
	return fsys.block(dir, r.pblk)
}
