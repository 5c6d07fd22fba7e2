package ext4

import (
	"encoding/binary"
	"fmt"
	"io"
	"strings"
)

// Superblock constants ("Super Block").
const (
	superblockOffset = 1024
	superblockSize   = 1024
	superMagic       = 0xef53

	rootIno = 2
	// goodOldFirstIno and goodOldInodeSize apply to revision 0 file
	// systems, which have no s_first_ino or s_inode_size.
	goodOldFirstIno  = 11
	goodOldInodeSize = 128

	// s_flags: the directory hashes use the unsigned str2hashbuf
	// variant (the signed one otherwise).
	flagUnsignedHash = 0x2
)

// Compatible features a reader uses: dir_index (whether hashed
// directories' indexes may be trusted) and sparse_super2 (where the
// superblock backups, and so meta_bg descriptors, are).
const (
	compatDirIndex     = 0x20
	compatSparseSuper2 = 0x200
)

// Incompatible features ("Super Block", s_feature_incompat).
const (
	incompatCompression = 0x1
	incompatFiletype    = 0x2
	incompatRecover     = 0x4
	incompatJournalDev  = 0x8
	incompatMetaBG      = 0x10
	incompatExtents     = 0x40
	incompat64Bit       = 0x80
	incompatMMP         = 0x100
	incompatFlexBG      = 0x200
	incompatEAInode     = 0x400
	incompatDirData     = 0x1000
	incompatCsumSeed    = 0x2000
	incompatLargeDir    = 0x4000
	incompatInlineData  = 0x8000
	incompatEncrypt     = 0x10000
	incompatCasefold    = 0x20000

	// incompatReadable are the features a reader can honour: they
	// change where things are, not what they mean.
	incompatReadable = incompatFiletype | incompatMetaBG | incompatExtents | incompat64Bit |
		incompatMMP | incompatFlexBG | incompatEAInode | incompatCsumSeed | incompatLargeDir |
		incompatInlineData | incompatEncrypt
)

// Read-only compatible features: a reader may ignore them all, except
// huge_file, which changes the unit of i_blocks.
const (
	roCompatSparseSuper = 0x1
	roCompatHugeFile    = 0x8
	roCompatBigalloc    = 0x200
)

var incompatNames = map[uint32]string{
	incompatCompression: "compression",
	incompatRecover:     "needs_recovery",
	incompatJournalDev:  "journal_dev",
	incompatDirData:     "dirdata",
	incompatCasefold:    "casefold",
}

// superblock holds the fields of the superblock this package uses,
// checked for consistency with each other and with the device.
type superblock struct {
	inodesCount     uint32
	blocksCount     uint64
	firstDataBlock  uint32
	blockSize       uint64
	clusterSize     uint64 // allocation unit: blockSize unless bigalloc
	blocksPerGroup  uint32
	inodesPerGroup  uint32
	revLevel        uint32
	firstIno        uint32
	inodeSize       uint32
	featureCompat   uint32
	featureIncompat uint32
	featureRoCompat uint32
	uuid            [16]byte
	volumeName      string
	hashSeed        [4]uint32
	defHashVersion  uint8
	descSize        uint32
	firstMetaBG     uint32
	flags           uint32
	backupBGs       [2]uint32
	groups          uint32
}

// FeatureError is a file system that uses a feature this package cannot
// read, or one that needs journal recovery first.
type FeatureError struct {
	Feature string
	Hint    string // what to do about it
}

func (e *FeatureError) Error() string {
	return fmt.Sprintf("ext4: unsupported feature %s: %s", e.Feature, e.Hint)
}

