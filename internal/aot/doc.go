// Package aot keeps compiled machine code outside the process, so that a
// module compiled once starts without compiling again: in a compilation
// cache (a directory of entries keyed by the module, the build and the
// code's settings) and in precompiled files (`wasmvisor compile`'s
// .cwasm), which carry the module with its code.
//
// Machine code cannot be validated, so both forms are checked for
// integrity before anything in them is used: a cache entry by an HMAC
// under a secret kept in the cache directory, a precompiled file by a
// checksum. A truncated, damaged or altered entry is a miss; a damaged
// precompiled file is an error. Neither guards against someone who can
// write the cache's secret or craft a precompiled file: such a person can
// already run code as the user, and a precompiled file is trusted as an
// executable is.
package aot
