// Package store holds the run-time state of instantiated modules: function,
// table, memory and global instances, the namespace that links modules by
// name, and instantiation itself (import resolution and type matching,
// global initializers, element and data segments).
//
// State is flat so that engines can address it directly: an instance's
// functions, tables, memories and globals are plain slices of pointers in
// index-space order, imports first. Engines execute code; this package
// never does, except for the constant expressions of initializers.
//
// See https://www.w3.org/TR/wasm-core-2/#store%E2%91%A0 and
// https://www.w3.org/TR/wasm-core-2/#instantiation%E2%91%A1.
package store