// readSuperblock reads and checks the superblock of a device of devSize
// bytes.
func readSuperblock(dev io.ReaderAt, devSize int64) (*superblock, error) {
	b := make([]byte, superblockSize)
	if devSize < superblockOffset+superblockSize {
		return nil, fmt.Errorf("ext4: device of %d bytes is too small for a file system", devSize)
	}
	if _, err := dev.ReadAt(b, superblockOffset); err != nil {
		return nil, fmt.Errorf("ext4: read superblock: %w", err)
	}
	le := binary.LittleEndian
	if m := le.Uint16(b[56:]); m != superMagic {
		return nil, fmt.Errorf("ext4: no ext2/3/4 file system (superblock magic %#04x, want %#04x)", m, superMagic)
	}
	sb := &superblock{
		inodesCount:     le.Uint32(b[0:]),
		blocksCount:     uint64(le.Uint32(b[4:])),
		firstDataBlock:  le.Uint32(b[20:]),
		blocksPerGroup:  le.Uint32(b[32:]),
		inodesPerGroup:  le.Uint32(b[40:]),
		revLevel:        le.Uint32(b[76:]),
		firstIno:        goodOldFirstIno,
		inodeSize:       goodOldInodeSize,
		featureCompat:   le.Uint32(b[92:]),
		featureIncompat: le.Uint32(b[96:]),
		featureRoCompat: le.Uint32(b[100:]),
		volumeName:      strings.TrimRight(string(b[120:136]), "\x00"),
		defHashVersion:  b[252],
		descSize:        32,
		firstMetaBG:     le.Uint32(b[260:]),
		flags:           le.Uint32(b[352:]),
		backupBGs:       [2]uint32{le.Uint32(b[0x24c:]), le.Uint32(b[0x250:])},
	}
	copy(sb.uuid[:], b[104:120])
	for i := range sb.hashSeed {
		sb.hashSeed[i] = le.Uint32(b[236+4*i:])
	}
	logBlockSize := le.Uint32(b[24:])
	if logBlockSize > 6 {
		return nil, fmt.Errorf("ext4: block size 2^(10+%d) is larger than 64 KiB", logBlockSize)
	}
	sb.blockSize = 1024 << logBlockSize
	sb.clusterSize = sb.blockSize
	if logCluster := le.Uint32(b[28:]); sb.featureRoCompat&roCompatBigalloc != 0 && logCluster >= logBlockSize && logCluster < 32 {
		sb.clusterSize = 1024 << logCluster
	}
	if sb.revLevel >= 1 {
		sb.firstIno = le.Uint32(b[84:])
		sb.inodeSize = uint32(le.Uint16(b[88:]))
	} else {
		// Revision 0 predates feature flags; ignore whatever is there.
		sb.featureCompat, sb.featureIncompat, sb.featureRoCompat = 0, 0, 0
	}
	if err := sb.checkFeatures(); err != nil {
		return nil, err
	}
	if sb.featureIncompat&incompat64Bit != 0 {
		sb.blocksCount |= uint64(le.Uint32(b[336:])) << 32
		sb.descSize = uint32(le.Uint16(b[254:]))
		if sb.descSize < 64 || sb.descSize > 1024 || sb.descSize&(sb.descSize-1) != 0 {
			return nil, fmt.Errorf("ext4: group descriptor size %d is not a power of two in [64, 1024]", sb.descSize)
		}
	}
	if err := sb.checkGeometry(devSize); err != nil {
		return nil, err
	}
	return sb, nil
}

// checkFeatures refuses what a reader cannot honour.
func (sb *superblock) checkFeatures() error {
	if sb.featureIncompat&incompatRecover != 0 {
		return &FeatureError{Feature: "needs_recovery",
			Hint: "the journal has changes that were never applied; run e2fsck -fy IMAGE (or mount and unmount it) first"}
	}
	if sb.featureIncompat&incompatJournalDev != 0 {
		return &FeatureError{Feature: "journal_dev", Hint: "this is an external journal, not a file system"}
	}
	if unknown := sb.featureIncompat &^ incompatReadable; unknown != 0 {
		var names []string
		for bit := uint32(1); bit != 0; bit <<= 1 {
			if unknown&bit != 0 {
				name, ok := incompatNames[bit]
				if !ok {
					name = fmt.Sprintf("incompat bit %#x", bit)
				}
				names = append(names, name)
			}
		}
		return &FeatureError{Feature: strings.Join(names, ", "),
			Hint: "rebuild the image without it (for example mkfs.ext4 -O ^" + names[0] + " -d DIR)"}
	}
	return nil
}

