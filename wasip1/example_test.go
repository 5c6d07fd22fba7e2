package wasip1_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/wasip1"
)

// compileCat compiles testdata/cat.wasm (see cat.wat), a program that
// copies the files its arguments name, relative to its first pre-opened
// directory, to standard output.
func compileCat(ctx context.Context, r *wasmvisor.Runtime) *wasmvisor.CompiledModule {
	bin, err := os.ReadFile("testdata/cat.wasm")
	if err != nil {
		log.Fatal(err)
	}
	compiled, err := r.CompileModule(ctx, bin)
	if err != nil {
		log.Fatal(err)
	}
	return compiled
}

func Example() {
	ctx := context.Background()
	r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{})
	defer r.Close(ctx)
	wasip1.MustInstantiate(ctx, r)

	_, err := r.InstantiateModule(ctx, compileCat(ctx, r), wasmvisor.ModuleConfig{
		Args:           []string{"cat", "greeting.txt"},
		Dirs:           []wasmvisor.DirMount{{Host: "testdata", Guest: "/", ReadOnly: true}},
		Stdout:         os.Stdout,
		StartFunctions: []string{"_start"},
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output: hello from the host
}

// Each instance gets its own kernel, from its own configuration.
func Example_manyPrograms() {
	ctx := context.Background()
	r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{})
	defer r.Close(ctx)
	wasip1.MustInstantiate(ctx, r)
	compiled := compileCat(ctx, r)

	for _, args := range [][]string{{"cat", "greeting.txt"}, {"cat", "greeting.txt", "greeting.txt"}} {
		var out bytes.Buffer
		mod, err := r.InstantiateModule(ctx, compiled, wasmvisor.ModuleConfig{
			Args:           args,
			Dirs:           []wasmvisor.DirMount{{Host: "testdata", Guest: "/", ReadOnly: true}},
			Stdout:         &out,
			StartFunctions: []string{"_start"},
		})
		if err != nil {
			log.Fatal(err)
		}
		mod.Close(ctx) // closes its kernel and its directories
		fmt.Printf("%q\n", out.String())
	}
	// Output:
	// "hello from the host\n"
	// "hello from the host\nhello from the host\n"
}

// A program's proc_exit ends InstantiateModule (or the call of _start)
// with an *api.ExitError.
func Example_exitCode() {
	ctx := context.Background()
	r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{})
	defer r.Close(ctx)
	wasip1.MustInstantiate(ctx, r)

	_, err := r.InstantiateModule(ctx, compileCat(ctx, r), wasmvisor.ModuleConfig{
		Args:           []string{"cat", "missing.txt"},
		Dirs:           []wasmvisor.DirMount{{Host: "testdata", Guest: "/"}},
		StartFunctions: []string{"_start"},
	})
	if exit, ok := errors.AsType[*api.ExitError](err); ok {
		fmt.Println("exit code", exit.Code)
	}
	// Output: exit code 1
}
