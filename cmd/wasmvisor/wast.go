package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/internal/spectest"
)

func init() {
	register("wast", "run WebAssembly spec test scripts (wast2json output)", func(args []string) int {
		return wastMain(args, os.Stdout, os.Stderr)
	})
}

// wastMain implements `wasmvisor wast FILE.json...`: it runs each script,
// prints one line per failed command and the totals, and exits 1 if any
// command failed.
func wastMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wast", flag.ContinueOnError)
	fs.SetOutput(stderr)
	verbose := fs.Bool("v", false, "print each script's totals")
	var tier wasmvisor.Tier
	fs.Var(&tier, "tier", "run the scripts on the `compiled|interp` tier (default: the host's default, see wasmvisor check)")
	var isolation wasmvisor.Isolation
	fs.Var(&isolation, "isolation", "run the scripts' calls in this `process`, in a KVM micro-VM (vm), or in one where KVM works (auto)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: wasmvisor wast [-v] [--tier=compiled|interp] [--isolation=process|vm|auto] FILE.json...\n\n"+
			"Run spec test scripts converted by wabt's wast2json (the modules they name\n"+
			"must be beside them). Prints one line per failed command, then\n"+
			"\"N passed, N failed, N skipped\". Text-format modules are skipped.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	if err := tier.Available(); err != nil {
		fmt.Fprintf(stderr, "wasmvisor wast: %v\n", err)
		return 1
	}
	if isolation == wasmvisor.IsolationDefault {
		var err error
		if isolation, err = isolationFromEnv(tier); err != nil {
			fmt.Fprintf(stderr, "wasmvisor wast: %v\n", err)
			return 2
		}
	}
	if err := isolation.Available(); err != nil {
		fmt.Fprintf(stderr, "wasmvisor wast: %v\n", err)
		return 1
	}
	ctx := context.Background()
	var total spectest.Result
	status := 0
	for _, file := range fs.Args() {
		res, err := spectest.RunFileWith(ctx, file, wasmvisor.RuntimeConfig{Tier: tier, Isolation: isolation})
		if err != nil {
			fmt.Fprintf(stderr, "wasmvisor wast: %v\n", err)
			status = 1
			continue
		}
		for _, f := range res.Failures {
			fmt.Fprintln(stdout, f)
		}
		if *verbose {
			fmt.Fprintf(stdout, "%s: %d passed, %d failed, %d skipped\n", file, res.Passed, res.Failed, res.Skipped)
		}
		total.Add(res)
	}
	fmt.Fprintf(stdout, "%d passed, %d failed, %d skipped\n", total.Passed, total.Failed, total.Skipped)
	if total.Failed > 0 {
		status = 1
	}
	return status
}
