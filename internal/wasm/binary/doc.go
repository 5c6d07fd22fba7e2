// Package binary decodes the WebAssembly 2.0 binary format into the module
// IR of package wasm, and encodes a module back into it.
//
// See https://www.w3.org/TR/wasm-core-2/#binary-format%E2%91%A0 for the
// format; each decoding function names the section of the spec it follows.
//
// # What the decoder checks, and what it leaves to the validator
//
// Decode reports every malformation of the module structure: the header,
// section ids, order and sizes, vector lengths, LEB128 integers, names,
// types, limits, import/export kinds, segment formats, local declarations
// and the consistency of the function/code and data-count/data sections.
// Errors are *wasm.FormatError and use the spec test suite's wording
// ("section size mismatch", "malformed UTF-8 encoding", ...) with context
// in front ("section 10 (code): function 3: too many locals").
//
// Constant expressions (global initializers, segment offsets, element
// expressions) are walked with wasm.Reader to find their end, so their
// instruction-level malformations are reported here. Whether they are
// constant and well-typed is the validator's question.
//
// Function bodies are not walked instruction by instruction: the validator
// walks every instruction of every body anyway, and walking them here as
// well would double the cost of loading a large module for no extra
// safety. The validator therefore reports the malformations that only an
// instruction walk can find (illegal opcodes, reserved zero bytes, LEB128
// immediates, memory.init and data.drop without a data count section,
// bytes after a body's final end) as *wasm.FormatError. The decoder does
// check, in constant time per body, that a body's last byte is the end
// opcode; only when it is not does it walk the body, to report the error
// the spec tests expect (see below).
//
// # Reading past a section's end
//
// Like the spec's reference interpreter, from which the test suite's
// expected messages come, the decoder reads an entry of a section from the
// module's bytes and compares the position it reached with the section's
// declared end afterwards ("section size mismatch"), rather than bounding
// every read by the section. Two rules keep hostile input cheap: a vector
// or byte-string length larger than the bytes left in the module is
// rejected before anything is read or allocated ("length out of bounds"),
// and a vector allocates room for no more entries than its section's bytes
// can hold and stops with "section size mismatch" as soon as an entry has
// run past the section's end. A count of four billion costs nothing.
package binary
