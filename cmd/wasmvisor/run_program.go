package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/launch"
)

// runProgram runs the program o describes, prints what the run ended
// with and returns the exit status.
func runProgram(o *runOptions, std runIO) int {
	o.Stdin, o.Stdout, o.Stderr = std.stdin, std.stdout, std.stderr
	res := launch.Run(context.Background(), &o.Program)
	if o.Stats {
		defer printStats(std.stderr, res.Stats)
	}
	if res.Err == nil {
		for _, line := range launch.FormatResults(res.ResultTypes, res.Results) {
			fmt.Fprintln(std.stdout, line)
		}
		return res.Status
	}
	o.report(std.stderr, res)
	return res.Status
}

// report prints why a run ended with res.Err, in wasmtime's terms, with
// hints at the options that change the outcome.
func (o *runOptions) report(w io.Writer, res launch.Result) {
	trap, ok := errors.AsType[*api.Trap](res.Err)
	if !ok {
		if errors.Is(res.Err, launch.ErrCache) {
			fmt.Fprintf(w, "Error: %v (--no-cache runs without it)\n", res.Err)
			return
		}
		fmt.Fprintf(w, "Error: %v\n", res.Err)
		return
	}
	detail := trap.Detail
	switch trap.Kind {
	case api.TrapTimeout:
		if o.Limits.Timeout > 0 {
			detail = fmt.Sprintf("the program ran longer than -W timeout=%s", o.Limits.Timeout)
		}
	case api.TrapCallStackExhausted:
		detail += " (raise the limit with -W max-wasm-stack)"
	}
	fmt.Fprintf(w, "Error: %s: wasm trap: %s", res.File, trap.Kind)
	if detail != "" {
		fmt.Fprintf(w, ": %s", detail)
	}
	fmt.Fprintln(w)
	if len(trap.Frames) > 0 {
		fmt.Fprintln(w, "wasm backtrace:")
		// A runaway recursion repeats one frame: show it once.
		for i := 0; i < len(trap.Frames); i++ {
			f := trap.Frames[i]
			fmt.Fprintf(w, "  %3d: %s\n", i, f)
			n := 0
			for i+1 < len(trap.Frames) && trap.Frames[i+1] == f {
				i, n = i+1, n+1
			}
			if n > 0 {
				fmt.Fprintf(w, "       ... the same frame %d more times\n", n)
			}
		}
	}
}

// printStats prints what --stats shows.
func printStats(w io.Writer, st launch.Stats) {
	fmt.Fprintf(w, "wasmvisor: tier %s, isolation %s; load %v, run %v\n", st.Tier, st.Isolation,
		st.Load.Round(time.Microsecond), st.Run.Round(time.Microsecond))
	if st.Isolation != wasmvisor.IsolationVM {
		return
	}
	vmst := st.VM
	fmt.Fprintf(w, "wasmvisor: %d calls into micro-VMs, %d exits to the host; %v in VMs, of which %v in the host serving exits\n",
		vmst.Calls, vmst.Exits, vmst.Run.Round(time.Microsecond), vmst.Host.Round(time.Microsecond))
	causes := make([]string, 0, len(vmst.ByCause))
	for c := range vmst.ByCause {
		causes = append(causes, c)
	}
	slices.SortFunc(causes, func(a, b string) int {
		if d := cmp.Compare(vmst.ByCause[b], vmst.ByCause[a]); d != 0 {
			return d
		}
		return cmp.Compare(a, b)
	})
	for _, c := range causes {
		fmt.Fprintf(w, "wasmvisor: %8d  %s\n", vmst.ByCause[c], c)
	}
}
