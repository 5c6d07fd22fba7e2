package conformance

import (
	"context"
	"errors"
	"fmt"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/wasi"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// RunWasmvisor is Run with wasmvisor's own engine instead of wazero.
func RunWasmvisor(ctx context.Context, bin []byte, cfg wasi.Config) (uint32, error) {
	k, err := wasi.New(cfg)
	if err != nil {
		return 0, err
	}
	defer k.Close()
	rt := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{})
	defer rt.Close(ctx)
	if err := InstantiateWasmvisor(ctx, rt, k); err != nil {
		return 0, err
	}
	// sightglass benchmarks import bench.start and bench.end.
	nop := func(context.Context, api.Module, []uint64) error { return nil }
	_, err = rt.NewHostModuleBuilder("bench").
		NewFunctionBuilder().WithGoModuleFunction(nop, nil, nil).Export("start").
		NewFunctionBuilder().WithGoModuleFunction(nop, nil, nil).Export("end").
		Instantiate(ctx)
	if err != nil {
		return 0, err
	}
	compiled, err := rt.CompileModule(ctx, bin)
	if err != nil {
		return 0, fmt.Errorf("compiling: %w", err)
	}
	_, err = rt.InstantiateModule(ctx, compiled, wasmvisor.ModuleConfig{StartFunctions: []string{"_start"}})
	var exit *api.ExitError
	if errors.As(err, &exit) {
		return exit.Code, nil
	}
	return 0, err
}

// InstantiateWasmvisor registers the kernel's functions as the host
// module wasi_snapshot_preview1 of rt.
func InstantiateWasmvisor(ctx context.Context, rt *wasmvisor.Runtime, k *wasi.Kernel) error {
	b := rt.NewHostModuleBuilder(wasi.ModuleName)
	for i := range wasi.Functions {
		f := &wasi.Functions[i]
		fn := func(ctx context.Context, mod api.Module, stack []uint64) error {
			var mem []byte
			if m := mod.Memory(); m != nil {
				mem = m.Bytes()
			}
			err := f.Call(ctx, k, mem, stack)
			if exit, ok := errors.AsType[*wasi.ExitError](err); ok {
				return &api.ExitError{Code: exit.Code}
			}
			return err
		}
		b.NewFunctionBuilder().WithGoModuleFunction(fn, apiTypes(f.Type.Params), apiTypes(f.Type.Results)).Export(f.Name)
	}
	_, err := b.Instantiate(ctx)
	return err
}

func apiTypes(ts []wasm.ValueType) []api.ValueType {
	out := make([]api.ValueType, len(ts))
	for i, t := range ts {
		out[i] = api.ValueType(t)
	}
	return out
}
