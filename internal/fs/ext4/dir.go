package ext4

import (
	"encoding/binary"
	"fmt"
	"strings"
	"syscall"
)

// Directory entries ("Linear (Classic) Directories"): inode, rec_len,
// name_len, file_type (name_len's high byte without the filetype
// feature), name.
const (
	direntHeader = 8
	// maxDirSize bounds the bytes of a directory this package scans;
	// ext4 directories cannot exceed 2 GiB without largedir, and a
	// hostile directory of repeated blocks must not take hours.
	maxDirSize = 4 << 30
	// MaxNameLen is the longest name a directory entry can hold.
	MaxNameLen = 255
)

// DirEntry is one entry of a directory listing.
type DirEntry struct {
	Name string
	Ino  Ino
	Type FileType
	// Next is the cookie that continues the listing after this entry.
	Next uint64
}

// dirent is a directory entry as found, with its position.
type dirent struct {
	pos, next uint64
	ino       Ino
	typ       FileType // TypeUnknown without the filetype feature
	name      []byte   // aliases a cached block: copy before keeping
}

// ReadDir calls fn with the entries of directory dir, in their on-disk
// order, starting at cookie, until fn returns false or the entries end.
// Cookie 0 starts at the beginning; an entry's Next continues after it.
// Cookies are positions in the directory, so they stay valid for the life
// of the mount, and a cookie that falls between entries continues at the
// next one. The listing includes "." and "..".
func (fsys *FS) ReadDir(dir Ino, cookie uint64, fn func(DirEntry) bool) error {
	in, err := fsys.dirInode(dir)
	if err != nil {
		return err
	}
	return fsys.iterDir(dir, in, cookie, func(d dirent) (bool, error) {
		typ := d.typ
		if typ == TypeUnknown {
			child, err := fsys.inode(d.ino)
			if err != nil {
				return false, err
			}
			typ = child.fileType()
		}
		return fn(DirEntry{Name: string(d.name), Ino: d.ino, Type: typ, Next: d.next}), nil
	})
}

// dirInode returns the inode of a directory that can be read.
func (fsys *FS) dirInode(dir Ino) (*inode, error) {
	in, err := fsys.inode(dir)
	if err != nil {
		return nil, err
	}
	if in.fileType() != TypeDir {
		return nil, fmt.Errorf("ext4: inode %d: %w", dir, syscall.ENOTDIR)
	}
	if in.flags&flagEncrypt != 0 {
		return nil, fmt.Errorf("ext4: directory %d is encrypted: %w", dir, syscall.EACCES)
	}
	if in.flags&flagCasefold != 0 {
		return nil, fmt.Errorf("ext4: directory %d is case-insensitive (casefold), which is not supported: %w", dir, syscall.EOPNOTSUPP)
	}
	return in, nil
}

// iterDir calls fn for each used entry of a directory at or after
// position start, until fn returns false or an error.
func (fsys *FS) iterDir(ino Ino, in *inode, start uint64, fn func(dirent) (bool, error)) error {
	if in.flags&flagInlineData != 0 {
		return fsys.iterInlineDir(ino, in, start, fn)
	}
	bs := fsys.sb.blockSize
	size := in.size
	if size > fsys.maxDir {
		return corrupt(ino, "directory of %d bytes exceeds %d", size, fsys.maxDir)
	}
	for lblk := start / bs; lblk*bs < size; {
		r, err := fsys.mapBlock(ino, in, lblk)
		if err != nil {
			return err
		}
		if r.zero {
			lblk += r.n // a hole holds no entries
			continue
		}
		for i := uint64(0); i < r.n && lblk*bs < size; i, lblk = i+1, lblk+1 {
			b, err := fsys.block(ino, r.pblk+i)
			if err != nil {
				return err
			}
			more, err := fsys.iterBlock(ino, b, lblk*bs, start, fn)
			if err != nil || !more {
				return err
			}
		}
	}
	return nil
}

