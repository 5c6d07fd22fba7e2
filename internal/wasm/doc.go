// Package wasm holds the in-memory form of a WebAssembly 2.0 module (the
// module IR) that every later stage shares: the decoder produces it, the
// validator checks it, the engines prepare code from it and the store
// instantiates it. It also defines the opcode table and an instruction
// reader, so that every stage walks function bodies the same way.
//
// See https://www.w3.org/TR/wasm-core-2/#modules%E2%91%A0 for the structure
// this mirrors.
package wasm
