// Package store keeps what `wasmvisor serve` was given: module binaries
// as content-addressed blobs (files named by their SHA-256), and in an
// embedded bbolt database beside them which tenant holds which module
// and which routes lead to which module.
//
// The contract is the daemon's acknowledgement: once Put returns, the
// module survives any crash, and a crash at any moment before leaves
// neither a record nor a partial blob behind. A blob is written to a
// temporary file, synced and renamed into place (and its directory
// synced) before the transaction that records it commits; bbolt syncs
// its commit. Open removes what a crash left between the two steps:
// temporary files and blobs no record refers to.
package store
