// Command sightglass runs the sightglass benchmark programs on wasmvisor
// and on wazero's interpreter and compiler, alternating the engines run
// by run, checks every run's output, and prints Markdown tables of the
// medians and of wasmvisor's time as a fraction of each other engine's.
//
// Run it from the bench module:
//
//	go run ./cmd/sightglass                      # every program, in-process engines
//	go run ./cmd/sightglass -run 'fib2|gimli' -rounds 3
//	go run ./cmd/sightglass -engines wasmvisor,wazero-compiler,wazero-compiler-ctx
//	go run ./cmd/sightglass -cli                 # the wasmvisor and wazero commands
//
// See ../README.md and BENCHMARKS.md at the repository's root.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"time"

	"github.com/wasmvisor/wasmvisor/bench/sightglass"
)

func main() {
	sightglass.RunChildIfRequested()
	os.Exit(run())
}

func defaultDir() string {
	if s := os.Getenv("WASMVISOR_SHARED"); s != "" {
		return filepath.Join(s, "bench", "sightglass")
	}
	return filepath.Join("..", "..", "shared", "bench", "sightglass")
}

func run() int {
	var (
		dir       = flag.String("dir", defaultDir(), "the sightglass programs (`DIR`/*/*.wasm); default from $WASMVISOR_SHARED")
		only      = flag.String("run", "", "measure only programs whose name matches this `regexp`")
		skip      = flag.String("skip", "", "leave out programs whose name matches this `regexp`")
		engines   = flag.String("engines", "", "comma-separated `list` of engines, the first compared with the others (default: wasmvisor,wazero-interp,wazero-compiler; -list shows all)")
		rounds    = flag.Int("rounds", 0, "runs per engine and program; 0 chooses per program: as many as fit in -budget, within -min-rounds and -max-rounds")
		budget    = flag.Duration("budget", 30*time.Second, "time per program that decides the number of rounds when -rounds is 0")
		minRounds = flag.Int("min-rounds", 3, "fewest rounds when -rounds is 0")
		maxRounds = flag.Int("max-rounds", 11, "most rounds when -rounds is 0")
		useMin    = flag.Bool("min", false, "report the fastest run instead of the median")
		cli       = flag.Bool("cli", false, "run the CLIs (wasmvisor run, wazero run) instead of the engines in-process; needs wabt's wasm2wat and wat2wasm")
		wasmvisor = flag.String("wasmvisor", "", "the wasmvisor CLI for -cli; built from this checkout if empty")
		wazero    = flag.String("wazero", "", "the wazero CLI for -cli; built from the module cache if empty")
		timeout   = flag.Duration("timeout", 30*time.Minute, "longest one run may take")
		list      = flag.Bool("list", false, "list the programs and engines, and exit")
		save      = flag.String("save", "", "also write the samples to `FILE` (JSON), for -load")
		load      = flag.String("load", "", "print the tables of a run saved with -save in `FILE` instead of measuring")
		profile   = flag.String("cpuprofile", "", "write a CPU profile of each in-process run to `DIR`/PROGRAM.ENGINE.pprof (slows the runs a little)")
	)
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "sightglass: unexpected arguments %q\n", flag.Args())
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "sightglass:", err)
		return 1
	}
	if *load != "" {
		run, err := loadRun(*load)
		if err != nil {
			return fail(err)
		}
		return report(run, *useMin)
	}

	progs, err := sightglass.Discover(*dir)
	if err != nil {
		return fail(err)
	}
	if progs, err = filter(progs, *only, *skip); err != nil {
		return fail(err)
	}
	es := sightglass.DefaultEngines()
	if *engines != "" {
		if es, err = sightglass.LookupEngines(*engines); err != nil {
			return fail(err)
		}
	}
	if *list {
		for _, p := range progs {
			fmt.Printf("program %-22s %s\n", p.Name, p.Wasm)
		}
		for _, e := range sightglass.Engines() {
			fmt.Printf("engine  %-22s %s\n", e.Name, e.About)
		}
		return 0
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	opt := sightglass.Options{
		Engines: es, Rounds: *rounds, Budget: *budget, MinRounds: *minRounds, MaxRounds: *maxRounds,
		Timeout: *timeout, Progress: os.Stderr, CPUProfile: *profile,
	}
	if *profile != "" {
		if *cli {
			return fail(fmt.Errorf("-cpuprofile profiles the engines in-process, not the CLIs"))
		}
		if err := os.MkdirAll(*profile, 0o755); err != nil {
			return fail(err)
		}
		if opt.CPUProfile, err = filepath.Abs(*profile); err != nil {
			return fail(err)
		}
	}
	if *cli {
		opt.Mode = sightglass.CLI
		tmp, err := os.MkdirTemp("", "sightglass-")
		if err != nil {
			return fail(err)
		}
		defer os.RemoveAll(tmp)
		opt.Tools = sightglass.Tools{Wasmvisor: *wasmvisor, Wazero: *wazero}
		if opt.Tools.Wasmvisor == "" || opt.Tools.Wazero == "" {
			built, err := sightglass.BuildTools(tmp)
			if err != nil {
				return fail(err)
			}
			opt.Tools.Wasmvisor = cmp(opt.Tools.Wasmvisor, built.Wasmvisor)
			opt.Tools.Wazero = cmp(opt.Tools.Wazero, built.Wazero)
		}
		if err := sightglass.CheckTools(opt.Tools, es); err != nil {
			return fail(err)
		}
		if progs, err = sightglass.StubPrograms(progs, tmp); err != nil {
			return fail(err)
		}
	}

	run := &sightglass.Run{Machine: sightglass.Machine(), Mode: opt.Mode, Engines: names(es)}
	began := time.Now()
	if run.Results, err = sightglass.Measure(ctx, progs, opt); err != nil {
		return fail(err)
	}
	run.Date, run.Duration = time.Now(), time.Since(began)
	if *save != "" {
		if err := saveRun(*save, run); err != nil {
			return fail(err)
		}
	}
	return report(run, *useMin)
}

