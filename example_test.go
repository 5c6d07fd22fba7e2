package wasmvisor_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/wasip1"
)

// instantiateExample instantiates testdata/example.wasm (see
// example.wat) with an env.log host function that prints its argument.
func instantiateExample(ctx context.Context, r *wasmvisor.Runtime) api.Module {
	_, err := r.NewHostModuleBuilder("env").
		NewFunctionBuilder().
		WithGoModuleFunction(func(ctx context.Context, caller api.Module, stack []uint64) error {
			fmt.Println("log:", api.DecodeI32(stack[0]))
			return nil
		}, []api.ValueType{api.ValueTypeI32}, nil).
		Export("log").
		Instantiate(ctx)
	if err != nil {
		log.Fatal(err)
	}
	bin, err := os.ReadFile("testdata/example.wasm")
	if err != nil {
		log.Fatal(err)
	}
	compiled, err := r.CompileModule(ctx, bin)
	if err != nil {
		log.Fatal(err)
	}
	mod, err := r.InstantiateModule(ctx, compiled, wasmvisor.ModuleConfig{Name: "example"})
	if err != nil {
		log.Fatal(err)
	}
	return mod
}

func Example() {
	ctx := context.Background()
	r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{})
	defer r.Close(ctx)
	mod := instantiateExample(ctx, r)

	results, err := mod.ExportedFunction("add").Call(ctx, api.EncodeI32(40), api.EncodeI32(2))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(api.DecodeI32(results[0]))
	// Output: 42
}

func ExampleHostModuleBuilder() {
	ctx := context.Background()
	r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{})
	defer r.Close(ctx)
	mod := instantiateExample(ctx, r) // defines env.log

	// logsum calls env.log with the sum of its arguments.
	if _, err := mod.ExportedFunction("logsum").Call(ctx, 1, 2); err != nil {
		log.Fatal(err)
	}
	// Output: log: 3
}

func ExampleRuntime_InstantiateModule_trap() {
	ctx := context.Background()
	r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{})
	defer r.Close(ctx)
	mod := instantiateExample(ctx, r)

	_, err := mod.ExportedFunction("div").Call(ctx, 1, 0)
	var trap *api.Trap
	if errors.As(err, &trap) {
		fmt.Println(trap.Kind)
		fmt.Println(trap.Frames[0])
	}
	// Output:
	// integer divide by zero
	// example!func[2] @0x6f
}

func ExampleRuntime_InstantiateModule_timeout() {
	ctx := context.Background()
	r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{})
	defer r.Close(ctx)
	mod := instantiateExample(ctx, r)

	// spin loops forever; the deadline stops it.
	ctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	_, err := mod.ExportedFunction("spin").Call(ctx)
	var trap *api.Trap
	if errors.As(err, &trap) {
		fmt.Println(trap.Kind)
	}
	// Output: timeout
}

func ExampleModuleConfigOf() {
	ctx := context.Background()
	r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{})
	defer r.Close(ctx)
	// A host function reads its caller's configuration.
	_, err := r.NewHostModuleBuilder("env").
		NewFunctionBuilder().
		WithGoModuleFunction(func(ctx context.Context, caller api.Module, stack []uint64) error {
			cfg, _ := wasmvisor.ModuleConfigOf(caller)
			fmt.Println(cfg.Name, cfg.Args)
			return nil
		}, []api.ValueType{api.ValueTypeI32}, nil).
		Export("log").
		Instantiate(ctx)
	if err != nil {
		log.Fatal(err)
	}
	bin, _ := os.ReadFile("testdata/example.wasm")
	compiled, err := r.CompileModule(ctx, bin)
	if err != nil {
		log.Fatal(err)
	}
	mod, err := r.InstantiateModule(ctx, compiled, wasmvisor.ModuleConfig{Name: "prog", Args: []string{"prog", "-v"}})
	if err != nil {
		log.Fatal(err)
	}
	mod.ExportedFunction("logsum").Call(ctx, 0, 0)
	// Output: prog [prog -v]
}

// A compilation cache shared by runtimes (and processes) compiles each
// module once; later compiles of it load the machine code.
func ExampleNewCompilationCache() {
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
	for range 2 {
		r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{CompilationCache: cache})
		mod := instantiateExample(ctx, r)
		results, err := mod.ExportedFunction("add").Call(ctx, api.EncodeI32(1), api.EncodeI32(2))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(api.DecodeI32(results[0]))
		r.Close(ctx)
	}
	// Output:
	// 3
	// 3
}

// A module that exports "wizer.initialize" is instantiated once and
// initialized; its instances then start from that state, each memory
// mapped from the snapshot copy-on-write, without running the
// initializer (here: building a 1 MiB table of squares) again.
func ExampleRuntime_PreInitialize() {
	ctx := context.Background()
	r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{})
	defer r.Close(ctx)
	wasip1.MustInstantiate(ctx, r)
	bin, err := os.ReadFile("testdata/preinit/squares.wasm")
	if err != nil {
		log.Fatal(err)
	}
	compiled, err := r.CompileModule(ctx, bin)
	if err != nil {
		log.Fatal(err)
	}
	pre, err := r.PreInitialize(ctx, compiled)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("snapshot: %d pages, %d KiB stored\n", pre.Snapshot().MemoryPages[0], pre.Snapshot().Stored>>10)
	for range 2 {
		mod, err := r.InstantiateModule(ctx, pre, wasmvisor.ModuleConfig{})
		if err != nil {
			log.Fatal(err)
		}
		sum, _ := mod.ExportedFunction("sum").Call(ctx)
		fmt.Println("sum of the squares:", sum[0])
		mod.ExportedFunction("scribble").Call(ctx) // this instance's writes are its own
		mod.Close(ctx)
	}
	// Output:
	// snapshot: 17 pages, 1028 KiB stored
	// sum of the squares: 357389824
	// sum of the squares: 357389824
}
