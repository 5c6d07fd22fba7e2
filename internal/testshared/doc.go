// Package testshared locates the shared test data (spec tests, WASI tests,
// benchmarks) that lives beside the repository in ../shared.
//
// One setting decides where it is: the WASMVISOR_SHARED environment
// variable. CI sets it, and then a missing directory fails the test. When
// it is unset (a developer's checkout), ../shared relative to the module
// root is used if present, and tests that need it are skipped otherwise.
package testshared
