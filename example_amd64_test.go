package wasmvisor_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/api"
)

// A module compiled ahead of time, as `wasmvisor compile` does, loads
// without compiling in any process of the same build on a like host.
func ExampleRuntime_PrecompileModule() {
	ctx := context.Background()
	bin, err := os.ReadFile("testdata/example.wasm")
	if err != nil {
		log.Fatal(err)
	}
	r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{Tier: wasmvisor.TierCompiled})
	defer r.Close(ctx)
	precompiled, err := r.PrecompileModule(ctx, bin) // what a .cwasm file holds
	if err != nil {
		log.Fatal(err)
	}

	if _, err := r.NewHostModuleBuilder("env").NewFunctionBuilder().
		WithGoModuleFunction(func(context.Context, api.Module, []uint64) error { return nil }, []api.ValueType{api.ValueTypeI32}, nil).
		Export("log").Instantiate(ctx); err != nil {
		log.Fatal(err)
	}
	compiled, err := r.LoadPrecompiledModule(ctx, precompiled)
	if err != nil {
		log.Fatal(err)
	}
	mod, err := r.InstantiateModule(ctx, compiled, wasmvisor.ModuleConfig{})
	if err != nil {
		log.Fatal(err)
	}
	results, err := mod.ExportedFunction("add").Call(ctx, api.EncodeI32(40), api.EncodeI32(2))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(api.DecodeI32(results[0]))
	// Output: 42
}

// A cache's Stats say what it served: the second runtime loads the
// machine code the first one stored.
func ExampleCompilationCache_Stats() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "wasmvisor-cache")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cache, err := wasmvisor.NewCompilationCache(dir)
	if err != nil {
		log.Fatal(err)
	}
	bin, err := os.ReadFile("testdata/example.wasm")
	if err != nil {
		log.Fatal(err)
	}
	for range 2 {
		r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{Tier: wasmvisor.TierCompiled, CompilationCache: cache})
		if _, err := r.CompileModule(ctx, bin); err != nil {
			log.Fatal(err)
		}
		r.Close(ctx)
	}
	var stats wasmvisor.CacheStats = cache.Stats()
	fmt.Printf("%+v\n", stats)
	// Output: {Hits:1 Misses:1 Damaged:0 Stores:1}
}

// An instance whose calls run in KVM micro-VMs: the same code and
// results as in-process, where the host has KVM.
func ExampleIsolationVM() {
	ctx := context.Background()
	if wasmvisor.IsolationVM.Available() != nil {
		fmt.Println(42) // no KVM here: nothing to show
		return
	}
	r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{Isolation: wasmvisor.IsolationVM})
	defer r.Close(ctx)
	mod := instantiateExample(ctx, r)
	var stats wasmvisor.VMStats
	results, err := mod.ExportedFunction("add").Call(wasmvisor.WithVMStats(ctx, &stats), api.EncodeI32(40), api.EncodeI32(2))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(api.DecodeI32(results[0]))
	if c := stats.Counts(); c.Calls != 1 || c.Exits < 1 {
		log.Fatalf("counted %+v", c)
	}
	// Output: 42
}
