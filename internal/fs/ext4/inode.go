package ext4

import (
	"encoding/binary"
	"io/fs"
	"syscall"
	"time"
)

// Inode flags ("Inode Table", i_flags) this package acts on.
const (
	flagIndex      = 0x1000     // hashed directory
	flagEncrypt    = 0x800      // encrypted file, directory or symlink
	flagHugeFile   = 0x40000    // i_blocks is in file system blocks
	flagExtents    = 0x80000    // i_block holds an extent tree
	flagEAInode    = 0x200000   // the inode holds a large extended attribute
	flagInlineData = 0x10000000 // data is in i_block and system.data
	flagCasefold   = 0x40000000
)

// Inode layout: the fields of the 128-byte base inode, and the extra
// fields after it, present when i_extra_isize covers them.
const (
	iBlockOffset   = 40
	iBlockSize     = 60
	extraIsizeOff  = 128
	ctimeExtraOff  = 132
	mtimeExtraOff  = 136
	atimeExtraOff  = 140
	crtimeOff      = 144
	crtimeExtraOff = 148
)

// FileType is the type of a file, with the values of a directory entry's
// file_type field ("Linear (Classic) Directories").
type FileType uint8

// File types.
const (
	TypeUnknown FileType = iota
	TypeRegular
	TypeDir
	TypeCharDev
	TypeBlockDev
	TypeFIFO
	TypeSocket
	TypeSymlink
)

var typeNames = [...]string{"unknown", "regular file", "directory", "character device",
	"block device", "FIFO", "socket", "symlink"}

func (t FileType) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "invalid"
}

// typeFromMode maps the S_IFMT bits of i_mode to a FileType.
func typeFromMode(mode uint16) FileType {
	switch mode & syscall.S_IFMT {
	case syscall.S_IFREG:
		return TypeRegular
	case syscall.S_IFDIR:
		return TypeDir
	case syscall.S_IFCHR:
		return TypeCharDev
	case syscall.S_IFBLK:
		return TypeBlockDev
	case syscall.S_IFIFO:
		return TypeFIFO
	case syscall.S_IFSOCK:
		return TypeSocket
	case syscall.S_IFLNK:
		return TypeSymlink
	}
	return TypeUnknown
}

// Stat is an inode's metadata, as stat(2) reports it.
type Stat struct {
	Ino   Ino
	Mode  uint16 // i_mode: S_IFMT type bits and permission bits
	Nlink uint32 // 1 for a directory with more links than ext4 counts (dir_nlink)
	Uid   uint32
	Gid   uint32
	Size  int64
	// Blocks is the space allocated, in 512-byte units (st_blocks).
	Blocks int64
	// RdevMajor and RdevMinor are a device file's device number.
	RdevMajor, RdevMinor uint32
	Atime, Mtime, Ctime  time.Time
	// Crtime is the creation time; the zero Time when the inode has no
	// room for it (128-byte inodes).
	Crtime     time.Time
	Flags      uint32 // i_flags
	Generation uint32
}

// Type returns the file's type.
func (s *Stat) Type() FileType { return typeFromMode(s.Mode) }

