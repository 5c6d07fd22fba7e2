// Package validate checks a decoded WebAssembly module against the
// WebAssembly 2.0 validation rules and against a runtime Policy, before
// anything is instantiated.
//
// Spec validation follows https://www.w3.org/TR/wasm-core-2/#valid
// and the algorithm of its appendix
// (https://www.w3.org/TR/wasm-core-2/#algo-valid): every
// function body is walked once with an operand stack and a control stack.
// A broken rule is an *Error worded like the spec test suite ("type
// mismatch", "unknown local 2", ...). Instruction-level malformations found
// while walking a body (illegal opcodes, bad LEB128, a missing END opcode,
// memory.init without a data count section) are *wasm.FormatError, because
// the spec calls them malformed, not invalid; when a module is both, the
// malformation is reported, as a spec decoder would have stopped there.
//
// A Policy adds runtime constraints on top of the spec: size and count
// limits, disabled features, allowed imports. A violation is a
// *PolicyError that names the `-W` flag setting the limit (the CLI's
// side, internal/launch, parses those flags).
package validate
