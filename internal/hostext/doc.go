// Package hostext lets the runtime's own host modules (WASI's, in
// package wasihost) tell the engine what the public HostModuleBuilder
// does not let every embedder say: that a host function is one of
// WASI's that a micro-VM may serve inside the guest, from data the host
// publishes there. The wasmvisor package fills in the hooks; they are
// not part of the public API because what they promise about a function
// (that it has WASI's meaning, and answers as its store.GuestServer
// says) the engine takes on trust.
package hostext