// report prints the run's tables; the exit code says whether every
// program ran correctly.
func report(run *sightglass.Run, useMin bool) int {
	stat := sightglass.Median
	if useMin {
		stat = sightglass.Min
	}
	sightglass.Report(os.Stdout, run, stat)
	for _, r := range run.Results {
		if r.Error != "" {
			return 1
		}
	}
	return 0
}

func saveRun(path string, run *sightglass.Run) error {
	b, err := json.MarshalIndent(run, "", "\t")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func loadRun(path string) (*sightglass.Run, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var run sightglass.Run
	if err := json.Unmarshal(b, &run); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(run.Engines) == 0 {
		return nil, fmt.Errorf("%s: no engines: not a saved run", path)
	}
	for _, r := range run.Results {
		if len(r.Samples) != len(run.Engines) {
			return nil, fmt.Errorf("%s: %s has samples of %d engines, want %d", path, r.Program, len(r.Samples), len(run.Engines))
		}
	}
	return &run, nil
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func names(es []*sightglass.Engine) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Name
	}
	return out
}

func filter(progs []sightglass.Program, only, skip string) ([]sightglass.Program, error) {
	var onlyRE, skipRE *regexp.Regexp
	var err error
	if only != "" {
		if onlyRE, err = regexp.Compile(only); err != nil {
			return nil, fmt.Errorf("-run: %w", err)
		}
	}
	if skip != "" {
		if skipRE, err = regexp.Compile(skip); err != nil {
			return nil, fmt.Errorf("-skip: %w", err)
		}
	}
	var out []sightglass.Program
	for _, p := range progs {
		if (onlyRE == nil || onlyRE.MatchString(p.Name)) && (skipRE == nil || !skipRE.MatchString(p.Name)) {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no program matches -run %q -skip %q", only, skip)
	}
	return out, nil
}
