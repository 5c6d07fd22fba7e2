// Package fs defines the file systems a wasmvisor instance sees and the
// namespace that combines them.
//
// An FS is one tree: a host directory (package hostfs), an in-memory tree
// (package memfs), a disk image or a copy-on-write overlay. Its methods take
// clean, slash-separated names relative to its root, and never follow a
// symbolic link in the last component. They do not resolve symbolic links
// or ".." at all: the Namespace does that for every file system alike, so
// that a guest gets the same path semantics (and the same confinement) from
// a host directory as from a disk image.
//
// A Namespace mounts file systems at absolute guest paths (a disk image at
// "/", a host directory over "/data") and resolves guest paths across them:
// component by component, following symbolic links (absolute ones against
// the namespace root), never leaving the directory a lookup starts from.
//
// Errors returned by FS and File methods are, or wrap, a syscall.Errno, so
// that the WASI kernel can report the exact errno; ErrNotCapable marks a
// path that would escape its starting directory.
package fs
