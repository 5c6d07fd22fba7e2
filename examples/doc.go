// Command examples uses wasmvisor's embedding API from a module of its
// own, as a user's program would: only the public packages (wasmvisor,
// api, wasip1) are reachable from here, so everything it does proves
// that the API is usable from outside. It compiles a module under a
// policy, matches every error type the API documents, and runs a WASI
// program with a host directory and a disk image. `make test` runs it
// (through its Example test); `go run .` runs it by hand (it needs
// mkfs.ext4 from e2fsprogs to build the disk image).
package main
