// Package lru is a size-bounded least-recently-used cache, shared by the
// disk-image readers and the ext4 reader for their metadata caches (qcow2
// L2 tables, VMDK grain tables, ext4 inodes, blocks and directory indexes).
package lru