// iterBlock calls fn for the used entries of one block (or inline area)
// of directory entries, found at directory position base, that lie at or
// after start.
func (fsys *FS) iterBlock(ino Ino, b []byte, base, start uint64, fn func(dirent) (bool, error)) (bool, error) {
	le := binary.LittleEndian
	filetype := fsys.sb.hasIncompat(incompatFiletype)
	for off := 0; off < len(b); {
		if off+direntHeader > len(b) {
			return false, corrupt(ino, "directory entry at %d overruns its block", base+uint64(off))
		}
		e := b[off:]
		child := Ino(le.Uint32(e))
		recLen := int(le.Uint16(e[4:]))
		if len(b) == 65536 && (recLen == 0 || recLen == 65535) {
			recLen = 65536 // 64 KiB blocks encode a whole-block entry so
		}
		nameLen := int(e[6])
		typ := TypeUnknown
		if filetype {
			if e[7] <= uint8(TypeSymlink) {
				typ = FileType(e[7])
			}
		} else {
			nameLen |= int(e[7]) << 8
		}
		if recLen < direntHeader+nameLen || recLen%4 != 0 || off+recLen > len(b) {
			return false, corrupt(ino, "directory entry at %d has rec_len %d for a %d-byte name", base+uint64(off), recLen, nameLen)
		}
		pos := base + uint64(off)
		if child != 0 && pos >= start {
			if nameLen == 0 || uint32(child) > fsys.sb.inodesCount {
				return false, corrupt(ino, "directory entry at %d names inode %d with a %d-byte name", pos, child, nameLen)
			}
			more, err := fn(dirent{pos: pos, next: pos + uint64(recLen), ino: child, typ: typ, name: e[direntHeader : direntHeader+nameLen]})
			if err != nil || !more {
				return false, err
			}
		}
		off += recLen
	}
	return true, nil
}

// Positions in an inline directory, which stores no "." and only the
// parent's inode number for "..": "." is 0, ".." 1, the entries in i_block
// their byte offset there (from 4), and those in system.data 60 plus
// their offset.
const (
	inlineDotPos    = 0
	inlineDotDotPos = 1
	inlineParent    = 4 // bytes of i_block that hold the parent
)

func (fsys *FS) iterInlineDir(ino Ino, in *inode, start uint64, fn func(dirent) (bool, error)) error {
	parent := Ino(binary.LittleEndian.Uint32(in.block[:]))
	dots := []dirent{
		{pos: inlineDotPos, next: inlineDotDotPos, ino: ino, typ: TypeDir, name: []byte(".")},
		{pos: inlineDotDotPos, next: inlineParent, ino: parent, typ: TypeDir, name: []byte("..")},
	}
	for _, d := range dots {
		if d.pos >= start {
			if more, err := fn(d); err != nil || !more {
				return err
			}
		}
	}
	more, err := fsys.iterBlock(ino, in.block[inlineParent:], inlineParent, start, fn)
	if err != nil || !more || len(in.inline) == 0 {
		return err
	}
	_, err = fsys.iterBlock(ino, in.inline, iBlockSize, start, fn)
	return err
}

// dirIndexEntryCost is the memory an index entry takes besides its name:
// a string header, an inode number and the map's share.
const dirIndexEntryCost = 48

// dirIndex maps the names of a linear directory to inodes, so that
// looking up many names in it costs one scan.
type dirIndex struct {
	names  map[string]Ino
	tooBig bool // more entries than an index may hold: scan instead
}

// Lookup returns the inode that name has in directory dir. name is one
// path component: "." and ".." are the directory and its parent (the root
// is its own parent). It fails with ENOENT if there is no such entry,
// ENOTDIR if dir is not a directory and ENAMETOOLONG for a name longer
// than 255 bytes. Hashed (htree) directories are searched through their
// index; other directories are indexed in memory on first lookup.
func (fsys *FS) Lookup(dir Ino, name string) (Ino, error) {
	switch {
	case name == "":
		return 0, fmt.Errorf("ext4: lookup of an empty name: %w", syscall.ENOENT)
	case len(name) > MaxNameLen:
		return 0, fmt.Errorf("ext4: lookup of a %d-byte name: %w", len(name), syscall.ENAMETOOLONG)
	case strings.ContainsAny(name, "/\x00"):
		return 0, fmt.Errorf("ext4: lookup of %q: name contains '/' or NUL: %w", name, syscall.EINVAL)
	}
	in, err := fsys.dirInode(dir)
	if err != nil {
		return 0, err
	}
	switch name {
	case ".":
		return dir, nil
	case "..":
		return fsys.parent(dir, in)
	}
	var ino Ino
	switch {
	case in.flags&flagInlineData != 0:
		ino, err = fsys.scanDir(dir, in, name)
	case in.flags&flagIndex != 0 && fsys.sb.hasCompat(compatDirIndex):
		ino, err = fsys.hashedLookup(dir, in, name)
	default:
		ino, err = fsys.indexedLookup(dir, in, name)
	}
	if err != nil {
		return 0, err
	}
	if ino == 0 {
		return 0, fmt.Errorf("ext4: %q in directory %d: %w", name, dir, syscall.ENOENT)
	}
	return ino, fsys.checkChild(dir, ino)
}

