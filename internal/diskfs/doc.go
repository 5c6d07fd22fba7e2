// Package diskfs mounts the file system inside a virtual machine disk
// image as a guest's root, as wasmvisor run --disk does: the image's
// ext2/3/4 file system (package ext4, served through ext4fs) is the
// read-only lower layer of a copy-on-write overlay (package overlay), so
// that the guest can change its files while the image is never written.
//
// The upper layer is in memory by default and discarded when the file
// system is closed; with Options.OverlayDir it is kept in a host
// directory, so that the next run over the same image sees the changes.
package diskfs
