package conformance

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/wasmvisor/wasmvisor/internal/wasi"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// Run instantiates the WASI command module bin with wazero, serves its
// WASI imports from a kernel built from cfg, runs _start and returns the
// exit code: the one passed to proc_exit, or 0 if _start returns.
func Run(ctx context.Context, bin []byte, cfg wasi.Config) (uint32, error) {
	k, err := wasi.New(cfg)
	if err != nil {
		return 0, err
	}
	defer k.Close()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithCloseOnContextDone(true))
	defer rt.Close(ctx)
	if err := Instantiate(ctx, rt, k); err != nil {
		return 0, err
	}
	// sightglass benchmarks import bench.start and bench.end.
	nop := api.GoModuleFunc(func(context.Context, api.Module, []uint64) {})
	_, err = rt.NewHostModuleBuilder("bench").
		NewFunctionBuilder().WithGoModuleFunction(nop, nil, nil).Export("start").
		NewFunctionBuilder().WithGoModuleFunction(nop, nil, nil).Export("end").
		Instantiate(ctx)
	if err != nil {
		return 0, err
	}
	mod, err := rt.InstantiateWithConfig(ctx, bin, wazero.NewModuleConfig().WithStartFunctions())
	if err != nil {
		return 0, fmt.Errorf("instantiating: %w", err)
	}
	start := mod.ExportedFunction("_start")
	if start == nil {
		return 0, errors.New("no _start export")
	}
	_, err = start.Call(ctx)
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), nil
	}
	return 0, err
}

// trace logs every call to stderr, for debugging a failing program.
var trace = os.Getenv("WASI_TRACE") != ""

// Instantiate registers the kernel's functions as the host module
// wasi_snapshot_preview1 of rt: one loop over wasi.Functions, as any
// engine adapter does.
func Instantiate(ctx context.Context, rt wazero.Runtime, k *wasi.Kernel) error {
	b := rt.NewHostModuleBuilder(wasi.ModuleName)
	for i := range wasi.Functions {
		f := &wasi.Functions[i]
		fn := api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
			var mem []byte
			if m := mod.Memory(); m != nil {
				mem, _ = m.Read(0, m.Size())
			}
			var params []uint64
			if trace {
				params = append(params, stack[:len(f.Type.Params)]...)
			}
			err := f.Call(ctx, k, mem, stack)
			if trace {
				fmt.Fprintf(os.Stderr, "%s%v = %v %v\n", f.Name, params, wasi.Errno(stack[0]), err)
			}
			var exit *wasi.ExitError
			switch {
			case errors.As(err, &exit):
				mod.CloseWithExitCode(ctx, exit.Code)
				panic(sys.NewExitError(exit.Code))
			case err != nil:
				panic(err)
			}
		})
		b.NewFunctionBuilder().WithGoModuleFunction(fn, valueTypes(f.Type.Params), valueTypes(f.Type.Results)).Export(f.Name)
	}
	_, err := b.Instantiate(ctx)
	return err
}

func valueTypes(ts []wasm.ValueType) []api.ValueType {
	out := make([]api.ValueType, len(ts))
	for i, t := range ts {
		if t == wasm.ValueTypeI64 {
			out[i] = api.ValueTypeI64
		} else {
			out[i] = api.ValueTypeI32
		}
	}
	return out
}
