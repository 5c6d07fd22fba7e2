// Command bench compares wasmvisor's interpreter with wazero's
// interpreter and compiler on small CPU-bound WebAssembly programs
// (programs/*.c, built with clang into the committed .wasm files),
// calling one exported function repeatedly in one process. It runs the
// engines alternately, so that machine noise hits them alike, and prints
// per-program medians and wasmvisor's time as a fraction of each other
// engine's (below 1: wasmvisor is faster). The sightglass programs, whole
// WASI commands, have their own harness: cmd/sightglass.
//
// It is a separate module so that wazero is never a dependency of
// wasmvisor itself.
package main

import (
	"context"
	"embed"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/wasmvisor/wasmvisor"
)

//go:embed programs/*.wasm
var programFiles embed.FS

// program is one benchmark: an exported function called with one i32.
type program struct {
	name string
	fn   string
	arg  uint64
}

var programs = []program{
	{"fib", "fib", 27},
	{"sieve", "sieve", 500_000},
	{"matmul", "matmul", 96},
	{"memloop", "memloop", 100_000},
	{"vm", "vm", 20_000},
}

func (p program) wasm() ([]byte, error) { return programFiles.ReadFile("programs/" + p.name + ".wasm") }

// runner calls a program's function once.
type runner interface {
	run(ctx context.Context) (uint64, error)
	close(ctx context.Context)
}

type visorRunner struct {
	r  *wasmvisor.Runtime
	fn func(context.Context, ...uint64) ([]uint64, error)
	p  program
}

func newVisor(ctx context.Context, p program) (runner, error) {
	bin, err := p.wasm()
	if err != nil {
		return nil, err
	}
	r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{})
	mod, err := r.Instantiate(ctx, bin)
	if err != nil {
		return nil, fmt.Errorf("wasmvisor: %s: %w", p.name, err)
	}
	f := mod.ExportedFunction(p.fn)
	if f == nil {
		return nil, fmt.Errorf("wasmvisor: %s: no export %q", p.name, p.fn)
	}
	return &visorRunner{r: r, fn: f.Call, p: p}, nil
}

func (v *visorRunner) run(ctx context.Context) (uint64, error) {
	res, err := v.fn(ctx, v.p.arg)
	if err != nil {
		return 0, err
	}
	return res[0], nil
}

func (v *visorRunner) close(ctx context.Context) { v.r.Close(ctx) }

type wazeroRunner struct {
	r  wazero.Runtime
	fn func(context.Context, ...uint64) ([]uint64, error)
	p  program
}

// engine makes a runner for a program.
type engine struct {
	name string
	new  func(context.Context, program) (runner, error)
}

// engines are compared with the first, wasmvisor's interpreter.
var engines = []engine{
	{"wasmvisor", newVisor},
	{"wazero-interp", newWazero(wazero.NewRuntimeConfigInterpreter)},
	{"wazero-compiler", newWazero(wazero.NewRuntimeConfigCompiler)},
}

func newWazero(config func() wazero.RuntimeConfig) func(context.Context, program) (runner, error) {
	return func(ctx context.Context, p program) (runner, error) {
		return newWazeroRunner(ctx, p, config())
	}
}

func newWazeroRunner(ctx context.Context, p program, cfg wazero.RuntimeConfig) (runner, error) {
	bin, err := p.wasm()
	if err != nil {
		return nil, err
	}
	r := wazero.NewRuntimeWithConfig(ctx, cfg)
	mod, err := r.Instantiate(ctx, bin)
	if err != nil {
		return nil, fmt.Errorf("wazero: %s: %w", p.name, err)
	}
	f := mod.ExportedFunction(p.fn)
	if f == nil {
		return nil, fmt.Errorf("wazero: %s: no export %q", p.name, p.fn)
	}
	return &wazeroRunner{r: r, fn: f.Call, p: p}, nil
}

func (w *wazeroRunner) run(ctx context.Context) (uint64, error) {
	res, err := w.fn(ctx, w.p.arg)
	if err != nil {
		return 0, err
	}
	return res[0], nil
}

func (w *wazeroRunner) close(ctx context.Context) { w.r.Close(ctx) }
