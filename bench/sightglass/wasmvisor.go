package sightglass

import (
	"context"
	"errors"
	"fmt"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/wasip1"
)

// wasmvisorEngine is wasmvisor's default tier (machine code on x86-64)
// with WASI from package wasip1, as an embedder sets it up and as
// "wasmvisor run" runs a command.
var wasmvisorEngine = &Engine{
	Name:  "wasmvisor",
	About: "wasmvisor default tier (compiled on x86-64), RuntimeConfig{}, WASI from package wasip1",
	run:   wasmvisorRunner(wasmvisor.RuntimeConfig{}),
	cli: func(t Tools, wasm string) []string {
		return []string{t.Wasmvisor, "run", "--dir", ".", wasm}
	},
}

// wasmvisorVM is the compiled tier in a KVM micro-VM: every call from Go
// (here _start) runs in a pooled VM, and the program's host calls,
// bench.start and bench.end among them, are hypercalls. It needs
// /dev/kvm; where that is missing, its runs fail and say why.
var wasmvisorVM = &Engine{
	Name:  "wasmvisor-vm",
	About: "wasmvisor compiled tier in a KVM micro-VM, RuntimeConfig{Isolation: IsolationVM}, WASI from package wasip1",
	run:   wasmvisorRunner(wasmvisor.RuntimeConfig{Isolation: wasmvisor.IsolationVM}),
	cli: func(t Tools, wasm string) []string {
		return []string{t.Wasmvisor, "run", "--isolation=vm", "--dir", ".", wasm}
	},
}

// wasmvisorInterp is wasmvisor's interpreter, set up the same way.
var wasmvisorInterp = &Engine{
	Name:  "wasmvisor-interp",
	About: "wasmvisor interpreter, RuntimeConfig{Tier: TierInterp}, WASI from package wasip1",
	run:   wasmvisorRunner(wasmvisor.RuntimeConfig{Tier: wasmvisor.TierInterp}),
	cli: func(t Tools, wasm string) []string {
		return []string{t.Wasmvisor, "run", "--tier=interp", "--dir", ".", wasm}
	},
}

func wasmvisorRunner(cfg wasmvisor.RuntimeConfig) func(ctx context.Context, bin []byte, env runEnv) (uint32, error) {
	return func(ctx context.Context, bin []byte, env runEnv) (uint32, error) {
		return wasmvisorRun(ctx, cfg, bin, env)
	}
}

func wasmvisorRun(ctx context.Context, cfg wasmvisor.RuntimeConfig, bin []byte, env runEnv) (uint32, error) {
	rt := wasmvisor.NewRuntime(ctx, cfg)
	defer rt.Close(ctx)
	if _, err := wasip1.Instantiate(ctx, rt); err != nil {
		return 0, fmt.Errorf("instantiating WASI: %w", err)
	}
	start := func(context.Context, api.Module, []uint64) error { env.marks.benchStart(); return nil }
	end := func(context.Context, api.Module, []uint64) error { env.marks.benchEnd(); return nil }
	_, err := rt.NewHostModuleBuilder("bench").
		NewFunctionBuilder().WithGoModuleFunction(start, nil, nil).Export("start").
		NewFunctionBuilder().WithGoModuleFunction(end, nil, nil).Export("end").
		Instantiate(ctx)
	if err != nil {
		return 0, fmt.Errorf("instantiating the bench module: %w", err)
	}
	compiled, err := rt.CompileModule(ctx, bin)
	if err != nil {
		return 0, fmt.Errorf("compiling: %w", err)
	}
	env.marks.compileDone()
	_, err = rt.InstantiateModule(ctx, compiled, wasmvisor.ModuleConfig{
		Args:           env.args,
		Stdout:         env.stdout,
		Stderr:         env.stderr,
		Dirs:           []wasmvisor.DirMount{{Host: ".", Guest: "."}},
		StartFunctions: []string{"_start"},
	})
	if exit, ok := errors.AsType[*api.ExitError](err); ok {
		return exit.Code, nil
	}
	return 0, err
}
