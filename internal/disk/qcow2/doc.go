// Package qcow2 reads QEMU copy-on-write disk images, versions 2 and 3:
// backing-file chains, zero clusters, extended L2 entries (subclusters)
// and compressed clusters (deflate and zstd).
//
// The format is specified in QEMU's docs/interop/qcow2.txt; comments refer
// to its section names. An image is read only: dirty images (lazy
// refcounts) can be read because refcounts are never consulted, while
// images marked corrupt, encrypted images, external data files and
// unknown incompatible features are refused with an error naming them.
package qcow2
