package ext4

import (
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"syscall"

	"github.com/wasmvisor/wasmvisor/internal/disk/lru"
)

// Ino is an inode number. Inode numbers are stable for the life of the
// image and never zero; the root directory is inode 2.
type Ino uint32

// Options configure Open. The zero value gives the defaults.
type Options struct {
	// BlockCache bounds the bytes of metadata blocks (inode tables,
	// directory blocks, extent and indirect blocks) kept in memory;
	// 0 means DefaultBlockCache.
	BlockCache int64
	// InodeCache bounds the bytes of parsed inodes kept, with their
	// inline data and symlink targets; 0 means DefaultInodeCache.
	InodeCache int64
	// DirIndexCache bounds the bytes of the in-memory name indexes of
	// linear directories; 0 means DefaultDirIndexCache. A directory
	// whose index would take more than a quarter of it is scanned on
	// each lookup instead.
	DirIndexCache int64
	// LookupCache bounds the bytes of remembered lookups in hashed
	// directories (names found and names missing); 0 means
	// DefaultLookupCache.
	LookupCache int64
}

// Cache defaults: a few megabytes, enough for every directory and inode a
// typical program touches (a Python standard library has ~10,000 files).
const (
	DefaultBlockCache    = 8 << 20
	DefaultInodeCache    = 16 << 20
	DefaultDirIndexCache = 16 << 20
	DefaultLookupCache   = 4 << 20
)

// FS is a mounted, read-only ext2/3/4 file system. It is safe for
// concurrent use.
type FS struct {
	dev io.ReaderAt
	sb  *superblock

	// mu guards the caches; it is never held while reading the device.
	mu      sync.Mutex
	blocks  *lru.Cache[uint64, []byte] // metadata blocks by number
	inodes  *lru.Cache[Ino, *inode]    // parsed inodes
	dirs    *lru.Cache[Ino, *dirIndex] // name indexes of linear dirs
	lookups *lru.Cache[dentry, Ino]    // hashed-directory lookups; 0: missing

	maxIndex int64 // bytes of the largest directory index to build
	// maxDir bounds the bytes of a directory: its blocks are distinct
	// blocks of the file system, so it cannot be larger.
	maxDir uint64
}

// CorruptError is damaged metadata found while serving a request: the
// file (or directory) it concerns cannot be used, the rest of the file
// system can. It unwraps to syscall.EIO.
type CorruptError struct {
	Ino Ino
	Msg string
}

func (e *CorruptError) Error() string {
	if e.Ino == 0 {
		return "ext4: corrupt file system: " + e.Msg
	}
	return fmt.Sprintf("ext4: inode %d: %s", e.Ino, e.Msg)
}

func (e *CorruptError) Unwrap() error { return syscall.EIO }

func corrupt(ino Ino, format string, args ...any) error {
	return &CorruptError{Ino: ino, Msg: fmt.Sprintf(format, args...)}
}

// readError is a failed device read: it wraps both syscall.EIO, which the
// file system layer above reports, and the device's error, which says what
// went wrong (a damaged qcow2 table, a host I/O error).
func readError(ino Ino, block uint64, err error) error {
	return fmt.Errorf("ext4: inode %d: read block %d: %w (%w)", ino, block, syscall.EIO, err)
}

// Open mounts the file system on dev, a device of size bytes. It reads and
// checks the superblock and the root directory's inode; everything else is
// read when first needed.
func Open(dev io.ReaderAt, size int64, opts Options) (*FS, error) {
	sb, err := readSuperblock(dev, size)
	if err != nil {
		return nil, err
	}
	if opts.BlockCache <= 0 {
		opts.BlockCache = DefaultBlockCache
	}
	if opts.InodeCache <= 0 {
		opts.InodeCache = DefaultInodeCache
	}
	if opts.DirIndexCache <= 0 {
		opts.DirIndexCache = DefaultDirIndexCache
	}
	if opts.LookupCache <= 0 {
		opts.LookupCache = DefaultLookupCache
	}
	fsys := &FS{
		dev:      dev,
		sb:       sb,
		blocks:   lru.New[uint64, []byte](opts.BlockCache),
		inodes:   lru.New[Ino, *inode](opts.InodeCache),
		dirs:     lru.New[Ino, *dirIndex](opts.DirIndexCache),
		lookups:  lru.New[dentry, Ino](opts.LookupCache),
		maxIndex: opts.DirIndexCache / 4,
		maxDir:   min(maxDirSize, sb.blocksCount*sb.blockSize),
	}
	root, err := fsys.inode(rootIno)
	if err != nil {
		return nil, fmt.Errorf("ext4: root directory: %w", err)
	}
	if root.fileType() != TypeDir {
		return nil, fmt.Errorf("ext4: root inode is not a directory (mode %#o)", root.mode)
	}
	return fsys, nil
}

// Root returns the root directory's inode number.
func (fsys *FS) Root() Ino { return rootIno }

// Info describes a mounted file system.
type Info struct {
	Label          string
	UUID           [16]byte
	BlockSize      int
	Blocks         uint64
	Inodes         uint32
	Compat         uint32 // feature flags as in the superblock
	Incompat       uint32
	ReadOnlyCompat uint32
}

// Info returns the file system's label, size and features.
func (fsys *FS) Info() Info {
	sb := fsys.sb
	return Info{
		Label: sb.volumeName, UUID: sb.uuid, BlockSize: int(sb.blockSize),
		Blocks: sb.blocksCount, Inodes: sb.inodesCount,
		Compat: sb.featureCompat, Incompat: sb.featureIncompat, ReadOnlyCompat: sb.featureRoCompat,
	}
}

// block returns metadata block n, from the cache or the device. The slice
// is shared: callers must not modify it. ino names the inode the block is
// read for, for error messages.
func (fsys *FS) block(ino Ino, n uint64) ([]byte, error) {
	fsys.mu.Lock()
	b, ok := fsys.blocks.Get(n)
	fsys.mu.Unlock()
	if ok {
		return b, nil
	}
	if n >= fsys.sb.blocksCount {
		return nil, corrupt(ino, "block %d is past the end of the file system (%d blocks)", n, fsys.sb.blocksCount)
	}
	b = make([]byte, fsys.sb.blockSize)
	if _, err := fsys.dev.ReadAt(b, int64(n*fsys.sb.blockSize)); err != nil {
		return nil, readError(ino, n, err)
	}
	fsys.mu.Lock()
	fsys.blocks.Add(n, b, int64(len(b)))
	fsys.mu.Unlock()
	return b, nil
}

// inodeTable returns the first block of group g's inode table, from its
// group descriptor ("Block Group Descriptors").
func (fsys *FS) inodeTable(ino Ino, g uint32) (uint64, error) {
	sb := fsys.sb
	perBlock := sb.blockSize / uint64(sb.descSize)
	b, err := fsys.block(0, sb.groupDescBlock(uint64(g)/perBlock))
	if err != nil {
		return 0, err
	}
	d := b[uint64(g)%perBlock*uint64(sb.descSize):]
	table := uint64(binary.LittleEndian.Uint32(d[8:]))
	if sb.descSize >= 64 {
		table |= uint64(binary.LittleEndian.Uint32(d[0x28:])) << 32
	}
	tableBlocks := (uint64(sb.inodesPerGroup)*uint64(sb.inodeSize) + sb.blockSize - 1) / sb.blockSize
	if table == 0 || table >= sb.blocksCount || tableBlocks > sb.blocksCount-table {
		return 0, corrupt(ino, "group %d's inode table at block %d is outside the file system", g, table)
	}
	return table, nil
}
