// Package leb128 decodes the LEB128 integers of the WebAssembly binary
// format with the spec's size limits: an N-bit integer uses at most
// ceil(N/7) bytes, and the unused bits of the last byte must be zero
// (unsigned) or a sign extension (signed).
//
// See https://www.w3.org/TR/wasm-core-2/#integers%E2%91%A4
package leb128
