// Package spectest runs the WebAssembly specification test suite in the
// JSON form that wabt's wast2json produces: module definitions and
// registrations, actions, and the assertions on them (assert_return with
// NaN patterns, vectors and references; assert_trap; assert_exhaustion;
// assert_invalid, assert_malformed, assert_unlinkable and
// assert_uninstantiable), against the public wasmvisor API and the
// spectest host module the scripts import.
//
// Text-format modules (module_type "text") need a WAT parser, which
// wasmvisor does not have: those commands count as skipped.
//
// See https://github.com/WebAssembly/spec/tree/main/interpreter#scripts
// for the script language and wabt's wast2json for the JSON form.
package spectest