// checkChild refuses entries that name reserved inodes (the journal,
// resize inode and the like are not files), as the kernel does.
func (fsys *FS) checkChild(dir, ino Ino) error {
	if ino < Ino(fsys.sb.firstIno) && ino != rootIno {
		return corrupt(dir, "directory entry names reserved inode %d", ino)
	}
	return nil
}

// parent returns the inode of a directory's ".." entry: the second entry
// of its first block, or the parent number of an inline directory. The
// root is its own parent.
func (fsys *FS) parent(dir Ino, in *inode) (Ino, error) {
	if dir == rootIno {
		return rootIno, nil
	}
	var parent Ino
	if in.flags&flagInlineData != 0 {
		parent = Ino(binary.LittleEndian.Uint32(in.block[:]))
	} else {
		// "." and ".." are always in the first block ("Hash Tree
		// Directories" keeps them there too, outside the index).
		err := fsys.iterDir(dir, in, 0, func(d dirent) (bool, error) {
			if string(d.name) == ".." {
				parent = d.ino
				return false, nil
			}
			return d.pos < fsys.sb.blockSize, nil
		})
		if err != nil {
			return 0, err
		}
	}
	if parent == 0 {
		return 0, corrupt(dir, "directory has no \"..\" entry")
	}
	p, err := fsys.inode(parent)
	if err != nil {
		return 0, err
	}
	if p.fileType() != TypeDir {
		return 0, corrupt(dir, "\"..\" names inode %d, which is not a directory", parent)
	}
	return parent, fsys.checkChild(dir, parent)
}

// dentry names an entry of a directory, as a lookup cache key.
type dentry struct {
	dir  Ino
	name string
}

// hashedLookup finds name in a hashed directory through its index,
// remembering the answer (found or not): a warm lookup then costs a map
// access instead of a hash and a leaf block scan.
func (fsys *FS) hashedLookup(dir Ino, in *inode, name string) (Ino, error) {
	key := dentry{dir, name}
	fsys.mu.Lock()
	ino, ok := fsys.lookups.Get(key)
	fsys.mu.Unlock()
	if ok {
		return ino, nil
	}
	ino, err := fsys.dxLookup(dir, in, name)
	if err == errBadHtree {
		// Like the kernel, fall back to a linear scan of a directory
		// whose index is damaged.
		ino, err = fsys.scanDir(dir, in, name)
	}
	if err != nil {
		return 0, err
	}
	fsys.mu.Lock()
	fsys.lookups.Add(key, ino, int64(len(name))+dirIndexEntryCost)
	fsys.mu.Unlock()
	return ino, nil
}

// scanDir searches a directory entry by entry; 0 means not found.
func (fsys *FS) scanDir(dir Ino, in *inode, name string) (Ino, error) {
	var found Ino
	err := fsys.iterDir(dir, in, 0, func(d dirent) (bool, error) {
		if string(d.name) == name {
			found = d.ino
			return false, nil
		}
		return true, nil
	})
	return found, err
}

// indexedLookup finds name through the directory's in-memory name index,
// building it on first use; directories too large to index are scanned.
func (fsys *FS) indexedLookup(dir Ino, in *inode, name string) (Ino, error) {
	fsys.mu.Lock()
	idx, ok := fsys.dirs.Get(dir)
	fsys.mu.Unlock()
	if !ok {
		idx = &dirIndex{names: make(map[string]Ino)}
		var cost int64
		err := fsys.iterDir(dir, in, 0, func(d dirent) (bool, error) {
			cost += int64(len(d.name)) + dirIndexEntryCost
			if cost > fsys.maxIndex {
				idx.tooBig = true
				return false, nil
			}
			idx.names[string(d.name)] = d.ino
			return true, nil
		})
		if err != nil {
			return 0, err
		}
		if idx.tooBig {
			idx.names, cost = nil, dirIndexEntryCost
		}
		fsys.mu.Lock()
		fsys.dirs.Add(dir, idx, cost)
		fsys.mu.Unlock()
	}
	if idx.tooBig {
		return fsys.scanDir(dir, in, name)
	}
	return idx.names[name], nil
}
