// Package ext4fs serves a read-only ext2/3/4 file system (package ext4) as
// an fs.FS, so that a disk image can be mounted in a guest's namespace,
// usually as the lower layer of a copy-on-write overlay.
//
// Package ext4 works by inode; this adapter gives it the name-based form
// the namespace expects: names are walked component by component from the
// root with ext4's cached lookups, a symbolic link met on the way is
// refused with ELOOP rather than followed (the namespace resolves links
// itself), listings leave out "." and "..", and every method that would
// change the file system returns EROFS.
package ext4fs
