package wasip1

import (
	"context"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/wasi"
	"github.com/wasmvisor/wasmvisor/internal/wasihost"
)

// ModuleName is the name modules import WASI preview 1 from.
const ModuleName = wasi.ModuleName

// Instantiate registers the host module wasi_snapshot_preview1 in r, so
// that modules instantiated afterwards can import it. Closing the
// returned module removes it; modules already linked to it keep working.
// It fails if r already has a module of that name.
func Instantiate(ctx context.Context, r *wasmvisor.Runtime) (api.Module, error) {
	return wasihost.Instantiate(ctx, r, wasihost.Options{})
}

// MustInstantiate is Instantiate that panics on error, for setting up a
// Runtime that is known to be fresh.
func MustInstantiate(ctx context.Context, r *wasmvisor.Runtime) api.Module {
	mod, err := Instantiate(ctx, r)
	if err != nil {
		panic(err)
	}
	return mod
}