// checkGeometry checks the sizes and counts that every later computation
// relies on, as the kernel's ext4_fill_super does.
func (sb *superblock) checkGeometry(devSize int64) error {
	bs := sb.blockSize
	switch {
	case sb.blocksCount == 0:
		return fmt.Errorf("ext4: block count is zero")
	case sb.blocksCount > uint64(devSize)/bs:
		return fmt.Errorf("ext4: %d blocks of %d bytes do not fit in the %d-byte device (truncated image?)", sb.blocksCount, bs, devSize)
	case uint64(sb.firstDataBlock) >= sb.blocksCount:
		return fmt.Errorf("ext4: first data block %d is past the last block %d", sb.firstDataBlock, sb.blocksCount-1)
	case sb.blocksPerGroup == 0 || uint64(sb.blocksPerGroup) > 8*sb.clusterSize:
		// A group's block bitmap has a bit per cluster.
		return fmt.Errorf("ext4: %d blocks per group outside [1, %d]", sb.blocksPerGroup, 8*sb.clusterSize)
	case sb.inodesPerGroup == 0 || uint64(sb.inodesPerGroup) > 8*bs:
		return fmt.Errorf("ext4: %d inodes per group outside [1, %d]", sb.inodesPerGroup, 8*bs)
	case sb.inodeSize < goodOldInodeSize || uint64(sb.inodeSize) > bs || sb.inodeSize&(sb.inodeSize-1) != 0:
		return fmt.Errorf("ext4: inode size %d is not a power of two in [128, %d]", sb.inodeSize, bs)
	case sb.firstIno <= rootIno || sb.firstIno > sb.inodesCount:
		return fmt.Errorf("ext4: first non-reserved inode %d outside [3, %d]", sb.firstIno, sb.inodesCount)
	}
	groups := (sb.blocksCount - uint64(sb.firstDataBlock) + uint64(sb.blocksPerGroup) - 1) / uint64(sb.blocksPerGroup)
	if groups*uint64(sb.inodesPerGroup) != uint64(sb.inodesCount) {
		return fmt.Errorf("ext4: %d groups of %d inodes do not make the %d inodes the superblock counts", groups, sb.inodesPerGroup, sb.inodesCount)
	}
	sb.groups = uint32(groups)
	return nil
}

func (sb *superblock) hasIncompat(f uint32) bool { return sb.featureIncompat&f != 0 }
func (sb *superblock) hasRoCompat(f uint32) bool { return sb.featureRoCompat&f != 0 }
func (sb *superblock) hasCompat(f uint32) bool   { return sb.featureCompat&f != 0 }

// groupDescBlock returns the block that holds the i-th block of group
// descriptors ("Block Group Descriptors", "Meta Block Groups"): without
// meta_bg they follow the superblock; with it, each meta group's
// descriptors are in its first group, after a superblock backup if that
// group has one.
func (sb *superblock) groupDescBlock(i uint64) uint64 {
	if !sb.hasIncompat(incompatMetaBG) || i < uint64(sb.firstMetaBG) {
		return uint64(sb.firstDataBlock) + 1 + i
	}
	g := i * (sb.blockSize / uint64(sb.descSize))
	b := uint64(sb.firstDataBlock) + g*uint64(sb.blocksPerGroup)
	if sb.hasSuperblockBackup(g) {
		b++
	}
	return b
}

// hasSuperblockBackup reports whether group g has a copy of the
// superblock ("Block Group Layout"): every group without sparse_super,
// groups 0, 1 and powers of 3, 5 and 7 with it, and only the two listed
// groups with sparse_super2.
func (sb *superblock) hasSuperblockBackup(g uint64) bool {
	if g == 0 {
		return true
	}
	if sb.hasCompat(compatSparseSuper2) {
		return g == uint64(sb.backupBGs[0]) || g == uint64(sb.backupBGs[1])
	}
	if !sb.hasRoCompat(roCompatSparseSuper) || g == 1 {
		return true
	}
	for _, base := range []uint64{3, 5, 7} {
		n := base
		for n < g {
			n *= base
		}
		if n == g {
			return true
		}
	}
	return false
}
