package hostext

import "github.com/wasmvisor/wasmvisor/internal/store"

// WithGuestClock marks the function being built by fb, a
// *wasmvisor.HostFunctionBuilder, as a clock read (store.GuestClock).
// The wasmvisor package sets it in an init function.
var WithGuestClock func(fb any, clock store.GuestClock)
