// Package conformance runs real WASI programs (the wasi-testsuite
// programs in ../shared, C built with wasi-libc, Go built for wasip1)
// against the kernel in internal/wasi, with wazero as the engine.
//
// It is a module of its own so that wazero stays out of the product's
// dependencies: it checks the kernel independently of wasmvisor's own
// engine, and the two can be compared. Run it with
//
//	cd internal/wasi/conformance && go test ./...
package conformance
