package sightglass

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"
)

// The wazero engines run a program the way wazero's own CLI does
// (cmd/wazero, "wazero run"): wazero's WASI, real clocks and randomness,
// one compilation worker, and no WithCloseOnContextDone unless -timeout
// is given. The "-ctx" variants turn WithCloseOnContextDone on, which is
// what an embedder needs to stop a runaway guest and what wasmvisor
// always offers; it costs wazero's compiler an exit to Go at every loop
// iteration, so they are kept apart from the defaults.
var (
	wazeroInterp = &Engine{
		Name:  "wazero-interp",
		About: "wazero v1.12.0, NewRuntimeConfigInterpreter, wazero's WASI",
		run:   wazeroRun(wazero.NewRuntimeConfigInterpreter),
		cli:   wazeroCLI("-interpreter"),
	}
	wazeroCompiler = &Engine{
		Name:  "wazero-compiler",
		About: "wazero v1.12.0, NewRuntimeConfigCompiler, wazero's WASI",
		run:   wazeroRun(wazero.NewRuntimeConfigCompiler),
		cli:   wazeroCLI(),
	}
	wazeroInterpCtx = &Engine{
		Name:  "wazero-interp-ctx",
		About: "wazero-interp with WithCloseOnContextDone(true)",
		run:   wazeroRun(wazero.NewRuntimeConfigInterpreter, closeOnContextDone),
		cli:   wazeroCLI("-interpreter", "-timeout", "24h"),
	}
	wazeroCompilerCtx = &Engine{
		Name:  "wazero-compiler-ctx",
		About: "wazero-compiler with WithCloseOnContextDone(true)",
		run:   wazeroRun(wazero.NewRuntimeConfigCompiler, closeOnContextDone),
		cli:   wazeroCLI("-timeout", "24h"),
	}
)

func closeOnContextDone(c wazero.RuntimeConfig) wazero.RuntimeConfig {
	return c.WithCloseOnContextDone(true)
}

func wazeroRun(newConfig func() wazero.RuntimeConfig, opts ...func(wazero.RuntimeConfig) wazero.RuntimeConfig) func(context.Context, []byte, runEnv) (uint32, error) {
	return func(ctx context.Context, bin []byte, env runEnv) (uint32, error) {
		cfg := newConfig()
		for _, o := range opts {
			cfg = o(cfg)
		}
		rt := wazero.NewRuntimeWithConfig(ctx, cfg)
		defer rt.Close(ctx)
		if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
			return 0, fmt.Errorf("instantiating WASI: %w", err)
		}
		start := api.GoFunc(func(context.Context, []uint64) { env.marks.benchStart() })
		end := api.GoFunc(func(context.Context, []uint64) { env.marks.benchEnd() })
		_, err := rt.NewHostModuleBuilder("bench").
			NewFunctionBuilder().WithGoFunction(start, nil, nil).Export("start").
			NewFunctionBuilder().WithGoFunction(end, nil, nil).Export("end").
			Instantiate(ctx)
		if err != nil {
			return 0, fmt.Errorf("instantiating the bench module: %w", err)
		}
		compiled, err := rt.CompileModule(ctx, bin)
		if err != nil {
			return 0, fmt.Errorf("compiling: %w", err)
		}
		env.marks.compileDone()
		mc := wazero.NewModuleConfig().
			WithArgs(env.args...).
			WithStdout(env.stdout).
			WithStderr(env.stderr).
			WithRandSource(rand.Reader).
			WithSysNanosleep().
			WithSysNanotime().
			WithSysWalltime().
			WithFSConfig(wazero.NewFSConfig().WithDirMount(".", "."))
		_, err = rt.InstantiateModule(ctx, compiled, mc)
		if exit, ok := errors.AsType[*sys.ExitError](err); ok {
			return exit.ExitCode(), nil
		}
		return 0, err
	}
}

func wazeroCLI(flags ...string) func(Tools, string) []string {
	return func(t Tools, wasm string) []string {
		args := append([]string{t.Wazero, "run"}, flags...)
		return append(args, "-mount", ".:.", wasm)
	}
}
