// Package wasmvisor is the embedding API of wasmvisor, a WebAssembly 2.0
// runtime: compile a binary once (decode, validate against a Policy,
// prepare code), instantiate it any number of times, linked by name to
// other modules and to host modules written in Go, and call its exports.
//
//	ctx := context.Background()
//	r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{})
//	defer r.Close(ctx)
//	compiled, err := r.CompileModule(ctx, wasmBytes)
//	...
//	mod, err := r.InstantiateModule(ctx, compiled, wasmvisor.ModuleConfig{Name: "m"})
//	...
//	results, err := mod.ExportedFunction("add").Call(ctx, 1, 2)
//
// Values cross the API as uint64 (see package api for the encoding).
// A module that cannot be compiled fails with a *FormatError,
// *ValidationError or *PolicyError (the runtime's Policy, built from
// DefaultPolicy and LimitOf), one that cannot be linked with a
// *LinkError; match them with errors.As. Traps are *api.Trap values and
// never crash the host; a host function ends a program with
// *api.ExitError.
//
// RuntimeConfig.Isolation decides where code runs: in this process
// (IsolationProcess), or, with IsolationVM, each call from Go in a KVM
// micro-VM of its own, taken from a pool: the compiled code in ring 3 of
// a guest without an operating system, host functions (WASI among them)
// reached by hypercalls, linear memory shared with the host without
// copying. Both behave the same; WithVMStats counts what the VM's exits
// to the host cost.
package wasmvisor
