// Package ext4 reads ext2, ext3 and ext4 file systems, read-only, from a
// block device: extent trees of any depth (holes and unwritten extents
// read as zeros), ext2/3 block maps, inline data, linear and hashed
// (htree) directories, fast and slow symlinks, 32- and 64-bit group
// descriptors, meta_bg, and 128-byte or larger inodes with nanosecond
// times.
//
// It serves a file system in two ways: by inode ([FS.Stat], [FS.Lookup],
// [FS.ReadDir], [FS.Readlink], [FS.Open]) for a virtual file system that
// keeps its own handles, and by path ([FS.Walk]) with the rules of a
// chroot: absolute symlinks resolve against the file system's root, ".."
// never leaves it, and symlink loops give ELOOP.
//
// The layout is that of the Linux kernel's ext4 documentation
// (Documentation/filesystems/ext4/ in the kernel tree, "ext4 Data
// Structures and Algorithms"); comments refer to its section names.
//
// An image is untrusted input. Every block number, size and count read from
// it is checked before use; traversals are bounded (extent tree depth,
// directory size, symlink count), so a corrupt or hostile image gives an
// error at [Open] or a [CorruptError] (errno EIO) on the damaged file,
// never a panic, a hang or an unbounded allocation. Images that need a
// feature this package does not implement, or journal recovery, are
// refused at Open with an error that names it.
package ext4
