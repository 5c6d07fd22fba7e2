package conformance

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/wasi"
	"github.com/wasmvisor/wasmvisor/internal/wasihost"
)

// RunWasmvisor is Run with wasmvisor's own engine instead of wazero. The
// kernel is served the way package wasip1 serves it; only the preopens
// come from cfg as they are, since the tests build their namespaces
// themselves.
func RunWasmvisor(ctx context.Context, bin []byte, cfg wasi.Config) (uint32, error) {
	rt := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{})
	defer rt.Close(ctx)
	opts := wasihost.Options{
		Preopens: func(api.Module) ([]wasi.Preopen, error) { return cfg.Preopens, nil },
	}
	if trace {
		opts.Trace = os.Stderr
	}
	if _, err := wasihost.Instantiate(ctx, rt, opts); err != nil {
		return 0, err
	}
	// sightglass benchmarks import bench.start and bench.end.
	nop := func(context.Context, api.Module, []uint64) error { return nil }
	_, err := rt.NewHostModuleBuilder("bench").
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
	_, err = rt.InstantiateModule(ctx, compiled, wasmvisor.ModuleConfig{
		Args:           cfg.Args,
		Env:            cfg.Env,
		Stdin:          cfg.Stdin,
		Stdout:         cfg.Stdout,
		Stderr:         cfg.Stderr,
		Random:         cfg.Random,
		StartFunctions: []string{"_start"},
	})
	if exit, ok := errors.AsType[*api.ExitError](err); ok {
		return exit.Code, nil
	}
	return 0, err
}
