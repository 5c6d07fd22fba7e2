package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/internal/launch"
)

func init() {
	register("compile", "compile a module to machine code ahead of time (FILE.cwasm, which run accepts)", func(args []string) int {
		return compileMain(args, os.Stderr)
	})
}

// compileMain implements `wasmvisor compile [-W key=value]... [-o OUT]
// FILE.wasm`. Options may also follow FILE, as in `wasmtime compile`.
// It prints nothing on success; the exit code is 1 when the module
// cannot be compiled or written, 2 for a usage error.
func compileMain(args []string, stderr io.Writer) int {
	opts := launch.NewLimits()
	fs := flag.NewFlagSet("compile", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "write the precompiled module to `FILE` (default: FILE.wasm with the suffix .cwasm)")
	fs.Var(opts, "W", "set a policy limit or feature the module is validated against: `key=value` (repeatable, or comma-separated)")
	var isolation wasmvisor.Isolation
	fs.Var(&isolation, "isolation", "compile for runs in this `process` or in micro-VMs (vm, or auto: vm where KVM works); the code differs")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: wasmvisor compile [-W key=value]... [--isolation=process|vm|auto] [-o FILE.cwasm] FILE.wasm\n\n"+
			"Decode and validate a WebAssembly module, compile it to machine code for this host,\n"+
			"and write both to a precompiled file, which `wasmvisor run` starts without compiling.\n"+
			"The file runs only on this build of wasmvisor and on hosts with the same CPU features;\n"+
			"its machine code is trusted as an executable is, so run only files you made or trust.\n\n")
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\n-W keys (sizes take suffixes KiB, MiB, GiB; limits take \"unlimited\"):\n%s", launch.KeysHelp())
	}
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return exitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) != 1 {
		fmt.Fprintf(stderr, "wasmvisor compile: want one FILE.wasm, got %d\n", len(files))
		fs.Usage()
		return exitUsage
	}
	file := files[0]
	if *out == "" {
		*out = strings.TrimSuffix(file, ".wasm") + ".cwasm"
	}
	if isolation == wasmvisor.IsolationDefault {
		var err error
		if isolation, err = isolationFromEnv(wasmvisor.TierCompiled); err != nil {
			fmt.Fprintf(stderr, "wasmvisor compile: %v\n", err)
			return exitUsage
		}
	}
	if err := launch.Precompile(context.Background(), file, *out, &opts.Policy, isolation); err != nil {
		fmt.Fprintf(stderr, "wasmvisor compile: %v\n", err)
		return exitFailure
	}
	return 0
}
