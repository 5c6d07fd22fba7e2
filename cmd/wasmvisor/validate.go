package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/internal/launch"
)

func init() {
	register("validate", "check modules against WebAssembly 2.0 and the runtime policy", func(args []string) int {
		return validateMain(args, os.Stderr)
	})
}

// validateMain implements `wasmvisor validate [-W key=value]... FILE...`.
// Like wabt's wasm-validate it is quiet on success; each failure is one
// line "FILE: error" on stderr. The exit code is 0 when every file is
// valid, 1 when one is not, 2 for a usage error.
func validateMain(args []string, stderr io.Writer) int {
	opts := launch.NewLimits()
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(opts, "W", "set a policy limit or feature: `key=value` (repeatable, or comma-separated)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: wasmvisor validate [-W key=value]... FILE...\n\n"+
			"Decode each WebAssembly binary and validate it against the WebAssembly 2.0 spec\n"+
			"and the runtime policy that `wasmvisor run` applies. Prints nothing for valid\n"+
			"files and \"FILE: error\" for the others.\n\n"+
			"-W keys (sizes take suffixes KiB, MiB, GiB; limits take \"unlimited\"):\n%s",
			launch.KeysHelp())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	status := 0
	for _, file := range fs.Args() {
		if err := validateFile(file, &opts.Policy); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", file, err)
			status = 1
		}
	}
	return status
}

// validateFile decodes and validates one file under p, through the
// public API so that the command checks exactly what the runtime
// would: the interpreter's tier, whose preparation of code after
// validation is a linear pass (no machine code, no cache).
func validateFile(file string, p *wasmvisor.Policy) error {
	data, err := launch.ReadModule(file, p)
	if err != nil {
		return err
	}
	ctx := context.Background()
	r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{Policy: p, Tier: wasmvisor.TierInterp})
	defer r.Close(ctx)
	_, err = r.CompileModule(ctx, data)
	return err
}
