// Package wasihost serves the WASI preview 1 kernel (package
// internal/wasi) to the modules of a wasmvisor.Runtime, as the host
// module wasi_snapshot_preview1. Every module that imports from it gets
// a kernel of its own, built from its ModuleConfig when it is
// instantiated and closed with it, so one Runtime can run many programs.
//
// Package wasip1 is the public face of this package. The CLI and the
// conformance tests use it directly for what the public configuration
// cannot express: pre-opened directories of a namespace they built
// themselves, such as one with a disk image mounted at "/".
package wasihost
