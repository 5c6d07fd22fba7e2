// Package hostext lets the runtime's own host modules (WASI's, in
// package wasihost) tell the engine what the public HostModuleBuilder
// does not let every embedder say: that a host function reads clocks
// and may be served inside a micro-VM. The wasmvisor package fills in
// the hooks; they are not part of the public API because what they
// promise about a function (that it only reads clocks, with WASI's
// meaning of its arguments) the engine takes on trust.
package hostext
