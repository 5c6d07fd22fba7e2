package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

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
		if err := launch.Validate(context.Background(), file, &opts.Policy); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", file, err)
			status = 1
		}
	}
	return status
}