// FileMode returns the mode as an io/fs.FileMode.
func (s *Stat) FileMode() fs.FileMode {
	m := fs.FileMode(s.Mode & 0o777)
	switch s.Type() {
	case TypeDir:
		m |= fs.ModeDir
	case TypeSymlink:
		m |= fs.ModeSymlink
	case TypeCharDev:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case TypeBlockDev:
		m |= fs.ModeDevice
	case TypeFIFO:
		m |= fs.ModeNamedPipe
	case TypeSocket:
		m |= fs.ModeSocket
	}
	if s.Mode&syscall.S_ISUID != 0 {
		m |= fs.ModeSetuid
	}
	if s.Mode&syscall.S_ISGID != 0 {
		m |= fs.ModeSetgid
	}
	if s.Mode&syscall.S_ISVTX != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// inode is a parsed inode: its Stat and what is needed to read its data.
type inode struct {
	Stat
	mode  uint16
	flags uint32
	size  uint64
	block [iBlockSize]byte // i_block: extent root, block map, inline data or symlink
	// inline is the system.data extended attribute of an inline-data
	// inode: the data (or directory entries) that do not fit in i_block.
	inline     []byte
	xattrBlock uint64 // i_file_acl

	// target caches a symlink's target once read; guarded by FS.mu.
	target    string
	hasTarget bool
}

func (in *inode) fileType() FileType { return typeFromMode(in.mode) }

// inode returns inode ino, parsed, from the cache or the inode table
// ("Finding an Inode").
func (fsys *FS) inode(ino Ino) (*inode, error) {
	fsys.mu.Lock()
	in, ok := fsys.inodes.Get(ino)
	fsys.mu.Unlock()
	if ok {
		return in, nil
	}
	sb := fsys.sb
	if ino == 0 || uint32(ino) > sb.inodesCount {
		return nil, corrupt(ino, "inode number outside [1, %d]", sb.inodesCount)
	}
	g := (uint32(ino) - 1) / sb.inodesPerGroup
	table, err := fsys.inodeTable(ino, g)
	if err != nil {
		return nil, err
	}
	off := uint64((uint32(ino)-1)%sb.inodesPerGroup) * uint64(sb.inodeSize)
	b, err := fsys.block(ino, table+off/sb.blockSize)
	if err != nil {
		return nil, err
	}
	in, err = fsys.parseInode(ino, b[off%sb.blockSize:][:sb.inodeSize])
	if err != nil {
		return nil, err
	}
	fsys.mu.Lock()
	fsys.inodes.Add(ino, in, in.cost())
	fsys.mu.Unlock()
	return in, nil
}

// cost is the memory a cached inode takes: the struct (about 300 bytes),
// its inline data and its symlink target once read.
func (in *inode) cost() int64 { return 320 + int64(len(in.inline)+len(in.target)) }

// parseInode decodes the on-disk inode b ("Inode Table").
func (fsys *FS) parseInode(ino Ino, b []byte) (*inode, error) {
	le := binary.LittleEndian
	sb := fsys.sb
	in := &inode{
		mode:  le.Uint16(b[0:]),
		flags: le.Uint32(b[32:]),
	}
	links := uint32(le.Uint16(b[26:]))
	if links == 0 {
		// Only orphans (open but unlinked when the file system was
		// last used) have no links, and no directory names them.
		return nil, corrupt(ino, "inode is deleted (no links)")
	}
	if typeFromMode(in.mode) == TypeUnknown {
		return nil, corrupt(ino, "unknown file type in mode %#o", in.mode)
	}
	copy(in.block[:], b[iBlockOffset:iBlockOffset+iBlockSize])
	in.size = uint64(le.Uint32(b[4:]))
	if typ := typeFromMode(in.mode); typ == TypeRegular || sb.hasIncompat(incompatLargeDir) {
		in.size |= uint64(le.Uint32(b[108:])) << 32
	}
	if in.size > 1<<62 {
		return nil, corrupt(ino, "size %d is too large", in.size)
	}
	in.xattrBlock = uint64(le.Uint32(b[104:])) | uint64(le.Uint16(b[118:]))<<32

	extra := 0
	if sb.inodeSize > extraIsizeOff {
		extra = int(le.Uint16(b[extraIsizeOff:]))
		if extra%4 != 0 || extraIsizeOff+extra > len(b) {
			return nil, corrupt(ino, "i_extra_isize %d does not fit the %d-byte inode", extra, len(b))
		}
	}
	has := func(off, n int) bool { return extraIsizeOff+extra >= off+n }
	ts := func(secOff, extraOff int) time.Time {
		sec := int64(int32(le.Uint32(b[secOff:])))
		var nsec int64
		if extraOff > 0 && has(extraOff, 4) {
			// The extra word holds two more bits of seconds (the
			// epoch) and the nanoseconds ("Inode Timestamps").
			x := le.Uint32(b[extraOff:])
			sec += int64(x&3) << 32
			nsec = int64(x >> 2)
			if nsec > 999_999_999 {
				nsec = 999_999_999
			}
		}
		return time.Unix(sec, nsec)
	}

	blocks := uint64(le.Uint32(b[28:]))
	if sb.hasRoCompat(roCompatHugeFile) {
		blocks |= uint64(le.Uint16(b[116:])) << 32
		if in.flags&flagHugeFile != 0 {
			blocks *= sb.blockSize / 512
		}
	}
	in.Stat = Stat{
		Ino:        ino,
		Mode:       in.mode,
		Nlink:      links,
		Uid:        uint32(le.Uint16(b[2:])) | uint32(le.Uint16(b[120:]))<<16,
		Gid:        uint32(le.Uint16(b[24:])) | uint32(le.Uint16(b[122:]))<<16,
		Size:       int64(in.size),
		Blocks:     int64(blocks),
		Atime:      ts(8, atimeExtraOff),
		Ctime:      ts(12, ctimeExtraOff),
		Mtime:      ts(16, mtimeExtraOff),
		Flags:      in.flags,
		Generation: le.Uint32(b[100:]),
	}
	if has(crtimeOff, 4) {
		in.Crtime = ts(crtimeOff, crtimeExtraOff)
	}
	if t := in.fileType(); t == TypeCharDev || t == TypeBlockDev {
		// Old encoding in i_block[0], new (32-bit) in i_block[1].
		if old := le.Uint32(in.block[0:]); old != 0 {
			in.RdevMajor, in.RdevMinor = old>>8&0xff, old&0xff
		} else {
			dev := le.Uint32(in.block[4:])
			in.RdevMajor, in.RdevMinor = dev&0xfff00>>8, dev&0xff|dev>>12&0xfff00
		}
	}
	if in.flags&flagInlineData != 0 {
		if !sb.hasIncompat(incompatInlineData) {
			return nil, corrupt(ino, "inline data flag without the inline_data feature")
		}
		v, err := inlineXattr(ino, b[extraIsizeOff+extra:], extra > 0)
		if err != nil {
			return nil, err
		}
		in.inline = v
	}
	return in, nil
}
