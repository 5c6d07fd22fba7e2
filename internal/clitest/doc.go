// Package clitest runs real programs through the wasmvisor command line,
// as its users run them: the binary is built once per test run and every
// program runs in a subprocess of its own.
//
// It covers `wasmvisor run` end to end: the wasi-testsuite programs in
// ../shared/testdata/wasi; C programs built with clang and wasi-libc and
// Go programs built for GOOS=wasip1 at test time; test binaries of Go
// standard library packages run through misc/go_wasip1_wasm_exec, as
// Go's own wrapper runs them under wasmtime; and every option of run
// (--invoke, --preload, --tcplisten, --env, --dir, -W limits) with its
// exit statuses and error reports.
//
// Tools that build test programs (clang-16, go, wat2wasm) are skipped
// when missing in a developer's checkout, and fail the tests where
// WASMVISOR_SHARED is set, as in CI. With -short the slow part, the Go
// standard library, runs a smaller set of packages;
// WASMVISOR_GO_PACKAGES="math/big archive/tar" runs the packages it
// lists instead.
package clitest
