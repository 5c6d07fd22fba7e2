package wasmvisor_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/api"
)

// Small modules in the binary format, for the examples below.
const header = "\x00asm\x01\x00\x00\x00"

var (
	// (module (memory 4))
	memory4 = []byte(header + "\x05\x03\x01\x00\x04")
	// (module (import "env" "f" (func)))
	importsEnvF = []byte(header + "\x01\x04\x01\x60\x00\x00" + "\x02\x09\x01\x03env\x01f\x00\x00")
	// (module (func (result i32))): the body leaves no result.
	noResult = []byte(header + "\x01\x05\x01\x60\x00\x01\x7f" + "\x03\x02\x01\x00" + "\x0a\x04\x01\x02\x00\x0b")
)

// A Policy refuses a module that needs more memory than it allows.
func ExamplePolicyError() {
	ctx := context.Background()
	p := wasmvisor.DefaultPolicy()
	p.MaxMemoryPages = wasmvisor.LimitOf(1)
	r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{Policy: p})
	defer r.Close(ctx)

	_, err := r.CompileModule(ctx, memory4)
	var pe *wasmvisor.PolicyError
	if errors.As(err, &pe) {
		fmt.Println(pe.Where, pe.Value, pe.Limit)
		fmt.Println(pe)
	}
	// Output:
	// memory[0] 4 1
	// memory[0]: minimum 4 pages exceeds limit of 1 page (-W max-memory-size=65536)
}

// A Policy can refuse imports, and features.
func ExamplePolicy() {
	ctx := context.Background()
	r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{Policy: &wasmvisor.Policy{
		AllowImports: []string{"wasi_snapshot_preview1.*"},
		Disabled:     wasmvisor.FeatureSIMD,
	}})
	defer r.Close(ctx)

	_, err := r.CompileModule(ctx, importsEnvF)
	if pe, ok := errors.AsType[*wasmvisor.PolicyError](err); ok {
		fmt.Println(pe.Rule)
	}
	// Output: not allowed by policy
}

func ExampleFormatError() {
	ctx := context.Background()
	r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{})
	defer r.Close(ctx)

	_, err := r.CompileModule(ctx, []byte("\x00asm\x02\x00\x00\x00"))
	if fe, ok := errors.AsType[*wasmvisor.FormatError](err); ok {
		fmt.Println(fe.Offset, fe.Msg)
	}
	// Output: 4 unknown binary version 02 00 00 00: only version 1 (01 00 00 00) is supported
}

func ExampleValidationError() {
	ctx := context.Background()
	r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{})
	defer r.Close(ctx)

	_, err := r.CompileModule(ctx, noResult)
	if ve, ok := errors.AsType[*wasmvisor.ValidationError](err); ok {
		fmt.Println(ve.Func, ve.Rule)
	}
	// Output: 0 type mismatch: expected i32, but the stack is empty
}

func ExampleLinkError() {
	ctx := context.Background()
	r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{})
	defer r.Close(ctx)
	compiled, err := r.CompileModule(ctx, importsEnvF)
	if err != nil {
		fmt.Println(err)
		return
	}

	_, err = r.InstantiateModule(ctx, compiled, wasmvisor.ModuleConfig{})
	if le, ok := errors.AsType[*wasmvisor.LinkError](err); ok {
		fmt.Println(le.Module, le.Name, le.Kind, le.Unknown)
	}
	// Output: env f func true
}

// Imports and exports say what they are with an ExternKind.
func ExampleCompiledModule_Imports() {
	ctx := context.Background()
	r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{})
	defer r.Close(ctx)
	compiled, err := r.CompileModule(ctx, importsEnvF)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, imp := range compiled.Imports() {
		fmt.Println(imp.Module, imp.Name, imp.Kind == wasmvisor.ExternFunc)
	}
	// Output: env f true
}

// errors.Is matches a trap by its kind, and an exit by its code (here
// of a host function that ends the program, called from Go).
func ExampleRuntime_InstantiateModule_errorsIs() {
	ctx := context.Background()
	r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{})
	defer r.Close(ctx)
	_, err := r.NewHostModuleBuilder("env").
		NewFunctionBuilder().
		WithGoModuleFunction(func(context.Context, api.Module, []uint64) error {
			return &api.ExitError{Code: 3}
		}, nil, nil).
		Export("f").
		Instantiate(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = r.Module("env").ExportedFunction("f").Call(ctx)
	fmt.Println(errors.Is(err, &api.ExitError{Code: 3}), errors.Is(err, &api.Trap{Kind: api.TrapTimeout}))
	// Output: true false
}

// The tier is part of the runtime's configuration.
func ExampleRuntimeConfig_tier() {
	ctx := context.Background()
	tier, err := wasmvisor.ParseTier("interp")
	if err != nil {
		fmt.Println(err)
		return
	}
	r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{Tier: tier})
	defer r.Close(ctx)
	fmt.Println(r.Tier())
	// Output: interp
}
