// Package api defines the types that host functions and embedders share
// with wasmvisor: instantiated modules, their exported functions, memories
// and globals, value types and their uint64 encoding, traps and exits.
//
// The root package wasmvisor creates these values; this package only
// describes them, so that a host module (such as the WASI kernel) can be
// written against api alone.
package api
