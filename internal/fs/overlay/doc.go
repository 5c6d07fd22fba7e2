// Package overlay is a copy-on-write file system: a writable upper layer
// over a read-only lower one, merged at the file level the way Linux's
// overlayfs merges them. wasmvisor serves a --disk image through it, so
// that a guest can change its root file system while the image is never
// written.
//
// A name is looked up in the upper layer first and then in the lower.
// Changing a lower file copies it up first (contents, times, permission
// bits; the directory it is in keeps its times); deleting a lower name
// records a whiteout; a directory the guest creates is opaque, so that
// it shows only what is created in it even where a lower directory of
// that name was deleted. Renaming a lower directory copies up only the directory
// itself and redirects it to the lower directory it came from, so no
// rename needs EXDEV. Directory listings merge both layers, lower
// entries first in the lower's order, then the upper's own, so the order
// stays the same while a directory does not change, across copy-ups too.
//
// Inode numbers stay stable: a copied-up file keeps its lower inode
// number, and files that only the upper layer has get their upper inode
// number with the top bit set, so they never collide with the lower's
// (which must be below 2^63; ext4's are 32-bit).
//
// Whiteouts, opaque and redirect markers, inode numbers, permission bits
// and file types are kept in an index beside the upper layer, not in it,
// so that an upper layer that is a host directory needs no privilege:
// upper files are created owner-readable and -writable whatever the guest
// asked for, and device files or FIFOs copied up from the image are kept
// as empty regular files with their type in the index. With [New] the
// index lives in memory; [OpenDir] keeps it in a journal file next to the
// upper directory, so that the next run sees the same tree.
package overlay
