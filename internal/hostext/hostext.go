package hostext

import "github.com/wasmvisor/wasmvisor/internal/store"

// WithGuest marks the function being built by fb, a
// *wasmvisor.HostFunctionBuilder, as one of WASI's that a guest may
// serve (store.Guest). The wasmvisor package sets it in an init
// function.
var WithGuest func(fb any, g store.Guest)
